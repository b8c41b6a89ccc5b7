import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  VIX_E_DISK_FULL, VIX_E_DISK_INVALIDDISK, VIX_E_DISK_NEEDSREPAIR, VIX_E_DISK_UNSUPPORTEDDISKVERSION,
} from '../../src/errors/error-codes.js';
import { checkDisk } from '../../src/vmdk/check.js';
import { createChild, createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { seSparseAllocatedEntry, seSparseGrainIndex } from '../../src/vmdk/sesparse-extent.js';
import { seSparseLayout } from '../../src/vmdk/sesparse-header.js';
import {
  assertRefusedUnchanged, hashFiles, SECTOR, SESPARSE_FIXTURE, seSparseFixtureExpected, u64, writeSeSparseFixture,
} from '../support/esx-fixtures.js';
import { assertDeviceContents, DataGenerator, ExpectedDisk } from '../interop/peers.js';
import { crashLoop } from '../support/crash-loop.js';
import { tempDir } from '../support/temp-dir.js';
import { rejectsWith } from '../support/rejects-with.js';

// seSparse deltas: a hand-built extent with every grain entry type read through its chain, the
// bit-shuffled grain index, writes that allocate grains and tables, ESXi's layout for new deltas,
// and header, directory and table faults refused with the right VIX code, files untouched.

const MiB = 1 << 20;
const G = 4096;
const X = SESPARSE_FIXTURE;



test('grain index encoding: bits 48..59 are the low 12 bits of the index, bits 0..47 the rest', () => {
  for (const index of [0, 1, 2, 4095, 4096, 4097, 0x123456, 2 ** 34 - 1]) {
    const [lo, hi] = seSparseAllocatedEntry(index);
    assert.equal(hi >>> 28, 3);
    assert.equal(seSparseGrainIndex(lo, hi), index);
  }
  assert.deepEqual(seSparseAllocatedEntry(4097), [1, 0x30010000]); // 0x3001000000000001
  assert.deepEqual(seSparseAllocatedEntry(2), [0, 0x30020000]);
});

test('the layout of a new seSparse delta is the one ESXi logs for a 204800-sector disk', () => {
  const l = seSparseLayout(204800);
  assert.deepEqual(l.volatileHeader, { offsetSectors: 1, sizeSectors: 1 });
  assert.deepEqual(l.journalHeader, { offsetSectors: 2, sizeSectors: 2 });
  assert.deepEqual(l.journal, { offsetSectors: 2048, sizeSectors: 2048 });
  assert.deepEqual(l.grainDirectory, { offsetSectors: 4096, sizeSectors: 2048 });
  assert.deepEqual(l.grainTables, { offsetSectors: 6144, sizeSectors: 2048 });
  assert.deepEqual(l.freeBitmap, { offsetSectors: 8192, sizeSectors: 2048 });
  assert.deepEqual(l.backmap, { offsetSectors: 10240, sizeSectors: 2048 });
  assert.deepEqual(l.grains, { offsetSectors: 12288, sizeSectors: 204800 });
  // 2 TiB: 131072 tables -> 2048-sector directory, 8 Mi-sector tables region, 128 MiB... regions grow.
  const big = seSparseLayout(2 ** 32);
  assert.equal(big.grainDirectory.sizeSectors, 2048);
  assert.equal(big.grainTables.sizeSectors, 131072 * 64);
  assert.equal(big.freeBitmap.sizeSectors, 131072);
});

test('a hand-built seSparse delta reads every entry type: allocated, zero, unmapped (zeros), unallocated (parent)', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  const snap = await writeSeSparseFixture(dir);
  const disk = await VmdkDisk.open(snap, { readOnly: true });
  try {
    assert.equal(disk.info().createType, 'seSparse');
    assert.equal(disk.capacity, X.sectors * SECTOR);
    await assertDeviceContents(disk, seSparseFixtureExpected, 'seSparse fixture');
    const runs = await disk.linkStatus(0, 0, 6 * G);
    assert.deepEqual(runs, [
      { offset: 0, length: G, state: 'data' },
      { offset: G, length: 2 * G, state: 'zero' },
      { offset: 3 * G, length: G, state: 'absent' },
      { offset: 4 * G, length: G, state: 'data' },
      { offset: 5 * G, length: G, state: 'absent' },
    ]);
    const status = await disk.blockStatus(0, 6 * G);
    assert.deepEqual(status, [
      { offset: 0, length: G, allocated: true, zero: false },
      { offset: G, length: 2 * G, allocated: false, zero: true },
      { offset: 3 * G, length: 3 * G, allocated: true, zero: false },
    ]);
  } finally {
    await disk.close();
  }
  const report = await checkDisk(snap);
  assert.deepEqual(report.problems, []);
});

