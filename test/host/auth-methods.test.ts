import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import type { ManagedObject, ObjectDirectory } from '../../src/host/managed-object.js';
import type { MethodHandler, MethodTable, SoapCall } from '../../src/host/soap/method-handler.js';
import { buildAccessControl } from '../../src/host/auth/access-control.js';
import { DisabledMethods } from '../../src/host/auth/disabled-methods.js';
import { hashPassword } from '../../src/host/auth/password-hash.js';
import { parseHostConfig } from '../../src/host/config.js';
import { AuthorizationManagerObject, authorizationMethods } from '../../src/host/methods/authorization.js';
import { nfcServiceMethods, type NfcGrant } from '../../src/host/methods/nfc-service.js';
import { NfcTicketStore } from '../../src/host/nfc/ticket-store.js';

// The AuthorizationManager and NfcService handlers as the dispatcher runs them: the declared
// privilege checked first (as the dispatcher does, through the same authorizer), then `run`.

const root = moref('Folder', 'group-d1');
const dc = moref('Datacenter', 'datacenter-2');
const vmFolder = moref('Folder', 'group-v3');
const host1 = moref('HostSystem', 'host-7');
const host2 = moref('HostSystem', 'host-8');
const web = moref('VirtualMachine', 'vm-10');
const authRef = moref('AuthorizationManager', 'AuthorizationManager');
const nfcRef = moref('NfcService', 'nfcService');

function directory(): ObjectDirectory {
  const objects = new Map<string, ManagedObject>();
  const add = (ref: ManagedObjectReference, parent: ManagedObjectReference | undefined, props: Record<string, unknown>) =>
    objects.set(`${ref.type}:${ref.value}`, { ref, parent, property: (n) => props[n] });
  add(root, undefined, { name: 'Datacenters', childEntity: [dc] });
  add(dc, root, { name: 'dc1', vmFolder });
  add(vmFolder, dc, { name: 'vm', childEntity: [web] });
  add(host1, dc, { name: 'esx1' });
  add(host2, dc, { name: 'esx2' });
  add(web, vmFolder, {
    name: 'web',
    runtime: { _type: 'VirtualMachineRuntimeInfo', host: host1, powerState: 'poweredOn' },
    config: { _type: 'VirtualMachineConfigInfo', hardware: { _type: 'VirtualHardware', device: [
      { _type: 'ParaVirtualSCSIController', key: 1000 },
      { _type: 'VirtualDisk', key: 2000 },
      { _type: 'VirtualDisk', key: 2001 },
    ] } },
  });
  return { lookup: (ref) => objects.get(`${ref.type}:${ref.value}`) };
}

async function setup(personality: 'vcenter' | 'esxi') {
  const hash = await hashPassword('x');
  const config = parseHostConfig(JSON.stringify({
    users: ['administrator', 'backup', 'viewer'].map((name) => ({ name, passwordHash: hash })),
    roles: [{ name: 'backup', privileges: ['VirtualMachine.Provisioning.GetVmFiles', 'VirtualMachine.Provisioning.DiskRandomRead', 'Global.DisableMethods', 'Global.EnableMethods'] }],
    permissions: [
      { entity: '/', principal: 'administrator', role: 'Admin' },
      { entity: '/', principal: 'backup', role: 'backup' },
      { entity: '/', principal: 'viewer', role: 'ReadOnly' },
    ],
  }), 'host.json');
  const folder = await mkdtemp(join(tmpdir(), 'vixdisk-auth-methods-'));
  const disabled = await DisabledMethods.open(join(folder, 'disabled-methods.json'));
  const dir = disabled.overlay(directory());
  const access = buildAccessControl(config, dir, root);
  const tickets = new NfcTicketStore();
  const issued: NfcGrant[] = [];
  const table: MethodTable = new Map([
    ...authorizationMethods({ ref: authRef, personality, rootFolder: root, access, disabled, directory: dir, userOfSession: () => undefined }),
    ...nfcServiceMethods({
      ref: nfcRef, personality, directory: dir,
      tickets: { issue: (g) => { issued.push(g); return tickets.issue(g); } },
      endpointOf: (h) => (h.value === 'host-7' ? { address: '127.0.0.1', port: 40902, thumbprintSha1: 'AA:BB' } : undefined),
    }),
  ]);
  // As the dispatcher: declared privileges first, then the handler.
  const call = async (user: string, methodName: string, target: ManagedObjectReference, args: Record<string, unknown>) => {
    const handler: MethodHandler = table.get(methodName)!;
    const c: SoapCall = { methodName, target, args, session: { key: `key-${user}`, userName: user } };
    const p = handler.privilege;
    if (p !== undefined) access.authorizer.check(user, typeof p === 'string' ? [{ privilegeId: p, entity: target }] : p(c));
    return handler.run(c);
  };
  return { call, access, disabled, issued, tickets, dir, cleanup: () => rm(folder, { recursive: true, force: true }) };
}

