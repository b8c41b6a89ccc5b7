import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVALIDDISK, VIX_E_DISK_NEEDSREPAIR, VIX_E_DISK_UNSUPPORTEDDISKVERSION } from '../errors/error-codes.js';

// The hosted sparse extent header, 'KDMV' (Virtual Disk Format 5.0, SparseExtentHeader; layout
// in ../shared/reference/vmdk-format.md 2.1). Little-endian, 512 bytes, 64-bit fields unaligned.

export const SPARSE_MAGIC = 0x564d444b; // "KDMV" on disk
export const SECTOR = 512;
export const GD_AT_END = 0xffffffffffffffffn;

export const FLAG_VALID_NEWLINE = 0x1;
export const FLAG_REDUNDANT_GD = 0x2;
export const FLAG_ZEROED_GTE = 0x4;
export const FLAG_COMPRESSED = 0x10000;
export const FLAG_MARKERS = 0x20000;
const KNOWN_INCOMPATIBLE = FLAG_COMPRESSED | FLAG_MARKERS;

export const COMPRESSION_NONE = 0;
export const COMPRESSION_DEFLATE = 1;

/** Limits past which a header is refused (QEMU: grains ≤ 0x200000 sectors, ≤ 512 GTEs per GT, ≤ 32 Mi GDEs). */
export const MAX_GRAIN_SECTORS = 0x200000;
export const MAX_GTES_PER_GT = 512 * 64;
export const MAX_GD_ENTRIES = 32 * 1024 * 1024;
/**
 * Largest compressed grain accepted: every stream writer uses 128 sectors (open-vmdk accepts no
 * more); a reader inflates and caches whole grains, so a 1 GiB grain would let a small file claim
 * gigabytes of memory (a zlib stream inflates ~1000:1).
 */
export const MAX_COMPRESSED_GRAIN_SECTORS = 2048;

export interface SparseHeader {
  version: number;
  flags: number;
  capacitySectors: number;
  grainSizeSectors: number;
  descriptorOffsetSectors: number;
  descriptorSizeSectors: number;
  numGTEsPerGT: number;
  rgdOffsetSectors: number;
  /** -1 stands for GD_AT_END (streamOptimized header whose GD is found through the footer). */
  gdOffsetSectors: number;
  overheadSectors: number;
  uncleanShutdown: boolean;
  compressAlgorithm: number;
}

function u64(view: DataView, off: number, what: string): number {
  const v = view.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `sparse extent header field ${what} (${v}) is out of range`);
  }
  return Number(v);
}

