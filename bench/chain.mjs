#!/usr/bin/env node
// (j) Reading a chain: a flat base plus two ESXi deltas, converted to raw, ours against qemu-img.
//   base.vmdk     type vmfs (descriptor + base-flat.vmdk), holding the shared raw image
//   delta1.vmdk   vmfsSparse child (COWD, 1-sector grains), 10% of the disk written in scattered pieces
//   top.vmdk      seSparse child of delta1, another 10% written
// built once by bench/chain-worker.mjs into bench/.data/chain-<SIZE>-seed<N>/ (git-ignored).
// Ours: bench/convert-worker.mjs top.vmdk out.raw (what `vixdisk convert` does) in a fresh node
// process per run; peer: qemu-img convert -f vmdk -O raw top.vmdk out.raw. Target: ours/peer <= 1.0.
// Untimed check (BENCH_VERIFY=0 skips it): the first outputs of both sides are identical (qemu-img compare).
//   node bench/chain.mjs
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfig, benchDir, freshOutput, sourceImage } from './bench-data.mjs';
import { median, runChecked, runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';

const builder = join(benchDir, 'chain-worker.mjs');
const converter = join(benchDir, 'convert-worker.mjs');

/** The chain's folder, built once (into a temporary folder renamed into place; the links name each other relatively). */
export async function chainImage(config) {
  const raw = await sourceImage(config);
  const dir = join(config.dataDir, `chain-${config.sizeText}-seed${config.seed}`);
  const top = join(dir, 'top.vmdk');
  if (await stat(top).then(() => true, () => false)) return top;
  process.stderr.write(`bench: making the chain (flat base, vmfsSparse, seSparse) -> ${dir}\n`);
  const tmp = `${dir}.partial-${process.pid}`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await runChecked(process.execPath, [builder, 'build', tmp, raw, String(config.seed)]);
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return top;
}

async function sizeOnDisk(path) {
  return (await stat(path)).blocks * 512;
}

export async function runChainBenchmark(config) {
  const top = await chainImage(config);
  const verify = process.env.BENCH_VERIFY !== '0';
  process.stderr.write(`bench (j) chain -> raw: ${top}\n`);
  let firstOurs = null;
  let firstPeer = null;
  const keepFirst = (path, which) => {
    if (!verify || (which === 'ours' ? firstOurs : firstPeer)) return false;
    if (which === 'ours') firstOurs = path; else firstPeer = path;
    return true;
  };
  const ours = async () => {
    const out = freshOutput(config, 'j-ours', 'raw');
    let keep = false;
    try {
      const r = await timeProcess(process.execPath, [converter, top, out], { captureStdout: true });
      const detail = JSON.parse(r.stdout.trim().split('\n').pop());
      const outputBytes = await sizeOnDisk(out);
      keep = keepFirst(out, 'ours');
      return { ...r, detail, outputBytes };
    } finally {
      if (!keep) await rm(out, { force: true });
    }
  };
  const peer = async () => {
    const out = freshOutput(config, 'j-peer', 'raw');
    let keep = false;
    try {
      const r = await timeProcess('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', top, out]);
      const outputBytes = await sizeOnDisk(out);
      keep = keepFirst(out, 'peer');
      return { ...r, outputBytes };
    } finally {
      if (!keep) await rm(out, { force: true });
    }
  };
  let samples;
  try {
    samples = await runPaired({ name: '(j)', runs: config.runs, ours, peer });
    if (verify) {
      // Untimed, after the timed runs: both sides wrote the same bytes.
      await runChecked('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'raw', firstOurs, firstPeer]);
      process.stderr.write('  (j) verified: our output and qemu-img\'s are identical (qemu-img compare)\n');
    }
  } finally {
    await Promise.all([firstOurs, firstPeer].filter(Boolean).map((p) => rm(p, { force: true })));
  }
  const row = resultRow({
    id: 'j', name: 'chain flat+vmfsSparse+seSparse -> raw', peerName: 'qemu-img convert', bytes: config.size, samples, target: 1.0,
  });
  const med = (k) => median(samples.ours.map((s) => s.detail?.[k]));
  row.detail = 'ours in-process (median ms): ' +
    ['openMs', 'createMs', 'copyMs', 'closeMs', 'sinceProcessStartMs', 'cpuMs'].map((k) => `${k.replace(/Ms$/, '')} ${med(k)?.toFixed(0) ?? '-'}`).join(', ');
  return row;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = benchConfig();
  printResults('chain', config, [await runChainBenchmark(config)]);
}
