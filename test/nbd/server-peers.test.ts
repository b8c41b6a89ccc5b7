import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockDevice } from '../../src/block/block-device.js';
import { allocationMap } from '../../src/block/allocation-map.js';
import { NbdServer } from '../../src/nbd/server.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { DataGenerator, firstDifference, makeTempDir, removeTempDir, requirePeer, run, runOk } from '../interop/peers.js';
import { assertSameImage, makeRawDisk, MiB, openRaw } from './nbd-support.js';

// Our server with the Linux NBD tools: nbdinfo (plain, --list, --map), nbdcopy both ways,
// qemu-img convert/compare over nbd: URIs, qemu-io writes; VMDK and raw exports, TCP and Unix.

const SIZE = 24 * MiB;

describe('NBD server with nbdinfo, nbdcopy, qemu-img and qemu-io', () => {
  let dir: string;
  let src: { path: string; data: Buffer };
  let vmdkPath: string;
  let vmdk: VmdkDisk;
  let rawTarget: BlockDevice;
  let rawTargetPath: string;
  let vmdkTargetPath: string;
  let vmdkTarget: VmdkDisk;
  let server: NbdServer;
  let unixServer: NbdServer;
  let uri: (name: string) => string;

  before(async () => {
    dir = await makeTempDir('nbd-server');
    src = await makeRawDisk(dir, 'src.raw', SIZE, 7);
    vmdkPath = join(dir, 'src.vmdk');
    await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', src.path, vmdkPath]);
    vmdk = await VmdkDisk.open(vmdkPath, { readOnly: true });
    rawTargetPath = join(dir, 'target.raw');
    await writeFile(rawTargetPath, Buffer.alloc(SIZE));
    rawTarget = await openRaw(rawTargetPath);
    vmdkTargetPath = join(dir, 'target.vmdk');
    await runOk('qemu-img', ['create', '-f', 'vmdk', '-o', 'subformat=monolithicSparse', vmdkTargetPath, String(SIZE)]);
    vmdkTarget = await VmdkDisk.open(vmdkTargetPath);
    const exports = [
      { name: 'vmdk', device: vmdk, description: 'a sparse VMDK' },
      { name: 'raw', device: rawTarget },
      { name: 'vmdk-rw', device: vmdkTarget },
    ];
    server = await new NbdServer({ exports, port: 0 }).listen();
    unixServer = await new NbdServer({ exports, socket: join(dir, 'nbd.sock') }).listen();
    uri = (name) => server.uri(name);
  });

  after(async () => {
    await server?.close();
    await unixServer?.close();
    await vmdk?.close();
    await rawTarget?.close();
    await vmdkTarget?.close().catch(() => undefined);
    await removeTempDir(dir);
  });

  test('nbdinfo shows the export, its flags and block sizes', async (t) => {
    if (!await requirePeer(t, 'nbdinfo')) return;
    const r = await runOk('nbdinfo', ['--json', uri('vmdk')]);
    const info = JSON.parse(r.stdout) as { protocol: string; exports: Array<Record<string, unknown>> };
    assert.match(info.protocol, /newstyle-fixed/);
    const e = info.exports[0]!;
    assert.equal(e['export-size'], SIZE);
    assert.equal(e['description'], 'a sparse VMDK');
    assert.equal(e['is_read_only'], true);
    assert.equal(e['can_multi_conn'], true);
    assert.equal(e['can_df'], true);
    assert.equal(e['block_size_maximum'], 32 * MiB);
    assert.deepEqual(e['contexts'], ['base:allocation']);
    const w = JSON.parse((await runOk('nbdinfo', ['--json', uri('raw')])).stdout) as typeof info;
    assert.equal(w.exports[0]!['is_read_only'], false);
    assert.equal(w.exports[0]!['can_zero'], true);
    assert.equal(w.exports[0]!['can_flush'], true);
  });

  test('nbdinfo --list names every export, over TCP and a Unix socket', async (t) => {
    if (!await requirePeer(t, 'nbdinfo')) return;
    for (const u of [uri('vmdk'), unixServer.uri('vmdk')]) {
      const r = await runOk('nbdinfo', ['--json', '--list', u]);
      const names = (JSON.parse(r.stdout) as { exports: Array<{ 'export-name': string }> }).exports.map((e) => e['export-name']);
      assert.deepEqual(names.sort(), ['raw', 'vmdk', 'vmdk-rw']);
    }
  });

  test('nbdinfo --map reports the VMDK allocation map: holes where qemu-img left none', async (t) => {
    if (!await requirePeer(t, ['nbdinfo', 'qemu-img'])) return;
    const r = await runOk('nbdinfo', ['--map', '--json', uri('vmdk')]);
    const map = JSON.parse(r.stdout) as Array<{ offset: number; length: number; type: number }>;
    const ours = await allocationMap(vmdk);
    const dataOf = (xs: Array<{ offset: number; length: number }>) => xs.reduce((s, x) => s + x.length, 0);
    assert.equal(dataOf(map.filter((m) => m.type === 0)), dataOf(ours.filter((e) => e.allocated)));
    assert.ok(map.some((m) => m.type === 3), 'some extents are hole,zero');
    const qemuMap = JSON.parse((await runOk('qemu-img', ['map', '--output=json', vmdkPath])).stdout) as Array<{ offset: number; length: number; data: boolean }>;
    assert.equal(dataOf(map.filter((m) => m.type === 0)), dataOf(qemuMap.filter((m) => m.data)));
  });

  test('nbdcopy pulls the VMDK export byte for byte (both transports)', async (t) => {
    if (!await requirePeer(t, 'nbdcopy')) return;
    for (const [i, u] of [uri('vmdk'), unixServer.uri('vmdk')].entries()) {
      const out = join(dir, `pulled-${i}.raw`);
      await runOk('nbdcopy', [u, out]);
      const got = await readFile(out);
      assert.equal(firstDifference(got, src.data), -1, `nbdcopy from ${u} differs`);
    }
  });

  test('nbdcopy pushes into a raw export and into a VMDK export', async (t) => {
    if (!await requirePeer(t, ['nbdcopy', 'qemu-img'])) return;
    const other = new DataGenerator(99).mixed(SIZE);
    const otherPath = join(dir, 'other.raw');
    await writeFile(otherPath, other);
    await runOk('nbdcopy', ['--flush', otherPath, uri('raw')]);
    assert.equal(firstDifference(await readFile(rawTargetPath), other), -1);
    await runOk('nbdcopy', ['--flush', otherPath, uri('vmdk-rw')]);
    // The VMDK written over NBD is a valid sparse VMDK with the same contents, per qemu-img.
    await assertSameImage(vmdkTargetPath, 'vmdk', otherPath, 'raw');
    await runOk('qemu-img', ['check', '-f', 'vmdk', vmdkTargetPath]);
  });

  test('qemu-img convert and compare with nbd: URIs', async (t) => {
    if (!await requirePeer(t, 'qemu-img')) return;
    const out = join(dir, 'converted.raw');
    await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', uri('vmdk'), out]);
    assert.equal(firstDifference(await readFile(out), src.data), -1);
    await runOk('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', uri('vmdk'), src.path]);
    await runOk('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', unixServer.uri('vmdk'), vmdkPath]);
  });

  test('qemu-io writes, zeroes and reads back through the server', async (t) => {
    if (!await requirePeer(t, 'qemu-io')) return;
    await runOk('qemu-io', ['-f', 'raw', uri('raw'),
      '-c', 'write -P 0xab 1M 64k',
      '-c', 'write -z 3M 1M',
      '-c', 'write -P 0xcd 5M 512',
      '-c', 'flush',
      '-c', 'read -P 0xab 1M 64k',
      '-c', 'read -P 0 3M 1M',
      '-c', 'read -P 0xcd 5M 512']);
    const file = await readFile(rawTargetPath);
    assert.ok(file.subarray(MiB, MiB + 65536).every((b) => b === 0xab));
    assert.ok(file.subarray(3 * MiB, 4 * MiB).every((b) => b === 0));
    assert.ok(file.subarray(5 * MiB, 5 * MiB + 512).every((b) => b === 0xcd));
    // A write to the read-only export fails and changes nothing.
    const w = await run('qemu-io', ['-f', 'raw', uri('vmdk'), '-c', 'write -P 1 0 512']);
    assert.match(w.stdout + w.stderr, /read-only|Operation not permitted|Permission denied|not permitted/i);
    const first = Buffer.alloc(512);
    await vmdk.read(0, first);
    assert.equal(firstDifference(first, src.data.subarray(0, 512)), -1);
  });
});
