import {
  VIX_E_DISK_OUTOFRANGE, VIX_E_FAIL, VIX_E_FILE_READ_ONLY, VIX_E_HOST_NETBLKDEV_HANDSHAKE, VIX_E_HOST_NETWORK_CONN_REFUSED,
  VIX_E_HOST_TCP_CONN_LOST, VIX_E_OUT_OF_MEMORY, VIX_ERROR_TEXT, vixErrorText,
} from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import type { AioError } from './aio-message.js';
import { NfcProtocolError } from './nfc-protocol-error.js';

// How NFC outcomes become VIX errors on the client side (vsphere-remote.md §4.8), as one table, and
// the error codes a host puts in its replies. The client maps once, at its edge, with these.

/** The situations of §4.8. */
export type NfcOutcome =
  | 'read-only' | 'disk-in-use' | 'out-of-memory' | 'connection-refused' | 'handshake'
  | 'connection-lost' | 'thumbprint-mismatch' | 'out-of-range';

/** §4.8, row for row: the VIX code a client returns for each situation. */
export const NFC_OUTCOME_TO_VIX: Readonly<Record<NfcOutcome, number>> = {
  'read-only': VIX_E_FILE_READ_ONLY, // AIO ERROR 0x0b on a write open with a read-only ticket
  'disk-in-use': VIX_E_FAIL, // the live disk of a running VM: VDDK shows "Unknown error"
  'out-of-memory': VIX_E_OUT_OF_MEMORY, // NFC error 5 "Failed to allocate the requested N bytes"
  'connection-refused': VIX_E_HOST_NETWORK_CONN_REFUSED, // TCP 902 refused
  'handshake': VIX_E_HOST_NETBLKDEV_HANDSHAKE, // broken handshake, bad magic
  'connection-lost': VIX_E_HOST_TCP_CONN_LOST, // connection lost mid-IO
  'thumbprint-mismatch': VIX_E_FAIL, // VDDK reports a generic failure
  'out-of-range': VIX_E_DISK_OUTOFRANGE,
};

/** NFC error 5 (classic NFC_ERROR code, and our AIO ERROR code for the same budget refusal). */
export const NFC_ERROR_NO_MEMORY = 5;

/**
 * The AIO ERROR codes a host of ours sends (our convention, §4.5 [L]): VIX codes, as the one
 * observed value 0x0b (VIX_E_FILE_READ_ONLY) suggests ESXi does.
 */
export const AIO_ERROR_READ_ONLY = VIX_E_FILE_READ_ONLY;
export const AIO_ERROR_IN_USE = VIX_E_FAIL;
export const AIO_ERROR_OUT_OF_RANGE = VIX_E_DISK_OUTOFRANGE;
export const AIO_ERROR_NO_MEMORY = VIX_E_OUT_OF_MEMORY;
export const AIO_ERROR_INVALID = VIX_E_FAIL;

/**
 * A host's AIO ERROR as the VixError a client returns: its code when it is one VMware defines
 * (0x0b read-only, 16007 out of range, 2 out of memory), else VIX_E_FAIL; the host's message
 * (already printable ASCII) makes the line.
 */
export function vixErrorForAioError(error: AioError, what: string): VixError {
  const known = error.code !== 0 && VIX_ERROR_TEXT[error.code] !== undefined;
  const code = known ? error.code : VIX_E_FAIL;
  const reason = error.message || vixErrorText(code);
  return new VixError(code, `${what}: the host refused: ${reason}`);
}

/** A classic NFC_ERROR (type 20): error 5 is the host's memory budget, anything else a failure. */
export function vixErrorForClassicError(errorCode: number, text: string, what: string): VixError {
  const code = errorCode === NFC_ERROR_NO_MEMORY ? VIX_E_OUT_OF_MEMORY : VIX_E_FAIL;
  return new VixError(code, `${what}: NFC error ${errorCode} from the host: ${text || vixErrorText(code)}`);
}

/** A codec error met by a client: the host broke the protocol (handshake error, §4.8). */
export function vixErrorForProtocolError(err: NfcProtocolError, what: string): VixError {
  return new VixError(NFC_OUTCOME_TO_VIX.handshake, `${what}: ${err.message}`);
}
