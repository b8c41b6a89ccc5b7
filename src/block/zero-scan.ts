import { constants, open, type FileHandle } from 'node:fs/promises';
import type { BlockStatusExtent } from './block-device.js';
import { readAt } from './file-io.js';
import { isZero } from './is-zero.js';

// Node has no lseek(SEEK_DATA/SEEK_HOLE) and no FIEMAP, so where a sparse file's holes are can only
// be learnt by reading it. Reading a hole through the page cache makes the kernel allocate and zero
// a cache page for every 4 KiB of it (about 0.4-5 GB/s); an O_DIRECT read of a hole only zero-fills
// the caller's buffer (40+ GB/s measured here), so the scan reads with O_DIRECT where the file
// system allows it and falls back to ordinary reads where it does not.

/** Bytes per read while scanning; two buffers of this size, one read while the other is checked. */
const SCAN_CHUNK = 4 << 20;
/** Zero runs are found at this granularity: one default grain, as the copy loop detects zeros. */
const ZERO_GRANULE = 64 << 10;
/** O_DIRECT wants buffer address, file offset and length aligned to the logical block size. */
const DIRECT_ALIGN = 4096;
const WASM_PAGE = 64 << 10;

// Node's types leave WebAssembly to the DOM library; the one constructor used here.
declare const WebAssembly: { Memory: new (size: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

/** Finds the runs of a file that read as zeros, by reading it (for devices with no allocation map). */
export class ZeroScan {
  private direct: FileHandle | null = null;
  private buffers: [Uint8Array, Uint8Array] | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly fh: FileHandle) {}

  /**
   * [offset, offset + length) as runs that read as zeros (allocated or not: reading cannot tell a
   * hole from written zeros, so zero runs are reported allocated) and data runs. Scans run one at
   * a time: they share two buffers.
   */
  scan(offset: number, length: number): Promise<BlockStatusExtent[]> {
    const run = this.queue.then(() => this.scanNow(offset, length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const d = this.direct;
    this.direct = null;
    this.buffers = null;
    await d?.close();
  }

  private async scanNow(offset: number, length: number): Promise<BlockStatusExtent[]> {
    const out: BlockStatusExtent[] = [];
    const end = offset + length;
    if (length === 0) return out;
    const [a, b] = this.buffers ?? await this.setUp();
    const first = offset - (offset % ZERO_GRANULE);
    const push = (from: number, to: number, zero: boolean) => {
      const s = Math.max(from, offset);
      const e = Math.min(to, end);
      const last = out[out.length - 1];
      if (last && last.zero === zero) last.length = e - last.offset;
      else out.push({ offset: s, length: e - s, allocated: true, zero });
    };
    let pending = this.readChunk(a, first, end);
    try {
      for (let pos = first, buf = a; pos < end; pos += SCAN_CHUNK) {
        const n = await pending;
        const nextPos = pos + SCAN_CHUNK;
        const other = buf === a ? b : a;
        pending = nextPos < end ? this.readChunk(other, nextPos, end) : Promise.resolve(0);
        const chunk = buf.subarray(0, n);
        if (isZero(chunk)) push(pos, pos + n, true);
        else {
          for (let g = 0; g < n; g += ZERO_GRANULE) {
            const m = Math.min(ZERO_GRANULE, n - g);
            push(pos + g, pos + g + m, isZero(chunk.subarray(g, g + m)));
          }
        }
        buf = other;
      }
    } finally {
      // A read still going holds a buffer: it settles before the next scan may use it.
      await pending.catch(() => undefined);
    }
    return out;
  }

  /** Read [pos, min(pos + SCAN_CHUNK, end)) into buf (past end of file reads as zeros); returns its length. */
  private async readChunk(buf: Uint8Array, pos: number, end: number): Promise<number> {
    const n = Math.min(SCAN_CHUNK, end - pos);
    let done = 0;
    const direct = this.direct;
    if (direct) {
      // Whole aligned blocks only; the rest (a short read, end of file, an unaligned tail) is read normally.
      const aligned = n - (n % DIRECT_ALIGN);
      try {
        if (aligned > 0) done = (await direct.read(buf, 0, aligned, pos)).bytesRead;
        done -= done % DIRECT_ALIGN;
      } catch (err) {
        // EINVAL: this file or device wants another alignment after all; read normally from now on.
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        if (this.direct === direct) this.direct = null;
        await direct.close().catch(() => undefined);
        done = 0;
      }
    }
    if (done < n) await readAt(this.fh, buf.subarray(done, n), pos + done);
    return n;
  }

  /**
   * The two scan buffers, and an O_DIRECT handle on the same file (reopened through /proc, so a
   * rename since open cannot swap the file) when the file system allows one. O_DIRECT wants an
   * aligned buffer and a JavaScript buffer's address cannot be chosen, except that WebAssembly
   * memory starts on a page boundary: the buffers are views of one.
   */
  private async setUp(): Promise<[Uint8Array, Uint8Array]> {
    const memory = new WebAssembly.Memory({ initial: (2 * SCAN_CHUNK) / WASM_PAGE, maximum: (2 * SCAN_CHUNK) / WASM_PAGE });
    this.buffers = [new Uint8Array(memory.buffer, 0, SCAN_CHUNK), new Uint8Array(memory.buffer, SCAN_CHUNK, SCAN_CHUNK)];
    try {
      this.direct = await open(`/proc/self/fd/${this.fh.fd}`, constants.O_RDONLY | constants.O_DIRECT);
    } catch {
      // No /proc, or no O_DIRECT on this file system: ordinary reads will do.
    }
    return this.buffers;
  }
}
