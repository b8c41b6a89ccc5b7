import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkDisk } from '../../src/vmdk/check.js';
import { createDisk } from '../../src/vmdk/create.js';
import { defragmentDisk } from '../../src/vmdk/defragment.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { growDisk } from '../../src/vmdk/grow.js';
import { readMetadata, writeMetadata, listMetadataKeys } from '../../src/vmdk/metadata.js';
import { renameDisk } from '../../src/vmdk/rename.js';
import { repairDisk } from '../../src/vmdk/repair.js';
import { shrinkDisk } from '../../src/vmdk/shrink.js';
import { spaceNeededForClone } from '../../src/vmdk/space-needed.js';
import { DataGenerator, makeTempDir, qemuChainInfo, qemuInfo, removeTempDir, requirePeer, run, runOk } from './peers.js';

// Maintenance against the peers: disks made by qemu-img and qemu-io are grown, shrunk,
// defragmented, renamed, repaired and given metadata by vixdisk; afterwards `qemu-img check` is
// clean, `qemu-img compare` finds the same content as a raw copy taken before, QEMU can still
// write to them, and vmdkinfo (libvmdk) reads them.

const MiB = 1 << 20;
const GRAIN = 64 << 10;
const SECTOR = 512;

async function qemuIo(dir: string, path: string, cmds: string[]): Promise<void> {
  const args = ['-f', 'vmdk'];
  for (const c of cmds) args.push('-c', c);
  await runOk('qemu-io', [...args, path], { cwd: dir });
}

async function toRaw(dir: string, path: string, raw: string): Promise<void> {
  await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', path, raw], { cwd: dir });
}

async function qemuCheckClean(dir: string, path: string): Promise<void> {
  await runOk('qemu-img', ['check', '-f', 'vmdk', path], { cwd: dir });
}

/** qemu-img compare of a raw image and a VMDK (a larger VMDK must read zeros past the raw's end). */
async function sameAsRaw(dir: string, raw: string, path: string): Promise<void> {
  await runOk('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', raw, path], { cwd: dir });
}

async function vmdkinfoReads(dir: string, path: string): Promise<void> {
  const r = await run('vmdkinfo', [path], { cwd: dir });
  assert.equal(r.code, 0, `vmdkinfo ${path}:\n${r.stdout}${r.stderr}`);
}

async function assertOurCheckClean(path: string): Promise<void> {
  const r = await checkDisk(path);
  assert.deepEqual(r.problems, []);
}

