import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository } from '../../src/restic/repository.js';
import { blobLocation, writeTestBackup } from '../support/backup-repo.js';
import { assertOneLineError, runVixdisk, type CliRun } from '../support/run-cli.js';
import { seededBytes } from '../support/xorshift.js';

// A wrong restore is impossible: what restore-destinations, verify and restic/hostile do not already
// cover. A blob whose bytes are another blob's (its MAC is good: sealed with the repository's key),
// a tree naming a blob the repository does not hold (its manifest digest agreeing), a restore point
// of another VM than --vm names, and a truncated index: each is one line, and nothing is written.
// (A manifest digest mismatch, a corrupted pack, a missing pack and a wrong password are tested in
// restore-destinations.test.ts and verify.test.ts.)

const MiB = 1 << 20;
const PASSWORD = 'never wrong password';
let dir: string;
let repoPath: string;
const ids: Record<string, string> = {};
let disk: Buffer;

const vixdisk = (args: string[]): Promise<CliRun> =>
  runVixdisk(args, { cwd: dir, env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, timeoutMs: 60_000 });

async function blobIds(snapshot: string, vm: string, file: string): Promise<string[]> {
  const repo = await Repository.open(repoPath, PASSWORD, { lock: 'none', sealWorkers: 0 });
  try {
    const s = await repo.findSnapshot(snapshot);
    return (await repo.findNode(s.tree, [vm, file])).content ?? [];
  } finally {
    await repo.close();
  }
}

/** The restore fails in one line and leaves no destination; returns the line. */
async function refused(args: string[], what: string): Promise<string> {
  const out = join(dir, `${what.replace(/\W+/g, '-')}.img`);
  const r = await vixdisk(['restore', '-r', repoPath, ...args, '--to', out]);
  const line = assertOneLineError(r, Number(/VIX error (\d+)/.exec(r.stderr)?.[1] ?? -1), what);
  await assert.rejects(stat(out), /ENOENT/, `${what}: nothing is written`);
  process.stdout.write(`# ${what}: ${line}\n`);
  return line;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vixdisk-never-wrong-'));
  repoPath = join(dir, 'repo');
  disk = seededBytes(3 * MiB, 11);
  // Small packs: each chunk's blob in a pack of its own.
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 }, packSize: 256 << 10, sealWorkers: 0 });
  try {
    ids.app = await writeTestBackup(repo, { vm: 'app', disks: [{ file: 'app.raw', data: disk }], time: '2026-12-01T10:00:00Z' });
    ids.db = await writeTestBackup(repo, { vm: 'db', moref: 'vm-17', disks: [{ file: 'db.raw', data: seededBytes(MiB, 12) }], time: '2026-12-02T10:00:00Z' });
    ids.ghost = await writeTestBackup(repo, {
      vm: 'ghost', disks: [{ file: 'ghost.raw', data: seededBytes(2 * MiB, 13) }], time: '2026-12-03T10:00:00Z',
      contentOverride: (_i, content) => [content[0]!, randomBytes(32).toString('hex')],
    });
  } finally {
    await repo.close();
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a blob holding another blob\'s bytes (a good MAC) is refused: content does not match its ID; nothing written', async () => {
  const [b0, b1] = await blobIds(ids.app!, 'app', 'app.raw');
  const [a, b] = [await blobLocation(repoPath, PASSWORD, b0!), await blobLocation(repoPath, PASSWORD, b1!)];
  assert.equal(a.length, b.length, 'two random chunks of one size seal to one length');
  const original = (await readFile(a.file)).subarray(a.offset, a.offset + a.length);
  const other = (await readFile(b.file)).subarray(b.offset, b.offset + b.length);
  const put = async (bytes: Buffer) => {
    await chmod(a.file, 0o600);
    const fh = await open(a.file, 'r+');
    try {
      await fh.write(bytes, 0, bytes.length, a.offset);
    } finally {
      await fh.close();
    }
  };
  await put(other);
  try {
    assert.match(await refused([ids.app!], 'swapped blob'), new RegExp(`${b0!.slice(0, 8)}.*content does not match its ID`));
    const v = await vixdisk(['verify', '-r', repoPath, ids.app!]);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /^FAILED \S+ app\/app.raw: chunk 0 .*content does not match its ID/m);
  } finally {
    await put(original);
  }
  const ok = join(dir, 'app.img');
  assert.equal((await vixdisk(['restore', '-r', repoPath, ids.app!, '--to', ok, '-q'])).code, 0);
  assert.ok((await readFile(ok)).equals(disk), 'repaired, the point restores exactly');
});

test('a tree naming a blob the repository does not hold is refused in one line; nothing written', async () => {
  assert.match(await refused([ids.ghost!], 'missing blob'), /blob|not found|no such/i);
  const v = await vixdisk(['verify', '-r', repoPath, ids.ghost!]);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /^FAILED \S+ ghost\/ghost.raw: chunk 1 /m);
});

test('a restore point of another VM than --vm names is refused; nothing written', async () => {
  assert.match(await refused([ids.db!.slice(0, 8), '--vm', 'app'], 'another VM'), /db|vm-17/);
  assert.match(await refused([ids.db!, '--vm', 'vm-app'], 'another VM by moref'), /db|vm-17/);
});

test('a truncated index stops the restore in one line, leaves no lock; nothing written', async () => {
  const indexDir = join(repoPath, 'index');
  const [file] = await readdir(indexDir);
  const path = join(indexDir, file!);
  const whole = await readFile(path);
  await chmod(path, 0o600);
  await truncate(path, Math.floor(whole.length / 2));
  try {
    assert.match(await refused([ids.app!], 'truncated index'), new RegExp(file!.slice(0, 8)));
    assert.deepEqual(await readdir(join(repoPath, 'locks')), [], 'no lock is left behind');
  } finally {
    await writeFile(path, whole);
  }
  assert.equal((await vixdisk(['verify', '-r', repoPath, ids.app!])).code, 0, 'restored, the repository reads again');
});
