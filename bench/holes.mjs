#!/usr/bin/env node
// Holes of sparse raw files (issue 9), ours (the vixdisk command, a fresh process per run) against
// qemu-img, which asks the kernel with SEEK_DATA/SEEK_HOLE (Node cannot; see README "Holes of raw files"):
//   (h1) map, (h2) convert to raw, (h3) convert to monolithicSparse   of a raw file that is all hole
//   (s1) map, (s2) convert to raw, (s3) convert to monolithicSparse   of one with a few MiB scattered in it
// Size: BENCH_HOLES_SIZE (100G); runs: BENCH_RUNS (3). Run all: node bench/holes.mjs   some: node bench/holes.mjs h1 s2
// The first output of each of our conversions is checked against its source by qemu-img compare.
import { mkdir, open, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfig, parseSize, repoRoot } from './bench-data.mjs';
import { runChecked, runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { xorshift32 } from '../dist/test/support/xorshift.js';

async function exists(path) {
  return stat(path).then(() => true, () => false);
}

const vixdisk = join(repoRoot, 'bin', 'vixdisk.js');


/** A raw file of `size` bytes that is one hole (truncate). */
async function allHoleImage(config) {
  const path = join(config.dataDir, `holes-${config.holesSizeText}.raw`);
  if (!await exists(path)) {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(path, '');
    await truncate(path, config.holesSize);
  }
  return path;
}

/** The same with 64 pieces of 4 KiB .. 256 KiB of random data at seeded 4 KiB-aligned offsets (~8 MiB). */
async function scatteredImage(config) {
  const path = join(config.dataDir, `holes-${config.holesSizeText}-scattered-seed${config.seed}.raw`);
  if (await exists(path)) return path;
  await mkdir(config.dataDir, { recursive: true });
  const tmp = `${path}.partial-${process.pid}`;
  const next = xorshift32(config.seed);
  const fh = await open(tmp, 'w');
  try {
    await fh.truncate(config.holesSize);
    for (let i = 0; i < 64; i++) {
      const length = 4096 * (1 + (next() % 64));
      const offset = 4096 * Math.floor(((next() * 2 ** 21 + (next() >>> 11)) % (config.holesSize - length)) / 4096);
      const data = new Uint8Array(length).map(() => next() & 0xff);
      await fh.write(data, 0, length, offset);
    }
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  return path;
}

const SOURCES = { h: { name: 'all hole', image: allHoleImage }, s: { name: 'scattered', image: scatteredImage } };
const CASES = [
  { n: '1', name: 'map', ours: (src) => [vixdisk, 'map', '--json', src], peer: (src) => ['map', '--output=json', '-f', 'raw', src] },
  { n: '2', name: 'convert -> raw', ext: 'raw', ours: (src, out) => [vixdisk, 'convert', src, out], peer: (src, out) => ['convert', '-f', 'raw', '-O', 'raw', src, out] },
  {
    n: '3', name: 'convert -> monolithicSparse', ext: 'vmdk', ours: (src, out) => [vixdisk, 'convert', src, out],
    peer: (src, out) => ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', src, out],
  },
];

export const holesBenchmarks = Object.keys(SOURCES).flatMap((k) => CASES.map((c) => ({ id: `${k}${c.n}`, source: k, ...c })));

export function holesConfig() {
  const config = benchConfig();
  const text = (process.env.BENCH_HOLES_SIZE || '100G').toUpperCase();
  return { ...config, holesSizeText: text, holesSize: parseSize(text) };
}

let outputCounter = 0;

export async function runHolesBenchmark(bench, config) {
  const src = await SOURCES[bench.source].image(config);
  process.stderr.write(`bench (${bench.id}) ${SOURCES[bench.source].name}: ${bench.name}: ${src}\n`);
  const side = (cmd, args, verify) => async (i) => {
    const out = bench.ext ? resolve(config.dataDir, `out-holes-${process.pid}-${++outputCounter}.${bench.ext}`) : null;
    try {
      const r = await timeProcess(cmd, args(src, out));
      if (verify && i === 0 && out) {
        await runChecked('qemu-img', ['compare', '-q', '-f', 'raw', '-F', bench.ext, src, out]);
      }
      return r;
    } finally {
      if (out) await rm(out, { force: true });
    }
  };
  const samples = await runPaired({
    name: `(${bench.id})`, runs: config.runs,
    ours: side(process.execPath, bench.ours, process.env.BENCH_VERIFY !== '0'),
    peer: side('qemu-img', bench.peer, false),
  });
  return resultRow({
    id: bench.id, name: `${SOURCES[bench.source].name}: ${bench.name}`, peerName: `qemu-img ${bench.peer('', '')[0]}`,
    bytes: config.holesSize, samples, target: null,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = holesConfig();
  const ids = process.argv.slice(2);
  const unknown = ids.filter((id) => !holesBenchmarks.some((b) => b.id === id));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${holesBenchmarks.map((b) => b.id).join(', ')}`);
    process.exit(2);
  }
  const rows = [];
  for (const b of holesBenchmarks.filter((x) => ids.length === 0 || ids.includes(x.id))) rows.push(await runHolesBenchmark(b, config));
  printResults('holes of sparse raw files', { ...config, sizeText: config.holesSizeText }, rows);
}
