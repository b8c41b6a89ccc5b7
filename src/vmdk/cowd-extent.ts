import { open, type FileHandle } from 'node:fs/promises';
import { readAt, writeAt } from '../block/file-io.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_NEEDSREPAIR, VIX_E_FILE_TOO_BIG } from '../errors/error-codes.js';
import { AllocatingExtent } from './allocating-extent.js';
import {
  COWD_FLAGS, COWD_GT_SECTORS, COWD_GTES_PER_GT, COWD_HEADER_BYTES, COWD_HEADER_SECTORS, COWD_OFFSET,
  cowdGdEntriesFor, cowdGdSectors, decodeCowdHeader, encodeCowdHeader, type CowdHeader,
} from './cowd-header.js';
import type { AbsentRange, BackingReader, ExtentIo, ExtentRun } from './extent.js';
import { addAbsent, addFileRun, addStatus, coalesceWrites, readRuns, reportOverlaps, type FileRun } from './extent-regions.js';
import { GrainTableCache } from './grain-table-cache.js';
import { SECTOR } from './sparse-header.js';

// ESX(i) vmfsSparse redo log ('COWD', vmdk-format.md section 6): a grain directory of u32 sector
// numbers of grain tables, each table 4096 u32 sector numbers of grains. Entry 0 means "not in
// this link: read the parent". There is no redundant directory and no zeroed-grain entry.
// Tables are allocated when first needed at freeSector, followed by the grains written with them
// (the technote's interleaved layout), so the file grows only with what the guest wrote.

/** Sector numbers are u32: the file cannot grow past 2^32 sectors (2 TiB). */
const MAX_FILE_SECTORS = 2 ** 32;
/** Tables kept in memory: 1024 x 16 KiB = 16 MiB at most, whatever the disk size. */
const CACHED_TABLES = 1024;
/** zero() writes zeros in pieces of this size, so a large range does not allocate a large buffer. */
const ZERO_CHUNK = 1 << 20;

/** A grain table a write changes: its entries to set (index in table, grain sector), new or not. */
interface TouchedTable {
  table: Uint32Array;
  isNew: boolean;
  sector: number;
  pending: Array<[number, number]>;
}

