import { open, stat, statfs, type FileHandle } from 'node:fs/promises';
import { DiskLock } from './disk-lock.js';
import { checkRange, type BlockDevice, type BlockStatusExtent } from './block-device.js';
import { readAt, writeAt } from './file-io.js';
import { isZero } from './is-zero.js';
import { ZeroScan } from './zero-scan.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_READ_ONLY, VIX_E_INCORRECT_FILE_TYPE } from '../errors/error-codes.js';

const ZERO_CHUNK = new Uint8Array(1 << 20);

/**
 * File systems whose st_blocks counts every block a file holds, data not yet written back
 * included (ext4, XFS and Btrfs count delayed allocations, tmpfs its pages): statfs f_type magics.
 */
const BLOCK_COUNTING_FILE_SYSTEMS = new Set([0xef53 /* ext2/3/4 */, 0x58465342 /* XFS */, 0x9123683e /* Btrfs */, 0x01021994 /* tmpfs */]);
/**
 * Data kept inside the inode (ext4 inline_data, Btrfs inline extents) uses no block. It is the
 * start of the file (and stays there if the file is extended) and smaller than an inode or a
 * sector, both at most 64 KiB.
 */
const MAX_INLINE_DATA = 64 << 10;
/** A file with less than this share of its size allocated is scanned for its holes (see blockStatus). */
const SCAN_BELOW_ALLOCATED_SHARE = 1 / 4;

/** A raw image file: byte i of the device is byte i of the file. */
export class RawFileDevice implements BlockDevice {
  readonly canZero = false;
  private closed = false;
  private readonly zeroScan: ZeroScan;
  private blocksCounted: Promise<boolean> | null = null;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    public capacity: number,
    readonly readOnly: boolean,
    private readonly lock: DiskLock,
  ) {
    this.zeroScan = new ZeroScan(fh);
  }

  static async open(path: string, options: { readOnly?: boolean } = {}): Promise<RawFileDevice> {
    const readOnly = options.readOnly ?? false;
    // Raw images are locked as VMDK files are (qemu locks them too): see disk-lock.ts.
    const lock = new DiskLock(readOnly ? 'shared' : 'exclusive');
    let fh: FileHandle;
    try {
      // Only files and block devices hold disks; opening a FIFO would block forever.
      const st = await stat(path);
      if (!st.isFile() && !st.isBlockDevice()) {
        throw new VixError(VIX_E_INCORRECT_FILE_TYPE, `${path} is ${st.isDirectory() ? 'a directory' : 'not a file or block device'}`);
      }
      await lock.add(path);
      fh = await open(path, readOnly ? 'r' : 'r+');
      const { size } = await fh.stat();
      return new RawFileDevice(fh, path, size, readOnly, lock);
    } catch (err) {
      await lock.release();
      throw toVixError(err, path);
    }
  }

  /** Create (or, with overwrite, truncate) a raw image of `capacity` bytes; it starts as a hole. */
  static async create(path: string, capacity: number, options: { overwrite?: boolean } = {}): Promise<RawFileDevice> {
    const lock = new DiskLock('exclusive');
    try {
      await lock.add(path);
      const fh = await open(path, options.overwrite ? 'w+' : 'wx+');
      await fh.truncate(capacity);
      return new RawFileDevice(fh, path, capacity, false, lock);
    } catch (err) {
      await lock.release();
      throw toVixError(err, path);
    }
  }

  async read(offset: number, buffer: Uint8Array): Promise<void> {
    checkRange(this.capacity, offset, buffer.length);
    await readAt(this.fh, buffer, offset);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.checkWritable();
    checkRange(this.capacity, offset, data.length);
    await writeAt(this.fh, data, offset);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.checkWritable();
    checkRange(this.capacity, offset, length);
    for (let done = 0; done < length;) {
      const n = Math.min(ZERO_CHUNK.length, length - done);
      await writeAt(this.fh, ZERO_CHUNK.subarray(0, n), offset + done);
      done += n;
    }
  }

  async flush(): Promise<void> {
    if (!this.readOnly) await this.fh.datasync();
  }

  /**
   * Node has no SEEK_DATA/SEEK_HOLE, so holes are found from what stat says and by reading. On a
   * file system whose block count is exact (BLOCK_COUNTING_FILE_SYSTEMS), a file that holds no
   * block is all hole (but for inline data at its start); one with less than a quarter of its
   * size allocated is mostly hole, and is read (ZeroScan: O_DIRECT, where holes cost almost
   * nothing) to report the runs that read as zeros. Anything else is reported as data, as the contract allows: the copy loop reads it and
   * leaves out the zeros it finds. Each call asks stat afresh, so writes since open are seen.
   */
  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    checkRange(this.capacity, offset, length);
    try {
      const st = await this.fh.stat();
      if (st.isFile() && await this.countsBlocks()) {
        const allocatedBytes = st.blocks * 512;
        if (allocatedBytes === 0) return await this.statusWithoutBlocks(offset, length);
        if (allocatedBytes < st.size * SCAN_BELOW_ALLOCATED_SHARE) return await this.zeroScan.scan(offset, length);
      }
    } catch (err) {
      throw toVixError(err, this.path);
    }
    return [{ offset, length, allocated: true, zero: false }];
  }

  /**
   * A file that holds no block is a hole, except for data kept in its inode: the first
   * MAX_INLINE_DATA bytes are read, and are data unless they read as zeros.
   */
  private async statusWithoutBlocks(offset: number, length: number): Promise<BlockStatusExtent[]> {
    const end = offset + length;
    const headEnd = Math.min(MAX_INLINE_DATA, this.capacity);
    if (offset < headEnd) {
      const head = new Uint8Array(headEnd);
      await readAt(this.fh, head, 0);
      if (!isZero(head)) {
        const out: BlockStatusExtent[] = [{ offset, length: Math.min(end, headEnd) - offset, allocated: true, zero: false }];
        if (end > headEnd) out.push({ offset: headEnd, length: end - headEnd, allocated: false, zero: true });
        return out;
      }
    }
    return [{ offset, length, allocated: false, zero: true }];
  }

  /** Whether this file's st_blocks can be trusted (asked once; the file system of an open file does not change). */
  private countsBlocks(): Promise<boolean> {
    this.blocksCounted ??= statfs(`/proc/self/fd/${this.fh.fd}`).then(
      (s) => BLOCK_COUNTING_FILE_SYSTEMS.has(s.type),
      () => false);
    return this.blocksCounted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.zeroScan.close();
      await this.fh.close();
    } finally {
      await this.lock.release();
    }
  }

  private checkWritable(): void {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path} is open read-only`);
  }
}
