import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVALIDDISK, VIX_E_DISK_UNSUPPORTEDDISKVERSION } from '../errors/error-codes.js';
import { SECTOR } from './sparse-header.js';

// The header of an ESX(i) vmfsSparse redo log, 'COWD' (Virtual Disk Format 1.1 "COWDisk_Header";
// ../shared/reference/vmdk-format.md section 6; QEMU's VMDK3Header). 2048 bytes, little-endian,
// every field a u32. The grain directory follows at gdOffset (sector 4); grain tables of 4096
// entries are allocated on demand at freeSector, each followed by the grains it maps.

export const COWD_MAGIC = 0x44574f43; // "COWD" on disk
export const COWD_HEADER_BYTES = 2048;
export const COWD_HEADER_SECTORS = COWD_HEADER_BYTES / SECTOR;
/** Every COWD grain table has 4096 entries (16 KiB, 32 sectors), whatever the grain size. */
export const COWD_GTES_PER_GT = 4096;
export const COWD_GT_SECTORS = (COWD_GTES_PER_GT * 4) / SECTOR;
/** The technote allows grains up to 1 MB (2048 sectors); ESXi writes 1-sector grains. */
export const COWD_MAX_GRAIN_SECTORS = 2048;
/** Flags ESXi writes (meaning undocumented; libvmdk and the technote show 3). */
export const COWD_FLAGS = 3;

/** Byte offsets of the fields the engine reads or writes. */
export const COWD_OFFSET = {
  magic: 0,
  version: 4,
  flags: 8,
  numSectors: 12,
  grainSize: 16,
  gdOffset: 20,
  numGDEntries: 24,
  freeSector: 28,
  /** Base disks: cylinders, heads, sectors. Children: parentFileName[1024] then parentGeneration at 1056. */
  parentFileName: 32,
  parentGeneration: 1056,
  generation: 1060,
  name: 1064,
  description: 1124,
  savedGeneration: 1636,
  uncleanShutdown: 1648,
} as const;

export interface CowdHeader {
  version: number;
  flags: number;
  capacitySectors: number;
  grainSizeSectors: number;
  gdOffsetSectors: number;
  numGDEntries: number;
  freeSector: number;
  generation: number;
  savedGeneration: number;
  /** A u32 in COWD (a u8 in the hosted header); any non-zero value means the log was not closed. */
  uncleanShutdown: number;
}

/** Grain directory entries a capacity needs: one per 4096 grains. */
export function cowdGdEntriesFor(capacitySectors: number, grainSizeSectors: number): number {
  return Math.ceil(capacitySectors / (COWD_GTES_PER_GT * grainSizeSectors));
}

export function cowdGdSectors(numGDEntries: number): number {
  return Math.ceil((numGDEntries * 4) / SECTOR);
}

/**
 * Decode a COWD header and check what can be checked without the file: magic (16063), version 1
 * (16011), a grain size from 1 to 2048 sectors and a non-zero capacity (16063). The checks that
 * need the file size (grain directory inside the file, freeSector) are the extent's.
 */
export function decodeCowdHeader(buf: Uint8Array, what: string): CowdHeader {
  if (buf.length < COWD_HEADER_BYTES) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: file is too short for a COWD header (${buf.length} of ${COWD_HEADER_BYTES} bytes)`);
  }
  const v = new DataView(buf.buffer, buf.byteOffset, COWD_HEADER_BYTES);
  const u32 = (off: number) => v.getUint32(off, true);
  if (u32(COWD_OFFSET.magic) !== COWD_MAGIC) throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: not a vmfsSparse extent (bad magic)`);
  const version = u32(COWD_OFFSET.version);
  if (version !== 1) {
    throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `${what}: vmfsSparse (COWD) version ${version} is not supported (1 is)`);
  }
  const h: CowdHeader = {
    version,
    flags: u32(COWD_OFFSET.flags),
    capacitySectors: u32(COWD_OFFSET.numSectors),
    grainSizeSectors: u32(COWD_OFFSET.grainSize),
    gdOffsetSectors: u32(COWD_OFFSET.gdOffset),
    numGDEntries: u32(COWD_OFFSET.numGDEntries),
    freeSector: u32(COWD_OFFSET.freeSector),
    generation: u32(COWD_OFFSET.generation),
    savedGeneration: u32(COWD_OFFSET.savedGeneration),
    uncleanShutdown: u32(COWD_OFFSET.uncleanShutdown),
  };
  if (h.grainSizeSectors < 1 || h.grainSizeSectors > COWD_MAX_GRAIN_SECTORS) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: grain size ${h.grainSizeSectors} sectors is not from 1 to ${COWD_MAX_GRAIN_SECTORS}`);
  }
  if (h.capacitySectors === 0) throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: COWD header gives a capacity of 0 sectors`);
  return h;
}

/** A new child header: everything zero but the fields ESXi fills for a fresh redo log. */
export function encodeCowdHeader(h: CowdHeader): Uint8Array {
  const buf = new Uint8Array(COWD_HEADER_BYTES);
  const v = new DataView(buf.buffer);
  const set = (off: number, val: number) => v.setUint32(off, val >>> 0, true);
  set(COWD_OFFSET.magic, COWD_MAGIC);
  set(COWD_OFFSET.version, h.version);
  set(COWD_OFFSET.flags, h.flags);
  set(COWD_OFFSET.numSectors, h.capacitySectors);
  set(COWD_OFFSET.grainSize, h.grainSizeSectors);
  set(COWD_OFFSET.gdOffset, h.gdOffsetSectors);
  set(COWD_OFFSET.numGDEntries, h.numGDEntries);
  set(COWD_OFFSET.freeSector, h.freeSector);
  set(COWD_OFFSET.generation, h.generation);
  set(COWD_OFFSET.savedGeneration, h.savedGeneration);
  set(COWD_OFFSET.uncleanShutdown, h.uncleanShutdown);
  return buf;
}
