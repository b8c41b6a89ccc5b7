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

/**
 * Directories the sparse extents of all links keep in memory (grain directories, COWD and seSparse
 * directories; grain tables are cached per extent, bounded on their own). VMware supports 32
 * snapshots: 32 links of a 62 TB seSparse disk hold ~1 GB of them, a monolithicSparse one ~0.5 GB.
 * An extent is charged as it opens, so a refusal may overshoot by one extent's directories.
 */
export const MAX_CHAIN_METADATA_BYTES = 1 << 30;

export class ChainBudget {
  private extents = 0;
  private descriptorBytes = 0;
  private metadataBytes = 0;
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

  /** Charge one opened extent's in-memory directories; throws 16063 past the bound. */
  spendMetadata(bytes: number, what: string): void {
    this.metadataBytes += bytes;
    if (this.metadataBytes > MAX_CHAIN_METADATA_BYTES) {
      this.refuse(`the chain's sparse extents need more than ${MAX_CHAIN_METADATA_BYTES} bytes of directories in memory (at ${what})`);
    }
  }

  private refuse(message: string): never {
    this.refusal = new VixError(VIX_E_DISK_INVALIDDISK, message);
    throw this.refusal;
  }
}
