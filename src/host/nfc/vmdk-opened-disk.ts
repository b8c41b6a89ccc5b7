import type { VmdkDisk } from '../../vmdk/disk.js';
import type { NfcOpenedDisk } from './nfc-file-access.js';

// An open VMDK chain as NFC serves it: its bytes, and the opened link's descriptor DDB the way
// DDB_GET asks for it (keys without `ddb.`, vsphere-remote.md §4.5). For NfcFileAccess implementations.

export function nfcOpenedVmdk(disk: VmdkDisk, onClose?: () => Promise<void> | void): NfcOpenedDisk {
  const descriptor = disk.top.descriptor;
  const ddb: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const key of descriptor.ddbKeys()) {
    const value = descriptor.getDdb(key);
    if (value !== undefined) ddb[key.replace(/^ddb\./i, '')] = value;
  }
  return {
    device: disk,
    ddb,
    close: async () => {
      try {
        await disk.close();
      } finally {
        await onClose?.();
      }
    },
  };
}
