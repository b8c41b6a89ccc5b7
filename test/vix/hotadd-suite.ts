import { describe, test, before, after } from 'node:test';

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startRemoteWorld, vixFailure, type RemoteWorld } from './remote-support.js';
import { VIX_E_NOT_SUPPORTED } from '../../src/errors/error-codes.js';
import { createVixDiskLib, type VixDiskLibApi } from '../../src/vix/vixdisklib.js';
import type { VixDiskLibHandle } from '../../src/vix/disk-handle.js';
import { VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';
import { moRef, type VimClient } from '../../src/vsphere/vim-client.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';

// The hotadd transport against `vixdisk host` with a backup proxy (docs/hotadd.md): this test
// process "runs inside" backup-proxy by the identity file the host publishes for it.

const PROXY = 'backup-proxy';
const CHILD = fileURLToPath(new URL('./hotadd-child.js', import.meta.url));

interface World {
  w: RemoteWorld;
  lib: VixDiskLibApi;
  logs: string[];
  configFile: string;
  vm(name: 'web' | 'db' | 'app'): string;
  ref(name: 'web' | 'db' | 'app'): ManagedObjectReference;
}

async function proxyWorld(personality: 'vcenter' | 'esxi'): Promise<World> {
  const w = await startRemoteWorld(personality, { backupProxies: [PROXY] });
  const configFile = join(w.dir, 'hotadd.conf');
  await writeFile(configFile, [
    'vixDiskLib.transport.LogLevel = 4',
    `vixDiskLib.transport.hotadd.identityFile = ${join(w.dir, 'guests', PROXY, 'sys/class/dmi/id/product_uuid')}`,
    `tmpDirectory = ${join(w.dir, 'vddk-tmp')}`, '',
  ].join('\n'));
  const lib = createVixDiskLib();
  const logs: string[] = [];
  await lib.InitEx(8, 0, (m) => logs.push(m), (m) => logs.push(`WARN ${m}`), (m) => logs.push(`PANIC ${m}`), null, configFile);
  const numbers = { web: 13, db: 14, app: 15 };
  const vm = (name: 'web' | 'db' | 'app') => personality === 'vcenter' ? `vm-${numbers[name]}` : String(numbers[name]);
  return { w, lib, logs, configFile, vm, ref: (name) => moRef('VirtualMachine', vm(name)) };
}

async function readAll(lib: VixDiskLibApi, h: VixDiskLibHandle): Promise<Buffer> {
  const info = await lib.GetInfo(h);
  const out = Buffer.alloc(info.capacity * 512);
  const chunk = 1 << 20;
  const pending: Array<Promise<void>> = [];
  for (let off = 0; off < out.length; off += chunk) {
    pending.push(new Promise<void>((resolve, reject) => {
      lib.ReadAsync(h, off / 512, chunk / 512, out.subarray(off, off + chunk), (_data, err) => (err === 0 ? resolve() : reject(new Error(`ReadAsync: ${err}`))), null);
    }));
  }
  await lib.Wait(h);
  await Promise.all(pending);
  return out;
}

/** The default disks' data areas (default-inventory.ts) and a few places between them. */
const REGIONS = [[0, 65536], [(1 << 20) + 4096 - 512, 65536 + 1024], [(8 << 20) - 4096, 69632], [(32 << 20) + 512, 4096], [(64 << 20) - 65536, 65536]] as const;

async function readRegions(lib: VixDiskLibApi, h: VixDiskLibHandle): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const [offset, length] of REGIONS) {
    const b = Buffer.alloc(length);
    await lib.Read(h, offset / 512, length / 512, b);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function regionsOf(whole: Buffer): Buffer {
  return Buffer.concat(REGIONS.map(([offset, length]) => whole.subarray(offset, offset + length)));
}

async function snapshot(vim: VimClient, vm: ManagedObjectReference): Promise<ManagedObjectReference> {
  const task = await vim.call('CreateSnapshot_Task', vm, { name: 'hotadd', memory: false, quiesce: false }) as ManagedObjectReference;
  return await vim.waitForTask(task) as ManagedObjectReference;
}

async function proxyDisks(w: RemoteWorld, vim: VimClient): Promise<Array<{ key: number; backing: { fileName: string; diskMode: string } }>> {
  const sc = await vim.serviceContent();
  const proxy = await vim.call('FindByInventoryPath', sc.searchIndex!, { inventoryPath: `${w.host.ready.personality === 'esxi' ? 'ha-datacenter' : 'dc1'}/vm/${PROXY}` }) as ManagedObjectReference;
  const { 'config.hardware.device': devices } = await vim.retrieveProperties(proxy, ['config.hardware.device']) as { 'config.hardware.device': Array<{ _type: string; key: number; backing: { fileName: string; diskMode: string } }> };
  return devices.filter((d) => d._type === 'VirtualDisk');
}

/** A child process that attaches `disk` over hotadd, then is SIGKILLed while it holds it. */
async function attachedThenKilled(x: World, params: object, snapshotRef: string, disk: string): Promise<void> {
  const child = spawn(process.execPath, [CHILD], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIXDISK_TEST_PARAMS: JSON.stringify(params), VIXDISK_TEST_CONFIG: x.configFile, VIXDISK_TEST_SNAPSHOT: snapshotRef, VIXDISK_TEST_DISK: disk },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(); });
    void exited.then(() => reject(new Error(`the child exited before attaching: ${err}`)));
  });
  assert.equal(out.trim(), 'attached hotadd');
  child.kill('SIGKILL');
  await exited;
}

