import type { BlockDevice } from '../../block/block-device.js';
import type { NfcTicketGrant } from './ticket-store.js';

// The seam between the NFC server and the host's files. The server knows tickets and the protocol;
// which file a datastore path names, whether it belongs to the ticket's VM and disk, and whether
// it may be written now (locks, power state, change tracking) is the inventory's business.

/** A disk opened for one NFC OPEN_FILE. */
export interface NfcOpenedDisk {
  /** The disk's bytes (the whole chain below the named link); read-only when opened so. */
  device: BlockDevice;
  /** The descriptor's `ddb.*` values, keyed without the `ddb.` prefix (`adapterType`, `geometry.cylinders`), as DDB_GET asks. */
  ddb: Record<string, string>;
  /** Release the disk (locks, files); called once, after its last IO has finished. */
  close(): Promise<void>;
}

export interface NfcFileAccess {
  /**
   * Opens `path` (a datastore path `[ds] dir/x.vmdk` as OPEN_FILE carries it) for `grant`, or throws
   * a VixError the server turns into the NFC error a host sends (file not the VM's, outside the
   * ticket's disk, write on a read-only grant, base disk of a powered-on VM locked...). The
   * inventory helper implements it over the host's datastores (CBT-tracked writes included).
   */
  open(grant: NfcTicketGrant, path: string, writable: boolean): Promise<NfcOpenedDisk>;
}
