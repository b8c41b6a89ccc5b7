import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVALIDDISK } from '../errors/error-codes.js';

// What a whole chain may cost, beyond each link's own limits (1 MiB of descriptor, 65536 extents):
// without it, 255 links each inside those limits take gigabytes. A link's descriptor is charged
// after a cheap count of its bytes and extent lines and before its lines are parsed into objects,
// so a chain past the bound is refused before its memory is spent.

/**
 * Extents in all links of a chain together. Real chains stay far below: a 62 TB twoGbMaxExtent
 * disk has ~31000 extents (8 such links fit), 255 links of a 2 TB one have 261120.
 */
export const MAX_CHAIN_EXTENTS = 1 << 18;
/** Descriptor text of all links together (a 2 TB twoGbMaxExtent descriptor is ~40 KB; 255 of them fit). */
export const MAX_CHAIN_DESCRIPTOR_BYTES = 16 << 20;

export class ChainBudget {
  private extents = 0;
  private descriptorBytes = 0;
  /** The refusal, once one was made: the chain's opener reports it as it is. */
  refusal: VixError | null = null;

  /** Charge one link's descriptor; throws 16063 when the chain would pass a bound. */
  spend(descriptorBytes: number, extents: number): void {
    this.extents += extents;
    this.descriptorBytes += descriptorBytes;
    if (this.extents > MAX_CHAIN_EXTENTS) {
      this.refuse(`the chain lists more than ${MAX_CHAIN_EXTENTS} extents in all its links`);
    }
    if (this.descriptorBytes > MAX_CHAIN_DESCRIPTOR_BYTES) {
      this.refuse(`the chain's descriptors hold more than ${MAX_CHAIN_DESCRIPTOR_BYTES} bytes in all its links`);
    }
  }

  private refuse(message: string): never {
    this.refusal = new VixError(VIX_E_DISK_INVALIDDISK, message);
    throw this.refusal;
  }
}
