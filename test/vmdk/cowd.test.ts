import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  VIX_E_DISK_INVALIDDISK, VIX_E_DISK_NEEDSREPAIR, VIX_E_DISK_UNSUPPORTEDDISKVERSION, VIX_E_FILE_READ_ONLY, VIX_E_INVALID_ARG,
} from '../../src/errors/error-codes.js';
import { checkDisk } from '../../src/vmdk/check.js';
import { CowdExtent } from '../../src/vmdk/cowd-extent.js';
import { createChild, createDisk, nextSnapshotPath } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import {
  assertRefusedUnchanged, BASE_BYTE, COWD_FIXTURE, cowdFixtureBytes, cowdFixtureExpected, hashFiles, patchFile, SECTOR, u32, writeCowdFixture,
} from '../support/esx-fixtures.js';
import { assertDeviceContents, DataGenerator, ExpectedDisk } from '../interop/peers.js';
import { crashLoop } from '../support/crash-loop.js';
import { tempDir } from '../support/temp-dir.js';
import { rejectsWith } from '../support/rejects-with.js';

// vmfsSparse (COWD) redo logs: a hand-built ESXi-style log read through its chain, writes that
// allocate tables and grains in ESXi's order, chains of logs, and every header/table fault refused
// with the right VIX code without touching the files.

const MiB = 1 << 20;



test('a hand-built COWD redo log reads through to its flat base', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const snap = await writeCowdFixture(dir);
  const disk = await VmdkDisk.open(snap, { readOnly: true });
  try {
    assert.equal(disk.links.length, 2);
    assert.equal(disk.info().createType, 'vmfsSparse');
    assert.equal(disk.capacity, COWD_FIXTURE.sectors * SECTOR);
    await assertDeviceContents(disk, cowdFixtureExpected, 'COWD fixture');
    // The log alone: its three grains are data, the rest is absent (shows the parent).
    const runs = await disk.linkStatus(0, 0, disk.capacity);
    assert.deepEqual(runs.filter((r) => r.state === 'data'), [
      { offset: 10 * SECTOR, length: 2 * SECTOR, state: 'data' },
      { offset: 4095 * SECTOR, length: SECTOR, state: 'data' },
    ]);
  } finally {
    await disk.close();
  }
  const report = await checkDisk(snap);
  assert.deepEqual(report.problems, []);
  assert.ok(report.ok);
});

test('writes to a COWD log: table allocated on demand before its grains, freeSector after, unclean flag cleared on close', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const snap = await writeCowdFixture(dir);
  const log = join(dir, 'snap-delta.vmdk');
  const disk = await VmdkDisk.open(snap);
  const expected = new ExpectedDisk(disk.capacity);
  const base = new Uint8Array(disk.capacity);
  cowdFixtureExpected(0, base);
  expected.write(0, base);
  try {
    // Into the existing table: a rewrite of an allocated grain, and a new grain.
    const a = Buffer.alloc(SECTOR, 0x41);
    await disk.write(10 * SECTOR, a);
    expected.write(10 * SECTOR, a);
    const b = Buffer.alloc(100, 0x42); // part of sector 20: the rest is copied from the base
    await disk.write(20 * SECTOR + 50, b);
    expected.write(20 * SECTOR + 50, b);
    // Into table 1 (none yet): 3 sectors from sector 5000.
    const c = Buffer.alloc(3 * SECTOR, 0x43);
    await disk.write(5000 * SECTOR, c);
    expected.write(5000 * SECTOR, c);
    assert.equal((await readFile(log)).readUInt32LE(1648), 1, 'uncleanShutdown is set while the log is open for writing');
    await assertDeviceContents(disk, (o, buf) => expected.fill(o, buf), 'after writes');
  } finally {
    await disk.close();
  }
  const f = await readFile(log);
  assert.equal(f.readUInt32LE(1648), 0, 'uncleanShutdown cleared on close');
  // The file was 40 sectors: sector 20's grain went to 40, then table 1 at 41..72, its grains 73..75.
  assert.equal(f.readUInt32LE(5 * SECTOR + 20 * 4), 40);
  assert.equal(f.readUInt32LE(4 * SECTOR + 4), 41, 'GD[1] points to the new table');
  assert.equal(f.readUInt32LE(41 * SECTOR + (5000 - 4096) * 4), 73);
  assert.equal(f.readUInt32LE(41 * SECTOR + (5002 - 4096) * 4), 75);
  assert.equal(f.readUInt32LE(28), 76, 'freeSector follows the last grain');
  assert.equal(f.length, 76 * SECTOR);
  assert.equal(f[37 * SECTOR], 0x41, 'an allocated grain is rewritten in place');

  const again = await VmdkDisk.open(snap, { readOnly: true });
  try {
    await assertDeviceContents(again, (o, buf) => expected.fill(o, buf), 'reopened');
  } finally {
    await again.close();
  }
  assert.ok((await checkDisk(snap)).ok);
});

