// The data every benchmark works on, made once and cached in bench/.data/ (git-ignored):
//   source-<size>-seed<N>.raw         the shared generator's image (zeros, text-like and random 64 KiB chunks)
//   source-<size>-seed<N>.qemu.vmdk   the same, converted by qemu-img to monolithicSparse (the sparse source)
// Settings come from the environment: BENCH_SIZE (1G), BENCH_RUNS (3), BENCH_SEED (1), BENCH_DATA (folder).
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked } from './paired-runs.mjs';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(benchDir, '..');
/** The shared folder sits beside the project root. */
export const makeImageScript = resolve(repoRoot, '..', 'shared', 'tools', 'make-image.mjs');

const UNITS = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseSize(text) {
  const m = /^(\d+)([KMG]?)$/i.exec(String(text).trim());
  if (!m) throw new Error(`BENCH_SIZE "${text}" is not a size like 1G, 256M or 65536`);
  return Number(m[1]) * UNITS[m[2].toUpperCase()];
}

export function benchConfig() {
  const sizeText = process.env.BENCH_SIZE || '1G';
  const runs = Number(process.env.BENCH_RUNS || '3');
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS "${process.env.BENCH_RUNS}" is not a positive integer`);
  const seed = Number(process.env.BENCH_SEED || '1');
  return {
    sizeText: sizeText.toUpperCase(),
    size: parseSize(sizeText),
    runs,
    seed,
    dataDir: resolve(process.env.BENCH_DATA || join(benchDir, '.data')),
  };
}

async function exists(path) {
  return stat(path).then(() => true, () => false);
}

/** Make `path` with `make(tmpPath)` unless it is already there (written to a temporary name first). */
async function cached(path, what, make) {
  if (await exists(path)) return path;
  process.stderr.write(`bench: making ${what} -> ${path}\n`);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await make(tmp);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

/** The raw source image from the shared generator. */
export async function sourceImage(config) {
  const path = join(config.dataDir, `source-${config.sizeText}-seed${config.seed}.raw`);
  return cached(path, `a ${config.sizeText} raw image (make-image.mjs, seed ${config.seed})`, (tmp) =>
    runChecked(process.execPath, [makeImageScript, tmp, config.sizeText, '--seed', String(config.seed)]));
}

/** The monolithicSparse source, made by the peer (qemu-img) from the raw source. */
export async function sparseSourceImage(config) {
  const raw = await sourceImage(config);
  const path = join(config.dataDir, `source-${config.sizeText}-seed${config.seed}.qemu.vmdk`);
  return cached(path, 'the monolithicSparse source (qemu-img convert)', (tmp) =>
    runChecked('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', raw, tmp]));
}

/** A fresh, unused output path for one run; the caller deletes it. */
let outputCounter = 0;
export function freshOutput(config, label, extension) {
  return join(config.dataDir, `out-${label}-${process.pid}-${++outputCounter}.${extension}`);
}
