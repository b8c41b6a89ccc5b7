import { VIXDISKLIB_MAX_CHUNK_NUMBER } from '../vix/constants.js';
import type { VixDiskLibHandle } from '../vix/disk-handle.js';
import type { VixDiskLibApi } from '../vix/vixdisklib.js';
import type { ChangedArea } from './backup-vm.js';

// A full backup reads only what the snapshot disk has allocated: VixDiskLib_QueryAllocatedBlocks
// (VDDK 6.7+, what VMware recommends over QueryChangedDiskAreas("*")), asked in windows of at most
// VIXDISKLIB_MAX_CHUNK_NUMBER chunks of 64 KiB (128 sectors, CBT's granularity), in bytes.

const QUERY_CHUNK_SECTORS = 128;

export async function allocatedAreas(lib: VixDiskLibApi, h: VixDiskLibHandle, capacityBytes: number): Promise<ChangedArea[]> {
  const capacity = capacityBytes / 512;
  const window = QUERY_CHUNK_SECTORS * VIXDISKLIB_MAX_CHUNK_NUMBER;
  const areas: ChangedArea[] = [];
  for (let start = 0; start < capacity; start += window) {
    const count = Math.min(window, capacity - start);
    const list = await lib.QueryAllocatedBlocks(h, start, count, QUERY_CHUNK_SECTORS);
    for (const b of list.blocks) {
      const last = areas[areas.length - 1];
      const s = b.offset * 512;
      const l = b.length * 512;
      if (last && last.start + last.length === s) last.length += l;
      else areas.push({ start: s, length: l });
    }
  }
  return areas;
}
