import type { HostInventory } from '../inventory/host-inventory.js';
import type { MethodTable, PrivilegeCheck, SoapCall, TaskStarter } from '../soap/method-handler.js';
import { arg, startTask } from './task-work.js';

/**
 * VirtualMachineSnapshot methods. Their privileges are VM privileges (§7), checked on the VM the
 * snapshot belongs to (an unknown snapshot: on itself, where the dispatcher's lookup refuses it).
 */
export function snapshotMethods(inv: HostInventory, tasks: TaskStarter): MethodTable {
  const onVm = (privilegeId: string) => (call: SoapCall): PrivilegeCheck[] => {
    const found = inv.snapshotByRef(call.target);
    return [{ privilegeId, entity: found ? inv.vmRef(found.vm) : call.target }];
  };
  return new Map([
    ['RemoveSnapshot_Task', {
      privilege: onVm('VirtualMachine.State.RemoveSnapshot'),
      run: (call: SoapCall) => {
        const { vm } = inv.requireSnapshot(call.target);
        return startTask(tasks, call, inv.vmRef(vm), 'vm.Snapshot.remove', (task, progress) =>
          inv.removeSnapshot(call.target, arg(call, 'removeChildren', false), arg(call, 'consolidate', true), task, progress));
      },
    }],
    ['RevertToSnapshot_Task', {
      privilege: onVm('VirtualMachine.State.RevertToSnapshot'),
      run: (call: SoapCall) => {
        const { vm } = inv.requireSnapshot(call.target);
        return startTask(tasks, call, inv.vmRef(vm), 'vm.Snapshot.revert', (task, progress) =>
          inv.revertToSnapshot(call.target, task, progress, arg(call, 'suppressPowerOn', false)));
      },
    }],
  ]);
}
