import { mergeExtents, type BlockDevice, type BlockStatusExtent } from './block-device.js';

const WINDOW = 1 << 30;

/**
 * The allocation map of a device: its block status over the whole capacity, merged. With a
 * granularity, runs are widened to whole granules: a granule is allocated if any byte of it is,
 * and reads as zero only if all of it does (the rule VixDiskLib_QueryAllocatedBlocks follows).
 */
export async function allocationMap(dev: BlockDevice, granularityBytes = 0): Promise<BlockStatusExtent[]> {
  const raw: BlockStatusExtent[] = [];
  for (let off = 0; off < dev.capacity; off += WINDOW) {
    raw.push(...await dev.blockStatus(off, Math.min(WINDOW, dev.capacity - off)));
  }
  const merged = mergeExtents(raw);
  if (granularityBytes <= 1) return merged;
  const out: BlockStatusExtent[] = [];
  let i = 0;
  for (let g = 0; g < dev.capacity; g += granularityBytes) {
    const end = Math.min(g + granularityBytes, dev.capacity);
    let allocated = false;
    let zero = true;
    while (i < merged.length && merged[i]!.offset + merged[i]!.length <= g) i++;
    for (let j = i; j < merged.length && merged[j]!.offset < end; j++) {
      allocated ||= merged[j]!.allocated;
      zero &&= merged[j]!.zero;
    }
    out.push({ offset: g, length: end - g, allocated, zero });
  }
  return mergeExtents(out);
}
