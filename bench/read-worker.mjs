#!/usr/bin/env node
// Our side of the random-read benchmark, in its own process so every run starts fresh:
//   node bench/read-worker.mjs DISK.vmdk REQUESTS [--verify RAW]
// REQUESTS holds "OFFSET LENGTH" lines. The disk is opened (untimed), then the requests are read
// one after another through VmdkDisk.read into one reused buffer, as qemu-io runs its commands.
// Prints one JSON line: the time and CPU of the request loop and the bytes read. With --verify RAW (untimed
// use), every request is compared with the same bytes of the raw image and a mismatch fails.
import { open, readFile } from 'node:fs/promises';
import { VmdkDisk } from '../dist/src/vmdk/disk.js';

const args = process.argv.slice(2);
const vi = args.indexOf('--verify');
const rawPath = vi >= 0 ? args.splice(vi, 2)[1] : null;
const [diskPath, listPath] = args;
if (!diskPath || !listPath) {
  console.error('usage: read-worker.mjs DISK.vmdk REQUESTS [--verify RAW]');
  process.exit(2);
}
const requests = (await readFile(listPath, 'utf8')).trim().split('\n').map((line) => line.split(' ').map(Number));
const maxLength = Math.max(...requests.map(([, len]) => len));

const t0 = performance.now();
const disk = await VmdkDisk.open(diskPath, { readOnly: true });
const t1 = performance.now();
const buffer = new Uint8Array(maxLength);
let bytes = 0;
const cpu0 = process.cpuUsage();
if (rawPath === null) {
  for (const [offset, length] of requests) {
    await disk.read(offset, buffer.subarray(0, length));
    bytes += length;
  }
} else {
  const raw = await open(rawPath, 'r');
  const expected = Buffer.alloc(maxLength);
  for (const [offset, length] of requests) {
    await disk.read(offset, buffer.subarray(0, length));
    const { bytesRead } = await raw.read(expected, 0, length, offset);
    if (bytesRead !== length || Buffer.compare(Buffer.from(buffer.buffer, 0, length), expected.subarray(0, length)) !== 0) {
      console.error(`read of ${length} bytes at ${offset} differs from the raw image`);
      process.exit(1);
    }
    bytes += length;
  }
  await raw.close();
}
const t2 = performance.now();
const loopCpu = process.cpuUsage(cpu0);
await disk.close();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({
  openMs: t1 - t0,
  readMs: t2 - t1,
  /** CPU of the request loop, all threads of the process (user + system). */
  readCpuMs: (loopCpu.user + loopCpu.system) / 1000,
  bytes,
  requests: requests.length,
  sinceProcessStartMs: performance.now(),
  cpuMs: (cpu.user + cpu.system) / 1000,
})}\n`);
