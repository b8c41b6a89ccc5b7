import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, open, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_FILE_ERROR, VIX_E_FILE_NOT_FOUND, VIX_E_OBJECT_NOT_FOUND } from '../../src/errors/error-codes.js';
import type { Backend } from '../../src/restic/backend.js';
import { LocalBackend } from '../../src/restic/local-backend.js';
import { Repository } from '../../src/restic/repository.js';
import { tempDir } from '../support/temp-dir.js';

// Repository.loadBlobInto, the read path of restore and verify, three ways: on the worker threads
// reading the pack file themselves (shared memory, a local folder), on the workers given the bytes
// (a backend with no local path), and inline (ordinary memory, or no workers). Each gives the
// backed-up bytes, and each refuses a damaged pack, a truncated or missing one, or a wrong length
// with one line naming the blob.

const PASSWORD = 'pw';
const KDF = { N: 1024, r: 8, p: 1 };

/** The local backend without localPath: what an object store would be. */
class RemoteLike implements Backend {
  private readonly inner: LocalBackend;
  constructor(readonly location: string) { this.inner = new LocalBackend(location); }
  create() { return this.inner.create(); }
  save(...a: Parameters<Backend['save']>) { return this.inner.save(...a); }
  load(...a: Parameters<Backend['load']>) { return this.inner.load(...a); }
  stat(...a: Parameters<Backend['stat']>) { return this.inner.stat(...a); }
  list(...a: Parameters<Backend['list']>) { return this.inner.list(...a); }
  remove(...a: Parameters<Backend['remove']>) { return this.inner.remove(...a); }
}

interface Ways {
  name: string;
  open: (repoPath: string) => Promise<Repository>;
  shared: boolean;
}

const WAYS: Ways[] = [
  { name: 'workers reading the pack', open: (p) => Repository.open(p, PASSWORD, { openWorkers: 2 }), shared: true },
  { name: 'workers given the bytes', open: (p) => Repository.open(new RemoteLike(p), PASSWORD, { openWorkers: 2 }), shared: true },
  { name: 'inline, ordinary memory', open: (p) => Repository.open(p, PASSWORD), shared: false },
  { name: 'inline, no workers', open: (p) => Repository.open(p, PASSWORD, { openWorkers: 0 }), shared: true },
];

function buffer(n: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

async function makeRepo(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await tempDir(t, 'vixdisk-load-into-');
  const repoPath = join(dir, 'repo');
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: KDF });
  // Blobs of several sizes, below and above what is opened inline, in one pack.
  const blobs = [100, 70_000, 1 << 20, (1 << 20) + 17, 3 << 20].map((n) => randomBytes(n));
  const ids = [];
  for (const b of blobs) ids.push(await repo.saveBlob('data', b));
  await repo.close();
  const packs = new LocalBackend(repoPath);
  const pack = (await packs.list('data'))[0]!.name;
  return { repoPath, blobs, ids, packFile: join(repoPath, 'data', pack.slice(0, 2), pack) };
}

test('loadBlobInto gives the stored bytes on every path, many at once', async (t) => {
  const { repoPath, blobs, ids } = await makeRepo(t);
  for (const way of WAYS) {
    const repo = await way.open(repoPath);
    try {
      const outs = blobs.map((b) => buffer(b.length, way.shared));
      // Twice over, all in flight at once: the workers share them out.
      await Promise.all([...ids, ...ids].map((id, i) => repo.loadBlobInto('data', id, outs[i % ids.length]!)));
      for (let i = 0; i < blobs.length; i++) assert.deepEqual(Buffer.from(outs[i]!), blobs[i], `${way.name}: blob ${i}`);
      // Into a view at an offset of a larger buffer, as the copy loop's window buffers are.
      const big = buffer(blobs[2]!.length + 4096, way.shared);
      await repo.loadBlobInto('data', ids[2]!, big.subarray(4096));
      assert.deepEqual(Buffer.from(big.subarray(4096)), blobs[2]);
      assert.equal(repo.blobLength('data', ids[3]!), blobs[3]!.length);
      // A wrong length and an unknown blob are refused before anything is read.
      await assert.rejects(repo.loadBlobInto('data', ids[2]!, buffer(1000, way.shared)),
        (e: unknown) => e instanceof VixError && e.code === VIX_E_FILE_ERROR && /holds 1048576 bytes, not 1000/.test(e.message));
      await assert.rejects(repo.loadBlobInto('data', 'ab'.repeat(32), buffer(10, way.shared)),
        (e: unknown) => e instanceof VixError && e.code === VIX_E_OBJECT_NOT_FOUND);
    } finally {
      await repo.close();
    }
  }
});

