import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { JOURNAL_NAME } from '../../src/host/inventory/vm-journal.js';
import { currentTop, readDisk, vmNamed } from './inventory-support.js';

// A VM's deltas are made at the same time; two disks whose deltas take their names from the same
// base name (db.vmdk on two datastores, both deltas in the VM's folder) must still get distinct
// names, each delta over its own base.
test('two disks with one base name on two datastores: a snapshot gives each its own delta over its own base', async (t) => {
  const dir = await tempDir(t);
  let inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const db = () => inv.vmRef(vmNamed(inv, 'db'));
  await inv.reconfigure(db(), {
    deviceChange: [{
      operation: 'add', fileOperation: 'create',
      device: { _type: 'VirtualDisk', key: -100, controllerKey: 1000, capacityInKB: 4096,
        backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore2] db.vmdk', diskMode: 'persistent', thinProvisioned: true } },
    }],
  });
  if (vmNamed(inv, 'db').powerState !== 'poweredOn') await inv.powerOn(db());
  const bases = [currentTop(inv, 'db', 0), currentTop(inv, 'db', 1)];
  assert.equal(basename(bases[0]!), 'db.vmdk');
  assert.equal(basename(bases[1]!), 'db.vmdk');
  assert.notEqual(bases[0], bases[1]);

  const model = [await readDisk(bases[0]!), await readDisk(bases[1]!)];
  const write = async (index: number, offset: number, byte: number) => {
    const data = Buffer.alloc(64 << 10, byte);
    await inv.guestWrite(db(), index, offset, data);
    data.copy(model[index]!, offset);
  };
  await write(0, 0, 0x11);
  await write(1, 0, 0x22);

  const snapshot = await inv.createSnapshot(db(), 's1', '', false, false);
  const tops = [currentTop(inv, 'db', 0), currentTop(inv, 'db', 1)];
  const folder = join(dir, 'datastores/datastore1/db');
  assert.deepEqual(tops.map((p) => join(p, '..')), [folder, folder], 'both deltas in the VM folder');
  assert.deepEqual(tops.map((p) => basename(p)).sort(), ['db-000001.vmdk', 'db-000002.vmdk']);
  assert.deepEqual(vmNamed(inv, 'db').chain(tops[0]!).map((l) => l.path), [tops[0], bases[0]]);
  assert.deepEqual(vmNamed(inv, 'db').chain(tops[1]!).map((l) => l.path), [tops[1], bases[1]]);

  await write(0, 1 << 20, 0x33);
  await write(1, 2 << 20, 0x44);
  await inv.removeSnapshot(snapshot, false, true);
  // The first chain merges into its base; the second's base is outside the VM's folder, which the
  // host never writes (disk-plan.ts), so that disk stays on its delta, over its own base.
  const after = [currentTop(inv, 'db', 0), currentTop(inv, 'db', 1)];
  assert.equal(after[0], bases[0]);
  assert.deepEqual(vmNamed(inv, 'db').chain(after[1]!).map((l) => l.path), [tops[1], bases[1]]);
  for (const i of [0, 1]) assert.ok((await readDisk(after[i]!)).equals(model[i]!), `disk ${i} reads as the model`);
  await assert.rejects(access(join(folder, JOURNAL_NAME)));

  // A restart finds the same.
  await inv.close();
  inv = await HostInventory.open(dir);
  assert.deepEqual([currentTop(inv, 'db', 0), currentTop(inv, 'db', 1)], after);
  for (const i of [0, 1]) assert.ok((await readDisk(after[i]!)).equals(model[i]!), `disk ${i} after a restart`);
});
