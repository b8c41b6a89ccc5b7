import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { VIX_E_DISK_CID_MISMATCH } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { createChild, createDisk, createDiskDevice } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import {
  applyOps, assertAllocationMatchesQemu, assertDeviceContents, assertDeviceRegions, assertSpotReads, ExpectedDisk, makeTempDir, planOps,
  rawTwin, removeTempDir, requirePeer, run, runOk, type Op,
} from './peers.js';

// One writer after the other on the same files: vixdisk writes into disks QEMU made (its layout, its
// 2 GiB split, zeroed grains, its children), and QEMU writes into disks vixdisk made. Each side must
// find the other's allocations and leave files the other accepts.

const SECTOR = 512;
const GRAIN = 64 << 10;
const MiB = 1 << 20;
const GiB = 1 << 30;

async function assertQemuCheck(path: string): Promise<void> {
  const r = await run('qemu-img', ['check', '-f', 'vmdk', path]);
  assert.equal(r.code, 0, `qemu-img check ${path}: exit ${r.code}\n${r.stdout}${r.stderr}`);
}

async function assertQemuCompare(rawPath: string, path: string, what: string): Promise<void> {
  const r = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', rawPath, path]);
  assert.equal(r.code, 0, `${what}: qemu-img compare exit ${r.code}\n${r.stdout}${r.stderr}`);
}

/** A qemu-io write: [offset, length, pattern byte], or ['z', offset, length] for `write -z`. */
type QemuIoWrite = [number, number, number] | ['z', number, number];

function qemuIoArgs(writes: QemuIoWrite[]): string[] {
  const args = ['-f', 'vmdk'];
  for (const w of writes) {
    args.push('-c', w[0] === 'z' ? `write -z ${w[1]} ${w[2]}` : `write -P 0x${w[2].toString(16)} ${w[0]} ${w[1]}`);
  }
  return args;
}

