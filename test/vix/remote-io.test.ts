import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VIX_E_HOST_USER_PERMISSIONS, VIX_OK } from '../../src/errors/error-codes.js';
import { VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';
import type { VixDiskLibConnection } from '../../src/vix/connection.js';
import { startRemoteWorld, vixFailure, type RemoteWorld } from './remote-support.js';

// Remote I/O against a real `vixdisk host` (vCenter personality): async reads many in flight, and
// writes over a writable ticket checked in the host's datastore file with our engine.

describe('remote I/O over nbd and nbdssl (vCenter)', () => {
  let w: RemoteWorld;
  before(async () => { w = await startRemoteWorld('vcenter'); });
  after(async () => { await w?.close(); });

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
