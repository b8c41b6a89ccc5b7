import { VixError } from '../errors/vix-error.js';
import {
  VIX_E_DISK_INVALIDDISK, VIX_E_DISK_NEEDSREPAIR, VIX_E_DISK_UNSUPPORTEDDISKVERSION,
} from '../errors/error-codes.js';
import { SECTOR } from './sparse-header.js';

// The two headers of an ESXi seSparse (space-efficient sparse) extent. VMware does not document
// the format; the layout is the one QEMU's read-only driver implements ("strict checks - format
// not officially documented", block/vmdk.c), from Sam Eiderman's black-box study posted with it
// (qemu-devel, April 2019), which dissect.hypervisor and xen-orchestra agree with. See
// ../shared/reference/vmdk-format.md section 7. Every field is a little-endian u64; regions are
// (offset, size) pairs in sectors.

export const SESPARSE_MAGIC = 0xcafebaben;
export const SESPARSE_VOLATILE_MAGIC = 0xcafecafen;
/** Version "2.1": 0x0000000200000001. */
export const SESPARSE_VERSION = 0x200000001n;
/** The only grain size and grain table size QEMU (and so far ESXi) use: 4 KiB grains, 4096-entry tables. */
export const SESPARSE_GRAIN_SECTORS = 8;
export const SESPARSE_GT_SECTORS = 64;
export const SESPARSE_GTES_PER_GT = (SESPARSE_GT_SECTORS * SECTOR) / 8;
/** ESXi's limit is a little under 64 TB; QEMU's comment says the same. */
export const SESPARSE_MAX_CAPACITY_SECTORS = 2 ** 37;
/** ESXi rounds every metadata region up to 2048 sectors (1 MiB), as its hostd log shows. */
export const SESPARSE_REGION_ALIGN = 2048;

export interface SeSparseRegion {
  offsetSectors: number;
  sizeSectors: number;
}

export interface SeSparseConstHeader {
  capacitySectors: number;
  grainSizeSectors: number;
  grainTableSizeSectors: number;
  volatileHeader: SeSparseRegion;
  journalHeader: SeSparseRegion;
  journal: SeSparseRegion;
  grainDirectory: SeSparseRegion;
  grainTables: SeSparseRegion;
  freeBitmap: SeSparseRegion;
  backmap: SeSparseRegion;
  grains: SeSparseRegion;
}

export interface SeSparseVolatileHeader {
  /** Grain tables handed out so far: the next new table gets this index. */
  freeGtNumber: number;
  nextTxnSeqNumber: bigint;
  replayJournal: bigint;
}

const REGION_FIELDS: Array<[keyof SeSparseConstHeader, number, string]> = [
  ['volatileHeader', 80, 'volatile header'],
  ['journalHeader', 96, 'journal header'],
  ['journal', 112, 'journal'],
  ['grainDirectory', 128, 'grain directory'],
  ['grainTables', 144, 'grain tables'],
  ['freeBitmap', 160, 'free bitmap'],
  ['backmap', 176, 'backmap'],
  ['grains', 192, 'grains'],
];