describe('cross writes: vixdisk into QEMU disks, QEMU into vixdisk disks', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('crosswrite');
  });
  after(() => removeTempDir(dir));

  const qemuMade: Array<{ name: string; options: string; size: number; extra?: Op[]; qemuFirst?: QemuIoWrite[] }> = [
    { name: 'monolithicSparse, 40 MiB + 3 sectors', options: 'subformat=monolithicSparse', size: 40 * MiB + 3 * SECTOR },
    {
      name: 'monolithicSparse with zeroed grains written by qemu-io first',
      options: 'subformat=monolithicSparse,zeroed_grain=on',
      size: 24 * MiB,
      qemuFirst: [[0, 4 * GRAIN, 0x31], ['z', GRAIN, 2 * GRAIN], ['z', 8 * GRAIN, 4 * GRAIN], [MiB, GRAIN, 0x32]],
      extra: [
        { kind: 'write', offset: GRAIN + 1024, length: 2048 }, // partial write into a zeroed grain (GTE 1)
        { kind: 'write', offset: 9 * GRAIN, length: GRAIN }, // whole write over a zeroed grain
        { kind: 'zero', offset: 0, length: GRAIN }, // whole grain of data zeroed
        { kind: 'zero', offset: MiB, length: GRAIN },
      ],
    },
    {
      name: "twoGbMaxExtentSparse 5 GiB (QEMU's 2 GiB split)",
      options: 'subformat=twoGbMaxExtentSparse',
      size: 5 * GiB,
      extra: [
        { kind: 'write', offset: 2 * GiB - 3 * SECTOR, length: 8 * SECTOR },
        { kind: 'write', offset: 4 * GiB - GRAIN, length: 2 * GRAIN },
      ],
    },
  ];

  for (const [i, c] of qemuMade.entries()) {
    test(`vixdisk writes into a QEMU ${c.name}`, async (t) => {
      if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
      const path = join(dir, `qm${i}.vmdk`);
      const rawPath = join(dir, `qm${i}.raw`);
      await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', c.options, path, String(c.size)]);
      const model = new ExpectedDisk(c.size);
      const raw = await rawTwin(rawPath, c.size);
      try {
        if (c.qemuFirst) {
          await runOk('qemu-io', [...qemuIoArgs(c.qemuFirst), path]);
          for (const w of c.qemuFirst) {
            const data = w[0] === 'z' ? Buffer.alloc(w[2]) : Buffer.alloc(w[1], w[2]);
            const off = w[0] === 'z' ? w[1] : w[0];
            await raw.write(data, 0, data.length, off);
            model.write(off, data);
          }
        }
        const disk = await VmdkDisk.open(path);
        try {
          await applyOps(disk, raw, model, planOps(c.size, 300 + i, false, c.extra), 300 + i);
        } finally {
          await disk.close();
        }
      } finally {
        await raw.close();
      }
      await assertQemuCheck(path);
      await assertQemuCompare(rawPath, path, c.name);
      const disk = await VmdkDisk.open(path, { readOnly: true });
      try {
        if (c.size > GiB) await assertDeviceRegions(disk, model, [2 * GiB, 4 * GiB], `${c.name} read back by vixdisk`);
        else await assertDeviceContents(disk, model, `${c.name} read back by vixdisk`);
        await assertSpotReads(disk, model, [2 * GiB, 4 * GiB, GRAIN, 32 * MiB].filter((p) => p < c.size), c.name);
        await assertAllocationMatchesQemu(disk, path, c.name);
      } finally {
        await disk.close();
      }
    });
  }

  test('vixdisk writes into a child QEMU made: copy-on-write from the base, read by QEMU', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 16 * MiB + 3 * SECTOR;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'xb.vmdk', String(size)], { cwd: dir });
    const baseWrites: Array<[number, number, number]> = [[0, MiB, 0x41], [8 * MiB - 5, 10, 0x42], [size - SECTOR, SECTOR, 0x43]];
    await runOk('qemu-io', [...qemuIoArgs(baseWrites), 'xb.vmdk'], { cwd: dir });
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'xb.vmdk', '-F', 'vmdk', 'xc.vmdk'], { cwd: dir });
    const rawPath = join(dir, 'xc.raw');
    await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', 'xb.vmdk', rawPath], { cwd: dir });
    const model = new ExpectedDisk(size);
    for (const [o, l, v] of baseWrites) model.pattern(o, l, v);
    const raw = await open(rawPath, 'r+'); // the base's contents, as QEMU reads them
    try {
      const disk = await VmdkDisk.open(join(dir, 'xc.vmdk'));
      try {
        await applyOps(disk, raw, model, planOps(size, 400, false, [
          { kind: 'write', offset: GRAIN + 100, length: 50 }, // partial grain over base data
          { kind: 'zero', offset: 2 * GRAIN, length: GRAIN }, // zeros that must hide the base
          { kind: 'write', offset: 8 * MiB - 600, length: 300 },
        ]), 400);
      } finally {
        await disk.close();
      }
    } finally {
      await raw.close();
    }
    await assertQemuCheck(join(dir, 'xc.vmdk'));
    await assertQemuCompare(rawPath, join(dir, 'xc.vmdk'), 'child written by vixdisk');
    const disk = await VmdkDisk.open(join(dir, 'xc.vmdk'), { readOnly: true });
    try {
      await assertDeviceContents(disk, model, 'child read back by vixdisk');
      await assertAllocationMatchesQemu(disk, join(dir, 'xc.vmdk'), 'child written by vixdisk');
    } finally {
      await disk.close();
    }
  });

  test('vixdisk writes into zeroed grains of a QEMU zeroed_grain child: zero-filled, never copied from the base', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 8 * MiB;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'zgb.vmdk', String(size)], { cwd: dir });
    await runOk('qemu-io', [...qemuIoArgs([[0, MiB, 0x11]]), 'zgb.vmdk'], { cwd: dir });
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'zeroed_grain=on', '-b', 'zgb.vmdk', '-F', 'vmdk', 'zgc.vmdk'],
      { cwd: dir });
    await runOk('qemu-io', [...qemuIoArgs([['z', GRAIN, 2 * GRAIN]]), 'zgc.vmdk'], { cwd: dir });
    const path = join(dir, 'zgc.vmdk');
    const model = new ExpectedDisk(size);
    model.pattern(0, MiB, 0x11);
    model.zero(GRAIN, 2 * GRAIN);
    const disk = await VmdkDisk.open(path);
    try {
      const data = Buffer.alloc(100, 0x22);
      await disk.write(GRAIN + 1000, data); // partial write into a zeroed grain (GTE 1)
      model.write(GRAIN + 1000, data);
      await disk.zero(4 * GRAIN, GRAIN); // a whole grain over base data: a zeroed GTE hides the base
      model.zero(4 * GRAIN, GRAIN);
      await disk.zero(400000, 1000); // part of a grain over base data: written as zeros
      model.zero(400000, 1000);
    } finally {
      await disk.close();
    }
    const r = await runOk('qemu-io', ['-f', 'vmdk', '-c', `read -P 0 ${GRAIN} 1000`, '-c', `read -P 0x22 ${GRAIN + 1000} 100`,
      '-c', `read -P 0 ${GRAIN + 1100} ${GRAIN - 1100}`, '-c', `read -P 0 ${4 * GRAIN} ${GRAIN}`, '-c', 'read -P 0 400000 1000',
      '-c', 'read -P 0x11 401000 1000', path]);
    assert.doesNotMatch(r.stdout + r.stderr, /Pattern verification failed/, r.stdout);
    await assertQemuCheck(path);
    const rawPath = join(dir, 'zgc.raw');
    await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', path, rawPath]);
    const raw = await RawFileDevice.open(rawPath, { readOnly: true });
    try {
      await assertDeviceContents(raw, model, 'QEMU reading the zeroed_grain child vixdisk wrote');
    } finally {
      await raw.close();
    }
    const back = await VmdkDisk.open(path, { readOnly: true });
    try {
      await assertDeviceContents(back, model, 'vixdisk reading it back');
      await assertAllocationMatchesQemu(back, path, 'zeroed_grain child written by vixdisk');
      assert.deepEqual((await back.linkStatus(0, 4 * GRAIN, GRAIN)).map((x) => x.state), ['zero']);
    } finally {
      await back.close();
    }
  });

  for (const c of [
    { type: 'monolithicSparse' as const, size: 30 * MiB + 3 * SECTOR, zeroedGrain: false },
    { type: 'monolithicSparse' as const, size: 20 * MiB, zeroedGrain: true },
    { type: 'twoGbMaxExtentSparse' as const, size: 4.5 * GiB, zeroedGrain: false },
  ]) {
    test(`QEMU writes into a vixdisk ${c.type} of ${c.size} bytes${c.zeroedGrain ? ' with zeroed grains' : ''}`, async (t) => {
      if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
      const path = join(dir, `vm-${c.type}-${c.size}.vmdk`);
      await createDisk(path, { capacity: c.size, type: c.type, zeroedGrain: c.zeroedGrain });
      const split = 2047 * MiB;
      const writes: QemuIoWrite[] = [
        [0, 3000, 0x51], [GRAIN - SECTOR, 2 * SECTOR, 0x52], [c.size - SECTOR, SECTOR, 0x53], [5 * MiB, 3 * GRAIN, 0x54],
      ];
      if (c.size > split) writes.push([split - 1000, 2000, 0x55], [2 * split - GRAIN, 2 * GRAIN, 0x56]);
      if (c.zeroedGrain) writes.push(['z', 5 * MiB + GRAIN, GRAIN], ['z', 10 * MiB, 4 * GRAIN]);
      await runOk('qemu-io', [...qemuIoArgs(writes), path]);
      await assertQemuCheck(path);
      const model = new ExpectedDisk(c.size);
      for (const w of writes) {
        if (w[0] === 'z') model.zero(w[1], w[2]);
        else model.pattern(w[0], w[1], w[2]);
      }
      const disk = await VmdkDisk.open(path, { readOnly: true });
      try {
        if (c.size > GiB) await assertDeviceRegions(disk, model, [split, 2 * split], `vixdisk ${c.type} written by qemu-io`);
        else await assertDeviceContents(disk, model, `vixdisk ${c.type} written by qemu-io`);
        await assertSpotReads(disk, model, [split, 2 * split, ...writes.map((w) => (w[0] === 'z' ? w[1] : w[0]))]
          .filter((p) => p < c.size), `vixdisk ${c.type} written by qemu-io`);
        await assertAllocationMatchesQemu(disk, path, `vixdisk ${c.type} written by qemu-io`);
        if (c.zeroedGrain) {
          const runs = await disk.linkStatus(0, 10 * MiB, 4 * GRAIN);
          assert.deepEqual(runs, [{ offset: 10 * MiB, length: 4 * GRAIN, state: 'zero' }], 'QEMU wrote zeroed grain entries');
        }
      } finally {
        await disk.close();
      }
      if (c.size < GiB) {
        const rawPath = join(dir, `vm-${c.type}-${c.size}.raw`);
        await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', path, rawPath]);
        const raw = await RawFileDevice.open(rawPath, { readOnly: true });
        try {
          await assertDeviceContents(raw, model, 'qemu-img convert of the same disk');
        } finally {
          await raw.close();
        }
      }
    });
  }

  test('qemu-img commit of a vixdisk chain: the base holds the merged data, the stale child is refused', async (t) => {
    if (!await requirePeer(t, 'qemu-img')) return;
    for (const type of ['monolithicSparse', 'twoGbMaxExtentSparse', 'monolithicFlat'] as const) {
      const size = 8 * MiB + 3 * SECTOR;
      const base = join(dir, `cm-${type}.vmdk`);
      const child = join(dir, `cm-${type}-child.vmdk`);
      const rawPath = join(dir, `cm-${type}.raw`);
      const model = new ExpectedDisk(size);
      const raw = await rawTwin(rawPath, size);
      try {
        const b = await createDiskDevice(base, { capacity: size, type });
        try {
          await applyOps(b, raw, model, planOps(size, 500, false), 500);
        } finally {
          await b.close();
        }
        await createChild(child, base);
        const c = await VmdkDisk.open(child);
        try {
          await applyOps(c, raw, model, planOps(size, 501, false, [{ kind: 'zero', offset: 0, length: GRAIN }]), 501);
        } finally {
          await c.close();
        }
      } finally {
        await raw.close();
      }
      await runOk('qemu-img', ['commit', '-f', 'vmdk', child]);
      if (type !== 'monolithicFlat') await assertQemuCheck(base);
      await assertQemuCompare(rawPath, base, `${type} base after commit`);
      const disk = await VmdkDisk.open(base, { readOnly: true });
      try {
        await assertDeviceContents(disk, model, `${type} base after qemu-img commit`);
      } finally {
        await disk.close();
      }
      // QEMU changed the base's CID when it wrote the commit: the child no longer matches.
      await assert.rejects(VmdkDisk.open(child, { readOnly: true }),
        (err: unknown) => err instanceof VixError && err.code === VIX_E_DISK_CID_MISMATCH);
    }
  });
});
