import { VixError } from '../../errors/vix-error.js';
import { VIX_E_DISK_NEEDSREPAIR } from '../../errors/error-codes.js';
import { crc32 } from './crc32.js';
import { formatTrackingUuid, MAX_SEQUENCE, trackingUuidBytes } from './change-id.js';

// The layout of our -ctk.vmdk (ESXi's own is undocumented; docs/host-cbt.md describes this one).
// Little-endian throughout:
//
//   header   512 bytes  magic, version, tracking uuid, capacity, block size and count, the open
//                       sequence at the time the file was written, CRC-32 of the map, CRC-32 of the header
//   map      4 bytes per block: 0 = not changed since tracking began, s + 1 = last changed while
//                       sequence s was open
//   journal  32-byte records appended after the map since the file was last written whole: "these
//                       blocks were changed in sequence s" and "sequence s was frozen"
//
// The header and map are only ever written whole, to a new file renamed over the old one; the
// journal is only ever appended to. So a crash can tear nothing but the journal's last batch.

export const CTK_MAGIC = Buffer.from('VXDKCTK\n', 'latin1');
export const CTK_VERSION = 1;
export const HEADER_SIZE = 512;
export const RECORD_SIZE = 32;
const RECORD_MAGIC = 0x4b544356; // "VCTK"

/** Blocks are 64 KiB (the extent size OVDL saw ESXi report), larger for disks past 256 GiB. */
export const MIN_BLOCK_SIZE = 64 * 1024;
export const MAX_BLOCK_SIZE = 1024 * 1024 * 1024;
/** At most 4 Mi blocks: the map is at most 16 MiB in memory and on disk, whatever the capacity. */
export const MAX_BLOCKS = 4 * 1024 * 1024;

export interface CtkHeader {
  uuid: string;
  capacity: number;
  blockSize: number;
  blockCount: number;
  /** The sequence open (the one writes were being marked with) when the file was written. */
  sequence: number;
  mapCrc: number;
}

/** The refusal for a file that is not a change tracking file we can trust: the caller resets tracking. */
export function ctkDamaged(name: string, reason: string): VixError {
  return new VixError(VIX_E_DISK_NEEDSREPAIR,
    `${name}: damaged change tracking file (${reason}); tracking must be reset and a full backup taken`);
}

/** The smallest block size (a power of two, at least `atLeast`) that keeps the map within MAX_BLOCKS. */
export function blockSizeFor(capacity: number, atLeast = MIN_BLOCK_SIZE): number {
  let size = Math.max(MIN_BLOCK_SIZE, atLeast);
  while (Math.ceil(capacity / size) > MAX_BLOCKS) size *= 2;
  return size;
}

export function blockCountFor(capacity: number, blockSize: number): number {
  return Math.ceil(capacity / blockSize);
}

export function mapBytes(blockCount: number): number {
  return blockCount * 4;
}

/**
 * The journal is folded into the map once it reaches a quarter of the map (at least 256 KiB): the
 * rewrite then costs at most 4 map bytes per journal byte, and the journal replayed at open stays small.
 */
export function journalFoldBytes(blockCount: number): number {
  return Math.max(256 * 1024, mapBytes(blockCount) / 4);
}

/** More journal than this is not something we wrote: the fold happens well before. */
export function journalLimitBytes(blockCount: number): number {
  return 2 * journalFoldBytes(blockCount) + 1024 * 1024;
}

export function encodeHeader(h: CtkHeader): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  CTK_MAGIC.copy(b, 0);
  b.writeUInt32LE(CTK_VERSION, 8);
  b.writeUInt32LE(HEADER_SIZE, 12);
  trackingUuidBytes(h.uuid).copy(b, 16);
  b.writeBigUInt64LE(BigInt(h.capacity), 32);
  b.writeUInt32LE(h.blockSize, 40);
  b.writeUInt32LE(h.blockCount, 44);
  b.writeUInt32LE(h.sequence, 48);
  b.writeUInt32LE(h.mapCrc, 52);
  b.writeUInt32LE(crc32(b.subarray(0, HEADER_SIZE - 4)), HEADER_SIZE - 4);
  return b;
}

/** The header's CRC, which also seeds every journal record's CRC (a record belongs to one file). */
export function headerCrc(header: Buffer): number {
  return header.readUInt32LE(HEADER_SIZE - 4);
}

