import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Repository } from '../../src/restic/repository.js';
import { tempDir } from '../support/temp-dir.js';
import { assertResticCheck, needRestic, resticOk } from './restic-peer.js';
import { makeSource, readAll, sourceTree } from './restic-source.js';
import { sampleFiles, storeFiles } from './sample-files.js';

const PASSWORD = 'restic-made';

test('a version 1 repository (no compression) is read and extended too', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'v1');
  const src = join(dir, 'src');
  const files = await makeSource(src);
  await resticOk(repoPath, PASSWORD, ['init', '--repository-version', '1']);
  await resticOk(repoPath, PASSWORD, ['backup', src]);
  const repo = await Repository.open(repoPath, PASSWORD);
  assert.equal(repo.config.version, 1);
  const [snap] = await repo.listSnapshots();
  const got = await readAll(repo, await sourceTree(repo, snap.tree, src));
  for (const [name, data] of files) assert.ok(got.get(name)!.equals(data), name);
  const ours = sampleFiles();
  const id = await repo.saveSnapshot({ tree: await storeFiles(repo, ours), paths: ['/vm'] });
  await repo.close();
  await assertResticCheck(repoPath, PASSWORD);
  assert.ok((await resticOk(repoPath, PASSWORD, ['dump', id, '/vm/disk-0.raw'])).equals(ours[0].data));
});
