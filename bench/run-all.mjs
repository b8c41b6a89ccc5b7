#!/usr/bin/env node
// Every benchmark, then one table: `npm run bench` (which compiles first) or `node bench/run-all.mjs`.
// BENCH_SIZE (1G) and BENCH_RUNS (3) apply to all; see bench/README.md.
import { spawnSync } from 'node:child_process';
import { benchConfig } from './bench-data.mjs';
import { runConvertBenchmarks } from './convert.mjs';
import { runRandomReadBenchmark } from './random-read.mjs';
import { runVixDiskLibBenchmarks } from './vixdisklib.mjs';
import { runChainBenchmark } from './chain.mjs';
import { runMaintenanceBenchmarks } from './maintenance.mjs';
import { printResults } from './result-table.mjs';

for (const tool of ['qemu-img', 'qemu-io']) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`bench: ${tool} is needed (the peer every benchmark compares against) and was not found`);
    process.exit(1);
  }
}
const config = benchConfig();
const rows = await runConvertBenchmarks(config);
rows.push(await runRandomReadBenchmark(config));
rows.push(...await runVixDiskLibBenchmarks(config));
rows.push(await runChainBenchmark(config));
rows.push(...await runMaintenanceBenchmarks(config));
printResults('vixdisk benchmarks', config, rows);

// The NBD benchmarks need qemu-nbd, nbdkit, nbdcopy and certtool; they print their own table.
const nbd = spawnSync(process.execPath, [new URL('./nbd.mjs', import.meta.url).pathname], { stdio: 'inherit' });
if (nbd.status !== 0) process.exitCode = nbd.status ?? 1;

// The NFC benchmark needs nbdcopy and certtool too, and prints its own table.
const nfc = spawnSync(process.execPath, [new URL('./nfc.mjs', import.meta.url).pathname], { stdio: 'inherit' });
if (nfc.status !== 0) process.exitCode = nfc.status ?? 1;

// The remote read benchmark (issue 12) needs qemu-nbd and nbdcopy and starts a `vixdisk host`; it prints its own table.
const remote = spawnSync(process.execPath, [new URL('./remote-read.mjs', import.meta.url).pathname], { stdio: 'inherit' });
if (remote.status !== 0) process.exitCode = remote.status ?? 1;