describe('maintenance of disks QEMU made and reads', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('maint');
  });
  after(() => removeTempDir(dir));

  test('grow a qemu-img monolithicSparse past 4 GiB: same content, QEMU writes to the new space', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io', 'vmdkinfo'])) return;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'g.vmdk', String(20 * MiB + 3 * SECTOR)], { cwd: dir });
    await qemuIo(dir, 'g.vmdk', ['write -P 0x31 0 200k', `write -P 0x32 ${20 * MiB} ${3 * SECTOR}`, 'write -P 0x33 9m 64k']);
    await toRaw(dir, 'g.vmdk', 'g-before.raw');
    await growDisk(join(dir, 'g.vmdk'), 5 * 2 ** 30, { updateGeometry: true });
    const info = await qemuInfo(join(dir, 'g.vmdk'));
    assert.equal(info['virtual-size'], 5 * 2 ** 30);
    await qemuCheckClean(dir, 'g.vmdk');
    await sameAsRaw(dir, 'g-before.raw', 'g.vmdk');
    await vmdkinfoReads(dir, 'g.vmdk');
    // QEMU expects every grain table to be there: it writes into the grown space.
    await qemuIo(dir, 'g.vmdk', [`write -P 0x34 ${5 * 2 ** 30 - GRAIN} ${GRAIN}`, 'write -P 0x35 4500m 4k']);
    await qemuCheckClean(dir, 'g.vmdk');
    await assertOurCheckClean(join(dir, 'g.vmdk'));
    const d = await VmdkDisk.open(join(dir, 'g.vmdk'), { readOnly: true });
    const b = Buffer.alloc(4096);
    await d.read(4500 * MiB, b);
    assert.ok(b.every((x) => x === 0x35));
    await d.read(20 * MiB, b.subarray(0, 3 * SECTOR));
    assert.ok(b.subarray(0, 3 * SECTOR).every((x) => x === 0x32));
    await d.close();
  });

  test('shrink and defragment a qemu-io-written disk: smaller, same content, clean', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io', 'vmdkinfo'])) return;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 's.vmdk', '32M'], { cwd: dir });
    const cmds: string[] = [];
    // Back to front (the file holds grains in reverse order), some of them written as zeros.
    for (let g = 400; g >= 0; g -= 8) cmds.push(`write -P ${g % 24 === 0 ? 0 : 0x40 + (g % 50)} ${g * GRAIN} ${GRAIN}`);
    await qemuIo(dir, 's.vmdk', cmds);
    await toRaw(dir, 's.vmdk', 's-before.raw');
    const p = join(dir, 's.vmdk');
    const sizeBefore = (await stat(p)).size;
    const r = await shrinkDisk(p);
    assert.equal(r.grainsDropped, 17);
    const sizeAfter = (await stat(p)).size;
    assert.equal(sizeBefore - sizeAfter, 17 * GRAIN, `shrink: ${sizeBefore} -> ${sizeAfter} bytes`);
    await qemuCheckClean(dir, 's.vmdk');
    await sameAsRaw(dir, 's-before.raw', 's.vmdk');
    await assertOurCheckClean(p);
    const map = JSON.parse((await runOk('qemu-img', ['map', '--output', 'json', '-f', 'vmdk', 's.vmdk'], { cwd: dir })).stdout) as
      Array<{ start: number; length: number; data: boolean; offset?: number }>;
    const dataRuns = map.filter((m) => m.data);
    for (let i = 1; i < dataRuns.length; i++) assert.ok(dataRuns[i]!.offset! > dataRuns[i - 1]!.offset!, 'grains in guest order after the rewrite');

    await qemuIo(dir, 's.vmdk', ['write -P 0x77 20m 64k', 'write -P 0x78 1m 64k']);
    await toRaw(dir, 's.vmdk', 's-before2.raw');
    await defragmentDisk(p);
    await qemuCheckClean(dir, 's.vmdk');
    await sameAsRaw(dir, 's-before2.raw', 's.vmdk');
    await vmdkinfoReads(dir, 's.vmdk');
    await assertOurCheckClean(p);
  });

  for (const type of ['twoGbMaxExtentSparse', 'twoGbMaxExtentFlat'] as const) {
    test(`grow ${type} across the 2047 MiB split: new extent files QEMU opens`, async (t) => {
      if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
      const name = `split-${type}`;
      const p = join(dir, `${name}.vmdk`);
      await createDisk(p, { capacity: 2040 * MiB, type });
      await qemuIo(dir, p, ['write -P 0x51 0 64k', `write -P 0x52 ${2040 * MiB - GRAIN} 64k`]);
      await growDisk(p, 4200 * MiB);
      const info = await qemuInfo(p);
      assert.equal(info['virtual-size'], 4200 * MiB);
      assert.equal(info['format-specific']?.data.extents?.length, 3);
      assert.equal((await readdir(dir)).filter((f) => f.startsWith(`${name}-`)).length, 3);
      await qemuCheckClean(dir, p);
      await qemuIo(dir, p, [`write -P 0x53 ${4200 * MiB - GRAIN} 64k`, `read -P 0x52 ${2040 * MiB - GRAIN} 64k`,
        `read -P 0 ${2047 * MiB - GRAIN} 128k`, `read -P 0x53 ${4200 * MiB - GRAIN} 64k`]);
      await assertOurCheckClean(p);
    });
  }

  test('rename a base under a QEMU child: the child follows, QEMU opens the chain', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    const base = join(dir, 'rbase.vmdk');
    await createDisk(base, { capacity: 2050 * MiB, type: 'twoGbMaxExtentSparse' });
    await qemuIo(dir, base, ['write -P 0x61 0 128k', `write -P 0x62 ${2049 * MiB} 64k`]);
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'rbase.vmdk', '-F', 'vmdk', 'rchild.vmdk'], { cwd: dir });
    await qemuIo(dir, 'rchild.vmdk', ['write -P 0x63 64k 64k']);
    await toRaw(dir, 'rchild.vmdk', 'rchild-before.raw');
    const r = await renameDisk(base, join(dir, 'renamed.vmdk'), { updateChildrenIn: dir });
    assert.deepEqual(r.childrenUpdated, [join(dir, 'rchild.vmdk')]);
    const chain = await qemuChainInfo(join(dir, 'rchild.vmdk'));
    assert.equal(chain.length, 2);
    assert.equal(chain[0]!['backing-filename'], 'renamed.vmdk');
    await qemuCheckClean(dir, 'renamed.vmdk');
    await sameAsRaw(dir, 'rchild-before.raw', 'rchild.vmdk');
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('rbase')), []);
  });

  test('repair: entries past the end of the file (qemu-img check fails) and damaged redundant tables', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', 'rp.vmdk', '48M'], { cwd: dir });
    await qemuIo(dir, 'rp.vmdk', ['write -P 0x71 0 256k', 'write -P 0x72 40m 64k']);
    const p = join(dir, 'rp.vmdk');
    const head = await readFile(p);
    const rgd = Number(head.readBigUInt64LE(48));
    const gd = Number(head.readBigUInt64LE(56));
    const gt0 = head.readUInt32LE(gd * SECTOR);
    const rgt0 = head.readUInt32LE(rgd * SECTOR);
    const rgt1 = head.readUInt32LE(rgd * SECTOR + 4);
    const fh = await open(p, 'r+');
    const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
    await fh.write(u32(0x00ffffff), 0, 4, gt0 * SECTOR + 100 * 4); // grain 100: past the end of the file
    await fh.write(u32(0x00ffffff), 0, 4, rgt0 * SECTOR + 100 * 4);
    await fh.write(u32(0), 0, 4, rgt0 * SECTOR + 4); // the redundant copy lost grain 1
    await fh.write(Buffer.alloc(2048, 0xff), 0, 2048, rgt1 * SECTOR); // redundant table 1: garbage
    await fh.close();
    const broken = await run('qemu-img', ['check', '-f', 'vmdk', 'rp.vmdk'], { cwd: dir });
    assert.notEqual(broken.code, 0, 'qemu-img check sees the damage');
    assert.equal((await checkDisk(p)).ok, false);
    const r = await repairDisk(p);
    assert.equal(r.lostGrains.length, 1);
    assert.equal(r.lostGrains[0]!.offset, 100 * GRAIN);
    assert.ok(r.check.ok, JSON.stringify(r.check));
    await qemuCheckClean(dir, 'rp.vmdk');
    await qemuIo(dir, 'rp.vmdk', ['read -P 0x71 0 256k', 'read -P 0x72 40m 64k', `read -P 0 ${100 * GRAIN} 64k`]);
  });

  test('metadata written by vixdisk survives QEMU rewriting the descriptor', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io', 'vmdkinfo'])) return;
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'adapter_type=lsilogic', 'md.vmdk', '8M'], { cwd: dir });
    const p = join(dir, 'md.vmdk');
    assert.equal(await readMetadata(p, 'adapterType'), 'lsilogic');
    assert.ok((await listMetadataKeys(p)).includes('geometry.heads'));
    await writeMetadata(p, 'uuid', '60 00 c2 97 ee 00 4e ed-cb 09 ab 10 91 3f 7f 99');
    await writeMetadata(p, 'toolsVersion', '12416');
    await qemuIo(dir, 'md.vmdk', ['write -P 0x11 0 4k']); // QEMU writes a new CID into the descriptor
    await qemuCheckClean(dir, 'md.vmdk');
    assert.equal(await readMetadata(p, 'uuid'), '60 00 c2 97 ee 00 4e ed-cb 09 ab 10 91 3f 7f 99');
    assert.equal(await readMetadata(p, 'toolsVersion'), '12416');
    await vmdkinfoReads(dir, 'md.vmdk');
  });

  test('space needed for a monolithicSparse clone equals the file qemu-img convert makes', async (t) => {
    if (!await requirePeer(t, ['qemu-img'])) return;
    const p = join(dir, 'sn.vmdk');
    await createDisk(p, { capacity: 64 * MiB });
    const gen = new DataGenerator(7);
    const d = await VmdkDisk.open(p);
    for (const g of [0, 1, 2, 50, 51, 300, 1023]) await d.write(g * GRAIN, gen.block(GRAIN, g % 2 ? 'text' : 'random'));
    await d.close();
    const need = await spaceNeededForClone(p, 'monolithicSparse');
    await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'vmdk', 'sn.vmdk', 'sn-clone.vmdk'], { cwd: dir });
    assert.equal((await stat(join(dir, 'sn-clone.vmdk'))).size, need);
  });
});