async function fault(promise: Promise<unknown>): Promise<SoapFault> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SoapFault, String(error));
    return error;
  }
  assert.fail('expected a fault');
}

test('NFC tickets: vCenter shape, one-time, scoped to VM, host and disk; viewer refused naming the privilege', async () => {
  const s = await setup('vcenter');
  try {
    const ticket = await s.call('backup', 'NfcRandomAccessOpenReadonly', nfcRef, { vm: web, diskDeviceKey: 2001 }) as Record<string, unknown>;
    assert.deepEqual(Object.keys(ticket), ['_type', 'host', 'port', 'sslThumbprint', 'service', 'serviceVersion', 'sessionId']);
    assert.equal(ticket.host, '127.0.0.1');
    assert.equal(ticket.port, 40902);
    assert.equal(ticket.service, 'vpxa-nfc');
    assert.equal(ticket.serviceVersion, '1.1');
    assert.match(ticket.sessionId as string, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(s.tickets.redeem(ticket.sessionId as string), { vm: web, host: host1, diskDeviceKey: 2001, readOnly: true, userName: 'backup', service: 'vpxa-nfc' });
    assert.equal(s.tickets.redeem(ticket.sessionId as string), undefined, 'single use');

    const files = await s.call('backup', 'NfcGetVmFiles', nfcRef, { vm: web }) as Record<string, unknown>;
    assert.equal(s.issued.at(-1)!.readOnly, true);
    assert.equal(s.issued.at(-1)!.diskDeviceKey, undefined);
    assert.notEqual(files.sessionId, ticket.sessionId);

    // backup lacks DiskRandomAccess (writable opens); viewer lacks both.
    let f = await fault(s.call('backup', 'NfcRandomAccessOpenDisk', nfcRef, { vm: web, diskDeviceKey: 2000 }));
    assert.equal(f.faultType, 'NoPermission');
    assert.equal(f.fault.privilegeId, 'VirtualMachine.Provisioning.DiskRandomAccess');
    assert.deepEqual(f.fault.object, web);
    f = await fault(s.call('viewer', 'NfcGetVmFiles', nfcRef, { vm: web }));
    assert.equal(f.fault.privilegeId, 'VirtualMachine.Provisioning.GetVmFiles');
    const writable = await s.call('administrator', 'NfcRandomAccessOpenDisk', nfcRef, { vm: web, diskDeviceKey: 2000 }) as Record<string, unknown>;
    assert.equal(s.tickets.redeem(writable.sessionId as string)!.readOnly, false);

    // Bad arguments: the faults a host gives.
    f = await fault(s.call('backup', 'NfcRandomAccessOpenReadonly', nfcRef, { vm: web, diskDeviceKey: 1000 }));
    assert.deepEqual([f.faultType, f.fault.invalidProperty], ['InvalidArgument', 'diskDeviceKey']);
    f = await fault(s.call('backup', 'NfcGetVmFiles', nfcRef, { vm: moref('VirtualMachine', 'vm-999') }));
    assert.equal(f.faultType, 'ManagedObjectNotFound');
    f = await fault(s.call('backup', 'NfcGetVmFiles', nfcRef, { vm: web, hostForAccess: host2 }));
    assert.equal(f.faultType, 'InvalidState', 'a host without an NFC endpoint');
    f = await fault(s.call('backup', 'NfcGetServerNfcLibVersion', nfcRef, {}));
    assert.deepEqual([f.faultType, f.fault.invalidProperty], ['InvalidArgument', 'hostForAccess']);
    assert.equal(await s.call('viewer', 'NfcGetServerNfcLibVersion', nfcRef, { hostForAccess: host1 }), 11);
  } finally {
    await s.cleanup();
  }
});

test('NFC tickets from ESXi: service nfc, no host field', async () => {
  const s = await setup('esxi');
  try {
    const ticket = await s.call('backup', 'NfcGetVmFiles', nfcRef, { vm: web }) as Record<string, unknown>;
    assert.equal(ticket.host, undefined);
    assert.equal(ticket.service, 'nfc');
  } finally {
    await s.cleanup();
  }
});

test('DisableMethods on vCenter: Global privilege at the root, MethodDisabled, disabledMethod; NotSupported on ESXi', async () => {
  const s = await setup('vcenter');
  try {
    const method = [{ _type: 'DisabledMethodRequest', method: 'RelocateVM_Task', reasonId: 'backup' }];
    const f = await fault(s.call('viewer', 'DisableMethods', authRef, { entity: [web], method, sourceId: 'vixdisk' }));
    assert.equal(f.fault.privilegeId, 'Global.DisableMethods');
    assert.deepEqual(f.fault.object, root);
    await s.call('backup', 'DisableMethods', authRef, { entity: [web], method, sourceId: 'vixdisk' });
    assert.deepEqual(s.dir.lookup(web)!.property('disabledMethod'), ['RelocateVM_Task']);
    assert.equal((await fault((async () => s.disabled.check('RelocateVM_Task', web))())).faultType, 'MethodDisabled');
    await s.call('backup', 'EnableMethods', authRef, { entity: [web], method: ['RelocateVM_Task'], sourceId: 'vixdisk' });
    assert.deepEqual(s.disabled.disabledOn(web), []);
  } finally {
    await s.cleanup();
  }
  const e = await setup('esxi');
  try {
    const f = await fault(e.call('administrator', 'DisableMethods', authRef, { entity: [web], method: [{ method: 'RelocateVM_Task' }], sourceId: 'x' }));
    assert.equal(f.faultType, 'NotSupported');
  } finally {
    await e.cleanup();
  }
});

test('permission queries: roleList, privileges per user and entity, permissions of an entity', async () => {
  const s = await setup('vcenter');
  try {
    const manager = new AuthorizationManagerObject({ ref: authRef, personality: 'vcenter', rootFolder: root, access: s.access, disabled: s.disabled, directory: s.dir, userOfSession: () => undefined });
    const roles = manager.property('roleList') as Array<{ name: string; roleId: number; privilege: string[] }>;
    assert.deepEqual(roles.map((r) => r.name).sort(), ['Admin', 'Anonymous', 'NoAccess', 'ReadOnly', 'View', 'backup']);
    assert.ok((manager.property('privilegeList') as unknown[]).length > 300);

    const has = await s.call('backup', 'HasPrivilegeOnEntity', authRef, {
      entity: web, sessionId: 'key-backup', privId: ['VirtualMachine.Provisioning.GetVmFiles', 'VirtualMachine.State.RevertToSnapshot'],
    });
    assert.deepEqual(has, [true, false]);
    const fetched = await s.call('administrator', 'FetchUserPrivilegeOnEntities', authRef, { entities: [web], userName: 'viewer' }) as Array<{ privileges: string[] }>;
    assert.deepEqual(fetched[0]!.privileges, ['System.Anonymous', 'System.Read', 'System.View']);
    const inherited = await s.call('viewer', 'RetrieveEntityPermissions', authRef, { entity: web, inherited: true }) as Array<{ principal: string; entity: ManagedObjectReference }>;
    assert.deepEqual(inherited.map((p) => p.principal), ['administrator', 'backup', 'viewer']);
    assert.deepEqual(await s.call('viewer', 'RetrieveEntityPermissions', authRef, { entity: web, inherited: false }), []);
    const byRole = await s.call('viewer', 'RetrieveRolePermissions', authRef, { roleId: -1 }) as Array<{ principal: string }>;
    assert.deepEqual(byRole.map((p) => p.principal), ['administrator']);
  } finally {
    await s.cleanup();
  }
});