test('loadBlobInto refuses a flipped byte, a truncated pack and a missing pack on every path, in one line', async (t) => {
  const { repoPath, blobs, ids, packFile } = await makeRepo(t);
  await chmod(packFile, 0o600);
  const fh = await open(packFile, 'r+');
  // Flip one ciphertext byte of the 1 MiB blob (where the index says it is: blobs are sealed in parallel,
  // so their order in the pack is not the order they were saved in).
  const probe = await Repository.open(repoPath, PASSWORD, { lock: 'none' });
  const loc = probe.index.lookup('data', ids[2]!)!;
  const last = probe.index.lookup('data', ids[4]!)!;
  await probe.close();
  const at = loc.offset + 16 + 500;
  const one = Buffer.alloc(1);
  await fh.read(one, 0, 1, at);
  one[0] ^= 0x40;
  await fh.write(one, 0, 1, at);
  await fh.close();
  for (const way of WAYS) {
    const repo = await way.open(repoPath);
    try {
      await assert.rejects(repo.loadBlobInto('data', ids[2]!, buffer(blobs[2]!.length, way.shared)), (e: unknown) =>
        e instanceof VixError && e.code === VIX_E_FILE_ERROR && !e.message.includes('\n') &&
        e.message.includes(`data blob ${ids[2]!.slice(0, 8)} in pack`) && /ciphertext verification failed/.test(e.message), way.name);
      // The blob before it is intact.
      const ok = buffer(blobs[1]!.length, way.shared);
      await repo.loadBlobInto('data', ids[1]!, ok);
      assert.deepEqual(Buffer.from(ok), blobs[1]);
    } finally {
      await repo.close();
    }
  }
  await truncate(packFile, last.offset + 1000);
  for (const way of WAYS) {
    const repo = await way.open(repoPath);
    try {
      await assert.rejects(repo.loadBlobInto('data', ids[4]!, buffer(blobs[4]!.length, way.shared)), (e: unknown) =>
        e instanceof VixError && e.code === VIX_E_FILE_ERROR && !e.message.includes('\n') && /beyond its end/.test(e.message), way.name);
    } finally {
      await repo.close();
    }
  }
  await truncate(packFile, 0);
  await rm(packFile);
  for (const way of WAYS) {
    const repo = await way.open(repoPath);
    try {
      await assert.rejects(repo.loadBlobInto('data', ids[3]!, buffer(blobs[3]!.length, way.shared)), (e: unknown) =>
        e instanceof VixError && e.code === VIX_E_FILE_NOT_FOUND && !e.message.includes('\n') && /no such file/.test(e.message), way.name);
    } finally {
      await repo.close();
    }
  }
});

test('a blob-opening thread that dies fails the loads in one line instead of leaving them unanswered', async (t) => {
  const { repoPath, blobs, ids } = await makeRepo(t);
  const repo = await Repository.open(repoPath, PASSWORD, { openWorkers: 2 });
  try {
    const first = buffer(blobs[2]!.length, true);
    await repo.loadBlobInto('data', ids[2]!, first);
    // The threads are private to the pool; end one as a crash would.
    const pool = (repo as unknown as { opener: { workers: Array<{ terminate(): Promise<number> }> } }).opener;
    await pool.workers[0]!.terminate();
    const loads = [2, 3, 4, 2, 3, 4].map((i) => repo.loadBlobInto('data', ids[i]!, buffer(blobs[i]!.length, true)));
    const settled = await Promise.allSettled(loads);
    for (const r of settled) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as unknown;
      assert.ok(e instanceof VixError && !e.message.includes('\n') && /blob-opening thread ended unexpectedly/.test(e.message), String(e));
    }
  } finally {
    await repo.close();
  }
});
