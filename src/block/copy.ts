import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_OUTOFRANGE } from '../errors/error-codes.js';
import type { BlockDevice } from './block-device.js';
import { isZero } from './is-zero.js';

// The one copy loop behind convert, clone, backup and restore: block status first (holes are not
// read), reads kept in flight, writes issued in disk order (so a stream writer can take them), zero
// runs found in the data left out, buffers reused. Work goes in chunk-aligned windows: all the data
// extents of a window are read together into one buffer, so a fragmented source keeps as many
// reads in flight as a contiguous one.

export interface CopyOptions {
  /** Bytes per request, and the size of the aligned windows the disk is copied in; 2 MiB by default. */
  chunkSize?: number;
  /** Windows in flight (each with all its reads); 8 by default. */
  concurrency?: number;
  /** Granularity at which all-zero data is detected and left out; 64 KiB (one default grain). */
  zeroDetectSize?: number;
  /** The destination already reads as zeros everywhere (a new disk): holes and zeros are skipped. */
  destinationIsZero?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /**
   * Makes the (reused) buffers the source is read into; plain memory by default. A source that
   * fills buffers from worker threads asks for shared memory here, so nothing is copied back.
   */
  allocate?: (bytes: number) => Uint8Array;
}

export interface CopyResult {
  /** Bytes read from the source. */
  bytesRead: number;
  /** Bytes written to the destination (zeros left out are not counted). */
  bytesWritten: number;
}

/** A run inside one chunk-aligned window: data to read, or known to read as zeros. */
interface Piece {
  offset: number;
  length: number;
  zero: boolean;
  /** Data pieces: where in the window's buffer the piece was read to. */
  at: number;
}

/** Wait for every promise to settle, then throw the first failure if there was one. */
async function settleAll(promises: Array<Promise<void>>): Promise<void> {
  const settled = await Promise.allSettled(promises);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
}

/** Status is asked for in windows of this size, bounding the extent list held at once. */
const STATUS_WINDOW = 1 << 30;
/** The first window is this size, each next one twice the last (up to STATUS_WINDOW). */
const FIRST_STATUS_WINDOW = 32 << 20;

