import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_FILE_ALREADY_LOCKED } from '../../src/errors/error-codes.js';
import { isStale, type LockInfo } from '../../src/restic/lock.js';
import { Repository } from '../../src/restic/repository.js';
import { tempDir } from '../support/temp-dir.js';
import { assertResticCheck, needRestic, restic, resticOk } from './restic-peer.js';

const PASSWORD = 'locks';

test('locks: ours stop restic prune, an exclusive one stops restic backup and our writers, close removes them', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  const writer = await Repository.create(repoPath, PASSWORD);
  // restic reads our lock file like its own.
  const ids = (await resticOk(repoPath, PASSWORD, ['list', 'locks', '--no-lock'])).toString().trim().split('\n');
  assert.equal(ids.length, 1);
  const lock = JSON.parse((await resticOk(repoPath, PASSWORD, ['cat', 'lock', ids[0], '--no-lock'])).toString()) as LockInfo;
  assert.equal(lock.exclusive, false);
  assert.equal(lock.pid, process.pid);
  assert.equal(lock.hostname, hostname());

  // A shared lock of ours keeps prune (exclusive) away from packs no snapshot names yet.
  const prune = await restic(repoPath, PASSWORD, ['prune']);
  assert.notEqual(prune.code, 0);
  assert.match(prune.stderr, /locked/);
  // Shared locks coexist: a second writer of ours opens.
  const reader = await Repository.open(repoPath, PASSWORD);
  await reader.close();
  // An exclusive lock of ours is refused while the shared one stands.
  await assert.rejects(Repository.open(repoPath, PASSWORD, { lock: 'exclusive' }),
    (e: unknown) => e instanceof VixError && e.code === VIX_E_FILE_ALREADY_LOCKED && !e.message.includes('\n') && /locked: a lock held by PID/.test(e.message));
  await writer.close();
  assert.deepEqual(await readdir(join(repoPath, 'locks')), []);

  const excl = await Repository.open(repoPath, PASSWORD, { lock: 'exclusive' });
  const backup = await restic(repoPath, PASSWORD, ['backup', join(dir, 'repo', 'config')]);
  assert.notEqual(backup.code, 0);
  assert.match(backup.stderr, /locked exclusively/);
  await assert.rejects(Repository.open(repoPath, PASSWORD), (e: unknown) => e instanceof VixError && e.code === VIX_E_FILE_ALREADY_LOCKED && /an exclusive lock/.test(e.message));
  await excl.close();
  assert.deepEqual(await readdir(join(repoPath, 'locks')), []);
  await assertResticCheck(repoPath, PASSWORD, false);
});

test('locks: stale as restic judges them (30 minutes old, or a dead process on this host)', () => {
  const now = Date.now();
  const base: LockInfo = { time: new Date(now).toISOString(), exclusive: false, hostname: hostname(), username: 'u', pid: process.pid };
  assert.equal(isStale(base, now), false);
  assert.equal(isStale({ ...base, time: new Date(now - 31 * 60_000).toISOString() }, now), true);
  assert.equal(isStale({ ...base, pid: 2 ** 22 + 12345 }, now), true);
  assert.equal(isStale({ ...base, hostname: 'elsewhere', pid: 2 ** 22 + 12345 }, now), false);
});

test('locks: restic unlock probes a live holder with SIGHUP; the holder survives and keeps its lock; refresh replaces the file', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  const before = await readdir(join(repoPath, 'locks'));
  await repo.refreshLock();
  const after = await readdir(join(repoPath, 'locks'));
  assert.equal(after.length, 1);
  assert.notDeepEqual(after, before);
  await repo.close();

  const holderScript = join(fileURLToPath(new URL('.', import.meta.url)), 'lock-holder.js');
  const child = spawn(process.execPath, [holderScript, repoPath], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, VIXDISK_TEST_PASSWORD: PASSWORD } });
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('open\n')) resolve();
    });
    child.on('close', () => reject(new Error(`holder exited early: ${out}`)));
  });
  await resticOk(repoPath, PASSWORD, ['unlock']);
  assert.equal(child.exitCode, null, 'the holder is still running after the SIGHUP probe');
  assert.equal((await readdir(join(repoPath, 'locks'))).length, 1, 'its lock is kept');
  child.stdin.end();
  assert.equal(await exited, 0);
  assert.match(out, /closed/);
  assert.deepEqual(await readdir(join(repoPath, 'locks')), []);
});
