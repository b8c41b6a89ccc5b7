#!/usr/bin/env node
// Restore (issue 13 Speed): `vixdisk restore` of a backed-up disk from a restic repository into a
// new monolithicSparse VMDK, against `qemu-img convert` of the same data from a raw image into the
// same kind of VMDK. The repository is made untimed beforehand, laid out as a vixdisk backup
// (src/backup/manifest.ts: 1 MiB chunks, zero chunks as the one zero blob). Ours decrypts,
// authenticates and hashes every blob; the peer only reads a local file. BENCH_SIZE, BENCH_RUNS,
// BENCH_SEED as for the others.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, sourceImage, freshOutput, repoRoot } from './bench-data.mjs';
import { runPaired, timeProcess } from './paired-runs.mjs';
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
      content.push(await repo.saveBlob('data', buf.subarray(0, n)));
    }
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
  } finally {
    await fh.close();
    await repo.close();
  }
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
    const samples = await runPaired({
      name: 'restore',
      runs: config.runs,
      ours: async () => {
        const out = freshOutput(config, 'restore-ours', 'vmdk');
        const r = await timeProcess(process.execPath, [bin, 'restore', '-r', repoPath, 'latest', '--to', out, '-q']);
        outputs.push(out);
        return r;
      },
      peer: async () => {
        const out = freshOutput(config, 'restore-peer', 'vmdk');
        const r = await timeProcess('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', image, out]);
        outputs.push(out);
        return r;
      },
    });
    if (process.env.BENCH_VERIFY !== '0') {
      const cmp = spawnSync('qemu-img', ['compare', '-q', outputs[0], image]);
      if (cmp.status !== 0) throw new Error(`the restored disk differs from the source image (qemu-img compare ${cmp.status})`);
      process.stderr.write('bench: the restored VMDK equals the source image (qemu-img compare)\n');
    }
    for (const o of outputs) await rm(o, { force: true });
    return resultRow({
      id: 'rs', name: 'restore a backed-up disk to monolithicSparse', peerName: 'qemu-img convert raw -> vmdk', bytes: config.size, samples,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = benchConfig();
  printResults('restore from a restic repository', config, [await runRestoreBenchmark(config)]);
}
