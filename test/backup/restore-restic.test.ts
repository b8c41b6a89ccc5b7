import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Repository } from '../../src/restic/repository.js';
import { assertResticCheck, needRestic, restic, resticOk } from '../restic/restic-peer.js';
import { writeTestBackup } from '../support/backup-repo.js';
import { runVixdisk, VIXDISK_BIN, type CliRun } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';
import { random01, seededBytes } from '../support/xorshift.js';
import { openDevice } from '../../src/device/open-device.js';

// With restic as the judge: `restic forget --keep-last N --prune` (how vixdisk backups are
// forgotten) leaves the remaining restore points restorable by vixdisk; a restore killed at any
// moment leaves the repository as it was (restore only reads: restic check passes once restic
// unlock has removed the dead reader's lock) and the rerun restores byte for byte.

const MiB = 1 << 20;
const PASSWORD = 'restic judge';

function vixdisk(cwd: string, args: string[]): Promise<CliRun> {
  return runVixdisk(args, { cwd, env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, timeoutMs: 120_000 });
}

async function readDisk(path: string): Promise<Buffer> {
  const dev = await openDevice(path, { readOnly: true });
  try {
    const b = Buffer.alloc(dev.capacity);
    await dev.read(0, b);
    return b;
  } finally {
    await dev.close();
  }
}

/** SHA-256 of every file of the repository but its locks: what a reader must leave unchanged. */
async function repositoryState(repo: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (!relative(repo, p).startsWith('locks')) out.set(relative(repo, p), createHash('sha256').update(await readFile(p)).digest('hex'));
    }
  };
  await walk(repo);
  return out;
}

test('restic forget --keep-last 1 --prune per VM leaves the remaining restore points restorable', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-forget-');
  const repoPath = join(dir, 'repo');
  const versions: Buffer[] = [];
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  let other: Buffer;
  try {
    let data = Buffer.alloc(4 * MiB + 512);
    seededBytes(MiB, 1).copy(data, MiB);
    let parent: string | null = null;
    for (let round = 0; round < 3; round++) {
      if (round > 0) {
        data = Buffer.from(data);
        seededBytes(200_000, 10 + round).copy(data, round * MiB + 4096);
      }
      versions.push(data);
      parent = await writeTestBackup(repo, {
        vm: 'a', disks: [{ file: 'a.raw', data }], kind: round === 0 ? 'full' : 'incremental', parent,
        time: `2026-12-0${round + 1}T10:00:00Z`,
      });
    }
    other = seededBytes(2 * MiB, 99);
    await writeTestBackup(repo, { vm: 'b', disks: [{ file: 'b.raw', data: other }], time: '2026-12-01T11:00:00Z' });
  } finally {
    await repo.close();
  }
  await resticOk(repoPath, PASSWORD, ['forget', '--tag', 'vm=a', '--keep-last', '1', '--prune']);
  const list = JSON.parse((await vixdisk(dir, ['snapshots', '-r', repoPath, '--json'])).stdout) as Array<{ vm: { name: string }; time: string }>;
  assert.deepEqual(list.map((s) => `${s.vm.name} ${s.time}`), ['b 2026-12-01T11:00:00Z', 'a 2026-12-03T10:00:00Z']);
  const outA = join(dir, 'a.vmdk');
  const r = await vixdisk(dir, ['restore', '-r', repoPath, 'latest', '--vm', 'a', '--to', outA, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await readDisk(outA)).equals(versions[2]!), 'the kept point restores byte for byte after prune');
  const outB = join(dir, 'b.img');
  assert.equal((await vixdisk(dir, ['restore', '-r', repoPath, 'latest', '--vm', 'b', '--to', outB, '-q'])).code, 0);
  assert.ok((await readFile(outB)).equals(other!));
  assert.equal((await vixdisk(dir, ['verify', '-r', repoPath, '--all'])).code, 0);
  // restic gives the same bytes back without vixdisk.
  assert.ok((await resticOk(repoPath, PASSWORD, ['dump', 'latest', '/a/a.raw', '--tag', 'vm=a'])).equals(versions[2]!));
  await assertResticCheck(repoPath, PASSWORD);
});

test('SIGKILL during restore: the repository is untouched, restic check passes, the rerun is byte-exact', async (t) => {
  if (!(await needRestic(t))) return;
  const rounds = Number(process.env.VIXDISK_RESTORE_CRASH_ROUNDS ?? (process.env.VIXDISK_SOAK === '1' ? 20 : 3));
  const dir = await tempDir(t, 'vixdisk-restore-kill-');
  const repoPath = join(dir, 'repo');
  const data = Buffer.alloc(24 * MiB);
  for (let i = 0; i < 24; i += 3) seededBytes(MiB, 100 + i).copy(data, i * MiB);
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  try {
    await writeTestBackup(repo, { vm: 'k', disks: [{ file: 'k.raw', data }] });
  } finally {
    await repo.close();
  }
  const before = await repositoryState(repoPath);
  const delay = random01(7);
  for (let round = 0; round < rounds; round++) {
    const out = join(dir, `k-${round}.vmdk`);
    const child = spawn(process.execPath, [VIXDISK_BIN, 'restore', '-r', repoPath, '--to', out, '-q'], {
      env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(delay() * 1200)));
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(await repositoryState(repoPath), before, `round ${round}: the repository is unchanged`);
    // The rerun replaces whatever the killed run left.
    const r = await vixdisk(dir, ['restore', '-r', repoPath, '--to', out, '--force', '-q']);
    assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
    assert.ok((await readDisk(out)).equals(data), `round ${round}: byte-exact`);
  }
  // The killed readers' locks are stale (dead processes on this host): restic unlock removes them.
  await resticOk(repoPath, PASSWORD, ['unlock']);
  await assertResticCheck(repoPath, PASSWORD);
  assert.equal((await restic(repoPath, PASSWORD, ['snapshots', '--json'])).code, 0);
});
