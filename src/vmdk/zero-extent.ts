import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_READ_ONLY } from '../errors/error-codes.js';
import type { AbsentRange, ExtentIo, ExtentRun } from './extent.js';

/** A ZERO extent: no file, reads as zeros, cannot be written. */
export class ZeroExtent implements ExtentIo {
  readonly writable = false;
  constructor(readonly sizeBytes: number) {}

  async read(_offset: number, buffer: Uint8Array): Promise<AbsentRange[]> {
    buffer.fill(0);
    return [];
  }
  async write(): Promise<void> {
    throw new VixError(VIX_E_FILE_READ_ONLY, 'a ZERO extent cannot be written');
  }
  async zero(): Promise<void> {}
  async status(offset: number, length: number): Promise<ExtentRun[]> {
    return [{ offset, length, state: 'zero' }];
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
