import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { HostInventory } from '../inventory/host-inventory.js';
import { reconfigurePrivileges, type ConfigSpec } from '../inventory/vm-operations.js';
import type { MethodTable, PrivilegeCheck, SoapCall, TaskStarter } from '../soap/method-handler.js';
import { arg, startTask } from './task-work.js';

/** VirtualMachine methods: snapshots, reconfigure, power, QueryChangedDiskAreas. */
export function virtualMachineMethods(inv: HostInventory, tasks: TaskStarter): MethodTable {
  const createSnapshot = (call: SoapCall, quiesce: boolean) => {
    const vm = inv.requireVm(call.target);
    return startTask(tasks, call, inv.vmRef(vm), 'VirtualMachine.createSnapshot', (task, progress) =>
      inv.createSnapshot(call.target, String(call.args.name ?? ''), arg(call, 'description', ''), arg(call, 'memory', false), quiesce, task, progress));
  };
  return new Map([
    ['CreateSnapshot_Task', {
      privilege: 'VirtualMachine.State.CreateSnapshot',
      run: (call: SoapCall) => createSnapshot(call, arg(call, 'quiesce', false)),
    }],
    ['CreateSnapshotEx_Task', {
      privilege: 'VirtualMachine.State.CreateSnapshot',
      run: (call: SoapCall) => createSnapshot(call, call.args.quiesceSpec !== undefined),
    }],
    ['RemoveAllSnapshots_Task', {
      privilege: 'VirtualMachine.State.RemoveSnapshot',
      run: (call: SoapCall) => {
        inv.requireVm(call.target);
        return startTask(tasks, call, call.target, 'VirtualMachine.removeAllSnapshots', (task, progress) =>
          inv.removeAllSnapshots(call.target, arg(call, 'consolidate', true), task, progress));
      },
    }],
    ['ConsolidateVMDisks_Task', {
      // The vSphere API reference's privilege for it.
      privilege: 'VirtualMachine.State.RemoveSnapshot',
      run: (call: SoapCall) => {
        inv.requireVm(call.target);
        return startTask(tasks, call, call.target, 'VirtualMachine.consolidateDisks', (task, progress) =>
          inv.consolidateDisks(call.target, task, progress));
      },
    }],
    ['RevertToCurrentSnapshot_Task', {
      privilege: 'VirtualMachine.State.RevertToSnapshot',
      run: (call: SoapCall) => {
        inv.requireVm(call.target);
        return startTask(tasks, call, call.target, 'VirtualMachine.revertToCurrentSnapshot', (task, progress) =>
          inv.revertToCurrentSnapshot(call.target, task, progress, arg(call, 'suppressPowerOn', false)));
      },
    }],
    ['ReconfigVM_Task', {
      privilege: (call: SoapCall): PrivilegeCheck[] => {
        const spec = (call.args.spec ?? {}) as ConfigSpec;
        const checks: PrivilegeCheck[] = reconfigurePrivileges(spec).map((privilegeId) => ({ privilegeId, entity: call.target }));
        // A non-persistent disk's redo log takes space on the VM's datastore (§7).
        const vm = inv.vmByRef(call.target);
        const redo = (spec.deviceChange ?? []).some((c) => c.operation === 'add' &&
          (c.device?.backing as { diskMode?: string } | undefined)?.diskMode === 'independent_nonpersistent');
        if (redo && vm) checks.push({ privilegeId: 'Datastore.AllocateSpace', entity: inv.ref('Datastore', vm.datastore.morefs) });
        // A new disk takes space on the datastore it is made on: the backing's, else the VM's (§7).
        for (const c of spec.deviceChange ?? []) {
          if (c.operation !== 'add' || c.fileOperation !== 'create' || !vm) continue;
          const fileName = (c.device?.backing as { fileName?: unknown } | undefined)?.fileName;
          const named = typeof fileName === 'string' ? /^\[([^\]]+)\]/.exec(fileName.trim())?.[1] : undefined;
          const ds = (named !== undefined ? inv.datastore(named) : undefined) ?? vm.datastore;
          checks.push({ privilegeId: 'Datastore.AllocateSpace', entity: inv.ref('Datastore', ds.morefs) });
        }
        return checks;
      },
      run: (call: SoapCall) => {
        inv.requireVm(call.target);
        const spec = (call.args.spec ?? {}) as ConfigSpec;
        return startTask(tasks, call, call.target, 'VirtualMachine.reconfigure', (task) => inv.reconfigure(call.target, spec, task));
      },
    }],
    ['PowerOnVM_Task', {
      privilege: 'VirtualMachine.Interact.PowerOn',
      run: (call: SoapCall) => {
        inv.requireVm(call.target);
        return startTask(tasks, call, call.target, 'VirtualMachine.powerOn', (task) => inv.powerOn(call.target, task));
      },
    }],
    ['PowerOffVM_Task', {
      privilege: 'VirtualMachine.Interact.PowerOff',
      run: (call: SoapCall) => {
        inv.requireVm(call.target);
        return startTask(tasks, call, call.target, 'VirtualMachine.powerOff', (task) => inv.powerOff(call.target, task));
      },
    }],
    ['QueryChangedDiskAreas', {
      privilege: 'VirtualMachine.Provisioning.DiskRandomRead',
      run: async (call: SoapCall) => {
        const page = await inv.queryChangedDiskAreas(call.target, call.args.snapshot as ManagedObjectReference | undefined,
          Number(call.args.deviceKey), Number(call.args.startOffset), String(call.args.changeId ?? ''));
        return {
          _type: 'DiskChangeInfo',
          startOffset: page.startOffset,
          length: page.length,
          changedArea: page.changedArea.map((a) => ({ _type: 'DiskChangeExtent', start: a.start, length: a.length })),
        };
      },
    }],
  ]);
}