/** Region names in file order, for messages and the consistency check. */
export function seSparseRegions(h: SeSparseConstHeader): Array<{ name: string; region: SeSparseRegion }> {
  return REGION_FIELDS.map(([key, , name]) => ({ name, region: h[key] as SeSparseRegion }));
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** Grain tables a capacity needs (each maps 4096 grains of 4 KiB: 16 MiB). */
export function seSparseTablesFor(capacitySectors: number): number {
  return Math.ceil(capacitySectors / (SESPARSE_GTES_PER_GT * SESPARSE_GRAIN_SECTORS));
}

/**
 * Decode and check the constant header (sector 0), as strictly as QEMU: magic (16063), version
 * 2.1, grain size 8, grain table size 64, flags, reserved fields and padding zero (16011, a format
 * variant we do not know). Then what QEMU does not check: the capacity and that the regions are
 * ordered and do not overlap (16006).
 */
export function decodeSeSparseConstHeader(buf: Uint8Array, what: string): SeSparseConstHeader {
  if (buf.length < SECTOR) throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: file is too short for a seSparse header`);
  const v = new DataView(buf.buffer, buf.byteOffset, SECTOR);
  const raw = (off: number) => v.getBigUint64(off, true);
  if (raw(0) !== SESPARSE_MAGIC) throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: not a seSparse extent (bad magic)`);
  const version = raw(8);
  if (version !== SESPARSE_VERSION) {
    throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION,
      `${what}: seSparse version ${version >> 32n}.${version & 0xffffffffn} is not supported (2.1 is)`);
  }
  const unsupported = (msg: string) => new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `${what}: ${msg}`);
  if (raw(24) !== BigInt(SESPARSE_GRAIN_SECTORS)) throw unsupported(`grain size ${raw(24)} sectors is not supported (ESXi writes ${SESPARSE_GRAIN_SECTORS})`);
  if (raw(32) !== BigInt(SESPARSE_GT_SECTORS)) throw unsupported(`grain table size ${raw(32)} sectors is not supported (ESXi writes ${SESPARSE_GT_SECTORS})`);
  if (raw(40) !== 0n) throw unsupported(`unknown flags 0x${raw(40).toString(16)}`);
  if (raw(48) | raw(56) | raw(64) | raw(72)) throw unsupported('reserved header fields are not zero');
  if (!isZero(buf.subarray(208, SECTOR))) throw unsupported('header padding is not zero');
  const num = (off: number, name: string) => {
    const x = raw(off);
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: seSparse header field ${name} (${x}) is out of range`);
    return Number(x);
  };
  const capacityRaw = raw(16);
  if (capacityRaw === 0n || capacityRaw > BigInt(SESPARSE_MAX_CAPACITY_SECTORS)) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${what}: capacity ${capacityRaw} sectors is not from 1 sector to 64 TiB`);
  }
  const capacitySectors = Number(capacityRaw);
  const region = (off: number, name: string): SeSparseRegion => ({
    offsetSectors: num(off, `${name} offset`),
    sizeSectors: num(off + 8, `${name} size`),
  });
  const h: SeSparseConstHeader = {
    capacitySectors,
    grainSizeSectors: SESPARSE_GRAIN_SECTORS,
    grainTableSizeSectors: SESPARSE_GT_SECTORS,
    volatileHeader: region(80, 'volatile header'),
    journalHeader: region(96, 'journal header'),
    journal: region(112, 'journal'),
    grainDirectory: region(128, 'grain directory'),
    grainTables: region(144, 'grain tables'),
    freeBitmap: region(160, 'free bitmap'),
    backmap: region(176, 'backmap'),
    grains: region(192, 'grains'),
  };
  checkRegions(h, what);
  return h;
}

