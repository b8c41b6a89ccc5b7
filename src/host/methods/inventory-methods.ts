import type { HostInventory } from '../inventory/host-inventory.js';
import type { MethodTable, TaskStarter } from '../soap/method-handler.js';
import { searchIndexMethods } from './search-index-methods.js';
import { snapshotMethods } from './snapshot-methods.js';
import { virtualMachineMethods } from './virtual-machine-methods.js';

/**
 * The inventory's part of the host's method table: VirtualMachine (snapshots, reconfigure, power,
 * QueryChangedDiskAreas), VirtualMachineSnapshot (remove, revert) and SearchIndex (FindByUuid,
 * FindByInventoryPath). Each handler names the privilege reference §7 requires and on which entity.
 */
export function inventoryMethods(inventory: HostInventory, tasks: TaskStarter): MethodTable {
  const table: MethodTable = new Map();
  for (const part of [virtualMachineMethods(inventory, tasks), snapshotMethods(inventory, tasks), searchIndexMethods(inventory)]) {
    for (const [name, handler] of part) table.set(name, handler);
  }
  return table;
}
