import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import { SoapFault } from '../vsphere/soap-fault.js';
import type { GuestActions } from './admin-endpoint.js';
import type { HostInventory } from './inventory/host-inventory.js';
import { guestWrite, setPowerState } from './inventory/vm-operations.js';
import { inventoryMethods } from './methods/inventory-methods.js';
import type { NfcFileAccess } from './nfc/nfc-file-access.js';
import type { MethodTable } from './soap/method-handler.js';
import type { SoapService } from './soap/soap-service.js';

/**
 * What the runtime takes from the inventory part beyond its objects (which it serves as an
 * ObjectDirectory): the VM, snapshot and SearchIndex method handlers, the NFC server's file access,
 * the guest and power actions of the admin socket, and closing what it holds open on shutdown.
 */
export interface InventoryServices {
  methods: MethodTable;
  nfcFiles: NfcFileAccess;
  guest: GuestActions;
  close(): Promise<void>;
}

interface BackingView {
  fileName?: string;
  parent?: BackingView;
}

/** The datastore paths of every link of the VM's disk `key` (its current backing and parents). */
function diskChain(inventory: HostInventory, vm: ManagedObjectReference, key: number): Set<string> {
  const hardware = inventory.lookup(vm)?.property('config') as { hardware?: { device?: Array<{ _type?: string; key?: number; backing?: BackingView }> } } | undefined;
  const disk = hardware?.hardware?.device?.find((d) => d._type === 'VirtualDisk' && d.key === key);
  const chain = new Set<string>();
  for (let b = disk?.backing; b; b = b.parent) if (b.fileName) chain.add(b.fileName);
  return chain;
}

/** A VM by name or moref value, in the personality shown. */
function vmNamed(inventory: HostInventory, nameOrMoref: string): ManagedObjectReference {
  const vm = inventory.visibleVms.find((v) => v.name === nameOrMoref || inventory.vmRef(v).value === nameOrMoref);
  if (!vm) throw new Error(`no VM named ${nameOrMoref} (names: ${inventory.visibleVms.map((v) => v.name).join(', ')})`);
  return inventory.vmRef(vm);
}

function oneLine(error: unknown): Error {
  if (error instanceof SoapFault) return new Error(error.message);
  return error instanceof Error ? error : new Error(String(error));
}

export function inventoryServices(inventory: HostInventory, service: SoapService): InventoryServices {
  return {
    methods: inventoryMethods(inventory, service.tasks),
    nfcFiles: {
      // A disk-scoped ticket (NfcRandomAccessOpen*) opens any link of that disk's chain (they
      // share the device key, §2.3.8); a GetVmFiles ticket any of the VM's disks. The inventory
      // checks the rest: the file is the VM's, read-only tickets stay read-only, running disks locked.
      open: async (grant, path, writable) => {
        if (grant.diskDeviceKey !== undefined && !diskChain(inventory, grant.vm, grant.diskDeviceKey).has(path)) {
          throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'diskPath' },
            `A specified parameter was not correct: diskPath (${path} is not a link of disk ${grant.diskDeviceKey})`);
        }
        const opened = await inventory.nfcOpenDisk({ vm: grant.vm, readOnly: grant.readOnly }, path, writable);
        const ddb: Record<string, string> = {};
        for (const [key, value] of opened.ddb) ddb[key.replace(/^ddb\./, '')] = value;
        return { device: opened.device, ddb, close: () => opened.close() };
      },
    },
    guest: {
      guestWrite: async (vm, disk, offset, data) => {
        try {
          await guestWrite(inventory, vmNamed(inventory, vm), disk, offset, data);
        } catch (error) {
          throw oneLine(error);
        }
      },
      setPower: async (vm, on) => {
        try {
          await setPowerState(inventory, vmNamed(inventory, vm), on ? 'poweredOn' : 'poweredOff');
        } catch (error) {
          throw oneLine(error);
        }
      },
    },
    close: () => inventory.close(),
  };
}
