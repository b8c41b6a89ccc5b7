import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import type { ManagedObject, ObjectDirectory } from '../../src/host/managed-object.js';
import { buildAccessControl } from '../../src/host/auth/access-control.js';
import { DisabledMethods } from '../../src/host/auth/disabled-methods.js';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/host/auth/password-hash.js';
import { parseHostConfig, type HostConfig } from '../../src/host/config.js';
import { createDefaultConfig } from '../../src/host/default-config.js';

// A small vCenter inventory: group-d1 > datacenter-2 > (group-v3 vm > vm-10, vm-11), (group-h4 host > domain-c5 > host-6).
function inventory(): ObjectDirectory & { root: ManagedObjectReference } {
  const objects = new Map<string, ManagedObject>();
  const add = (ref: ManagedObjectReference, parent: ManagedObjectReference | undefined, props: Record<string, unknown>) => {
    objects.set(`${ref.type}:${ref.value}`, { ref, parent, property: (n) => props[n] });
  };
  const root = moref('Folder', 'group-d1');
  const dc = moref('Datacenter', 'datacenter-2');
  const vmFolder = moref('Folder', 'group-v3');
  const hostFolder = moref('Folder', 'group-h4');
  const cluster = moref('ClusterComputeResource', 'domain-c5');
  const host = moref('HostSystem', 'host-6');
  add(root, undefined, { name: 'Datacenters', childEntity: [dc] });
  add(dc, root, { name: 'dc1', vmFolder, hostFolder });
  add(vmFolder, dc, { name: 'vm', childEntity: [moref('VirtualMachine', 'vm-10'), moref('VirtualMachine', 'vm-11')] });
  add(moref('VirtualMachine', 'vm-10'), vmFolder, { name: 'web' });
  add(moref('VirtualMachine', 'vm-11'), vmFolder, { name: 'db' });
  add(hostFolder, dc, { name: 'host', childEntity: [cluster] });
  add(cluster, hostFolder, { name: 'cluster1', host: [host] });
  add(host, cluster, { name: 'esx1' });
  return { root, lookup: (ref) => objects.get(`${ref.type}:${ref.value}`) };
}

const web = moref('VirtualMachine', 'vm-10');
const db = moref('VirtualMachine', 'vm-11');
const manager = moref('AuthorizationManager', 'AuthorizationManager');

let cachedHash: string | undefined;
async function config(permissions: HostConfig['permissions'], roles: HostConfig['roles'] = []): Promise<HostConfig> {
  cachedHash ??= await hashPassword('secret');
  const users = ['administrator', 'backup', 'viewer', 'alice'].map((name) => ({ name, fullName: name, passwordHash: cachedHash! }));
  return parseHostConfig(JSON.stringify({ users, roles, permissions }), 'host.json');
}

