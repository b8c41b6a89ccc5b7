import type { FileHandle } from 'node:fs/promises';
import { readAt, writeAt } from '../block/file-io.js';
import { VixError } from '../errors/vix-error.js';
import {
  VIX_E_DISK_NEEDSREPAIR, VIX_E_FILE_TOO_BIG, VIX_E_NOT_SUPPORTED,
} from '../errors/error-codes.js';
import { AllocatingExtent } from './allocating-extent.js';
import { addAbsent, addFileRun, addStatus, coalesceWrites, readRuns, type FileRun } from './extent-regions.js';
import type { AbsentRange, BackingReader, ExtentIo, ExtentRun } from './extent.js';
import {
  decodeSparseHeader, encodeSparseHeader, FLAG_COMPRESSED, FLAG_MARKERS, FLAG_REDUNDANT_GD, FLAG_ZEROED_GTE,
  gdEntryCount, gdSizeSectors, gtSizeSectors, SECTOR, type SparseHeader,
} from './sparse-header.js';

/** node:zlib, loaded with the first compressed grain: most disks have none, and it takes a few ms to load. */
let zlib: Promise<typeof import('node:zlib')> | null = null;

/** Inflate one grain's zlib stream (raw deflate when `raw`), to at most `maxOutputLength` bytes. */
async function inflateGrain(payload: Uint8Array, raw: boolean, maxOutputLength: number): Promise<Buffer> {
  const z = await (zlib ??= import('node:zlib'));
  return new Promise((resolve, reject) => {
    (raw ? z.inflateRaw : z.inflate)(payload, { maxOutputLength }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

// Hosted sparse extent ('KDMV', Virtual Disk Format 5.0 "Hosted Sparse Extents"): a grain directory
// of grain tables of grain entries, each entry the sector of a grain in this file. Entry 0: the grain
// is not in this extent (read the parent); entry 1 with the zeroed-grain flag: reads as zeros.
// streamOptimized files are the same structure with compressed grain records and markers.

/** Grains at or past this sector cannot be addressed by 32-bit grain entries. */
const MAX_EXTENT_SECTORS = 2 ** 32;
const MARKER_EOS = 0;
const MARKER_GT = 1;
const MARKER_GD = 2;
const MARKER_FOOTER = 3;
const DECOMPRESSED_CACHE_GRAINS = 32;
/** Dirty grain tables kept in memory before their entries are written out without a flush. */
const MAX_DIRTY_TABLES = 64;
/** Memory a footerless stream's rebuilt directory and tables may take whatever the file's size. */
const SCAN_FREE_BYTES = 16 * 1024 * 1024;

export interface SparseLayout {
  header: SparseHeader;
  /** The grain directory actually used (from the footer for streamOptimized files). */
  gdOffsetSectors: number;
  fileSizeBytes: number;
  /** How the grain directory was found: 'header', 'footer' or 'scan' (a stream without usable footer). */
  gdSource: 'header' | 'footer' | 'scan';
}

function needsRepair(what: string, msg: string): VixError {
  return new VixError(VIX_E_DISK_NEEDSREPAIR, `${what}: ${msg}`);
}

export class SparseExtent extends AllocatingExtent implements ExtentIo {
  readonly sizeBytes: number;
  readonly header: SparseHeader;
  readonly layout: SparseLayout;
  private readonly grainBytes: number;
  private readonly gtes: number;
  private readonly compressed: boolean;
  private readonly zeroedGtes: boolean;
  /** Grain directory; entries are grain table sectors (or, after a scan, indices into `tables`). */
  readonly gd: Uint32Array;
  /** Redundant grain directory, kept in step on writes; null when the extent has none. */
  readonly rgd: Uint32Array | null;
  private readonly tables = new Map<number, Uint32Array | Promise<Uint32Array>>();
  private fileSectors: number;
  private nextFreeSector: number;
  /**
   * Metadata changed in memory but not yet written: grain-table entry ranges per table, and
   * directory entries of new tables. Written (after the data they point to) at flush and close, or
   * when too many tables are dirty, so a stream of writes does not pay a metadata write each.
   */
  private readonly dirtyTables = new Map<number, { lo: number; hi: number }>();
  private readonly dirtyDirectory = new Set<number>();
  private uncleanMarked = false;
  private readonly grainCache = new Map<number, Uint8Array>();

  private constructor(
    fh: FileHandle,
    what: string,
    layout: SparseLayout,
    sizeBytes: number,
    writable: boolean,
    gd: Uint32Array,
    rgd: Uint32Array | null,
  ) {
    super(fh, what, writable);
    this.layout = layout;
    this.header = layout.header;
    this.sizeBytes = sizeBytes;
    this.grainBytes = this.header.grainSizeSectors * SECTOR;
    this.gtes = this.header.numGTEsPerGT;
    this.compressed = (this.header.flags & FLAG_COMPRESSED) !== 0;
    this.zeroedGtes = (this.header.flags & FLAG_ZEROED_GTE) !== 0;
    this.gd = gd;
    this.rgd = rgd;
    this.fileSectors = Math.floor(layout.fileSizeBytes / SECTOR);
    const g = this.header.grainSizeSectors;
    this.nextFreeSector = Math.ceil(layout.fileSizeBytes / SECTOR / g) * g;
  }

  /**
   * Open a sparse extent. `sizeSectors` is the extent size the descriptor gives; `what` names the
   * file in messages. Validates everything that can be validated without reading every grain table.
   */
  static async open(fh: FileHandle, what: string, sizeSectors: number | undefined, writable: boolean): Promise<SparseExtent> {
    const { size: fileSizeBytes } = await fh.stat();
    const first = new Uint8Array(SECTOR);
    if (await readAt(fh, first, 0) < SECTOR) throw needsRepair(what, 'file is too short for a sparse extent header');
    let header = decodeSparseHeader(first, what);
    let gdSource: SparseLayout['gdSource'] = 'header';
    const compressed = (header.flags & FLAG_COMPRESSED) !== 0;
    // Compressed (streamOptimized) grains cannot be rewritten in place: such extents open read-only
    // and a write fails with a clear message (checkWritable).
    if (compressed) writable = false;
    if (header.flags & FLAG_MARKERS) {
      const footer = await readFooter(fh, fileSizeBytes, what);
      if (footer && footer.gdOffsetSectors >= 0) {
        header = { ...header, gdOffsetSectors: footer.gdOffsetSectors };
        gdSource = 'footer';
      } else if (header.gdOffsetSectors < 0) {
        gdSource = 'scan';
      }
    } else if (header.gdOffsetSectors < 0) {
      throw needsRepair(what, 'grain directory offset is missing (GD_AT_END without the stream flags)');
    }
    const fileSectors = Math.floor(fileSizeBytes / SECTOR);
    const size = sizeSectors ?? header.capacitySectors;
    if (header.capacitySectors < size) {
      throw needsRepair(what, `extent header capacity ${header.capacitySectors} sectors is smaller than the ${size} sectors the descriptor gives it`);
    }
    if (header.overheadSectors > fileSectors && !compressed) {
      throw needsRepair(what, `file is truncated: ${fileSectors} sectors, but its metadata ends at sector ${header.overheadSectors}`);
    }
    const layout: SparseLayout = { header, gdOffsetSectors: header.gdOffsetSectors, fileSizeBytes, gdSource };
    const numGd = gdEntryCount(header);
    const gtSize = gtSizeSectors(header);
    if (gdSource === 'scan') {
      // Without a footer the directory is rebuilt in memory: a large one is only believed from a
      // file large enough to have held it (a canonical stream carries its directory).
      if (numGd * 4 > Math.max(fileSizeBytes, SCAN_FREE_BYTES)) {
        throw needsRepair(what, `stream has no usable footer, and its capacity of ${header.capacitySectors} sectors needs a grain directory of ${numGd * 4} bytes, more than the ${fileSizeBytes}-byte file could have held`);
      }
      const ext = new SparseExtent(fh, what, layout, size * SECTOR, false, new Uint32Array(numGd), null);
      await ext.scanStream();
      return ext;
    }
    const gd = await loadDirectory(fh, header.gdOffsetSectors, numGd, fileSectors, what, 'grain directory');
    checkDirectory(gd, gtSize, fileSectors, what, 'grain directory');
    let rgd: Uint32Array | null = null;
    if ((header.flags & FLAG_REDUNDANT_GD) && !compressed && header.rgdOffsetSectors !== 0 &&
        header.rgdOffsetSectors !== header.gdOffsetSectors) {
      rgd = await loadDirectory(fh, header.rgdOffsetSectors, numGd, fileSectors, what, 'redundant grain directory');
      checkDirectory(rgd, gtSize, fileSectors, what, 'redundant grain directory');
    }
    checkTableLayout(header, gd, rgd, gtSize, what);
    const ext = new SparseExtent(fh, what, layout, size * SECTOR, writable, gd, rgd);
    if (writable && ext.nextFreeSector >= MAX_EXTENT_SECTORS) {
      throw new VixError(VIX_E_FILE_TOO_BIG, `${what}: the extent file has reached the 2 TB limit of sparse extents`);
    }
    return ext;
  }

  /** Bytes of directory kept in memory while open: the grain directory and its redundant copy. */
  get metadataBytes(): number {
    return this.gd.byteLength + (this.rgd?.byteLength ?? 0);
  }

  get grainSizeSectors(): number {
    return this.header.grainSizeSectors;
  }

  get isCompressed(): boolean {
    return this.compressed;
  }

  /** The grain table for directory entry `gdIndex`, or null when the entry is empty. */
  async table(gdIndex: number): Promise<Uint32Array | null> {
    const cached = this.tables.get(gdIndex);
    if (cached) return cached;
    const gde = this.gd[gdIndex] ?? 0;
    if (gde === 0) return null;
    const p = this.loadTable(gdIndex, gde);
    this.tables.set(gdIndex, p);
    try {
      const t = await p;
      this.tables.set(gdIndex, t);
      return t;
    } catch (err) {
      this.tables.delete(gdIndex);
      throw err;
    }
  }

  private async loadTable(gdIndex: number, gde: number): Promise<Uint32Array> {
    const bytes = new Uint8Array(this.gtes * 4);
    await readAt(this.fh, bytes, gde * SECTOR);
    return this.checkTable(gdIndex, new Uint32Array(bytes.buffer, 0, this.gtes));
  }

  /**
   * Load the tables of directory entries [fromGd, toGd) not in memory yet with few large reads:
   * tables the directory places one after the other on disk (as create preallocates them) are
   * read together, up to 1024 at a time. A block-status walk of a large disk then costs a few
   * reads instead of one per table. A table loaded or changed meanwhile by someone else is kept.
   */
  private async prefetchTables(fromGd: number, toGd: number): Promise<void> {
    const tableSectors = gtSizeSectors(this.header);
    for (let i = fromGd; i < toGd;) {
      const first = this.gd[i] ?? 0;
      if (first === 0 || this.tables.get(i) !== undefined) {
        i++;
        continue;
      }
      let count = 1;
      while (i + count < toGd && count < 1024 && this.tables.get(i + count) === undefined
        && this.gd[i + count] === first + count * tableSectors) count++;
      const bytes = new Uint8Array(count * tableSectors * SECTOR);
      await readAt(this.fh, bytes, first * SECTOR);
      for (let k = 0; k < count; k++) {
        if (this.tables.get(i + k) !== undefined || this.gd[i + k] !== first + k * tableSectors) continue;
        const t = new Uint32Array(bytes.buffer, k * tableSectors * SECTOR, this.gtes); // a view: the tables share one read
        this.tables.set(i + k, this.checkTable(i + k, t));
      }
      i += count;
    }
  }

  private checkTable(gdIndex: number, t: Uint32Array): Uint32Array {
    const overhead = this.header.overheadSectors;
    for (let i = 0; i < t.length; i++) {
      const e = t[i]!;
      if (e === 0 || (e === 1 && this.zeroedGtes)) continue;
      const grain = gdIndex * this.gtes + i;
      if (e >= this.fileSectors) {
        throw needsRepair(this.what, `grain ${grain} points to sector ${e}, past the end of the file (${this.fileSectors} sectors)`);
      }
      if (!this.compressed && e < overhead) {
        throw needsRepair(this.what, `grain ${grain} points to sector ${e}, inside the metadata (grains start at sector ${overhead})`);
      }
    }
    return t;
  }

  /** The redundant copy of grain table `gdIndex` as stored (null when there is none). No validation. */
  async redundantTable(gdIndex: number): Promise<Uint32Array | null> {
    const rge = this.rgd?.[gdIndex] ?? 0;
    if (rge === 0) return null;
    const bytes = new Uint8Array(this.gtes * 4);
    await readAt(this.fh, bytes, rge * SECTOR);
    return new Uint32Array(bytes.buffer, 0, this.gtes);
  }

  /** Sectors a compressed grain record at `sector` occupies, or an error message when malformed. */
  async recordSectors(grain: number, sector: number): Promise<number | string> {
    const head = new Uint8Array(12);
    if (await readAt(this.fh, head, sector * SECTOR) < 12) return `grain ${grain}: record at sector ${sector} is cut off`;
    const view = new DataView(head.buffer);
    const lba = view.getBigUint64(0, true);
    const size = view.getUint32(8, true);
    if (lba !== BigInt(grain) * BigInt(this.header.grainSizeSectors)) return `grain ${grain}: record at sector ${sector} claims LBA ${lba}`;
    if (size === 0 || size >= 2 * this.grainBytes || sector * SECTOR + 12 + size > this.layout.fileSizeBytes) {
      return `grain ${grain}: record at sector ${sector} has an invalid size ${size}`;
    }
    return Math.ceil((12 + size) / SECTOR);
  }

  /** Grain entry when its table is already in memory (undefined when it must be loaded first). */
  private cachedEntry(grain: number): number | undefined {
    const gdIndex = Math.floor(grain / this.gtes);
    const t = this.tables.get(gdIndex);
    if (t instanceof Uint32Array) return t[grain % this.gtes]!;
    if (t === undefined && (this.gd[gdIndex] ?? 0) === 0) return 0;
    return undefined;
  }

  /** Grain entry for grain `grain` (0 when not present). */
  async entry(grain: number): Promise<number> {
    const cached = this.cachedEntry(grain);
    if (cached !== undefined) return cached;
    const t = await this.table(Math.floor(grain / this.gtes));
    return t ? t[grain % this.gtes]! : 0;
  }

  async read(offset: number, buffer: Uint8Array): Promise<AbsentRange[]> {
    const absent: AbsentRange[] = [];
    const reads: Array<Promise<unknown>> = [];
    const runs: FileRun[] = [];
    const end = offset + buffer.length;
    try {
      for (let pos = offset; pos < end;) {
        const grain = Math.floor(pos / this.grainBytes);
        const inGrain = pos - grain * this.grainBytes;
        const n = Math.min(this.grainBytes - inGrain, end - pos);
        const bufOff = pos - offset;
        const e = await this.entry(grain);
        if (e === 0) {
          addAbsent(absent, bufOff, n);
        } else if (e === 1 && this.zeroedGtes) {
          buffer.fill(0, bufOff, bufOff + n);
        } else if (this.compressed) {
          reads.push(this.readCompressed(grain, e).then((g) => {
            buffer.set(g.subarray(inGrain, inGrain + n), bufOff);
          }));
        } else {
          addFileRun(runs, bufOff, e * SECTOR + inGrain, n);
        }
        pos += n;
      }
    } catch (err) {
      // A grain table that fails to load after reads were started: let those settle first, or a
      // failing one (bad deflate data) would be an unhandled rejection that ends the process.
      await Promise.allSettled(reads);
      throw err;
    }
    reads.push(readRuns(this.fh, buffer, runs));
    await Promise.all(reads);
    return absent;
  }

  /** Read and inflate one compressed grain record (3.2): lba u64, size u32, zlib stream. */
  private async readCompressed(grain: number, sector: number): Promise<Uint8Array> {
    const cached = this.grainCache.get(grain);
    if (cached) return cached;
    const fileOff = sector * SECTOR;
    const avail = this.layout.fileSizeBytes - fileOff;
    let rec = new Uint8Array(Math.min(avail, this.grainBytes + 2 * SECTOR));
    await readAt(this.fh, rec, fileOff);
    if (rec.length < 12) throw needsRepair(this.what, `grain ${grain}: compressed record at sector ${sector} is cut off by the end of the file`);
    const view = new DataView(rec.buffer, rec.byteOffset, rec.length);
    const lba = view.getBigUint64(0, true);
    const size = view.getUint32(8, true);
    if (lba !== BigInt(grain) * BigInt(this.header.grainSizeSectors)) {
      throw needsRepair(this.what, `grain ${grain}: compressed record at sector ${sector} claims LBA ${lba}`);
    }
    if (size === 0 || size >= 2 * this.grainBytes || 12 + size > avail) {
      throw needsRepair(this.what, `grain ${grain}: compressed record at sector ${sector} has an invalid size ${size}`);
    }
    if (12 + size > rec.length) {
      const more = new Uint8Array(12 + size);
      more.set(rec);
      await readAt(this.fh, more.subarray(rec.length), fileOff + rec.length);
      rec = more;
    }
    const payload = rec.subarray(12, 12 + size);
    const expected = Math.min(this.grainBytes, this.sizeBytes - grain * this.grainBytes);
    let out: Buffer;
    try {
      const zlibHeader = payload.length >= 2 && (payload[0]! & 0x0f) === 8 && ((payload[0]! << 8) | payload[1]!) % 31 === 0;
      out = await inflateGrain(payload, !zlibHeader, this.grainBytes);
    } catch (err) {
      throw needsRepair(this.what, `grain ${grain}: compressed data at sector ${sector} cannot be inflated (${(err as Error).message})`);
    }
    if (out.length < expected) {
      throw needsRepair(this.what, `grain ${grain}: inflates to ${out.length} bytes, expected ${expected}`);
    }
    let g: Uint8Array = out;
    if (out.length < this.grainBytes) {
      g = new Uint8Array(this.grainBytes);
      g.set(out);
    }
    if (this.grainCache.size >= DECOMPRESSED_CACHE_GRAINS) {
      this.grainCache.delete(this.grainCache.keys().next().value!);
    }
    this.grainCache.set(grain, g);
    return g;
  }

  /** File runs for a write when all its grains are allocated; null when one needs allocating. */
  protected async planDirect(offset: number, length: number): Promise<FileRun[] | null> {
    const runs: FileRun[] = [];
    const end = offset + length;
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const inGrain = pos - grain * this.grainBytes;
      const n = Math.min(this.grainBytes - inGrain, end - pos);
      const e = this.cachedEntry(grain) ?? await this.entry(grain);
      if (e === 0 || e === 1) return null;
      addFileRun(runs, pos - offset, e * SECTOR + inGrain, n);
      pos += n;
    }
    return runs;
  }

  /**
   * Write that allocates grains (and grain tables). Order for crash safety: grain data first, then
   * new grain tables, then grain table entries, then directory entries; a process killed at any
   * point leaves a consistent extent (at worst with unreferenced space past the old end).
   */
  protected async writeAllocating(offset: number, data: Uint8Array, backing: BackingReader): Promise<void> {
    const end = offset + data.length;
    const dataWrites: Array<{ fileOff: number; bytes: Uint8Array }> = [];
    const entryUpdates: Array<{ grain: number; sector: number }> = [];
    const newTables: Array<{ gdIndex: number; sector: number; rsector: number }> = [];
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const grainStart = grain * this.grainBytes;
      const inGrain = pos - grainStart;
      const n = Math.min(this.grainBytes - inGrain, end - pos);
      const bufOff = pos - offset;
      const e = await this.entry(grain);
      if (e > 1 || (e === 1 && !this.zeroedGtes)) {
        dataWrites.push({ fileOff: e * SECTOR + inGrain, bytes: data.subarray(bufOff, bufOff + n) });
      } else {
        let bytes: Uint8Array;
        if (n === this.grainBytes) {
          bytes = data.subarray(bufOff, bufOff + n);
        } else {
          bytes = new Uint8Array(this.grainBytes);
          const inExtent = Math.min(this.grainBytes, this.sizeBytes - grainStart);
          if (e === 0) await backing(grainStart, bytes.subarray(0, inExtent));
          bytes.set(data.subarray(bufOff, bufOff + n), inGrain);
        }
        const gdIndex = Math.floor(grain / this.gtes);
        if (this.gd[gdIndex] === 0 && !newTables.some((t) => t.gdIndex === gdIndex)) {
          newTables.push({ gdIndex, sector: this.allocate(gtSizeSectors(this.header)), rsector: this.rgd ? this.allocate(gtSizeSectors(this.header)) : 0 });
        }
        const sector = this.allocate(this.header.grainSizeSectors);
        dataWrites.push({ fileOff: sector * SECTOR, bytes });
        entryUpdates.push({ grain, sector });
      }
      pos += n;
    }
    // 1. Data, coalescing neighbours in the file into one write where the bytes are contiguous too.
    await Promise.all(coalesceWrites(dataWrites).map((w) => writeAt(this.fh, w.bytes, w.fileOff)));
    this.fileSectors = Math.max(this.fileSectors, this.nextFreeSector);
    // 2. The tables in memory now point at the data; the file's copies follow in writeMetadata.
    for (const nt of newTables) {
      this.tables.set(nt.gdIndex, new Uint32Array(this.gtes));
      this.gd[nt.gdIndex] = nt.sector;
      if (this.rgd) this.rgd[nt.gdIndex] = nt.rsector;
      this.dirtyDirectory.add(nt.gdIndex);
      this.dirtyTables.set(nt.gdIndex, { lo: 0, hi: this.gtes - 1 });
    }
    for (const u of entryUpdates) this.setEntry(u.grain, u.sector);
    if (this.dirtyTables.size > MAX_DIRTY_TABLES) await this.writeMetadata();
  }

  /** Change one grain entry in memory and remember it for writeMetadata. */
  private setEntry(grain: number, value: number): void {
    const gdIndex = Math.floor(grain / this.gtes);
    const idx = grain % this.gtes;
    (this.tables.get(gdIndex) as Uint32Array)[idx] = value;
    const r = this.dirtyTables.get(gdIndex);
    if (r) {
      r.lo = Math.min(r.lo, idx);
      r.hi = Math.max(r.hi, idx);
    } else {
      this.dirtyTables.set(gdIndex, { lo: idx, hi: idx });
    }
  }

  /**
   * Write the metadata changed in memory: grain-table entries (primary and redundant copy) first,
   * then directory entries of new tables, so the file never points at a table or grain not yet there.
   * Callers hold allocLock.
   */
  private async writeMetadata(): Promise<void> {
    if (this.dirtyTables.size === 0 && this.dirtyDirectory.size === 0) return;
    const tableWrites: Array<Promise<void>> = [];
    for (const [gdIndex, { lo, hi }] of this.dirtyTables) {
      const t = this.tables.get(gdIndex) as Uint32Array;
      const slice = new Uint8Array(t.buffer, t.byteOffset + lo * 4, (hi - lo + 1) * 4);
      tableWrites.push(writeAt(this.fh, slice, this.gd[gdIndex]! * SECTOR + lo * 4));
      const rg = this.rgd?.[gdIndex];
      if (rg) tableWrites.push(writeAt(this.fh, slice, rg * SECTOR + lo * 4));
    }
    this.dirtyTables.clear();
    await Promise.all(tableWrites);
    if (this.dirtyDirectory.size) {
      const indices = [...this.dirtyDirectory];
      this.dirtyDirectory.clear();
      await this.writeDirectories(indices);
    }
  }

  private async writeDirectories(indices: number[]): Promise<void> {
    const lo = Math.min(...indices);
    const hi = Math.max(...indices);
    const writes = [writeAt(this.fh, new Uint8Array(this.gd.buffer, this.gd.byteOffset + lo * 4, (hi - lo + 1) * 4),
      this.layout.gdOffsetSectors * SECTOR + lo * 4)];
    if (this.rgd) {
      writes.push(writeAt(this.fh, new Uint8Array(this.rgd.buffer, this.rgd.byteOffset + lo * 4, (hi - lo + 1) * 4),
        this.header.rgdOffsetSectors * SECTOR + lo * 4));
    }
    await Promise.all(writes);
  }

  private allocate(sectors: number): number {
    const s = this.nextFreeSector;
    if (s + sectors > MAX_EXTENT_SECTORS) {
      throw new VixError(VIX_E_FILE_TOO_BIG, `${this.what}: the extent file would pass the 2 TB limit of sparse extents`);
    }
    this.nextFreeSector += sectors;
    return s;
  }

  async zero(offset: number, length: number, hasBacking: boolean, backing: BackingReader): Promise<void> {
    this.checkWritable();
    const end = offset + length;
    const zeroMarks: number[] = [];
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const inGrain = pos - grain * this.grainBytes;
      const n = Math.min(this.grainBytes - inGrain, end - pos);
      const e = await this.entry(grain);
      const whole = inGrain === 0 && (n === this.grainBytes || pos + n === this.sizeBytes);
      if ((e === 0 && !hasBacking) || (e === 1 && this.zeroedGtes)) {
        // Already reads as zeros.
      } else if (e === 0 && whole && this.zeroedGtes) {
        zeroMarks.push(grain);
      } else {
        await this.write(pos, new Uint8Array(n), backing);
      }
      pos += n;
    }
    if (zeroMarks.length) await this.setZeroedEntries(zeroMarks);
  }

  private async setZeroedEntries(grains: number[]): Promise<void> {
    const release = await this.allocLock.lock();
    try {
      await this.beforeWrite();
      for (const grain of grains) {
        const gdIndex = Math.floor(grain / this.gtes);
        const t = await this.table(gdIndex);
        if (!t) {
          // A zeroed mark needs a table; writing a zero grain is the simple equivalent.
          await this.writeAllocating(grain * this.grainBytes, new Uint8Array(Math.min(this.grainBytes, this.sizeBytes - grain * this.grainBytes)), async (_o, b) => { b.fill(0); });
          continue;
        }
        if (t[grain % this.gtes] !== 0) continue;
        this.setEntry(grain, 1);
      }
    } finally {
      release();
    }
  }

  async status(offset: number, length: number): Promise<ExtentRun[]> {
    const runs: ExtentRun[] = [];
    const end = offset + length;
    const tableBytes = this.gtes * this.grainBytes;
    if (length > 0 && !this.compressed) await this.prefetchTables(Math.floor(offset / tableBytes), Math.ceil(end / tableBytes));
    for (let pos = offset; pos < end;) {
      const grain = Math.floor(pos / this.grainBytes);
      const gdIndex = Math.floor(grain / this.gtes);
      if (this.tables.get(gdIndex) === undefined && (this.gd[gdIndex] ?? 0) === 0) {
        // No table: its whole span is absent in one step (a 1 TiB empty disk is 32768 steps,
        // not 16 million grains).
        const n = Math.min((gdIndex + 1) * tableBytes, end) - pos;
        addStatus(runs, pos, n, 'absent');
        pos += n;
        continue;
      }
      const loaded = this.tables.get(gdIndex);
      if (loaded instanceof Uint32Array) {
        // A table in memory: runs of grains in one state become one run each, in a tight loop.
        const tableEnd = Math.min((gdIndex + 1) * tableBytes, end);
        const base = gdIndex * this.gtes;
        const lastGrain = Math.ceil(tableEnd / this.grainBytes) - base;
        for (let i = grain - base; i < lastGrain;) {
          const state = this.grainState(loaded[i]!);
          let j = i + 1;
          while (j < lastGrain && this.grainState(loaded[j]!) === state) j++;
          const stop = Math.min((base + j) * this.grainBytes, tableEnd);
          addStatus(runs, pos, stop - pos, state);
          pos = stop;
          i = j;
        }
        continue;
      }
      const n = Math.min((grain + 1) * this.grainBytes, end) - pos;
      const e = this.cachedEntry(grain) ?? await this.entry(grain);
      addStatus(runs, pos, n, e === 0 ? 'absent' : e === 1 && this.zeroedGtes ? 'zero' : 'data');
      pos += n;
    }
    return runs;
  }

  private grainState(entry: number): 'absent' | 'zero' | 'data' {
    return entry === 0 ? 'absent' : entry === 1 && this.zeroedGtes ? 'zero' : 'data';
  }

  /** VMware marks an extent open for writing with uncleanShutdown = 1 and clears it on close. */
  protected override async beforeWrite(): Promise<void> {
    if (this.uncleanMarked || this.header.uncleanShutdown) return;
    this.uncleanMarked = true;
    await writeAt(this.fh, Uint8Array.of(1), 72);
  }

  /** Data reaches the disk before the metadata that points at it, then the metadata. */
  async flush(): Promise<void> {
    if (!this.writable) return;
    const release = await this.allocLock.lock();
    try {
      await this.fh.datasync();
      if (this.dirtyTables.size || this.dirtyDirectory.size) {
        await this.writeMetadata();
        await this.fh.datasync();
      }
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    if (this.writable && (this.dirtyTables.size || this.dirtyDirectory.size)) await this.flush();
    if (this.uncleanMarked) {
      await this.fh.datasync();
      await writeAt(this.fh, Uint8Array.of(0), 72);
      await this.fh.datasync();
      this.uncleanMarked = false;
    }
  }

  override get writeRefusal(): VixError | null {
    if (this.compressed) {
      return new VixError(VIX_E_NOT_SUPPORTED,
        `${this.what}: streamOptimized (compressed) disks cannot be modified in place; convert it to another type to write to it`);
    }
    return super.writeRefusal;
  }

  /**
   * Rebuild the grain map of a stream whose grain directory cannot be found (no footer and
   * GD_AT_END): walk grain records and markers from overHead, as a streaming reader does.
   */
  private async scanStream(): Promise<void> {
    const fileSize = this.layout.fileSizeBytes;
    const head = new Uint8Array(16);
    let sector = this.header.overheadSectors;
    while (sector * SECTOR + 16 <= fileSize) {
      await readAt(this.fh, head, sector * SECTOR);
      const view = new DataView(head.buffer);
      const val = view.getBigUint64(0, true);
      const size = view.getUint32(8, true);
      if (size === 0) {
        const type = view.getUint32(12, true);
        if (type === MARKER_EOS) break;
        if (val > BigInt(this.fileSectors)) throw needsRepair(this.what, `marker at sector ${sector} claims ${val} sectors, past the end of the file`);
        sector += 1 + Number(val);
        continue;
      }
      if (size >= 2 * this.grainBytes) throw needsRepair(this.what, `grain record at sector ${sector} has an invalid size ${size}`);
      const lba = Number(val);
      if (!Number.isSafeInteger(lba) || lba % this.header.grainSizeSectors !== 0 || lba >= this.header.capacitySectors) {
        throw needsRepair(this.what, `grain record at sector ${sector} has an invalid LBA ${val}`);
      }
      const grain = lba / this.header.grainSizeSectors;
      const gdIndex = Math.floor(grain / this.gtes);
      let t = this.tables.get(gdIndex) as Uint32Array | undefined;
      if (!t) {
        // A real stream holds a grain table for each region it has grains in: more regions than
        // the file could hold tables for is damage, and would cost memory far beyond the file.
        if ((this.tables.size + 1) * this.gtes * 4 > Math.max(fileSize, SCAN_FREE_BYTES)) {
          throw needsRepair(this.what, `stream scan finds grains in more grain-table regions (${this.tables.size + 1}) than the file has room for tables`);
        }
        t = new Uint32Array(this.gtes);
        this.tables.set(gdIndex, t);
        this.gd[gdIndex] = 1; // marks "table present"; tables come from the scan, not the file
      }
      t[grain % this.gtes] = sector;
      sector += Math.ceil((12 + size) / SECTOR);
    }
  }
}

async function loadDirectory(fh: FileHandle, offsetSectors: number, entries: number, fileSectors: number, what: string, name: string): Promise<Uint32Array> {
  const sectors = Math.ceil((entries * 4) / SECTOR);
  if (offsetSectors < 1 || offsetSectors + sectors > fileSectors) {
    throw needsRepair(what, `${name} at sector ${offsetSectors} (${sectors} sectors) does not fit in the file (${fileSectors} sectors)`);
  }
  const bytes = new Uint8Array(entries * 4);
  await readAt(fh, bytes, offsetSectors * SECTOR);
  return new Uint32Array(bytes.buffer, 0, entries);
}

/** Directory entries must point inside the file, past the header (sharing is checkTableLayout's). */
function checkDirectory(gd: Uint32Array, gtSize: number, fileSectors: number, what: string, name: string): void {
  for (let i = 0; i < gd.length; i++) {
    const e = gd[i]!;
    if (e === 0) continue;
    if (e < 1 || e + gtSize > fileSectors) {
      throw needsRepair(what, `${name} entry ${i} points to sector ${e}, outside the file (${fileSectors} sectors)`);
    }
  }
}

/**
 * Grain tables (of both directories) must not lie in the embedded descriptor or a directory, nor
 * overlap each other (vmdk-format 2.4, 2.6). Besides being damage, overlapping tables would let a
 * small file make the reader hold many times its size in tables.
 */
function checkTableLayout(h: SparseHeader, gd: Uint32Array, rgd: Uint32Array | null, gtSize: number, what: string): void {
  const gdSectors = gdSizeSectors(h);
  const dirs: Array<[Uint32Array, string]> = [[gd, 'grain directory']];
  const reserved: Array<[number, number, string]> = [[h.gdOffsetSectors, h.gdOffsetSectors + gdSectors, 'the grain directory']];
  if (rgd) {
    dirs.push([rgd, 'redundant grain directory']);
    reserved.push([h.rgdOffsetSectors, h.rgdOffsetSectors + gdSectors, 'the redundant grain directory']);
  }
  if (h.descriptorOffsetSectors > 0 && h.descriptorSizeSectors > 0) {
    reserved.push([h.descriptorOffsetSectors, h.descriptorOffsetSectors + h.descriptorSizeSectors, 'the embedded descriptor']);
  }
  const starts = new Uint32Array(gd.length + (rgd?.length ?? 0));
  let n = 0;
  for (const [dir, name] of dirs) {
    for (let i = 0; i < dir.length; i++) {
      const e = dir[i]!;
      if (e === 0) continue;
      for (const [lo, hi, area] of reserved) {
        if (e < hi && e + gtSize > lo) {
          throw needsRepair(what, `${name} entry ${i} points to sector ${e}, inside ${area} (sectors ${lo}..${hi - 1})`);
        }
      }
      starts[n++] = e;
    }
  }
  const sorted = starts.subarray(0, n).sort();
  for (let k = 1; k < n; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    if (b >= a + gtSize) continue;
    // Name the two entries (only on this error path, so the search costs nothing otherwise).
    const owners: string[] = [];
    for (const [dir, name] of dirs) {
      for (let i = 0; i < dir.length && owners.length < 2; i++) if (dir[i] === a || dir[i] === b) owners.push(`${name} entry ${i}`);
    }
    throw needsRepair(what, `grain tables of ${owners.join(' and ')} overlap (sectors ${a} and ${b}, ${gtSize} sectors each)`);
  }
}

/** The footer of a stream (3.4): FOOTER marker at EOF-1536, footer header at EOF-1024, EOS last. */
async function readFooter(fh: FileHandle, fileSize: number, what: string): Promise<SparseHeader | null> {
  if (fileSize < 4 * SECTOR) return null;
  const tail = new Uint8Array(3 * SECTOR);
  await readAt(fh, tail, fileSize - tail.length);
  const view = new DataView(tail.buffer);
  if (view.getUint32(8, true) !== 0 || view.getUint32(12, true) !== MARKER_FOOTER) return null;
  if (view.getBigUint64(1024, true) !== 0n || view.getUint32(1032, true) !== 0 || view.getUint32(1036, true) !== MARKER_EOS) return null;
  try {
    return decodeSparseHeader(tail.subarray(SECTOR, 2 * SECTOR), `${what} (footer)`);
  } catch {
    return null;
  }
}

export { MARKER_GD, MARKER_GT, encodeSparseHeader, gdSizeSectors };
