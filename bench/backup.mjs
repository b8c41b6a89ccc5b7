#!/usr/bin/env node
// Backup benchmark (issue 13 "Speed"): `vixdisk backup` of a VM on `vixdisk host` whose disk is a
// BENCH_BACKUP_SIZE image (default 512M; 4G for the issue's figure) with 60% data in 1 MiB runs,
// each run a process of its own, in the same run and taking turns with:
//   - nbdcopy reading the same disk file from `vixdisk serve` into null: (the transfer alone);
//   - `restic backup --compression off` of the same image from a local raw file (same repository
//     settings, a fresh repository each run, made untimed);
// then an incremental with 1% of the disk changed by the guest (random 64 KiB writes), against the
// full (target: under a tenth of its time); then the peak memory of a backup of a 1 TiB sparse disk
// with two data areas (printed, from GNU time's max RSS). BENCH_RUNS, BENCH_DATA as for the others.
// Run: `npm run build && BENCH_BACKUP_SIZE=4G node bench/backup.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, benchDir, parseSize, repoRoot } from './bench-data.mjs';
import { median, runChecked, runSides, syncDisks, timeProcess } from './paired-runs.mjs';
import { benchWorkspace, flatVmdkFrom, hostWithDbDisk, requireTools } from './bench-host.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { freePort, waitForListening } from './listening.mjs';

requireTools('backup', ['qemu-img', 'nbdcopy', 'restic']);
const { callAdmin } = await import(join(repoRoot, 'dist/src/host/admin-endpoint.js'));

const config = benchConfig();
const size = parseSize(process.env.BENCH_BACKUP_SIZE || '512M');
const MiB = 1 << 20;
let host;
const { work, children } = await benchWorkspace(config, 'backup', () => host);

// ---- the image: 60% of the 1 MiB runs random data, the rest zeros (holes in the raw file) ----------------
const raw = join(work, 'disk.raw');
{
  const fh = await open(raw, 'w');
  await fh.truncate(size);
  let x = config.seed >>> 0 || 1;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
  for (let o = 0; o < size; o += MiB) if (next() < 0.6) await fh.write(randomBytes(Math.min(MiB, size - o)), 0, Math.min(MiB, size - o), o);
  await fh.close();
}

// ---- the host: VM db's disk replaced by the image (a thin flat VMFS-style disk) ---------------------------
const dataDir = join(work, 'host');
async function hostWithDisk(make) {
  if (host) await host.stop();
  const started = await hostWithDbDisk({ dataDir, make });
  host = started.host;
  await callAdmin(dataDir, { op: 'power', vm: 'db', state: 'on' }).catch((e) => {
    if (!/InvalidPowerState/.test(e.message)) throw e; // still on from the first host start
  });
  return started.dbDisk;
}
await hostWithDisk(flatVmdkFrom(raw, runChecked));
const password = randomBytes(12).toString('hex');
const envFor = (repo, url = new URL(host.ready.url)) => ({
  ...process.env,
  VIXDISK_HOST: url.hostname, VIXDISK_PORT: url.port, VIXDISK_USER: 'backup', VIXDISK_THUMBPRINT: host.ready.thumbprintSha1,
  VIXDISK_PASSWORD: host.password('backup'), RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password, VIXDISK_CACHE_DIR: join(work, 'cache'),
});
let n = 0;
function freshRepo() {
  const path = join(work, `repo-${++n}`);
  spawnSync('restic', ['init', '--repository-version', '2', '-r', path, '--quiet'], { stdio: 'ignore', env: { ...process.env, RESTIC_PASSWORD: password } });
  return path;
}
const vixdisk = join(repoRoot, 'bin/vixdisk.js');
async function backup(repo, args) {
  Object.assign(process.env, envFor(repo));
  const r = await timeProcess(process.execPath, [...profile, vixdisk, 'backup', '--vm', 'db', '-q', '--json', ...args], { captureStdout: true });
  const out = JSON.parse(r.stdout);
  process.stderr.write(`    (${out.kind}: ${out.seconds.toFixed(2)} s in the backup, ${out.disks[0].seconds.toFixed(2)} s reading and storing the disk; the rest is process start, repository open and close)\n`);
  return r;
}

// ---- nbdcopy from `vixdisk serve` of the same disk (a copy made the same way: the host's own file is
// locked while the host consolidates the backup snapshot) ---------------------------------------------------
const served = join(work, 'served.vmdk');
await runChecked('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', raw, served]);
const port = await freePort();
const serve = spawn(process.execPath, [join(benchDir, 'nbd-serve-worker.mjs'), served, JSON.stringify({ readOnly: true, port })], { stdio: ['ignore', 'ignore', 'inherit'] });
children.push(serve);
await waitForListening({ port }, serve);

