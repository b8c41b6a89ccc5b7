#!/usr/bin/env node
// Conversion benchmarks, ours (bench/convert-worker.mjs in a fresh node process) against qemu-img:
//   (a) raw -> monolithicSparse     (b) monolithicSparse -> raw     (c) raw -> streamOptimized
// Run all three: node bench/convert.mjs        only some: node bench/convert.mjs a c
// Every run writes a new output file, deleted after it has been measured (and, for our first run,
// checked against the source with qemu-img compare; BENCH_VERIFY=0 skips that check).
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfig, benchDir, freshOutput, sourceImage, sparseSourceImage } from './bench-data.mjs';
import { runChecked, runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';

const worker = join(benchDir, 'convert-worker.mjs');

export const convertBenchmarks = [
  {
    id: 'a',
    name: 'raw -> monolithicSparse',
    target: 1.0,
    source: sourceImage,
    sourceFormat: 'raw',
    outExt: 'vmdk',
    outFormat: 'vmdk',
    oursType: 'monolithicSparse',
    peerArgs: (src, out) => ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', src, out],
  },
  {
    id: 'b',
    name: 'monolithicSparse -> raw',
    target: 1.0,
    source: sparseSourceImage,
    sourceFormat: 'vmdk',
    outExt: 'raw',
    outFormat: 'raw',
    oursType: 'monolithicSparse', // ignored: a name not ending in .vmdk is a raw image
    peerArgs: (src, out) => ['convert', '-f', 'vmdk', '-O', 'raw', src, out],
  },
  {
    id: 'c',
    name: 'raw -> streamOptimized',
    target: 0.5,
    source: sourceImage,
    sourceFormat: 'raw',
    outExt: 'vmdk',
    outFormat: 'vmdk',
    oursType: 'streamOptimized',
    peerArgs: (src, out) => ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', src, out],
  },
];

async function sizeOnDisk(path) {
  const s = await stat(path);
  return s.blocks * 512;
}

/** Median of the worker's phase timings, shown under the table. */
function phaseSummary(samples) {
  const keys = ['openMs', 'createMs', 'copyMs', 'closeMs', 'sinceProcessStartMs', 'cpuMs'];
  const med = (k) => {
    const v = samples.map((s) => s.detail?.[k]).filter((x) => typeof x === 'number').sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : null;
  };
  return 'ours in-process (median ms): ' + keys.map((k) => `${k.replace(/Ms$/, '')} ${med(k)?.toFixed(0) ?? '-'}`).join(', ');
}

export async function runConvertBenchmark(bench, config) {
  const src = await bench.source(config);
  const verify = process.env.BENCH_VERIFY !== '0';
  process.stderr.write(`bench (${bench.id}) ${bench.name}: ${src}\n`);
  const ours = async (i) => {
    const out = freshOutput(config, `${bench.id}-ours`, bench.outExt);
    try {
      const r = await timeProcess(process.execPath, [worker, src, out, bench.oursType], { captureStdout: true });
      const detail = JSON.parse(r.stdout.trim().split('\n').pop());
      const outputBytes = await sizeOnDisk(out);
      if (verify && i === 0) {
        await runChecked('qemu-img', ['compare', '-q', '-f', bench.sourceFormat, '-F', bench.outFormat, src, out]);
      }
      return { ...r, detail, outputBytes };
    } finally {
      await rm(out, { force: true });
    }
  };
  const peer = async () => {
    const out = freshOutput(config, `${bench.id}-peer`, bench.outExt);
    try {
      const r = await timeProcess('qemu-img', bench.peerArgs(src, out));
      return { ...r, outputBytes: await sizeOnDisk(out) };
    } finally {
      await rm(out, { force: true });
    }
  };
  const samples = await runPaired({ name: `(${bench.id})`, runs: config.runs, ours, peer });
  const row = resultRow({
    id: bench.id, name: bench.name, peerName: 'qemu-img convert', bytes: config.size, samples, target: bench.target,
  });
  row.detail = phaseSummary(samples.ours);
  return row;
}

export async function runConvertBenchmarks(config, ids = convertBenchmarks.map((b) => b.id)) {
  const rows = [];
  for (const bench of convertBenchmarks.filter((b) => ids.includes(b.id))) rows.push(await runConvertBenchmark(bench, config));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = benchConfig();
  const ids = process.argv.slice(2);
  const unknown = ids.filter((id) => !convertBenchmarks.some((b) => b.id === id));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${convertBenchmarks.map((b) => b.id).join(', ')}`);
    process.exit(2);
  }
  const rows = await runConvertBenchmarks(config, ids.length ? ids : undefined);
  printResults('convert', config, rows);
}
