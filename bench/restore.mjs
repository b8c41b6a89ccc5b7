#!/usr/bin/env node
// Restore (issue 13 Speed): `vixdisk restore` of a backed-up disk from a restic repository into a
// new monolithicSparse VMDK, against `qemu-img convert` of the same data from a raw image into the
// same kind of VMDK, and against `restic restore` of the same snapshot (restic's own reader, into a
// folder: the disk as a plain file). Then `vixdisk verify` of the snapshot against `restic check
// --read-data` of the repository (both read and authenticate every blob), and the time and peak
// memory of restoring a 1 TiB sparse disk (4 MiB of data). The repositories are made untimed
// beforehand, laid out as a vixdisk backup (src/backup/manifest.ts: 1 MiB chunks, zero chunks as
// the one zero blob). Ours decrypts, authenticates and hashes every blob; qemu-img only reads a
// local file. BENCH_SIZE, BENCH_RUNS, BENCH_SEED as for the others.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, sourceImage, freshOutput, repoRoot } from './bench-data.mjs';
import { syncDisks, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { Repository } from '../dist/src/restic/repository.js';
import { saveTreeOf } from '../dist/src/restic/tree-builder.js';
import { chunkDigest, MANIFEST_FILE, MANIFEST_FORMAT } from '../dist/src/backup/manifest.js';

if (spawnSync('qemu-img', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench: qemu-img is needed and was not found');
  process.exit(1);
}

const PASSWORD = randomBytes(12).toString('hex');
process.env.RESTIC_PASSWORD = PASSWORD;
const CHUNK = 1 << 20;

/** Store the backup's tree, manifest and snapshot for one disk whose chunks are `content`. */
async function saveBackup(repo, size, content) {
  const geometry = { cylinders: Math.ceil(size / 512 / 16 / 63), heads: 16, sectors: 63 };
  const manifest = {
    format: MANIFEST_FORMAT, vixdiskVersion: 'bench', createdAt: new Date().toISOString(),
    host: { url: 'https://127.0.0.1/sdk', apiType: 'VirtualCenter' },
    vm: { moref: 'vm-1', name: 'bench', uuid: null, instanceUuid: null, vmxPath: '[ds] bench/bench.vmx', vmxFile: 'bench.vmx', guestId: null, numCPU: null, memoryMB: null },
    vsphereSnapshot: { moref: 'snapshot-1', name: 'bench' }, parent: null, transportMode: 'nbdssl',
    disks: [{
      key: 2000, label: 'Hard disk 1', file: 'bench.raw', datastorePath: '[ds] bench/bench.vmdk', capacityBytes: size, chunkSize: CHUNK,
      adapterType: 'lsilogic', biosGeometry: geometry, physGeometry: geometry, thinProvisioned: true, uuid: null, changeId: null,
      backupKind: 'full', fullReason: 'bench', digest: chunkDigest(content), bytesRead: size, bytesNew: size,
    }],
  };
  const m = Buffer.from(JSON.stringify(manifest));
  const tree = await saveTreeOf(repo, [
    { path: ['bench', 'bench.raw'], node: { type: 'file', mode: 0o600, size, content } },
    { path: ['bench', MANIFEST_FILE], node: { type: 'file', mode: 0o600, size: m.length, content: [await repo.saveBlob('data', m)] } },
  ]);
  await repo.saveSnapshot({ tree, paths: ['/bench'], tags: ['vixdisk', 'vm=bench', 'moref=vm-1', 'full'] });
}

/** A vixdisk backup of the raw image `image` (VM "bench", one disk), streamed in chunks. */
async function backUp(repoPath, image, size) {
  const repo = await Repository.create(repoPath, PASSWORD);
  const fh = await open(image, 'r');
  try {
    const content = [];
    const buf = Buffer.alloc(CHUNK);
    for (let o = 0; o < size; o += CHUNK) {
      const n = Math.min(CHUNK, size - o);
      await fh.read(buf, 0, n, o);
      content.push(await repo.saveBlob('data', buf.subarray(0, n))); // a zero chunk is the zero blob, as backup stores it
    }
    await saveBackup(repo, size, content);
  } finally {
    await fh.close();
    await repo.close();
  }
}

/** A 1 TiB disk with 4 MiB of random data in two places; every other chunk the zero blob. */
async function backUpSparse(repoPath) {
  const size = 1024 ** 4;
  const repo = await Repository.create(repoPath, PASSWORD);
  try {
    const zero = await repo.saveBlob('data', Buffer.alloc(CHUNK));
    const content = new Array(size / CHUNK).fill(zero);
    for (const at of [0, 1, 524288, 1048575]) content[at] = await repo.saveBlob('data', randomBytes(CHUNK));
    await saveBackup(repo, size, content);
  } finally {
    await repo.close();
  }
}

const haveRestic = spawnSync('restic', ['version'], { stdio: 'ignore' }).status === 0;
const MiB = 1024 * 1024;

/** Each side `runs` times, the order rotated every run so none always goes first. */
async function runRotated(name, runs, sides) {
  const samples = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  const names = Object.keys(sides);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < names.length; j++) {
      const side = names[(i + j) % names.length];
      syncDisks();
      const s = await sides[side](i);
      samples[side].push(s);
      process.stderr.write(`  ${name} run ${i + 1}/${runs} ${side.padEnd(6)} ${s.seconds.toFixed(3)} s` +
        (s.cpuSeconds != null ? `  (cpu ${s.cpuSeconds.toFixed(2)} s, max RSS ${(s.maxRssKiB / 1024).toFixed(0)} MiB)` : '') + '\n');
    }
  }
  syncDisks();
  return samples;
}

