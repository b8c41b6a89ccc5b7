import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startHost, type RunningHost } from '../support/host-process.js';
import { goProgram, govmomiMissing, missingPeer, run } from '../support/vsphere-peers.js';

// A backup client built on govmomi (test/interop/vsphere/backup.go) against `vixdisk host`, as
// vCenter and as a bare ESXi host: the backup user's whole backup, the viewer's refusals.
// (govmomi 0.24 pins SHA-1 thumbprints only; SHA-256 came in later releases.)

interface Disk { key: number; fileName: string; capacityInBytes: number; changeId: string; uuid: string; parents: string[] }
interface SnapshotDisk extends Disk { changedAll: Array<{ start: number; length: number }>; changedSince: Array<{ start: number; length: number }> }
interface Output {
  apiType: string;
  userName: string;
  vms: Array<{ moref: string; name: string; uuid: string; instanceUuid: string; powerState: string; host: string;
    changeTrackingSupported: boolean; changeTrackingEnabled: boolean; disks: Disk[]; snapshotCount: number; layoutFiles: number }>;
  hosts: Array<{ moref: string; name: string; certificateBytes?: number }>;
  datastores: Array<{ name: string; type: string; capacity: number }>;
  backedUp?: string;
  snapshotDisks?: SnapshotDisk[];
  snapshotRemoved?: boolean;
  faults?: Array<{ call: string; fault: string; privilegeId?: string; object?: string }>;
  loggedOut: boolean;
}

async function backup(binary: string, host: RunningHost, user: string, mode: string, password = host.password(user)) {
  return run(binary, ['-url', host.ready.url, '-user', user, '-thumbprint', host.ready.thumbprintSha1, '-mode', mode],
    { VSPHERE_PASSWORD: password }, 180_000);
}

for (const personality of ['vcenter', 'esxi'] as const) {
  test(`govmomi backs up a VM of vixdisk host as ${personality}; the viewer is refused`, async (t) => {
    const missing = await govmomiMissing();
    if (missing) return missingPeer(t, missing);
    const binary = await goProgram('backup.go');
    const dir = await mkdtemp(join(tmpdir(), `vixdisk-govmomi-${personality}-`));
    const host = await startHost(['--data', dir, '--personality', personality]);
    try {
      const r = await backup(binary, host, 'backup', 'backup');
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Output;
      assert.equal(out.apiType, personality === 'vcenter' ? 'VirtualCenter' : 'HostAgent');
      assert.equal(out.userName, 'backup');

      // The embedded default: three VMs, one with two disks, one powered off, one with a snapshot.
      const vmCount = personality === 'vcenter' ? 3 : out.vms.length;
      assert.equal(out.vms.length, vmCount);
      assert.ok(out.vms.some((v) => v.disks.length === 2), 'a VM with two disks');
      if (personality === 'vcenter') {
        assert.ok(out.vms.some((v) => v.powerState === 'poweredOff'), 'a powered-off VM');
        assert.ok(out.vms.some((v) => v.snapshotCount > 0), 'a VM with a snapshot');
      }
      for (const vm of out.vms) {
        assert.match(vm.uuid, /^[0-9a-f-]{36}$/);
        assert.match(vm.instanceUuid, /^[0-9a-f-]{36}$/);
        assert.equal(vm.changeTrackingSupported, true);
        assert.ok(out.hosts.some((h) => h.moref === vm.host), `${vm.name} runs on a listed host`);
        assert.ok(vm.layoutFiles > 0);
        for (const d of vm.disks) {
          assert.match(d.fileName, /^\[datastore\d\] \S+\.vmdk$/);
          assert.ok(d.capacityInBytes > 0);
        }
      }
      assert.equal(out.hosts.length, personality === 'vcenter' ? 2 : 1);
      for (const h of out.hosts) assert.ok((h.certificateBytes ?? 0) > 0, 'host config.certificate');
      assert.equal(out.datastores.length, 2);

      // The backup: CBT on, snapshot, change ids, changed areas (all, then since), snapshot removed.
      const target = out.vms.find((v) => v.moref === out.backedUp)!;
      assert.equal(out.snapshotDisks!.length, target.disks.length);
      for (const d of out.snapshotDisks!) {
        // VMware's form: the ctk uuid as 16 spaced hex bytes, '-' after the eighth, then /sequence.
        assert.match(d.changeId, /^([0-9a-f]{2} ){7}[0-9a-f]{2}-([0-9a-f]{2} ){7}[0-9a-f]{2}\/\d+$/, 'changeId <uuid>/<sequence>');
        assert.ok(d.changedAll.length > 0, 'the default disks hold data: "*" lists allocated areas');
        for (const a of [...d.changedAll, ...d.changedSince]) {
          assert.ok(a.start >= 0 && a.length > 0 && a.start + a.length <= d.capacityInBytes);
        }
        // A snapshot's config holds the disk as it was when taken: after the first snapshot was
        // removed (its delta consolidated), the VM's disk again, whose chain the snapshot froze.
        const before = target.disks.find((x) => x.key === d.key)!;
        assert.equal(d.fileName, before.fileName);
        assert.deepEqual(d.parents, before.parents);
      }
      assert.equal(out.snapshotRemoved, true);
      assert.equal(out.loggedOut, true);

      // The viewer reads the same inventory but is refused snapshot, CBT and changed areas.
      const v = await backup(binary, host, 'viewer', 'viewer');
      assert.equal(v.code, 0, v.stderr);
      const viewer = JSON.parse(v.stdout) as Output;
      assert.equal(viewer.vms.length, out.vms.length);
      const after = viewer.vms.find((vm) => vm.moref === out.backedUp)!;
      assert.equal(after.snapshotCount, target.snapshotCount, 'the backup left no snapshot behind');
      assert.equal(after.changeTrackingEnabled, true);
      assert.deepEqual(viewer.faults, [
        { call: 'CreateSnapshot_Task', fault: 'NoPermission', privilegeId: 'VirtualMachine.State.CreateSnapshot', object: out.backedUp },
        { call: 'ReconfigVM_Task', fault: 'NoPermission', privilegeId: 'VirtualMachine.Config.ChangeTracking', object: out.backedUp },
        { call: 'QueryChangedDiskAreas', fault: 'NoPermission', privilegeId: 'VirtualMachine.Provisioning.DiskRandomRead', object: out.backedUp },
      ]);

      const wrong = await backup(binary, host, 'backup', 'backup', 'not-the-password');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /login: .*incorrect user name or password/);
      assert.ok(!host.stderr().includes(host.password('backup')), 'a password reached the log');
    } finally {
      assert.equal(await host.stop(), 0);
      await rm(dir, { recursive: true, force: true });
    }
  });
}
