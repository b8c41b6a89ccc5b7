import { open, type FileHandle } from 'node:fs/promises';
import { deflate, type ZlibOptions } from 'node:zlib';
import { DiskLock } from '../block/disk-lock.js';
import { checkRange, type BlockDevice, type BlockStatusExtent } from '../block/block-device.js';
import { isZero } from '../block/is-zero.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVAL, VIX_E_DISK_NOIO, VIX_E_FILE_TOO_BIG, VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import type { Descriptor } from './descriptor.js';
import {
  COMPRESSION_DEFLATE, FLAG_COMPRESSED, FLAG_MARKERS, FLAG_VALID_NEWLINE, MAX_GD_ENTRIES, SECTOR,
  encodeSparseHeader, type SparseHeader,
} from './sparse-header.js';

// Writes a streamOptimized sparse extent front to back in VMware's canonical layout
// (../shared/reference/vmdk-format.md 3.4):
//
//   sector 0        header, gdOffset = GD_AT_END
//   1 .. 20         embedded descriptor, NUL-padded; zeros up to overHead (128)
//   128 ..          compressed grain records in ascending LBA order (zero grains omitted), each
//                   grain-table region closed by a GT marker + its 4-sector grain table
//   then            GD marker + grain directory, FOOTER marker + footer, EOS marker (last sector)
//
// Grains are compressed in parallel on the libuv threadpool; their records are placed into the
// file strictly in order, because a record's sector (the grain table entry) is only known once
// everything before it has been placed.

/** Canonical streamOptimized geometry (3.1). */
const GRAIN_SIZE_SECTORS = 128;
const GRAIN_BYTES = GRAIN_SIZE_SECTORS * SECTOR;
const GTES_PER_GT = 512;
const GT_BYTES = GTES_PER_GT * 4;
const GT_SIZE_SECTORS = GT_BYTES / SECTOR;
const DESCRIPTOR_OFFSET_SECTORS = 1;
const DESCRIPTOR_SIZE_SECTORS = 20;
/** First grain record: grain-aligned, after header and descriptor (VirtualBox scans from here). */
const OVERHEAD_SECTORS = 128;
const STREAM_FLAGS = FLAG_VALID_NEWLINE | FLAG_COMPRESSED | FLAG_MARKERS; // 0x30001, no redundant GD

/** Metadata marker types (3.3). */
const MARKER_EOS = 0;
const MARKER_GT = 1;
const MARKER_GD = 2;
const MARKER_FOOTER = 3;

/** Grain record header: u64 lba + u32 compressed size (3.2). */
const RECORD_HEADER_BYTES = 12;
/** Grain table entries are u32 sectors of the extent file (2.10). */
const MAX_FILE_SECTORS = 2 ** 32;
/** A record's payload is < 2 grains (3.2), so a record takes at most this many sectors. */
const MAX_RECORD_SECTORS = 2 * GRAIN_SIZE_SECTORS + 1;
/** A deflated grain fits in one output chunk (deflateBound(64 KiB) is ~64 KiB + 40 bytes). */
const DEFLATE_CHUNK_BYTES = GRAIN_BYTES + 1024;
/** Records gathered into one positional writev at most. */
const MAX_RECORDS_PER_APPEND = 256;
const DEFAULT_CONCURRENCY = 32;

const ZERO_SECTOR = Buffer.alloc(SECTOR);
const STORED: ZlibOptions = { level: 0, chunkSize: DEFLATE_CHUNK_BYTES };
const ENTROPY_SAMPLES = 256;

/**
 * True when `grain` looks incompressible: of 256 bytes sampled across it, more than half are
 * distinct values (uniform random data gives ~162 distinct, text ~30, structured binary fewer).
 */
function looksIncompressible(grain: Uint8Array): boolean {
  const seen = new Uint8Array(256);
  const step = Math.max(1, Math.floor(grain.length / ENTROPY_SAMPLES));
  let distinct = 0;
  for (let i = 0; i < grain.length; i += step) {
    const b = grain[i]!;
    if (seen[b] === 0) {
      seen[b] = 1;
      distinct++;
    }
  }
  return distinct > ENTROPY_SAMPLES / 2;
}

export interface StreamOptimizedWriterOptions {
  /** Replace an existing file instead of failing with VIX_E_FILE_ALREADY_EXISTS. */
  overwrite?: boolean;
  /** zlib level 0..9 (or -1 for zlib's default, 6). */
  compressionLevel?: number;
  /** Grains queued for compression or waiting to be appended, at most. Bounds memory. */
  concurrency?: number;
}