test('writes to a seSparse delta: grains appended, a new table takes the next free index, free_gt_number moved first', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  const snap = await writeSeSparseFixture(dir);
  const extent = join(dir, 'snap-sesparse.vmdk');
  const disk = await VmdkDisk.open(snap);
  const expected = new ExpectedDisk(disk.capacity);
  const initial = new Uint8Array(disk.capacity);
  seSparseFixtureExpected(0, initial);
  expected.write(0, initial);
  const w = async (off: number, data: Buffer) => {
    await disk.write(off, data);
    expected.write(off, data);
  };
  try {
    await w(100, Buffer.alloc(50, 0x50)); //             grain 0, allocated: in place
    await w(G + 10, Buffer.alloc(20, 0x51)); //          grain 1, zero grain: new grain of zeros + data
    await w(2 * G + 4000, Buffer.alloc(200, 0x52)); //   grains 2 (unmapped) and 3 (parent): two new grains
    await w(20 * MiB, Buffer.alloc(2 * G, 0x53)); //     table 1 of the directory: none yet
    await assertDeviceContents(disk, (o, b) => expected.fill(o, b), 'after writes');
  } finally {
    await disk.close();
  }
  const f = await readFile(extent);
  const volatileAt = X.volatileSector * SECTOR;
  assert.equal(f.readUInt32LE(volatileAt + 8), 3, 'free_gt_number: table 2 handed out');
  assert.equal(f.readUInt32LE(X.gdSector * SECTOR + 8), 2, 'GD[1] low half: table index 2');
  assert.equal(f.readUInt32LE(X.gdSector * SECTOR + 12), 0x10000000, 'GD[1] high half: allocated');
  // The file ended after grain index 4097: new grains are 4098, 4099, 4100, then 4101, 4102.
  const t1 = X.table1Sector * SECTOR;
  const entry = (at: number) => [f.readUInt32LE(at), f.readUInt32LE(at + 4)] as const;
  assert.equal(seSparseGrainIndex(...entry(t1 + 8)), 4098);
  assert.equal(seSparseGrainIndex(...entry(t1 + 16)), 4099);
  assert.equal(seSparseGrainIndex(...entry(t1 + 24)), 4100);
  const t2 = (X.gtRegionSector + 2 * 64) * SECTOR;
  const firstOfT2 = (20 * MiB) / G - 4096;
  assert.equal(seSparseGrainIndex(...entry(t2 + firstOfT2 * 8)), 4101);
  assert.equal(seSparseGrainIndex(...entry(t2 + (firstOfT2 + 1) * 8)), 4102);
  assert.equal(f.length, (X.grainsSector + 4103 * 8) * SECTOR);
  const again = await VmdkDisk.open(snap, { readOnly: true });
  try {
    await assertDeviceContents(again, (o, b) => expected.fill(o, b), 'reopened');
  } finally {
    await again.close();
  }
  assert.deepEqual((await checkDisk(snap)).problems, []);
});

test('the grains region grows past its nominal size (space left by interrupted writes is not reclaimed)', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  // A nominal region of 4098 grains, all taken (the file ends after index 4097).
  const snap = await writeSeSparseFixture(dir, (m) => u64(0, 4098 * 8).copy(m, 200), false);
  const disk = await VmdkDisk.open(snap);
  try {
    await disk.write(3 * G, Buffer.alloc(G, 0x71));
    const buf = new Uint8Array(G);
    await disk.read(3 * G, buf);
    assert.ok(buf.every((b) => b === 0x71));
  } finally {
    await disk.close();
  }
  const f = await readFile(join(dir, 'snap-sesparse.vmdk'));
  assert.equal(seSparseGrainIndex(f.readUInt32LE(X.table1Sector * SECTOR + 24), f.readUInt32LE(X.table1Sector * SECTOR + 28)), 4098);
  assert.deepEqual((await checkDisk(snap)).problems, []);
});

