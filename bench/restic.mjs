#!/usr/bin/env node
// restic repository writer: our TypeScript writer (bench/restic-worker.mjs, 1 MiB fixed chunks,
// uncompressed blobs) against `restic backup` of the same raw image (--compression off, the same
// repository settings), each into a fresh repository made untimed beforehand. Also prints our
// Poly1305 and seal throughput, in process. BENCH_SIZE, BENCH_RUNS, BENCH_SEED as for the others.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, sourceImage } from './bench-data.mjs';
import { runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { poly1305 } from '../dist/src/restic/poly1305.js';
import { newRandomKey, seal } from '../dist/src/restic/crypto.js';
import { Repository } from '../dist/src/restic/repository.js';

if (spawnSync('restic', ['version'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench: restic is needed (Debian: restic) and was not found');
  process.exit(1);
}

const PASSWORD = randomBytes(12).toString('hex');
process.env.RESTIC_PASSWORD = PASSWORD;
process.env.VIXDISK_BENCH_PASSWORD = PASSWORD;

function throughput(label, fn) {
  const blob = randomBytes(64 << 20);
  const mibs = [];
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    fn(blob);
    mibs.push(64 / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  mibs.sort((a, b) => a - b);
  process.stderr.write(`bench: ${label} of a 64 MiB blob: ${mibs[1].toFixed(0)} MiB/s (median of 3)\n`);
}
throughput('Poly1305', (b) => poly1305(randomBytes(32), b));
const key = newRandomKey();
throughput('seal (AES-256-CTR + Poly1305-AES)', (b) => seal(key, b));

const config = benchConfig();
const image = await sourceImage(config);
const work = join(config.dataDir, `restic-${process.pid}`);
await mkdir(work, { recursive: true });

let n = 0;
async function freshRepo(kind) {
  const path = join(work, `${kind}-${++n}`);
  if (kind === 'ours') await (await Repository.create(path, PASSWORD)).close();
  else spawnSync('restic', ['init', '--repository-version', '2', '-r', path, '--quiet'], { stdio: 'ignore' });
  return path;
}

try {
  const samples = await runPaired({
    name: 'restic-backup',
    runs: config.runs,
    ours: async () => {
      const repo = await freshRepo('ours');
      const r = await timeProcess(process.execPath, [new URL('./restic-worker.mjs', import.meta.url).pathname, repo, image]);
      await rm(repo, { recursive: true, force: true });
      return r;
    },
    peer: async () => {
      const repo = await freshRepo('peer');
      const r = await timeProcess('restic', ['-r', repo, '--no-cache', '--quiet', 'backup', '--compression', 'off', image]);
      await rm(repo, { recursive: true, force: true });
      return r;
    },
  });
  printResults('restic repository writer', config, [resultRow({
    id: 'r', name: 'store a raw image as a restic snapshot', peerName: 'restic backup --compression off', bytes: config.size, samples,
  })]);
} finally {
  await rm(work, { recursive: true, force: true });
}
