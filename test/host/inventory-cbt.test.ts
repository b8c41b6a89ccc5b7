import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { currentTop, readDisk, vmNamed, writes } from './inventory-support.js';

const faultOf = (type: string) => (e: unknown) => e instanceof SoapFault && e.faultType === type;

type Disk = { key: number; backing: { fileName: string; changeId?: string; diskMode: string }; unitNumber: number; controllerKey: number };

function disksOf(inv: HostInventory, ref: ManagedObjectReference): Disk[] {
  const config = inv.lookup(ref)!.property('config') as { hardware: { device: Array<Disk & { _type: string }> } };
  return config.hardware.device.filter((d) => d._type === 'VirtualDisk');
}

/** Every area QueryChangedDiskAreas reports from 0 to the end, following its pages. */
async function allAreas(inv: HostInventory, vm: ManagedObjectReference, snapshot: ManagedObjectReference | undefined, key: number,
  changeId: string, capacity: number): Promise<Array<{ start: number; length: number }>> {
  const out: Array<{ start: number; length: number }> = [];
  for (let offset = 0; offset < capacity;) {
    const page = await inv.queryChangedDiskAreas(vm, snapshot, key, offset, changeId);
    assert.equal(page.startOffset, offset);
    assert.ok(page.length > 0);
    out.push(...page.changedArea);
    offset = page.startOffset + page.length;
  }
  return out;
}

function covers(areas: Array<{ start: number; length: number }>, offset: number, length: number): boolean {
  let at = offset;
  for (const a of [...areas].sort((x, y) => x.start - y.start)) {
    if (a.start <= at && a.start + a.length > at) at = a.start + a.length;
    if (at >= offset + length) return true;
  }
  return at >= offset + length;
}

test('changed areas between snapshots cover every byte the guest wrote, round after round of a backup cycle', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const web = inv.vmRef(vmNamed(inv, 'web'));
  await inv.reconfigure(web, { changeTrackingEnabled: true });
  // Powered on: tracking starts at the next stun, and until then no change id shows.
  assert.equal(disksOf(inv, web)[0]!.backing.changeId, undefined);
  assert.equal((inv.lookup(web)!.property('config') as { changeTrackingEnabled: boolean }).changeTrackingEnabled, true);
  let previous = await inv.createSnapshot(web, 'full', '', false, false);
  const ids = disksOf(inv, previous).map((d) => d.backing.changeId!);
  assert.ok(ids.every((id) => /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/0$/.test(id)), ids.join());
  assert.deepEqual(disksOf(inv, web).map((d) => d.backing.changeId), ids);
  assert.ok((await stat(join(inv.dir, 'datastores/datastore1/web/web-ctk.vmdk'))).isFile());
  // '*': everything in use, which holds every non-zero byte of the frozen disk.
  const frozen0 = await readDisk(join(inv.dir, 'datastores/datastore1/web/web.vmdk'));
  const inUse = await allAreas(inv, web, previous, 2000, '*', frozen0.length);
  for (let o = 0; o < frozen0.length; o += 65536) {
    if (frozen0.subarray(o, o + 65536).some((b) => b !== 0)) assert.ok(covers(inUse, o, 65536), `'*' covers ${o}`);
  }
  // A thin disk reports what it holds, not its whole capacity: the default data is 3 x 64 KiB.
  const thinInUse = await allAreas(inv, web, previous, 2001, '*', 64 << 20);
  assert.ok(thinInUse.reduce((n, a) => n + a.length, 0) <= 4 * 65536, JSON.stringify(thinInUse));
  let seed = 100;
  for (let round = 0; round < 4; round++) {
    const written: Array<Array<{ offset: number; length: number }>> = [[], []];
    for (const index of [0, 1]) {
      for (const w of writes(seed++, 64 << 20, 1 + (seed % 3), 150_000)) {
        await inv.guestWrite(web, index, w.offset, w.data);
        written[index]!.push({ offset: w.offset, length: w.data.length });
      }
    }
    const next = await inv.createSnapshot(web, `incr-${round}`, '', false, false);
    for (const [index, key] of [2000, 2001].entries()) {
      const since = disksOf(inv, previous).find((d) => d.key === key)!.backing.changeId!;
      const areas = await allAreas(inv, web, next, key, since, 64 << 20);
      for (const w of written[index]!) assert.ok(covers(areas, w.offset, w.length), `round ${round} disk ${key}: ${w.offset}+${w.length}`);
      const reported = areas.reduce((n, a) => n + a.length, 0);
      assert.ok(reported <= written[index]!.reduce((n, w) => n + w.length + 2 * 65536, 0), `round ${round}: ${reported} bytes reported`);
    }
    await inv.removeSnapshot(previous, false, true);
    previous = next;
  }
  // Not a change id, one from another generation, or a query of the running VM without a snapshot.
  await assert.rejects(inv.queryChangedDiskAreas(web, previous, 2000, 0, 'garbage'), faultOf('InvalidArgument'));
  await assert.rejects(inv.queryChangedDiskAreas(web, previous, 2000, 0, '52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00/1'), faultOf('FileFault'));
  await assert.rejects(inv.queryChangedDiskAreas(web, undefined, 2000, 0, '*'), faultOf('InvalidState'));
  await assert.rejects(inv.queryChangedDiskAreas(web, previous, 2999, 0, '*'), faultOf('InvalidArgument'));

  // Off removes the tracking files; on again starts a new generation: old ids are refused.
  const oldId = disksOf(inv, previous)[0]!.backing.changeId!;
  await inv.reconfigure(web, { changeTrackingEnabled: false });
  assert.ok(!(await readdir(join(inv.dir, 'datastores/datastore1/web'))).some((n) => n.endsWith('-ctk.vmdk')));
  await assert.rejects(inv.queryChangedDiskAreas(web, previous, 2000, 0, oldId), faultOf('FileFault'));
  await inv.reconfigure(web, { changeTrackingEnabled: true });
  const fresh = await inv.createSnapshot(web, 'after-reset', '', false, false);
  const newId = disksOf(inv, fresh)[0]!.backing.changeId!;
  assert.notEqual(newId.split('/')[0], oldId.split('/')[0]);
  await assert.rejects(inv.queryChangedDiskAreas(web, fresh, 2000, 0, oldId), faultOf('FileFault'));
  // A revert is a CBT reset too.
  await inv.revertToSnapshot(fresh);
  await inv.powerOn(web);
  const afterRevert = await inv.createSnapshot(web, 'after-revert', '', false, false);
  await assert.rejects(inv.queryChangedDiskAreas(web, afterRevert, 2000, 0, newId), faultOf('FileFault'));
});

