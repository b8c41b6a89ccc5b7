import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { allocatedAreas } from '../../src/host/cbt/allocated-areas.js';
import { MAX_AREAS_PER_PAGE, type ChangedAreas } from '../../src/host/cbt/change-tracker.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { createChild, createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import type { BlockDevice } from '../../src/block/block-device.js';
import { tempDir } from '../support/temp-dir.js';
import { xorshift32 } from '../support/xorshift.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function allPages(dev: BlockDevice): Promise<ChangedAreas[]> {
  const pages: ChangedAreas[] = [];
  let offset = 0;
  do {
    const page = await allocatedAreas(dev, offset);
    assert.equal(page.startOffset, offset);
    assert.ok(page.length > 0);
    assert.ok(page.changedArea.length <= MAX_AREAS_PER_PAGE);
    for (const a of page.changedArea) assert.ok(a.start >= offset && a.start + a.length <= offset + page.length);
    pages.push(page);
    offset += page.length;
  } while (offset < dev.capacity);
  return pages;
}

/** Every byte outside the reported areas reads as zero, through the device itself. */
async function assertRestOfDiskZero(dev: BlockDevice, pages: ChangedAreas[]): Promise<void> {
  const areas = pages.flatMap((p) => p.changedArea);
  let pos = 0;
  const gaps: Array<[number, number]> = [];
  for (const a of areas) {
    assert.ok(a.start >= pos, 'areas sorted and disjoint');
    if (a.start > pos) gaps.push([pos, a.start - pos]);
    pos = a.start + a.length;
  }
  if (pos < dev.capacity) gaps.push([pos, dev.capacity - pos]);
  for (const [off, len] of gaps) {
    for (let o = off; o < off + len; o += 4 * MiB) {
      const buf = Buffer.alloc(Math.min(4 * MiB, off + len - o));
      await dev.read(o, buf);
      assert.ok(buf.every((x) => x === 0), `bytes at ${o} are not zero but were not reported`);
    }
  }
}

test('`*` areas: a fresh sparse disk reports nothing; written grains are reported, holes are not', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.vmdk');
  await createDisk(path, { capacity: 64 * MiB, type: 'monolithicSparse' });
  const disk = await VmdkDisk.open(path);
  t.after(() => disk.close());
  assert.deepEqual(await allocatedAreas(disk, 0), { startOffset: 0, length: 64 * MiB, changedArea: [] });
  const next = xorshift32(7);
  for (let i = 0; i < 50; i++) {
    const len = 1 + (next() % (200 * KiB));
    const off = next() % (64 * MiB - len);
    await disk.write(off, Buffer.alloc(len, 1 + (i % 250)));
  }
  const pages = await allPages(disk);
  assert.ok(pages.flatMap((p) => p.changedArea).reduce((n, a) => n + a.length, 0) < 32 * MiB, 'holes are not reported');
  await assertRestOfDiskZero(disk, pages);
});

test('`*` areas of a child disk include what its parent holds', async (t) => {
  const dir = await tempDir(t);
  const base = join(dir, 'base.vmdk');
  await createDisk(base, { capacity: 16 * MiB, type: 'monolithicSparse' });
  const b = await VmdkDisk.open(base);
  await b.write(1 * MiB, Buffer.alloc(64 * KiB, 0x11));
  await b.close();
  const child = join(dir, 'base-000001.vmdk');
  await createChild(child, base, { type: 'seSparse' });
  const c = await VmdkDisk.open(child);
  t.after(() => c.close());
  await c.write(9 * MiB + 10, Buffer.alloc(100, 0x22));
  const page = await allocatedAreas(c, 0);
  assert.ok(page.changedArea.some((a) => a.start <= 1 * MiB && a.start + a.length >= 1 * MiB + 64 * KiB), 'the parent\'s data');
  assert.ok(page.changedArea.some((a) => a.start <= 9 * MiB + 10 && a.start + a.length >= 9 * MiB + 110), 'the child\'s data');
  await assertRestOfDiskZero(c, [page]);
});

test('`*` areas come in pages; a start inside the disk clips the first area; bad offsets are InvalidArgument', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'p.vmdk');
  await createDisk(path, { capacity: 512 * MiB, type: 'monolithicSparse' });
  const disk = await VmdkDisk.open(path);
  t.after(() => disk.close());
  const one = Buffer.alloc(512, 0xee);
  for (let i = 0; i < 3000; i++) await disk.write(i * 128 * KiB, one);
  const pages = await allPages(disk);
  assert.deepEqual(pages.map((p) => p.changedArea.length), [MAX_AREAS_PER_PAGE, 3000 - MAX_AREAS_PER_PAGE]);
  assert.deepEqual((await allocatedAreas(disk, 100)).changedArea[0], { start: 100, length: 64 * KiB - 100 });
  assert.deepEqual(await allocatedAreas(disk, 512 * MiB), { startOffset: 512 * MiB, length: 0, changedArea: [] });
  for (const off of [-1, 512 * MiB + 1, 1.5]) {
    await assert.rejects(allocatedAreas(disk, off), (e: unknown) => e instanceof SoapFault && e.faultType === 'InvalidArgument');
  }
});
