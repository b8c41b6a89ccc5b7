#!/usr/bin/env node
// One timed run of bench (b): what `vixdisk convert nbd://... null` does, in a process of its own
// (so start-up counts as it does for nbdcopy): open the URI as a disk, copy it into a null device
// through the one copy loop (block status first, holes skipped, requests in flight).
// Usage: nbd-pull-worker.mjs URI   (prints the bytes read)
import { openDevice } from '../dist/src/device/open-device.js';
import { copyDevice } from '../dist/src/block/copy.js';

const uri = process.argv[2];
const src = await openDevice(uri, { readOnly: true });
const sink = {
  capacity: src.capacity,
  readOnly: false,
  canZero: true,
  async read() {},
  async write() {},
  async zero() {},
  async flush() {},
  async blockStatus(offset, length) { return [{ offset, length, allocated: false, zero: true }]; },
  async close() {},
};
const r = await copyDevice(src, sink, { destinationIsZero: true });
await src.close();
process.stdout.write(`${r.bytesRead}\n`);
