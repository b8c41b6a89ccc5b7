import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_OUTOFRANGE } from '../errors/error-codes.js';
import type { BlockDevice } from './block-device.js';
import { isZero } from './is-zero.js';

// The one copy loop behind convert, clone, backup and restore: block status first (holes are not
// read), reads kept in flight, writes issued in disk order (so a stream writer can take them), zero
// runs found in the data left out, buffers reused.

export interface CopyOptions {
  /** Bytes per request; 2 MiB by default. */
  chunkSize?: number;
  /** Requests in flight; 8 by default. */
  concurrency?: number;
  /** Granularity at which all-zero data is detected and left out; 64 KiB (one default grain). */
  zeroDetectSize?: number;
  /** The destination already reads as zeros everywhere (a new disk): holes and zeros are skipped. */
  destinationIsZero?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface CopyResult {
  /** Bytes read from the source. */
  bytesRead: number;
  /** Bytes written to the destination (zeros left out are not counted). */
  bytesWritten: number;
}

/** Status is asked for in windows of this size, bounding the extent list held at once. */
const STATUS_WINDOW = 1 << 30;

export async function copyDevice(src: BlockDevice, dst: BlockDevice, options: CopyOptions = {}): Promise<CopyResult> {
  const total = src.capacity;
  if (dst.capacity < total) {
    throw new VixError(VIX_E_DISK_OUTOFRANGE, `destination (${dst.capacity} bytes) is smaller than the source (${total} bytes)`);
  }
  const chunkSize = options.chunkSize ?? 2 << 20;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const zeroSize = options.zeroDetectSize ?? 64 << 10;
  const dstZero = options.destinationIsZero ?? false;
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

  const copyChunk = (offset: number, length: number) => schedule(async (prev, markIssued) => {
    const buf = pool.pop() ?? new Uint8Array(chunkSize);
    try {
      const view = buf.subarray(0, length);
      await src.read(offset, view);
      result.bytesRead += length;
      await prev;
      if (failure) { markIssued(); return; }
      const writes: Array<Promise<void>> = [];
      // Split into runs of zero and non-zero pieces; only non-zero runs are written.
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
      markIssued();
      await Promise.all(writes);
      progress(length);
    } finally {
      pool.push(buf);
    }
  });

  for (let winStart = 0; winStart < total && !failure; winStart += STATUS_WINDOW) {
    const winLen = Math.min(STATUS_WINDOW, total - winStart);
    const extents = await src.blockStatus(winStart, winLen);
    for (const e of extents) {
      if (failure) break;
      if (e.zero) {
        // Zero runs keep their place in the write order (a stream destination must see them in order).
        await schedule(async (prev, markIssued) => {
          await prev;
          const p = zeroRange(e.offset, e.length);
          markIssued();
          await p;
          progress(e.length);
        });
        continue;
      }
      // Chunks aligned to chunkSize boundaries keep requests aligned for the destination.
      for (let off = e.offset; off < e.offset + e.length && !failure;) {
        const next = Math.min(e.offset + e.length, (Math.floor(off / chunkSize) + 1) * chunkSize);
        await copyChunk(off, next - off);
        off = next;
      }
    }
  }
  await Promise.all(tasks);
  if (failure) throw failure;
  return result;
}
