import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Repository } from '../../src/restic/repository.js';
import type { Node } from '../../src/restic/tree.js';
import { tempDir } from '../support/temp-dir.js';
import { assertResticCheck, needRestic, resticOk, resticSnapshots } from './restic-peer.js';
import { readBack, sampleFiles, storeFiles } from './sample-files.js';

const PASSWORD = 'restic-made';

/** Files restic backs up: random (compressed by restic anyway), text-like, zeros, empty, nested, odd names. */
async function makeSource(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['random.bin', randomBytes(3 * 1024 * 1024 + 17)],
    ['text.txt', Buffer.from('vixdisk writes restic repositories\n'.repeat(40_000))],
    ['zeros.img', Buffer.alloc(4 * 1024 * 1024)],
    ['empty', Buffer.alloc(0)],
    ['sub/deeper/small', Buffer.from('hello restic\n')],
    ['sub/a\\b"c\té', randomBytes(100)],
  ]);
  for (const [rel, data] of files) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), data);
  }
  await symlink('random.bin', join(dir, 'link'));
  return files;
}

/** Every file under `tree` (paths relative to it), read back through our reader. */
async function readAll(repo: Repository, tree: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const n of await repo.loadTree(tree)) {
    const p = prefix + n.name;
    if (n.type === 'dir') for (const [k, v] of await readAll(repo, n.subtree!, p + '/')) out.set(k, v);
    else if (n.type === 'file') out.set(p, await readNode(repo, n));
  }
  return out;
}

async function readNode(repo: Repository, n: Node): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of repo.readFile(n)) parts.push(b);
  return Buffer.concat(parts);
}

/** The tree of the backed-up folder `src` inside a snapshot of its absolute path. */
async function sourceTree(repo: Repository, root: string, src: string): Promise<string> {
  const node = await repo.findNode(root, src.split('/').filter(Boolean));
  assert.equal(node.type, 'dir');
  return node.subtree!;
}

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
