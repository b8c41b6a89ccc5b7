import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_ERROR, VIX_E_FILE_NOT_FOUND, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../../src/errors/error-codes.js';
import { Repository } from '../../src/restic/repository.js';
import { tempDir } from '../support/temp-dir.js';
import { CHUNK, sampleFiles, storeFiles } from './sample-files.js';

const PASSWORD = 'the right one';

/** Every file of the repository and its SHA-256: "nothing written" means this does not change. */
async function fingerprint(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await readdir(dir, { recursive: true })) {
    const p = join(dir, f);
    if ((await stat(p)).isFile()) out.push(`${relative(dir, p)} ${createHash('sha256').update(await readFile(p)).digest('hex')}`);
  }
  return out.sort();
}

async function makeRepo(t: { after: (fn: () => Promise<void>) => void }): Promise<{ repoPath: string; snap: string }> {
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  // A cheap key derivation: these tests open the repository many times on a loaded machine.
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  const snap = await repo.saveSnapshot({ tree: await storeFiles(repo, sampleFiles()), paths: ['/vm'] });
  await repo.close();
  return { repoPath, snap };
}

function oneLine(code: number, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof VixError, `not a VixError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(PASSWORD), 'no password in the message');
    return true;
  };
}

test('hostile: a wrong password is one line with the authentication code, and nothing is written', async (t) => {
  const { repoPath } = await makeRepo(t);
  const before = await fingerprint(repoPath);
  await assert.rejects(Repository.open(repoPath, 'not it'), oneLine(VIX_E_AUTHENTICATION_FAIL, /wrong password/));
  await assert.rejects(Repository.create(repoPath, PASSWORD), oneLine(VIX_E_FILE_ALREADY_EXISTS, /already exists/));
  await assert.rejects(Repository.open(join(repoPath, 'data'), PASSWORD), oneLine(VIX_E_FILE_NOT_FOUND, /no restic repository there/));
  assert.deepEqual(await fingerprint(repoPath), before);
});

test('hostile: one flipped byte in a pack fails that blob\'s MAC; other blobs still read', async (t) => {
  const { repoPath, snap } = await makeRepo(t);
  const repo = await Repository.open(repoPath, PASSWORD, { lock: 'none' });
  const tree = (await repo.findSnapshot(snap)).tree;
  const node = await repo.findNode(tree, ['vm', 'disk-0.raw']);
  const first = node.content![0];
  const loc = repo.index.lookup('data', first)!;
  const packPath = join(repoPath, 'data', loc.packId.slice(0, 2), loc.packId);
  await chmod(packPath, 0o600);
  const bytes = await readFile(packPath);
  bytes[loc.offset + 100] ^= 0x40;
  await writeFile(packPath, bytes);
  await assert.rejects(repo.loadBlob('data', first), oneLine(VIX_E_FILE_ERROR, /data blob [0-9a-f]{8} in pack [0-9a-f]{8}: ciphertext verification failed/));
  const reader = repo.readFile(node);
  await assert.rejects(reader.next(), oneLine(VIX_E_FILE_ERROR, /ciphertext verification failed/));
  assert.equal((await repo.loadBlob('data', node.content![1])).length, CHUNK);
  await repo.close();
});

test('hostile: a truncated index stops the open with one line naming it, and leaves no lock behind', async (t) => {
  const { repoPath } = await makeRepo(t);
  const [index] = await readdir(join(repoPath, 'index'));
  const p = join(repoPath, 'index', index);
  await chmod(p, 0o600);
  await truncate(p, (await stat(p)).size - 7);
  const before = await fingerprint(repoPath);
  await assert.rejects(Repository.open(repoPath, PASSWORD), oneLine(VIX_E_FILE_ERROR, new RegExp(`index ${index.slice(0, 8)}: file content does not match its name`)));
  assert.deepEqual(await fingerprint(repoPath), before);
});

test('hostile: a key file claiming huge scrypt parameters is refused before scrypt runs', async (t) => {
  const { repoPath } = await makeRepo(t);
  const [keyName] = await readdir(join(repoPath, 'keys'));
  const key = JSON.parse(await readFile(join(repoPath, 'keys', keyName), 'utf8'));
  for (const [N, r, p] of [[2 ** 40, 8, 1], [2 ** 20, 8, 1], [32768, 8, 100000], [1000, 8, 1]]) {
    const forged = Buffer.from(JSON.stringify({ ...key, N, r, p }));
    const forgedName = createHash('sha256').update(forged).digest('hex');
    await writeFile(join(repoPath, 'keys', forgedName), forged);
    const before = await fingerprint(repoPath);
    const rss = process.memoryUsage().rss;
    // The genuine key is tried too (listing order is the folder's): the password still opens it,
    // or the forged key's error is what comes back; never an attempt at the huge derivation.
    try {
      const repo = await Repository.open(repoPath, PASSWORD, { lock: 'none' });
      await repo.close();
    } catch (e) {
      oneLine(VIX_E_FILE_ERROR, /scrypt parameters/)(e);
    }
    await assert.rejects(Repository.open(repoPath, 'wrong', { lock: 'none' }), oneLine(VIX_E_FILE_ERROR, /scrypt parameters N=\d+ r=\d+ p=\d+/));
    assert.ok(process.memoryUsage().rss - rss < 200 * 1024 * 1024, 'memory stays bounded');
    assert.deepEqual(await fingerprint(repoPath), before);
    await chmod(join(repoPath, 'keys', forgedName), 0o600);
    await (await import('node:fs/promises')).rm(join(repoPath, 'keys', forgedName));
  }
});

test('hostile: unknown and invalid snapshot IDs, a missing blob, and a closed repository', async (t) => {
  const { repoPath, snap } = await makeRepo(t);
  const repo = await Repository.open(repoPath, PASSWORD);
  await assert.rejects(repo.findSnapshot(snap.startsWith('0') ? '1' : '0'), oneLine(VIX_E_OBJECT_NOT_FOUND, /not found/));
  await assert.rejects(repo.findSnapshot('zz'), oneLine(VIX_E_INVALID_ARG, /invalid snapshot ID/));
  await repo.saveSnapshot({ tree: (await repo.findSnapshot(snap)).tree, paths: ['/again'] });
  await assert.rejects(repo.findSnapshot(''), oneLine(VIX_E_INVALID_ARG, /invalid snapshot ID/));
  assert.equal((await repo.findSnapshot('latest')).paths[0], '/again');
  await assert.rejects(repo.loadBlob('data', 'ab'.repeat(32)), oneLine(VIX_E_OBJECT_NOT_FOUND, /not in the repository index/));
  await repo.close();
  await assert.rejects(repo.saveBlob('data', Buffer.from('x')), oneLine(VIX_E_INVALID_ARG, /closed/));
});
