import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { newRandomKey, seal } from '../../src/restic/crypto.js';
import { OPEN_INLINE_BYTES, SealPool } from '../../src/restic/seal-pool.js';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../../src/errors/error-codes.js';

/** A sealed blob in a buffer of its own, as the backend loads it. */
function sealedCopy(key: ReturnType<typeof newRandomKey>, plain: Buffer): Buffer {
  const s = seal(key, plain);
  const own = Buffer.from(new ArrayBuffer(s.length));
  s.copy(own);
  return own;
}

test('SealPool.open: large blobs opened on workers, small ones inline, many in flight, all byte for byte', async () => {
  const key = newRandomKey();
  const pool = new SealPool(key, 2);
  try {
    const plains = Array.from({ length: 24 }, (_, i) => randomBytes(i % 3 === 0 ? 100 + i : OPEN_INLINE_BYTES + i * 4099));
    const opened = await Promise.all(plains.map((p, i) => pool.open(sealedCopy(key, p), `blob ${i}`)));
    opened.forEach((o, i) => assert.deepEqual(o, plains[i], `blob ${i}`));
  } finally {
    await pool.close();
  }
});

test('SealPool.open: a tampered blob fails with the same one-line error on a worker as inline', async () => {
  const key = newRandomKey();
  const pool = new SealPool(key, 2);
  const inline = new SealPool(key, 0);
  try {
    for (const size of [1000, OPEN_INLINE_BYTES * 3]) {
      const bad = () => {
        const b = sealedCopy(key, randomBytes(size));
        b[40] ^= 1;
        return b;
      };
      const want = (e: unknown) => e instanceof VixError && e.code === VIX_E_FILE_ERROR
        && e.message === 'data blob x: ciphertext verification failed (corrupted data or wrong key)';
      await assert.rejects(pool.open(bad(), 'data blob x'), want, `size ${size} on the pool`);
      await assert.rejects(inline.open(bad(), 'data blob x'), want, `size ${size} inline`);
    }
    // The pool still works after a failure.
    const p = randomBytes(OPEN_INLINE_BYTES * 2);
    assert.deepEqual(await pool.open(sealedCopy(key, p), 'data blob y'), p);
  } finally {
    await pool.close();
  }
});