test('createChild makes ESXi-named vmfsSparse deltas; chains of logs over hosted sparse and flat bases', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const base = join(dir, 'vm.vmdk');
  await createDisk(base, { capacity: 6 * MiB + 3 * SECTOR, type: 'monolithicSparse' });
  const gen = new DataGenerator(7);
  const expected = new ExpectedDisk(6 * MiB + 3 * SECTOR);
  const d0 = await VmdkDisk.open(base);
  const w0 = gen.mixed(2 * MiB, 32 << 10);
  await d0.write(MiB, w0);
  expected.write(MiB, w0);
  await d0.close();
  // Three snapshots: grain sizes 1 (ESXi's), 8 and 1 again.
  let parent = base;
  const writes: Array<Array<[number, number]>> = [
    [[0, 4096], [MiB + 700, 5000], [6 * MiB, 3 * SECTOR]],
    [[MiB + 4000, 70000], [3 * MiB - 10, 20], [2 * MiB, MiB]],
    [[13, 1], [MiB + 4096, 4096], [5 * MiB, MiB + 3 * SECTOR]],
  ];
  for (let i = 0; i < 3; i++) {
    const child = await nextSnapshotPath(parent);
    assert.equal(child, join(dir, `vm-${String(i + 1).padStart(6, '0')}.vmdk`));
    await createChild(child, parent, { type: 'vmfsSparse', grainSizeSectors: i === 1 ? 8 : 1 });
    assert.ok((await stat(join(dir, `vm-${String(i + 1).padStart(6, '0')}-delta.vmdk`))).isFile());
    const d = await VmdkDisk.open(child);
    assert.equal(d.links.length, i + 2);
    for (const [off, len] of writes[i]!) {
      const n = Math.min(len, d.capacity - off);
      const data = gen.mixed(n, 4096);
      await d.write(off, data);
      expected.write(off, data);
    }
    await d.close();
    parent = child;
  }
  const top = await VmdkDisk.open(parent, { readOnly: true });
  try {
    assert.deepEqual(top.info().chain.map((l) => l.createType), ['vmfsSparse', 'vmfsSparse', 'vmfsSparse', 'monolithicSparse']);
    await assertDeviceContents(top, (o, b) => expected.fill(o, b), 'three COWD links over a hosted sparse base');
  } finally {
    await top.close();
  }
  const report = await checkDisk(parent);
  assert.deepEqual(report.problems, []);
});

test('zeroing over a parent writes zero grains into the log; zero() without a parent skips holes', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const snap = await writeCowdFixture(dir);
  const disk = await VmdkDisk.open(snap);
  try {
    await disk.zero(8 * SECTOR, 8 * SECTOR); // sectors 8..15: over base data and over grains 10, 11
    const buf = new Uint8Array(20 * SECTOR);
    await disk.read(0, buf);
    assert.ok(buf.subarray(0, 8 * SECTOR).every((b) => b === BASE_BYTE));
    assert.ok(buf.subarray(8 * SECTOR, 16 * SECTOR).every((b) => b === 0));
    assert.ok(buf.subarray(16 * SECTOR).every((b) => b === BASE_BYTE));
  } finally {
    await disk.close();
  }
  const single = await VmdkDisk.open(snap, { singleLink: true });
  try {
    const before = (await readFile(join(dir, 'snap-delta.vmdk'))).length;
    await single.zero(1000 * SECTOR, 2000 * SECTOR); // only holes here: nothing to write
    assert.equal((await readFile(join(dir, 'snap-delta.vmdk'))).length, before);
  } finally {
    await single.close();
  }
});

