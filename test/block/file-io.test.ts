import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readvAt } from '../../src/block/file-io.js';
import { tempDir } from '../support/temp-dir.js';

// readvAt: bytes that follow each other in a file read into several buffers in one call (the
// sparse extents' reads of grains allocated one after another).

test('readvAt fills the buffers one after another from the position, and past end of file with zeros', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'f');
  const bytes = Buffer.alloc(10_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  await writeFile(file, bytes);
  const fh = await open(file, 'r');
  t.after(() => fh.close());
  const parts = [new Uint8Array(1000), new Uint8Array(3), new Uint8Array(5000)];
  await readvAt(fh, parts, 100);
  assert.ok(Buffer.concat(parts).equals(bytes.subarray(100, 6103)));
  // Across the end: the last 600 bytes of the file, then zeros.
  const tail = [new Uint8Array(500), new Uint8Array(300), new Uint8Array(200)];
  for (const b of tail) b.fill(0xee);
  await readvAt(fh, tail, 9400);
  assert.ok(Buffer.concat(tail).equals(Buffer.concat([bytes.subarray(9400), Buffer.alloc(400)])));
});