test('reconfigure HotAdds an existing disk of another VM and removes it without touching the file', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const db = inv.vmRef(vmNamed(inv, 'db'));
  const web = inv.vmRef(vmNamed(inv, 'web'));
  const snap = await inv.createSnapshot(web, 'backup', '', false, false);
  const frozen = disksOf(inv, snap)[0]!.backing.fileName;
  assert.equal(frozen, '[datastore1] web/web.vmdk');
  const add = (fileName: string, unitNumber?: number, controllerKey = 1000) => ({
    deviceChange: [{
      operation: 'add',
      device: { _type: 'VirtualDisk', key: -201, controllerKey, ...(unitNumber !== undefined ? { unitNumber } : {}), capacityInKB: 65536,
        backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName, diskMode: 'independent_nonpersistent' } },
    }],
  });
  await assert.rejects(inv.reconfigure(db, add('[datastore1] web/nothing.vmdk', 1)), faultOf('FileNotFound'));
  await assert.rejects(inv.reconfigure(db, add(frozen, 7)), faultOf('InvalidDeviceSpec'));
  await assert.rejects(inv.reconfigure(db, add(frozen, 0)), faultOf('InvalidDeviceSpec'));
  await assert.rejects(inv.reconfigure(db, add(frozen, 1, 1003)), faultOf('InvalidDeviceSpec'));
  await assert.rejects(inv.reconfigure(db, add('[datastore1] ../../../etc/passwd', 1)), faultOf('InvalidArgument'));
  await inv.reconfigure(db, add(frozen, 1));
  // A HotAdded frozen disk is only read: a guest write to it would change the snapshot.
  await inv.powerOn(db);
  await assert.rejects(inv.guestWrite(db, 1, 0, Buffer.alloc(512, 1)), faultOf('NotSupported'));
  await inv.powerOff(db);
  const added = disksOf(inv, db).find((d) => d.unitNumber === 1)!;
  assert.equal(added.key, 2001);
  assert.equal(added.backing.fileName, frozen);
  assert.equal(added.backing.diskMode, 'independent_nonpersistent');
  // Across a restart too.
  const again = await HostInventory.open(dir);
  assert.equal(disksOf(again, db).find((d) => d.unitNumber === 1)!.backing.fileName, frozen);
  await again.close();
  // A new controller in the same spec, by its negative key.
  await inv.reconfigure(db, {
    deviceChange: [
      { operation: 'add', device: { _type: 'ParaVirtualSCSIController', key: -100, busNumber: 1 } },
      { operation: 'add', device: { _type: 'VirtualDisk', key: -202, controllerKey: -100, unitNumber: 0, backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore1] web/web_1.vmdk', diskMode: 'independent_nonpersistent' } } },
    ],
  });
  assert.deepEqual(disksOf(inv, db).map((d) => [d.key, d.controllerKey]), [[2000, 1000], [2001, 1000], [2016, 1001]]);
  await inv.reconfigure(db, { deviceChange: [{ operation: 'remove', device: { _type: 'VirtualDisk', key: 2001 } }, { operation: 'remove', device: { _type: 'VirtualDisk', key: 2016 } }] });
  assert.deepEqual(disksOf(inv, db).map((d) => d.key), [2000]);
  assert.ok((await stat(join(inv.dir, 'datastores/datastore1/web/web.vmdk'))).isFile());
  await assert.rejects(inv.reconfigure(db, { deviceChange: [{ operation: 'remove', device: { _type: 'VirtualDisk', key: 2001 } }] }), faultOf('InvalidDeviceSpec'));
  assert.ok((await readDisk(currentTop(inv, 'web', 0))).length > 0);
});