function needsRepair(what: string, msg: string): VixError {
  return new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: ${msg}`);
}

export class CowdExtent extends AllocatingExtent implements ExtentIo {
  readonly sizeBytes: number;
  readonly header: CowdHeader;
  /** Grain directory entries the capacity needs (the header may declare more; those are ignored). */
  readonly gd: Uint32Array;
  readonly fileSizeBytes: number;
  private readonly grainBytes: number;
  /** First sector past the grain directory: nothing a table points to may lie before it. */
  readonly metadataEndSector: number;
  private readonly tables = new GrainTableCache<Uint32Array>(CACHED_TABLES);
  private fileSectors: number;
  private nextFreeSector: number;
  private uncleanMarked = false;

  private constructor(
    fh: FileHandle,
    what: string,
    header: CowdHeader,
    sizeBytes: number,
    writable: boolean,
    gd: Uint32Array,
    fileSizeBytes: number,
  ) {
    super(fh, what, writable);
    this.header = header;
    this.sizeBytes = sizeBytes;
    this.gd = gd;
    this.fileSizeBytes = fileSizeBytes;
    this.grainBytes = header.grainSizeSectors * SECTOR;
    this.metadataEndSector = header.gdOffsetSectors + cowdGdSectors(header.numGDEntries);
    this.fileSectors = Math.floor(fileSizeBytes / SECTOR);
    // freeSector is written after the tables that use the space below it (crash order), so after a
    // crash it may lag behind the file: allocate past both, never over a grain already referenced.
    this.nextFreeSector = Math.max(header.freeSector, Math.ceil(fileSizeBytes / SECTOR));
  }

  /**
   * Open a COWD extent. `sizeSectors` is the size the descriptor gives the extent. Validates the
   * header against the file (grain directory inside it, freeSector sane) and every directory entry;
   * grain tables are validated when first loaded.
   */
  static async open(fh: FileHandle, what: string, sizeSectors: number | undefined, writable: boolean): Promise<CowdExtent> {
    const { size: fileSizeBytes } = await fh.stat();
    const head = new Uint8Array(COWD_HEADER_BYTES);
    await readAt(fh, head, 0);
    if (fileSizeBytes < COWD_HEADER_BYTES) throw needsRepair(what, `file is ${fileSizeBytes} bytes, too short for a COWD header`);
    const h = decodeCowdHeader(head, what);
    const fileSectors = Math.floor(fileSizeBytes / SECTOR);
    const size = sizeSectors ?? h.capacitySectors;
    if (h.capacitySectors < size) {
      throw needsRepair(what, `COWD header capacity ${h.capacitySectors} sectors is smaller than the ${size} sectors the descriptor gives the extent`);
    }
    const needed = cowdGdEntriesFor(h.capacitySectors, h.grainSizeSectors);
    if (h.numGDEntries < needed) {
      throw needsRepair(what, `grain directory has ${h.numGDEntries} entries; ${h.capacitySectors} sectors in grains of ${h.grainSizeSectors} need ${needed}`);
    }
    const gdSectors = cowdGdSectors(h.numGDEntries);
    if (h.gdOffsetSectors < COWD_HEADER_SECTORS || h.gdOffsetSectors + gdSectors > fileSectors) {
      throw needsRepair(what, `grain directory at sector ${h.gdOffsetSectors} (${gdSectors} sectors) does not fit between the header and the end of the file (${fileSectors} sectors)`);
    }
    const metadataEnd = h.gdOffsetSectors + gdSectors;
    if (h.freeSector < metadataEnd) {
      throw needsRepair(what, `freeSector ${h.freeSector} lies inside the header or grain directory (they end at sector ${metadataEnd})`);
    }
    if (h.freeSector > fileSectors) {
      throw needsRepair(what, `file is truncated: ${fileSectors} sectors, but freeSector says ${h.freeSector} are in use`);
    }
    const bytes = new Uint8Array(needed * 4);
    await readAt(fh, bytes, h.gdOffsetSectors * SECTOR);
    const gd = new Uint32Array(bytes.buffer, 0, needed);
    const seen = new Set<number>();
    for (let i = 0; i < gd.length; i++) {
      const e = gd[i]!;
      if (e === 0) continue;
      if (e < metadataEnd || e + COWD_GT_SECTORS > fileSectors) {
        throw needsRepair(what, `grain directory entry ${i} points to sector ${e}, outside the space for grain tables (sectors ${metadataEnd} to ${fileSectors})`);
      }
      if (seen.has(e)) throw needsRepair(what, `grain directory entries share grain table sector ${e}`);
      seen.add(e);
    }
    return new CowdExtent(fh, what, h, size * SECTOR, writable, gd, fileSizeBytes);
  }

  /**
   * Create a new, empty COWD extent file (a redo log of `capacitySectors`), as ESXi lays one out:
   * header, grain directory at sector 4, nothing else. The header is written last, so a file cut
   * short by a crash is never taken for a valid extent.
   */
  static async createFile(path: string, capacitySectors: number, grainSizeSectors = 1): Promise<void> {
    const numGDEntries = cowdGdEntriesFor(capacitySectors, grainSizeSectors);
    const freeSector = COWD_HEADER_SECTORS + cowdGdSectors(numGDEntries);
    const header: CowdHeader = {
      version: 1,
      flags: COWD_FLAGS,
      capacitySectors,
      grainSizeSectors,
      gdOffsetSectors: COWD_HEADER_SECTORS,
      numGDEntries,
      freeSector,
      generation: 0,
      savedGeneration: 0,
      uncleanShutdown: 0,
    };
    const encoded = encodeCowdHeader(header); // validates nothing; callers check the limits
    const fh = await open(path, 'wx');
    try {
      await fh.truncate(freeSector * SECTOR); // the directory: all zeros, every table unallocated
      await fh.datasync();
      await writeAt(fh, encoded, 0);
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
    return this.header.grainSizeSectors;
  }

  /** Grain table `gdIndex`, validated, or null when the directory entry is empty. */
  table(gdIndex: number): Promise<Uint32Array | null> {
    return this.tables.get(gdIndex, () => this.loadTable(gdIndex));
  }

  private async loadTable(gdIndex: number): Promise<Uint32Array | null> {
    const gde = this.gd[gdIndex] ?? 0;
    if (gde === 0) return null;
    const bytes = new Uint8Array(COWD_GTES_PER_GT * 4);
    await readAt(this.fh, bytes, gde * SECTOR);
    const t = new Uint32Array(bytes.buffer, 0, COWD_GTES_PER_GT);
    const g = this.header.grainSizeSectors;
    for (let i = 0; i < t.length; i++) {
      const e = t[i]!;
      if (e === 0) continue;
      const grain = gdIndex * COWD_GTES_PER_GT + i;
      if (e < this.metadataEndSector) {
        throw needsRepair(this.what, `grain ${grain} points to sector ${e}, inside the header or grain directory`);
      }
      if (e + g > this.fileSectors) {
        throw needsRepair(this.what, `grain ${grain} points to sector ${e}, past the end of the file (${this.fileSectors} sectors)`);
      }
    }
    return t;
  }

  /**
   * Walk [offset, offset+length) grain by grain with each grain's table entry: `fn(pos, n, entry)`
   * for the piece of one grain at `pos`. Loads each table once per span it covers.
   */
  private async walk(offset: number, length: number, fn: (pos: number, n: number, entry: number) => void): Promise<void> {
    const end = offset + length;
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const gdIndex = Math.floor(grain / COWD_GTES_PER_GT);
      const t = await this.table(gdIndex);
      const tableEnd = Math.min(end, (gdIndex + 1) * COWD_GTES_PER_GT * this.grainBytes);
      for (let g = grain; pos < tableEnd; g++) {
        const n = Math.min((g + 1) * this.grainBytes, tableEnd) - pos;
        fn(pos, n, t ? t[g % COWD_GTES_PER_GT]! : 0);
        pos += n;
      }
    }
  }

  async read(offset: number, buffer: Uint8Array): Promise<AbsentRange[]> {
    const absent: AbsentRange[] = [];
    const runs: FileRun[] = [];
    await this.walk(offset, buffer.length, (pos, n, e) => {
      if (e === 0) addAbsent(absent, pos - offset, n);
      else addFileRun(runs, pos - offset, e * SECTOR + (pos % this.grainBytes), n);
    });
    await readRuns(this.fh, buffer, runs);
    return absent;
  }

  /** File runs for a write whose grains are all allocated; null when one needs allocating. */
  protected async planDirect(offset: number, length: number): Promise<FileRun[] | null> {
    const runs: FileRun[] = [];
    let missing = false;
    await this.walk(offset, length, (pos, n, e) => {
      if (e === 0) missing = true;
      else addFileRun(runs, pos - offset, e * SECTOR + (pos % this.grainBytes), n);
    });
    return missing ? null : runs;
  }

  /**
   * A write that allocates grains and maybe grain tables. Crash order: grain data first, then new
   * grain tables (written whole with their entries), then entries of existing tables, then
   * directory entries, then freeSector in the header. Killed at any point, the extent opens and
   * reads either the old or the new bytes of each grain; space past freeSector is reclaimed by
   * allocating from the end of the file.
   */
  protected async writeAllocating(offset: number, data: Uint8Array, backing: BackingReader): Promise<void> {
    const end = offset + data.length;
    const dataWrites: Array<{ fileOff: number; bytes: Uint8Array }> = [];
    // Tables touched by this write, with the entries to set (grain index in table -> sector).
    const touched = new Map<number, TouchedTable>();
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const grainStart = grain * this.grainBytes;
      const inGrain = pos - grainStart;
      const n = Math.min(this.grainBytes - inGrain, end - pos);
      const bufOff = pos - offset;
      const gdIndex = Math.floor(grain / COWD_GTES_PER_GT);
      const idx = grain % COWD_GTES_PER_GT;
      let tt = touched.get(gdIndex);
      if (!tt) {
        const existing = await this.table(gdIndex);
        tt = existing
          ? { table: existing, isNew: false, sector: this.gd[gdIndex]!, pending: [] }
          // A new table comes right before the grains it is allocated for, as ESXi lays them out.
          : { table: new Uint32Array(COWD_GTES_PER_GT), isNew: true, sector: this.allocate(COWD_GT_SECTORS), pending: [] };
        touched.set(gdIndex, tt);
      }
      const e = tt.table[idx]!;
      if (e !== 0) {
        dataWrites.push({ fileOff: e * SECTOR + inGrain, bytes: data.subarray(bufOff, bufOff + n) });
      } else {
        let bytes: Uint8Array;
        if (n === this.grainBytes) {
          bytes = data.subarray(bufOff, bufOff + n);
        } else {
          // Copy-on-write: the rest of the grain comes from below.
          bytes = new Uint8Array(this.grainBytes);
          await backing(grainStart, bytes.subarray(0, Math.min(this.grainBytes, this.sizeBytes - grainStart)));
          bytes.set(data.subarray(bufOff, bufOff + n), inGrain);
        }
        const sector = this.allocate(this.header.grainSizeSectors);
        dataWrites.push({ fileOff: sector * SECTOR, bytes });
        tt.pending.push([idx, sector]);
      }
      pos += n;
    }
    // 1. Grain data.
    await Promise.all(coalesceWrites(dataWrites).map((w) => writeAt(this.fh, w.bytes, w.fileOff)));
    this.fileSectors = Math.max(this.fileSectors, this.nextFreeSector);
    // 2 and 3. Tables: new ones whole, existing ones just the changed span of entries.
    const tableWrites: Array<Promise<void>> = [];
    const newTables: number[] = [];
    for (const [gdIndex, tt] of touched) {
      let lo = COWD_GTES_PER_GT;
      let hi = -1;
      for (const [idx, sector] of tt.pending) {
        tt.table[idx] = sector;
        lo = Math.min(lo, idx);
        hi = Math.max(hi, idx);
      }
      if (tt.isNew) {
        tableWrites.push(writeAt(this.fh, new Uint8Array(tt.table.buffer, tt.table.byteOffset, tt.table.byteLength), tt.sector * SECTOR));
        newTables.push(gdIndex);
      } else if (hi >= lo) {
        const slice = new Uint8Array(tt.table.buffer, tt.table.byteOffset + lo * 4, (hi - lo + 1) * 4);
        tableWrites.push(writeAt(this.fh, slice, tt.sector * SECTOR + lo * 4));
      }
    }
    await Promise.all(tableWrites);
    // 4. Directory entries for new tables.
    if (newTables.length) {
      for (const gdIndex of newTables) this.gd[gdIndex] = touched.get(gdIndex)!.sector;
      const lo = Math.min(...newTables);
      const hi = Math.max(...newTables);
      await writeAt(this.fh, new Uint8Array(this.gd.buffer, this.gd.byteOffset + lo * 4, (hi - lo + 1) * 4),
        this.header.gdOffsetSectors * SECTOR + lo * 4);
    }
    // The in-memory tables are the ones now on disk: keep them (a concurrent reader may have
    // loaded an older copy while this write ran).
    for (const [gdIndex, tt] of touched) this.tables.set(gdIndex, tt.table);
    // 5. freeSector, last.
    if (this.nextFreeSector !== this.header.freeSector) {
      this.header.freeSector = this.nextFreeSector;
      await writeU32(this.fh, COWD_OFFSET.freeSector, this.nextFreeSector);
    }
  }

  private allocate(sectors: number): number {
    const s = this.nextFreeSector;
    if (s + sectors > MAX_FILE_SECTORS) {
      throw new VixError(VIX_E_FILE_TOO_BIG, `${this.what}: the redo log would pass the 2 TB limit of vmfsSparse extents`);
    }
    this.nextFreeSector += sectors;
    return s;
  }

  /** COWD has no zeroed-grain entry: zeros over a parent are written as data. */
  async zero(offset: number, length: number, hasBacking: boolean, backing: BackingReader): Promise<void> {
    this.checkWritable();
    const end = offset + length;
    let zeros: Uint8Array | null = null;
    for (let pos = offset; pos < end;) {
      const n = Math.min(ZERO_CHUNK, end - pos);
      if (!hasBacking) {
        // Holes read as zeros already; only grains stored here need overwriting.
        const runs = (await this.status(pos, n)).filter((r) => r.state === 'data');
        for (const r of runs) {
          zeros ??= new Uint8Array(ZERO_CHUNK);
          await this.write(r.offset, zeros.subarray(0, r.length), backing);
        }
      } else {
        zeros ??= new Uint8Array(ZERO_CHUNK);
        await this.write(pos, zeros.subarray(0, n), backing);
      }
      pos += n;
    }
  }

  async status(offset: number, length: number): Promise<ExtentRun[]> {
    const runs: ExtentRun[] = [];
    await this.walk(offset, length, (pos, n, e) => addStatus(runs, pos, n, e === 0 ? 'absent' : 'data'));
    return runs;
  }

  /** Mark the log open for writing (uncleanShutdown, a u32 at 1648), cleared again on close. */
  protected override async beforeWrite(): Promise<void> {
    if (this.uncleanMarked || this.header.uncleanShutdown) return;
    this.uncleanMarked = true;
    await writeU32(this.fh, COWD_OFFSET.uncleanShutdown, 1);
  }

  async flush(): Promise<void> {
    if (this.writable) await this.fh.datasync();
  }

  async close(): Promise<void> {
    if (this.uncleanMarked) {
      await this.fh.datasync();
      await writeU32(this.fh, COWD_OFFSET.uncleanShutdown, 0);
      await this.fh.datasync();
      this.uncleanMarked = false;
    }
  }

  /**
   * Consistency check beyond what opening validates: every table loads, nothing overlaps (header,
   * directory, tables, grains), no entry maps a grain past the capacity, freeSector is not behind
   * the data. Reports through `problem` and `warning`.
   */
  async check(problem: (m: string) => void, warning: (m: string) => void): Promise<void> {
    const h = this.header;
    if (h.uncleanShutdown) warning(`${this.what}: the unclean-shutdown flag is set (the redo log was not closed cleanly); its tables are checked below`);
    const needed = cowdGdEntriesFor(h.capacitySectors, h.grainSizeSectors);
    if (h.numGDEntries > needed) warning(`${this.what}: grain directory has ${h.numGDEntries} entries where ${needed} cover the capacity; the rest are ignored`);
    const regions: Array<{ start: number; end: number; what: string }> = [
      { start: 0, end: COWD_HEADER_SECTORS, what: 'header' },
      { start: h.gdOffsetSectors, end: this.metadataEndSector, what: 'grain directory' },
    ];
    let dataEnd = this.metadataEndSector;
    const grainsInCapacity = Math.ceil(h.capacitySectors / h.grainSizeSectors);
    for (let i = 0; i < this.gd.length; i++) {
      const gde = this.gd[i]!;
      if (gde === 0) continue;
      let t: Uint32Array | null;
      try {
        t = await this.table(i);
      } catch (err) {
        problem((err as Error).message);
        continue;
      }
      if (!t) continue;
      regions.push({ start: gde, end: gde + COWD_GT_SECTORS, what: `grain table ${i}` });
      dataEnd = Math.max(dataEnd, gde + COWD_GT_SECTORS);
      for (let j = 0; j < t.length; j++) {
        const e = t[j]!;
        if (e === 0) continue;
        const grain = i * COWD_GTES_PER_GT + j;
        if (grain >= grainsInCapacity) {
          problem(`${this.what}: grain table ${i} maps grain ${grain}, past the capacity`);
          continue;
        }
        regions.push({ start: e, end: e + h.grainSizeSectors, what: `grain ${grain}` });
        dataEnd = Math.max(dataEnd, e + h.grainSizeSectors);
      }
    }
    reportOverlaps(regions, this.what, problem);
    if (h.freeSector < dataEnd) {
      warning(`${this.what}: freeSector ${h.freeSector} is behind the last allocated sector ${dataEnd} (a write was interrupted); the next write allocates past it`);
    }
  }
}

async function writeU32(fh: FileHandle, offset: number, value: number): Promise<void> {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  await writeAt(fh, b, offset);
}
