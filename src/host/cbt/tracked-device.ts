import { checkRange, type BlockDevice, type BlockStatusExtent } from '../../block/block-device.js';
import type { ChangeTracker } from './change-tracker.js';

/**
 * A tracked disk as its writers see it: every write and zero that reaches `device` is recorded in
 * `tracker` (durably) before it is started, and runs as one step with its record, so a freeze or
 * resize waits for it. Record first, then write: a crash between them over-reports, never
 * under-reports. Reads and block status pass through. close() closes the device, not the tracker
 * (the inventory owns both and closes the tracker itself).
 */
export class TrackedDevice implements BlockDevice {
  constructor(readonly device: BlockDevice, readonly tracker: ChangeTracker) {}

  get capacity(): number {
    return this.device.capacity;
  }

  get readOnly(): boolean {
    return this.device.readOnly;
  }

  get canZero(): boolean {
    return this.device.canZero;
  }

  get sequentialWrite(): boolean | undefined {
    return this.device.sequentialWrite;
  }

  read(offset: number, buffer: Uint8Array): Promise<void> {
    return this.device.read(offset, buffer);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    // A device that refuses writes refuses them with its own error, and nothing is recorded.
    if (this.device.readOnly) return this.device.write(offset, data);
    checkRange(this.device.capacity, offset, data.length);
    await this.tracker.tracked(offset, data.length, () => this.device.write(offset, data));
  }

  async zero(offset: number, length: number): Promise<void> {
    if (this.device.readOnly) return this.device.zero(offset, length);
    checkRange(this.device.capacity, offset, length);
    await this.tracker.tracked(offset, length, () => this.device.zero(offset, length));
  }

  flush(): Promise<void> {
    return this.device.flush();
  }

  blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    return this.device.blockStatus(offset, length);
  }

  close(): Promise<void> {
    return this.device.close();
  }
}
