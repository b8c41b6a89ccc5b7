import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { APP_DELTA_OFFSET, DEFAULT_DATA_LENGTH } from '../../src/host/inventory/default-inventory.js';
import { currentTop, frozenTop, qemuInfo, qemuRead, readDisk, vmNamed, writes } from './inventory-support.js';

const faultOf = (type: string) => (e: unknown) => e instanceof SoapFault && e.faultType === type;

async function createType(path: string): Promise<string> {
  const d = await VmdkDisk.open(path, { readOnly: true, lock: false });
  try {
    return d.info().createType;
  } finally {
    await d.close();
  }
}

test('snapshots on VMFS6 make seSparse deltas; guest writes, then consolidation, keep every disk byte for byte as the model', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const web = () => inv.vmRef(vmNamed(inv, 'web'));
  const model = [await readDisk(currentTop(inv, 'web', 0)), await readDisk(currentTop(inv, 'web', 1))];
  const atSnapshot: Buffer[][] = [];
  let seed = 1;
  for (const name of ['s1', 's2']) {
    await inv.createSnapshot(web(), name, `snapshot ${name}`, false, true);
    atSnapshot.push(model.map((b) => Buffer.from(b)));
    for (const index of [0, 1]) {
      const top = currentTop(inv, 'web', index);
      assert.equal(await createType(top), 'seSparse', `${basename(top)} is seSparse`);
      for (const w of writes(seed++, model[index]!.length, 4)) {
        await inv.guestWrite(web(), index, w.offset, w.data);
        w.data.copy(model[index]!, w.offset);
      }
    }
  }
  const vm = vmNamed(inv, 'web');
  assert.deepEqual(vm.tree.nodes.map((n) => n.name), ['s1', 's2']);
  assert.equal(basename(currentTop(inv, 'web', 0)), 'web-000002.vmdk');
  const info = await qemuInfo(currentTop(inv, 'web', 0));
  if (info) assert.equal(info.format, 'vmdk');
  // Each snapshot's frozen disk holds what the disk held when it was taken; the current one the model.
  for (const index of [0, 1]) assert.ok((await readDisk(frozenTop(inv, 'web', 's1', index))).equals(atSnapshot[0]![index]!), `s1 disk ${index}`);
  assert.ok((await readDisk(frozenTop(inv, 'web', 's2', 1))).equals(atSnapshot[1]![1]!), 's2 disk 1');

  // Remove the first snapshot: the base is no one's state any more, s2's delta commits into it
  // and s2's disks now name the base; every state reads as before.
  const s1 = inv.snapshotRef(vm, vm.tree.nodes[0]!);
  await inv.removeSnapshot(s1, false, true);
  assert.deepEqual(vmNamed(inv, 'web').tree.nodes.map((n) => [n.name, n.parentUid ?? null]), [['s2', null]]);
  assert.equal(basename(frozenTop(inv, 'web', 's2', 0)), 'web.vmdk');
  assert.ok((await readDisk(frozenTop(inv, 'web', 's2', 0))).equals(atSnapshot[1]![0]!), 's2 disk 0 after the merge');
  for (const index of [0, 1]) assert.ok((await readDisk(currentTop(inv, 'web', index))).equals(model[index]!));
  await assert.rejects(inv.removeSnapshot(s1, false, true), faultOf('ManagedObjectNotFound'));

  // Remove everything: the base disks hold the model, and no delta file is left.
  await inv.removeAllSnapshots(web(), true);
  const after = vmNamed(inv, 'web');
  assert.equal(after.tree.nodes.length, 0);
  assert.equal(inv.lookup(inv.vmRef(after))!.property('snapshot'), undefined);
  for (const index of [0, 1]) {
    const top = currentTop(inv, 'web', index);
    assert.equal(basename(top), index === 0 ? 'web.vmdk' : 'web_1.vmdk');
    assert.ok((await readDisk(top)).equals(model[index]!), `base ${index} after consolidation`);
    const q = await qemuRead(top, dir);
    if (q) assert.ok(q.equals(model[index]!), `qemu-img reads base ${index} as the model`);
  }
  const left = (await readdir(after.folder)).filter((n) => /-\d{6}/.test(n) || n.endsWith('.vmsn'));
  assert.deepEqual(left, []);
});