export function hotaddSuite(personality: 'vcenter' | 'esxi'): void {
  describe(`hotadd (${personality})`, () => {
    let x: World;
    before(async () => { x = await proxyWorld(personality); });
    after(async () => { x?.lib.Exit(); await x?.w.close(); });

    test('hotadd:nbdssl picks hotadd for a snapshot disk: byte-exact against nbdssl and the host\'s file; the snapshot is held while attached', async () => {
      const vim = await x.w.vim('administrator');
      const snap = await snapshot(vim, x.ref('web'));
      const conn = await x.lib.ConnectEx(x.w.params('backup', { vmxSpec: `moref=${x.vm('web')}` }), true, snap.value, 'hotadd:nbdssl');
      const h = await x.lib.Open(conn, '[datastore1] web/web.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
      assert.equal(x.lib.GetTransportMode(h), 'hotadd');
      const viaHotAdd = await readAll(x.lib, h);
      const attached = await proxyDisks(x.w, vim);
      assert.deepEqual(attached.filter((d) => d.backing.fileName === '[datastore1] web/web.vmdk').map((d) => d.backing.diskMode), ['independent_nonpersistent']);
      // The snapshot cannot go while its disk is attached to the proxy.
      const removeTask = await vim.call('RemoveSnapshot_Task', snap, { removeChildren: false }) as ManagedObjectReference;
      await assert.rejects(vim.waitForTask(removeTask), /locked/);
      const conn2 = await x.lib.ConnectEx(x.w.params('backup', { vmxSpec: `moref=${x.vm('web')}` }), true, snap.value, 'nbdssl');
      const h2 = await x.lib.Open(conn2, '[datastore1] web/web.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
      assert.equal(x.lib.GetTransportMode(h2), 'nbdssl');
      const viaNbdssl = await readRegions(x.lib, h2);
      await x.lib.Close(h2);
      await x.lib.Disconnect(conn2);
      assert.ok(regionsOf(viaHotAdd).equals(viaNbdssl));
      assert.ok(viaHotAdd.equals(await x.w.readDatastoreFile('[datastore1] web/web.vmdk')));
      await x.lib.Close(h);
      await x.lib.Disconnect(conn);
      // Close detached it, and the redo layer went with it.
      assert.equal((await proxyDisks(x.w, vim)).filter((d) => d.backing.fileName === '[datastore1] web/web.vmdk').length, 0);
      assert.deepEqual(await readdir(join(x.w.dir, 'datastores/datastore1/.vixdisk-hotadd', PROXY)), []);
      assert.ok(x.logs.some((l) => /hotadd: \[datastore1\] web\/web\.vmdk attached to .* at SCSI 0:1 \(independent_nonpersistent/.test(l)));
      await vim.waitForTask(await vim.call('RemoveSnapshot_Task', snap, { removeChildren: false }) as ManagedObjectReference);
    });

    test('hotadd is skipped with the reason: no identity, identity of the target VM, a running VM without snapshot', async () => {
      const open = async (configLines: string[], vm: 'web' | 'app', snapshotRef: string | null, path: string) => {
        const lib = createVixDiskLib();
        const logs: string[] = [];
        const file = join(x.w.dir, `skip-${Math.random().toString(16).slice(2)}.conf`);
        await writeFile(file, ['vixDiskLib.transport.LogLevel = 4', ...configLines, ''].join('\n'));
        await lib.InitEx(8, 0, (m) => logs.push(m), (m) => logs.push(m), null, null, file);
        try {
          const conn = await lib.ConnectEx(x.w.params('backup', { vmxSpec: `moref=${x.vm(vm)}` }), true, snapshotRef, 'hotadd:nbd');
          const h = await lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
          assert.equal(lib.GetTransportMode(h), 'nbd');
          await lib.Close(h);
          await lib.Disconnect(conn);
          return logs.find((l) => l.includes('skipped hotadd'))!;
        } finally {
          lib.Exit();
        }
      };
      const none = await open([`vixDiskLib.transport.hotadd.identityFile = ${join(x.w.dir, 'no-such-file')}`], 'app', null, '[datastore2] app/app-000001.vmdk');
      assert.match(none, /skipped hotadd: this machine is not a virtual machine \(no .*no-such-file\)/);
      // This process pretending to run inside the VM it backs up.
      const vim = await x.w.vim('administrator');
      const { 'config.uuid': uuid } = await vim.retrieveProperties(x.ref('app'), ['config.uuid']) as { 'config.uuid': string };
      const self = join(x.w.dir, 'self-uuid');
      await writeFile(self, `${uuid}\n`);
      const own = await open([`vixDiskLib.transport.hotadd.identityFile = ${self}`], 'app', null, '[datastore2] app/app-000001.vmdk');
      assert.match(own, new RegExp(`skipped hotadd: this machine is VM ${x.vm('app')}, the VM being backed up`));
      // A running VM's disk without a snapshot: hotadd does not apply (and NFC finds it held by the VM).
      const conn = await x.lib.ConnectEx(x.w.params('backup', { vmxSpec: `moref=${x.vm('web')}` }), true, null, 'hotadd');
      const running = await vixFailure(x.lib.Open(conn, '[datastore1] web/web.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY));
      await x.lib.Disconnect(conn);
      assert.equal(running.code, VIX_E_NOT_SUPPORTED);
      assert.match(running.message, new RegExp(`hotadd: VM ${x.vm('web')} is powered on: HotAdd needs a snapshot`));
    });

    if (personality === 'vcenter') {
      test('restore through hotadd: a powered-off VM\'s disk attached persistent, the writes land in its file', async () => {
        const conn = await x.lib.ConnectEx(x.w.params('administrator', { vmxSpec: `moref=${x.vm('db')}` }), false, null, 'hotadd');
        const h = await x.lib.Open(conn, '[datastore1] db/db.vmdk', 0);
        assert.equal(x.lib.GetTransportMode(h), 'hotadd');
        const data = Buffer.alloc(65536, 0xc3);
        await x.lib.Write(h, 2048, 128, data);
        await x.lib.Close(h);
        await x.lib.Disconnect(conn);
        const file = await x.w.readDatastoreFile('[datastore1] db/db.vmdk');
        assert.ok(file.subarray(2048 * 512, 2048 * 512 + 65536).equals(data));
        const vim = await x.w.vim('administrator');
        assert.equal((await proxyDisks(x.w, vim)).length, 1); // the boot disk only
      });

      test('a process SIGKILLed with a disk HotAdded: Cleanup detaches it (1 cleaned, 0 remaining), the snapshot can go, the disk is intact', async () => {
        const vim = await x.w.vim('administrator');
        const before = await x.w.readDatastoreFile('[datastore1] web/web_1.vmdk');
        const snap = await snapshot(vim, x.ref('web'));
        const params = x.w.params('backup', { vmxSpec: `moref=${x.vm('web')}` });
        await attachedThenKilled(x, params, snap.value, '[datastore1] web/web_1.vmdk');
        assert.equal((await proxyDisks(x.w, vim)).filter((d) => d.backing.fileName === '[datastore1] web/web_1.vmdk').length, 1);
        // The leftover holds the snapshot.
        await assert.rejects(vim.waitForTask(await vim.call('RemoveSnapshot_Task', snap, { removeChildren: false }) as ManagedObjectReference), /locked/);
        const { vmxSpec: _vmxSpec, ...withoutVm } = params;
        assert.deepEqual(await x.lib.Cleanup(withoutVm), { numCleanedUp: 1, numRemaining: 0 });
        assert.equal((await proxyDisks(x.w, vim)).length, 1);
        assert.deepEqual(await x.lib.Cleanup(withoutVm), { numCleanedUp: 0, numRemaining: 0 });
        await vim.waitForTask(await vim.call('RemoveSnapshot_Task', snap, { removeChildren: false }) as ManagedObjectReference);
        assert.ok(before.equals(await x.w.readDatastoreFile('[datastore1] web/web_1.vmdk')));
        assert.deepEqual(await readdir(join(x.w.dir, 'datastores/datastore1/.vixdisk-hotadd', PROXY)), []);
      });
    }

    if (personality === 'esxi') {
      test('a leftover of a killed process is detached before the same disk is attached again', async () => {
        const vim = await x.w.vim('administrator');
        const snap = await snapshot(vim, x.ref('app'));
        const params = x.w.params('backup', { vmxSpec: `moref=${x.vm('app')}` });
        await attachedThenKilled(x, params, snap.value, '[datastore2] app/app-000001.vmdk');
        const conn = await x.lib.ConnectEx(params, true, snap.value, 'hotadd');
        const h = await x.lib.Open(conn, '[datastore2] app/app-000001.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        assert.ok(x.logs.some((l) => /hotadd: detaching a leftover attachment of \[datastore2\] app\/app-000001\.vmdk/.test(l)));
        assert.equal((await proxyDisks(x.w, vim)).filter((d) => d.backing.fileName === '[datastore2] app/app-000001.vmdk').length, 1);
        await x.lib.Close(h);
        await x.lib.Disconnect(conn);
        const { vmxSpec: _v, ...withoutVm } = params;
        assert.deepEqual(await x.lib.Cleanup(withoutVm), { numCleanedUp: 0, numRemaining: 0 });
        await vim.waitForTask(await vim.call('RemoveSnapshot_Task', snap, { removeChildren: false }) as ManagedObjectReference);
      });
    }

    test('a live attachment is not a leftover: a second Open of the same disk falls back, Cleanup leaves it', async () => {
      const vim = await x.w.vim('administrator');
      const snap = await snapshot(vim, x.ref('app'));
      const conn = await x.lib.ConnectEx(x.w.params('backup', { vmxSpec: `moref=${x.vm('app')}` }), true, snap.value, 'hotadd:nbd');
      const h = await x.lib.Open(conn, '[datastore2] app/app-000001.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
      assert.equal(x.lib.GetTransportMode(h), 'hotadd');
      const h2 = await x.lib.Open(conn, '[datastore2] app/app-000001.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
      assert.equal(x.lib.GetTransportMode(h2), 'nbd');
      assert.ok(x.logs.some((l) => /skipped hotadd: .*already attached to the proxy .* by process \d+, which still runs/.test(l)));
      const { vmxSpec: _v, ...withoutVm } = x.w.params('backup');
      assert.deepEqual(await x.lib.Cleanup(withoutVm), { numCleanedUp: 0, numRemaining: 0 });
      assert.ok((await readRegions(x.lib, h)).equals(await readRegions(x.lib, h2)));
      await x.lib.Close(h2);
      await x.lib.Close(h);
      await x.lib.Disconnect(conn);
      await vim.waitForTask(await vim.call('RemoveSnapshot_Task', snap, { removeChildren: false }) as ManagedObjectReference);
    });
  });
}
