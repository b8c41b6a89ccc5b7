import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHost, type RunningHost } from '../support/host-process.js';
import { missingPeer, PYTHON, pyvmomiMissing, run, VSPHERE_SOURCES } from '../support/vsphere-peers.js';

// pyVmomi 6.7.1 (Debian's, under /usr/bin/python3) against `vixdisk host`: SmartConnect with its
// version negotiation, the inventory through container views, a snapshot task polled to
// completion, QueryChangedDiskAreas, Disconnect; the viewer's refusals.

interface Output {
  apiType: string;
  userName: string;
  vms: Array<{ moref: string; name: string; disks: Array<{ key: number; fileName: string; capacityInBytes: number }>; snapshotCount: number }>;
  hosts: unknown[];
  datastores: unknown[];
  backedUp: string;
  snapshot?: string;
  snapshotDisks?: Array<{ key: number; changeId: string; changedAll: Array<{ start: number; length: number }> }>;
  snapshotRemoved?: boolean;
  faults?: Array<{ call: string; fault: string; privilegeId?: string; object?: string }>;
  disconnected: boolean;
}

function backupPy(host: RunningHost, user: string, mode: string, password = host.password(user)) {
  const port = new URL(host.ready.url).port;
  return run(PYTHON, [join(VSPHERE_SOURCES, 'backup.py'), '--port', port, '--user', user, '--thumbprint', host.ready.thumbprintSha1, '--mode', mode],
    { VSPHERE_PASSWORD: password }, 180_000);
}

test('pyVmomi backs up a VM of vixdisk host (vCenter); the viewer is refused', async (t) => {
  const missing = await pyvmomiMissing();
  if (missing) return missingPeer(t, missing);
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-pyvmomi-'));
  const host = await startHost(['--data', dir]);
  try {
    const r = await backupPy(host, 'backup', 'backup');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.equal(out.apiType, 'VirtualCenter');
    assert.equal(out.userName, 'backup');
    assert.equal(out.vms.length, 3);
    assert.equal(out.hosts.length, 2);
    assert.equal(out.datastores.length, 2);
    assert.match(out.snapshot ?? '', /^snapshot-\d+$/);
    const target = out.vms.find((v) => v.moref === out.backedUp)!;
    assert.equal(out.snapshotDisks!.length, target.disks.length);
    for (const d of out.snapshotDisks!) {
      assert.match(d.changeId, /\/\d+$/);
      assert.ok(d.changedAll.length > 0);
    }
    assert.equal(out.snapshotRemoved, true);
    assert.equal(out.disconnected, true);

    const v = await backupPy(host, 'viewer', 'viewer');
    assert.equal(v.code, 0, v.stderr);
    const viewer = JSON.parse(v.stdout) as Output;
    assert.equal(viewer.vms.find((vm) => vm.moref === out.backedUp)!.snapshotCount, target.snapshotCount);
    assert.deepEqual(viewer.faults, [
      { call: 'CreateSnapshot_Task', fault: 'NoPermission', privilegeId: 'VirtualMachine.State.CreateSnapshot', object: out.backedUp },
      { call: 'ReconfigVM_Task', fault: 'NoPermission', privilegeId: 'VirtualMachine.Config.ChangeTracking', object: out.backedUp },
      { call: 'QueryChangedDiskAreas', fault: 'NoPermission', privilegeId: 'VirtualMachine.Provisioning.DiskRandomRead', object: out.backedUp },
    ]);

    const wrong = await backupPy(host, 'backup', 'backup', 'not-the-password');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /InvalidLogin/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1, 'one line, no traceback');
  } finally {
    assert.equal(await host.stop(), 0);
    await rm(dir, { recursive: true, force: true });
  }
});

test('pyVmomi backs up a VM of vixdisk host (ESXi: HostAgent, ha-* morefs, numbered VMs)', async (t) => {
  const missing = await pyvmomiMissing();
  if (missing) return missingPeer(t, missing);
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-pyvmomi-esx-'));
  const host = await startHost(['--data', dir, '--personality', 'esxi']);
  try {
    const r = await backupPy(host, 'backup', 'backup');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.equal(out.apiType, 'HostAgent');
    assert.equal(out.hosts.length, 1);
    assert.match(out.backedUp, /^\d+$/);
    assert.match(out.snapshot ?? '', new RegExp(`^${out.backedUp}-snapshot-\\d+$`));
    for (const d of out.snapshotDisks!) assert.match(d.changeId, /\/\d+$/);
    assert.equal(out.snapshotRemoved, true);
    assert.equal(out.disconnected, true);
  } finally {
    assert.equal(await host.stop(), 0);
    await rm(dir, { recursive: true, force: true });
  }
});