/** Decode and check a header; `fileSize` bounds what it may claim. */
export function decodeHeader(b: Buffer, fileSize: number, name: string): CtkHeader {
  if (fileSize < HEADER_SIZE) throw ctkDamaged(name, `${fileSize} bytes, shorter than its header`);
  if (!b.subarray(0, 8).equals(CTK_MAGIC)) throw ctkDamaged(name, 'not a vixdisk change tracking file');
  if (crc32(b.subarray(0, HEADER_SIZE - 4)) !== headerCrc(b)) throw ctkDamaged(name, 'header checksum mismatch');
  const version = b.readUInt32LE(8);
  if (version !== CTK_VERSION) throw ctkDamaged(name, `unsupported version ${version}`);
  if (b.readUInt32LE(12) !== HEADER_SIZE) throw ctkDamaged(name, 'unexpected header size');
  const capacity64 = b.readBigUInt64LE(32);
  if (capacity64 > BigInt(Number.MAX_SAFE_INTEGER)) throw ctkDamaged(name, 'capacity out of range');
  const capacity = Number(capacity64);
  const blockSize = b.readUInt32LE(40);
  const blockCount = b.readUInt32LE(44);
  const sequence = b.readUInt32LE(48);
  if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw ctkDamaged(name, `block size ${blockSize} out of range`);
  }
  if (blockCount > MAX_BLOCKS || blockCount !== blockCountFor(capacity, blockSize)) {
    throw ctkDamaged(name, `${blockCount} blocks do not fit capacity ${capacity}`);
  }
  if (sequence > MAX_SEQUENCE) throw ctkDamaged(name, 'sequence out of range');
  if (fileSize < HEADER_SIZE + mapBytes(blockCount)) throw ctkDamaged(name, 'truncated block map');
  return { uuid: formatTrackingUuid(b.subarray(16, 32)), capacity, blockSize, blockCount, sequence, mapCrc: b.readUInt32LE(52) };
}

export type JournalRecord =
  | { kind: 'mark'; sequence: number; firstBlock: number; blockCount: number }
  | { kind: 'freeze'; sequence: number }
  /** A checksummed record of a kind we never write: damage, not a torn tail. */
  | { kind: 'unknown'; sequence: number; code: number };

const KIND_MARK = 1;
const KIND_FREEZE = 2;
const FLAG_BATCH_END = 1;

/** Where a record sits in the journal: its index and its batch (one write + one datasync). */
export interface RecordPlace {
  index: number;
  batch: number;
  batchEnd: boolean;
}

export function encodeRecord(out: Buffer, pos: number, rec: JournalRecord, place: RecordPlace, seed: number): void {
  out.writeUInt32LE(RECORD_MAGIC, pos);
  if (rec.kind === 'unknown') throw new RangeError('an unknown journal record cannot be written');
  out.writeUInt8(rec.kind === 'mark' ? KIND_MARK : KIND_FREEZE, pos + 4);
  out.writeUInt8(place.batchEnd ? FLAG_BATCH_END : 0, pos + 5);
  out.writeUInt16LE(0, pos + 6);
  out.writeUInt32LE(place.index >>> 0, pos + 8);
  out.writeUInt32LE(place.batch >>> 0, pos + 12);
  out.writeUInt32LE(rec.sequence, pos + 16);
  out.writeUInt32LE(rec.kind === 'mark' ? rec.firstBlock : 0, pos + 20);
  out.writeUInt32LE(rec.kind === 'mark' ? rec.blockCount : 0, pos + 24);
  out.writeUInt32LE(crc32(out.subarray(pos, pos + 28), seed), pos + 28);
}

/**
 * A record whose checksum holds (its content is then checked by the replay), or undefined for
 * bytes that are not a whole record of this file: a torn write, or what lies past the journal.
 */
export function decodeRecord(b: Buffer, pos: number, seed: number): { rec: JournalRecord; place: RecordPlace } | undefined {
  if (b.readUInt32LE(pos) !== RECORD_MAGIC) return undefined;
  if (crc32(b.subarray(pos, pos + 28), seed) !== b.readUInt32LE(pos + 28)) return undefined;
  const kind = b.readUInt8(pos + 4);
  const place = { index: b.readUInt32LE(pos + 8), batch: b.readUInt32LE(pos + 12), batchEnd: (b.readUInt8(pos + 5) & FLAG_BATCH_END) !== 0 };
  const sequence = b.readUInt32LE(pos + 16);
  if (kind === KIND_MARK) {
    return { rec: { kind: 'mark', sequence, firstBlock: b.readUInt32LE(pos + 20), blockCount: b.readUInt32LE(pos + 24) }, place };
  }
  if (kind === KIND_FREEZE) return { rec: { kind: 'freeze', sequence }, place };
  return { rec: { kind: 'unknown', sequence, code: kind }, place };
}