/** One grain between write() and its record reaching the file. */
interface QueuedGrain {
  grainIndex: number;
  /** The zlib stream, once compression has finished. */
  payload: Buffer | null;
}

/** A grain that has received part of its bytes and waits for the rest (or for a write past it). */
interface PartialGrain {
  grainIndex: number;
  /** Zero-filled on creation; bytes not yet written read as zeros. */
  buffer: Buffer;
}

function marker(numSectors: number, type: number): Buffer {
  // 3.3: val (u64), size = 0 (u32), type (u32), 496 zero bytes.
  const m = Buffer.alloc(SECTOR);
  m.writeUInt32LE(numSectors % 2 ** 32, 0);
  m.writeUInt32LE(Math.floor(numSectors / 2 ** 32), 4);
  m.writeUInt32LE(type, 12);
  return m;
}

/** Positional gather-write that finishes the whole request (the OS may write less). */
async function writevAt(fh: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, position);
    position += bytesWritten;
    let skip = bytesWritten;
    let i = 0;
    while (i < pending.length && skip >= pending[i]!.length) skip -= pending[i++]!.length;
    pending = pending.slice(i);
    if (pending.length > 0 && skip > 0) pending[0] = pending[0]!.subarray(skip);
  }
}

export class StreamOptimizedWriter implements BlockDevice {
  readonly readOnly = false;
  readonly canZero = true;
  readonly sequentialWrite = true;

  /** Everything below this byte of the virtual disk has been written or skipped. */
  private position = 0;
  private partial: PartialGrain | null = null;
  /** Grains in order of LBA; the head is appended as soon as its compression is done. */
  private readonly queue: QueuedGrain[] = [];
  /** Grains queued or compressed but not yet in the file. */
  private inFlight = 0;
  private appending = false;
  private readonly waiters: Array<() => void> = [];
  private readonly freeBuffers: Buffer[] = [];
  private failure: VixError | null = null;

  /** Next free sector of the extent file. */
  private fileSector = OVERHEAD_SECTORS;
  /** Grain-table region (index into the GD) whose table is being filled, and that table. */
  private gtRegion = -1;
  private grainTable: Buffer | null = null;
  private readonly grainDirectory: Buffer;