test('NFC access follows the grant: the snapshot chain only, read-only tickets, a running VM holds its disks', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const web = inv.vmRef(vmNamed(inv, 'web'));
  const db = inv.vmRef(vmNamed(inv, 'db'));
  const snap = await inv.createSnapshot(web, 'backup', '', false, false);
  const ro = await inv.nfcOpenDisk({ vm: web, snapshot: snap, readOnly: true }, '[datastore1] web/web.vmdk', false);
  assert.equal(ro.capacity, 64 << 20);
  assert.ok(ro.ddb.some(([k]) => k === 'ddb.uuid'));
  await ro.close();
  await assert.rejects(inv.nfcOpenDisk({ vm: web, snapshot: snap, readOnly: true }, '[datastore1] web/web.vmdk', true), faultOf('NoPermission'));
  await assert.rejects(inv.nfcOpenDisk({ vm: web, snapshot: snap, readOnly: true }, '[datastore1] web/web-000001.vmdk', false), faultOf('InvalidArgument'));
  await assert.rejects(inv.nfcOpenDisk({ vm: web, readOnly: false }, '[datastore1] web/web-000001.vmdk', false), faultOf('FileLocked'));
  await assert.rejects(inv.nfcOpenDisk({ vm: web, readOnly: true }, '[datastore1] ../datastore2/app/app.vmdk', false), faultOf('InvalidArgument'));
  await assert.rejects(inv.nfcOpenDisk({ vm: db, readOnly: true }, '[datastore1] web/web.vmdk', false), faultOf('InvalidArgument'));
  // A powered-off VM's current disk, written through NFC with tracking on: the write is tracked.
  await inv.reconfigure(db, { changeTrackingEnabled: true });
  const s0 = await inv.createSnapshot(db, 'base', '', false, false);
  const id = disksOf(inv, s0)[0]!.backing.changeId!;
  const rw = await inv.nfcOpenDisk({ vm: db, readOnly: false }, '[datastore1] db/db-000001.vmdk', true);
  await rw.device.write(5 << 20, Buffer.alloc(4096, 7));
  await rw.close();
  const areas = await allAreas(inv, db, undefined, 2000, id, 64 << 20);
  assert.ok(covers(areas, 5 << 20, 4096));
  const files = inv.vmFiles(db).map((f) => f.datastorePath);
  assert.ok(files.includes('[datastore1] db/db.vmx') && files.includes('[datastore1] db/db-000001.vmdk') && files.includes('[datastore1] db/db-flat.vmdk'), files.join());
});

test('search: FindByUuid and FindByInventoryPath', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const web = vmNamed(inv, 'web');
  const config = inv.lookup(inv.vmRef(web))!.property('config') as { uuid: string; instanceUuid: string };
  assert.deepEqual(inv.findByUuid(config.uuid.toUpperCase(), true), inv.vmRef(web));
  assert.deepEqual(inv.findByUuid(config.instanceUuid, true, true), inv.vmRef(web));
  assert.equal(inv.findByUuid(config.instanceUuid, true, false), undefined);
  assert.deepEqual(inv.findByUuid(inv.record.hosts[0]!.uuid, false), inv.ref('HostSystem', inv.record.hosts[0]!.morefs));
  assert.deepEqual(inv.findByInventoryPath('dc1/vm/web'), inv.vmRef(web));
  assert.deepEqual(inv.findByInventoryPath('dc1/host/cluster1/esx2.local'), inv.ref('HostSystem', inv.record.hosts[1]!.morefs));
  assert.deepEqual(inv.findByInventoryPath('dc1/datastore/datastore2'), inv.ref('Datastore', inv.record.datastores[1]!.morefs));
  assert.equal(inv.findByInventoryPath('dc1/vm/nothing'), undefined);
  assert.equal(inv.findByInventoryPath('other/vm/web'), undefined);
});
