import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_HOST_USER_PERMISSIONS, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../../src/errors/error-codes.js';
import { moRef, type VimClient } from '../../src/vsphere/vim-client.js';
import {
  allChangedDiskAreas, closeVimSession, createSnapshot, findSnapshot, findVm, flattenSnapshots, listVms, openVimSession,
  parseVmSpec, pickDisk, removeSnapshot, setChangeTracking, snapshotTree, vmDisks,
} from '../../src/vsphere/vm-operations.js';
import { startHost, type RunningHost } from '../support/host-process.js';

// src/vsphere/vm-operations.ts against a real `vixdisk host` (vCenter personality): the helpers
// the vm command and the backup job share.

async function failure(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; message: string };
  }
  throw new Error('expected a failure');
}

describe('vm-operations against vixdisk host', () => {
  let host: RunningHost;
  let dir: string;
  let vim: VimClient;
  const login = (user: string, password?: string) => {
    const u = new URL(host.ready.url);
    return openVimSession({ host: u.hostname, port: Number(u.port), thumbprint: host.ready.thumbprintSha256, user, password: password ?? host.password(user) });
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vixdisk-vmops-'));
    host = await startHost(['--data', dir, '--personality', 'vcenter']);
    vim = await login('administrator');
  });
  after(async () => {
    if (vim) await closeVimSession(vim);
    await host?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('VM specs: morefs in three spellings, names otherwise', () => {
    assert.deepEqual(parseVmSpec('moref=vm-16'), { kind: 'moref', value: 'vm-16', explicit: true });
    assert.deepEqual(parseVmSpec('vm-16'), { kind: 'moref', value: 'vm-16', explicit: false });
    assert.deepEqual(parseVmSpec('16'), { kind: 'moref', value: '16', explicit: false });
    assert.deepEqual(parseVmSpec('web server'), { kind: 'name', name: 'web server' });
    assert.equal(failureSync(() => parseVmSpec('  ')).code, VIX_E_INVALID_ARG);
  });

  test('findVm by moref and by name; unknown ones are 25; a shared name is refused listing the morefs', async () => {
    assert.deepEqual(await findVm(vim, 'vm-13'), { ref: moRef('VirtualMachine', 'vm-13'), name: 'web' });
    assert.equal((await findVm(vim, 'moref=vm-14')).name, 'db');
    assert.equal((await findVm(vim, 'app')).ref.value, 'vm-15');
    const missing = await failure(findVm(vim, 'moref=vm-999'));
    assert.equal(missing.code, VIX_E_OBJECT_NOT_FOUND);
    assert.match(missing.message, /VM vm-999 was not found/);
    assert.equal((await failure(findVm(vim, 'nosuch'))).code, VIX_E_OBJECT_NOT_FOUND);

    // Two VMs named "web": the name alone is ambiguous.
    const rename = async (name: string) => {
      const task = await vim.call('ReconfigVM_Task', moRef('VirtualMachine', 'vm-14'), { spec: { _type: 'VirtualMachineConfigSpec', name } });
      await vim.waitForTask(task as never);
    };
    await rename('web');
    try {
      const twice = await failure(findVm(vim, 'web'));
      assert.equal(twice.code, VIX_E_INVALID_ARG);
      assert.match(twice.message, /2 VMs are named "web".*vm-13, vm-14/);
    } finally {
      await rename('db');
    }
  });

  test('listVms: every VM with power state, host name, CBT, snapshots and disks', async () => {
    const vms = await listVms(vim);
    assert.deepEqual(vms.map((v) => [v.name, v.moref, v.powerState, v.host]), [
      ['app', 'vm-15', 'poweredOff', 'esx1.local'],
      ['db', 'vm-14', 'poweredOff', 'esx2.local'],
      ['web', 'vm-13', 'poweredOn', 'esx1.local'],
    ]);
    const app = vms.find((v) => v.name === 'app')!;
    assert.equal(app.snapshots, 1);
    assert.deepEqual(app.disks.map((d) => d.fileName), ['[datastore2] app/app-000001.vmdk']);
    assert.equal(vms.find((v) => v.name === 'web')!.disks.length, 2);
  });

  test('snapshots: create (waited for), find by moref and name, tree, remove', async () => {
    const db = (await findVm(vim, 'db')).ref;
    const first = await createSnapshot(vim, db, { name: 'before-upgrade', description: 'by the test' });
    assert.equal(first.type, 'VirtualMachineSnapshot');
    const second = await createSnapshot(vim, db, { name: 'after-upgrade' });
    const tree = await snapshotTree(vim, db);
    assert.equal(tree.length, 1);
    assert.equal(tree[0]!.name, 'before-upgrade');
    assert.equal(tree[0]!.description, 'by the test');
    assert.equal(tree[0]!.children[0]!.ref.value, second.value);
    assert.equal(tree[0]!.children[0]!.current, true);
    assert.equal((await findSnapshot(vim, db, 'after-upgrade')).ref.value, second.value);
    assert.equal((await findSnapshot(vim, db, first.value)).name, 'before-upgrade');
    const none = await failure(findSnapshot(vim, db, 'nightly'));
    assert.equal(none.code, VIX_E_OBJECT_NOT_FOUND);
    assert.match(none.message, /has no snapshot nightly \(its snapshots: .*"before-upgrade"/);
    // The snapshot's disks are the frozen links, the VM's the new deltas on top.
    const frozen = await vmDisks(vim, first);
    assert.equal(frozen[0]!.fileName, '[datastore1] db/db.vmdk');
    assert.notEqual((await vmDisks(vim, db))[0]!.fileName, '[datastore1] db/db.vmdk');
    await removeSnapshot(vim, first, { removeChildren: true });
    assert.deepEqual(await snapshotTree(vim, db), []);
    assert.equal((await vmDisks(vim, db))[0]!.fileName, '[datastore1] db/db.vmdk');
  });

  test('change tracking: pending on a running VM until its next snapshot; changed areas over every page', async () => {
    const web = (await findVm(vim, 'web')).ref;
    const on = await setChangeTracking(vim, web, true);
    assert.deepEqual(on, { enabled: true, powerState: 'poweredOn', pendingStun: true });
    const snap = await createSnapshot(vim, web, { name: 'backup' });
    try {
      const disks = await vmDisks(vim, snap);
      const disk = pickDisk(disks, String(disks[0]!.key), snap.value);
      assert.equal(pickDisk(disks, disk.fileName.replace('] ', ']   '), snap.value).key, disk.key);
      assert.ok(disk.changeId, 'the snapshot disk has a change id');
      const all = await allChangedDiskAreas(vim, { vm: web, snapshot: snap, deviceKey: disk.key, changeId: '*', capacityBytes: disk.capacityBytes });
      assert.ok(all.pages >= 1);
      assert.ok(all.areas.length >= 1, 'the default disk has data');
      for (const a of all.areas) assert.ok(a.start >= 0 && a.length > 0 && a.start + a.length <= disk.capacityBytes);
      const since = await allChangedDiskAreas(vim, { vm: web, snapshot: snap, deviceKey: disk.key, changeId: disk.changeId!, capacityBytes: disk.capacityBytes });
      assert.deepEqual(since.areas, [], 'nothing changed since the snapshot\'s own change id');
      const wrongDisk = await failure(allChangedDiskAreas(vim, { vm: web, snapshot: snap, deviceKey: 9999, changeId: '*', capacityBytes: 1 << 20 }));
      assert.equal(wrongDisk.code, VIX_E_INVALID_ARG);
      assert.match(wrongDisk.message, /QueryChangedDiskAreas of disk 9999/);
      assert.equal(pickDiskFailure(disks), VIX_E_OBJECT_NOT_FOUND);
    } finally {
      await removeSnapshot(vim, snap);
      const off = await setChangeTracking(vim, web, false);
      assert.equal(off.enabled, false);
      assert.equal(off.pendingStun, false);
    }
  });

  test('faults as one line: wrong password 35, NoPermission naming the privilege 3014', async () => {
    const wrong = await failure(login('backup', 'not-the-password'));
    assert.equal(wrong.code, VIX_E_AUTHENTICATION_FAIL);
    assert.match(wrong.message, /login to .* as backup: incorrect user name or password/);
    assert.doesNotMatch(wrong.message, /not-the-password/);
    const viewer = await login('viewer');
    try {
      const denied = await failure(createSnapshot(viewer, moRef('VirtualMachine', 'vm-14'), { name: 'x' }));
      assert.equal(denied.code, VIX_E_HOST_USER_PERMISSIONS);
      assert.match(denied.message, /creating snapshot "x" of vm-14: permission denied: needs privilege VirtualMachine\.State\.CreateSnapshot on vm-14/);
      assert.equal(flattenSnapshots(await snapshotTree(viewer, moRef('VirtualMachine', 'vm-14'))).length, 0);
    } finally {
      await closeVimSession(viewer);
    }
  });
});

function failureSync(f: () => unknown): { code: number; message: string } {
  try {
    f();
  } catch (err) {
    return err as { code: number; message: string };
  }
  throw new Error('expected a failure');
}

function pickDiskFailure(disks: Parameters<typeof pickDisk>[0]): number {
  return failureSync(() => pickDisk(disks, '[nowhere] x.vmdk', 'snapshot')).code;
}
