import { VixError } from '../../errors/vix-error.js';
import { VIX_E_FILE_ALREADY_LOCKED, VIX_E_FILE_NOT_FOUND } from '../../errors/error-codes.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { HostInventory } from './host-inventory.js';

/**
 * The engine's errors as the vim faults a host raises for them: a disk someone holds is
 * FileLocked, a missing file FileNotFound, each naming the file as a datastore path (never a path
 * on the host's own disk). Anything else is left as it is (the task layer makes it SystemError).
 */
export function hostFault(err: unknown, inv: HostInventory): unknown {
  if (err instanceof SoapFault || !(err instanceof VixError)) return err;
  const file = fileIn(err.message, inv);
  if (err.code === VIX_E_FILE_ALREADY_LOCKED) {
    return new SoapFault({ _type: 'FileLocked', file }, `Unable to access file ${file} since it is locked`);
  }
  if (err.code === VIX_E_FILE_NOT_FOUND) {
    return new SoapFault({ _type: 'FileNotFound', file }, `File ${file} was not found`);
  }
  return err;
}

/** The first datastore file a message names, as a datastore path ('' when none). */
function fileIn(message: string, inv: HostInventory): string {
  const m = new RegExp(`${escape(inv.dir)}/datastores/[^\\s:'"]+`).exec(message);
  return m ? inv.datastorePath(m[0]) : '';
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
