import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { VIX_E_DISK_CID_MISMATCH } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { createDiskDevice } from '../../src/vmdk/create.js';
import {
  assertAllocationMatchesQemu, assertDeviceContents, cidHex, DataGenerator, ExpectedDisk, makeTempDir, qemuInfo,
  removeTempDir, requirePeer, runOk,
} from './peers.js';

// Backing chains made by QEMU (qemu-img create -b ... -F vmdk), read through vixdisk: the chain
// resolves, reads fall through to the right link, and the CID check catches a changed parent.

const SECTOR = 512;
const GRAIN = 64 << 10;
const MiB = 1 << 20;

async function qemuWrite(path: string, cwd: string, writes: Array<[number, number, number]>): Promise<void> {
  const args = ['-f', 'vmdk'];
  for (const [off, len, val] of writes) args.push('-c', `write -P 0x${val.toString(16)} ${off} ${len}`);
  await runOk('qemu-io', [...args, path], { cwd });
}

/** The whole chain read through `top` equals `qemu-img convert -O raw` of it. */
async function assertSameAsQemu(dir: string, top: string, disk: VmdkDisk, what: string): Promise<void> {
  const rawPath = join(dir, `${what.replace(/\W+/g, '_')}.raw`);
  await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', top, rawPath], { cwd: dir });
  const raw = await RawFileDevice.open(rawPath, { readOnly: true });
  try {
    assert.equal(raw.capacity, disk.capacity);
    await assertDeviceContents(disk, (o, b) => raw.read(o, b), what);
  } finally {
    await raw.close();
  }
}

function errorCode(err: unknown): number | undefined {
  return err instanceof VixError ? err.code : undefined;
}

