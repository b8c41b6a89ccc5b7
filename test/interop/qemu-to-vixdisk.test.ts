import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { VIX_E_NOT_SUPPORTED } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import {
  assertAllocationMatchesQemu, assertDeviceContents, assertDeviceRegions, assertGrainStates, assertSpotReads, cidHex, DataGenerator,
  ExpectedDisk, firstDifference, grainStatesOfLink, makeTempDir, qemuInfo, removeTempDir, requirePeer, runOk,
  type GrainState,
} from './peers.js';

// Disks made and written by QEMU (qemu-img create, qemu-io, qemu-img convert), read by vixdisk:
// contents byte for byte, info() against what QEMU wrote, block status against what QEMU allocated.

const SECTOR = 512;
const GRAIN = 64 << 10;
const MiB = 1 << 20;
const GiB = 1 << 30;

type Subformat = 'monolithicSparse' | 'monolithicFlat' | 'twoGbMaxExtentSparse' | 'twoGbMaxExtentFlat' | 'streamOptimized';

interface QemuWrite {
  /** 'P': `write -P value`; 'z': `write -z` (whole grains only, on zeroed_grain images). */
  op: 'P' | 'z';
  offset: number;
  length: number;
  value?: number;
}

interface QemuCase {
  name: string;
  subformat: Exclude<Subformat, 'streamOptimized'>;
  size: number;
  zeroedGrain?: boolean;
  adapter?: 'ide' | 'lsilogic' | 'buslogic' | 'legacyESX';
  hwversion?: string;
  writes: QemuWrite[];
  /**
   * How the contents are checked: 'raw' = the whole disk against `qemu-img convert -O raw`;
   * 'model' = the whole disk against the expected pattern (large sparse disks: holes read fast);
   * 'regions' = the 4 MiB regions holding writes and extent splits read whole, the rest by block
   * status and sampled grains (keeps the suite's time down; one 5 GiB case still reads everything);
   * 'windows' = large flat disks, whose full read costs seconds per GiB of file holes: 1 MiB around
   * every write, the first and last MiB and sampled grains, against the expected pattern.
   */
  check: 'raw' | 'model' | 'regions' | 'windows';
}

const P = (offset: number, length: number, value: number): QemuWrite => ({ op: 'P', offset, length, value });
const Z = (offset: number, length: number): QemuWrite => ({ op: 'z', offset, length });

const ODD_100M = 100 * MiB + 3 * SECTOR; // capacity not a multiple of the grain: the last grain is 1.5 KiB

