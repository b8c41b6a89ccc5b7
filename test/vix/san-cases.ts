import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VIX_E_FAIL, VIX_OK } from '../../src/errors/error-codes.js';
import { createDefaultConfig } from '../../src/host/default-config.js';
import { DEFAULT_DATA_LENGTH, DEFAULT_DATA_OFFSETS, defaultDiskData } from '../../src/host/inventory/default-inventory.js';
import { createVixDiskLib, type VixDiskLibApi } from '../../src/vix/vixdisklib.js';
import type { VixDiskLibConnectParams } from '../../src/vix/types.js';
import { VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, VIXDISKLIB_DISK_MONOLITHIC_SPARSE, VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';
import { moRef, VimClient } from '../../src/vsphere/vim-client.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { startHost, type RunningHost } from '../support/host-process.js';
import { vixFailure } from './remote-support.js';

// The san transport cases, run by remote-san-vcenter.test.ts and remote-san-esxi.test.ts against
// `vixdisk host` with datastore1 on a LUN (docs/san.md), in both
// personalities: chosen in `san:nbdssl` for web's thick base disk in a snapshot, reading what
// nbdssl reads; writes to a powered-off VM's thick base land where nbdssl reads them; and each
// case SAN does not apply to is skipped with its reason in the log, nbdssl serving instead.

interface SanWorld {
  host: RunningHost;
  dir: string;
  fabric: string;
  naa: string;
  web: ManagedObjectReference;
  params(user: string, extra?: Partial<VixDiskLibConnectParams>): VixDiskLibConnectParams;
  /** A library initialised with these extra config lines; its log in `logs`. */
  lib(lines?: string[]): Promise<{ lib: VixDiskLibApi; logs: string[] }>;
  vim(user: string): Promise<VimClient>;
  close(): Promise<void>;
}

async function startSanWorld(personality: 'vcenter' | 'esxi'): Promise<SanWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-san-'));
  // The embedded default's config and accounts, as a first start makes them, with datastore1 on a LUN.
  await createDefaultConfig(join(dir, 'host.json'), join(dir, 'passwords.json'), personality);
  const config = JSON.parse(await readFile(join(dir, 'host.json'), 'utf8')) as Record<string, unknown>;
  config.san = { fabricDirectory: 'fabric', luns: [{ datastore: 'datastore1', sizeMiB: 256 }] };
  await writeFile(join(dir, 'host.json'), JSON.stringify(config, null, 2));
  const host = await startHost(['--data', dir, '--personality', personality]);
  const fabric = join(dir, 'fabric');
  const [link] = await readdir(fabric);
  const naa = `naa.${/^wwn-0x([0-9a-f]{32})$/.exec(link!)![1]}`;
  const url = new URL(host.ready.url);
  const libs: VixDiskLibApi[] = [];
  const vims: VimClient[] = [];
  const vcenter = personality === 'vcenter';
  return {
    host, dir, fabric, naa,
    web: moRef('VirtualMachine', vcenter ? 'vm-13' : '13'),
    params: (user, extra = {}) => ({
      vmxSpec: vcenter ? 'moref=vm-13' : 'moref=13',
      serverName: url.hostname, port: Number(url.port), thumbPrint: host.ready.thumbprintSha1, credType: 1,
      creds: { uid: { userName: user, password: host.password(user) } },
      ...extra,
    }),
    lib: async (lines = []) => {
      const lib = createVixDiskLib();
      const logs: string[] = [];
      const file = join(dir, `vixdisklib-${libs.length}.conf`);
      await writeFile(file, ['vixDiskLib.transport.LogLevel = 4', 'vixDiskLib.nfcAio.Session.BufSizeIn64KB = 16', 'vixDiskLib.nfcAio.Session.BufCount = 8',
        `vixDiskLib.transport.san.deviceDirectory = ${fabric}`, ...lines, ''].join('\n'));
      await lib.InitEx(8, 0, (m) => logs.push(m), (m) => logs.push(`WARN ${m}`), (m) => logs.push(`PANIC ${m}`), null, file);
      libs.push(lib);
      return { lib, logs };
    },
    vim: async (user) => {
      const c = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
      await c.login(user, host.password(user));
      vims.push(c);
      return c;
    },
    close: async () => {
      for (const v of vims) {
        await v.logout().catch(() => undefined);
        v.close();
      }
      for (const l of libs) l.Exit();
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The whole disk, 16 async reads of 1 MiB in flight. */
async function readAll(lib: VixDiskLibApi, h: Parameters<VixDiskLibApi['Read']>[0]): Promise<Buffer> {
  const { capacity } = await lib.GetInfo(h);
  const out = Buffer.alloc(capacity * 512);
  const per = 2048;
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const issue = () => {
      while (inFlight < 16 && next < capacity) {
        const s = next;
        const n = Math.min(per, capacity - s);
        next += n;
        inFlight++;
        lib.ReadAsync(h, s, n, out.subarray(s * 512, (s + n) * 512), (_d, result) => {
          inFlight--;
          if (result !== VIX_OK) reject(new Error(`read at sector ${s}: ${result}`));
          else if (next >= capacity && inFlight === 0) resolve();
          else issue();
        }, null);
      }
    };
    issue();
  });
  await lib.Wait(h);
  return out;
}

/** Open `path` with `modes`: the transport used, the bytes read, and the library's log. */
async function openAndRead(w: SanWorld, user: string, path: string, modes: string, opts: { snapshot?: string; lines?: string[]; vmxSpec?: string } = {}) {
  const { lib, logs } = await w.lib(opts.lines);
  const conn = await lib.ConnectEx(w.params(user, opts.vmxSpec ? { vmxSpec: opts.vmxSpec } : {}), true, opts.snapshot ?? null, modes);
  try {
    const h = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    const mode = lib.GetTransportMode(h);
    const data = await readAll(lib, h);
    await lib.Close(h);
    return { mode, data, logs };
  } finally {
    await lib.Disconnect(conn);
  }
}

/** Open `path` with `modes` and close it again: the transport used and the library's log. */
async function openOnly(w: SanWorld, user: string, path: string, modes: string, opts: { snapshot?: string; lines?: string[]; vmxSpec?: string } = {}) {
  const { lib, logs } = await w.lib(opts.lines);
  const conn = await lib.ConnectEx(w.params(user, opts.vmxSpec ? { vmxSpec: opts.vmxSpec } : {}), true, opts.snapshot ?? null, modes);
  try {
    const h = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    const mode = lib.GetTransportMode(h);
    await lib.Close(h);
    return { mode, logs };
  } finally {
    await lib.Disconnect(conn);
  }
}

export function sanTransportCases(personality: 'vcenter' | 'esxi'): void {
  describe(`san transport (${personality})`, () => {
    let w: SanWorld;
    let snapshot: ManagedObjectReference;
    let viaNbdssl: Buffer;
    const webDisk = '[datastore1] web/web.vmdk';
    before(async () => {
      w = await startSanWorld(personality);
      const vim = await w.vim('administrator');
      snapshot = await vim.waitForTask(await vim.call('CreateSnapshot_Task', w.web, { name: 'san', memory: false, quiesce: false }) as ManagedObjectReference) as ManagedObjectReference;
      viaNbdssl = (await openAndRead(w, 'administrator', webDisk, 'nbdssl', { snapshot: snapshot.value })).data;
    });
    after(async () => { await w?.close(); });

    test('the LUN: reported by the datastore as a VMFS extent, visible in the fabric, holding web\'s thick disk', async () => {
      const vim = await w.vim('administrator');
      const { datastore } = await vim.retrieveProperties(w.web, ['datastore']) as { datastore: ManagedObjectReference[] };
      const infos = await Promise.all(datastore.map((d) => vim.retrieveProperties(d, ['name', 'info'])));
      const ds1 = infos.find((i) => i.name === 'datastore1')!.info as { vmfs: { extent: Array<{ diskName: string; partition: number }>; local: boolean } };
      assert.deepEqual(ds1.vmfs.extent.map((e) => [e.diskName, e.partition]), [[w.naa, 1]]);
      assert.match(w.naa, /^naa\.6000c29[0-9a-f]{25}$/);
      assert.equal(ds1.vmfs.local, false);
      assert.equal(await readlink(join(w.fabric, `wwn-0x${w.naa.slice(4)}`)), join(w.dir, 'luns', 'datastore1.lun'));
      const files = await readdir(join(w.dir, 'datastores', 'datastore1', 'web'));
      assert.ok(!files.includes('web-flat.vmdk'), 'the thick extent lives on the LUN, not in the folder');
      assert.ok(files.includes('web_1-flat.vmdk'), 'the thin disk stays a file');
    });

    test('san is chosen in san:nbdssl for the snapshot\'s thick base disk and reads what nbdssl reads', async () => {
      const { mode, data, logs } = await openAndRead(w, 'administrator', webDisk, 'san:nbdssl', { snapshot: snapshot.value });
      assert.equal(mode, 'san');
      assert.ok(data.equals(viaNbdssl), 'san and nbdssl read the same bytes');
      for (const offset of DEFAULT_DATA_OFFSETS) {
        assert.ok(data.subarray(offset, offset + DEFAULT_DATA_LENGTH).equals(defaultDiskData('web/web.vmdk', offset, DEFAULT_DATA_LENGTH)));
      }
      assert.ok(logs.some((l) => l.includes(`san: [datastore1] web/web.vmdk on LUN ${w.naa}`)), logs.join('\n'));
    });

    const skipped = async (user: string, path: string, opts: Parameters<typeof openAndRead>[4], reason: RegExp) => {
      const { mode, logs } = await openOnly(w, user, path, 'san:nbdssl', opts);
      assert.equal(mode, 'nbdssl');
      const line = logs.find((l) => l.includes(`Open ${path}: skipped san:`));
      assert.ok(line, `the skip is logged: ${logs.join('\n')}`);
      assert.match(line, reason);
    };

    test('skipped with the reason: no device of the LUN in the scanned directory', async () => {
      const empty = join(w.dir, 'empty-fabric');
      await mkdir(empty, { recursive: true });
      await skipped('administrator', webDisk, { snapshot: snapshot.value, lines: [`vixDiskLib.transport.san.deviceDirectory = ${empty}`] },
        new RegExp(`no device of LUN ${w.naa} is visible in ${empty}`));
    });

    test('skipped with the reason: the device is blacklisted; not in the whitelist; deny all', async () => {
      const device = join(w.fabric, `wwn-0x${w.naa.slice(4)}`);
      await skipped('administrator', webDisk, { snapshot: snapshot.value, lines: [`vixDiskLib.transport.san.blacklist = /dev/sdq, ${device}`] },
        /is in the SAN deny list/);
      await skipped('administrator', webDisk, { snapshot: snapshot.value, lines: ['vixDiskLib.transport.san.whitelist = /dev/sdq,/dev/sdr'] },
        /is not in the SAN allow list/);
      await skipped('administrator', webDisk, { snapshot: snapshot.value, lines: ['vixDiskLib.transport.san.denyList = all'] },
        /is not in the SAN allow list/);
      // The allow list names the LUN file the link leads to (its real path), with a wildcard: used.
      const { mode } = await openOnly(w, 'administrator', webDisk, 'san:nbdssl', {
        snapshot: snapshot.value, lines: ['vixDiskLib.transport.san.denyList = all', `vixDiskLib.transport.san.allowList = ${join(w.dir, 'luns')}/*.lun`],
      });
      assert.equal(mode, 'san');
    });

    test('skipped with the reason: a thin disk, a snapshot delta, a user without DiskLease', async () => {
      await skipped('administrator', '[datastore1] web/web_1.vmdk', { snapshot: snapshot.value }, /thin provisioned/);
      await skipped('administrator', '[datastore2] app/app-000001.vmdk', { vmxSpec: personality === 'vcenter' ? 'moref=vm-15' : 'moref=15' }, /redo log \(snapshot delta\)/);
      await skipped('backup', webDisk, { snapshot: snapshot.value }, /NoPermission.*DiskLease|DiskLease.*NoPermission|VirtualMachine\.Config\.DiskLease/);
    });

    test('skipped with the reason: a powered-on VM without a snapshot; a local connection', async () => {
      await skipped('administrator', webDisk, {}, /is poweredOn and no snapshot is named/);
      const { lib, logs } = await w.lib();
      const local = join(w.dir, 'local.vmdk');
      await lib.Create(await lib.Connect(null), local, { diskType: VIXDISKLIB_DISK_MONOLITHIC_SPARSE, adapterType: VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, hwVersion: 10, capacity: 2048 }, null, null);
      const conn = await lib.ConnectEx(null, true, null, 'san:file');
      const h = await lib.Open(conn, local, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
      assert.equal(lib.GetTransportMode(h), 'file');
      assert.ok(logs.some((l) => /skipped san: needs a connection to a host/.test(l)), logs.join('\n'));
      await lib.Close(h);
      await lib.Disconnect(conn);
    });

    test('the lease calls: bound to their session and VM, checked regions, refusals a real host would give', async () => {
      const a = await w.vim('administrator');
      const b = await w.vim('administrator');
      const viewer = await w.vim('viewer');
      const acquire = (c: VimClient, args: Record<string, unknown>) => c.call('VixdiskSanAcquireDiskLease', w.web, { snapshot, diskPath: webDisk, writable: false, ...args });
      const lease = await acquire(a, {}) as { lease: string; diskName: string; capacityInBytes: number };
      assert.equal(lease.diskName, w.naa);
      const map = await a.call('VixdiskSanMapDiskRegion', w.web, { lease: lease.lease, start: 4096, length: 8192 }) as Array<{ diskOffset: number; lunOffset: number; length: number }>;
      assert.equal(map.length, 1);
      assert.equal(map[0]!.diskOffset, 4096);
      assert.equal(map[0]!.length, 8192);
      await assert.rejects(b.call('VixdiskSanMapDiskRegion', w.web, { lease: lease.lease, start: 0, length: 512 }), /InvalidArgument.*no such lease in this session/);
      await assert.rejects(a.call('VixdiskSanMapDiskRegion', w.web, { lease: lease.lease, start: lease.capacityInBytes, length: 512 }), /InvalidArgument.*not inside the disk/);
      await assert.rejects(acquire(viewer, {}), /NoPermission/);
      await assert.rejects(acquire(a, { writable: true }), /FileLocked/, 'the snapshot holds the base: no writes');
      await assert.rejects(acquire(a, { diskPath: '[datastore1] db/db.vmdk' }), /InvalidArgument.*is not a disk of/);
      await a.call('VixdiskSanReleaseDiskLease', w.web, { lease: lease.lease });
      await assert.rejects(a.call('VixdiskSanMapDiskRegion', w.web, { lease: lease.lease, start: 0, length: 512 }), /no such lease/);
      // A session's leases end with it.
      const second = await acquire(b, {}) as { lease: string };
      await b.logout();
      const b2 = await w.vim('administrator');
      await assert.rejects(b2.call('VixdiskSanMapDiskRegion', w.web, { lease: second.lease, start: 0, length: 512 }), /no such lease/);
    });

    test('a block map past the end of the visible device is one VixError line', async () => {
      const short = join(w.dir, 'short-fabric');
      await mkdir(short, { recursive: true });
      const image = join(w.dir, 'short.lun');
      await copyFile(join(w.dir, 'luns', 'datastore1.lun'), image);
      await truncate(image, 8 << 20);
      await symlink(image, join(short, `wwn-0x${w.naa.slice(4)}`));
      const { lib } = await w.lib([`vixDiskLib.transport.san.deviceDirectory = ${short}`]);
      const conn = await lib.ConnectEx(w.params('administrator'), true, snapshot.value, 'san');
      const err = await vixFailure(lib.Open(conn, webDisk, VIXDISKLIB_FLAG_OPEN_READ_ONLY));
      assert.equal(err.code, VIX_E_FAIL);
      assert.match(err.message, /block map of \[datastore1\] web\/web\.vmdk is not usable: an extent reaches past the end of/);
      assert.ok(!err.message.includes('\n'));
      await lib.Disconnect(conn);
    });

    test('writes over san to a powered-off VM\'s thick base disk land where nbdssl reads them', async () => {
      const vim = await w.vim('administrator');
      await vim.waitForTask(await vim.call('RemoveSnapshot_Task', snapshot, { removeChildren: false }) as ManagedObjectReference);
      await vim.waitForTask(await vim.call('PowerOffVM_Task', w.web) as ManagedObjectReference);
      const { lib, logs } = await w.lib();
      const conn = await lib.ConnectEx(w.params('administrator'), false, null, 'san:nbdssl');
      const h = await lib.Open(conn, webDisk, 0);
      assert.equal(lib.GetTransportMode(h), 'san', logs.join('\n'));
      const pattern = Buffer.alloc(256 * 512, 0x6b);
      await lib.Write(h, 10_000, 256, pattern);
      const done: number[] = [];
      for (let i = 0; i < 8; i++) lib.WriteAsync(h, 20_000 + i * 64, 64, Buffer.alloc(64 * 512, i + 1), (_d, r) => done.push(r), null);
      await lib.Wait(h);
      assert.deepEqual(done, Array(8).fill(VIX_OK));
      await lib.Flush(h);
      await lib.Close(h);
      await lib.Disconnect(conn);
      const { data } = await openAndRead(w, 'administrator', webDisk, 'nbdssl');
      assert.ok(data.subarray(10_000 * 512, 10_256 * 512).equals(pattern));
      for (let i = 0; i < 8; i++) assert.ok(data.subarray((20_000 + i * 64) * 512, (20_000 + (i + 1) * 64) * 512).every((b) => b === i + 1));
      assert.ok(data.subarray(0, DEFAULT_DATA_LENGTH).equals(defaultDiskData('web/web.vmdk', 0, DEFAULT_DATA_LENGTH)), 'the rest is unchanged');
    });
  });
}
