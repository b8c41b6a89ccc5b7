import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyDevice } from '../../src/block/copy.js';
import { VIX_E_INVALID_ARG } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { createChild, createDiskDevice, DISK_TYPES, type DiskType } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import type { AdapterType } from '../../src/vmdk/geometry.js';
import {
  applyOps, assertAllocationMatchesQemu, assertDeviceContents, assertDeviceRegions, assertSpotReads, cidHex, DataGenerator, ExpectedDisk,
  makeTempDir, planOps, qemuChainInfo, qemuInfo, rawTwin, removeTempDir, requirePeer, run, runOk, type Op,
  type RunResult,
} from './peers.js';

// Disks vixdisk creates and writes, judged by QEMU (qemu-img check / compare / info) and libvmdk
// (vmdkinfo): every create type, several adapters and hardware versions, children, conversions.

const SECTOR = 512;
const GRAIN = 64 << 10;
const MiB = 1 << 20;
/** VMware's split of twoGbMaxExtent types: 2047 MiB per extent (ours; QEMU splits at 2 GiB). */
const SPLIT = 2047 * MiB;

const FLAT_TYPES: DiskType[] = ['monolithicFlat', 'twoGbMaxExtentFlat', 'vmfs', 'vmfsThin'];

/** qemu-img check: clean for sparse types; flat ones may answer "not supported" (63). */
function assertCheckOk(r: RunResult, type: DiskType, path: string): void {
  if (FLAT_TYPES.includes(type) && (r.code === 63 || /support/i.test(r.stderr))) return;
  assert.equal(r.code, 0, `qemu-img check ${path} exited with ${r.code}:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /No errors were found/);
}

/** vmdkinfo (libvmdk) opens the disk and reports its size and CID. */
async function assertVmdkinfo(path: string, capacity: number, cid: string): Promise<void> {
  const r = await run('vmdkinfo', [path]);
  assert.equal(r.code, 0, `vmdkinfo ${path} exited with ${r.code}:\n${r.stdout}${r.stderr}`);
  const size = /Media size:.*\((\d+) bytes\)/.exec(r.stdout);
  assert.ok(size, `vmdkinfo printed no media size:\n${r.stdout}`);
  assert.equal(Number(size[1]), capacity, 'vmdkinfo media size');
  const c = /Content identifier:\s*0x([0-9a-f]+)/i.exec(r.stdout);
  assert.ok(c, `vmdkinfo printed no content identifier:\n${r.stdout}`);
  assert.equal(c[1]!.toLowerCase().padStart(8, '0'), cid, 'vmdkinfo CID');
}

interface TypeCase {
  type: DiskType;
  capacity: number;
  adapter: AdapterType;
  hwVersion?: number;
  zeroedGrain?: boolean;
  /** Extra writes (e.g. across the 2047 MiB split). */
  extra?: Op[];
}

const CASES: TypeCase[] = [
  { type: 'monolithicSparse', capacity: 40 * MiB + 3 * SECTOR, adapter: 'ide' },
  { type: 'monolithicSparse', capacity: 36 * MiB, adapter: 'lsilogic', hwVersion: 7, zeroedGrain: true },
  {
    type: 'twoGbMaxExtentSparse', capacity: 4.5 * 1024 * MiB + 5 * SECTOR, adapter: 'buslogic', hwVersion: 6,
    extra: [
      { kind: 'write', offset: SPLIT - 3 * SECTOR, length: 8 * SECTOR },
      { kind: 'write', offset: SPLIT - GRAIN, length: 3 * GRAIN }, // spans the split, grain-aligned on both sides
      { kind: 'write', offset: 2 * SPLIT - 100, length: 300 }, // the second split, byte-unaligned
    ],
  },
  { type: 'twoGbMaxExtentSparse', capacity: 20 * MiB, adapter: 'ide', zeroedGrain: true },
  { type: 'monolithicFlat', capacity: 24 * MiB + SECTOR, adapter: 'lsilogic', hwVersion: 6 },
  { type: 'twoGbMaxExtentFlat', capacity: 18 * MiB, adapter: 'legacyESX' },
  {
    type: 'twoGbMaxExtentFlat', capacity: SPLIT + 3 * MiB, adapter: 'ide', hwVersion: 11,
    extra: [{ kind: 'write', offset: SPLIT - 2 * SECTOR, length: 5 * SECTOR }],
  },
  { type: 'streamOptimized', capacity: 30 * MiB + 3 * SECTOR, adapter: 'legacyESX' },
  { type: 'streamOptimized', capacity: 34 * MiB, adapter: 'lsilogic', hwVersion: 10 },
  { type: 'vmfs', capacity: 16 * MiB, adapter: 'pvscsi' },
  { type: 'vmfsThin', capacity: 16 * MiB + SECTOR, adapter: 'buslogic', hwVersion: 13 },
];

function caseName(c: TypeCase): string {
  const hw = c.hwVersion ? `, hwversion ${c.hwVersion}` : '';
  return `${c.type}, ${c.adapter}, ${c.capacity} bytes${hw}${c.zeroedGrain ? ', zeroed grains' : ''}`;
}

describe('vixdisk -> qemu/vmdkinfo: disks vixdisk creates are valid to QEMU and libvmdk', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('vix2qemu');
  });
  after(() => removeTempDir(dir));

  test('every create type has a case here', () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.type))].sort(), [...DISK_TYPES].sort());
  });

  for (const [i, c] of CASES.entries()) {
    test(caseName(c), async (t) => {
      const qemuOpens = c.type !== 'vmfsThin'; // QEMU refuses createType vmfsThin
      if (!await requirePeer(t, qemuOpens ? ['qemu-img', 'vmdkinfo'] : ['vmdkinfo'])) return;
      const path = join(dir, `t${i}.vmdk`);
      const rawPath = join(dir, `t${i}.raw`);
      const capacity = Math.ceil(c.capacity / SECTOR) * SECTOR;
      const sequential = c.type === 'streamOptimized';
      const ops = planOps(capacity, 100 + i, sequential, c.extra);
      const model = new ExpectedDisk(capacity);
      const raw = await rawTwin(rawPath, capacity);
      try {
        const dev = await createDiskDevice(path, {
          capacity: c.capacity, type: c.type, adapterType: c.adapter, hwVersion: c.hwVersion, zeroedGrain: c.zeroedGrain,
        });
        try {
          await applyOps(dev, raw, model, ops, 100 + i);
          await dev.flush();
        } finally {
          await dev.close();
        }
      } finally {
        await raw.close();
      }

      const disk = await VmdkDisk.open(path, { readOnly: true });
      let cid: string;
      try {
        const info = disk.info();
        cid = info.cid;
        assert.equal(info.createType, c.type);
        assert.equal(info.capacity, capacity);
        assert.equal(info.adapterType, c.adapter);
        assert.equal(info.hwVersion, String(c.hwVersion ?? 4));
        const heads = c.adapter === 'ide' ? 16 : 255;
        assert.deepEqual(info.geometry, { cylinders: Math.floor(capacity / (heads * 63 * SECTOR)), heads, sectors: 63 });
        if (c.type.startsWith('twoGb')) {
          const n = Math.ceil(capacity / SPLIT);
          assert.equal(info.extents.length, n, 'extents of 2047 MiB');
          assert.ok(info.extents.slice(0, -1).every((e) => e.sizeSectors * SECTOR === SPLIT));
        }
        const points = [GRAIN, 32 * MiB, ...ops.flatMap((o) => [o.offset, o.offset + o.length])];
        let start = 0;
        for (const e of info.extents) points.push(start += e.sizeSectors * SECTOR);
        await assertSpotReads(disk, model, points.filter((p) => p < capacity), caseName(c));
        // Read back through vixdisk: large disks against the model (holes read fast), others against the raw twin.
        if (capacity > 256 * MiB) {
          if (c.type.endsWith('Flat')) {
            // Reading 2 GiB of flat file holes costs seconds: check around every write instead.
            for (const op of ops) {
              const s = Math.max(0, op.offset - GRAIN), e = Math.min(capacity, op.offset + op.length + GRAIN);
              const got = Buffer.alloc(e - s), want = Buffer.alloc(e - s);
              await disk.read(s, got);
              model.fill(s, want);
              assert.ok(got.equals(want), `${caseName(c)}: bytes ${s}..${e} differ from what was written`);
            }
          } else {
            await assertDeviceRegions(disk, model, points, caseName(c));
          }
        } else {
          const twin = await RawFileDevice.open(rawPath, { readOnly: true });
          try {
            await assertDeviceContents(disk, (o, b) => twin.read(o, b), caseName(c));
          } finally {
            await twin.close();
          }
        }
      } finally {
        await disk.close();
      }

      await assertVmdkinfo(path, capacity, cid);
      if (!qemuOpens) return;
      assertCheckOk(await run('qemu-img', ['check', '-f', 'vmdk', path]), c.type, path);
      const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', rawPath, path]);
      assert.equal(cmp.code, 0, `qemu-img compare raw vs ${c.type}: exit ${cmp.code}\n${cmp.stdout}${cmp.stderr}`);
      const qi = await qemuInfo(path);
      assert.equal(qi['virtual-size'], capacity, 'qemu-img info virtual-size');
      assert.equal(qi['format-specific']?.data['create-type'], c.type, 'qemu-img info create-type');
      assert.equal(cidHex(qi['format-specific']!.data.cid!), cid, 'qemu-img info cid');
      if (c.type === 'streamOptimized') assert.equal(qi['format-specific']?.data.extents?.[0]?.compressed, true);
      if (c.type.endsWith('Sparse') || c.type === 'streamOptimized') {
        const again = await VmdkDisk.open(path, { readOnly: true });
        try {
          await assertAllocationMatchesQemu(again, path, caseName(c));
        } finally {
          await again.close();
        }
      }
    });
  }

  for (const baseType of ['monolithicSparse', 'vmfs'] as const) {
    // The vmfs child lives in a sub-folder: its parentFileNameHint must lead QEMU out of it.
    const where = baseType === 'vmfs' ? ', child in a sub-folder' : '';
    test(`createChild over a vixdisk ${baseType} base${where}: qemu-img compare and --backing-chain agree`, async (t) => {
      if (!await requirePeer(t, ['qemu-img', 'vmdkinfo'])) return;
      const capacity = 12 * MiB + 3 * SECTOR;
      const base = join(dir, `cb-${baseType}.vmdk`);
      const childDir = baseType === 'vmfs' ? join(dir, 'snapshots') : dir;
      await mkdir(childDir, { recursive: true });
      const child = join(childDir, `cc-${baseType}.vmdk`);
      const rawPath = join(dir, `cc-${baseType}.raw`);
      const model = new ExpectedDisk(capacity);
      const raw = await rawTwin(rawPath, capacity);
      try {
        const b = await createDiskDevice(base, { capacity, type: baseType, adapterType: 'lsilogic' });
        try {
          await applyOps(b, raw, model, planOps(capacity, 7, false), 7);
        } finally {
          await b.close();
        }
        await createChild(child, base);
        const c = await VmdkDisk.open(child);
        try {
          assert.equal(c.info().chain.length, 2);
          await applyOps(c, raw, model, planOps(capacity, 8, false, [{ kind: 'zero', offset: 0, length: 4 * GRAIN }]), 8);
        } finally {
          await c.close();
        }
      } finally {
        await raw.close();
      }
      const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', rawPath, child]);
      assert.equal(cmp.code, 0, `qemu-img compare raw vs child: exit ${cmp.code}\n${cmp.stdout}${cmp.stderr}`);
      const chain = await qemuChainInfo(child);
      assert.equal(chain.length, 2, 'qemu-img info --backing-chain lists child and base');
      assert.ok(chain[0]!['backing-filename']?.endsWith(`cb-${baseType}.vmdk`), `backing-filename ${chain[0]!['backing-filename']}`);
      assert.equal(chain[1]!['format-specific']?.data['create-type'], baseType);
      assert.equal(chain[0]!['format-specific']?.data['parent-cid'], chain[1]!['format-specific']?.data.cid,
        "child's parent-cid is the base's cid");
      assertCheckOk(await run('qemu-img', ['check', '-f', 'vmdk', child]), 'monolithicSparse', child);
      const disk = await VmdkDisk.open(child, { readOnly: true });
      try {
        await assertDeviceContents(disk, model, 'child through vixdisk');
        await assertVmdkinfo(child, capacity, disk.info().cid);
      } finally {
        await disk.close();
      }
    });
  }

  // A disk vixdisk agrees to create with a non-default grain must be readable by QEMU and libvmdk.
  for (const grainSizeSectors of [8, 16, 256, 1024]) {
    test(`${grainSizeSectors}-sector grains: refused, or readable by QEMU and libvmdk`, async (t) => {
      if (!await requirePeer(t, ['qemu-img', 'vmdkinfo'])) return;
      const capacity = 6 * MiB + 3 * SECTOR;
      for (const type of ['monolithicSparse', 'twoGbMaxExtentSparse'] as const) {
        const path = join(dir, `grain${grainSizeSectors}-${type}.vmdk`);
        const rawPath = join(dir, `grain${grainSizeSectors}-${type}.raw`);
        const what = `${type} with ${grainSizeSectors}-sector grains`;
        let dev;
        try {
          dev = await createDiskDevice(path, { capacity, type, grainSizeSectors });
        } catch (err) {
          // Refusing a grain size is a valid answer; creating a disk the peers cannot read is not.
          assert.ok(err instanceof VixError && err.code === VIX_E_INVALID_ARG, `${what}: ${String(err)}`);
          continue;
        }
        const model = new ExpectedDisk(capacity);
        const raw = await rawTwin(rawPath, capacity);
        try {
          await applyOps(dev, raw, model, planOps(capacity, grainSizeSectors, false), grainSizeSectors);
        } finally {
          await dev.close();
          await raw.close();
        }
        const disk = await VmdkDisk.open(path, { readOnly: true });
        try {
          await assertDeviceContents(disk, model, what);
          await assertVmdkinfo(path, capacity, disk.info().cid);
        } finally {
          await disk.close();
        }
        // vmdkinfo reads only the descriptor of a split disk: open its extent file's header too.
        if (type === 'twoGbMaxExtentSparse') {
          const r = await run('vmdkinfo', [join(dir, `grain${grainSizeSectors}-${type}-s001.vmdk`)]);
          assert.doesNotMatch(r.stderr, /grain number of sectors/, `${what}: libvmdk refuses the extent header:\n${r.stderr}`);
        }
        assertCheckOk(await run('qemu-img', ['check', '-f', 'vmdk', path]), type, path);
        const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', rawPath, path]);
        assert.equal(cmp.code, 0, `${what}: qemu-img compare exit ${cmp.code}\n${cmp.stdout}${cmp.stderr}`);
      }
    });
  }

  test('a 2 TiB - 2 GiB monolithicSparse: 64-bit offsets agree with QEMU and libvmdk', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io', 'vmdkinfo'])) return;
    const capacity = 2 ** 41 - 2 ** 31;
    const path = join(dir, 'huge.vmdk');
    const writes: Array<[number, number, number]> = [
      [2 ** 32 - SECTOR, 2 * SECTOR, 0xe1], // across 4 GiB (32-bit byte offsets)
      [2 ** 40 - 700, 1400, 0xe2], // across 1 TiB, unaligned
      [capacity - GRAIN, GRAIN, 0xe3], // the last grain
    ];
    const dev = await createDiskDevice(path, { capacity, type: 'monolithicSparse' });
    try {
      for (const [o, l, v] of writes) await dev.write(o, Buffer.alloc(l, v));
    } finally {
      await dev.close();
    }
    const args = ['-f', 'vmdk'];
    for (const [o, l, v] of writes) args.push('-c', `read -P 0x${v.toString(16)} ${o} ${l}`, '-c', `read -P 0 ${o - GRAIN} ${GRAIN}`);
    const r = await runOk('qemu-io', [...args, path]);
    assert.doesNotMatch(r.stdout + r.stderr, /Pattern verification failed/, r.stdout);
    assertCheckOk(await run('qemu-img', ['check', '-f', 'vmdk', path]), 'monolithicSparse', path);
    const qi = await qemuInfo(path);
    assert.equal(qi['virtual-size'], capacity);
    const disk = await VmdkDisk.open(path, { readOnly: true });
    try {
      await assertVmdkinfo(path, capacity, disk.info().cid);
      const model = new ExpectedDisk(capacity);
      for (const [o, l, v] of writes) model.pattern(o, l, v);
      await assertSpotReads(disk, model, writes.flatMap(([o, l]) => [o, o + l]).filter((p) => p < capacity), 'huge');
      const st = await disk.blockStatus(2 ** 40 - 2 * GRAIN, 4 * GRAIN);
      assert.deepEqual(st.map((e) => e.allocated), [false, true, false]);
    } finally {
      await disk.close();
    }
  });

  test('copyDevice: raw -> every type -> raw, qemu-img compare equal', async (t) => {
    if (!await requirePeer(t, 'qemu-img')) return;
    const capacity = 6 * MiB + 3 * SECTOR;
    const srcPath = join(dir, 'conv-src.raw');
    const gen = new DataGenerator(2024);
    const data = gen.mixed(capacity);
    data.fill(0, 2 * MiB, 4 * MiB);
    const fh = await open(srcPath, 'w');
    await fh.write(data, 0, data.length, 0);
    await fh.close();
    for (const type of DISK_TYPES) {
      const mid = join(dir, `conv-${type}.vmdk`);
      const outPath = join(dir, `conv-${type}.raw`);
      const src = await RawFileDevice.open(srcPath, { readOnly: true });
      try {
        const dst = await createDiskDevice(mid, { capacity, type });
        try {
          await copyDevice(src, dst, { destinationIsZero: true });
        } finally {
          await dst.close();
        }
      } finally {
        await src.close();
      }
      const back = await VmdkDisk.open(mid, { readOnly: true });
      try {
        const out = await RawFileDevice.create(outPath, back.capacity);
        try {
          await copyDevice(back, out, { destinationIsZero: true });
        } finally {
          await out.close();
        }
      } finally {
        await back.close();
      }
      const r = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', srcPath, outPath]);
      assert.equal(r.code, 0, `raw -> ${type} -> raw differs (qemu-img compare exit ${r.code}):\n${r.stdout}${r.stderr}`);
      if (type !== 'vmfsThin') {
        const r2 = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', srcPath, mid]);
        assert.equal(r2.code, 0, `raw vs ${type} (qemu-img compare exit ${r2.code}):\n${r2.stdout}${r2.stderr}`);
      }
      assert.ok((await readFile(outPath)).subarray(0, capacity).equals(data), `raw -> ${type} -> raw, bytes`);
    }
  });
});
