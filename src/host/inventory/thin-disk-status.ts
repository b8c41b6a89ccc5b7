import { mergeExtents, type BlockDevice, type BlockStatusExtent } from '../../block/block-device.js';
import { isZero } from '../../block/is-zero.js';

/**
 * Block status of a disk whose base is thin but stored as a flat extent (ESXi's thin VMDKs:
 * createType vmfs, ddb.thinProvisioned = "1"). A flat extent cannot say which of its blocks were
 * ever written, so everything reads "allocated"; ESXi knows its thin blocks and answers
 * QueryChangedDiskAreas `*` with the allocated ones only (a fresh thin disk reports almost
 * nothing). Here, granules of the chain that read as zeros count as not in use: what remains is
 * still a superset of every non-zero byte, which is what a full backup must copy.
 */

const GRANULE = 64 * 1024;
const CHUNK = 1 << 20;

export async function thinBlockStatus(device: BlockDevice, offset: number, length: number): Promise<BlockStatusExtent[]> {
  const out: BlockStatusExtent[] = [];
  const buffer = new Uint8Array(CHUNK);
  for (const run of await device.blockStatus(offset, length)) {
    if (!run.allocated) {
      out.push(run);
      continue;
    }
    for (let o = run.offset; o < run.offset + run.length; o += CHUNK) {
      const n = Math.min(CHUNK, run.offset + run.length - o);
      const part = buffer.subarray(0, n);
      await device.read(o, part);
      for (let g = 0; g < n; g += GRANULE) {
        const len = Math.min(GRANULE, n - g);
        const zero = isZero(part.subarray(g, g + len));
        out.push({ offset: o + g, length: len, allocated: !zero, zero });
      }
    }
  }
  return mergeExtents(out);
}

/** `device` with thinBlockStatus as its block status (everything else passed through). */
export function withThinStatus(device: BlockDevice): BlockDevice {
  return {
    get capacity() { return device.capacity; },
    get readOnly() { return device.readOnly; },
    get canZero() { return device.canZero; },
    read: (o, b) => device.read(o, b),
    write: (o, d) => device.write(o, d),
    zero: (o, l) => device.zero(o, l),
    flush: () => device.flush(),
    blockStatus: (o, l) => thinBlockStatus(device, o, l),
    close: () => device.close(),
  };
}
