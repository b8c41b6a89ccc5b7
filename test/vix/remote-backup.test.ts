import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VIX_E_FILE_READ_ONLY, VIX_E_HOST_USER_PERMISSIONS, VIX_OK } from '../../src/errors/error-codes.js';
import { VIXDISKLIB_FLAG_OPEN_COMPRESSION_ZLIB, VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';
import type { VixDiskLibConnection } from '../../src/vix/connection.js';
import type { VixDiskLibHandle } from '../../src/vix/disk-handle.js';
import { moRef, type VimClient } from '../../src/vsphere/vim-client.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { startRemoteWorld, vixFailure, type RemoteWorld } from './remote-support.js';

// The full backup of reference §1.3 against a real `vixdisk host` (vCenter personality), every
// byte compared with our engine reading the host's own datastore files; writes over a writable
// ticket; async reads many in flight.

const CHUNK = 16384; // sectors per read: 8 MiB, which NFC splits into requests in flight together

async function readAll(w: RemoteWorld, h: VixDiskLibHandle): Promise<Buffer> {
  const { capacity } = await w.lib.GetInfo(h);
  const out = Buffer.alloc(capacity * 512);
  for (let s = 0; s < capacity; s += CHUNK) {
    const n = Math.min(CHUNK, capacity - s);
    await w.lib.Read(h, s, n, out.subarray(s * 512, (s + n) * 512));
  }
  return out;
}

interface SnapshotDisk {
  key: number;
  fileName: string;
  changeId?: string;
  capacityInBytes: number;
}

async function snapshotDisks(vim: VimClient, snapshot: ManagedObjectReference): Promise<SnapshotDisk[]> {
  const props = await vim.retrieveProperties(snapshot, ['config.hardware.device']);
  const devices = props['config.hardware.device'] as Array<{ _type: string; key: number; capacityInBytes: number; backing: { fileName: string; changeId?: string } }>;
  return devices.filter((d) => d._type === 'VirtualDisk')
    .map((d) => ({ key: d.key, fileName: d.backing.fileName, capacityInBytes: d.capacityInBytes, ...(d.backing.changeId ? { changeId: d.backing.changeId } : {}) }));
}

describe('remote backup over nbd and nbdssl (vCenter)', () => {
  let w: RemoteWorld;
  before(async () => { w = await startRemoteWorld('vcenter'); });
  after(async () => { await w?.close(); });

  test('the full backup sequence of §1.3 on a running VM with two disks, both transports, byte for byte', async () => {
    const vim = await w.vim('backup');
    const web = moRef('VirtualMachine', 'vm-13');
    const before = await vim.retrieveProperties(web, ['config.changeTrackingEnabled', 'runtime.powerState']);
    assert.equal(before['runtime.powerState'], 'poweredOn');
    if (!before['config.changeTrackingEnabled']) {
      const task = await vim.call('ReconfigVM_Task', web, { spec: { _type: 'VirtualMachineConfigSpec', changeTrackingEnabled: true } }) as ManagedObjectReference;
      await vim.waitForTask(task);
    }
    const snapTask = await vim.call('CreateSnapshot_Task', web, { name: 'backup', memory: false, quiesce: false }) as ManagedObjectReference;
    const snapshot = await vim.waitForTask(snapTask) as ManagedObjectReference;
    assert.equal(snapshot.type, 'VirtualMachineSnapshot');
    const disks = await snapshotDisks(vim, snapshot);
    assert.equal(disks.length, 2);
    assert.ok(disks.every((d) => d.changeId), 'CBT gives each snapshot disk a change id');

    const files = new Map<string, Buffer>();
    for (const d of disks) files.set(d.fileName, await w.readDatastoreFile(d.fileName));
    for (const mode of ['nbd', 'nbdssl']) {
      const conn = await w.lib.ConnectEx(w.params('backup', { vmxSpec: 'moref=vm-13' }), true, snapshot.value, mode);
      for (const d of disks) {
        const h = await w.lib.Open(conn, d.fileName, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        assert.equal(w.lib.GetTransportMode(h), mode);
        const info = await w.lib.GetInfo(h);
        assert.equal(info.capacity * 512, d.capacityInBytes);
        assert.equal(info.adapterType, 3, 'lsilogic, from the disk database');
        const got = await readAll(w, h);
        const want = files.get(d.fileName)!;
        assert.ok(got.equals(want), `${d.fileName} over ${mode} reads as the host's file`);

        // Full backup: the allocated blocks hold every non-zero byte.
        const blocks = await w.lib.QueryAllocatedBlocks(h, 0, info.capacity, 128);
        assert.ok(blocks.numBlocks >= 1);
        const covered = new Uint8Array(info.capacity / 128);
        for (const b of blocks.blocks) for (let c = b.offset / 128; c < (b.offset + b.length) / 128; c++) covered[c] = 1;
        for (let c = 0; c < covered.length; c++) {
          if (!covered[c]) assert.ok(want.subarray(c * 65536, (c + 1) * 65536).every((x) => x === 0), `chunk ${c} holds data but was not reported allocated`);
        }
        const keys = await w.lib.GetMetadataKeys(h);
        assert.ok(keys.keys.includes('adapterType'));
        assert.equal((await w.lib.ReadMetadata(h, 'adapterType')).value, 'lsilogic');
        assert.equal(await w.lib.Write(h, 0, 1, new Uint8Array(512)).then(() => 0, (e: { code: number }) => e.code), VIX_E_FILE_READ_ONLY);
        await w.lib.Close(h);
      }
      await w.lib.Disconnect(conn);
    }
    // Open's mode walk logged why file, san and hotadd were skipped.
    const conn = await w.lib.ConnectEx(w.params('backup', { vmxSpec: 'moref=vm-13' }), true, snapshot.value, null);
    const h = await w.lib.Open(conn, disks[0]!.fileName, VIXDISKLIB_FLAG_OPEN_READ_ONLY | VIXDISKLIB_FLAG_OPEN_COMPRESSION_ZLIB);
    assert.equal(w.lib.GetTransportMode(h), 'nbdssl');
    const zlibRead = Buffer.alloc(8 << 20); // the first 8 MiB: data, then zeros
    await w.lib.Read(h, 0, zlibRead.length / 512, zlibRead);
    assert.ok(zlibRead.equals(files.get(disks[0]!.fileName)!.subarray(0, zlibRead.length)), 'zlib-compressed reads give the same bytes');
    await w.lib.Close(h);
    await w.lib.Disconnect(conn);

    const removeTask = await vim.call('RemoveSnapshot_Task', snapshot, { removeChildren: false, consolidate: true }) as ManagedObjectReference;
    await vim.waitForTask(removeTask);
    const gone = await vixFailure(w.lib.ConnectEx(w.params('backup', { vmxSpec: 'moref=vm-13' }), true, snapshot.value, null));
    assert.match(gone.message, /is not a snapshot of VM vm-13/);
  });

  test('async reads, 16 in flight, complete with VIX_OK and read the same bytes', async () => {
    const conn = await w.lib.ConnectEx(w.params('backup'), true, null, 'nbd');
    const path = '[datastore2] app/app-000001.vmdk';
    const h = await w.lib.Open(conn, path, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    const { capacity } = await w.lib.GetInfo(h);
    const want = await w.readDatastoreFile(path);
    const got = Buffer.alloc(capacity * 512);
    const per = 256; // 128 KiB each
    let next = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const results: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const issue = () => {
        while (inFlight < 16 && next < capacity) {
          const s = next;
          next += per;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          w.lib.ReadAsync(h, s, per, got.subarray(s * 512, (s + per) * 512), (_cb, result) => {
            inFlight--;
            results.push(result);
            if (result !== VIX_OK) reject(new Error(`async read at ${s} failed: ${result}`));
            else if (next >= capacity && inFlight === 0) resolve();
            else issue();
          }, null);
        }
      };
      issue();
    });
    await w.lib.Wait(h);
    assert.equal(maxInFlight, 16);
    assert.equal(results.length, capacity / per);
    assert.ok(got.equals(want));
    await w.lib.Close(h);
    await w.lib.Disconnect(conn);
  });

  test('writes over a writable ticket on a powered-off VM land in the datastore file; backup may not write', async () => {
    const path = '[datastore1] db/db.vmdk';
    const refused = await w.lib.ConnectEx(w.params('backup', { vmxSpec: 'moref=vm-14' }), false, null, 'nbd');
    const err = await vixFailure(w.lib.Open(refused, path, 0));
    assert.equal(err.code, VIX_E_HOST_USER_PERMISSIONS);
    assert.match(err.message, /NoPermission/);
    await w.lib.Disconnect(refused);

    let conn: VixDiskLibConnection | null = null;
    for (const mode of ['nbd', 'nbdssl']) {
      conn = await w.lib.ConnectEx(w.params('administrator', { vmxSpec: 'moref=vm-14' }), false, null, mode);
      const h = await w.lib.Open(conn, path, 0);
      const pattern = Buffer.alloc(128 * 512, mode === 'nbd' ? 0x5a : 0xa5);
      await w.lib.Write(h, 4096, 128, pattern);
      // Async writes too, several in flight.
      const done: number[] = [];
      for (let i = 0; i < 8; i++) {
        w.lib.WriteAsync(h, 8192 + i * 64, 64, Buffer.alloc(64 * 512, i + 1), (_d, r) => done.push(r), null);
      }
      await w.lib.Wait(h);
      assert.deepEqual(done, Array(8).fill(VIX_OK));
      await w.lib.Flush(h);
      await w.lib.Close(h);
      await w.lib.Disconnect(conn);
      const file = await w.readDatastoreFile(path);
      assert.ok(file.subarray(4096 * 512, 4224 * 512).equals(pattern), `the ${mode} write is in the file`);
      for (let i = 0; i < 8; i++) {
        assert.ok(file.subarray((8192 + i * 64) * 512, (8192 + (i + 1) * 64) * 512).every((b) => b === i + 1));
      }
    }
  });
});
