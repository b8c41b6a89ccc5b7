import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { vimMethods } from '../../src/vsphere/vim-methods.js';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { buildAccessControl } from '../../src/host/auth/access-control.js';
import { DisabledMethods } from '../../src/host/auth/disabled-methods.js';
import { isPrivilegeId } from '../../src/host/auth/privileges.js';
import { parseHostConfig } from '../../src/host/config.js';
import { createDefaultConfig } from '../../src/host/default-config.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { authorizationMethods } from '../../src/host/methods/authorization.js';
import { inventoryMethods } from '../../src/host/methods/inventory-methods.js';
import { nfcServiceMethods } from '../../src/host/methods/nfc-service.js';
import type { MethodTable, PrivilegeCheck, SoapCall, TaskStarter } from '../../src/host/soap/method-handler.js';

// Every method of the host's table that declares a privilege, checked for the three default
// accounts on the embedded default inventory: each declared id is a vSphere privilege id; the
// administrator may call everything; the viewer only what needs System.* alone; the backup user
// exactly what its role holds, which covers the calls a backup makes and none that change a VM
// otherwise (revert, power, writable disk access).

const BACKUP_CALLS = [
  'CreateSnapshot_Task', 'RemoveSnapshot_Task', 'RemoveAllSnapshots_Task', 'QueryChangedDiskAreas', 'ReconfigVM_Task',
  'NfcGetVmFiles', 'NfcRandomAccessOpenReadonly', 'DisableMethods', 'EnableMethods',
];
const NOT_FOR_BACKUP = ['NfcRandomAccessOpenDisk', 'RevertToSnapshot_Task', 'RevertToCurrentSnapshot_Task', 'PowerOnVM_Task', 'PowerOffVM_Task'];

test('viewer, backup and administrator against the privilege every handler declares', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-method-table-'));
  try {
    await createDefaultConfig(join(dir, 'host.json'), join(dir, 'passwords.json'), 'vcenter');
    const config = parseHostConfig(await readFile(join(dir, 'host.json'), 'utf8'), 'host.json');
    const inventory = await HostInventory.open(dir, { personality: 'vcenter' });
    try {
      const root = inventory.ref('Folder', inventory.record.rootFolder);
      const disabled = await DisabledMethods.open(undefined);
      const access = buildAccessControl(config, inventory, root);
      const vm = inventory.vmRef(inventory.visibleVms.find((v) => v.tree.nodes.length > 0)!);
      const snapshot = inventory.snapshotRef(inventory.vmByRef(vm)!, inventory.vmByRef(vm)!.tree.nodes[0]!);
      const tasks: TaskStarter = { start: () => moref('Task', 'task-1') };
      const table: MethodTable = new Map([
        ...inventoryMethods(inventory, tasks),
        ...authorizationMethods({ ref: moref('AuthorizationManager', 'AuthorizationManager'), personality: 'vcenter', rootFolder: root, access, disabled, directory: inventory, userOfSession: () => undefined }),
        ...nfcServiceMethods({ ref: moref('NfcService', 'nfcService'), personality: 'vcenter', directory: inventory, tickets: { issue: () => ({ sessionId: 'x' }) }, endpointOf: () => undefined }),
      ]);
      const targetOf = (receiver: string): ManagedObjectReference =>
        receiver === 'VirtualMachine' ? vm : receiver === 'VirtualMachineSnapshot' ? snapshot : moref(receiver, receiver);
      // Arguments that make each privilege function name its real entity (a backup's ReconfigVM_Task turns CBT on).
      const args = {
        vm, entity: [vm], entities: [vm], snapshot, diskDeviceKey: 2000, spec: { _type: 'VirtualMachineConfigSpec', changeTrackingEnabled: true },
        method: [{ method: 'RelocateVM_Task' }], sourceId: 'test', deviceKey: 2000, startOffset: 0, changeId: '*',
      };
      const allowed = (user: string, checks: PrivilegeCheck[]) => {
        try {
          access.authorizer.check(user, checks);
          return true;
        } catch (error) {
          assert.ok(error instanceof SoapFault && error.faultType === 'NoPermission');
          return false;
        }
      };
      const backupRole = access.roles.named('backup')!.privileges;
      let checked = 0;
      for (const [name, handler] of table) {
        if (handler.privilege === undefined) continue;
        const target = targetOf(vimMethods.get(name)?.receiver ?? 'ServiceInstance');
        const call: SoapCall = { methodName: name, target, args, session: { key: 'k', userName: 'x' } };
        const checks = typeof handler.privilege === 'string' ? [{ privilegeId: handler.privilege, entity: target }] : handler.privilege(call);
        for (const c of checks) assert.ok(isPrivilegeId(c.privilegeId), `${name} declares unknown privilege ${c.privilegeId}`);
        assert.equal(allowed('administrator', checks), true, `administrator refused ${name}`);
        const onlySystem = checks.every((c) => c.privilegeId.startsWith('System.'));
        assert.equal(allowed('viewer', checks), onlySystem, `viewer and ${name} (${checks.map((c) => c.privilegeId).join(', ')})`);
        assert.equal(allowed('backup', checks), checks.every((c) => backupRole.has(c.privilegeId)), `backup and ${name}`);
        if (BACKUP_CALLS.includes(name)) assert.equal(allowed('backup', checks), true, `backup must be allowed ${name}`);
        if (NOT_FOR_BACKUP.includes(name)) assert.equal(allowed('backup', checks), false, `backup must not be allowed ${name}`);
        checked++;
      }
      for (const name of [...BACKUP_CALLS, ...NOT_FOR_BACKUP]) assert.ok(table.get(name)?.privilege !== undefined, `${name} declares no privilege`);
      assert.ok(checked >= BACKUP_CALLS.length + NOT_FOR_BACKUP.length);
    } finally {
      await inventory.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