test('no room before a region placed after the grains: the write is refused (disk full), the extent untouched', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  // Grains region of 4098 grains, all taken, and the backmap moved right after it.
  const snap = await writeSeSparseFixture(dir, (m) => {
    u64(0, 4098 * 8).copy(m, 200);
    u64(0, X.grainsSector + 4098 * 8).copy(m, 176);
  }, false);
  const extent = join(dir, 'snap-sesparse.vmdk');
  const before = await hashFiles([extent]);
  const disk = await VmdkDisk.open(snap);
  try {
    await rejectsWith(disk.write(3 * G, Buffer.alloc(G, 0x71)), VIX_E_DISK_FULL, /no room for another grain/);
  } finally {
    await disk.close();
  }
  assert.deepEqual(await hashFiles([extent]), before);
});

test('a table linked past free_gt_number (interrupted writer) is never handed out again', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  // free_gt_number 0 although table 1 is in use.
  const snap = await writeSeSparseFixture(dir, (m) => u64(0, 0).copy(m, X.volatileSector * SECTOR + 8), false);
  const report = await checkDisk(snap);
  assert.match(report.warnings.join('\n'), /free_gt_number is 0/);
  const disk = await VmdkDisk.open(snap);
  try {
    await disk.write(17 * MiB, Buffer.alloc(G, 0x61));
  } finally {
    await disk.close();
  }
  const f = await readFile(join(dir, 'snap-sesparse.vmdk'));
  assert.equal(f.readUInt32LE(X.gdSector * SECTOR + 8), 2, 'the new table is index 2, past table 1 in use');
  assert.equal(f.readUInt32LE(X.volatileSector * SECTOR + 8), 3);
});

test('zeroing: whole grains over the parent become zero grains, stored grains are overwritten, pieces written', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  const snap = await writeSeSparseFixture(dir);
  const before = (await stat(join(dir, 'snap-sesparse.vmdk'))).size;
  const disk = await VmdkDisk.open(snap);
  try {
    await disk.zero(3 * G, G); // grain 3: parent -> zero grain, no data
    await disk.zero(5 * G, 10 * G); // grains 5..14: zero grains
    assert.equal((await stat(join(dir, 'snap-sesparse.vmdk'))).size, before, 'no grain written');
    await disk.zero(0, 100); // piece of allocated grain 0: in place
    await disk.zero(16 * G + 8, 8); // piece of grain 16 over the parent: a new grain
    const buf = new Uint8Array(17 * G);
    await disk.read(0, buf);
    const expect = new Uint8Array(17 * G);
    seSparseFixtureExpected(0, expect);
    expect.fill(0, 0, 100);
    expect.fill(0, 3 * G, 4 * G);
    expect.fill(0, 5 * G, 15 * G);
    expect.fill(0, 16 * G + 8, 16 * G + 16);
    assert.deepEqual(Buffer.from(buf), Buffer.from(expect));
    const runs = await disk.linkStatus(0, 3 * G, 13 * G);
    assert.deepEqual(runs, [
      { offset: 3 * G, length: G, state: 'zero' },
      { offset: 4 * G, length: G, state: 'data' },
      { offset: 5 * G, length: 10 * G, state: 'zero' },
      { offset: 15 * G, length: G, state: 'absent' },
    ]);
  } finally {
    await disk.close();
  }
});

