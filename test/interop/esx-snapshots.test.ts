import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createChild, createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import {
  COWD_FIXTURE, cowdFixtureExpected, SECTOR, SESPARSE_FIXTURE, seSparseFixtureExpected, writeCowdFixture, writeSeSparseFixture,
} from '../support/esx-fixtures.js';
import {
  assertDeviceContents, cidHex, DataGenerator, ExpectedDisk, makeTempDir, qemuChainInfo, removeTempDir, requirePeer, run, runOk,
} from './peers.js';

// ESXi snapshot deltas (vmfsSparse and seSparse) against QEMU, which opens both through their
// descriptors (seSparse read-only): chains vixdisk writes read the same through qemu-img and
// qemu-io; hand-built fixtures read the same through QEMU and vixdisk (so our reading of the
// entry types and the bit-shuffled grain index is QEMU's); QEMU writes into a vixdisk redo log and
// vixdisk carries on after it; libvmdk's vmdkinfo recognises a vixdisk vmfsSparse delta.

const MiB = 1 << 20;

/** Write `expected` (all of it) as a raw image for qemu-img compare. */
async function writeRaw(path: string, expected: ExpectedDisk): Promise<void> {
  const buf = new Uint8Array(expected.capacity);
  expected.fill(0, buf);
  await writeFile(path, buf);
}

/** qemu-img compare says the VMDK (through its chain) and the raw image are identical. */
async function qemuSame(dir: string, vmdk: string, raw: string): Promise<void> {
  const r = await runOk('qemu-img', ['compare', '-f', 'vmdk', '-F', 'raw', vmdk, raw], { cwd: dir });
  assert.match(r.stdout, /Images are identical/);
}

/** qemu-io reads `pattern` over each range (read-only open, as QEMU must for seSparse). */
async function qemuReadPatterns(dir: string, vmdk: string, ranges: Array<[number, number, number]>): Promise<void> {
  const args = ['-r', '-f', 'vmdk'];
  for (const [off, len, val] of ranges) args.push('-c', `read -P 0x${val.toString(16)} ${off} ${len}`);
  const r = await runOk('qemu-io', [...args, vmdk], { cwd: dir });
  assert.doesNotMatch(r.stdout + r.stderr, /Pattern verification failed|error/i);
}

