import { VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import type { GuestActions } from './admin-endpoint.js';
import type { HostInventory } from './inventory/host-inventory.js';
import { createVms } from './inventory/vm-creation.js';
import { inventoryMethods } from './methods/inventory-methods.js';
import type { NfcFileAccess } from './nfc/nfc-file-access.js';
import type { MethodTable } from './soap/method-handler.js';
import type { SoapService } from './soap/soap-service.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';

/**
 * What the runtime takes from the inventory part beyond its objects (which it serves as an
 * ObjectDirectory): the VM method handlers (snapshots, reconfigure, power, QueryChangedDiskAreas,
 * SearchIndex), the NFC server's file access, the guest and power actions of the admin socket, and
 * closing its disks on shutdown. One place, so the runtime's wiring does not change as the
 * inventory's operations grow.
 */
export interface InventoryServices {
  methods: MethodTable;
  nfcFiles: NfcFileAccess;
  guest: GuestActions;
  close(): Promise<void>;
}

export function inventoryServices(inventory: HostInventory, service: SoapService): InventoryServices {
  /** A VM named by the admin socket: its moref (in this personality) or its name. */
  const vmNamed = (vm: string): ManagedObjectReference => {
    const found = inventory.visibleVms.find((v) => v.record.morefs[inventory.personality] === vm) ?? inventory.visibleVms.find((v) => v.name === vm);
    if (!found) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `no VM named ${JSON.stringify(vm)} on this host`);
    return inventory.vmRef(found);
  };
  return {
    methods: inventoryMethods(inventory, service.tasks),
    nfcFiles: {
      open: async (grant, path, writable) => {
        const opened = await inventory.nfcOpenDisk({
          vm: grant.vm, readOnly: grant.readOnly, ...(grant.diskDeviceKey !== undefined ? { diskDeviceKey: grant.diskDeviceKey } : {}),
        }, path, writable);
        // DDB_GET asks by key without the `ddb.` prefix.
        const ddb: Record<string, string> = {};
        for (const [k, v] of opened.ddb) ddb[k.replace(/^ddb\./i, '')] = v;
        return { device: opened.device, ddb, close: () => opened.close() };
      },
    },
    guest: {
      guestWrite: (vm, disk, offset, data) => inventory.guestWrite(vmNamed(vm), disk, offset, data),
      setPower: (vm, on) => (on ? inventory.powerOn(vmNamed(vm)) : inventory.powerOff(vmNamed(vm))),
      createVms: (request) => createVms(inventory, request),
      stallIo: (vm, ms) => new Promise<void>((begun, failed) => {
        const entry = inventory.requireVm(vmNamed(vm));
        inventory.withVmIo(entry, () => {
          begun();
          return new Promise<void>((ended) => setTimeout(ended, ms));
        }).catch(failed);
      }),
    },
    close: () => inventory.close(),
  };
}
