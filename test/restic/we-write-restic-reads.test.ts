import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Repository } from '../../src/restic/repository.js';
import { tempDir } from '../support/temp-dir.js';
import { assertResticCheck, needRestic, restic, resticOk, resticSnapshots } from './restic-peer.js';
import { CHUNK, readBack, sampleFiles, storeFiles } from './sample-files.js';

const PASSWORD = 'correct horse battery staple';

test('a repository we write passes restic check --read-data and restic gives every byte back', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  const files = sampleFiles();

  const repo = await Repository.create(repoPath, PASSWORD);
  const tree = await storeFiles(repo, files);
  // Duplicate and zero chunks are stored once: disk-0 has 6 chunks of which 4 distinct.
  assert.equal(repo.stats.blobsKnown, 2);
  const snapId = await repo.saveSnapshot({ tree, paths: ['/vm', '/odd names'], tags: ['vixdisk', 'test'] });
  await repo.close();
  assert.deepEqual(await readdir(join(repoPath, 'locks')), [], 'close() removes our lock');

  const check = await assertResticCheck(repoPath, PASSWORD);
  assert.match(check, /no errors were found/);

  const snaps = await resticSnapshots(repoPath, PASSWORD);
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0].id, snapId);
  assert.equal(snaps[0].tree, tree);
  assert.deepEqual(snaps[0].tags, ['vixdisk', 'test']);

  for (const f of files) {
    const dumped = await resticOk(repoPath, PASSWORD, ['dump', snapId.slice(0, 8), '/' + f.path.join('/')]);
    assert.ok(dumped.equals(f.data), `restic dump of ${f.path.join('/')}`);
  }
  const target = join(dir, 'restored');
  await resticOk(repoPath, PASSWORD, ['restore', 'latest', '--target', target]);
  for (const f of files) {
    const p = join(target, ...f.path);
    assert.ok((await readFile(p)).equals(f.data), `restic restore of ${f.path.join('/')}`);
    assert.equal((await stat(p)).mode & 0o777, 0o644);
  }

  // And we read back what we wrote, through a fresh open.
  const again = await Repository.open(repoPath, PASSWORD, { lock: 'none' });
  const [ours] = await again.listSnapshots();
  assert.equal(ours.id, snapId);
  assert.equal((await again.findSnapshot(snapId.slice(0, 6))).tree, tree);
  for (const f of files) assert.ok((await readBack(again, tree, f.path)).equals(f.data));
  await again.close();
});

test('packs are filled to the pack size and split by type; restic lists and checks them all', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  // Sealing inline (no worker threads): the other tests cover the worker pool.
  const repo = await Repository.create(repoPath, PASSWORD, { packSize: 4 * CHUNK, sealWorkers: 0 });
  const data = Buffer.alloc(10 * CHUNK);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i * 2654435761 >>> 0, i);
  const tree = await storeFiles(repo, [{ path: ['big.raw'], data }]);
  await repo.saveSnapshot({ tree, paths: ['/big.raw'] });
  await repo.close();
  // 10 data blobs of 1 MiB in packs closed at 4 MiB: 4 + 4 + 2, plus one tree pack.
  assert.equal(repo.stats.packsWritten, 4);
  const r = await restic(repoPath, PASSWORD, ['list', 'packs']);
  assert.equal(r.stdout.toString().trim().split('\n').length, 4);
  await assertResticCheck(repoPath, PASSWORD);
  assert.ok((await resticOk(repoPath, PASSWORD, ['dump', 'latest', '/big.raw'])).equals(data));
});
