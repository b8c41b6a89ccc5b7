import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  VIX_E_AUTHENTICATION_FAIL, VIX_E_FAIL, VIX_E_FILE_NOT_FOUND, VIX_E_HOST_NETWORK_CONN_REFUSED, VIX_E_HOST_USER_PERMISSIONS,
  VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED, VIX_E_OBJECT_NOT_FOUND,
} from '../../src/errors/error-codes.js';
import { VIXDISKLIB_CRED_SESSIONID, VIXDISKLIB_CRED_SSPI, VIXDISKLIB_CRED_TICKETID, VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';
import { startRemoteWorld, vixFailure, type RemoteWorld } from './remote-support.js';

// ConnectEx to a real `vixdisk host` (vCenter personality): thumbprints, credentials, the VM and
// snapshot checks, and each failure as the VIX code and one line naming its cause.

describe('remote ConnectEx (vCenter)', () => {
  let w: RemoteWorld;
  before(async () => { w = await startRemoteWorld('vcenter'); });
  after(async () => { await w?.close(); });

  test('SHA-1 and SHA-256 thumbprints both pin the certificate; Disconnect logs out', async () => {
    for (const thumbPrint of [w.host.ready.thumbprintSha1, w.host.ready.thumbprintSha256, w.host.ready.thumbprintSha1.toLowerCase()]) {
      const conn = await w.lib.ConnectEx(w.params('backup', { thumbPrint }), true, null, 'nbdssl:nbd');
      const remote = conn.remote!;
      assert.equal(remote.vm.value, 'vm-15');
      assert.equal(remote.userName, 'backup');
      const cookie = remote.client.cookie;
      assert.ok(cookie);
      await w.lib.Disconnect(conn);
      // The session is gone: reusing its cookie is refused.
      const reuse = await vixFailure(w.lib.ConnectEx(w.params('backup', { credType: VIXDISKLIB_CRED_SESSIONID, creds: { sessionId: { cookie, userName: 'backup', key: '' } } }), true, null, null));
      assert.equal(reuse.code, VIX_E_HOST_USER_PERMISSIONS, reuse.message);
      assert.match(reuse.message, /not authenticated/);
    }
  });

  test('a wrong thumbprint fails before any request is sent, naming both thumbprints', async () => {
    // A server with the host's own certificate that records every request it receives.
    const key = await readFile(join(w.dir, 'rui.key'));
    const cert = await readFile(join(w.dir, 'rui.crt'));
    const seen: string[] = [];
    const server = createServer({ key, cert }, (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const wrong = w.host.ready.thumbprintSha1.replace(/^../, (x) => (x === 'AA' ? 'BB' : 'AA'));
      const err = await vixFailure(w.lib.ConnectEx(w.params('backup', { port, thumbPrint: wrong }), true, null, null));
      assert.equal(err.code, VIX_E_FAIL);
      assert.ok(err.message.includes(`actual thumbprint=${w.host.ready.thumbprintSha1}`), err.message);
      assert.ok(err.message.includes(`expected=${wrong}`), err.message);
      assert.doesNotMatch(err.message, new RegExp(w.host.password('backup')));
      const wrong256 = w.host.ready.thumbprintSha256.replace(/^../, (x) => (x === 'AA' ? 'BB' : 'AA'));
      const err256 = await vixFailure(w.lib.ConnectEx(w.params('backup', { port, thumbPrint: wrong256 }), true, null, null));
      assert.ok(err256.message.includes(`actual thumbprint=${w.host.ready.thumbprintSha256}`), err256.message);
      assert.deepEqual(seen, [], 'no request (and so no password) reached the server');
      // The control: with the right thumbprint the same server does receive the request.
      await vixFailure(w.lib.ConnectEx(w.params('backup', { port }), true, null, null));
      assert.deepEqual(seen, ['POST /sdk']);
    } finally {
      server.close();
    }
    const missing = await vixFailure(w.lib.ConnectEx(w.params('backup', { thumbPrint: null }), true, null, null));
    assert.equal(missing.code, VIX_E_FAIL);
    assert.match(missing.message, /no thumbPrint/);
    const malformed = await vixFailure(w.lib.ConnectEx(w.params('backup', { thumbPrint: 'AA:BB' }), true, null, null));
    assert.equal(malformed.code, VIX_E_INVALID_ARG);
  });

  test('credentials: wrong password, SSPI, SESSIONID reuse, a clone ticket', async () => {
    const bad = await vixFailure(w.lib.ConnectEx(w.params('backup', { creds: { uid: { userName: 'backup', password: 'wrong' } } }), true, null, null));
    assert.equal(bad.code, VIX_E_AUTHENTICATION_FAIL);
    assert.match(bad.message, /login to 127\.0\.0\.1 as backup: incorrect user name or password/);
    const sspi = await vixFailure(w.lib.ConnectEx(w.params('backup', { credType: VIXDISKLIB_CRED_SSPI }), true, null, null));
    assert.equal(sspi.code, VIX_E_NOT_SUPPORTED);

    const vim = await w.vim('backup');
    const conn = await w.lib.ConnectEx(w.params('backup', {
      credType: VIXDISKLIB_CRED_SESSIONID, creds: { sessionId: { cookie: vim.cookie!, userName: 'backup', key: '' } },
    }), true, null, null);
    assert.equal(conn.remote!.userName, 'backup');
    await w.lib.Disconnect(conn);
    // The caller's session outlives the connection that borrowed it.
    assert.ok(await vim.retrieveProperties((await vim.serviceContent()).rootFolder, ['name']));

    const ticket = await vim.acquireCloneTicket();
    const cloned = await w.lib.ConnectEx(w.params('backup', { credType: VIXDISKLIB_CRED_TICKETID, creds: { ticketId: ticket } }), true, null, null);
    assert.equal(cloned.remote!.userName, 'backup');
    await w.lib.Disconnect(cloned);
    const reused = await vixFailure(w.lib.ConnectEx(w.params('backup', { credType: VIXDISKLIB_CRED_TICKETID, creds: { ticketId: ticket } }), true, null, null));
    assert.notEqual(reused.code, 0);
  });

  test('the viewer may not read disks: refused at ConnectEx, naming the privilege', async () => {
    const err = await vixFailure(w.lib.ConnectEx(w.params('viewer'), false, null, null));
    assert.equal(err.code, VIX_E_HOST_USER_PERMISSIONS);
    assert.match(err.message, /viewer may not read the disks of VM vm-15 \(needs VirtualMachine\.Provisioning\.DiskRandomRead/);
  });

  test('unknown VM, a snapshot of another VM, a bad vmxSpec, a refused port', async () => {
    const vm = await vixFailure(w.lib.ConnectEx(w.params('backup', { vmxSpec: 'moref=vm-999' }), true, null, null));
    assert.equal(vm.code, VIX_E_OBJECT_NOT_FOUND);
    assert.match(vm.message, /VM moref=vm-999 was not found/);

    // app (vm-15) has a snapshot; web (vm-13) does not own it.
    const vim = await w.vim('backup');
    const { snapshot } = await vim.retrieveProperties({ _type: 'ManagedObjectReference', type: 'VirtualMachine', value: 'vm-15' } as never, ['snapshot']) as
      { snapshot: { rootSnapshotList: Array<{ snapshot: { value: string } }> } };
    const snap = snapshot.rootSnapshotList[0]!.snapshot.value;
    const ok = await w.lib.ConnectEx(w.params('backup'), true, snap, null);
    assert.equal(ok.remote!.snapshot!.value, snap);
    await w.lib.Disconnect(ok);
    const foreign = await vixFailure(w.lib.ConnectEx(w.params('backup', { vmxSpec: 'moref=vm-13' }), true, snap, null));
    assert.equal(foreign.code, VIX_E_OBJECT_NOT_FOUND);
    assert.match(foreign.message, new RegExp(`snapshot ${snap} is not a snapshot of VM vm-13`));

    const spec = await vixFailure(w.lib.ConnectEx(w.params('backup', { vmxSpec: 'vm-15' }), true, null, null));
    assert.equal(spec.code, VIX_E_INVALID_ARG);
    const byPath = await w.lib.ConnectEx(w.params('backup', { vmxSpec: '[datastore2] app/app.vmx?dcPath=dc1&dsName=datastore2' }), true, null, null);
    assert.equal(byPath.remote!.vm.value, 'vm-15');
    await w.lib.Disconnect(byPath);

    const refused = await vixFailure(w.lib.ConnectEx(w.params('backup', { port: 1 }), true, null, null));
    assert.equal(refused.code, VIX_E_HOST_NETWORK_CONN_REFUSED);
  });

  test('Open of a path that is not a disk of the VM; GetTransportMode; PrepareForAccess / EndAccess', async () => {
    const conn = await w.lib.ConnectEx(w.params('backup'), true, null, 'file:san:hotadd:nbd');
    const err = await vixFailure(w.lib.Open(conn, '[datastore1] web/web.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY));
    assert.equal(err.code, VIX_E_FILE_NOT_FOUND);
    assert.match(err.message, /\[datastore1\] web\/web\.vmdk is not a disk of VM vm-15/);
    const h = await w.lib.Open(conn, '[datastore2] app/app.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    assert.equal(w.lib.GetTransportMode(h), 'nbd');
    // The mode walk says why each mode before nbd was skipped.
    for (const [mode, why] of [['file', 'the disk is on a remote host'], ['san', '[datastore2] app/app.vmdk is thin provisioned'], ['hotadd', 'this machine is not a virtual machine']]) {
      assert.ok(w.logs.some((l) => l.includes(`skipped ${mode}: ${why}`)), `no log line for ${mode}`);
    }
    // The InitEx config's NFC session settings were used (BufSizeIn64KB 4, BufCount 8).
    assert.ok(w.logs.some((l) => /NFC: opened \[datastore2\] app\/app\.vmdk .*buffers 8 x 256 KiB/.test(l)), 'NFC buffer settings from the config');
    await w.lib.Close(h);
    await w.lib.Disconnect(conn);

    await w.lib.PrepareForAccess(w.params('backup'), 'vixdisk-test');
    const vim = await w.vim('administrator');
    const { disabledMethod } = await vim.retrieveProperties({ _type: 'ManagedObjectReference', type: 'VirtualMachine', value: 'vm-15' } as never, ['disabledMethod']) as { disabledMethod?: string[] };
    assert.ok(disabledMethod?.includes('RelocateVM_Task'), `disabledMethod ${JSON.stringify(disabledMethod)}`);
    await w.lib.EndAccess(w.params('backup'), 'vixdisk-test');
    const after = await vim.retrieveProperties({ _type: 'ManagedObjectReference', type: 'VirtualMachine', value: 'vm-15' } as never, ['disabledMethod']) as { disabledMethod?: string[] };
    assert.ok(!(after.disabledMethod ?? []).includes('RelocateVM_Task'));
    assert.deepEqual(await w.lib.Cleanup(w.params('backup')), { numCleanedUp: 0, numRemaining: 0 });
  });
});

describe('remote ConnectEx (ESXi)', () => {
  let w: RemoteWorld;
  before(async () => { w = await startRemoteWorld('esxi'); });
  after(async () => { await w?.close(); });

  test('hostd morefs, a SHA-256 thumbprint, a disk read over nbdssl; PrepareForAccess says HostAgent is not a vCenter', async () => {
    const conn = await w.lib.ConnectEx(w.params('backup', { thumbPrint: w.host.ready.thumbprintSha256 }), true, null, 'nbdssl');
    assert.equal(conn.remote!.isVCenter, false);
    const h = await w.lib.Open(conn, '[datastore2] app/app-000001.vmdk', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
    assert.equal(w.lib.GetTransportMode(h), 'nbdssl');
    const info = await w.lib.GetInfo(h);
    const want = await w.readDatastoreFile('[datastore2] app/app-000001.vmdk');
    assert.equal(info.capacity * 512, want.length);
    const got = Buffer.alloc(want.length);
    for (let s = 0; s < info.capacity; s += 2048) await w.lib.Read(h, s, Math.min(2048, info.capacity - s), got.subarray(s * 512, Math.min(s + 2048, info.capacity) * 512));
    assert.ok(got.equals(want), 'the disk over nbdssl reads as the host\'s file');
    await w.lib.Close(h);
    await w.lib.Disconnect(conn);
    const err = await vixFailure(w.lib.PrepareForAccess(w.params('backup'), 'vixdisk-test'));
    assert.equal(err.code, VIX_E_NOT_SUPPORTED);
    assert.match(err.message, /HostAgent is not a vCenter, cannot deactivate svMotion/);
  });
});
