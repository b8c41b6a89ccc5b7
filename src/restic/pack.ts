// Pack files (design.rst "Pack Format"): EncBlob_1 || ... || EncBlob_n || EncHeader ||
// uint32_le(len(EncHeader)). The header lists each blob in order: a type byte, its stored length,
// for compressed types its plaintext length, and its ID. Offsets are implied by the order.

import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import { CRYPTO_OVERHEAD } from './crypto.js';
import { ID_SIZE } from './id.js';

export type BlobType = 'data' | 'tree';

export interface PackedBlob {
  type: BlobType;
  /** 64 hex characters. */
  id: string;
  offset: number;
  /** Bytes in the pack: the sealed payload (compressed or not) plus 32 crypto bytes. */
  length: number;
  /** Plaintext length for a zstd-compressed blob; 0 when stored uncompressed. */
  uncompressedLength: number;
}

const PLAIN_ENTRY = 1 + 4 + ID_SIZE;
const COMPRESSED_ENTRY = 1 + 4 + 4 + ID_SIZE;
/** restic pack.go MaxHeaderSize: readers refuse larger headers, writers close packs before it. */
export const MAX_HEADER_SIZE = 16 * 1024 * 1024;

export function headerEntrySize(b: { uncompressedLength: number }): number {
  return b.uncompressedLength > 0 ? COMPRESSED_ENTRY : PLAIN_ENTRY;
}

/** The plaintext header for blobs stored in this order. */
export function encodeHeader(blobs: PackedBlob[]): Buffer {
  let size = 0;
  for (const b of blobs) size += headerEntrySize(b);
  const out = Buffer.alloc(size);
  let o = 0;
  for (const b of blobs) {
    const compressed = b.uncompressedLength > 0;
    out[o++] = (b.type === 'data' ? 0 : 1) | (compressed ? 2 : 0);
    out.writeUInt32LE(b.length, o);
    o += 4;
    if (compressed) {
      out.writeUInt32LE(b.uncompressedLength, o);
      o += 4;
    }
    out.write(b.id, o, 'hex');
    o += ID_SIZE;
  }
  return out;
}

/** Parse a decrypted header; `packSize` is the file size, which the entries must account for exactly. */
export function decodeHeader(header: Buffer, packSize: number, what: string): PackedBlob[] {
  const blobs: PackedBlob[] = [];
  let o = 0;
  let offset = 0;
  while (o < header.length) {
    const t = header[o];
    if (t > 3) throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid blob type ${t} in pack header`);
    const compressed = (t & 2) !== 0;
    const size = compressed ? COMPRESSED_ENTRY : PLAIN_ENTRY;
    if (o + size > header.length) throw new VixError(VIX_E_FILE_ERROR, `${what}: truncated pack header`);
    const length = header.readUInt32LE(o + 1);
    const uncompressedLength = compressed ? header.readUInt32LE(o + 5) : 0;
    const id = header.toString('hex', o + size - ID_SIZE, o + size);
    if (length < CRYPTO_OVERHEAD) throw new VixError(VIX_E_FILE_ERROR, `${what}: blob ${id.slice(0, 8)} is shorter than its encryption overhead`);
    blobs.push({ type: t & 1 ? 'tree' : 'data', id, offset, length, uncompressedLength });
    offset += length;
    o += size;
  }
  if (offset + header.length + CRYPTO_OVERHEAD + 4 !== packSize) {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: pack header does not match the file size`);
  }
  return blobs;
}