export async function runRestoreBenchmark(config) {
  const image = await sourceImage(config);
  const work = join(config.dataDir, `restore-${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    const repoPath = join(work, 'repo');
    process.stderr.write(`bench: backing up ${config.sizeText} into ${repoPath} (untimed)\n`);
    await backUp(repoPath, image, config.size);
    const bin = join(repoRoot, 'bin', 'vixdisk.js');
    const outputs = [];
    const sides = {
      ours: async () => {
        const out = freshOutput(config, 'restore-ours', 'vmdk');
        const r = await timeProcess(process.execPath, [bin, 'restore', '-r', repoPath, 'latest', '--to', out, '-q']);
        outputs.push(out);
        return r;
      },
      qemu: async () => {
        const out = freshOutput(config, 'restore-peer', 'vmdk');
        const r = await timeProcess('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', image, out]);
        outputs.push(out);
        return r;
      },
    };
    if (haveRestic) {
      sides.restic = async () => {
        const out = freshOutput(config, 'restore-restic', 'dir');
        const r = await timeProcess('restic', ['-r', repoPath, '--cache-dir', join(work, 'restic-cache'), '-q', 'restore', 'latest', '--target', out]);
        outputs.push(out);
        return r;
      };
    } else {
      process.stderr.write('bench: restic not found: its restore and check rows are left out\n');
    }
    const samples = await runRotated('restore', config.runs, sides);
    if (process.env.BENCH_VERIFY !== '0') {
      const cmp = spawnSync('qemu-img', ['compare', '-q', outputs[0], image]);
      if (cmp.status !== 0) throw new Error(`the restored disk differs from the source image (qemu-img compare ${cmp.status})`);
      process.stderr.write('bench: the restored VMDK equals the source image (qemu-img compare)\n');
    }
    for (const o of outputs) await rm(o, { recursive: true, force: true });
    const rows = [resultRow({
      id: 'rs', name: 'restore a backed-up disk to monolithicSparse', peerName: 'qemu-img convert raw -> vmdk', bytes: config.size,
      samples: { ours: samples.ours, peer: samples.qemu },
    })];
    if (haveRestic) {
      rows.push(resultRow({
        id: 'rs2', name: 'the same restore', peerName: 'restic restore (the disk as a file)', bytes: config.size,
        samples: { ours: samples.ours, peer: samples.restic },
      }));
    }

    // Verify: every blob of the disk read and authenticated, against restic's full read of the repository.
    const verifySides = {
      ours: () => timeProcess(process.execPath, [bin, 'verify', '-r', repoPath, 'latest']),
    };
    if (haveRestic) verifySides.restic = () => timeProcess('restic', ['-r', repoPath, '--cache-dir', join(work, 'restic-cache'), '-q', 'check', '--read-data']);
    const v = await runRotated('verify', config.runs, verifySides);
    const zeroSample = { seconds: null, cpuSeconds: null };
    rows.push(resultRow({
      id: 'vf', name: 'verify the backed-up disk', peerName: haveRestic ? 'restic check --read-data' : '(no restic)', bytes: config.size,
      samples: { ours: v.ours, peer: v.restic ?? [zeroSample] },
    }));

    // A 1 TiB sparse disk: time and peak memory (the copy skips holes; memory must not follow capacity).
    const sparseRepo = join(work, 'repo-1t');
    process.stderr.write(`bench: backing up a 1 TiB sparse disk into ${sparseRepo} (untimed)\n`);
    await backUpSparse(sparseRepo);
    const bigOut = freshOutput(config, 'restore-1t', 'vmdk');
    syncDisks();
    const big = await timeProcess(process.execPath, [bin, 'restore', '-r', sparseRepo, 'latest', '--to', bigOut, '-q']);
    const bigSize = (await stat(bigOut)).size;
    await rm(bigOut, { force: true });
    await rm(sparseRepo, { recursive: true, force: true });
    const sparse = `restore of a 1 TiB sparse disk (4 MiB of data) to monolithicSparse: ${big.seconds.toFixed(1)} s, ` +
      `${big.cpuSeconds != null ? `${big.cpuSeconds.toFixed(2)} CPU s, max RSS ${(big.maxRssKiB / 1024).toFixed(0)} MiB` : 'no GNU time: RSS unknown'}, ` +
      `VMDK of ${(bigSize / MiB).toFixed(0)} MiB`;
    return { rows, sparse };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = benchConfig();
  const { rows, sparse } = await runRestoreBenchmark(config);
  printResults('restore from a restic repository', config, rows);
  process.stdout.write(`${sparse}\n`);
}