test('a stale freeSector (write interrupted before the header update) never lets new grains overwrite old ones', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const snap = await writeCowdFixture(dir);
  const log = join(dir, 'snap-delta.vmdk');
  // As if the grain at sector 39 had been written and linked but the header not yet updated.
  await patchFile(log, 28, u32(39));
  const disk = await VmdkDisk.open(snap);
  try {
    await disk.write(100 * SECTOR, Buffer.alloc(SECTOR, 0x77));
    await assertDeviceContents(disk, (o, b) => {
      cowdFixtureExpected(o, b);
      const s = Math.max(o, 100 * SECTOR);
      const e = Math.min(o + b.length, 101 * SECTOR);
      if (s < e) b.fill(0x77, s - o, e - o);
    }, 'after the write');
  } finally {
    await disk.close();
  }
  const f = await readFile(log);
  assert.equal(f.readUInt32LE(5 * SECTOR + 100 * 4), 40, 'allocated at the end of the file, not at the stale freeSector');
  assert.equal(f.readUInt32LE(28), 41);
});

test('read-only opens refuse writes; a COWD file opened without its descriptor is refused with a pointer to it', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const snap = await writeCowdFixture(dir);
  const ro = await VmdkDisk.open(snap, { readOnly: true });
  try {
    await rejectsWith(ro.write(0, Buffer.alloc(SECTOR)), VIX_E_FILE_READ_ONLY);
  } finally {
    await ro.close();
  }
  await rejectsWith(VmdkDisk.open(join(dir, 'snap-delta.vmdk')), VIX_E_DISK_INVALIDDISK, /descriptor/);
  await rejectsWith(createChild(join(dir, 'x.vmdk'), snap, { type: 'vmfsSparse', grainSizeSectors: 3 }), VIX_E_INVALID_ARG);
});

// ---- bad input ----------------------------------------------------------------------------------

interface BadCase {
  name: string;
  patch: Array<[number, Buffer]>;
  code: number;
  pattern: RegExp;
  /** The fault is in a grain table: opening works, reading the table fails. */
  onRead?: boolean;
  descriptorSectors?: number;
}

