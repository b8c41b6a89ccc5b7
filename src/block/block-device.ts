import { VixError } from "../errors/vix-error.js";
import { VIX_E_DISK_OUTOFRANGE } from "../errors/error-codes.js";

/**
 * The one contract everything in vixdisk speaks (see docs/architecture.md): a VMDK chain, a raw
 * image, an NBD export or a disk on a remote host is a BlockDevice. Offsets and lengths are bytes.
 */

/** One run of a device's address space, as NBD's base:allocation context describes it. */
export interface BlockStatusExtent {
  offset: number;
  length: number;
  /** false: no storage is allocated for this run in this device (a hole). */
  allocated: boolean;
  /** true: the run is known to read as zeros. */
  zero: boolean;
}

export interface BlockDevice {
  /** Size in bytes; a multiple of 512 for disks. */
  readonly capacity: number;
  readonly readOnly: boolean;
  /** zero() is cheap (does not write zero bytes). */
  readonly canZero: boolean;
  /** The device accepts writes only in ascending order (a stream being produced). */
  readonly sequentialWrite?: boolean;
  /** Fill `buffer` with the bytes at [offset, offset + buffer.length). */
  read(offset: number, buffer: Uint8Array): Promise<void>;
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Make [offset, offset + length) read as zeros. */
  zero(offset: number, length: number): Promise<void>;
  flush(): Promise<void>;
  /**
   * Describe [offset, offset + length) as consecutive extents covering it exactly, in order.
   * Runs a device knows nothing about are reported allocated, not zero.
   */
  blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]>;
  close(): Promise<void>;
}

/** Merge neighbouring extents of the same kind. */
export function mergeExtents(extents: BlockStatusExtent[]): BlockStatusExtent[] {
  const out: BlockStatusExtent[] = [];
  for (const e of extents) {
    if (e.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.allocated === e.allocated && last.zero === e.zero && last.offset + last.length === e.offset) {
      last.length += e.length;
    } else {
      out.push({ ...e });
    }
  }
  return out;
}

/** The check every device makes on a request: inside [0, capacity). */
export function checkRange(capacity: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 ||
      offset + length > capacity) {
    throw new VixError(VIX_E_DISK_OUTOFRANGE,
      `access to bytes ${offset}..${offset + length} is outside the disk (capacity ${capacity} bytes)`);
  }
}
