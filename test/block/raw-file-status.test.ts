import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, statfs, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { copyDevice } from '../../src/block/copy.js';
import type { BlockStatusExtent } from '../../src/block/block-device.js';
import { tempDir } from '../support/temp-dir.js';
import { xorshift32 } from '../support/xorshift.js';

// Block status of raw files: holes found from stat's block count and by reading (Node has no
// SEEK_HOLE). Whatever is reported, a run holding data must never be reported as zeros.

const GRANULE = 64 << 10;

/** ext2/3/4, XFS, Btrfs, tmpfs: where st_blocks is exact and the hole report can be asserted. */
async function countsBlocks(dir: string): Promise<boolean> {
  const { type } = await statfs(dir);
  return [0xef53, 0x58465342, 0x9123683e, 0x01021994].includes(type);
}

/** Every run reported zero reads as zeros in `bytes`; the runs cover [0, size) exactly, in order. */
function assertHonest(extents: BlockStatusExtent[], bytes: Uint8Array): void {
  let at = 0;
  for (const e of extents) {
    assert.equal(e.offset, at, 'runs are contiguous');
    if (e.zero) {
      const run = Buffer.from(bytes.buffer, bytes.byteOffset + e.offset, e.length);
      assert.ok(run.equals(Buffer.alloc(e.length)), `run at ${e.offset} holds data but was reported zero`);
    }
    at += e.length;
  }
  assert.equal(at, bytes.length, 'runs cover the file');
}

async function statusOf(path: string): Promise<BlockStatusExtent[]> {
  const dev = await RawFileDevice.open(path, { readOnly: true });
  try {
    return await dev.blockStatus(0, dev.capacity);
  } finally {
    await dev.close();
  }
}

test('a raw file that is all hole is reported as one hole, and copies without reading', async (t) => {
  const dir = await tempDir(t);
  if (!await countsBlocks(dir)) return t.skip('the temporary folder\'s file system is not one whose block count is trusted');
  const src = join(dir, 'holes.raw');
  await writeFile(src, '');
  await truncate(src, 1 << 30);
  assert.deepEqual(await statusOf(src), [{ offset: 0, length: 1 << 30, allocated: false, zero: true }]);
  const dev = await RawFileDevice.open(src, { readOnly: true });
  const dst = await RawFileDevice.create(join(dir, 'out.raw'), dev.capacity);
  const r = await copyDevice(dev, dst, { destinationIsZero: true });
  await dev.close();
  await dst.close();
  assert.deepEqual(r, { bytesRead: 0, bytesWritten: 0 });
});

test('a mostly-hole raw file reports its data where it is, at 64 KiB granules; copies are byte-exact', async (t) => {
  const dir = await tempDir(t);
  const trusted = await countsBlocks(dir);
  // Not a multiple of 4096 (nor of the 8 MiB scan reads): the tail is read another way than the rest.
  const size = (40 << 20) + 3 * 512 + 17;
  const src = join(dir, 'sparse.raw');
  await writeFile(src, '');
  await truncate(src, size);
  const next = xorshift32(9);
  const bytes = new Uint8Array(size);
  const fh = await open(src, 'r+');
  // Scattered pieces of data (some straddling a granule or a scan chunk), a run of written zeros,
  // one byte at the very end.
  const pieces = [[0, 1], [GRANULE - 3, 10], [(8 << 20) - 100, 200], [(17 << 20) + 4096, 3 * GRANULE], [size - 1, 1]];
  for (const [off, len] of pieces) {
    const data = new Uint8Array(len!).map(() => (next() % 255) + 1);
    bytes.set(data, off!);
    await fh.write(data, 0, len!, off!);
  }
  await fh.write(new Uint8Array(2 * GRANULE), 0, 2 * GRANULE, 30 << 20);
  await fh.close();

  const extents = await statusOf(src);
  assertHonest(extents, bytes);
  if (trusted) {
    // Data exactly in the granules that hold some; everything else reads as zeros.
    const dataGranules = new Set<number>();
    for (const [off, len] of pieces) for (let g = Math.floor(off! / GRANULE); g * GRANULE < off! + len!; g++) dataGranules.add(g);
    let dataBytes = 0;
    for (const e of extents) {
      if (e.zero) continue;
      dataBytes += e.length;
      for (let o = e.offset; o < e.offset + e.length; o += GRANULE) assert.ok(dataGranules.has(Math.floor(o / GRANULE)), `granule at ${o} is not data`);
    }
    const lastGranule = Math.floor((size - 1) / GRANULE);
    assert.equal(dataBytes, (dataGranules.size - 1) * GRANULE + (size - lastGranule * GRANULE));
    assert.ok(extents.every((e) => e.allocated), 'reading cannot tell written zeros from holes: zero runs stay allocated');
  }

  for (const out of ['out.raw', 'out2.raw']) {
    const dev = await RawFileDevice.open(src, { readOnly: true });
    const dst = await RawFileDevice.create(join(dir, out), dev.capacity);
    await copyDevice(dev, dst, { destinationIsZero: true });
    await dev.close();
    await dst.close();
    assert.ok((await readFile(join(dir, out))).equals(bytes), `${out} is the source, byte for byte`);
  }
});

test('block status follows writes made after open, and dense or small files are data throughout', async (t) => {
  const dir = await tempDir(t);
  const trusted = await countsBlocks(dir);
  const path = join(dir, 'grows.raw');
  const dev = await RawFileDevice.create(path, 16 << 20);
  if (trusted) assert.deepEqual(await dev.blockStatus(0, dev.capacity), [{ offset: 0, length: 16 << 20, allocated: false, zero: true }]);
  const data = new Uint8Array(4096).fill(7);
  await dev.write(5 << 20, data);
  const bytes = new Uint8Array(16 << 20);
  bytes.set(data, 5 << 20);
  const after = await dev.blockStatus(0, dev.capacity);
  assertHonest(after, bytes);
  assert.ok(after.some((e) => !e.zero && e.offset <= 5 << 20 && e.offset + e.length > 5 << 20), 'the write is data');
  await dev.close();

  // Dense: more than a quarter allocated, reported as data (the copy loop finds its zeros).
  const dense = join(dir, 'dense.raw');
  await writeFile(dense, new Uint8Array(1 << 20).fill(1));
  await truncate(dense, 2 << 20);
  assert.deepEqual(await statusOf(dense), [{ offset: 0, length: 2 << 20, allocated: true, zero: false }]);
  // Small files may keep their data in the inode, holding no block: never taken for holes.
  const small = join(dir, 'small.raw');
  await writeFile(small, new Uint8Array(60).fill(2));
  assert.deepEqual(await statusOf(small), [{ offset: 0, length: 60, allocated: true, zero: false }]);
});
