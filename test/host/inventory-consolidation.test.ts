import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { vmxDisks } from '../../src/host/inventory/vm-config.js';
import { currentTop, readDisk, vmNamed } from './inventory-support.js';

function runtimeOf(inv: HostInventory, name: string): { consolidationNeeded: boolean } {
  return inv.lookup(inv.vmRef(vmNamed(inv, name)))!.property('runtime') as { consolidationNeeded: boolean };
}

test('a removal without consolidation sets runtime.consolidationNeeded; ConsolidateVMDisks_Task merges the chains byte for byte and clears it', async (t) => {
  const dir = await tempDir(t);
  let inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const web = inv.vmRef(vmNamed(inv, 'web'));
  const folder = join(dir, 'datastores/datastore1/web');
  assert.equal(runtimeOf(inv, 'web').consolidationNeeded, false);

  const s1 = await inv.createSnapshot(web, 'one', '', false, false);
  await inv.guestWrite(web, 0, 4096, Buffer.alloc(8192, 0x11));
  const s2 = await inv.createSnapshot(web, 'two', '', false, false);
  await inv.guestWrite(web, 0, 1 << 20, Buffer.alloc(4096, 0x22));
  const expected = await readDisk(currentTop(inv, 'web', 0));
  const expectedSecond = await readDisk(currentTop(inv, 'web', 1));

  // consolidate = false: the snapshots leave the tree, their deltas stay in the chains.
  await inv.removeSnapshot(s2, false, false);
  await inv.removeSnapshot(s1, false, false);
  assert.equal(vmNamed(inv, 'web').tree.nodes.length, 0);
  assert.equal(runtimeOf(inv, 'web').consolidationNeeded, true);
  assert.ok((await readdir(folder)).some((f) => /web-00000\d\.vmdk/.test(f)));

  // Derived from the files: a restarted host still sees it.
  await inv.close();
  inv = await HostInventory.open(dir);
  assert.equal(runtimeOf(inv, 'web').consolidationNeeded, true);
  assert.equal(runtimeOf(inv, 'db').consolidationNeeded, false);

  await inv.consolidateDisks(inv.vmRef(vmNamed(inv, 'web')));
  assert.equal(runtimeOf(inv, 'web').consolidationNeeded, false);
  const vm = vmNamed(inv, 'web');
  for (const d of vmxDisks(vm.vmx)) assert.equal(vm.chain(inv.linkPathOf(vm, d.fileName)!).length, 1, `${d.fileName} still has deltas`);
  assert.ok(!(await readdir(folder)).some((f) => /-00000\d/.test(f)), 'a delta file stayed');
  assert.deepEqual(await readDisk(currentTop(inv, 'web', 0)), expected);
  assert.deepEqual(await readDisk(currentTop(inv, 'web', 1)), expectedSecond);

  // Nothing to merge: a success that changes nothing.
  await inv.consolidateDisks(inv.vmRef(vmNamed(inv, 'db')));
  assert.equal(runtimeOf(inv, 'db').consolidationNeeded, false);
});

test('a snapshot still in the tree is not "needed consolidation": only links no state names count', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  // app comes with one snapshot and a delta on it: nothing to consolidate.
  assert.equal(runtimeOf(inv, 'app').consolidationNeeded, false);
  const app = inv.vmRef(vmNamed(inv, 'app'));
  await inv.createSnapshot(app, 'more', '', false, false);
  assert.equal(runtimeOf(inv, 'app').consolidationNeeded, false);
  await inv.removeAllSnapshots(app, false);
  assert.equal(runtimeOf(inv, 'app').consolidationNeeded, true);
  await inv.consolidateDisks(app);
  assert.equal(runtimeOf(inv, 'app').consolidationNeeded, false);
});
