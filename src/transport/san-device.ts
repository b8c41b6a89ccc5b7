import type { FileHandle } from 'node:fs/promises';
import { checkRange, type BlockDevice, type BlockStatusExtent } from '../block/block-device.js';
import { readAt, writeAt } from '../block/file-io.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_READ_ONLY } from '../errors/error-codes.js';

// A disk reached over SAN: the LUN's device opened by this process and the block map the host
// leased, so each request is direct I/O at the mapped LUN offsets (no byte goes through the host).
// Ranges the map leaves out (a ZERO extent) read as zeros and take no writes. Requests are
// independent, so many run at once; each pread/pwrite lands in the caller's buffer.

/** One range of the disk and where it is on the LUN (checked: sorted, disjoint, inside both). */
export interface MappedExtent {
  diskOffset: number;
  lunOffset: number;
  length: number;
}

const ZEROS = new Uint8Array(1 << 20);

export class SanDevice implements BlockDevice {
  readonly canZero = false;

  constructor(
    private readonly fh: FileHandle,
    /** The device path (for messages). */
    readonly devicePath: string,
    private readonly extents: MappedExtent[],
    readonly capacity: number,
    readonly readOnly: boolean,
    /** Release the host's lease (called once, at close). */
    private readonly release: () => Promise<void>,
  ) {}

  /** The pieces of [offset, offset + length): mapped ones with their LUN offset, gaps with none. */
  private pieces(offset: number, length: number): Array<{ at: number; length: number; lun?: number }> {
    const out: Array<{ at: number; length: number; lun?: number }> = [];
    const end = offset + length;
    let lo = 0;
    let hi = this.extents.length;
    while (lo < hi) { // the first extent ending after offset
      const mid = (lo + hi) >> 1;
      const e = this.extents[mid]!;
      if (e.diskOffset + e.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    let pos = offset;
    for (let i = lo; pos < end; i++) {
      const e = this.extents[i];
      if (!e || e.diskOffset >= end) {
        out.push({ at: pos, length: end - pos });
        break;
      }
      if (e.diskOffset > pos) {
        out.push({ at: pos, length: e.diskOffset - pos });
        pos = e.diskOffset;
      }
      const n = Math.min(end, e.diskOffset + e.length) - pos;
      out.push({ at: pos, length: n, lun: e.lunOffset + (pos - e.diskOffset) });
      pos += n;
    }
    return out;
  }

  async read(offset: number, buffer: Uint8Array): Promise<void> {
    checkRange(this.capacity, offset, buffer.length);
    await Promise.all(this.pieces(offset, buffer.length).map(async (p) => {
      const view = buffer.subarray(p.at - offset, p.at - offset + p.length);
      if (p.lun === undefined) {
        view.fill(0);
        return;
      }
      await readAt(this.fh, view, p.lun); // the map was checked against the device's size at open
    }));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange(this.capacity, offset, data.length);
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `the disk is open read-only over SAN (${this.devicePath})`);
    await Promise.all(this.pieces(offset, data.length).map(async (p) => {
      if (p.lun !== undefined) await writeAt(this.fh, data.subarray(p.at - offset, p.at - offset + p.length), p.lun);
    }));
  }

  async zero(offset: number, length: number): Promise<void> {
    for (let done = 0; done < length;) {
      const n = Math.min(ZEROS.length, length - done);
      await this.write(offset + done, ZEROS.subarray(0, n));
      done += n;
    }
  }

  async flush(): Promise<void> {
    if (!this.readOnly) await this.fh.datasync();
  }

  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    checkRange(this.capacity, offset, length);
    // Thick extents hold every block on the LUN; what the map leaves out reads as zeros.
    return this.pieces(offset, length).map((p) => ({ offset: p.at, length: p.length, allocated: p.lun !== undefined, zero: p.lun === undefined }));
  }

  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.fh.close();
      } finally {
        await this.release();
      }
    })();
    return this.closing;
  }
}