export async function copyDevice(src: BlockDevice, dst: BlockDevice, options: CopyOptions = {}): Promise<CopyResult> {
  const total = src.capacity;
  if (dst.capacity < total) {
    throw new VixError(VIX_E_DISK_OUTOFRANGE, `destination (${dst.capacity} bytes) is smaller than the source (${total} bytes)`);
  }
  const chunkSize = options.chunkSize ?? 2 << 20;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const zeroSize = options.zeroDetectSize ?? 64 << 10;
  const dstZero = options.destinationIsZero ?? false;
  const allocate = options.allocate ?? ((n: number) => new Uint8Array(n));
  const result: CopyResult = { bytesRead: 0, bytesWritten: 0 };
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };

  const pool: Uint8Array[] = [];
  const tasks = new Set<Promise<void>>();
  let failure: unknown = null;
  // Writes are issued in disk order: each task waits for the one before it to have issued.
  let issued: Promise<void> = Promise.resolve();

  const zeroRange = async (offset: number, length: number) => {
    if (dstZero) return;
    if (dst.canZero || dst.sequentialWrite) await dst.zero(offset, length);
    else {
      for (let o = 0; o < length; o += chunkSize) {
        const n = Math.min(chunkSize, length - o);
        await dst.write(offset + o, new Uint8Array(n));
      }
    }
  };

  const schedule = async (run: (prevIssued: Promise<void>, markIssued: () => void) => Promise<void>) => {
    const prev = issued;
    let mark!: () => void;
    issued = new Promise<void>((r) => (mark = r));
    const task = run(prev, mark).catch((err) => {
      mark();
      failure ??= err;
    }).finally(() => tasks.delete(task));
    tasks.add(task);
    while (tasks.size >= concurrency) await Promise.race(tasks);
  };

  /** Data written as runs of non-zero pieces (zero-detected at zeroSize), zeros left to zeroRange. */
  const writeData = (offset: number, view: Uint8Array, writes: Array<Promise<void>>) => {
    const length = view.length;
    let runStart = -1;
    for (let p = 0; p < length; p += zeroSize) {
      const n = Math.min(zeroSize, length - p);
      const zero = isZero(view.subarray(p, p + n));
      if (!zero && runStart < 0) runStart = p;
      if (zero && runStart >= 0) {
        writes.push(dst.write(offset + runStart, view.subarray(runStart, p)));
        result.bytesWritten += p - runStart;
        runStart = -1;
      }
      if (zero && !dstZero) writes.push(zeroRange(offset + p, n));
    }
    if (runStart >= 0) {
      writes.push(dst.write(offset + runStart, view.subarray(runStart, length)));
      result.bytesWritten += length - runStart;
    }
  };

  /**
   * Start reading every data piece of a window into `buf`. Data pieces are packed at the front of
   * the buffer rather than placed at their offsets in the window: the memory a copy touches (page
   * faults, cache) follows the data, not the holes.
   */
  const startReads = (pieces: Piece[], buf: Uint8Array, reads: Array<Promise<void>>): number => {
    let bytes = 0;
    for (const p of pieces) {
      if (p.zero) continue;
      p.at = bytes;
      reads.push(src.read(p.offset, buf.subarray(bytes, bytes + p.length)));
      bytes += p.length;
    }
    return bytes;
  };

  /** Start writing a window's pieces (data and known-zero), in disk order. */
  const startWrites = (pieces: Piece[], buf: Uint8Array | null, writes: Array<Promise<void>>): void => {
    for (const p of pieces) {
      if (!p.zero) writeData(p.offset, buf!.subarray(p.at, p.at + p.length), writes);
      else if (!dstZero) writes.push(zeroRange(p.offset, p.length));
    }
  };

  // One task per chunk-aligned window: every data piece of the window is read at once into one
  // pooled buffer, then the window's pieces (data and known-zero) are written in disk order. A
  // fragmented image (extents of a grain or two, as most are) thus keeps a whole window's reads in
  // flight, where one task per extent kept only `concurrency` small requests going. (The loops
  // live in the small functions above: V8 compiles this async task, run once per window, cheaply.)
  const copyWindow = (pieces: Piece[]) => schedule(async (prev, markIssued) => {
    const last = pieces[pieces.length - 1]!;
    const length = last.offset + last.length - pieces[0]!.offset;
    const buf = pieces.some((p) => !p.zero) ? pool.pop() ?? allocate(chunkSize) : null;
    try {
      if (buf) {
        const reads: Array<Promise<void>> = [];
        result.bytesRead += startReads(pieces, buf, reads);
        // Every read settles before the buffer can go back to the pool, failed or not.
        await settleAll(reads);
      }
      await prev;
      if (failure) { markIssued(); return; }
      const writes: Array<Promise<void>> = [];
      startWrites(pieces, buf, writes);
      markIssued();
      await settleAll(writes);
      progress(length);
    } finally {
      if (buf) pool.push(buf);
    }
  });

  // Zero runs keep their place in the write order (a stream destination must see them in order).
  const zeroTask = (offset: number, length: number) => schedule(async (prev, markIssued) => {
    await prev;
    const p = zeroRange(offset, length);
    markIssued();
    await p;
    progress(length);
  });

  // Pieces of consecutive extents inside the current chunk-aligned window, not yet scheduled.
  let windowPieces: Piece[] = [];
  let windowIndex = -1;
  const flushWindow = async () => {
    if (windowPieces.length === 0) return;
    const w = windowPieces;
    windowPieces = [];
    await copyWindow(w);
  };

  // The map is asked for window by window, the next one while this one is copied, and the first
  // window is small: a whole-disk status query can take tens of milliseconds, with nothing read meanwhile.
  const statusFor = (start: number, length: number) => {
    const p = src.blockStatus(start, Math.min(length, total - start));
    p.catch(() => undefined); // a copy that fails first never awaits it
    return p;
  };
  let statusLen = FIRST_STATUS_WINDOW;
  let nextStatus = total > 0 ? statusFor(0, statusLen) : null;
  for (let winStart = 0; winStart < total && !failure;) {
    const winLen = Math.min(statusLen, total - winStart);
    const extents = await nextStatus!;
    statusLen = Math.min(statusLen * 2, STATUS_WINDOW);
    nextStatus = winStart + winLen < total ? statusFor(winStart + winLen, statusLen) : null;
    winStart += winLen;
    for (const e of extents) {
      if (failure) break;
      if (e.zero && e.length > chunkSize) {
        // A long zero run is one zero request (or nothing, onto a zeroed destination).
        await flushWindow();
        await zeroTask(e.offset, e.length);
        continue;
      }
      // Pieces end at chunkSize boundaries, keeping requests aligned for the destination.
      for (let off = e.offset; off < e.offset + e.length && !failure;) {
        const index = Math.floor(off / chunkSize);
        const next = Math.min(e.offset + e.length, (index + 1) * chunkSize);
        if (index !== windowIndex) {
          await flushWindow();
          windowIndex = index;
        }
        windowPieces.push({ offset: off, length: next - off, zero: e.zero, at: 0 });
        off = next;
      }
    }
  }
  if (!failure) await flushWindow();
  await Promise.all(tasks);
  if (failure) throw failure;
  return result;
}
