import type { BlockDevice } from '../../block/block-device.js';
import { invalidArgument } from './cbt-faults.js';
import { MAX_AREAS_PER_PAGE, type ChangedArea, type ChangedAreas } from './change-tracker.js';

/** blockStatus is asked a window at a time, so one query never holds a whole large disk's extents. */
const STATUS_WINDOW = 1024 * 1024 * 1024;

/**
 * QueryChangedDiskAreas with changeId `*` (reference §5.3): the areas of `device` in use, from
 * `startOffset` on, one page in the shape and limits of ChangeTracker.changedAreas. A run is in use
 * unless the device knows it is both unallocated and reading as zeros (a hole of the whole chain),
 * so the answer is a superset of the bytes that are not zero: what a full backup must copy. Runs are
 * widened to whole granules (64 KiB, as ESXi's areas are) and clipped to [startOffset, capacity).
 */
export async function allocatedAreas(device: BlockDevice, startOffset: number, granularityBytes = 64 * 1024): Promise<ChangedAreas> {
  const capacity = device.capacity;
  if (!Number.isSafeInteger(startOffset) || startOffset < 0 || startOffset > capacity) throw invalidArgument('startOffset');
  const areas: ChangedArea[] = [];
  let open: ChangedArea | undefined; // the area being extended, not yet in `areas`
  for (let window = startOffset; window < capacity; window += STATUS_WINDOW) {
    const length = Math.min(STATUS_WINDOW, capacity - window);
    for (const run of await device.blockStatus(window, length)) {
      if (!run.allocated && run.zero) continue;
      const start = Math.max(startOffset, Math.floor(run.offset / granularityBytes) * granularityBytes);
      const end = Math.min(capacity, Math.ceil((run.offset + run.length) / granularityBytes) * granularityBytes);
      if (open && start <= open.start + open.length) {
        open.length = Math.max(open.length, end - open.start);
        continue;
      }
      if (open) {
        if (areas.length === MAX_AREAS_PER_PAGE - 1) {
          // The page is full: it ends where the next area would begin.
          areas.push(open);
          return { startOffset, length: start - startOffset, changedArea: areas };
        }
        areas.push(open);
      }
      open = { start, length: end - start };
    }
  }
  if (open) areas.push(open);
  return { startOffset, length: capacity - startOffset, changedArea: areas };
}
