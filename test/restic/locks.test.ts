import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
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
