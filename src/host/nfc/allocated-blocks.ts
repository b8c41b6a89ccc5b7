import type { BlockDevice } from '../../block/block-device.js';
import { bitmapLength, type AllocatedBlocksQuery } from '../../nfc/aio-message.js';

// The bitmap of an allocated-blocks query (AIO type 13, vsphere-remote.md §4.5) from the device's
// block status: bit i (LSB first) is set when any byte of chunk i is stored in the disk's chain.
// One blockStatus call for the whole range, then bits set run by run, so a sparse 1 TiB disk costs
// what its allocation map costs, not what its size does. A last chunk that runs past the capacity
// is judged on the part inside it.

export async function allocatedBlocksBitmap(device: BlockDevice, q: AllocatedBlocksQuery): Promise<Buffer> {
  const bitmap = Buffer.alloc(bitmapLength(q.chunkCount));
  const end = Math.min(q.startOffset + q.chunkSizeBytes * q.chunkCount, device.capacity);
  if (end <= q.startOffset) return bitmap;
  for (const e of await device.blockStatus(q.startOffset, end - q.startOffset)) {
    if (!e.allocated || e.length === 0) continue;
    const first = Math.floor((e.offset - q.startOffset) / q.chunkSizeBytes);
    const last = Math.floor((e.offset + e.length - 1 - q.startOffset) / q.chunkSizeBytes);
    setBits(bitmap, first, last);
  }
  return bitmap;
}

/** Set bits first..last inclusive: whole bytes with fill, the ends bit by bit. */
function setBits(bitmap: Buffer, first: number, last: number): void {
  let i = first;
  while (i <= last && (i & 7) !== 0) bitmap[i >>> 3] |= 1 << (i++ & 7);
  const wholeEnd = (last + 1) & ~7;
  if (i < wholeEnd) {
    bitmap.fill(0xff, i >>> 3, wholeEnd >>> 3);
    i = wholeEnd;
  }
  while (i <= last) bitmap[i >>> 3] |= 1 << (i++ & 7);
}