function faultOf(fn: () => void): SoapFault {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SoapFault, `expected a SoapFault, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a fault');
}

test('a propagating permission on the root reaches every VM; the nearest permission wins', async () => {
  const dir = inventory();
  const { authorizer } = buildAccessControl(await config([
    { entity: '/', principal: 'alice', role: 'Admin', propagate: true },
    { entity: '/dc1/vm/db', principal: 'alice', role: 'NoAccess', propagate: true },
    { entity: '/', principal: 'viewer', role: 'ReadOnly', propagate: true },
  ]), dir, dir.root);
  assert.equal(authorizer.hasPrivilege('alice', web, 'VirtualMachine.State.CreateSnapshot'), true);
  assert.equal(authorizer.hasPrivilege('alice', db, 'VirtualMachine.State.CreateSnapshot'), false);
  assert.equal(authorizer.hasPrivilege('alice', db, 'System.View'), false);
  assert.equal(authorizer.hasPrivilege('viewer', web, 'System.Read'), true);
  assert.equal(authorizer.hasPrivilege('viewer', moref('HostSystem', 'host-6'), 'System.Read'), true);
  // Managers and tasks are not in the tree: they take the root's permissions.
  assert.equal(authorizer.hasPrivilege('viewer', manager, 'System.View'), true);
  // A user with no permission on the path has nothing.
  assert.equal(authorizer.hasPrivilege('backup', web, 'System.View'), false);
});

test('a permission that does not propagate counts on its own object only', async () => {
  const dir = inventory();
  const { authorizer } = buildAccessControl(await config([
    { entity: '/dc1/vm', principal: 'alice', role: 'Admin', propagate: false },
  ]), dir, dir.root);
  assert.equal(authorizer.hasPrivilege('alice', moref('Folder', 'group-v3'), 'Folder.Create'), true);
  assert.equal(authorizer.hasPrivilege('alice', web, 'System.View'), false);
});

test('Global privileges count only where granted at the root', async () => {
  const dir = inventory();
  const { authorizer } = buildAccessControl(await config([
    { entity: 'VirtualMachine:vm-10', principal: 'alice', role: 'Admin', propagate: true },
    { entity: '/', principal: 'administrator', role: 'Admin', propagate: true },
  ]), dir, dir.root);
  assert.equal(authorizer.hasPrivilege('alice', web, 'VirtualMachine.State.CreateSnapshot'), true);
  assert.equal(authorizer.hasPrivilege('alice', web, 'Global.DisableMethods'), false);
  assert.equal(authorizer.hasPrivilege('administrator', web, 'Global.DisableMethods'), true);
  assert.ok(!authorizer.privilegesOn('alice', web).includes('Global.Licenses'));
});

test('NoPermission names the first missing privilege, its object and every missing one', async () => {
  const dir = inventory();
  const { authorizer } = buildAccessControl(await config([
    { entity: '/', principal: 'viewer', role: 'ReadOnly', propagate: true },
  ]), dir, dir.root);
  const fault = faultOf(() => authorizer.check('viewer', [
    { privilegeId: 'System.Read', entity: web },
    { privilegeId: 'VirtualMachine.State.CreateSnapshot', entity: web },
    { privilegeId: 'VirtualMachine.State.RemoveSnapshot', entity: web },
    { privilegeId: 'Datastore.AllocateSpace', entity: db },
  ]));
  assert.equal(fault.faultType, 'NoPermission');
  assert.deepEqual(fault.fault.object, web);
  assert.equal(fault.fault.privilegeId, 'VirtualMachine.State.CreateSnapshot');
  assert.deepEqual(fault.fault.missingPrivileges, [
    { _type: 'NoPermissionEntityPrivileges', entity: web, privilegeIds: ['VirtualMachine.State.CreateSnapshot', 'VirtualMachine.State.RemoveSnapshot'] },
    { _type: 'NoPermissionEntityPrivileges', entity: db, privilegeIds: ['Datastore.AllocateSpace'] },
  ]);
  assert.match(fault.message, /^NoPermission: Permission to perform this operation was denied/);
});

// The privileges of reference §7 a backup application needs, and those it must not hold.
const BACKUP_NEEDS = [
  'VirtualMachine.State.CreateSnapshot', 'VirtualMachine.State.RemoveSnapshot', 'VirtualMachine.Config.ChangeTracking',
  'VirtualMachine.Provisioning.DiskRandomRead', 'VirtualMachine.Provisioning.GetVmFiles', 'Global.DisableMethods',
  'Global.EnableMethods', 'Global.Licenses', 'Datastore.AllocateSpace', 'VirtualMachine.Config.AddExistingDisk',
  'VirtualMachine.Config.RemoveDisk', 'System.View', 'System.Read',
];
const BACKUP_LACKS = [
  'VirtualMachine.Provisioning.DiskRandomAccess', 'VirtualMachine.State.RevertToSnapshot', 'VirtualMachine.Interact.PowerOn',
  'VirtualMachine.Inventory.Delete', 'Authorization.ModifyPermissions', 'VirtualMachine.Provisioning.PutVmFiles',
];

test('the default accounts: backup holds the backup privileges on every VM, viewer only reads, administrator all', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'vixdisk-auth-'));
  try {
    const passwords = await createDefaultConfig(join(folder, 'host.json'), join(folder, 'passwords.json'), 'vcenter');
    const cfg = parseHostConfig(await readFile(join(folder, 'host.json'), 'utf8'), 'host.json');
    const dir = inventory();
    const { authorizer, accounts } = buildAccessControl(cfg, dir, dir.root);
    for (const vm of [web, db]) {
      for (const id of BACKUP_NEEDS) assert.equal(authorizer.hasPrivilege('backup', vm, id), true, `backup lacks ${id}`);
      for (const id of BACKUP_LACKS) assert.equal(authorizer.hasPrivilege('backup', vm, id), false, `backup holds ${id}`);
      for (const id of [...BACKUP_NEEDS, ...BACKUP_LACKS]) {
        assert.equal(authorizer.hasPrivilege('viewer', vm, id), id === 'System.View' || id === 'System.Read', `viewer and ${id}`);
        assert.equal(authorizer.hasPrivilege('administrator', vm, id), true);
      }
    }
    assert.ok(await accounts.authenticate('backup', passwords.backup!));
    assert.equal(await accounts.authenticate('backup', `${passwords.backup!}x`), undefined);
    assert.equal(await accounts.authenticate('backup', passwords.viewer!), undefined);
    assert.equal(await accounts.authenticate('nobody', passwords.backup!), undefined);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('on disk: the config holds scrypt hashes only; the generated passwords sit in one 0600 file', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'vixdisk-auth-'));
  try {
    const passwords = await createDefaultConfig(join(folder, 'host.json'), join(folder, 'passwords.json'), 'esxi');
    const text = await readFile(join(folder, 'host.json'), 'utf8');
    for (const password of Object.values(passwords)) {
      assert.ok(!text.includes(password), 'a clear password in host.json');
      assert.match(password, /^[A-Za-z0-9]{20}$/);
    }
    const cfg = parseHostConfig(text, 'host.json');
    assert.equal(cfg.users.length, 3);
    for (const u of cfg.users) {
      assert.match(u.passwordHash, /^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      assert.equal(await verifyPassword(passwords[u.name]!, parsePasswordHash(u.passwordHash)), true);
    }
    assert.equal((await stat(join(folder, 'passwords.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(folder, 'host.json'))).mode & 0o777, 0o600);
    // Two hashes of one password differ (per-user salt).
    assert.notEqual(await hashPassword('same'), await hashPassword('same'));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('config validation refuses bad input with one line naming the key', async () => {
  const hash = await hashPassword('x');
  const base = { users: [{ name: 'a', passwordHash: hash }], permissions: [] as unknown[] };
  const cases: Array<[unknown, RegExp]> = [
    [{ ...base, extra: 1 }, /^host\.json: extra: unknown key/],
    [{ ...base, port: 70000 }, /^host\.json: port: must be an integer port/],
    [{ ...base, personality: 'hyperv' }, /^host\.json: personality: must be 'esxi' or 'vcenter'/],
    [{ ...base, bind: 'example.com' }, /^host\.json: bind: must be an IP address/],
    [{ users: [{ name: 'a', password: 'clear' }], permissions: [] }, /^host\.json: users\[0\]\.password: unknown key/],
    [{ users: [{ name: 'a', passwordHash: 'secret' }], permissions: [] }, /^host\.json: users\[0\]\.passwordHash: not a hash/],
    [{ users: [{ name: 'a', passwordHash: hash.replace('$15$', '$30$') }], permissions: [] }, /users\[0\]\.passwordHash: scrypt log2 N must be/],
    [{ ...base, users: [base.users[0], base.users[0]] }, /users\[1\]\.name: 'a' is defined twice/],
    [{ ...base, roles: [{ name: 'r', privileges: ['VirtualMachine.Fly'] }] }, /roles\[0\]\.privileges\[0\]: 'VirtualMachine\.Fly' is not a vSphere privilege id/],
    [{ ...base, roles: [{ name: 'Admin', privileges: [] }] }, /roles\[0\]\.name: 'Admin' is a system role/],
    [{ ...base, permissions: [{ entity: '/', principal: 'b', role: 'Admin' }] }, /permissions\[0\]\.principal: no user 'b'/],
    [{ ...base, permissions: [{ entity: '/', principal: 'a', role: 'Boss' }] }, /permissions\[0\]\.role: no role 'Boss'/],
    [{ ...base, permissions: [{ entity: 'vm-1', principal: 'a', role: 'Admin' }] }, /permissions\[0\]\.entity: must be/],
  ];
  for (const [input, expected] of cases) {
    assert.throws(() => parseHostConfig(JSON.stringify(input), 'host.json'), (error: Error) => {
      assert.match(error.message, expected);
      assert.ok(!error.message.includes('\n'));
      assert.ok(!error.message.includes(hash), 'the hash is echoed');
      return true;
    });
  }
  assert.throws(() => parseHostConfig('{', 'host.json'), /host\.json: not valid JSON/);
  const dir = inventory();
  const cfg = parseHostConfig(JSON.stringify({ ...base, permissions: [{ entity: '/dc1/vm/nothere', principal: 'a', role: 'Admin' }] }), 'host.json');
  assert.throws(() => buildAccessControl(cfg, dir, dir.root), /permissions\[0\]\.entity: '\/dc1\/vm\/nothere' names no object/);
});

test('disabled methods: MethodDisabled while disabled, another source refused, kept across a restart', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'vixdisk-auth-'));
  try {
    const file = join(folder, 'disabled-methods.json');
    const table = await DisabledMethods.open(file);
    await table.disable([web], [{ method: 'RelocateVM_Task', reasonId: 'backup' }], 'vixdisk');
    const guarded = table.guard(new Map([['RelocateVM_Task', { run: () => 'moved' }], ['PowerOnVM_Task', { run: () => 'on' }]]));
    const call = (methodName: string, target: ManagedObjectReference) =>
      guarded.get(methodName)!.run({ methodName, target, args: {}, session: { key: 'k', userName: 'backup' } });
    const fault = faultOf(() => void call('RelocateVM_Task', web));
    assert.equal(fault.faultType, 'MethodDisabled');
    assert.equal(fault.fault.source, 'vixdisk');
    assert.equal(call('RelocateVM_Task', db), 'moved');
    assert.equal(call('PowerOnVM_Task', web), 'on');

    const dir = table.overlay(inventory());
    assert.deepEqual(dir.lookup(web)!.property('disabledMethod'), ['RelocateVM_Task']);
    assert.equal(dir.lookup(web)!.property('name'), 'web');

    await assert.rejects(table.disable([web], [{ method: 'RelocateVM_Task' }], 'other'), (error: SoapFault) => {
      assert.equal(error.faultType, 'MethodAlreadyDisabledFault');
      assert.equal(error.fault.sourceId, 'vixdisk');
      return true;
    });

    const reopened = await DisabledMethods.open(file);
    assert.deepEqual(reopened.disabledOn(web), ['RelocateVM_Task']);
    await reopened.enable([web], ['RelocateVM_Task'], 'other');
    assert.deepEqual(reopened.disabledOn(web), ['RelocateVM_Task'], "another source's enable leaves it disabled");
    await reopened.enable([web], ['RelocateVM_Task'], 'vixdisk');
    assert.deepEqual((await DisabledMethods.open(file)).disabledOn(web), []);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