describe('qemu backing chains read through vixdisk', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('qemuchain');
  });
  after(() => removeTempDir(dir));

  test('base and child: writes before and after, reads through the child equal qemu-img convert', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 24 * MiB + 3 * SECTOR;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'base.vmdk', String(size)], { cwd: dir });
    const baseWrites: Array<[number, number, number]> = [
      [0, 4 * GRAIN, 0x10], [5 * MiB + 100, 3000, 0x11], [20 * MiB, MiB, 0x12], [size - SECTOR, SECTOR, 0x13],
    ];
    await qemuWrite('base.vmdk', dir, baseWrites);
    // A relative backing name: parentFileNameHint="base.vmdk".
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', 'child.vmdk'], { cwd: dir });
    const childWrites: Array<[number, number, number]> = [
      [GRAIN + 512, 1024, 0x20], // partial grain over base data: QEMU copies the rest from the base
      [2 * GRAIN, GRAIN, 0x21], // a whole grain over base data
      [10 * MiB - 700, 1400, 0x22], // across a grain boundary, over base holes
      [20 * MiB + MiB / 2, MiB, 0x23], // half over base data, half past it
    ];
    await qemuWrite('child.vmdk', dir, childWrites);

    const baseInfo = await qemuInfo(join(dir, 'base.vmdk'));
    const childInfo = await qemuInfo(join(dir, 'child.vmdk'));
    const disk = await VmdkDisk.open(join(dir, 'child.vmdk'), { readOnly: true });
    try {
      const info = disk.info();
      assert.equal(info.chain.length, 2, 'two links');
      assert.equal(info.parentFileNameHint, 'base.vmdk');
      assert.equal(info.createType, 'monolithicSparse');
      assert.equal(info.cid, cidHex(childInfo['format-specific']!.data.cid!));
      assert.equal(info.parentCid, cidHex(childInfo['format-specific']!.data['parent-cid']!));
      assert.equal(info.parentCid, cidHex(baseInfo['format-specific']!.data.cid!), "child's parentCID is the base's CID");
      assert.equal(info.chain[1]!.cid, info.parentCid);
      assert.equal(info.capacity, size);

      await assertSameAsQemu(dir, 'child.vmdk', disk, 'child');
      const model = new ExpectedDisk(size);
      for (const [o, l, v] of [...baseWrites, ...childWrites]) model.pattern(o, l, v);
      await assertDeviceContents(disk, model, 'child vs written pattern');

      // Allocation: the child holds what it wrote (whole grains), the chain what either link holds.
      const childGrains = new Set<number>();
      for (const [o, l] of childWrites) for (let g = Math.floor(o / GRAIN); g < Math.ceil((o + l) / GRAIN); g++) childGrains.add(g);
      const anyGrains = new Set(childGrains);
      for (const [o, l] of baseWrites) for (let g = Math.floor(o / GRAIN); g < Math.ceil((o + l) / GRAIN); g++) anyGrains.add(g);
      for (const r of await disk.linkStatus(0, 0, size)) {
        for (let g = r.offset / GRAIN; g < Math.ceil((r.offset + r.length) / GRAIN); g++) {
          assert.equal(r.state, childGrains.has(g) ? 'data' : 'absent', `child link, grain ${g}`);
        }
      }
      for (const e of await disk.blockStatus(0, size)) {
        for (let g = Math.floor(e.offset / GRAIN); g < Math.ceil((e.offset + e.length) / GRAIN); g++) {
          assert.equal(e.allocated, anyGrains.has(g), `chain, grain ${g}`);
        }
      }
    } finally {
      await disk.close();
    }

    // The child alone: what it holds, zeros elsewhere.
    const single = await VmdkDisk.open(join(dir, 'child.vmdk'), { readOnly: true, singleLink: true });
    try {
      const buf = Buffer.alloc(3 * GRAIN);
      await single.read(0, buf);
      assert.ok(buf.subarray(0, GRAIN).every((x) => x === 0), 'grain 0 is only in the base');
      assert.ok(buf.subarray(GRAIN + 512, GRAIN + 1536).every((x) => x === 0x20));
      assert.ok(buf.subarray(GRAIN, GRAIN + 512).every((x) => x === 0x10), 'QEMU copied the base into the child grain');
      assert.ok(buf.subarray(2 * GRAIN).every((x) => x === 0x21));
    } finally {
      await single.close();
    }
  });

  test('a chain of three (flat base, absolute backing path), read through the top', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 16 * MiB;
    const base = join(dir, 'c3-base.vmdk');
    const mid = join(dir, 'c3-mid.vmdk');
    const top = join(dir, 'c3-top.vmdk');
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat,adapter_type=lsilogic', base, String(size)]);
    await qemuWrite(base, dir, [[0, 8 * GRAIN, 0x31], [15 * MiB, MiB, 0x32]]);
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', base, '-F', 'vmdk', mid]);
    await qemuWrite(mid, dir, [[GRAIN, 2 * GRAIN, 0x41], [8 * MiB + 1, 10, 0x42]]);
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'c3-mid.vmdk', '-F', 'vmdk', top], { cwd: dir });
    await qemuWrite(top, dir, [[2 * GRAIN - 512, 1024, 0x51], [15 * MiB + GRAIN, GRAIN, 0x52]]);

    const disk = await VmdkDisk.open(top, { readOnly: true });
    try {
      const info = disk.info();
      assert.deepEqual(info.chain.map((l) => l.createType), ['monolithicSparse', 'monolithicSparse', 'monolithicFlat']);
      assert.equal(info.chain[0]!.parentCid, info.chain[1]!.cid);
      assert.equal(info.chain[1]!.parentCid, info.chain[2]!.cid);
      const chain = (await runOk('qemu-img', ['info', '--backing-chain', '--output', 'json', top])).stdout;
      const q = JSON.parse(chain) as Array<{ 'format-specific': { data: { cid: number } } }>;
      assert.deepEqual(info.chain.map((l) => l.cid), q.map((x) => cidHex(x['format-specific'].data.cid)), 'CIDs of the chain vs qemu-img');
      await assertSameAsQemu(dir, top, disk, 'chain of three');
    } finally {
      await disk.close();
    }
  });

  test('a zeroed_grain child: write -z hides the base, as in QEMU', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 8 * MiB;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'zb.vmdk', String(size)], { cwd: dir });
    await qemuWrite('zb.vmdk', dir, [[0, MiB, 0x71]]);
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'zeroed_grain=on', '-b', 'zb.vmdk', '-F', 'vmdk', 'zc.vmdk'],
      { cwd: dir });
    // Whole grains become zeroed GTEs; a partial one is written as zeros (copy-on-write).
    await runOk('qemu-io', ['-f', 'vmdk', '-c', `write -z ${GRAIN} ${2 * GRAIN}`, '-c', 'write -z 300000 1000', 'zc.vmdk'], { cwd: dir });
    const disk = await VmdkDisk.open(join(dir, 'zc.vmdk'), { readOnly: true });
    try {
      await assertSameAsQemu(dir, 'zc.vmdk', disk, 'zeroed_grain child');
      const model = new ExpectedDisk(size);
      model.pattern(0, MiB, 0x71);
      model.zero(GRAIN, 2 * GRAIN);
      model.zero(300000, 1000);
      await assertDeviceContents(disk, model, 'zeroed_grain child vs pattern');
      assert.deepEqual((await disk.linkStatus(0, GRAIN, 2 * GRAIN)).map((r) => r.state), ['zero']);
      await assertAllocationMatchesQemu(disk, join(dir, 'zc.vmdk'), 'zeroed_grain child');
      // A zeroed grain over base data is not "allocated data" but reads as zeros and hides the base.
      const st = await disk.blockStatus(GRAIN, 2 * GRAIN);
      assert.deepEqual(st, [{ offset: GRAIN, length: 2 * GRAIN, allocated: false, zero: true }]);
    } finally {
      await disk.close();
    }
  });

  test('a QEMU child over a vixdisk streamOptimized base, read through by both', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 6 * MiB + 3 * SECTOR;
    const gen = new DataGenerator(77);
    const model = new ExpectedDisk(size);
    const stream = await createDiskDevice(join(dir, 'sb.vmdk'), { capacity: size, type: 'streamOptimized', adapterType: 'lsilogic' });
    try {
      for (const [o, l] of [[GRAIN, 3 * GRAIN], [2 * MiB + 700, 5000], [size - 3 * SECTOR, 3 * SECTOR]] as const) {
        const data = gen.mixed(l, 4096);
        await stream.write(o, data);
        model.write(o, data);
      }
    } finally {
      await stream.close();
    }
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'sb.vmdk', '-F', 'vmdk', 'sc.vmdk'], { cwd: dir });
    const childWrites: Array<[number, number, number]> = [[70000, 100, 0x33], [5 * MiB, GRAIN, 0x34]];
    await qemuWrite('sc.vmdk', dir, childWrites);
    for (const [o, l, v] of childWrites) model.pattern(o, l, v);
    const disk = await VmdkDisk.open(join(dir, 'sc.vmdk'), { readOnly: true });
    try {
      assert.deepEqual(disk.info().chain.map((l) => l.createType), ['monolithicSparse', 'streamOptimized']);
      await assertSameAsQemu(dir, 'sc.vmdk', disk, 'child over a stream');
      await assertDeviceContents(disk, model, 'child over a stream vs pattern');
    } finally {
      await disk.close();
    }
  });

  test('after qemu-io writes to the base, opening the child fails with VIX_E_DISK_CID_MISMATCH', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'mm-base.vmdk', String(8 * MiB)], { cwd: dir });
    await qemuWrite('mm-base.vmdk', dir, [[0, GRAIN, 0x61]]);
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'mm-base.vmdk', '-F', 'vmdk', 'mm-child.vmdk'], { cwd: dir });
    const child = join(dir, 'mm-child.vmdk');
    // Before: opens fine.
    const ok = await VmdkDisk.open(child, { readOnly: true });
    await ok.close();

    const before = (await qemuInfo(join(dir, 'mm-base.vmdk')))['format-specific']!.data.cid!;
    await qemuWrite('mm-base.vmdk', dir, [[GRAIN, SECTOR, 0x62]]);
    const afterCid = (await qemuInfo(join(dir, 'mm-base.vmdk')))['format-specific']!.data.cid!;
    assert.notEqual(afterCid, before, 'QEMU changed the base CID on the write');

    await assert.rejects(VmdkDisk.open(child, { readOnly: true }), (err: unknown) => {
      assert.equal(errorCode(err), VIX_E_DISK_CID_MISMATCH, `expected VixError ${VIX_E_DISK_CID_MISMATCH}, got ${String(err)}`);
      return true;
    });
    await assert.rejects(VmdkDisk.open(child), (err: unknown) => errorCode(err) === VIX_E_DISK_CID_MISMATCH);
    // The child alone still opens: no parent, no check.
    const single = await VmdkDisk.open(child, { readOnly: true, singleLink: true });
    await single.close();
  });
});
