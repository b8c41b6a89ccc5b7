import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startHost, type RunningHost } from '../support/host-process.js';
import { VimClient, moRef } from '../../src/vsphere/vim-client.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';

const folders: string[] = [];
after(async () => {
  for (const f of folders) await rm(f, { recursive: true, force: true });
});

async function vim(host: RunningHost, user: string, password = host.password(user)): Promise<{ c: VimClient; am: ManagedObjectReference; root: ManagedObjectReference }> {
  const url = new URL(host.ready.url);
  const c = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
  await c.login(user, password);
  const content = await c.serviceContent();
  return { c, am: content.authorizationManager!, root: content.rootFolder };
}

const fault = (type: string, check?: (f: Record<string, unknown>) => boolean) => (e: unknown) =>
  e instanceof SoapFault && e.faultType === type && (check === undefined || check(e.fault as Record<string, unknown>));

function permission(principal: string, roleId: number, group = false, propagate = true): Record<string, unknown> {
  return { _type: 'Permission', principal, group, roleId, propagate };
}

test('roles and permissions edited over SOAP: faults as vSphere gives them, group principals, kept in the 0600 config across a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-auth-edits-'));
  folders.push(dir);
  // First start makes the default config; then `viewer` joins a group `ops`.
  let host = await startHost(['--data', dir]);
  const passwords = { administrator: host.password('administrator'), backup: host.password('backup'), viewer: host.password('viewer') };
  await host.stop();
  const configFile = join(dir, 'host.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { users: Array<Record<string, unknown>> };
  config.users.find((u) => u.name === 'viewer')!.groups = ['ops'];
  await writeFile(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
  host = await startHost(['--data', dir]);
  let web: ManagedObjectReference;
  let snapperId: number;
  try {
    const admin = await vim(host, 'administrator', passwords.administrator);
    const { c, am, root } = admin;
    web = (await c.call('FindByInventoryPath', (await c.serviceContent()).searchIndex!, { inventoryPath: 'dc1/vm/web' })) as ManagedObjectReference;

    // Roles: create, duplicate name, unknown privilege, system role, rename.
    snapperId = (await c.call('AddAuthorizationRole', am, { name: 'snapper', privIds: ['VirtualMachine.State.CreateSnapshot'] })) as number;
    assert.ok(snapperId > 0);
    await assert.rejects(c.call('AddAuthorizationRole', am, { name: 'snapper', privIds: [] }), fault('AlreadyExists', (f) => f.name === 'snapper'));
    await assert.rejects(c.call('AddAuthorizationRole', am, { name: 'x', privIds: ['VirtualMachine.Fly'] }), fault('InvalidArgument', (f) => f.invalidProperty === 'privIds'));
    await assert.rejects(c.call('UpdateAuthorizationRole', am, { roleId: -1, newName: 'Boss' }), fault('InvalidArgument', (f) => f.invalidProperty === 'roleId'));
    await assert.rejects(c.call('UpdateAuthorizationRole', am, { roleId: 999, newName: 'ghost' }), fault('NotFound'));
    const tmpId = (await c.call('AddAuthorizationRole', am, { name: 'temporary', privIds: [] })) as number;
    await c.call('UpdateAuthorizationRole', am, { roleId: tmpId, newName: 'temporary2', privIds: ['VirtualMachine.State.RemoveSnapshot'] });
    const roleList = JSON.stringify(await c.call('RetrieveProperties', (await c.serviceContent()).propertyCollector, {
      specSet: [{ _type: 'PropertyFilterSpec', propSet: [{ _type: 'PropertySpec', type: 'AuthorizationManager', pathSet: ['roleList'] }], objectSet: [{ _type: 'ObjectSpec', obj: am }] }],
    }));
    assert.match(roleList, /temporary2/);
    assert.match(roleList, /VirtualMachine\.State\.RemoveSnapshot/);
    await c.call('RemoveAuthorizationRole', am, { roleId: tmpId, failIfUsed: true });

    // Permissions: a group permission on one VM gives its members that role there (nearer than their own at the root).
    await assert.rejects(c.call('SetEntityPermissions', am, { entity: web, permission: [permission('nobody', snapperId)] }), fault('UserNotFound', (f) => f.principal === 'nobody'));
    await assert.rejects(c.call('SetEntityPermissions', am, { entity: web, permission: [permission('nogroup', snapperId, true)] }), fault('UserNotFound'));
    await assert.rejects(c.call('SetEntityPermissions', am, { entity: web, permission: [permission('viewer', 4242)] }), fault('NotFound'));
    await assert.rejects(c.call('SetEntityPermissions', am, { entity: moRef('VirtualMachine', 'vm-999'), permission: [permission('viewer', snapperId)] }), fault('ManagedObjectNotFound'));
    const can = async (user: string, entity: ManagedObjectReference) => JSON.stringify(await c.call('FetchUserPrivilegeOnEntities', am, { entities: [entity], userName: user }));
    assert.doesNotMatch(await can('viewer', web), /CreateSnapshot/);
    await c.call('SetEntityPermissions', am, { entity: web, permission: [permission('ops', snapperId, true)] });
    assert.match(await can('viewer', web), /VirtualMachine\.State\.CreateSnapshot/);
    assert.doesNotMatch(await can('viewer', root), /CreateSnapshot/, 'the group permission reaches beyond its VM');
    assert.doesNotMatch(await can('backup', web), /"VirtualMachine\.State\.RevertToSnapshot"/);
    const onWeb = JSON.stringify(await c.call('RetrieveEntityPermissions', am, { entity: web, inherited: false }));
    assert.match(onWeb, /"principal":"ops","group":true/);
    await assert.rejects(c.call('RemoveAuthorizationRole', am, { roleId: snapperId, failIfUsed: true }), fault('RemoveFailed'));

    // The last administrator permission on the root cannot go.
    await assert.rejects(c.call('RemoveEntityPermission', am, { entity: root, user: 'administrator', isGroup: false }), fault('AuthMinimumAdminPermission'));
    await assert.rejects(c.call('ResetEntityPermissions', am, { entity: root, permission: [permission('backup', -2)] }), fault('AuthMinimumAdminPermission'));
    await assert.rejects(c.call('RemoveEntityPermission', am, { entity: web, user: 'viewer', isGroup: false }), fault('NotFound'));

    // Without Authorization.ModifyPermissions / ModifyRoles: NoPermission naming the privilege.
    const backup = await vim(host, 'backup', passwords.backup);
    await assert.rejects(backup.c.call('SetEntityPermissions', am, { entity: web, permission: [permission('backup', -1)] }),
      fault('NoPermission', (f) => f.privilegeId === 'Authorization.ModifyPermissions'));
    await assert.rejects(backup.c.call('AddAuthorizationRole', am, { name: 'mine', privIds: [] }),
      fault('NoPermission', (f) => f.privilegeId === 'Authorization.ModifyRoles'));
  } finally {
    assert.equal(await host.stop(), 0);
  }
  assert.equal((await stat(configFile)).mode & 0o077, 0, 'host.json is readable by others');
  const saved = await readFile(configFile, 'utf8');
  assert.match(saved, /"name": "snapper"/);
  assert.doesNotMatch(saved, /temporary/);
  for (const p of Object.values(passwords)) assert.ok(!saved.includes(p), 'a clear password in host.json');

  // A restart enforces what was saved.
  host = await startHost(['--data', dir]);
  try {
    const { c, am } = await vim(host, 'administrator', passwords.administrator);
    const privs = JSON.stringify(await c.call('FetchUserPrivilegeOnEntities', am, { entities: [web], userName: 'viewer' }));
    assert.match(privs, /VirtualMachine\.State\.CreateSnapshot/);
    await c.call('RemoveEntityPermission', am, { entity: web, user: 'ops', isGroup: true });
    await c.call('RemoveAuthorizationRole', am, { roleId: snapperId, failIfUsed: true });
  } finally {
    assert.equal(await host.stop(), 0);
  }
  assert.doesNotMatch(await readFile(configFile, 'utf8'), /snapper/);
});
