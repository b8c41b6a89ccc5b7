import { open, stat, type FileHandle } from 'node:fs/promises';
import { DiskLock } from './disk-lock.js';
import { checkRange, type BlockDevice, type BlockStatusExtent } from './block-device.js';
import { readAt, writeAt } from './file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_READ_ONLY, VIX_E_INCORRECT_FILE_TYPE } from '../errors/error-codes.js';

const ZERO_CHUNK = new Uint8Array(1 << 20);

/** A raw image file: byte i of the device is byte i of the file. */
export class RawFileDevice implements BlockDevice {
  readonly canZero = false;
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    public capacity: number,
    readonly readOnly: boolean,
    private readonly lock: DiskLock,
  ) {}

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

  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    checkRange(this.capacity, offset, length);
    // Node exposes no SEEK_DATA/SEEK_HOLE: everything is data, as the contract allows.
    return [{ offset, length, allocated: true, zero: false }];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.fh.close();
    } finally {
      await this.lock.release();
    }
  }

  private checkWritable(): void {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path} is open read-only`);
  }
}
