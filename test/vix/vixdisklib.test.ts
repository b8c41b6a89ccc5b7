import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createVixDiskLib, VixError, VIX_OK, VIX_ASYNC, VIXDISKLIB_DISK_MONOLITHIC_SPARSE, VIXDISKLIB_ADAPTER_SCSI_LSILOGIC,
  VIXDISKLIB_HWVERSION_WORKSTATION_5, VIXDISKLIB_FLAG_OPEN_READ_ONLY, VIXDISKLIB_FLAG_OPEN_SINGLE_LINK, VIXDISKLIB_SECTOR_SIZE,
  VIXDISKLIB_DISK_SPLIT_FLAT, VIXDISKLIB_DISK_STREAM_OPTIMIZED, VIXDISKLIB_FLAG_OPEN_COMPRESSION_ZLIB,
  VIXDISKLIB_FLAG_OPEN_UNBUFFERED,
} from '../../src/index.js';
import { tempDir } from '../support/temp-dir.js';


async function code(p: Promise<unknown> | (() => unknown)): Promise<number> {
  try {
    if (typeof p === 'function') p(); else await p;
  } catch (err) {
    assert.ok(err instanceof VixError, `not a VixError: ${err}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.code;
  }
  return VIX_OK;
}

const createParams = (capacitySectors: number, diskType = VIXDISKLIB_DISK_MONOLITHIC_SPARSE) => ({
  diskType, adapterType: VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, hwVersion: VIXDISKLIB_HWVERSION_WORKSTATION_5, capacity: capacitySectors,
});

test('the classic calling sequence of a VixDiskLib program', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  const logs: string[] = [];
  const warns: string[] = [];
  const cfg = join(dir, 'vddk.conf');
  await writeFile(cfg, '# backup config\ntmpDirectory="/tmp"\nvixDiskLib.transport.LogLevel = 4\nVixDiskLib.nfcAio.Session.BufSizeIn64KB=16\nmade.up.key = 1\n');

  assert.equal(lib.ListTransportModes(), 'file:san:hotadd:nbdssl:nbd');
  assert.equal(await code(lib.ConnectEx(null, false, null, null)), 16001, 'calls before InitEx: VIX_E_DISK_NOINIT');
  await lib.InitEx(7, 0, (m) => logs.push(m), (m) => warns.push(m), null, null, cfg);
  assert.ok(warns.some((w) => w.includes('made.up.key')), 'unknown config keys are reported');
  assert.equal(lib.configuration.int('vixDiskLib.nfcAio.Session.BufSizeIn64KB', 1), 16, 'keys are case-insensitive');

  const conn = await lib.ConnectEx(null, false, null, null);
  const path = join(dir, 'disk.vmdk');
  const percents: number[] = [];
  await lib.Create(conn, path, createParams(2048 * 10), (data, pct) => { assert.equal(data, 'ctx'); percents.push(pct); }, 'ctx');
  assert.deepEqual([percents[0], percents[percents.length - 1]], [0, 100]);

  const h = await lib.Open(conn, path, 0);
  assert.equal(lib.GetTransportMode(h), 'file');
  const info = await lib.GetInfo(h);
  assert.equal(info.capacity, 20480);
  assert.equal(info.adapterType, VIXDISKLIB_ADAPTER_SCSI_LSILOGIC);
  assert.deepEqual(info.physGeo, { cylinders: 1, heads: 255, sectors: 63 });
  assert.equal(info.numLinks, 1);
  lib.FreeInfo(info);

  const data = new Uint8Array(8 * VIXDISKLIB_SECTOR_SIZE).fill(0x42);
  await lib.Write(h, 100n, 8n, data);
  const back = new Uint8Array(8 * VIXDISKLIB_SECTOR_SIZE);
  await lib.Read(h, 100, 8, back);
  assert.deepEqual(back, data);
  await lib.Close(h);

  await lib.Disconnect(conn);
  assert.deepEqual(await lib.Cleanup(null), { numCleanedUp: 0, numRemaining: 0 });
  const text = lib.GetErrorText(16007, null);
  assert.match(text, /out of bounds/);
  lib.FreeErrorText(text);
  lib.Exit();
  assert.equal(await code(lib.Connect(null)), 16001, 'calls after Exit: VIX_E_DISK_NOINIT');
  assert.ok(logs.some((l) => l.includes('opened')), 'log level 4 passes info lines to the log callback');
});

test('argument checks and error codes of I/O calls', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const path = join(dir, 'd.vmdk');
  await lib.Create(conn, path, createParams(1000), null, null);
  assert.equal(await code(lib.Create(conn, path, createParams(1000), null, null)), 12, 'exists');
  assert.equal(await code(lib.Open(conn, join(dir, 'missing.vmdk'), 0)), 4);
  const h = await lib.Open(conn, path, 0);
  assert.equal(await code(lib.Read(h, 0, 2, new Uint8Array(512))), 3, 'buffer of the wrong size');
  assert.equal(await code(lib.Read(h, 999, 2, new Uint8Array(1024))), 16007, 'past capacity');
  assert.equal(await code(lib.Read(h, -1, 1, new Uint8Array(512))), 3);
  assert.equal(await code(lib.Write(h, 2n ** 60n, 1, new Uint8Array(512))), 3);
  await lib.Close(h);
  assert.equal(await code(lib.Read(h, 0, 1, new Uint8Array(512))), 3, 'use after Close');

  const ro = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  assert.equal(await code(lib.Write(ro, 0, 1, new Uint8Array(512))), 11);
  await lib.Close(ro);
  const roConn = await lib.ConnectEx(null, true, null, 'file');
  const h2 = await lib.Open(roConn, path, 0);
  assert.equal(await code(lib.Write(h2, 0, 1, new Uint8Array(512))), 11, 'a read-only connection makes handles read-only');
  await lib.Disconnect(roConn);
  assert.equal(await code(lib.Read(h2, 0, 1, new Uint8Array(512))), 3, 'handles die with their connection');
  assert.equal(await code(lib.Open(roConn, path, 0)), 16054, 'a disconnected connection');

  const nbdOnly = await lib.ConnectEx(null, false, null, 'nbd:nbdssl');
  assert.equal(await code(lib.Open(nbdOnly, path, 0)), 6, 'no mode in the list can open a local disk');
  assert.equal(await code(lib.ConnectEx({ serverName: 'esx.example' }, false, null, null)), 3, 'a remote connection needs a vmxSpec');
  lib.Exit();
});

test('async I/O: hundreds in flight, completion callbacks, Wait, mixed mode refused', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const path = join(dir, 'a.vmdk');
  await lib.Create(conn, path, createParams(8192), null, null);
  const h = await lib.Open(conn, path, 0);
  const results: number[] = [];
  for (let i = 0; i < 256; i++) {
    const buf = new Uint8Array(16 * 512).fill(i & 0xff);
    assert.equal(lib.WriteAsync(h, i * 32, 16, buf, (cb, r) => results.push((cb as number) * 0 + r), i), VIX_ASYNC);
  }
  assert.equal(await code(lib.Read(h, 0, 1, new Uint8Array(512))), 26000, 'sync I/O while async is outstanding');
  await lib.Wait(h);
  assert.equal(results.length, 256);
  assert.ok(results.every((r) => r === VIX_OK));
  const reads: Array<Promise<void>> = [];
  for (let i = 0; i < 256; i++) {
    const buf = new Uint8Array(16 * 512);
    reads.push(new Promise((resolve) => lib.ReadAsync(h, i * 32, 16, buf, (_cb, r) => {
      assert.equal(r, VIX_OK);
      assert.ok(buf.every((b) => b === (i & 0xff)), `request ${i}`);
      resolve();
    }, null)));
  }
  await lib.Close(h); // drains
  await Promise.all(reads);
  const failed: number[] = [];
  const h2 = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  assert.equal(await code(() => lib.ReadAsync(h2, 8192, 1, new Uint8Array(512), () => failed.push(1), null)), 16007, 'immediate failure: no callback');
  await lib.Wait(h2);
  assert.deepEqual(failed, []);
  await lib.Close(h2);
  lib.Exit();
});

test('metadata: two-call pattern, buffer too small, unknown key, write and read back', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const path = join(dir, 'm.vmdk');
  await lib.Create(conn, path, createParams(4096), null, null);
  const h = await lib.Open(conn, path, 0);
  const { keys, requiredLen } = await lib.GetMetadataKeys(h, null);
  assert.ok(keys.includes('adapterType') && keys.includes('geometry.heads') && keys.includes('uuid'));
  const kbuf = new Uint8Array(requiredLen);
  await lib.GetMetadataKeys(h, kbuf, requiredLen);
  assert.equal(Buffer.from(kbuf).toString('utf8').split('\0').filter(Boolean).length, keys.length);
  const size = await lib.ReadMetadata(h, 'adapterType', null);
  assert.equal(size.requiredLen, 'lsilogic'.length + 1);
  assert.equal(await code(lib.ReadMetadata(h, 'adapterType', new Uint8Array(4))), 24);
  const vbuf = new Uint8Array(size.requiredLen);
  await lib.ReadMetadata(h, 'adapterType', vbuf, vbuf.length);
  assert.equal(Buffer.from(vbuf).toString('utf8'), 'lsilogic\0');
  assert.equal(await code(lib.ReadMetadata(h, 'no.such.key', null)), 16052);
  await lib.WriteMetadata(h, 'backup.lastRun', '2026-11-27');
  await lib.Close(h);
  const h2 = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  assert.equal((await lib.ReadMetadata(h2, 'backup.lastRun')).value, '2026-11-27');
  assert.equal(await code(lib.WriteMetadata(h2, 'x', 'y')), 11);
  await lib.Close(h2);
  lib.Exit();
});

test('QueryAllocatedBlocks follows VDDK rules and reports merged runs', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const path = join(dir, 'q.vmdk');
  const capacity = 128 * 100 + 50; // unaligned tail of 50 sectors
  await lib.Create(conn, path, createParams(capacity), null, null);
  const h = await lib.Open(conn, path, 0);
  await lib.Write(h, 128 * 3 + 5, 1, new Uint8Array(512).fill(1));
  await lib.Write(h, 128 * 4, 128, new Uint8Array(128 * 512).fill(1));
  await lib.Write(h, 128 * 50, 1, new Uint8Array(512).fill(1));
  assert.equal(await code(lib.QueryAllocatedBlocks(h, 0, 128 * 100, 64)), 3, 'chunk below 128');
  assert.equal(await code(lib.QueryAllocatedBlocks(h, 0, 128 * 100, 262144)), 3, 'chunk above 131072');
  assert.equal(await code(lib.QueryAllocatedBlocks(h, 1, 128, 128)), 3, 'unaligned start');
  assert.equal(await code(lib.QueryAllocatedBlocks(h, 0, 100, 128)), 3, 'unaligned count not at the end');
  assert.equal(await code(lib.QueryAllocatedBlocks(h, 0, capacity + 128, 128)), 16007);
  const list = await lib.QueryAllocatedBlocks(h, 0, capacity, 128);
  assert.deepEqual(list.blocks, [{ offset: 384, length: 256 }, { offset: 6400, length: 128 }, { offset: 12800, length: 50 }]);
  assert.equal(list.numBlocks, 3);
  lib.FreeBlockList(list);
  await lib.Close(h);
  lib.Exit();
});

test('Clone converts between types with progress; CreateChild and Attach build chains', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const src = join(dir, 'src.vmdk');
  await lib.Create(conn, src, createParams(4096), null, null);
  let h = await lib.Open(conn, src, 0);
  await lib.Write(h, 10, 2, new Uint8Array(1024).fill(7));
  await lib.Close(h);
  for (const type of [VIXDISKLIB_DISK_SPLIT_FLAT, VIXDISKLIB_DISK_STREAM_OPTIMIZED]) {
    const dst = join(dir, `clone-${type}.vmdk`);
    const pct: number[] = [];
    await lib.Clone(conn, dst, conn, src, createParams(0, type), (_d, p) => pct.push(p), null, false);
    assert.equal(pct[pct.length - 1], 100);
    assert.equal(await code(lib.Clone(conn, dst, conn, src, createParams(0, type), null, null, false)), 12);
    const c = await lib.Open(conn, dst, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    const buf = new Uint8Array(1024);
    await lib.Read(c, 10, 2, buf);
    assert.ok(buf.every((b) => b === 7));
    await lib.Close(c);
  }

  h = await lib.Open(conn, src, 0);
  const child = join(dir, 'child.vmdk');
  await lib.CreateChild(h, child, VIXDISKLIB_DISK_MONOLITHIC_SPARSE, null, null);
  assert.equal(await code(lib.CreateChild(h, join(dir, 'c2.vmdk'), VIXDISKLIB_DISK_SPLIT_FLAT, null, null)), 3);
  await lib.Close(h);

  const parent = await lib.Open(conn, src, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  const lone = await lib.Open(conn, child, VIXDISKLIB_FLAG_OPEN_SINGLE_LINK);
  const buf = new Uint8Array(1024);
  await lib.Read(lone, 10, 2, buf);
  assert.ok(buf.every((b) => b === 0), 'a single link alone has holes');
  await lib.IsAttachPossible(parent, lone);
  await lib.Attach(parent, lone);
  await lib.Read(lone, 10, 2, buf);
  assert.ok(buf.every((b) => b === 7), 'after Attach the child reads through its parent');
  assert.equal((await lib.GetInfo(lone)).numLinks, 2);
  assert.equal(await code(lib.Read(parent, 0, 1, new Uint8Array(512))), 3, 'the parent handle is spent');
  await lib.Close(parent);
  await lib.Close(lone);
  const root = await lib.Open(conn, src, 0);
  // Another disk as the would-be parent: src itself is locked for writing by `root`.
  const root2 = await lib.Open(conn, join(dir, `clone-${VIXDISKLIB_DISK_SPLIT_FLAT}.vmdk`), VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  assert.equal(await code(lib.IsAttachPossible(root2, root)), 16069, 'a root link cannot be attached');
  await lib.Close(root);
  await lib.Close(root2);
  lib.Exit();
});

test('many handles read and write in parallel; results checked byte for byte', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const pattern = (disk: number, block: number) => ((disk * 31 + block * 7) & 0xff) || 1;
  const disks = 6;
  const blocks = 48;
  const paths = await Promise.all(Array.from({ length: disks }, async (_, d) => {
    const p = join(dir, `p${d}.vmdk`);
    await lib.Create(conn, p, createParams(blocks * 128), null, null);
    return p;
  }));
  // Writers: one handle per disk, each with a queue of async writes (partial and whole grains).
  await Promise.all(paths.map(async (p, d) => {
    const h = await lib.Open(conn, p, 0);
    const done: Array<Promise<number>> = [];
    for (let b = 0; b < blocks; b++) {
      const n = b % 3 === 0 ? 128 : 37; // whole grains and partial ones
      const buf = new Uint8Array(n * 512).fill(pattern(d, b));
      done.push(new Promise((resolve) => lib.WriteAsync(h, b * 128, n, buf, (_c, r) => resolve(r), null)));
    }
    assert.deepEqual(new Set(await Promise.all(done)), new Set([VIX_OK]));
    await lib.Close(h);
  }));
  // Readers: several read-only handles per disk at once.
  await Promise.all(paths.flatMap((p, d) => [0, 1, 2].map(async () => {
    const h = await lib.Open(conn, p, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    const buf = new Uint8Array(128 * 512);
    for (let b = 0; b < blocks; b++) {
      await lib.Read(h, b * 128, 128, buf);
      const n = b % 3 === 0 ? 128 : 37;
      for (let i = 0; i < buf.length; i += 512) {
        const want = i < n * 512 ? pattern(d, b) : 0;
        if (buf[i] !== want || buf[i + 511] !== want) assert.fail(`disk ${d} block ${b} byte ${i}: ${buf[i]} != ${want}`);
      }
    }
    await lib.Close(h);
  })));
  await lib.Disconnect(conn);
  lib.Exit();
});

test('disk management: Grow, Shrink, Defragment, Rename, Unlink, CheckRepair, SpaceNeededForClone', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  const path = join(dir, 'g.vmdk');
  await lib.Create(conn, path, createParams(2048 * 8), null, null);

  await lib.Grow(conn, path, 2048 * 16, true, null, null);
  assert.equal(await code(lib.Grow(conn, path, 2048, false, null, null)), 3, 'Grow never shrinks');
  let h = await lib.Open(conn, path, 0);
  assert.equal((await lib.GetInfo(h)).capacity, 2048 * 16);
  // Half the grains written with data, half with zeros: Shrink gives the zero ones back.
  for (let g = 0; g < 32; g++) {
    await lib.Write(h, g * 128, 128, new Uint8Array(128 * 512).fill(g % 2 ? 0 : g + 1));
  }
  const before = await lib.SpaceNeededForClone(h, VIXDISKLIB_DISK_MONOLITHIC_SPARSE);
  const pct: number[] = [];
  await lib.Shrink(h, (_d, p) => pct.push(p), null);
  assert.equal(pct[0], 0);
  assert.equal(pct[pct.length - 1], 100);
  const after = await lib.SpaceNeededForClone(h, 256);
  assert.ok(after < before, `space needed ${after} after shrink, ${before} before`);
  const buf = new Uint8Array(128 * 512);
  await lib.Read(h, 4 * 128, 128, buf);
  assert.ok(buf.every((b) => b === 5), 'the handle still reads after Shrink');
  await lib.Defragment(h, null, null);
  await lib.Read(h, 30 * 128, 128, buf);
  assert.ok(buf.every((b) => b === 31));
  await lib.Close(h);
  await lib.CheckRepair(conn, path, false);
  await lib.CheckRepair(conn, path, true);

  const moved = join(dir, 'moved.vmdk');
  await lib.Rename(path, moved);
  assert.equal(await code(lib.Open(conn, path, 0)), 4);
  h = await lib.Open(conn, moved, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  await lib.Read(h, 0, 128, buf);
  assert.ok(buf.every((b) => b === 1));
  await lib.Close(h);
  await lib.Unlink(conn, moved);
  assert.equal(await code(lib.Open(conn, moved, 0)), 4);
  assert.equal(await code(lib.CheckRepair(conn, moved, false)), 4);
  lib.Exit();
});

test('connect params, access control, Init, error text, flags, busy disks, panics', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  const panics: string[] = [];
  const logFile = join(dir, 'vddk.log');
  const cfg = join(dir, 'c.conf');
  await writeFile(cfg, `log.fileName = "${logFile}"\nvixDiskLib.transport.LogLevel = 0\nnot a key value line\n`);
  await lib.Init(7, 0, () => assert.fail('level 0 passes no log lines'), () => {}, (m) => panics.push(m), null);
  lib.Exit();
  await lib.InitEx(7, 0, () => assert.fail('level 0 passes no log lines'), () => {}, (m) => panics.push(m), '/opt/vmware-vix-disklib-distrib', cfg);
  assert.equal(await code(lib.InitEx(99, 0, null, null, null, null, null)), 6, 'an API version from the future');
  assert.equal(await code(lib.InitEx(8, 0, null, null, null, null, join(dir, 'missing.conf'))), 4);
  await lib.InitEx(7, 0, () => assert.fail('level 0 passes no log lines'), () => {}, (m) => panics.push(m), '/opt/vmware-vix-disklib-distrib', cfg);

  const params = lib.AllocateConnectParams();
  assert.equal(params.serverName, null);
  const conn = await lib.ConnectEx(params, false, null, 'file:nbdssl');
  const copy = await lib.GetConnectParams(conn);
  assert.deepEqual(copy, params);
  copy.serverName = 'changed';
  assert.equal((await lib.GetConnectParams(conn)).serverName, null, 'GetConnectParams returns a copy');
  lib.FreeConnectParams(copy);
  await lib.PrepareForAccess(null, 'vixdisk-test');
  await lib.EndAccess(null, 'vixdisk-test');
  assert.equal(await code(lib.PrepareForAccess(null, '')), 3);
  assert.equal(await code(lib.PrepareForAccess({ serverName: 'vc.example' }, 'x')), 3, 'PrepareForAccess names the VM (vmxSpec)');
  assert.equal(await code(lib.Cleanup({ vmxSpec: 'moref=vm-1' })), 3, 'Cleanup takes no vmxSpec');

  assert.equal(lib.GetErrorText(0x1234000000003e8fn, null), lib.GetErrorText(16015, null), 'only the low 16 bits count');
  assert.equal(lib.GetErrorText(16063, null), 'The specified file is not a virtual disk');

  const path = join(dir, 'f.vmdk');
  await lib.Create(conn, path, createParams(4096), null, null);
  const h = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_COMPRESSION_ZLIB | VIXDISKLIB_FLAG_OPEN_UNBUFFERED);
  assert.equal(await code(lib.Grow(conn, path, 8192, false, null, null)), 15, 'Grow wants the disk closed');
  assert.equal(await code(lib.Unlink(conn, path)), 15);
  await lib.Close(h);
  await lib.Grow(conn, path, 8192, false, null, null);

  // An internal fault (here a getter that throws) reaches the panic sink and fails the call only.
  const hostile = { diskType: 1, adapterType: 1, hwVersion: 4, get capacity(): number { throw new TypeError('boom'); } };
  assert.equal(await code(lib.Create(conn, join(dir, 'p.vmdk'), hostile, null, null)), 1);
  assert.equal(panics.length, 1);
  assert.match(panics[0]!, /boom/);
  await lib.Disconnect(conn);
  lib.Exit();
  await new Promise((r) => setTimeout(r, 50));
  assert.match(await readFile(logFile, 'utf8'), /PANIC: Create: internal error: boom/, 'log.fileName receives the lines');
});

test('Open, as VDDK, opens VMDKs only: a name is no format, a raw image is refused with 16063 whatever it is called', async (t) => {
  const dir = await tempDir(t, 'vixdisk-vix-');
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, null, null, null, null, null);
  const conn = await lib.ConnectEx(null, false, null, null);
  const raw = Buffer.alloc(1 << 20, 0x5a);
  for (const name of ['raw.img', 'raw.vmdk']) {
    await writeFile(join(dir, name), raw);
    assert.equal(await code(lib.Open(conn, join(dir, name), VIXDISKLIB_FLAG_OPEN_READ_ONLY)), 16063, name);
    assert.deepEqual(await readFile(join(dir, name)), raw, `${name} is unchanged`);
  }
  // A VMDK under another name opens: VixDiskLib has no raw images, so there is nothing to tell apart.
  await lib.Create(conn, join(dir, 'disk.vmdk'), createParams(2048), null, null);
  await writeFile(join(dir, 'disk.bin'), await readFile(join(dir, 'disk.vmdk')));
  const h = await lib.Open(conn, join(dir, 'disk.bin'), VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  assert.equal((await lib.GetInfo(h)).capacity, 2048);
  await lib.Close(h);
  await lib.Disconnect(conn);
  lib.Exit();
});
