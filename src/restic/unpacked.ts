// "Unpacked" files (index, snapshot, lock): one encrypted JSON document each. In a v2 repository
// the plaintext's first byte names its encoding (restic repository.go decompressUnpacked): 0x02 is
// a zstd frame, "{" or "[" is raw JSON. We write raw JSON, which restic 0.14 reads in v1 and v2.

import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import { decompressBounded } from './zstd.js';

/** Largest plaintext an unpacked file may decode to (a 1M-blob index is ~40 MB). */
export const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

/** The JSON text of a decrypted unpacked file. */
export function decodeUnpacked(plain: Buffer, what: string): string {
  if (plain.length > 0 && plain[0] === 0x02) {
    return decompressBounded(plain.subarray(1), MAX_UNPACKED_BYTES, what).toString('utf8');
  }
  if (plain.length > 0 && (plain[0] === 0x7b || plain[0] === 0x5b)) return plain.toString('utf8');
  throw new VixError(VIX_E_FILE_ERROR, `${what}: not supported encoding format`);
}

/** Parse JSON, turning a syntax error into one line that names the file. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid JSON (${(e as Error).message})`);
  }
}