// BENCH_PROFILE=DIR: each `vixdisk backup` run writes a V8 CPU profile there (node --cpu-prof).
const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const sides = {
  full: async () => {
    const repo = freshRepo();
    const r = await backup(repo, ['--full']);
    await rm(repo, { recursive: true, force: true });
    return r;
  },
  nbdcopy: () => timeProcess('nbdcopy', ['--connections=1', '--requests=16', '--request-size=1048576', `nbd://127.0.0.1:${port}/`, 'null:']),
  restic: async () => {
    const repo = freshRepo();
    Object.assign(process.env, { RESTIC_PASSWORD: password });
    const r = await timeProcess('restic', ['-r', repo, '--no-cache', '--quiet', 'backup', '--compression', 'off', raw]);
    await rm(repo, { recursive: true, force: true });
    return r;
  },
};
await sides.full(); // untimed: JIT, page cache, CBT enabled
const samples = { ...await runSides({ name: 'backup', runs: config.runs, sides }), incremental: [] };

// ---- incrementals: 1% of the disk rewritten by the guest between backups ---------------------------------
const incRepo = freshRepo();
await backup(incRepo, []);
let seed = config.seed;
const changed = Math.max(1, Math.floor((size * 0.01) / 65536));
let read = [];
for (let i = 0; i < config.runs; i++) {
  // Distinct 64 KiB blocks (an LCG's low bits repeat with a short period: taking them as the block
  // number wrote the same few blocks again and again, far less than 1% of the disk).
  const blocks = new Set();
  while (blocks.size < changed) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    blocks.add(Math.floor((seed / 2 ** 32) * Math.floor(size / 65536)));
  }
  for (const block of blocks) {
    const offset = block * 65536;
    await callAdmin(dataDir, { op: 'guest-write', vm: 'db', disk: 0, offset, data: randomBytes(65536).toString('base64') });
  }
  syncDisks();
  const s = await backup(incRepo, []);
  const out = JSON.parse(s.stdout);
  read.push(out.disks[0].bytesRead);
  samples.incremental.push(s);
  process.stderr.write(`  backup run ${i + 1}/${config.runs} incremental ${s.seconds.toFixed(3)} s, read ${(out.disks[0].bytesRead / MiB).toFixed(1)} MiB for ${(changed * 65536 / MiB).toFixed(1)} MiB written (${out.kind})\n`);
}

const row = (id, name, ours, peer, peerName, target = null) => resultRow({ id, name, peerName, bytes: size, samples: { ours: samples[ours], peer: samples[peer] }, target });
printResults(`Backup benchmark (bench/backup.mjs, ${(size / MiB).toFixed(0)} MiB disk, 60% data)`, config, [
  row('b1', 'vixdisk backup --full vs nbdcopy <- vixdisk serve (transfer only)', 'full', 'nbdcopy', 'nbdcopy from vixdisk serve to null:'),
  row('b2', 'vixdisk backup --full vs restic backup of the raw image', 'full', 'restic', 'restic backup --compression off'),
  row('b3', 'incremental (1% changed) vs full (target: a tenth)', 'incremental', 'full', 'vixdisk backup --full', 0.1),
]);
console.log(`incremental: median ${(median(read) / MiB).toFixed(1)} MiB read from the host per ${(changed * 65536 / MiB).toFixed(1)} MiB changed (read/written ${(median(read) / (changed * 65536)).toFixed(2)}; the unchanged rest of a touched 1 MiB chunk comes from its previous blob in the repository)`);

// ---- memory for a 1 TiB sparse disk ---------------------------------------------------------------------
serve.kill('SIGTERM');
await hostWithDisk(async (path) => {
  await runChecked('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicSparse', path, '1T']);
  await runChecked('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x5a 0 4M', '-c', 'write -P 0xa5 512G 4M', path]);
});
Object.assign(process.env, envFor(freshRepo()));
const big = await timeProcess(process.execPath, [...profile, vixdisk, 'backup', '--vm', 'db', '-q', '--json'], { captureStdout: true });
const bigOut = JSON.parse(big.stdout);
console.log(`1 TiB sparse disk (8 MiB of data): ${big.seconds.toFixed(1)} s, ${(bigOut.disks[0].bytesRead / MiB).toFixed(0)} MiB read, max RSS ${big.maxRssKiB ? `${(big.maxRssKiB / 1024).toFixed(0)} MiB` : 'unknown (no GNU time)'}`);

for (const c of children) c.kill('SIGTERM');
await host.stop();
await rm(work, { recursive: true, force: true });