const BAD: BadCase[] = [
  { name: 'bad magic', patch: [[0, Buffer.from('CXWD')]], code: VIX_E_DISK_INVALIDDISK, pattern: /magic/ },
  { name: 'version 2', patch: [[4, u32(2)]], code: VIX_E_DISK_UNSUPPORTEDDISKVERSION, pattern: /version 2/ },
  { name: 'grain size 0', patch: [[16, u32(0)]], code: VIX_E_DISK_INVALIDDISK, pattern: /grain size 0/ },
  { name: 'grain size 4096 sectors', patch: [[16, u32(4096)]], code: VIX_E_DISK_INVALIDDISK, pattern: /grain size 4096/ },
  { name: 'capacity 0', patch: [[12, u32(0)]], code: VIX_E_DISK_INVALIDDISK, pattern: /capacity of 0/ },
  { name: 'capacity smaller than the descriptor says', patch: [[12, u32(4096)], [24, u32(1)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /smaller than/ },
  { name: 'too few directory entries', patch: [[24, u32(1)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /need 2/ },
  { name: '2^32-1 directory entries (16 GiB claimed) in a 20 KiB file', patch: [[24, u32(0xffffffff)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /does not fit/ },
  { name: 'capacity 2^32-1 sectors: a 4 MiB directory the file does not hold', patch: [[12, u32(0xffffffff)], [24, u32(0x100000)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /does not fit/, descriptorSectors: 8192 },
  { name: 'directory inside the header', patch: [[20, u32(2)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /does not fit/ },
  { name: 'directory past the end of the file', patch: [[20, u32(40)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /does not fit/ },
  { name: 'freeSector inside the directory', patch: [[28, u32(4)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /freeSector 4/ },
  { name: 'freeSector past the end of the file (truncated)', patch: [[28, u32(1000)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /truncated/ },
  { name: 'directory entry inside the header', patch: [[4 * 512, u32(1)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /entry 0 points to sector 1/ },
  { name: 'directory entry past the end of the file', patch: [[4 * 512 + 4, u32(0xfffffff0)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /entry 1 points/ },
  { name: 'table cut off by the end of the file', patch: [[4 * 512 + 4, u32(20)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /entry 1 points to sector 20/ },
  { name: 'two directory entries share a table', patch: [[4 * 512 + 4, u32(5)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /share/ },
  { name: 'grain past the end of the file', patch: [[5 * 512 + 12 * 4, u32(40)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain 12 points to sector 40, past the end/, onRead: true },
  { name: 'grain inside the grain directory', patch: [[5 * 512 + 12 * 4, u32(4)]], code: VIX_E_DISK_NEEDSREPAIR, pattern: /grain 12 points to sector 4, inside/, onRead: true },
];

for (const c of BAD) {
  test(`bad COWD input refused: ${c.name}`, { timeout: 10_000 }, async (t) => {
    const dir = await tempDir(t, 'vixdisk-cowd-');
    const bytes = cowdFixtureBytes();
    for (const [off, b] of c.patch) b.copy(bytes, off);
    const snap = await writeCowdFixture(dir, bytes, c.descriptorSectors);
    const files = [snap, join(dir, 'snap-delta.vmdk'), join(dir, 'base.vmdk'), join(dir, 'base-flat.vmdk')];
    const before = await assertRefusedUnchanged(snap, files, c, 64 * SECTOR);
    if (c.onRead) {
      // A write into the bad table is refused too, and the log and base stay as they were. (The
      // descriptor's CID is renewed before the first write reaches the extent, as VmdkDisk does.)
      const disk = await VmdkDisk.open(snap);
      try {
        await rejectsWith(disk.write(12 * SECTOR, Buffer.alloc(SECTOR, 1)), c.code, c.pattern);
      } finally {
        await disk.close();
      }
      assert.deepEqual((await hashFiles(files)).slice(1), before.slice(1), 'log and base unchanged by the refused write');
    }
    const report = await checkDisk(snap);
    assert.equal(report.ok, false);
    assert.equal(report.problems[0]!.code, c.code);
  });
}

test('checkDisk finds grains that overlap a table or each other, and warns about an unclean log', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const bytes = cowdFixtureBytes();
  bytes.writeUInt32LE(38, 5 * 512 + 10 * 4); // grains 10 and 11 both at sector 38
  bytes.writeUInt32LE(1, 1648); // uncleanShutdown
  const snap = await writeCowdFixture(dir, bytes);
  const report = await checkDisk(snap);
  assert.equal(report.ok, false);
  assert.match(report.problems.map((p) => p.message).join('\n'), /grain 11 .* overlaps grain 10/);
  assert.match(report.warnings.join('\n'), /unclean/);
  // Reading an unclean log works: the write order keeps it consistent.
  const disk = await VmdkDisk.open(snap, { readOnly: true });
  await disk.close();
});

test('CowdExtent.createFile lays out header, directory and freeSector as ESXi does', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const p = join(dir, 'x-delta.vmdk');
  await CowdExtent.createFile(p, 2 * 1024 * 1024 * 2 + 1, 1); // 2 GiB + 1 sector: 1025 directory entries
  const f = await readFile(p);
  assert.equal(f.toString('latin1', 0, 4), 'COWD');
  assert.equal(f.readUInt32LE(4), 1);
  assert.equal(f.readUInt32LE(8), 3);
  assert.equal(f.readUInt32LE(12), 4194305);
  assert.equal(f.readUInt32LE(16), 1);
  assert.equal(f.readUInt32LE(20), 4);
  assert.equal(f.readUInt32LE(24), 1025);
  assert.equal(f.readUInt32LE(28), 4 + 9, 'freeSector right after a 9-sector directory');
  assert.equal(f.length, 13 * SECTOR);
});

test('killing a writer leaves a consistent vmfsSparse log with every flushed write', async (t) => {
  const dir = await tempDir(t, 'vixdisk-cowd-');
  const capacity = 16 * MiB;
  const base = join(dir, 'base.vmdk');
  await createDisk(base, { capacity, type: 'monolithicFlat' });
  const expected = new Uint8Array(capacity);
  const b = await VmdkDisk.open(base);
  const pattern = new Uint8Array(capacity / 2).fill(0x5a);
  await b.write(capacity / 4, pattern);
  expected.set(pattern, capacity / 4);
  await b.close();
  const child = join(dir, 'base-000001.vmdk');
  await createChild(child, base, { type: 'vmfsSparse' });
  await crashLoop(t, child, expected, Number(process.env.VIXDISK_CRASH_ITERATIONS ?? 4), 7000);
});
