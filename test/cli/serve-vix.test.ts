import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { moRef } from '../../src/vsphere/vim-client.js';
import { findSnapshot } from '../../src/vsphere/vm-operations.js';
import { requirePeer, run, runOk } from '../interop/peers.js';
import { startServe } from '../support/serve-process.js';
import { datastoreFile, startRemoteWorld, type RemoteWorld } from '../vix/remote-support.js';

// `vixdisk serve vix://…`: the job people run nbdkit's VDDK plugin for. A VM's snapshot disk on
// `vixdisk host`, exported over NBD, read by nbdcopy and qemu-img byte for byte as qemu-img reads
// the frozen chain from the host's datastore; without --read-only a writable NFC ticket, and NBD
// writes land in the VM's disk.

describe('vixdisk serve of a vix:// disk', () => {
  let w: RemoteWorld;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    w = await startRemoteWorld('vcenter');
    env = { ...process.env, VIXDISK_PASSWORD: w.host.password('administrator') };
    delete env.VIXDISK_PASSWORD_FILE;
  });
  after(async () => { await w?.close(); });
  const uri = (q: Record<string, string>) => {
    const u = new URL(w.host.ready.url);
    return `vix://administrator@${u.host}/?${new URLSearchParams({ thumbprint: w.host.ready.thumbprintSha256, ...q }).toString()}`;
  };

  test('read-only: nbdcopy reads the snapshot disk as qemu-img converts the frozen chain', async (t) => {
    if (!await requirePeer(t, ['nbdcopy', 'qemu-img', 'qemu-io'])) return;
    const vim = await w.vim('administrator');
    const nightly = await findSnapshot(vim, moRef('VirtualMachine', 'vm-15'), 'nightly');
    const disk = '[datastore2] app/app.vmdk';
    const served = await startServe(t, [uri({ vm: 'moref=vm-15', snapshot: nightly.ref.value, disk, mode: 'nbdssl' }), '--read-only', '--port', '0'],
      { env, startTimeoutMs: 60_000 });
    const viaNbdcopy = join(w.dir, 'nbdcopy.raw');
    const frozen = join(w.dir, 'frozen.raw');
    await runOk('nbdcopy', [served.uri, viaNbdcopy]);
    await runOk('qemu-img', ['convert', '-O', 'raw', datastoreFile(w.dir, disk), frozen]);
    const want = await readFile(frozen);
    assert.equal(want.length, 64 << 20);
    assert.ok((await readFile(viaNbdcopy)).equals(want), 'nbdcopy read the frozen chain');
    // A read-only ticket: the export refuses writes.
    const write = await run('qemu-io', ['-f', 'raw', '-c', 'write -P 0x11 0 4k', served.uri]);
    assert.ok(write.code !== 0 || /(read-only|Operation not permitted|failed)/i.test(write.stdout + write.stderr), write.stdout + write.stderr);
    assert.equal(await served.stop(), 0);
    assert.ok((await w.readDatastoreFile(disk)).equals(want), 'the snapshot disk is unchanged');
    assert.ok(!served.stderr().includes(env.VIXDISK_PASSWORD!));
    assert.match(w.host.stderr(), /NFC: opened \[datastore2\] app\/app\.vmdk read-only for administrator/);
  });

  test('writable: NfcRandomAccessOpenDisk, and NBD writes land on the VM\'s disk in the datastore', async (t) => {
    if (!await requirePeer(t, ['qemu-io'])) return;
    const disk = '[datastore1] db/db.vmdk';
    const before = await w.readDatastoreFile(disk);
    const served = await startServe(t, [uri({ vm: 'moref=vm-14', disk, mode: 'nbd' }), '--port', '0'], { env, startTimeoutMs: 60_000 });
    await runOk('qemu-io', ['-f', 'raw', '-c', 'write -P 0x5a 1M 64k', '-c', 'write -P 0xa5 40M 4k', '-c', 'flush', served.uri]);
    const back = await runOk('qemu-io', ['-f', 'raw', '-c', 'read -P 0x5a 1M 64k', served.uri]);
    assert.match(back.stdout, /read 65536\/65536 bytes/);
    assert.equal(await served.stop(), 0);
    const after = await w.readDatastoreFile(disk);
    assert.ok(after.subarray(1 << 20, (1 << 20) + 65536).every((b) => b === 0x5a));
    assert.ok(after.subarray(40 << 20, (40 << 20) + 4096).every((b) => b === 0xa5));
    assert.ok(after.subarray(0, 1 << 20).equals(before.subarray(0, 1 << 20)), 'nothing else changed');
    assert.ok(after.subarray((1 << 20) + 65536, 40 << 20).equals(before.subarray((1 << 20) + 65536, 40 << 20)));
    // The host opened it for writing: only a writable ticket (NfcRandomAccessOpenDisk) allows that.
    assert.match(w.host.stderr(), /NFC: opened \[datastore1\] db\/db\.vmdk read-write for administrator/);
  });
});