describe('ESXi snapshot deltas through QEMU', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('esx');
  });
  after(() => removeTempDir(dir));

  test('a chain vixdisk writes (flat -> vmfsSparse -> seSparse -> monolithicSparse) reads the same through QEMU, link by link', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const d = join(dir, 'chain');
    await mkdir(d);
    const size = 20 * MiB + 5 * SECTOR; // two seSparse tables, a partial last grain
    const gen = new DataGenerator(3);
    const stages: Array<Array<[number, Uint8Array]>> = [];
    const writeStage = async (path: string, writes: Array<[number, number, number?]>) => {
      const disk = await VmdkDisk.open(path);
      const done: Array<[number, Uint8Array]> = [];
      for (const [off, len, pattern] of writes) {
        const n = Math.min(len, size - off);
        const data = pattern === undefined ? gen.mixed(n, 4096) : Buffer.alloc(n, pattern);
        await disk.write(off, data);
        done.push([off, data]);
      }
      await disk.close();
      stages.push(done);
    };
    const expectedAt = (stage: number) => {
      const e = new ExpectedDisk(size);
      for (let i = 0; i <= stage; i++) for (const [off, data] of stages[i]!) e.write(off, data);
      return e;
    };
    const base = join(d, 'vm.vmdk');
    await createDisk(base, { capacity: size, type: 'vmfs' });
    await writeStage(base, [[0, 2 * MiB], [19 * MiB, MiB + 5 * SECTOR]]);
    await createChild(join(d, 'vm-000001.vmdk'), base, { type: 'vmfsSparse' });
    await writeStage(join(d, 'vm-000001.vmdk'), [[MiB - 700, 1400, 0x31], [3 * MiB + 3, 2 * MiB], [19 * MiB + MiB / 2, 4096, 0x32]]);
    await createChild(join(d, 'vm-000002.vmdk'), join(d, 'vm-000001.vmdk'), { type: 'seSparse' });
    await writeStage(join(d, 'vm-000002.vmdk'), [
      [100, 1000, 0x41], [MiB + 4096, 8192], [16 * MiB - 10, 20, 0x42], [17 * MiB, 3 * MiB], [size - 3 * SECTOR, 3 * SECTOR, 0x43],
    ]);
    {
      // A zero range in the seSparse link: zero grains over parent data.
      const disk = await VmdkDisk.open(join(d, 'vm-000002.vmdk'));
      await disk.zero(3 * MiB, 64 * 1024);
      await disk.close();
      stages[2]!.push([3 * MiB, new Uint8Array(64 * 1024)]);
    }
    await createChild(join(d, 'top.vmdk'), join(d, 'vm-000002.vmdk'));
    await writeStage(join(d, 'top.vmdk'), [[5 * MiB, 128 * 1024, 0x51]]);

    const links = ['vm.vmdk', 'vm-000001.vmdk', 'vm-000002.vmdk', 'top.vmdk'];
    for (let i = 0; i < links.length; i++) {
      const raw = join(d, `expected-${i}.raw`);
      await writeRaw(raw, expectedAt(i));
      await qemuSame(d, links[i]!, raw);
    }
    await qemuReadPatterns(d, 'vm-000002.vmdk', [[100, 1000, 0x41], [16 * MiB - 10, 20, 0x42], [size - 3 * SECTOR, 3 * SECTOR, 0x43],
      [MiB - 700, 1400, 0x31], [3 * MiB, 64 * 1024, 0]]);
    const info = await qemuChainInfo(join(d, 'top.vmdk'));
    assert.deepEqual(info.map((l) => l['format-specific']?.data['create-type']), ['monolithicSparse', 'seSparse', 'vmfsSparse', 'vmfs']);
    assert.deepEqual(info.map((l) => l['virtual-size']), [size, size, size, size]);
    const ours = await VmdkDisk.open(join(d, 'top.vmdk'), { readOnly: true });
    try {
      assert.deepEqual(ours.info().chain.map((l) => l.cid), info.map((l) => cidHex(l['format-specific']!.data.cid!)));
    } finally {
      await ours.close();
    }
  });

  test('QEMU-made sparse bases under vixdisk vmfsSparse (grain 1 and 128) and seSparse deltas', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const d = join(dir, 'qemubase');
    await mkdir(d);
    const size = 18 * MiB;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'base.vmdk', String(size)], { cwd: d });
    await runOk('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x10 0 1M', '-c', 'write -P 0x11 17M 1M', 'base.vmdk'], { cwd: d });
    const expected = new ExpectedDisk(size);
    expected.pattern(0, MiB, 0x10);
    expected.pattern(17 * MiB, MiB, 0x11);
    await createChild(join(d, 'base-000001.vmdk'), join(d, 'base.vmdk'), { type: 'vmfsSparse', grainSizeSectors: 128 });
    let disk = await VmdkDisk.open(join(d, 'base-000001.vmdk'));
    await disk.write(4096 + 100, Buffer.alloc(300, 0x20)); // partial grain of 64 KiB: copy-on-write from QEMU's base
    await disk.write(17 * MiB + MiB / 2, Buffer.alloc(MiB / 2, 0x21));
    await disk.close();
    expected.pattern(4096 + 100, 300, 0x20);
    expected.pattern(17 * MiB + MiB / 2, MiB / 2, 0x21);
    await createChild(join(d, 'base-000002.vmdk'), join(d, 'base-000001.vmdk'), { type: 'vmfsSparse' });
    disk = await VmdkDisk.open(join(d, 'base-000002.vmdk'));
    await disk.write(4096 + 300, Buffer.alloc(3000, 0x30));
    await disk.close();
    expected.pattern(4096 + 300, 3000, 0x30);
    await createChild(join(d, 'base-000003.vmdk'), join(d, 'base-000002.vmdk'), { type: 'seSparse' });
    disk = await VmdkDisk.open(join(d, 'base-000003.vmdk'));
    await disk.write(4000, Buffer.alloc(200, 0x40)); // across two 4 KiB grains, over both logs and the base
    await disk.close();
    expected.pattern(4000, 200, 0x40);
    await writeRaw(join(d, 'expected.raw'), expected);
    await qemuSame(d, 'base-000003.vmdk', 'expected.raw');
    await qemuReadPatterns(d, 'base-000003.vmdk', [[0, 4000, 0x10], [4000, 200, 0x40], [4200, 196, 0x20], [4396, 3000, 0x30], [7396, 100, 0x10], [17 * MiB, MiB / 2, 0x11]]);
  });

  test('hand-built ESXi-style COWD and seSparse fixtures read the same through QEMU and vixdisk', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    for (const kind of ['cowd', 'sesparse'] as const) {
      const d = join(dir, `fixture-${kind}`);
      await mkdir(d);
      const snap = kind === 'cowd' ? await writeCowdFixture(d) : await writeSeSparseFixture(d);
      const sectors = kind === 'cowd' ? COWD_FIXTURE.sectors : SESPARSE_FIXTURE.sectors;
      const fill = kind === 'cowd' ? cowdFixtureExpected : seSparseFixtureExpected;
      const want = new Uint8Array(sectors * SECTOR);
      fill(0, want);
      await writeFile(join(d, 'expected.raw'), want);
      await qemuSame(d, snap, 'expected.raw');
      const disk = await VmdkDisk.open(snap, { readOnly: true });
      try {
        await assertDeviceContents(disk, fill, `${kind} fixture through vixdisk`);
      } finally {
        await disk.close();
      }
    }
    // The seSparse entry types, one by one through qemu-io: allocated, zero, unmapped (zeros,
    // not the stale 0xc0 grain it names), parent, allocated with a grain index past 4095.
    await qemuReadPatterns(join(dir, 'fixture-sesparse'), 'snap.vmdk',
      [[0, 4096, 0xc2], [4096, 4096, 0], [8192, 4096, 0], [12288, 4096, 0xbb], [16384, 4096, 0xc4]]);
  });

  test('QEMU writes into a vixdisk redo log; vixdisk reads its grains and allocates after them', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const d = join(dir, 'qemuwrites');
    await mkdir(d);
    const size = 8 * MiB;
    await createDisk(join(d, 'base.vmdk'), { capacity: size, type: 'monolithicFlat' });
    const expected = new ExpectedDisk(size);
    let disk = await VmdkDisk.open(join(d, 'base.vmdk'));
    await disk.write(0, Buffer.alloc(size, 0x0b));
    await disk.close();
    expected.pattern(0, size, 0x0b);
    await createChild(join(d, 'base-000001.vmdk'), join(d, 'base.vmdk'), { type: 'vmfsSparse' });
    disk = await VmdkDisk.open(join(d, 'base-000001.vmdk'));
    await disk.write(0, Buffer.alloc(4096, 0x1a)); // allocates grain table 0 (the first 2 MiB)
    await disk.close();
    expected.pattern(0, 4096, 0x1a);
    // QEMU can allocate grains only in tables that exist: write inside table 0. It appends the
    // grains at the end of the file and leaves freeSector as it was.
    await runOk('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x2a 65536 8192', '-c', 'write -P 0x2b 1024 512', 'base-000001.vmdk'], { cwd: d });
    expected.pattern(65536, 8192, 0x2a);
    expected.pattern(1024, 512, 0x2b);
    const log = await readFile(join(d, 'base-000001-delta.vmdk'));
    assert.ok(log.readUInt32LE(28) * SECTOR < log.length, 'QEMU left freeSector behind its grains');
    disk = await VmdkDisk.open(join(d, 'base-000001.vmdk'));
    try {
      await assertDeviceContents(disk, (o, b) => expected.fill(o, b), 'after QEMU wrote');
      await disk.write(70000, Buffer.alloc(10000, 0x3a)); // in table 0, next to QEMU's grains
      await disk.write(5 * MiB, Buffer.alloc(4096, 0x3b)); // a new table
      expected.pattern(70000, 10000, 0x3a);
      expected.pattern(5 * MiB, 4096, 0x3b);
      await assertDeviceContents(disk, (o, b) => expected.fill(o, b), 'after vixdisk wrote on');
    } finally {
      await disk.close();
    }
    await writeRaw(join(d, 'expected.raw'), expected);
    await qemuSame(d, 'base-000001.vmdk', 'expected.raw');
    // QEMU renewed the CID in the descriptor it rewrote, and vixdisk renewed it again: the chain
    // info QEMU gives matches ours.
    const chain = await qemuChainInfo(join(d, 'base-000001.vmdk'));
    const ours = await VmdkDisk.open(join(d, 'base-000001.vmdk'), { readOnly: true });
    try {
      assert.equal(ours.info().cid, cidHex(chain[0]!['format-specific']!.data.cid!));
      assert.equal(ours.info().parentCid, cidHex(chain[1]!['format-specific']!.data.cid!));
    } finally {
      await ours.close();
    }
  });

  test('libvmdk recognises a vixdisk vmfsSparse delta', async (t) => {
    if (!await requirePeer(t, 'vmdkinfo')) return;
    const d = join(dir, 'libvmdk');
    await mkdir(d);
    await createDisk(join(d, 'vm.vmdk'), { capacity: 4 * MiB, type: 'vmfs' });
    await createChild(join(d, 'vm-000001.vmdk'), join(d, 'vm.vmdk'), { type: 'vmfsSparse' });
    const ours = await VmdkDisk.open(join(d, 'vm-000001.vmdk'), { readOnly: true });
    const info = ours.info();
    await ours.close();
    const r = await run('vmdkinfo', ['vm-000001.vmdk'], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Disk type:\s+VMFS sparse/);
    assert.match(r.stdout, /Media size:.*\(4194304 bytes\)/);
    assert.match(r.stdout, new RegExp(`Content identifier:\\s+0x${info.cid}`));
    assert.match(r.stdout, new RegExp(`Parent content identifier:\\s+0x${info.parentCid}`));
    assert.match(r.stdout, /Filename:\s+vm-000001-delta\.vmdk/);
  });
});
