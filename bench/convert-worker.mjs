#!/usr/bin/env node
// One conversion, what `vixdisk convert` does, in its own process so every run starts fresh:
//   node bench/convert-worker.mjs SOURCE DEST [TYPE]
// DEST ending in .vmdk is made a VMDK of TYPE (monolithicSparse by default), anything else raw.
// Optional: BENCH_CHUNK (bytes per request) and BENCH_CONCURRENCY (requests in flight) override
// copyDevice's defaults. Prints one JSON line: the phases in milliseconds and the copy result.
import { copyDevice } from '../dist/src/block/copy.js';
import { createDevice, openDevice } from '../dist/src/device/open-device.js';

const [source, dest, type = 'monolithicSparse'] = process.argv.slice(2);
if (!source || !dest) {
  console.error('usage: convert-worker.mjs SOURCE DEST [TYPE]');
  process.exit(2);
}
const copyOptions = { destinationIsZero: true };
if (process.env.BENCH_CHUNK) copyOptions.chunkSize = Number(process.env.BENCH_CHUNK);
if (process.env.BENCH_CONCURRENCY) copyOptions.concurrency = Number(process.env.BENCH_CONCURRENCY);

const ms = () => performance.now();
const t0 = ms();
const src = await openDevice(source, { readOnly: true });
const t1 = ms();
const dst = await createDevice(dest, { capacity: src.capacity, type, cache: 'unsafe' });
const t2 = ms();
let result;
try {
  result = await copyDevice(src, dst, copyOptions);
} finally {
  await src.close();
}
const t3 = ms();
await dst.close();
const t4 = ms();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({
  openMs: t1 - t0,
  createMs: t2 - t1,
  copyMs: t3 - t2,
  closeMs: t4 - t3,
  totalMs: t4 - t0,
  sinceProcessStartMs: ms(),
  cpuMs: (cpu.user + cpu.system) / 1000,
  ...result,
})}\n`);
