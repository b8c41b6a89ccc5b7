import type { FileHandle } from 'node:fs/promises';
import { writeAt } from '../block/file-io.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_READ_ONLY } from '../errors/error-codes.js';
import { AsyncMutex } from './async-mutex.js';
import type { FileRun } from './extent-regions.js';
import type { BackingReader } from './extent.js';

/**
 * What the sparse extent kinds (hosted sparse, vmfsSparse, seSparse) share for writing. A write
 * whose grains are all allocated (planDirect gives their file runs) goes straight to its places,
 * concurrently with other such writes: no metadata changes. Any other write takes the allocation
 * lock and allocates (writeAllocating), so two writes never claim the same free space or table.
 */
export abstract class AllocatingExtent {
  /** Held by whatever allocates space or changes tables. */
  protected readonly allocLock = new AsyncMutex();

  protected constructor(protected readonly fh: FileHandle, readonly what: string, readonly writable: boolean) {}

  /** Why this extent cannot be written, or null when it can. */
  get writeRefusal(): VixError | null {
    return this.writable ? null : new VixError(VIX_E_FILE_READ_ONLY, `${this.what} is open read-only`);
  }

  protected checkWritable(): void {
    const refusal = this.writeRefusal;
    if (refusal) throw refusal;
  }

  async write(offset: number, data: Uint8Array, backing: BackingReader): Promise<void> {
    this.checkWritable();
    const direct = await this.planDirect(offset, data.length);
    if (direct) {
      await this.beforeWrite();
      await Promise.all(direct.map((r) => writeAt(this.fh, data.subarray(r.bufOff, r.bufOff + r.length), r.fileOff)));
      return;
    }
    const release = await this.allocLock.lock();
    try {
      await this.beforeWrite();
      await this.writeAllocating(offset, data, backing);
    } finally {
      release();
    }
  }

  /** File runs of a write whose grains are all allocated; null when one needs allocating. */
  protected abstract planDirect(offset: number, length: number): Promise<FileRun[] | null>;

  /** A write that allocates grains (and maybe tables), in crash-safe order; called under allocLock. */
  protected abstract writeAllocating(offset: number, data: Uint8Array, backing: BackingReader): Promise<void>;

  /** Runs before any byte of a write lands (the formats with an unclean flag set it here). */
  protected async beforeWrite(): Promise<void> {}
}