/** Decode and validate a header. Throws VixError with the code VixDiskLib gives for each fault. */
export function decodeSparseHeader(buf: Uint8Array, what = 'sparse extent'): SparseHeader {
  if (buf.length < SECTOR) {
    // Cut off inside the header: a damaged file (like one cut before overHead), not a foreign one.
    if (buf.length >= 4 && new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true) === SPARSE_MAGIC) {
      throw new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: file is cut off inside its sparse extent header (${buf.length} of ${SECTOR} bytes)`);
    }
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: file is too short for a sparse header`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, SECTOR);
  if (view.getUint32(0, true) !== SPARSE_MAGIC) throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: not a sparse extent (bad magic)`);
  const version = view.getUint32(4, true);
  if (version < 1 || version > 3) {
    throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `${what}: sparse extent version ${version} is not supported (1 to 3 are)`);
  }
  const flags = view.getUint32(8, true);
  const incompatible = flags & 0xffff0000;
  if ((incompatible & ~KNOWN_INCOMPATIBLE) !== 0) {
    throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `${what}: unknown incompatible flags 0x${flags.toString(16)}`);
  }
  if ((flags & FLAG_MARKERS) && !(flags & FLAG_COMPRESSED)) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: markers flag set without compression`);
  }
  const gdRaw = view.getBigUint64(56, true);
  const h: SparseHeader = {
    version,
    flags,
    capacitySectors: u64(view, 12, 'capacity'),
    grainSizeSectors: u64(view, 20, 'grainSize'),
    descriptorOffsetSectors: u64(view, 28, 'descriptorOffset'),
    descriptorSizeSectors: u64(view, 36, 'descriptorSize'),
    numGTEsPerGT: view.getUint32(44, true),
    rgdOffsetSectors: u64(view, 48, 'rgdOffset'),
    gdOffsetSectors: gdRaw === GD_AT_END ? -1 : u64(view, 56, 'gdOffset'),
    overheadSectors: u64(view, 64, 'overHead'),
    uncleanShutdown: view.getUint8(72) !== 0,
    compressAlgorithm: view.getUint16(77, true),
  };
  if (flags & FLAG_VALID_NEWLINE) {
    if (buf[73] !== 0x0a || buf[74] !== 0x20 || buf[75] !== 0x0d || buf[76] !== 0x0a) {
      throw new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: header end-of-line bytes are damaged (file corrupted by CR/LF translation?)`);
    }
  }
  const g = h.grainSizeSectors;
  if (g < 1 || g > MAX_GRAIN_SECTORS || (g & (g - 1)) !== 0) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: grain size ${g} sectors is not a power of two from 1 to ${MAX_GRAIN_SECTORS}`);
  }
  const n = h.numGTEsPerGT;
  if (n < 1 || n > MAX_GTES_PER_GT || (h.capacitySectors > 0 && (n & (n - 1)) !== 0)) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: ${n} grain table entries per table is not valid`);
  }
  if (h.capacitySectors > Math.floor(Number.MAX_SAFE_INTEGER / SECTOR)) {
    // Byte offsets are plain numbers: a capacity past 2^53 bytes could not be addressed exactly.
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: capacity ${h.capacitySectors} sectors is more than 2^53 bytes`);
  }
  if ((flags & FLAG_COMPRESSED) && g > MAX_COMPRESSED_GRAIN_SECTORS) {
    throw new VixError(VIX_E_DISK_INVALIDDISK,
      `${what}: grain size ${g} sectors is larger than the ${MAX_COMPRESSED_GRAIN_SECTORS} a compressed grain may have`);
  }
  if (h.capacitySectors > 0 && gdEntryCount(h) > MAX_GD_ENTRIES) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: capacity ${h.capacitySectors} sectors needs more grain directory entries than allowed`);
  }
  if ((flags & FLAG_COMPRESSED) && h.compressAlgorithm !== COMPRESSION_DEFLATE) {
    throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `${what}: compression algorithm ${h.compressAlgorithm} is not supported`);
  }
  return h;
}

export function encodeSparseHeader(h: SparseHeader): Buffer {
  const buf = Buffer.alloc(SECTOR);
  const view = new DataView(buf.buffer, buf.byteOffset, SECTOR);
  view.setUint32(0, SPARSE_MAGIC, true);
  view.setUint32(4, h.version, true);
  view.setUint32(8, h.flags, true);
  view.setBigUint64(12, BigInt(h.capacitySectors), true);
  view.setBigUint64(20, BigInt(h.grainSizeSectors), true);
  view.setBigUint64(28, BigInt(h.descriptorOffsetSectors), true);
  view.setBigUint64(36, BigInt(h.descriptorSizeSectors), true);
  view.setUint32(44, h.numGTEsPerGT, true);
  view.setBigUint64(48, BigInt(h.rgdOffsetSectors), true);
  view.setBigUint64(56, h.gdOffsetSectors < 0 ? GD_AT_END : BigInt(h.gdOffsetSectors), true);
  view.setBigUint64(64, BigInt(h.overheadSectors), true);
  buf[72] = h.uncleanShutdown ? 1 : 0;
  buf[73] = 0x0a;
  buf[74] = 0x20;
  buf[75] = 0x0d;
  buf[76] = 0x0a;
  view.setUint16(77, h.compressAlgorithm, true);
  return buf;
}

/** Sectors one grain table covers. */
export function gtCoverageSectors(h: SparseHeader): number {
  return h.numGTEsPerGT * h.grainSizeSectors;
}

export function gdEntryCount(h: SparseHeader): number {
  return Math.ceil(h.capacitySectors / gtCoverageSectors(h));
}

/** Sectors a grain directory or one grain table occupies on disk. */
export function gdSizeSectors(h: SparseHeader): number {
  return Math.ceil((gdEntryCount(h) * 4) / SECTOR);
}
export function gtSizeSectors(h: SparseHeader): number {
  return Math.ceil((h.numGTEsPerGT * 4) / SECTOR);
}