test('createChild makes an ESXi-named seSparse delta; chain flat -> vmfsSparse -> seSparse -> monolithicSparse', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  const base = join(dir, 'vm.vmdk');
  const size = 40 * MiB + 5 * SECTOR;
  await createDisk(base, { capacity: size, type: 'vmfs' });
  const gen = new DataGenerator(11);
  const expected = new ExpectedDisk(size);
  const write = async (path: string, writes: Array<[number, number]>) => {
    const d = await VmdkDisk.open(path);
    for (const [off, len] of writes) {
      const data = gen.mixed(Math.min(len, size - off), 4096);
      await d.write(off, data);
      expected.write(off, data);
    }
    await d.close();
  };
  await write(base, [[0, 3 * MiB], [39 * MiB, MiB + 5 * SECTOR]]);
  await createChild(join(dir, 'vm-000001.vmdk'), base, { type: 'vmfsSparse' });
  await write(join(dir, 'vm-000001.vmdk'), [[MiB - 100, 300], [10 * MiB, 2 * MiB]]);
  await createChild(join(dir, 'vm-000002.vmdk'), join(dir, 'vm-000001.vmdk'), { type: 'seSparse' });
  const sesparse = join(dir, 'vm-000002-sesparse.vmdk');
  const layout = seSparseLayout(size / SECTOR);
  assert.equal((await stat(sesparse)).size, layout.grains.offsetSectors * SECTOR, 'a new delta ends where its grains begin');
  await write(join(dir, 'vm-000002.vmdk'), [[5, 10], [11 * MiB + 7, 3 * MiB], [16 * MiB - G, 2 * G], [size - 3 * SECTOR, 3 * SECTOR]]);
  await createChild(join(dir, 'top.vmdk'), join(dir, 'vm-000002.vmdk'));
  await write(join(dir, 'top.vmdk'), [[12 * MiB, 64 * 1024]]);
  const disk = await VmdkDisk.open(join(dir, 'top.vmdk'), { readOnly: true });
  try {
    assert.deepEqual(disk.info().chain.map((l) => l.createType), ['monolithicSparse', 'seSparse', 'vmfsSparse', 'vmfs']);
    await assertDeviceContents(disk, (o, b) => expected.fill(o, b), 'mixed chain');
  } finally {
    await disk.close();
  }
  const report = await checkDisk(join(dir, 'top.vmdk'));
  assert.deepEqual(report.problems, []);
  const desc = await readFile(join(dir, 'vm-000002.vmdk'), 'utf8');
  assert.match(desc, /createType="seSparse"/);
  assert.match(desc, /RW 81925 SESPARSE "vm-000002-sesparse.vmdk"/);
  assert.match(desc, /ddb.grain = "8"/);
});

// ---- bad input ----------------------------------------------------------------------------------

interface BadCase {
  name: string;
  patch: (m: Buffer) => void;
  code: number;
  pattern: RegExp;
  onRead?: boolean;
}

const at = (off: number, b: Buffer) => (m: Buffer) => { b.copy(m, off); };
const GD = X.gdSector * SECTOR;
const T1 = X.table1Sector * SECTOR;
const VOL = X.volatileSector * SECTOR;

