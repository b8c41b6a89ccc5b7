import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, open, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository } from '../../src/restic/repository.js';
import { blobLocation, writeTestBackup } from '../support/backup-repo.js';
import { assertOneLineError, runVixdisk, type CliRun } from '../support/run-cli.js';
import { seededBytes } from '../support/xorshift.js';

// vixdisk verify: every blob of every disk re-read and checked, the manifest's digest too; a
// corrupted pack and a missing pack are one clear line per disk and exit 1, never a crash; a
// restore of the damaged point fails the same way and leaves nothing behind.

const MiB = 1 << 20;
const PASSWORD = 'verify test password';
let dir: string;
let repoPath: string;
const ids: Record<string, string> = {};
let disk: Buffer;

function vixdisk(args: string[]): Promise<CliRun> {
  return runVixdisk(args, { cwd: dir, env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, timeoutMs: 60_000 });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vixdisk-verify-'));
  repoPath = join(dir, 'repo');
  disk = Buffer.alloc(6 * MiB);
  seededBytes(4 * MiB, 1).copy(disk, 0);
  // Small packs: each chunk's blob in a pack of its own, so one pack can be damaged alone.
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 }, packSize: 256 << 10, sealWorkers: 0 });
  try {
    ids.first = await writeTestBackup(repo, { vm: 'app', disks: [{ file: 'app.raw', data: disk }], time: '2026-12-01T10:00:00Z' });
    const second = Buffer.from(disk);
    seededBytes(MiB, 2).copy(second, 5 * MiB);
    ids.second = await writeTestBackup(repo, { vm: 'app', kind: 'incremental', parent: ids.first, disks: [{ file: 'app.raw', data: second }], time: '2026-12-02T10:00:00Z' });
    ids.bad = await writeTestBackup(repo, { vm: 'other', disks: [{ file: 'other.raw', data: seededBytes(MiB, 3) }], digestOverride: () => '00'.repeat(32), time: '2026-11-01T10:00:00Z' });
  } finally {
    await repo.close();
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('verify reads every blob once and checks the digests: ok lines, exit 0; a wrong digest fails', async () => {
  const r = await vixdisk(['verify', '--repo', repoPath, '--vm', 'app', '--all']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, new RegExp(`^ok +${ids.first!.slice(0, 8)} app/app.raw .*6 chunks, 5 blobs read .*digest matches`));
  // The second point shares all but one chunk with the first: only that blob is read again.
  assert.match(lines[1]!, new RegExp(`^ok +${ids.second!.slice(0, 8)} app/app.raw .*6 chunks, 1 blobs read`));
  const bad = await vixdisk(['verify', '-r', repoPath, ids.bad!.slice(0, 8)]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^FAILED \S+ other\/other.raw: .*digest of its chunks differs/);
  assert.equal(bad.stderr, '');
});

test('a corrupted pack: verify names the disk and the blob, exit 1; restore fails with one line and writes nothing', async () => {
  // Chunk 1 of the first point (also used by the second).
  const chunk1 = disk.subarray(MiB, 2 * MiB);
  const { createHash } = await import('node:crypto');
  const blob = createHash('sha256').update(chunk1).digest('hex');
  const where = await blobLocation(repoPath, PASSWORD, blob);
  await chmod(where.file, 0o600);
  const flip = async () => {
    const fh = await open(where.file, 'r+');
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, where.offset + 100);
      b[0] ^= 0x40;
      await fh.write(b, 0, 1, where.offset + 100);
    } finally {
      await fh.close();
    }
  };
  await flip();
  const r = await vixdisk(['verify', '-r', repoPath, '--all']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const failed = r.stdout.split('\n').filter((l) => l.startsWith('FAILED'));
  assert.equal(failed.length, 3, r.stdout); // both points of app, and the bad digest
  assert.match(failed.find((l) => l.includes(ids.first!.slice(0, 8)))!, new RegExp(`chunk 1 \\(blob ${blob.slice(0, 8)}\\) at byte ${MiB}: .*ciphertext verification failed`));
  const out = join(dir, 'corrupt.img');
  assert.match(assertOneLineError(await vixdisk(['restore', '-r', repoPath, ids.first!, '--to', out]), 7, 'restore from a corrupted pack', 1), /ciphertext verification failed/);
  await assert.rejects(stat(out), /ENOENT/);
  await flip(); // repaired: the next case damages something else
  assert.equal((await vixdisk(['verify', '-r', repoPath, '--vm', 'app', '--all'])).code, 0);
});

test('a missing pack: verify says which blob is gone, exit 1; restore fails with one line', async () => {
  const chunk5 = disk.subarray(5 * MiB, 6 * MiB); // zeros in the first point
  const { createHash } = await import('node:crypto');
  const second = Buffer.from(disk);
  seededBytes(MiB, 2).copy(second, 5 * MiB);
  const blob = createHash('sha256').update(second.subarray(5 * MiB)).digest('hex');
  assert.ok(chunk5.every((x) => x === 0));
  await unlink((await blobLocation(repoPath, PASSWORD, blob)).file);
  const r = await vixdisk(['verify', '-r', repoPath, ids.second!]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, new RegExp(`^FAILED ${ids.second!.slice(0, 8)} app/app.raw: .*blob ${blob.slice(0, 8)}`, 'm'));
  assert.match(r.stdout, /chunk 5 .* at byte 5242880: data file [0-9a-f]{64}: no such file/);
  assert.equal((await vixdisk(['verify', '-r', repoPath, ids.first!])).code, 0, 'the first point does not use that blob');
  const out = join(dir, 'missing.vmdk');
  assertOneLineError(await vixdisk(['restore', '-r', repoPath, ids.second!, '--to', out]), 4, 'restore with a missing pack');
  await assert.rejects(stat(out), /ENOENT/);
  // snapshots still lists everything: the manifests are intact.
  const list = await vixdisk(['snapshots', '-r', repoPath]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /3 restore points/);
});