const CASES: QemuCase[] = [
  {
    name: 'monolithicSparse, ide, 100 MiB + 3 sectors',
    subformat: 'monolithicSparse',
    size: ODD_100M,
    writes: [
      P(0, 4096, 0x11),
      P(GRAIN - 1024, 4096, 0x22), // across a grain boundary
      P(3 * GRAIN + 100, 1000, 0x33), // unaligned, inside one grain
      P(32 * MiB - 512, 1024, 0x44), // across a grain table boundary (32 MiB)
      P(50 * MiB, MiB, 0x55),
      P(ODD_100M - 2048, 1024, 0x66), // inside the short last grain
      P(ODD_100M - SECTOR, SECTOR, 0x67), // the last sector
    ],
    check: 'raw',
  },
  {
    name: 'monolithicSparse, zeroed_grain, lsilogic, hwversion 6, 64 MiB',
    subformat: 'monolithicSparse',
    size: 64 * MiB,
    zeroedGrain: true,
    adapter: 'lsilogic',
    hwversion: '6',
    writes: [
      P(0, 2 * GRAIN, 0x71),
      Z(GRAIN, GRAIN), // zeroing an allocated grain: GTE 1, the old grain leaks
      Z(10 * GRAIN, 3 * GRAIN), // zeroing unallocated grains: GTE 1 without data
      P(20 * MiB + 7 * SECTOR, 70000, 0x72),
      P(40 * MiB, 4 * GRAIN, 0x73),
      Z(40 * MiB + GRAIN, 2 * GRAIN),
      P(64 * MiB - SECTOR, SECTOR, 0x74),
    ],
    check: 'raw',
  },
  {
    name: 'monolithicFlat, buslogic, 33 MiB + 1 sector',
    subformat: 'monolithicFlat',
    size: 33 * MiB + SECTOR,
    adapter: 'buslogic',
    writes: [P(0, SECTOR, 0x81), P(GRAIN - 3, 10, 0x82), P(17 * MiB, 3 * GRAIN + 5, 0x83), P(33 * MiB, SECTOR, 0x84)],
    check: 'raw',
  },
  {
    name: 'twoGbMaxExtentFlat, ide, 30 MiB (one extent)',
    subformat: 'twoGbMaxExtentFlat',
    size: 30 * MiB,
    writes: [P(SECTOR, 2 * SECTOR, 0x91), P(29 * MiB, MiB, 0x92)],
    check: 'raw',
  },
  {
    name: 'twoGbMaxExtentFlat, lsilogic, 2 GiB + 1 MiB + 1 sector (across the 2 GiB split)',
    subformat: 'twoGbMaxExtentFlat',
    size: 2 * GiB + MiB + SECTOR,
    adapter: 'lsilogic',
    writes: [
      P(0, 4096, 0xa1),
      P(2 * GiB - 3 * SECTOR, 8 * SECTOR, 0xa2), // across the split
      P(GiB + 12345, 777, 0xa3),
      P(2 * GiB + MiB, SECTOR, 0xa4), // the last sector
    ],
    check: 'windows',
  },
  {
    name: 'twoGbMaxExtentSparse, zeroed_grain, legacyESX, 5 GiB (three extents)',
    subformat: 'twoGbMaxExtentSparse',
    size: 5 * GiB,
    zeroedGrain: true,
    adapter: 'legacyESX',
    writes: [
      P(0, GRAIN, 0xb1),
      P(2 * GiB - GRAIN / 2, GRAIN, 0xb2), // across the first split
      P(4 * GiB - 3 * SECTOR, 6 * SECTOR, 0xb3), // across the second split
      Z(2 * GiB + 4 * GRAIN, 2 * GRAIN), // zeroed grains in the second extent
      P(3 * GiB, 3 * GRAIN, 0xb4),
      Z(3 * GiB + GRAIN, GRAIN),
      P(5 * GiB - SECTOR, SECTOR, 0xb5),
    ],
    check: 'model',
  },
  {
    name: 'twoGbMaxExtentSparse, ide, hwversion 6, 2 GiB + 3 sectors (a 3-sector second extent)',
    subformat: 'twoGbMaxExtentSparse',
    size: 2 * GiB + 3 * SECTOR,
    hwversion: '6',
    writes: [
      P(2 * GiB - SECTOR, 2 * SECTOR, 0xc1), // across the split into the tiny last extent
      P(2 * GiB - GRAIN, GRAIN / 2, 0xc2),
      P(2 * GiB + 2 * SECTOR, SECTOR, 0xc3), // the last sector
      P(123 * MiB + 5, 5, 0xc4),
    ],
    check: 'regions',
  },
];

function qemuCreateOptions(c: { subformat: Subformat; zeroedGrain?: boolean; adapter?: string; hwversion?: string }): string {
  const o = [`subformat=${c.subformat}`];
  if (c.zeroedGrain) o.push('zeroed_grain=on');
  if (c.adapter) o.push(`adapter_type=${c.adapter}`);
  if (c.hwversion) o.push(`hwversion=${c.hwversion}`);
  return o.join(',');
}

/** The descriptor text QEMU wrote: the separate file, or the embedded area (stops at the first NUL). */
async function qemuDescriptorText(path: string, subformat: Subformat): Promise<string> {
  if (subformat === 'monolithicSparse' || subformat === 'streamOptimized') {
    const fh = await open(path, 'r');
    try {
      const area = Buffer.alloc(20 * SECTOR);
      await fh.read(area, 0, area.length, SECTOR);
      const nul = area.indexOf(0);
      return area.subarray(0, nul < 0 ? area.length : nul).toString('utf8');
    } finally {
      await fh.close();
    }
  }
  return (await readFile(path, 'utf8')).replace(/\0+$/, '');
}

function ddbValue(text: string, key: string): string | null {
  const m = new RegExp(`^${key.replace(/\./g, '\\.')}\\s*=\\s*"([^"]*)"`, 'm').exec(text);
  return m ? m[1]! : null;
}

function createTypeOf(text: string): string | null {
  const m = /^createType\s*=\s*"([^"]*)"/m.exec(text);
  return m ? m[1]! : null;
}

