import { open, type FileHandle } from 'node:fs/promises';
import { readAt, writeAt } from '../block/file-io.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_FULL, VIX_E_DISK_NEEDSREPAIR } from '../errors/error-codes.js';
import { AllocatingExtent } from './allocating-extent.js';
import type { AbsentRange, BackingReader, ExtentIo, ExtentRun } from './extent.js';
import { addAbsent, addFileRun, addStatus, coalesceWrites, readRuns, reportOverlaps, type FileRun } from './extent-regions.js';
import { GrainTableCache } from './grain-table-cache.js';
import {
  decodeSeSparseConstHeader, decodeSeSparseVolatileHeader, encodeSeSparseConstHeader, encodeSeSparseVolatileHeader,
  SESPARSE_GRAIN_SECTORS, SESPARSE_GT_SECTORS, SESPARSE_GTES_PER_GT, seSparseLayout, seSparseRegions, seSparseTablesFor,
  type SeSparseConstHeader, type SeSparseVolatileHeader,
} from './sesparse-header.js';
import { SECTOR } from './sparse-header.js';

// ESXi seSparse extent (vmdk-format.md section 7; QEMU block/vmdk.c). A grain directory of u64
// entries, each 0 (no table) or 0x1000_0000 in the high half with a grain table *index* in the low
// half; the table sits at grain_tables_offset + index * 64 sectors. A grain table holds 4096 u64
// entries whose top nibble is a type:
//   0  not allocated here: read the parent (the whole entry must be 0)
//   1  unmapped by the guest (SCSI UNMAP): reads as zeros. The rest of the entry still names the
//      grain it used to map, kept for ESXi's space reclamation. QEMU and xen-orchestra read zeros,
//      and so does the guest on ESXi (Eiderman's study: "guest sees a zero grain"); dissect's
//      falling through to the parent would bring back parent data the guest had discarded.
//   2  zero grain: reads as zeros
//   3  allocated: grain index = bits 48..59 | bits 0..47 << 12; the grain sits at
//      grains_offset + index * 8 sectors
//   other types are damage.
//
// Writing (QEMU cannot): new grains take the next index of the grains region (the region grows
// with the file, so the next index follows from the file size; it may grow past its nominal size,
// see seSparseGrainLimit, because space left by an interrupted write is not reclaimed, nor are
// unmapped grains, whose old slot ESXi may have handed to another grain); a new table takes the
// index the volatile header's free_gt_number gives, and free_gt_number is moved on before the
// table is linked. ESXi's free bitmap, backmap and journal are undocumented and are neither read nor
// written: QEMU, dissect and xen-orchestra ignore them too. A file vixdisk has written reads back
// through those readers; whether ESXi's space reclamation accepts it has not been verified.

const CACHED_TABLES = 512; // 512 x 32 KiB = 16 MiB
const GD_ALLOCATED = 0x10000000;
const TYPE_UNALLOCATED = 0;
const TYPE_UNMAPPED = 1;
const TYPE_ZERO = 2;
const TYPE_ALLOCATED = 3;
const ZERO_ENTRY_HI = TYPE_ZERO << 28;
/** A table entry as two u32 halves (lo at 2i, hi at 2i+1): avoids BigInt on every lookup. */
type Table = Uint32Array;

