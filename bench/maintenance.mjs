#!/usr/bin/env node
// (k) shrink and (l) defragment of a sparse disk with half its grains zeroed, ours against qemu-img.
// The disk (built once by bench/maintenance-worker.mjs into bench/.data/, git-ignored): the shared
// raw image as a monolithicSparse disk with every 64 KiB grain allocated, then exactly half of the
// grains (seeded choice) overwritten with zeros, so they are allocated and hold zeros.
// Every run first copies it (cp --sparse=always, then sync; untimed), then times
//   ours (k): maintenance-worker.mjs shrink COPY  (shrinkDisk: zero grains dropped, file rewritten)
//   ours (l): maintenance-worker.mjs defrag COPY  (defragmentDisk: grains in order, zero grains kept)
//   peer:     qemu-img convert -f vmdk -O vmdk -o subformat=monolithicSparse COPY fresh.vmdk
//             (which leaves the zero grains out too)
// Target: ours/peer <= 1.0 for both. Untimed check (BENCH_VERIFY=0 skips it), on the first run of each:
// the rewritten disk reads the same as the input (qemu-img compare) and passes qemu-img check;
// after shrink it is smaller than the input.
//   node bench/maintenance.mjs          only some: node bench/maintenance.mjs k
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfig, benchDir, freshOutput, sourceImage } from './bench-data.mjs';
import { median, runChecked, runPaired, syncDisks, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';

const worker = join(benchDir, 'maintenance-worker.mjs');

async function exists(path) {
  return stat(path).then(() => true, () => false);
}

/** The input disk, built once (to a temporary name, renamed into place). */
export async function halfZeroedDisk(config) {
  const raw = await sourceImage(config);
  const path = join(config.dataDir, `halfzero-${config.sizeText}-seed${config.seed}.vmdk`);
  if (await exists(path)) return path;
  process.stderr.write(`bench: making the half-zeroed sparse disk -> ${path}\n`);
  // Built under its own name (the embedded descriptor names the file) in a temporary folder, then moved.
  const tmpDir = `${path}.partial-${process.pid}`;
  const tmp = join(tmpDir, basename(path));
  await mkdir(tmpDir, { recursive: true });
  try {
    await runChecked(process.execPath, [worker, 'build', raw, tmp, String(config.seed)]);
    await rename(tmp, path);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return path;
}

async function sizeOnDisk(path) {
  return (await stat(path)).blocks * 512;
}

/** A fresh copy of the input for one run, written back before the clock starts. */
async function freshCopy(config, input, label) {
  const copy = freshOutput(config, label, 'vmdk');
  await runChecked('cp', ['--sparse=always', input, copy]);
  syncDisks();
  return copy;
}

export const maintenanceBenchmarks = [
  { id: 'k', mode: 'shrink', name: 'shrink, half the grains zero' },
  { id: 'l', mode: 'defrag', name: 'defragment, half the grains zero' },
];

export async function runMaintenanceBenchmark(bench, config) {
  const input = await halfZeroedDisk(config);
  const inputBytes = await sizeOnDisk(input);
  const verify = process.env.BENCH_VERIFY !== '0';
  process.stderr.write(`bench (${bench.id}) ${bench.name}: ${input}\n`);
  const ours = async (i) => {
    const copy = await freshCopy(config, input, `${bench.id}-ours`);
    try {
      const r = await timeProcess(process.execPath, [worker, bench.mode, copy], { captureStdout: true });
      const detail = JSON.parse(r.stdout.trim().split('\n').pop());
      const outputBytes = await sizeOnDisk(copy);
      if (verify && i === 0) {
        await runChecked('qemu-img', ['compare', '-q', '-f', 'vmdk', '-F', 'vmdk', input, copy]);
        await runChecked('qemu-img', ['check', '-q', '-f', 'vmdk', copy]);
        if (bench.mode === 'shrink' && !(outputBytes < inputBytes)) {
          throw new Error(`(${bench.id}) the shrunk disk (${outputBytes} bytes) is not smaller than the input (${inputBytes} bytes)`);
        }
        process.stderr.write(`  (${bench.id}) verified: same content as the input (qemu-img compare), qemu-img check clean, ` +
          `${(outputBytes / 1e6).toFixed(1)} MB on disk (input ${(inputBytes / 1e6).toFixed(1)} MB)\n`);
      }
      return { ...r, detail, outputBytes };
    } finally {
      await rm(copy, { force: true });
    }
  };
  const peer = async () => {
    const copy = await freshCopy(config, input, `${bench.id}-peer-in`);
    const out = freshOutput(config, `${bench.id}-peer`, 'vmdk');
    try {
      const r = await timeProcess('qemu-img', ['convert', '-f', 'vmdk', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', copy, out]);
      return { ...r, outputBytes: await sizeOnDisk(out) };
    } finally {
      await rm(copy, { force: true });
      await rm(out, { force: true });
    }
  };
  const samples = await runPaired({ name: `(${bench.id})`, runs: config.runs, ours, peer });
  const row = resultRow({
    id: bench.id, name: bench.name, peerName: 'qemu-img convert -> new sparse', bytes: config.size, samples, target: 1.0,
  });
  const med = (k) => median(samples.ours.map((s) => s.detail?.[k]));
  const d = samples.ours[0]?.detail ?? {};
  row.detail = `input ${(inputBytes / 1e6).toFixed(1)} MB on disk; ours: grains kept ${d.grainsKept}, dropped ${d.grainsDropped}; ` +
    `in-process (median ms): ${bench.mode} ${med('ms')?.toFixed(0) ?? '-'}, sinceProcessStart ${med('sinceProcessStartMs')?.toFixed(0) ?? '-'}, cpu ${med('cpuMs')?.toFixed(0) ?? '-'}`;
  return row;
}

export async function runMaintenanceBenchmarks(config, ids = maintenanceBenchmarks.map((b) => b.id)) {
  const rows = [];
  for (const bench of maintenanceBenchmarks.filter((b) => ids.includes(b.id))) rows.push(await runMaintenanceBenchmark(bench, config));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = benchConfig();
  const ids = process.argv.slice(2);
  const unknown = ids.filter((id) => !maintenanceBenchmarks.some((b) => b.id === id));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${maintenanceBenchmarks.map((b) => b.id).join(', ')}`);
    process.exit(2);
  }
  printResults('maintenance', config, await runMaintenanceBenchmarks(config, ids.length ? ids : undefined));
}
