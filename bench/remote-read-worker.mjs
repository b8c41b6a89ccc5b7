#!/usr/bin/env node
// One timed run of bench/remote-read.mjs, in a process of its own (start-up counts, as for
// nbdcopy): VixDiskLib InitEx (the bench's config file), ConnectEx to `vixdisk host` with the
// snapshot, Open of the disk over MODE, the whole disk read with ReadAsync, 16 requests of 1 MiB
// in flight, Close, Disconnect. The connection parameters (password included) come in the
// environment (VIXDISK_BENCH_PARAMS, JSON), never argv.
// Usage: remote-read-worker.mjs read MODE     prints the bytes read
//        remote-read-worker.mjs latency MODE N   prints the N ConnectEx + Open + Close (+ Disconnect) times in ms
import { createVixDiskLib } from '../dist/src/vix/vixdisklib.js';

const [what, mode, countText] = process.argv.slice(2);
const { params, snapshot, disk, configFile } = JSON.parse(process.env.VIXDISK_BENCH_PARAMS ?? '{}');
const READ_ONLY = 1 << 2;
const lib = createVixDiskLib();
await lib.InitEx(8, 0, null, null, null, null, configFile);

async function openClose(read) {
  const conn = await lib.ConnectEx(params, true, snapshot, mode);
  const h = await lib.Open(conn, disk, READ_ONLY);
  if (lib.GetTransportMode(h) !== mode) throw new Error(`opened over ${lib.GetTransportMode(h)}, not ${mode}`);
  let bytes = 0;
  if (read) bytes = await readWhole(h);
  await lib.Close(h);
  await lib.Disconnect(conn);
  return bytes;
}

/** The whole disk, 1 MiB requests, 16 in flight, each into its own slice of a 16 MiB ring. */
async function readWhole(h) {
  const info = await lib.GetInfo(h);
  const sectors = info.capacity;
  const per = 2048;
  const inFlight = 16;
  const ring = Buffer.alloc(per * 512 * inFlight);
  let next = 0;
  let done = 0;
  await new Promise((resolve, reject) => {
    const issue = (slot) => {
      if (next >= sectors) return;
      const start = next;
      const n = Math.min(per, sectors - start);
      next += n;
      lib.ReadAsync(h, start, n, ring.subarray(slot * per * 512, slot * per * 512 + n * 512), (_d, err) => {
        if (err !== 0) { reject(new Error(`ReadAsync at sector ${start}: ${err}`)); return; }
        done += n;
        if (done >= sectors) resolve();
        else issue(slot);
      }, null);
    };
    for (let s = 0; s < inFlight; s++) issue(s);
  });
  await lib.Wait(h);
  return sectors * 512;
}

if (what === 'read') {
  process.stdout.write(`${await openClose(true)}\n`);
} else {
  const times = [];
  for (let i = 0; i < Number(countText ?? 7); i++) {
    const t0 = performance.now();
    await openClose(false);
    times.push(performance.now() - t0);
  }
  process.stdout.write(`${JSON.stringify(times)}\n`);
}
lib.Exit();
