// zstd decompression for what restic 0.14 writes into v2 repositories (compressed blobs, and index,
// snapshot and lock files behind a 0x02 byte). Node 20 has no zstd; fzstd (MIT, pure JS,
// decompress only) reads any standard frame. We never compress: uncompressed blobs (header types
// 0/1) and raw-JSON files are legal in v2, and restic 0.14 reads them.
//
// Decompression is bounded so that a hostile frame cannot exhaust memory: everything goes through
// the streaming decoder with a running limit, the uncompressed length the index promises for a
// blob, a fixed ceiling for unpacked files.

import { Decompress } from 'fzstd';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';

/**
 * Decompress one blob whose plaintext must be exactly `length` bytes. (fzstd's one-shot form with an
 * output buffer silently truncates or pads to that buffer, so the streaming form counts instead.)
 */
export function decompressExact(frame: Uint8Array, length: number, what: string): Buffer {
  const out = decompressBounded(frame, length, what);
  if (out.length !== length) {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: decompressed to ${out.length} bytes, the index says ${length}`);
  }
  return out;
}

/** Decompress a frame of unknown size, failing once the output passes `limit` bytes. */
export function decompressBounded(frame: Uint8Array, limit: number, what: string): Buffer {
  const parts: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > limit) throw new VixError(VIX_E_FILE_ERROR, `${what}: decompresses to more than ${limit} bytes`);
    parts.push(chunk);
  });
  try {
    d.push(frame, true);
  } catch (e) {
    if (e instanceof VixError) throw e;
    throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid zstd data (${(e as Error).message})`);
  }
  return Buffer.concat(parts, total);
}
