import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Repository } from '../../src/restic/repository.js';
import { tempDir } from '../support/temp-dir.js';
import { assertResticCheck, needRestic, resticOk, resticSnapshots } from './restic-peer.js';
import { readBack, sampleFiles, storeFiles } from './sample-files.js';
import { makeSource, readAll, sourceTree } from './restic-source.js';

const PASSWORD = 'restic-made';

test('we read a repository restic made (zstd-compressed blobs, index and snapshots), byte for byte', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  const src = join(dir, 'src');
  const files = await makeSource(src);
  await resticOk(repoPath, PASSWORD, ['init', '--repository-version', '2']);
  await resticOk(repoPath, PASSWORD, ['backup', src, '--host', 'rhost', '--tag', 'one']);

  const repo = await Repository.open(repoPath, PASSWORD);
  assert.equal(repo.config.version, 2);
  const snaps = await repo.listSnapshots();
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0].hostname, 'rhost');
  assert.deepEqual(snaps[0].tags, ['one']);
  assert.deepEqual(snaps[0].paths, [src]);
  const got = await readAll(repo, await sourceTree(repo, snaps[0].tree, src));
  assert.deepEqual([...got.keys()].sort(), [...files.keys()].sort());
  for (const [name, data] of files) assert.ok(got.get(name)!.equals(data), name);
  const link = (await repo.loadTree(await sourceTree(repo, snaps[0].tree, src))).find((n) => n.name === 'link');
  assert.equal(link?.type, 'symlink');
  assert.equal(link?.linktarget, 'random.bin');
  await repo.close();
});

test('both ways: we add to restic\'s repository, restic adds to ours, check and forget --prune keep everything readable', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const src = join(dir, 'src');
  const files = await makeSource(src);
  const ours = sampleFiles();

  // restic's repository, extended by us.
  const theirs = join(dir, 'theirs');
  await resticOk(theirs, PASSWORD, ['init', '--repository-version', '2']);
  await resticOk(theirs, PASSWORD, ['backup', src, '--host', 'rhost']);
  let repo = await Repository.open(theirs, PASSWORD);
  const ourTree = await storeFiles(repo, ours);
  const ourSnap = await repo.saveSnapshot({ tree: ourTree, paths: ['/vm'], hostname: 'vixdisk-host' });
  await repo.close();
  await assertResticCheck(theirs, PASSWORD);
  for (const f of ours) {
    assert.ok((await resticOk(theirs, PASSWORD, ['dump', ourSnap, '/' + f.path.join('/')])).equals(f.data), f.path.join('/'));
  }

  // Our repository, extended by restic, twice, then pruned down to the newest restic snapshot and ours.
  const mine = join(dir, 'mine');
  repo = await Repository.create(mine, PASSWORD);
  const tree1 = await storeFiles(repo, ours);
  const first = await repo.saveSnapshot({ tree: tree1, paths: ['/vm'], hostname: 'vixdisk-host' });
  await repo.close();
  await resticOk(mine, PASSWORD, ['backup', src, '--host', 'rhost']);
  await writeFile(join(src, 'text.txt'), 'changed\n');
  files.set('text.txt', Buffer.from('changed\n'));
  await resticOk(mine, PASSWORD, ['backup', src, '--host', 'rhost']);
  await assertResticCheck(mine, PASSWORD);
  // forget groups by host and paths: keeps the last rhost snapshot and our only one.
  await resticOk(mine, PASSWORD, ['forget', '--keep-last', '1', '--prune']);
  await assertResticCheck(mine, PASSWORD);
  const left = await resticSnapshots(mine, PASSWORD);
  assert.equal(left.length, 2);
  assert.ok(left.some((s) => s.id === first));

  repo = await Repository.open(mine, PASSWORD);
  const byHost = new Map((await repo.listSnapshots()).map((s) => [s.hostname, s]));
  for (const f of ours) assert.ok((await readBack(repo, byHost.get('vixdisk-host')!.tree, f.path)).equals(f.data), f.path.join('/'));
  const got = await readAll(repo, await sourceTree(repo, byHost.get('rhost')!.tree, src));
  for (const [name, data] of files) assert.ok(got.get(name)!.equals(data), name);
  // A second snapshot of ours stores nothing new: every chunk is found in the (pruned, repacked) index.
  const before = repo.stats.blobsStored;
  const tree2 = await storeFiles(repo, ours);
  assert.equal(tree2, tree1);
  assert.equal(repo.stats.blobsStored, before);
  await repo.saveSnapshot({ tree: tree2, paths: ['/vm'], hostname: 'vixdisk-host', parent: first });
  await repo.close();
  await assertResticCheck(mine, PASSWORD);
});