/** info() agrees with qemu-img info and with the descriptor text QEMU wrote. */
async function checkInfo(disk: VmdkDisk, path: string, subformat: Subformat,
  expect: { size: number; adapter: string; hwversion: string }): Promise<void> {
  const qi = await qemuInfo(path);
  const info = disk.info();
  const text = await qemuDescriptorText(path, subformat);
  const capacity = Math.ceil(expect.size / SECTOR) * SECTOR;
  assert.equal(info.capacity, capacity, 'capacity');
  assert.equal(info.capacity, qi['virtual-size'], 'capacity vs qemu-img info virtual-size');
  assert.equal(info.createType, subformat, 'createType');
  assert.equal(info.createType, qi['format-specific']?.data['create-type'], 'createType vs qemu-img info');
  assert.equal(createTypeOf(text), subformat, 'createType in the descriptor QEMU wrote');
  const qcid = qi['format-specific']?.data.cid;
  assert.equal(typeof qcid, 'number', 'qemu-img info reports a cid');
  assert.equal(info.cid, cidHex(qcid!), 'CID vs qemu-img info cid');
  assert.equal(info.parentCid, 'ffffffff', 'parentCID of a base disk');
  const written = {
    cylinders: Number(ddbValue(text, 'ddb.geometry.cylinders')),
    heads: Number(ddbValue(text, 'ddb.geometry.heads')),
    sectors: Number(ddbValue(text, 'ddb.geometry.sectors')),
  };
  assert.deepEqual(info.geometry, written, 'geometry equals what QEMU wrote');
  // QEMU's rule (vmdk-format 4.7): 16 heads for ide, 255 otherwise, 63 sectors, floor, no cap.
  const heads = expect.adapter === 'ide' ? 16 : 255;
  assert.deepEqual(written, { cylinders: Math.floor(capacity / (heads * 63 * SECTOR)), heads, sectors: 63 }, 'QEMU geometry rule');
  assert.equal(info.adapterType, expect.adapter, 'adapterType');
  assert.equal(info.adapterType, ddbValue(text, 'ddb.adapterType'));
  assert.equal(info.hwVersion, expect.hwversion, 'virtualHWVersion');
  const qextents = qi['format-specific']?.data.extents;
  if (qextents && subformat !== 'monolithicSparse' && subformat !== 'streamOptimized') {
    assert.deepEqual(info.extents.map((e) => e.sizeSectors * SECTOR), qextents.map((e) => e['virtual-size']), 'extent sizes');
  }
}

/** Per-grain allocation as blockStatus reports it. */
async function statusGrains(disk: VmdkDisk): Promise<Array<{ allocated: boolean; zero: boolean }>> {
  const out = new Array<{ allocated: boolean; zero: boolean }>(Math.ceil(disk.capacity / GRAIN));
  let pos = 0;
  for (const e of await disk.blockStatus(0, disk.capacity)) {
    assert.equal(e.offset, pos, 'blockStatus extents are consecutive');
    pos += e.length;
    for (let g = Math.floor(e.offset / GRAIN); g < Math.ceil((e.offset + e.length) / GRAIN); g++) {
      out[g] = { allocated: e.allocated, zero: e.zero };
    }
  }
  assert.equal(pos, disk.capacity, 'blockStatus covers the disk');
  return out;
}

/** What QEMU allocates: a data write allocates every grain it touches; a whole-grain write -z marks GTE 1. */
function expectedGrainStates(capacity: number, writes: QemuWrite[]): GrainState[] {
  const s = new Array<GrainState>(Math.ceil(capacity / GRAIN)).fill('absent');
  for (const w of writes) {
    for (let g = Math.floor(w.offset / GRAIN); g < Math.ceil((w.offset + w.length) / GRAIN); g++) {
      s[g] = w.op === 'P' ? 'data' : 'zero';
    }
  }
  return s;
}

async function checkStatus(disk: VmdkDisk, want: GrainState[], what: string): Promise<void> {
  assertGrainStates(await grainStatesOfLink(disk), want, `${what} linkStatus`);
  const st = await statusGrains(disk);
  for (let g = 0; g < want.length; g++) {
    const allocated = want[g] === 'data';
    if (st[g]!.allocated !== allocated || st[g]!.zero === allocated) {
      assert.fail(`${what} blockStatus: grain ${g} (byte ${g * GRAIN}) is ${JSON.stringify(st[g])}, expected allocated=${allocated}`);
    }
  }
}

