#!/usr/bin/env node
// VixDiskLib API benchmarks (issue: the VixDiskLib API, Speed): sequential read and write of a 1 GiB
// sparse disk through VixDiskLib.Read/Write in 1 MiB requests, synchronous and with 16 async
// requests in flight, against qemu-img convert of the same disk in the same run; and the same loops
// through the engine alone (VmdkDisk), to show what the API layer adds.
//   (e) read,  sync        vs  qemu-img convert -n -O raw DISK null-co://
//   (f) read,  16 async    vs  the same
//   (g) write, sync        vs  qemu-img convert -f raw -O vmdk RAW new.vmdk
//   (h) write, 16 async    vs  the same
//   (i) API overhead: api-read-sync vs engine-read, api-write-sync vs engine-write (target <= 1.10)
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfig, benchDir, freshOutput, sourceImage, sparseSourceImage } from './bench-data.mjs';
import { runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';

const worker = join(benchDir, 'vixdisklib-worker.mjs');

async function ourRun(mode, disk, raw) {
  const r = await timeProcess(process.execPath, [worker, mode, disk, ...(raw ? [raw] : [])], { captureStdout: true });
  const detail = JSON.parse(r.stdout.trim().split('\n').pop());
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, detail };
}

export async function runVixDiskLibBenchmarks(config) {
  const raw = await sourceImage(config);
  const sparse = await sparseSourceImage(config);
  const rows = [];
  const readPeer = async () => timeProcess('qemu-img', ['convert', '-n', '-f', 'vmdk', '-O', 'raw', sparse, 'null-co://']);
  const writeCase = (mode) => async (i) => {
    const out = freshOutput(config, `${mode}-${i}`, 'vmdk');
    try { return await ourRun(mode, out, raw); } finally { await rm(out, { force: true }); }
  };
  const writePeer = async (i) => {
    const out = freshOutput(config, `qemu-write-${i}`, 'vmdk');
    try {
      return await timeProcess('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', raw, out]);
    } finally { await rm(out, { force: true }); }
  };
  const cases = [
    { id: 'e', name: 'VixDiskLib.Read sync 1 MiB', peerName: 'qemu-img convert -> null', ours: () => ourRun('api-read-sync', sparse), peer: readPeer, target: 1.25 },
    { id: 'f', name: 'VixDiskLib.ReadAsync x16', peerName: 'qemu-img convert -> null', ours: () => ourRun('api-read-async', sparse), peer: readPeer, target: 1.25 },
    { id: 'g', name: 'VixDiskLib.Write sync 1 MiB', peerName: 'qemu-img convert raw->vmdk', ours: writeCase('api-write-sync'), peer: writePeer, target: 1.25 },
    { id: 'h', name: 'VixDiskLib.WriteAsync x16', peerName: 'qemu-img convert raw->vmdk', ours: writeCase('api-write-async'), peer: writePeer, target: 1.25 },
    { id: 'i1', name: 'API overhead, read', peerName: 'engine alone (VmdkDisk)', ours: () => ourRun('api-read-sync', sparse), peer: () => ourRun('engine-read', sparse), target: 1.10 },
    { id: 'i2', name: 'API overhead, write', peerName: 'engine alone (VmdkDisk)', ours: writeCase('api-write-sync'), peer: writeCase('engine-write'), target: 1.10 },
  ];
  const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
  for (const c of cases) {
    if (only.length && !only.includes(c.id)) continue;
    process.stderr.write(`bench (${c.id}) ${c.name}\n`);
    const samples = await runPaired({ name: `(${c.id})`, runs: config.runs, ours: c.ours, peer: c.peer });
    rows.push(resultRow({ id: c.id, name: c.name, peerName: c.peerName, bytes: config.size, samples, target: c.target }));
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = benchConfig();
  printResults('vixdisklib', config, await runVixDiskLibBenchmarks(config));
}