  /** Public operations run one after another, in call order. */
  private opChain: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly capacity: number,
    private readonly header: SparseHeader,
    private readonly deflateOptions: ZlibOptions,
    private readonly concurrency: number,
    /** The file's writer lock, held from creation to close (block/disk-lock.ts). */
    private readonly lock: DiskLock,
  ) {
    const gdEntries = Math.ceil(header.capacitySectors / (GTES_PER_GT * GRAIN_SIZE_SECTORS));
    this.grainDirectory = Buffer.alloc(Math.ceil((gdEntries * 4) / SECTOR) * SECTOR);
  }

  /**
   * Create `path` and write the header and the embedded descriptor. `descriptor` must describe a
   * streamOptimized disk of `capacityBytes` with one SPARSE extent (this file).
   */
  static async create(
    path: string,
    capacityBytes: number,
    descriptor: Descriptor,
    options: StreamOptimizedWriterOptions = {},
  ): Promise<StreamOptimizedWriter> {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % SECTOR !== 0) {
      throw new VixError(VIX_E_DISK_INVAL, `disk capacity ${capacityBytes} bytes is not a positive multiple of ${SECTOR}`);
    }
    const capacitySectors = capacityBytes / SECTOR;
    if (Math.ceil(capacitySectors / (GTES_PER_GT * GRAIN_SIZE_SECTORS)) > MAX_GD_ENTRIES) {
      throw new VixError(VIX_E_DISK_INVAL, `disk capacity ${capacityBytes} bytes is too large for a sparse extent`);
    }
    const level = options.compressionLevel ?? -1;
    if (!Number.isInteger(level) || level < -1 || level > 9) {
      throw new VixError(VIX_E_DISK_INVAL, `compression level ${level} is not -1 or 0 to 9`);
    }
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new VixError(VIX_E_DISK_INVAL, `concurrency ${concurrency} is not a positive integer`);
    }
    if (descriptor.createType.toLowerCase() !== 'streamoptimized') {
      throw new VixError(VIX_E_DISK_INVAL, `descriptor createType is "${descriptor.createType}", not "streamOptimized"`);
    }
    const extents = descriptor.extents;
    if (extents.length !== 1 || extents[0]!.type !== 'SPARSE' || extents[0]!.sizeSectors !== capacitySectors) {
      throw new VixError(VIX_E_DISK_INVAL,
        `a streamOptimized descriptor needs exactly one SPARSE extent of ${capacitySectors} sectors`);
    }
    // 2.8 / 3.1: the descriptor lives in the 20 sectors reserved at sector 1.
    const text = descriptor.toBytes();
    if (text.length > DESCRIPTOR_SIZE_SECTORS * SECTOR) {
      throw new VixError(VIX_E_DISK_INVAL,
        `descriptor is ${text.length} bytes, more than the ${DESCRIPTOR_SIZE_SECTORS * SECTOR} reserved for it`);
    }

    const header: SparseHeader = {
      version: 3, // 3.9: ESXi refuses lower versions
      flags: STREAM_FLAGS,
      capacitySectors,
      grainSizeSectors: GRAIN_SIZE_SECTORS,
      descriptorOffsetSectors: DESCRIPTOR_OFFSET_SECTORS,
      descriptorSizeSectors: DESCRIPTOR_SIZE_SECTORS,
      numGTEsPerGT: GTES_PER_GT,
      rgdOffsetSectors: 0,
      gdOffsetSectors: -1, // GD_AT_END: the footer holds the real one
      overheadSectors: OVERHEAD_SECTORS,
      uncleanShutdown: false,
      compressAlgorithm: COMPRESSION_DEFLATE,
    };
    // Header, descriptor and the zero padding up to overHead, in one write.
    const lead = Buffer.alloc(OVERHEAD_SECTORS * SECTOR);
    encodeSparseHeader(header).copy(lead, 0);
    text.copy(lead, DESCRIPTOR_OFFSET_SECTORS * SECTOR);

    const lock = new DiskLock('exclusive');
    let fh: FileHandle;
    try {
      await lock.add(path);
      fh = await open(path, options.overwrite ? 'w' : 'wx');
    } catch (err) {
      await lock.release();
      throw toVixError(err, path);
    }
    try {
      await writevAt(fh, [lead], 0);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await lock.release();
      throw toVixError(err, path);
    }
    // chunkSize: one output buffer per grain, so each grain is a single threadpool job.
    // memLevel 9 (a larger hash table) costs ~5% less CPU than the default 8 for the same output
    // size within 0.1%; the stream is an ordinary zlib stream either way.
    const deflateOptions: ZlibOptions = { level, memLevel: 9, chunkSize: DEFLATE_CHUNK_BYTES };
    return new StreamOptimizedWriter(fh, path, capacityBytes, header, deflateOptions, concurrency, lock);
  }

  // ---- BlockDevice --------------------------------------------------------------------------

  read(_offset: number, _buffer: Uint8Array): Promise<void> {
    return Promise.reject(new VixError(VIX_E_NOT_SUPPORTED,
      `${this.path}: a streamOptimized disk being written cannot be read until it is closed`));
  }

  blockStatus(_offset: number, _length: number): Promise<BlockStatusExtent[]> {
    return Promise.reject(new VixError(VIX_E_NOT_SUPPORTED,
      `${this.path}: a streamOptimized disk being written reports no block status`));
  }

  /**
   * Write `data` at `offset`, which must not lie before the end of earlier writes. Resolves once
   * the bytes are copied into the compression queue (the caller may reuse `data` then).
   */
  write(offset: number, data: Uint8Array): Promise<void> {
    return this.serialize(() => this.writeInOrder(offset, data));
  }

  /** Zeros are holes in a sparse extent: only moves the write position (ascending, like write). */
  zero(offset: number, length: number): Promise<void> {
    return this.serialize(async () => {
      this.checkOpen();
      checkRange(this.capacity, offset, length);
      this.checkAscending(offset, 'zero');
      await this.completePartialBefore(offset + length);
      this.position = offset + length;
    });
  }

  /** Wait until every queued grain is in the file and sync it. The stream stays open. */
  flush(): Promise<void> {
    return this.serialize(async () => {
      this.checkOpen();
      await this.drain();
      try {
        await this.fh.datasync();
      } catch (err) {
        throw toVixError(err, this.path);
      }
    });
  }

  /** Finish the stream (last grain, last grain table, GD, footer, EOS) and close the file. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.serialize(() => this.finish());
    return this.closing;
  }

  // ---- writing ------------------------------------------------------------------------------

  /** Queue `op` after earlier operations. Calls made after close() fail at once. */
  private serialize(op: () => Promise<void>): Promise<void> {
    if (this.closing) {
      return Promise.reject(new VixError(VIX_E_DISK_NOIO, `${this.path}: the streamOptimized disk is closed`));
    }
    const run = this.opChain.then(op);
    this.opChain = run.then(() => undefined, () => undefined);
    return run;
  }

  /** An earlier failure (compression, file I/O) ends the stream. */
  private checkOpen(): void {
    if (this.failure) throw this.failure;
  }

  private checkAscending(offset: number, what: string): void {
    if (offset < this.position) {
      throw new VixError(VIX_E_NOT_SUPPORTED,
        `streamOptimized disks are written sequentially: ${what} at byte ${offset} is before byte ${this.position}, ` +
        'the end of what was already written');
    }
  }

  private async writeInOrder(offset: number, data: Uint8Array): Promise<void> {
    this.checkOpen();
    checkRange(this.capacity, offset, data.length);
    this.checkAscending(offset, 'a write');
    if (data.length === 0) return;
    await this.completePartialBefore(offset);
    const end = offset + data.length;
    let pos = offset;
    while (pos < end) {
      const grainIndex = Math.floor(pos / GRAIN_BYTES);
      const grainStart = grainIndex * GRAIN_BYTES;
      // The last grain may be short; it is compressed zero-padded to a full grain (3.6).
      const grainEnd = Math.min(grainStart + GRAIN_BYTES, this.capacity);
      const n = Math.min(grainEnd, end) - pos;
      const bytes = data.subarray(pos - offset, pos - offset + n);
      if (this.partial === null && n === GRAIN_BYTES) {
        // A whole grain: all-zero grains are omitted (GTE 0), others copied once and queued.
        if (!isZero(bytes)) {
          await this.waitForRoom();
          const input = this.takeBuffer();
          input.set(bytes);
          this.startCompression(grainIndex, input);
        }
      } else {
        if (this.partial === null && !isZero(bytes)) {
          this.partial = { grainIndex, buffer: this.takeBuffer().fill(0) };
        }
        this.partial?.buffer.set(bytes, pos - grainStart);
        if (pos + n === grainEnd) await this.completePartial();
      }
      pos += n;
    }
    this.position = end;
  }

  /** A write or zero reaching `offset` is past the partial grain: queue it as it is. */
  private async completePartialBefore(offset: number): Promise<void> {
    if (this.partial === null) return;
    const grainEnd = Math.min((this.partial.grainIndex + 1) * GRAIN_BYTES, this.capacity);
    if (offset >= grainEnd) await this.completePartial();
  }

  private async completePartial(): Promise<void> {
    const p = this.partial;
    if (p === null) return;
    this.partial = null;
    if (isZero(p.buffer)) {
      this.freeBuffers.push(p.buffer);
      return;
    }
    await this.waitForRoom();
    this.startCompression(p.grainIndex, p.buffer);
  }

  private takeBuffer(): Buffer {
    return this.freeBuffers.pop() ?? Buffer.allocUnsafeSlow(GRAIN_BYTES);
  }

  /** Back-pressure: at most `concurrency` grains between write() and the file. */
  private async waitForRoom(): Promise<void> {
    while (this.inFlight >= this.concurrency && !this.failure) await this.progress();
    if (this.failure) throw this.failure;
  }

  /** Wait until every queued grain has been appended. */
  private async drain(): Promise<void> {
    while ((this.queue.length > 0 || this.appending) && !this.failure) await this.progress();
    if (this.failure) throw this.failure;
  }

  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private fail(err: VixError): void {
    this.failure ??= err;
    this.wake();
  }

  private startCompression(grainIndex: number, input: Buffer): void {
    const slot: QueuedGrain = { grainIndex, payload: null };
    this.queue.push(slot);
    this.inFlight++;
    // 3.6: an independent zlib-wrapped stream per grain (zlib.deflate, not deflateRaw), run on the
    // libuv threadpool; every grain in flight is handed over at once so the pool never idles.
    // Grains that look like random data (encrypted or already compressed content) would cost a full
    // deflate to shrink by nothing: they are stored (level 0, still a valid zlib stream) instead.
    const options = this.deflateOptions.level !== 0 && looksIncompressible(input) ? STORED : this.deflateOptions;
    deflate(input, options, (err, payload) => {
      this.freeBuffers.push(input);
      if (err) {
        this.fail(toVixError(err, `${this.path}: compressing grain ${grainIndex}`));
        return;
      }
      slot.payload = payload;
      this.appendReady();
    });
  }

  /**
   * Place the compressed grains at the head of the queue, in order, and append them with one
   * positional writev. Only one append runs at a time; grains finishing meanwhile form the next batch.
   */
  private appendReady(): void {
    if (this.appending || this.failure) return;
    const startByte = this.fileSector * SECTOR;
    const iov: Uint8Array[] = [];
    let placed = 0;
    while (placed < MAX_RECORDS_PER_APPEND && this.queue.length > 0 && this.queue[0]!.payload !== null) {
      // 2.10: grain table and directory entries are u32 sectors; keep room for a record and a table.
      if (this.fileSector + MAX_RECORD_SECTORS + 1 + GT_SIZE_SECTORS >= MAX_FILE_SECTORS) {
        this.fail(new VixError(VIX_E_FILE_TOO_BIG,
          `${this.path}: the stream would grow past 2 TiB, beyond what 32-bit grain table entries address`));
        return;
      }
      const slot = this.queue.shift()!;
      this.placeGrain(slot.grainIndex, slot.payload!, iov);
      placed++;
    }
    if (placed === 0) return;
    this.appending = true;
    writevAt(this.fh, iov, startByte).then(() => {
      this.appending = false;
      this.inFlight -= placed;
      this.wake();
      this.appendReady();
    }, (err: unknown) => {
      this.appending = false;
      this.fail(toVixError(err, this.path));
    });
  }

  /** Lay out one grain record (3.2) at the current file sector and note it in its grain table. */
  private placeGrain(grainIndex: number, payload: Buffer, iov: Uint8Array[]): void {
    const region = Math.floor(grainIndex / GTES_PER_GT);
    if (region !== this.gtRegion) {
      // Ascending order: the previous region is complete, so its table follows its last grain.
      this.placeGrainTable(iov);
      this.gtRegion = region;
      this.grainTable = Buffer.alloc(GT_BYTES);
    }
    const lba = grainIndex * GRAIN_SIZE_SECTORS;
    const recordHeader = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
    recordHeader.writeUInt32LE(lba % 2 ** 32, 0);
    recordHeader.writeUInt32LE(Math.floor(lba / 2 ** 32), 4);
    recordHeader.writeUInt32LE(payload.length, 8);
    const recordBytes = RECORD_HEADER_BYTES + payload.length;
    const recordSectors = Math.ceil(recordBytes / SECTOR);
    iov.push(recordHeader, payload);
    const pad = recordSectors * SECTOR - recordBytes;
    if (pad > 0) iov.push(ZERO_SECTOR.subarray(0, pad));
    // The GTE is the sector of the record, not of its payload.
    this.grainTable!.writeUInt32LE(this.fileSector, (grainIndex % GTES_PER_GT) * 4);
    this.fileSector += recordSectors;
  }

  /** GT marker (val 4, type 1) + the grain table; the GD entry points at the table (3.4). */
  private placeGrainTable(iov: Uint8Array[]): void {
    if (this.grainTable === null) return; // regions without grains have no table (GD entry 0)
    iov.push(marker(GT_SIZE_SECTORS, MARKER_GT), this.grainTable);
    this.grainDirectory.writeUInt32LE(this.fileSector + 1, this.gtRegion * 4);
    this.fileSector += 1 + GT_SIZE_SECTORS;
    this.grainTable = null;
  }

  private async finish(): Promise<void> {
    let failed = false;
    try {
      if (this.failure) throw this.failure;
      await this.completePartial();
      await this.drain();
      const startByte = this.fileSector * SECTOR;
      const iov: Uint8Array[] = [];
      this.placeGrainTable(iov);
      const gdSizeSectors = this.grainDirectory.length / SECTOR;
      iov.push(marker(gdSizeSectors, MARKER_GD), this.grainDirectory);
      const gdOffsetSectors = this.fileSector + 1;
      this.fileSector += 1 + gdSizeSectors;
      // The footer is the header with the real gdOffset; EOS must be the very last sector.
      iov.push(marker(1, MARKER_FOOTER), encodeSparseHeader({ ...this.header, gdOffsetSectors }));
      iov.push(marker(0, MARKER_EOS));
      this.fileSector += 3;
      if (this.fileSector > MAX_FILE_SECTORS) {
        throw new VixError(VIX_E_FILE_TOO_BIG, `${this.path}: the stream would grow past 2 TiB`);
      }
      await writevAt(this.fh, iov, startByte);
      await this.fh.datasync();
    } catch (err) {
      failed = true;
      throw toVixError(err, this.path);
    } finally {
      try {
        await this.fh.close();
      } catch (err) {
        if (!failed) throw toVixError(err, this.path);
      } finally {
        await this.lock.release();
      }
    }
  }
}
