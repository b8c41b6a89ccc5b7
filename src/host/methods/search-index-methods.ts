import type { HostInventory } from '../inventory/host-inventory.js';
import type { MethodTable, SoapCall } from '../soap/method-handler.js';

/**
 * SearchIndex: FindByUuid and FindByInventoryPath. Any session may search (System.View); an
 * object the caller cannot see is for the property collector's filter to leave out, as vCenter does.
 */
export function searchIndexMethods(inv: HostInventory): MethodTable {
  return new Map([
    ['FindByUuid', {
      run: (call: SoapCall) => inv.findByUuid(String(call.args.uuid ?? ''), call.args.vmSearch === true, call.args.instanceUuid === true),
    }],
    ['FindByInventoryPath', {
      run: (call: SoapCall) => inv.findByInventoryPath(String(call.args.inventoryPath ?? '')),
    }],
  ]);
}