const BAD: BadCase[] = [
  { name: 'bad magic', patch: at(0, u64(0, 0xcafebabf)), code: VIX_E_DISK_INVALIDDISK, pattern: /magic/ },
  { name: 'version 2.2', patch: at(8, u64(2, 2)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /version 2\.2/ },
  { name: 'grain size 16', patch: at(24, u64(0, 16)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /grain size 16/ },
  { name: 'grain table size 32', patch: at(32, u64(0, 32)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /grain table size 32/ },
  { name: 'unknown flags', patch: at(40, u64(0, 1)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /flags/ },
  { name: 'reserved field set', patch: at(64, u64(0, 1)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /reserved/ },
  { name: 'header padding set', patch: at(300, u64(0, 1)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /padding/ },
  { name: 'capacity 2^40 sectors (512 TiB)', patch: at(16, u64(0x100, 0)), code: VIX_E_DISK_INVALIDDISK, pattern: /capacity/ },
  { name: 'capacity 2^64-1', patch: at(16, u64(0xffffffff, 0xffffffff)), code: VIX_E_DISK_INVALIDDISK, pattern: /capacity 18446744073709551615/ },
  { name: 'region offset past 2^53', patch: at(176, u64(0xffffffff, 0)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /backmap offset .* out of range/ },
  { name: 'capacity 0', patch: at(16, u64(0, 0)), code: VIX_E_DISK_INVALIDDISK, pattern: /capacity 0/ },
  { name: 'capacity smaller than the descriptor says', patch: at(16, u64(0, 8192)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /smaller than/ },
  { name: 'grain tables region overlaps the directory', patch: at(144, u64(0, 8)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /overlaps/ },
  { name: 'empty grain directory region', patch: at(136, u64(0, 0)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain directory region is empty/ },
  { name: 'directory region past the end of the file', patch: at(128, u64(0, 0x7fffffff)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /past the end/ },
  { name: 'volatile header bad magic', patch: at(VOL, u64(0, 0xcafebabe)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /volatile header is damaged/ },
  { name: 'dirty journal', patch: at(VOL + 24, u64(0, 1)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /journal must be replayed/ },
  { name: 'volatile padding set', patch: at(VOL + 100, u64(0, 1)), code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /padding/ },
  { name: 'free_gt_number past the region', patch: at(VOL + 8, u64(0, 4)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /free grain table number 4/ },
  { name: 'directory entry of type 2', patch: at(GD, u64(0x20000000, 1)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /entry 0 .* neither/ },
  { name: 'directory entry with high bits', patch: at(GD, u64(0x10000001, 1)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /entry 0/ },
  { name: 'directory entry past the tables region', patch: at(GD, u64(0x10000000, 3)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /table 3, past/ },
  { name: 'two directory entries share a table', patch: at(GD + 8, u64(0x10000000, 1)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /share/ },
  { name: 'table entry of type 5', patch: at(T1 + 5 * 8, u64(0x50000000, 0)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain 5: .* unknown type 5/, onRead: true },
  { name: 'unallocated entry with bits set', patch: at(T1 + 5 * 8, u64(0, 7)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain 5: unallocated entry/, onRead: true },
  { name: 'grain index far past the end of the file', patch: at(T1 + 5 * 8, u64(0x3000ffff, 0xffffffff)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain 5 maps grain index .*, past the end of the file/, onRead: true },
  { name: 'grain index past the end of the file', patch: at(T1 + 5 * 8, u64(0x30100000, 1)), code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain 5 maps grain index 4112, past the end of the file/, onRead: true },
];

for (const c of BAD) {
  test(`bad seSparse input refused: ${c.name}`, { timeout: 10_000 }, async (t) => {
    const dir = await tempDir(t, 'vixdisk-sesparse-');
    const snap = await writeSeSparseFixture(dir, c.patch, false);
    const files = [snap, join(dir, 'snap-sesparse.vmdk'), join(dir, 'base.vmdk')];
    await assertRefusedUnchanged(snap, files, c, 8 * G);
    const report = await checkDisk(snap);
    assert.equal(report.ok, false);
    assert.equal(report.problems[0]!.code, c.code);
  });
}

test('checkDisk finds two grains mapped to one grain index', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  const snap = await writeSeSparseFixture(dir, at(T1 + 6 * 8, u64(0x30020000, 0)), false); // grain 6 -> index 2, like grain 0
  const report = await checkDisk(snap);
  assert.equal(report.ok, false);
  assert.match(report.problems[0]!.message, /grain 6 maps grain index 2, which another grain maps too/);
  // Both read the same bytes, as QEMU would.
  const disk = await VmdkDisk.open(snap, { readOnly: true });
  try {
    const buf = new Uint8Array(G);
    await disk.read(6 * G, buf);
    assert.ok(buf.every((b) => b === 0xc2));
    await disk.read(3 * G, buf);
    assert.ok(buf.every((b) => b === 0), 'unfilled base');
  } finally {
    await disk.close();
  }
});

test('killing a writer leaves a consistent seSparse delta with every flushed write', async (t) => {
  const dir = await tempDir(t, 'vixdisk-sesparse-');
  const capacity = 24 * MiB; // two grain tables
  const base = join(dir, 'base.vmdk');
  await createDisk(base, { capacity });
  const expected = new Uint8Array(capacity);
  const b = await VmdkDisk.open(base);
  const pattern = new Uint8Array(capacity / 2).fill(0x5a);
  await b.write(capacity / 4, pattern);
  expected.set(pattern, capacity / 4);
  await b.close();
  const child = join(dir, 'base-000001.vmdk');
  await createChild(child, base, { type: 'seSparse' });
  await crashLoop(t, child, expected, Number(process.env.VIXDISK_CRASH_ITERATIONS ?? 4), 9000);
});
