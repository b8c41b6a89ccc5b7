import { VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import type { GuestActions } from './admin-endpoint.js';
import type { HostInventory } from './inventory/host-inventory.js';
import type { NfcFileAccess } from './nfc/nfc-file-access.js';
import type { MethodTable } from './soap/method-handler.js';
import type { SoapService } from './soap/soap-service.js';

/**
 * What the runtime takes from the inventory part beyond its objects (which it serves as an
 * ObjectDirectory): the VM method handlers (snapshots, reconfigure, power, QueryChangedDiskAreas,
 * SearchIndex), the NFC server's file access, the guest and power actions of the admin socket, and
 * closing its disks on shutdown. One place, so the runtime's wiring does not change as the
 * inventory's operations land.
 *
 * This build's inventory has its state and its views but not yet its operations (issue 10's
 * inventory milestone 2): each missing operation is refused with one line saying so, never faked.
 */
export interface InventoryServices {
  methods: MethodTable;
  nfcFiles: NfcFileAccess;
  guest: GuestActions;
  close(): Promise<void>;
}

function missing(what: string): VixError {
  return new VixError(VIX_E_NOT_SUPPORTED, `${what} needs the inventory's VM operations, which this build does not have yet`);
}

export function inventoryServices(_inventory: HostInventory, _service: SoapService): InventoryServices {
  return {
    methods: new Map(),
    nfcFiles: { open: async () => { throw missing('opening a disk over NFC'); } },
    guest: {
      guestWrite: async () => { throw missing('a guest write'); },
      setPower: async () => { throw missing('power on/off'); },
    },
    close: async () => undefined,
  };
}