function modelOf(c: QemuCase): ExpectedDisk {
  const m = new ExpectedDisk(Math.ceil(c.size / SECTOR) * SECTOR);
  for (const w of c.writes) {
    if (w.op === 'P') m.pattern(w.offset, w.length, w.value!);
    else m.zero(w.offset, w.length);
  }
  return m;
}

async function compareWindows(disk: VmdkDisk, model: ExpectedDisk, writes: QemuWrite[], what: string): Promise<void> {
  const cap = disk.capacity;
  const windows: Array<[number, number]> = [[0, MiB], [cap - MiB, cap]];
  for (const w of writes) windows.push([Math.max(0, w.offset - 512 * 1024), Math.min(cap, w.offset + w.length + 512 * 1024)]);
  const gen = new DataGenerator(7);
  for (let i = 0; i < 32; i++) {
    const g = gen.below(Math.floor(cap / GRAIN));
    windows.push([g * GRAIN, (g + 1) * GRAIN]);
  }
  for (const [s, e] of windows) {
    const got = Buffer.alloc(e - s);
    const want = Buffer.alloc(e - s);
    await disk.read(s, got);
    model.fill(s, want);
    const d = firstDifference(got, want);
    if (d >= 0) assert.fail(`${what}: byte ${s + d} reads 0x${got[d]!.toString(16)}, expected 0x${want[d]!.toString(16)}`);
  }
}

