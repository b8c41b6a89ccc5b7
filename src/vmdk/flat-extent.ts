import type { FileHandle } from 'node:fs/promises';
import { readAt, writeAt } from '../block/file-io.js';
import type { AbsentRange, BackingReader, ExtentIo, ExtentRun } from './extent.js';

const ZERO_CHUNK = new Uint8Array(1 << 20);

/** FLAT and VMFS extents: extent byte x is byte (offsetSectors * 512 + x) of the file. */
export class FlatExtent implements ExtentIo {
  constructor(
    private readonly fh: FileHandle,
    readonly sizeBytes: number,
    private readonly fileOffset: number,
    readonly writable: boolean,
    private readonly ownsHandle: boolean,
  ) {}

  async read(offset: number, buffer: Uint8Array): Promise<AbsentRange[]> {
    // A flat file shorter than its extent (a truncated or thin file) reads as zeros past its end.
    await readAt(this.fh, buffer, this.fileOffset + offset);
    return [];
  }

  async write(offset: number, data: Uint8Array, _backing: BackingReader): Promise<void> {
    await writeAt(this.fh, data, this.fileOffset + offset);
  }

  async zero(offset: number, length: number): Promise<void> {
    for (let done = 0; done < length;) {
      const n = Math.min(ZERO_CHUNK.length, length - done);
      await writeAt(this.fh, ZERO_CHUNK.subarray(0, n), this.fileOffset + offset + done);
      done += n;
    }
  }

  async status(offset: number, length: number): Promise<ExtentRun[]> {
    return [{ offset, length, state: 'data' }];
  }

  async flush(): Promise<void> {
    if (this.writable) await this.fh.datasync();
  }

  async close(): Promise<void> {
    if (this.ownsHandle) await this.fh.close();
  }
}