function needsRepair(what: string, msg: string): VixError {
  return new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: ${msg}`);
}

/** The grain index of an allocated (type 3) entry; may exceed 2^53 for garbage (callers bound it). */
export function seSparseGrainIndex(lo: number, hi: number): number {
  return ((hi >>> 16) & 0xfff) + ((hi & 0xffff) * 2 ** 32 + lo) * 4096;
}

/** An allocated (type 3) entry for grain index `index` (< 2^44), as [lo, hi]. */
export function seSparseAllocatedEntry(index: number): [number, number] {
  const rest = Math.floor(index / 4096);
  const lo = rest % 2 ** 32;
  const hi = ((TYPE_ALLOCATED << 28) | ((index % 4096) << 16) | (Math.floor(rest / 2 ** 32) & 0xffff)) >>> 0;
  return [lo, hi];
}

/**
 * How many grains the grains region can hold. Its size is nominal: ESXi sizes it to the capacity
 * (every grain once) but a delta that has been rewritten after unmaps, or has space left by an
 * interrupted write, needs more, and QEMU reads any index. So the region may grow until it would
 * reach another region placed after it (none in ESXi's layout), and at most to 2^41 grains (byte
 * offsets stay exact numbers).
 */
export function seSparseGrainLimit(h: SeSparseConstHeader): number {
  let limit = 2 ** 41;
  const start = h.grains.offsetSectors;
  for (const { region } of seSparseRegions(h)) {
    if (region.sizeSectors > 0 && region.offsetSectors > start) {
      limit = Math.min(limit, Math.floor((region.offsetSectors - start) / SESPARSE_GRAIN_SECTORS));
    }
  }
  return limit;
}

interface TouchedTable {
  table: Table;
  isNew: boolean;
  gtIndex: number;
  /** [index in table, lo, hi] */
  pending: Array<[number, number, number]>;
}

export class SeSparseExtent extends AllocatingExtent implements ExtentIo {
  readonly sizeBytes: number;
  readonly header: SeSparseConstHeader;
  readonly volatile: SeSparseVolatileHeader;
  /** Grain directory entries the capacity needs, as lo/hi u32 pairs. */
  readonly gd: Uint32Array;
  readonly fileSizeBytes: number;
  private readonly grainBytes = SESPARSE_GRAIN_SECTORS * SECTOR;
  private readonly gtCapacity: number;
  /**
   * Grain indices below this fit: up to the next region after the grains region, if any (in
   * ESXi's layout the grains region is last, and grows with the file like QEMU assumes).
   */
  private readonly grainLimit: number;
  private readonly tables = new GrainTableCache<Table>(CACHED_TABLES);
  private fileSectors: number;
  private nextGrainIndex: number;
  private nextGtIndex: number;

  private constructor(
    fh: FileHandle,
    what: string,
    header: SeSparseConstHeader,
    volatile: SeSparseVolatileHeader,
    sizeBytes: number,
    writable: boolean,
    gd: Uint32Array,
    fileSizeBytes: number,
    maxGtIndex: number,
  ) {
    super(fh, what, writable);
    this.header = header;
    this.volatile = volatile;
    this.sizeBytes = sizeBytes;
    this.gd = gd;
    this.fileSizeBytes = fileSizeBytes;
    this.fileSectors = Math.floor(fileSizeBytes / SECTOR);
    this.gtCapacity = Math.floor(header.grainTables.sizeSectors / SESPARSE_GT_SECTORS);
    this.grainLimit = seSparseGrainLimit(header);
    const grainsStart = header.grains.offsetSectors * SECTOR;
    // Valid table entries point inside the file, so the file's end is past every grain in use.
    this.nextGrainIndex = Math.max(0, Math.ceil((fileSizeBytes - grainsStart) / this.grainBytes));
    // free_gt_number is moved on before a table is linked; a table past it means another writer
    // linked first: never hand out an index in use.
    this.nextGtIndex = Math.max(volatile.freeGtNumber, maxGtIndex + 1);
  }

  static async open(fh: FileHandle, what: string, sizeSectors: number | undefined, writable: boolean): Promise<SeSparseExtent> {
    const { size: fileSizeBytes } = await fh.stat();
    const fileSectors = Math.floor(fileSizeBytes / SECTOR);
    if (fileSectors < 2) throw needsRepair(what, `file is ${fileSizeBytes} bytes, too short for the seSparse headers`);
    const first = new Uint8Array(SECTOR);
    await readAt(fh, first, 0);
    const h = decodeSeSparseConstHeader(first, what);
    const size = sizeSectors ?? h.capacitySectors;
    if (h.capacitySectors < size) {
      throw needsRepair(what, `seSparse capacity ${h.capacitySectors} sectors is smaller than the ${size} sectors the descriptor gives the extent`);
    }
    if (h.volatileHeader.offsetSectors + 1 > fileSectors) throw needsRepair(what, `the volatile header lies past the end of the file (${fileSectors} sectors)`);
    const vbuf = new Uint8Array(SECTOR);
    await readAt(fh, vbuf, h.volatileHeader.offsetSectors * SECTOR);
    const vol = decodeSeSparseVolatileHeader(vbuf, what);
    const gtCapacity = Math.floor(h.grainTables.sizeSectors / SESPARSE_GT_SECTORS);
    if (vol.freeGtNumber > gtCapacity) {
      throw needsRepair(what, `free grain table number ${vol.freeGtNumber} is past the ${gtCapacity} tables the grain tables region holds`);
    }
    const entries = seSparseTablesFor(h.capacitySectors);
    const gdBytes = entries * 8;
    if (h.grainDirectory.offsetSectors * SECTOR + gdBytes > fileSizeBytes) {
      throw needsRepair(what, `the grain directory (sector ${h.grainDirectory.offsetSectors}, ${entries} entries) lies past the end of the file (${fileSectors} sectors)`);
    }
    const bytes = new Uint8Array(gdBytes);
    await readAt(fh, bytes, h.grainDirectory.offsetSectors * SECTOR);
    const gd = new Uint32Array(bytes.buffer, 0, entries * 2);
    const seen = new Set<number>();
    let maxGt = -1;
    for (let i = 0; i < entries; i++) {
      const lo = gd[2 * i]!;
      const hi = gd[2 * i + 1]!;
      if (lo === 0 && hi === 0) continue;
      if (hi !== GD_ALLOCATED) {
        throw needsRepair(what, `grain directory entry ${i} (0x${hex64(lo, hi)}) is neither empty nor an allocated table`);
      }
      if (lo >= gtCapacity) throw needsRepair(what, `grain directory entry ${i} names grain table ${lo}, past the ${gtCapacity} the region holds`);
      const end = h.grainTables.offsetSectors + (lo + 1) * SESPARSE_GT_SECTORS;
      if (end > fileSectors) throw needsRepair(what, `grain table ${lo} (entry ${i}) lies past the end of the file (${fileSectors} sectors)`);
      if (seen.has(lo)) throw needsRepair(what, `grain directory entries share grain table ${lo}`);
      seen.add(lo);
      maxGt = Math.max(maxGt, lo);
    }
    return new SeSparseExtent(fh, what, h, vol, size * SECTOR, writable, gd, fileSizeBytes, maxGt);
  }

  /**
   * Create a new, empty seSparse extent file with ESXi's layout (seSparseLayout): the file covers
   * every metadata region (as holes) and grows from the grains region. Volatile header first,
   * constant header last, so a cut-short file is never taken for a valid extent.
   */
  static async createFile(path: string, capacitySectors: number): Promise<void> {
    const layout = seSparseLayout(capacitySectors);
    const fh = await open(path, 'wx');
    try {
      await fh.truncate(layout.grains.offsetSectors * SECTOR);
      await writeAt(fh, encodeSeSparseVolatileHeader({ freeGtNumber: 0, nextTxnSeqNumber: 0n, replayJournal: 0n }),
        layout.volatileHeader.offsetSectors * SECTOR);
      await fh.datasync();
      await writeAt(fh, encodeSeSparseConstHeader(layout), 0);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Bytes of directory kept in memory while open (a chain's budget counts them). */
  get metadataBytes(): number {
    return this.gd.byteLength;
  }

  get grainSizeSectors(): number {
    return SESPARSE_GRAIN_SECTORS;
  }

  /** Grain table `gdIndex`, validated (lo/hi pairs), or null when the directory entry is empty. */
  table(gdIndex: number): Promise<Table | null> {
    return this.tables.get(gdIndex, () => this.loadTable(gdIndex));
  }

  private gtByteOffset(gtIndex: number): number {
    return (this.header.grainTables.offsetSectors + gtIndex * SESPARSE_GT_SECTORS) * SECTOR;
  }

  private async loadTable(gdIndex: number): Promise<Table | null> {
    if (this.gd[2 * gdIndex + 1] !== GD_ALLOCATED) return null;
    const gtIndex = this.gd[2 * gdIndex]!;
    const bytes = new Uint8Array(SESPARSE_GTES_PER_GT * 8);
    await readAt(this.fh, bytes, this.gtByteOffset(gtIndex));
    const t = new Uint32Array(bytes.buffer, 0, SESPARSE_GTES_PER_GT * 2);
    const grainsStart = this.header.grains.offsetSectors;
    for (let i = 0; i < SESPARSE_GTES_PER_GT; i++) {
      const lo = t[2 * i]!;
      const hi = t[2 * i + 1]!;
      const type = hi >>> 28;
      const grain = gdIndex * SESPARSE_GTES_PER_GT + i;
      if (type === TYPE_UNALLOCATED) {
        if (lo !== 0 || hi !== 0) throw needsRepair(this.what, `grain ${grain}: unallocated entry 0x${hex64(lo, hi)} is not zero`);
      } else if (type === TYPE_ALLOCATED) {
        const index = seSparseGrainIndex(lo, hi);
        if (grainsStart + (index + 1) * SESPARSE_GRAIN_SECTORS > this.fileSectors) {
          throw needsRepair(this.what, `grain ${grain} maps grain index ${index}, past the end of the file (${this.fileSectors} sectors)`);
        }
        if (index >= this.grainLimit) {
          throw needsRepair(this.what, `grain ${grain} maps grain index ${index}, which overlaps the region after the grains`);
        }
      } else if (type !== TYPE_UNMAPPED && type !== TYPE_ZERO) {
        throw needsRepair(this.what, `grain ${grain}: entry 0x${hex64(lo, hi)} has unknown type ${type}`);
      }
    }
    return t;
  }

  /** Walk [offset, offset+length) grain by grain: `fn(pos, n, lo, hi)` per piece of one grain. */
  private async walk(offset: number, length: number, fn: (pos: number, n: number, lo: number, hi: number) => void): Promise<void> {
    const end = offset + length;
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const gdIndex = Math.floor(grain / SESPARSE_GTES_PER_GT);
      const t = await this.table(gdIndex);
      const tableEnd = Math.min(end, (gdIndex + 1) * SESPARSE_GTES_PER_GT * this.grainBytes);
      for (let g = grain; pos < tableEnd; g++) {
        const n = Math.min((g + 1) * this.grainBytes, tableEnd) - pos;
        const i = g % SESPARSE_GTES_PER_GT;
        fn(pos, n, t ? t[2 * i]! : 0, t ? t[2 * i + 1]! : 0);
        pos += n;
      }
    }
  }

  private grainFileOffset(lo: number, hi: number): number {
    return (this.header.grains.offsetSectors + seSparseGrainIndex(lo, hi) * SESPARSE_GRAIN_SECTORS) * SECTOR;
  }

  async read(offset: number, buffer: Uint8Array): Promise<AbsentRange[]> {
    const absent: AbsentRange[] = [];
    const runs: FileRun[] = [];
    await this.walk(offset, buffer.length, (pos, n, lo, hi) => {
      const bufOff = pos - offset;
      const type = hi >>> 28;
      if (type === TYPE_UNALLOCATED) addAbsent(absent, bufOff, n);
      else if (type === TYPE_ALLOCATED) addFileRun(runs, bufOff, this.grainFileOffset(lo, hi) + (pos % this.grainBytes), n);
      else buffer.fill(0, bufOff, bufOff + n); // zero grain, or unmapped (see the top of this file)
    });
    await readRuns(this.fh, buffer, runs);
    return absent;
  }

  protected async planDirect(offset: number, length: number): Promise<FileRun[] | null> {
    const runs: FileRun[] = [];
    let missing = false;
    await this.walk(offset, length, (pos, n, lo, hi) => {
      if (hi >>> 28 !== TYPE_ALLOCATED) missing = true;
      else addFileRun(runs, pos - offset, this.grainFileOffset(lo, hi) + (pos % this.grainBytes), n);
    });
    return missing ? null : runs;
  }

  /** The table for `gdIndex` in a write: loaded, or a new one with the next free table index. */
  private async touch(touched: Map<number, TouchedTable>, gdIndex: number): Promise<TouchedTable> {
    let tt = touched.get(gdIndex);
    if (tt) return tt;
    const existing = await this.table(gdIndex);
    if (existing) {
      tt = { table: existing, isNew: false, gtIndex: this.gd[2 * gdIndex]!, pending: [] };
    } else {
      if (this.nextGtIndex >= this.gtCapacity) {
        throw new VixError(VIX_E_DISK_FULL, `${this.what}: the grain tables region is full (${this.gtCapacity} tables)`);
      }
      tt = { table: new Uint32Array(SESPARSE_GTES_PER_GT * 2), isNew: true, gtIndex: this.nextGtIndex++, pending: [] };
    }
    touched.set(gdIndex, tt);
    return tt;
  }

  /**
   * A write that allocates grains, maybe tables. Crash order: grain data (appended to the grains
   * region), then free_gt_number past any new table, then new tables written whole, then entries
   * of existing tables, then directory entries. Killed at any point, the extent opens and each
   * grain reads its old or its new bytes; a table index or grain space may be left unused.
   */
  protected async writeAllocating(offset: number, data: Uint8Array, backing: BackingReader): Promise<void> {
    const end = offset + data.length;
    const dataWrites: Array<{ fileOff: number; bytes: Uint8Array }> = [];
    const touched = new Map<number, TouchedTable>();
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const grainStart = grain * this.grainBytes;
      const inGrain = pos - grainStart;
      const n = Math.min(this.grainBytes - inGrain, end - pos);
      const bufOff = pos - offset;
      const gdIndex = Math.floor(grain / SESPARSE_GTES_PER_GT);
      const idx = grain % SESPARSE_GTES_PER_GT;
      const tt = await this.touch(touched, gdIndex);
      const lo = tt.table[2 * idx]!;
      const hi = tt.table[2 * idx + 1]!;
      const type = hi >>> 28;
      if (type === TYPE_ALLOCATED) {
        dataWrites.push({ fileOff: this.grainFileOffset(lo, hi) + inGrain, bytes: data.subarray(bufOff, bufOff + n) });
      } else {
        let bytes: Uint8Array;
        if (n === this.grainBytes) {
          bytes = data.subarray(bufOff, bufOff + n);
        } else {
          bytes = new Uint8Array(this.grainBytes);
          // Below an unallocated grain is the parent; a zero or unmapped grain reads as zeros.
          if (type === TYPE_UNALLOCATED) await backing(grainStart, bytes.subarray(0, Math.min(this.grainBytes, this.sizeBytes - grainStart)));
          bytes.set(data.subarray(bufOff, bufOff + n), inGrain);
        }
        const index = this.allocateGrain();
        dataWrites.push({ fileOff: (this.header.grains.offsetSectors + index * SESPARSE_GRAIN_SECTORS) * SECTOR, bytes });
        const [elo, ehi] = seSparseAllocatedEntry(index);
        tt.pending.push([idx, elo, ehi]);
      }
      pos += n;
    }
    // 1. Grain data.
    await Promise.all(coalesceWrites(dataWrites).map((w) => writeAt(this.fh, w.bytes, w.fileOff)));
    this.fileSectors = Math.max(this.fileSectors, this.header.grains.offsetSectors + this.nextGrainIndex * SESPARSE_GRAIN_SECTORS);
    await this.commitTables(touched);
  }

  private allocateGrain(): number {
    if (this.nextGrainIndex >= this.grainLimit) {
      throw new VixError(VIX_E_DISK_FULL, `${this.what}: no room for another grain before the next region (${this.grainLimit} grains)`);
    }
    return this.nextGrainIndex++;
  }

  /** Steps 2 to 5 of a metadata change: free_gt_number, new tables, changed entries, directory. */
  private async commitTables(touched: Map<number, TouchedTable>): Promise<void> {
    const newTables = [...touched.entries()].filter(([, tt]) => tt.isNew);
    if (newTables.length && this.nextGtIndex > this.volatile.freeGtNumber) {
      this.volatile.freeGtNumber = this.nextGtIndex;
      await writeAt(this.fh, encodeSeSparseVolatileHeader(this.volatile), this.header.volatileHeader.offsetSectors * SECTOR);
    }
    const tableWrites: Array<Promise<void>> = [];
    for (const [, tt] of touched) {
      let lo = SESPARSE_GTES_PER_GT;
      let hi = -1;
      for (const [idx, elo, ehi] of tt.pending) {
        tt.table[2 * idx] = elo;
        tt.table[2 * idx + 1] = ehi;
        lo = Math.min(lo, idx);
        hi = Math.max(hi, idx);
      }
      const at = this.gtByteOffset(tt.gtIndex);
      if (tt.isNew) {
        tableWrites.push(writeAt(this.fh, new Uint8Array(tt.table.buffer, tt.table.byteOffset, tt.table.byteLength), at));
      } else if (hi >= lo) {
        tableWrites.push(writeAt(this.fh, new Uint8Array(tt.table.buffer, tt.table.byteOffset + lo * 8, (hi - lo + 1) * 8), at + lo * 8));
      }
    }
    await Promise.all(tableWrites);
    if (newTables.length) {
      for (const [gdIndex, tt] of newTables) {
        this.gd[2 * gdIndex] = tt.gtIndex;
        this.gd[2 * gdIndex + 1] = GD_ALLOCATED;
      }
      const lo = Math.min(...newTables.map(([i]) => i));
      const hi = Math.max(...newTables.map(([i]) => i));
      await writeAt(this.fh, new Uint8Array(this.gd.buffer, this.gd.byteOffset + lo * 8, (hi - lo + 1) * 8),
        this.header.grainDirectory.offsetSectors * SECTOR + lo * 8);
    }
    for (const [gdIndex, tt] of touched) this.tables.set(gdIndex, tt.table);
  }

  /**
   * Zeroing: whole grains that would show the parent become zero grains (type 2, no data); grains
   * stored here get zeros written in place; pieces of grains are written as zeros.
   */
  async zero(offset: number, length: number, hasBacking: boolean, backing: BackingReader): Promise<void> {
    this.checkWritable();
    const marks: number[] = [];
    const partial: Array<[number, number]> = [];
    const inPlace: Array<[number, number]> = [];
    await this.walk(offset, length, (pos, n, _lo, hi) => {
      const type = hi >>> 28;
      if (type === TYPE_UNMAPPED || type === TYPE_ZERO) return;
      if (type === TYPE_UNALLOCATED && !hasBacking) return;
      if (type === TYPE_ALLOCATED) inPlace.push([pos, n]);
      else if (n === this.grainBytes || (pos + n === this.sizeBytes && pos % this.grainBytes === 0)) marks.push(Math.floor(pos / this.grainBytes));
      else partial.push([pos, n]);
    });
    const zeros = new Uint8Array(this.grainBytes);
    for (const [pos, n] of [...inPlace, ...partial]) await this.write(pos, zeros.subarray(0, n), backing);
    if (!marks.length) return;
    const release = await this.allocLock.lock();
    try {
      const touched = new Map<number, TouchedTable>();
      for (const grain of marks) {
        const gdIndex = Math.floor(grain / SESPARSE_GTES_PER_GT);
        const idx = grain % SESPARSE_GTES_PER_GT;
        const tt = await this.touch(touched, gdIndex);
        if (tt.table[2 * idx + 1]! >>> 28 !== TYPE_UNALLOCATED) continue; // changed since the walk
        tt.pending.push([idx, 0, ZERO_ENTRY_HI]);
      }
      await this.commitTables(touched);
    } finally {
      release();
    }
  }

  async status(offset: number, length: number): Promise<ExtentRun[]> {
    const runs: ExtentRun[] = [];
    await this.walk(offset, length, (pos, n, _lo, hi) => {
      const type = hi >>> 28;
      addStatus(runs, pos, n, type === TYPE_UNALLOCATED ? 'absent' : type === TYPE_ALLOCATED ? 'data' : 'zero');
    });
    return runs;
  }

  async flush(): Promise<void> {
    if (this.writable) await this.fh.datasync();
  }

  async close(): Promise<void> {}

  /**
   * Consistency check: every table loads, no two entries map the same grain index, no grain past
   * the capacity is mapped, tables in use are below free_gt_number.
   */
  async check(problem: (m: string) => void, warning: (m: string) => void): Promise<void> {
    const h = this.header;
    const regions = seSparseRegions(h).filter((r) => r.region.sizeSectors > 0)
      .map((r) => ({ start: r.region.offsetSectors, end: r.region.offsetSectors + r.region.sizeSectors, what: `${r.name} region` }));
    reportOverlaps(regions, this.what, problem);
    // One bit per grain index in use, in 128 KiB pieces made as needed (a full 64 TB map would be 2 GiB).
    const used = new Map<number, Uint8Array>();
    const PIECE_BITS = 1 << 20;
    const grainsInCapacity = Math.ceil(h.capacitySectors / SESPARSE_GRAIN_SECTORS);
    const entries = this.gd.length / 2;
    for (let i = 0; i < entries; i++) {
      if (this.gd[2 * i + 1] !== GD_ALLOCATED) continue;
      const gtIndex = this.gd[2 * i]!;
      if (gtIndex >= this.volatile.freeGtNumber) {
        warning(`${this.what}: grain table ${gtIndex} is in use but free_gt_number is ${this.volatile.freeGtNumber} (a write was interrupted); the next new table is placed past it`);
      }
      let t: Table | null;
      try {
        t = await this.table(i);
      } catch (err) {
        problem((err as Error).message);
        continue;
      }
      if (!t) continue;
      for (let j = 0; j < SESPARSE_GTES_PER_GT; j++) {
        const lo = t[2 * j]!;
        const hi = t[2 * j + 1]!;
        if (hi >>> 28 === TYPE_UNALLOCATED) continue;
        const grain = i * SESPARSE_GTES_PER_GT + j;
        if (grain >= grainsInCapacity) {
          problem(`${this.what}: grain table ${gtIndex} maps grain ${grain}, past the capacity`);
          continue;
        }
        if (hi >>> 28 !== TYPE_ALLOCATED) continue;
        const index = seSparseGrainIndex(lo, hi);
        const key = Math.floor(index / PIECE_BITS);
        let piece = used.get(key);
        if (!piece) used.set(key, piece = new Uint8Array(PIECE_BITS / 8));
        const bit = index % PIECE_BITS;
        if (piece[bit >>> 3]! & (1 << (bit & 7))) problem(`${this.what}: grain ${grain} maps grain index ${index}, which another grain maps too`);
        piece[bit >>> 3]! |= 1 << (bit & 7);
      }
    }
  }
}

function hex64(lo: number, hi: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