describe('qemu -> vixdisk: disks QEMU creates and writes read identically through VmdkDisk', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('qemu2vix');
  });
  after(() => removeTempDir(dir));

  for (const [i, c] of CASES.entries()) {
    test(c.name, async (t) => {
      if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
      const path = join(dir, `q${i}.vmdk`);
      await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', qemuCreateOptions(c), path, String(c.size)]);
      const args = ['-f', 'vmdk'];
      for (const w of c.writes) {
        args.push('-c', w.op === 'P' ? `write -P 0x${w.value!.toString(16)} ${w.offset} ${w.length}` : `write -z ${w.offset} ${w.length}`);
      }
      await runOk('qemu-io', [...args, path]);

      const disk = await VmdkDisk.open(path, { readOnly: true });
      try {
        await checkInfo(disk, path, c.subformat, { size: c.size, adapter: c.adapter ?? 'ide', hwversion: c.hwversion ?? '4' });
        const model = modelOf(c);
        // Requests that straddle extent splits, grain table and grain boundaries, and every write's edges.
        const points = [GRAIN, 32 * MiB, ...c.writes.flatMap((w) => [w.offset, w.offset + w.length])];
        let start = 0;
        for (const e of disk.info().extents) points.push(start += e.sizeSectors * SECTOR);
        await assertSpotReads(disk, model, points.filter((p) => p < disk.capacity), c.name);
        if (c.check === 'raw') {
          const rawPath = join(dir, `q${i}.raw`);
          await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', path, rawPath]);
          const raw = await RawFileDevice.open(rawPath, { readOnly: true });
          try {
            assert.equal(raw.capacity, disk.capacity, 'qemu-img convert raw size');
            await assertDeviceContents(disk, (o, b) => raw.read(o, b), `${c.name} vs qemu-img convert`);
            // The pattern model agrees with QEMU, so the 'model' cases check the same thing.
            await assertDeviceContents(raw, model, `${c.name}: qemu's raw vs the written pattern`);
          } finally {
            await raw.close();
          }
        } else if (c.check === 'model') {
          await assertDeviceContents(disk, model, c.name, 512 << 10);
        } else if (c.check === 'regions') {
          await assertDeviceRegions(disk, model, points, c.name);
        } else {
          await compareWindows(disk, model, c.writes, c.name);
        }
        if (c.subformat.endsWith('Sparse')) {
          await checkStatus(disk, expectedGrainStates(disk.capacity, c.writes), c.name);
          await assertAllocationMatchesQemu(disk, path, c.name);
        } else {
          // Flat extents have no allocation map: everything is data.
          assert.deepEqual(await disk.blockStatus(0, disk.capacity), [{ offset: 0, length: disk.capacity, allocated: true, zero: false }]);
        }
      } finally {
        await disk.close();
      }
    });
  }

  test('a 2 TiB - 2 GiB monolithicSparse from QEMU: 64-bit offsets, the last grain', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const size = 2 ** 41 - 2 ** 31;
    const path = join(dir, 'huge.vmdk');
    const writes = [P(2 ** 32 - SECTOR, 2 * SECTOR, 0xd1), P(2 ** 40 - 700, 1400, 0xd2), P(size - 3 * SECTOR, 3 * SECTOR, 0xd3)];
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', path, String(size)]);
    const args = ['-f', 'vmdk'];
    for (const w of writes) args.push('-c', `write -P 0x${w.value!.toString(16)} ${w.offset} ${w.length}`);
    await runOk('qemu-io', [...args, path]);
    const disk = await VmdkDisk.open(path, { readOnly: true });
    try {
      await checkInfo(disk, path, 'monolithicSparse', { size, adapter: 'ide', hwversion: '4' });
      const model = new ExpectedDisk(size);
      for (const w of writes) model.pattern(w.offset, w.length, w.value!);
      const points = writes.flatMap((w) => [w.offset, w.offset + w.length]).filter((p) => p < size);
      await assertSpotReads(disk, model, points, 'huge');
      for (const w of writes) {
        const g = Math.floor(w.offset / GRAIN);
        const runs = await disk.linkStatus(0, (g - 1) * GRAIN, Math.min(size - (g - 1) * GRAIN, 3 * GRAIN));
        assert.equal(runs[0]!.state, 'absent', `grain ${g - 1}`);
        assert.equal(runs[1]!.state, 'data', `grain ${g}`);
      }
    } finally {
      await disk.close();
    }
  });

  for (const outOfOrder of [false, true]) {
    const how = outOfOrder ? 'qemu-img convert -W (out-of-order grains)' : 'qemu-img convert';
    test(`streamOptimized from ${how}, lsilogic, 34 MiB + 3 sectors`, async (t) => {
      if (!await requirePeer(t, 'qemu-img')) return;
      const size = 34 * MiB + 3 * SECTOR;
      const gen = new DataGenerator(outOfOrder ? 1001 : 1000);
      // Mixed data (zero, text and random grains) in a few places, zeros between: whole zero grains
      // are left out of the stream; one run crosses the grain table boundary at 32 MiB; the last
      // grain is short (1.5 KiB).
      const data = Buffer.alloc(size);
      for (const [o, l] of [[0, 3 * MiB], [8 * MiB + 5 * GRAIN + 700, MiB], [32 * MiB - 300 * 1024, 600 * 1024], [size - MiB - 7, MiB + 7]]) {
        gen.mixed(l!, 16 << 10).copy(data, o!);
      }
      const rawPath = join(dir, `so${outOfOrder ? 'w' : ''}.raw`);
      const path = join(dir, `so${outOfOrder ? 'w' : ''}.vmdk`);
      await writeFile(rawPath, data);
      await runOk('qemu-img', ['convert', ...(outOfOrder ? ['-W'] : []), '-f', 'raw', '-O', 'vmdk',
        '-o', 'subformat=streamOptimized,adapter_type=lsilogic', rawPath, path]);
      const disk = await VmdkDisk.open(path, { readOnly: true });
      try {
        await checkInfo(disk, path, 'streamOptimized', { size, adapter: 'lsilogic', hwversion: '4' });
        await assertDeviceContents(disk, (o, b) => { b.set(data.subarray(o, o + b.length)); }, 'streamOptimized vs its raw source');
        const want: GrainState[] = [];
        for (let g = 0; g * GRAIN < size; g++) {
          const grain = data.subarray(g * GRAIN, Math.min(size, (g + 1) * GRAIN));
          want.push(grain.some((x) => x !== 0) ? 'data' : 'absent');
        }
        await checkStatus(disk, want, 'streamOptimized');
        await assertAllocationMatchesQemu(disk, path, 'streamOptimized');
      } finally {
        await disk.close();
      }
      // A stream cannot be written in place (opened for writing once the reader has closed it).
      await assert.rejects(async () => {
        const rw = await VmdkDisk.open(path);
        try {
          await rw.write(0, Buffer.alloc(SECTOR, 1));
        } finally {
          await rw.close();
        }
      }, (err: unknown) => err instanceof VixError && err.code === VIX_E_NOT_SUPPORTED);
    });
  }
});