test('snapshots on VMFS5 make vmfsSparse deltas; revert gives the snapshot state on a new delta and drops the old one', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const app = () => inv.vmRef(vmNamed(inv, 'app'));
  const base = await readDisk(join(inv.dir, 'datastores/datastore2/app/app.vmdk'));
  const before = await readDisk(currentTop(inv, 'app', 0));
  assert.ok(!before.subarray(APP_DELTA_OFFSET, APP_DELTA_OFFSET + DEFAULT_DATA_LENGTH).equals(base.subarray(APP_DELTA_OFFSET, APP_DELTA_OFFSET + DEFAULT_DATA_LENGTH)));

  await assert.rejects(inv.guestWrite(app(), 0, 0, Buffer.alloc(512)), faultOf('InvalidPowerState'));
  await inv.powerOn(app());
  await assert.rejects(inv.powerOn(app()), faultOf('InvalidPowerState'));
  const snap = await inv.createSnapshot(app(), 'second', '', false, false);
  const top = currentTop(inv, 'app', 0);
  assert.equal(basename(top), 'app-000002.vmdk');
  assert.equal(await createType(top), 'vmfsSparse');
  const info = await qemuInfo(top);
  if (info) assert.equal((info['backing-filename'] as string | undefined)?.endsWith('app-000001.vmdk'), true);
  await inv.guestWrite(app(), 0, 4096, Buffer.alloc(8192, 0xab));
  assert.equal((await readDisk(currentTop(inv, 'app', 0)))[4096 + 100], 0xab);

  // Revert to the default snapshot: the base's data, on a new delta; the VM is powered off as the snapshot was.
  const nightly = inv.snapshotRef(vmNamed(inv, 'app'), vmNamed(inv, 'app').tree.nodes.find((n) => n.name === 'nightly')!);
  await inv.revertToSnapshot(nightly);
  const reverted = vmNamed(inv, 'app');
  assert.equal(reverted.powerState, 'poweredOff');
  assert.equal(reverted.tree.currentUid, reverted.tree.nodes.find((n) => n.name === 'nightly')!.uid);
  assert.ok((await readDisk(currentTop(inv, 'app', 0))).equals(base));
  assert.equal(basename(currentTop(inv, 'app', 0)), 'app-000003.vmdk');
  // The snapshot 'second' still holds what it froze.
  assert.ok((await readDisk(frozenTop(inv, 'app', 'second', 0))).equals(before));
  // RevertToCurrentSnapshot again: another fresh delta; app-000003 had no snapshot on it and goes.
  await inv.revertToCurrentSnapshot(app());
  const names = await readdir(reverted.folder);
  assert.ok(!names.includes('app-000003.vmdk'));
  assert.ok((await readDisk(currentTop(inv, 'app', 0))).equals(base));
  // Removing 'second' with its state: app-000001 merged away is not allowed (a branch), the chain stays readable.
  await inv.removeSnapshot(snap, false, true);
  assert.ok((await readDisk(currentTop(inv, 'app', 0))).equals(base));
  await inv.removeAllSnapshots(app(), true);
  assert.equal(basename(currentTop(inv, 'app', 0)), 'app.vmdk');
  assert.ok((await readDisk(currentTop(inv, 'app', 0))).equals(base));
  assert.deepEqual((await readdir(reverted.folder)).filter((n) => /-\d{6}/.test(n)), []);
});

test('one operation at a time per VM: a second gets TaskInProgress, property reads do not wait', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const db = inv.vmRef(vmNamed(inv, 'db'));
  const first = inv.createSnapshot(db, 'a', '', false, false);
  const second = inv.createSnapshot(db, 'b', '', false, false);
  assert.ok(inv.lookup(db)!.property('config'));
  const results = await Promise.allSettled([first, second]);
  assert.equal(results[0]!.status, 'fulfilled');
  assert.equal(results[1]!.status, 'rejected');
  assert.ok(faultOf('TaskInProgress')((results[1] as PromiseRejectedResult).reason));
  assert.equal(vmNamed(inv, 'db').tree.nodes.length, 1);
});

test('a restart finds the snapshots, their morefs and their disks as they were', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  const db = inv.vmRef(vmNamed(inv, 'db'));
  const s = await inv.createSnapshot(db, 'kept', 'across restarts', false, false);
  const tree = JSON.stringify(inv.lookup(db)!.property('snapshot'));
  const device = JSON.stringify(inv.lookup(s)!.property('config'));
  await inv.close();
  const again = await HostInventory.open(dir);
  t.after(() => again.close());
  assert.equal(JSON.stringify(again.lookup(db)!.property('snapshot')), tree);
  const reread = JSON.parse(JSON.stringify(again.lookup(s)!.property('config'))) as { hardware: unknown; modified: unknown; changeVersion: unknown };
  const old = JSON.parse(device) as typeof reread;
  assert.deepEqual(reread.hardware, old.hardware);
  assert.ok((await stat(join(dirname(currentTop(again, 'db', 0)), 'db-000001.vmdk'))).isFile());
});