function checkRegions(h: SeSparseConstHeader, what: string): void {
  const bad = (msg: string) => new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: ${msg}`);
  for (const { name, region } of [
    { name: 'volatile header', region: h.volatileHeader },
    { name: 'grain directory', region: h.grainDirectory },
    { name: 'grain tables', region: h.grainTables },
    { name: 'grains', region: h.grains },
  ]) {
    if (region.sizeSectors === 0) throw bad(`the ${name} region is empty`);
  }
  // Every region after the constant header (sector 0), none overlapping another.
  const list = seSparseRegions(h).filter((r) => r.region.sizeSectors > 0)
    .sort((a, b) => a.region.offsetSectors - b.region.offsetSectors);
  let prevEnd = 1;
  let prevName = 'constant header';
  for (const { name, region } of list) {
    if (region.offsetSectors < prevEnd) throw bad(`the ${name} region (sector ${region.offsetSectors}) overlaps the ${prevName}`);
    prevEnd = region.offsetSectors + region.sizeSectors;
    prevName = `${name} region`;
  }
  if (h.grainTables.sizeSectors % SESPARSE_GT_SECTORS !== 0) throw bad(`the grain tables region (${h.grainTables.sizeSectors} sectors) is not a whole number of tables`);
  const tables = seSparseTablesFor(h.capacitySectors);
  if (h.grainDirectory.sizeSectors * (SECTOR / 8) < tables) {
    throw bad(`the grain directory (${h.grainDirectory.sizeSectors} sectors) has fewer than the ${tables} entries ${h.capacitySectors} sectors need`);
  }
}

export function encodeSeSparseConstHeader(h: SeSparseConstHeader): Uint8Array {
  const buf = new Uint8Array(SECTOR);
  const v = new DataView(buf.buffer);
  v.setBigUint64(0, SESPARSE_MAGIC, true);
  v.setBigUint64(8, SESPARSE_VERSION, true);
  v.setBigUint64(16, BigInt(h.capacitySectors), true);
  v.setBigUint64(24, BigInt(h.grainSizeSectors), true);
  v.setBigUint64(32, BigInt(h.grainTableSizeSectors), true);
  for (const [key, off] of REGION_FIELDS) {
    const r = h[key] as SeSparseRegion;
    v.setBigUint64(off, BigInt(r.offsetSectors), true);
    v.setBigUint64(off + 8, BigInt(r.sizeSectors), true);
  }
  return buf;
}

/**
 * Decode the volatile header. A bad magic is damage (16006); a journal waiting to be replayed is
 * refused (16006) with the way out, since only ESXi knows the journal's format; non-zero padding
 * is a variant we do not know (16011), as in QEMU.
 */
export function decodeSeSparseVolatileHeader(buf: Uint8Array, what: string): SeSparseVolatileHeader {
  const v = new DataView(buf.buffer, buf.byteOffset, SECTOR);
  if (v.getBigUint64(0, true) !== SESPARSE_VOLATILE_MAGIC) {
    throw new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: the seSparse volatile header is damaged (bad magic 0x${v.getBigUint64(0, true).toString(16)})`);
  }
  const replayJournal = v.getBigUint64(24, true);
  if (replayJournal !== 0n) {
    throw new VixError(VIX_E_DISK_NEEDSREPAIR,
      `${what}: the seSparse journal must be replayed (ESXi did not close the snapshot cleanly); open the VM on ESXi once, or consolidate its snapshots there, then try again`);
  }
  if (!isZero(buf.subarray(32, SECTOR))) {
    throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `${what}: seSparse volatile header padding is not zero`);
  }
  const free = v.getBigUint64(8, true);
  if (free > BigInt(Number.MAX_SAFE_INTEGER)) throw new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: free grain table number ${free} is out of range`);
  return { freeGtNumber: Number(free), nextTxnSeqNumber: v.getBigUint64(16, true), replayJournal };
}

export function encodeSeSparseVolatileHeader(h: SeSparseVolatileHeader): Uint8Array {
  const buf = new Uint8Array(SECTOR);
  const v = new DataView(buf.buffer);
  v.setBigUint64(0, SESPARSE_VOLATILE_MAGIC, true);
  v.setBigUint64(8, BigInt(h.freeGtNumber), true);
  v.setBigUint64(16, h.nextTxnSeqNumber, true);
  v.setBigUint64(24, h.replayJournal, true);
  return buf;
}

/**
 * The layout ESXi gives a new seSparse extent of `capacitySectors`, from the hostd log quoted in
 * the QEMU patch (a 204800-sector disk: volatile header <1:1>, journal header <2:2>, journal
 * <2048:2048>, grain directory <4096:2048>, grain tables <6144:2048>, free bitmap <8192:2048>,
 * backmap <10240:2048>, grains <12288:204800>) and the sizes that patch derived from it:
 *  - grain directory: one u64 per grain table the capacity needs, rounded up to 2048 sectors;
 *  - grain tables: 64 sectors per table needed, rounded up to 2048 sectors;
 *  - free bitmap: one bit per grain, rounded up to 2048 sectors;
 *  - backmap: as large as the grain tables region (one u64 per grain);
 *  - grains: as many sectors as the capacity (every grain can be stored once).
 * The patch counted tables by rounding down; we round up, so the last, partial table has a place.
 */
export function seSparseLayout(capacitySectors: number): SeSparseConstHeader {
  const align = (n: number) => Math.max(SESPARSE_REGION_ALIGN, Math.ceil(n / SESPARSE_REGION_ALIGN) * SESPARSE_REGION_ALIGN);
  const tables = seSparseTablesFor(capacitySectors);
  const gdSectors = align(Math.ceil((tables * 8) / SECTOR));
  const gtSectors = align(tables * SESPARSE_GT_SECTORS);
  const grains = Math.ceil(capacitySectors / SESPARSE_GRAIN_SECTORS);
  const bitmapSectors = align(Math.ceil(grains / 8 / SECTOR));
  const gdOffset = 4096;
  const gtOffset = gdOffset + gdSectors;
  const bitmapOffset = gtOffset + gtSectors;
  const backmapOffset = bitmapOffset + bitmapSectors;
  return {
    capacitySectors,
    grainSizeSectors: SESPARSE_GRAIN_SECTORS,
    grainTableSizeSectors: SESPARSE_GT_SECTORS,
    volatileHeader: { offsetSectors: 1, sizeSectors: 1 },
    journalHeader: { offsetSectors: 2, sizeSectors: 2 },
    journal: { offsetSectors: 2048, sizeSectors: 2048 },
    grainDirectory: { offsetSectors: gdOffset, sizeSectors: gdSectors },
    grainTables: { offsetSectors: gtOffset, sizeSectors: gtSectors },
    freeBitmap: { offsetSectors: bitmapOffset, sizeSectors: bitmapSectors },
    backmap: { offsetSectors: backmapOffset, sizeSectors: gtSectors },
    grains: { offsetSectors: backmapOffset + gtSectors, sizeSectors: grains * SESPARSE_GRAIN_SECTORS },
  };
}
