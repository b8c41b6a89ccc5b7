#!/usr/bin/env node
// Our side of the VixDiskLib benchmark, one fresh process per run:
//   node bench/vixdisklib-worker.mjs MODE DISK [RAW]
// MODE: api-read-sync | api-read-async | engine-read | api-write-sync | api-write-async | engine-write
// Reads go through the whole disk in 1 MiB requests; writes copy RAW into DISK (a new
// monolithicSparse disk) in 1 MiB requests, leaving out all-zero requests as a restore of
// allocated blocks does. Async modes keep 16 requests in flight. Prints one JSON line.
import { open } from 'node:fs/promises';
import { createVixDiskLib, VIXDISKLIB_FLAG_OPEN_READ_ONLY, VIXDISKLIB_DISK_MONOLITHIC_SPARSE,
  VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, VixError } from '../dist/src/index.js';
import { VmdkDisk } from '../dist/src/vmdk/disk.js';
import { createDiskDevice } from '../dist/src/vmdk/create.js';
import { isZero } from '../dist/src/block/is-zero.js';

const [mode, disk, raw] = process.argv.slice(2);
const REQUEST = 1 << 20;
const SECTORS = REQUEST / 512;
const IN_FLIGHT = 16;
const lib = createVixDiskLib();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let bytes = 0;

async function readRaw(fh, offset, buf) {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, offset + done);
    if (bytesRead === 0) { buf.fill(0, done); break; }
    done += bytesRead;
  }
}

if (mode.startsWith('api-')) {
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const write = mode.includes('write');
  if (write) {
    const { size } = await (await open(raw, 'r')).stat();
    await lib.Create(conn, disk, { diskType: VIXDISKLIB_DISK_MONOLITHIC_SPARSE, adapterType: VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, hwVersion: 4, capacity: size / 512 }, null, null);
  }
  const h = await lib.Open(conn, disk, write ? 0 : VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  const { capacity } = await lib.GetInfo(h);
  const src = write ? await open(raw, 'r') : null;
  const requests = Math.floor(capacity / SECTORS);
  if (mode.endsWith('sync') && !mode.endsWith('async')) {
    const buf = new Uint8Array(REQUEST);
    for (let i = 0; i < requests; i++) {
      if (write) {
        await readRaw(src, i * REQUEST, buf);
        if (isZero(buf)) continue;
        await lib.Write(h, i * SECTORS, SECTORS, buf);
      } else {
        await lib.Read(h, i * SECTORS, SECTORS, buf);
      }
      bytes += REQUEST;
    }
  } else {
    // 16 buffers, each reused as soon as its request has called back.
    const free = Array.from({ length: IN_FLIGHT }, () => new Uint8Array(REQUEST));
    let waiting = null;
    let failed = null;
    const done = (buf) => (_cb, result) => {
      if (result !== 0) failed ??= new VixError(result, `request failed with ${result}`);
      free.push(buf);
      if (waiting) { const w = waiting; waiting = null; w(); }
    };
    for (let i = 0; i < requests && !failed; i++) {
      while (free.length === 0) await new Promise((r) => { waiting = r; });
      const buf = free.pop();
      if (write) {
        await readRaw(src, i * REQUEST, buf);
        if (isZero(buf)) { free.push(buf); continue; }
        lib.WriteAsync(h, i * SECTORS, SECTORS, buf, done(buf), null);
      } else {
        lib.ReadAsync(h, i * SECTORS, SECTORS, buf, done(buf), null);
      }
      bytes += REQUEST;
    }
    await lib.Wait(h);
    if (failed) throw failed;
  }
  await lib.Close(h);
  await src?.close();
  await lib.Disconnect(conn);
  lib.Exit();
} else {
  const write = mode === 'engine-write';
  let d;
  let src = null;
  if (write) {
    src = await open(raw, 'r');
    const { size } = await src.stat();
    d = await createDiskDevice(disk, { capacity: size, type: 'monolithicSparse', adapterType: 'lsilogic' });
  } else {
    d = await VmdkDisk.open(disk, { readOnly: true });
  }
  const buf = new Uint8Array(REQUEST);
  for (let off = 0; off + REQUEST <= d.capacity; off += REQUEST) {
    if (write) {
      await readRaw(src, off, buf);
      if (isZero(buf)) continue;
      await d.write(off, buf);
    } else {
      await d.read(off, buf);
    }
    bytes += REQUEST;
  }
  await d.close();
  await src?.close();
}
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ mode, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, bytes }));
