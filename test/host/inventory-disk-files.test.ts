import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { vmxDisks } from '../../src/host/inventory/vm-config.js';
import { inventoryMethods } from '../../src/host/methods/inventory-methods.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { qemuInfo, readDisk, vmNamed } from './inventory-support.js';

const faultOf = (type: string, text?: RegExp) => (e: unknown) =>
  e instanceof SoapFault && e.faultType === type && (text === undefined || text.test(e.message));

const create = (fileName: string, backing: Record<string, unknown>, capacityInKB = 4096) => ({
  deviceChange: [{
    operation: 'add', fileOperation: 'create',
    device: { _type: 'VirtualDisk', key: -100, controllerKey: 1000, capacityInKB,
      backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName, diskMode: 'persistent', ...backing } },
  }],
});
const destroy = (key: number) => ({ deviceChange: [{ operation: 'remove', fileOperation: 'destroy', device: { _type: 'VirtualDisk', key } }] });

test('fileOperation create makes a VMFS disk (thin or thick) on the datastore; destroy deletes its files, never a base a snapshot reads', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const dbRef = inv.vmRef(vmNamed(inv, 'db'));
  const folder = join(dir, 'datastores/datastore1/db');

  // Empty fileName: ESXi's name in the VM's folder; thin.
  await inv.reconfigure(dbRef, create('', { thinProvisioned: true }));
  let db = vmNamed(inv, 'db');
  const added = vmxDisks(db.vmx).find((d) => d.fileName === 'db_1.vmdk');
  assert.ok(added, `new disk not in the .vmx: ${vmxDisks(db.vmx).map((d) => d.fileName).join(', ')}`);
  const thinDescriptor = await readFile(join(folder, 'db_1.vmdk'), 'utf8');
  assert.match(thinDescriptor, /createType="vmfs"/);
  assert.match(thinDescriptor, /ddb\.thinProvisioned = "1"/);
  assert.match(thinDescriptor, /RW 8192 VMFS "db_1-flat\.vmdk"/);
  assert.equal((await stat(join(folder, 'db_1-flat.vmdk'))).size, 4 << 20);
  const info = await qemuInfo(join(folder, 'db_1.vmdk'));
  if (info) assert.equal(info['virtual-size'], 4 << 20);

  // A named thick disk on the other datastore: no thin flag; the VM names it by /vmfs/volumes.
  await inv.reconfigure(dbRef, create('[datastore2] db-data.vmdk', { thinProvisioned: false }, 2048));
  db = vmNamed(inv, 'db');
  const thick = vmxDisks(db.vmx).find((d) => d.fileName.endsWith('db-data.vmdk'));
  assert.ok(thick);
  const thickDescriptor = await readFile(join(dir, 'datastores/datastore2/db-data.vmdk'), 'utf8');
  assert.doesNotMatch(thickDescriptor, /thinProvisioned/);

  // The new disk is a disk: write and read it back through the engine.
  const disk = await VmdkDisk.open(join(folder, 'db_1.vmdk'));
  await disk.write(512, Buffer.alloc(512, 0x5a));
  await disk.close();
  assert.equal((await readDisk(join(folder, 'db_1.vmdk')))[512], 0x5a);

  // Bad input: an existing file, a folder that does not exist, a zero capacity, another backing type.
  await assert.rejects(inv.reconfigure(dbRef, create('[datastore2] db-data.vmdk', {})), faultOf('FileAlreadyExists'));
  await assert.rejects(inv.reconfigure(dbRef, create('[datastore1] nowhere/x.vmdk', {})), faultOf('FileNotFound'));
  await assert.rejects(inv.reconfigure(dbRef, create('[datastore1] db/zero.vmdk', {}, 0)), faultOf('InvalidDeviceSpec'));
  await assert.rejects(inv.reconfigure(dbRef, create('[datastore1] db/s.vmdk', { _type: 'VirtualDiskSparseVer2BackingInfo' })), faultOf('NotSupported'));
  await assert.rejects(inv.reconfigure(dbRef, create('[datastore1] ../escape.vmdk', {})), faultOf('InvalidArgument'));
  // A spec that fails after its disk was made leaves no file behind (here: a unit in use).
  const clash = create('[datastore1] db/clash.vmdk', {});
  (clash.deviceChange[0]!.device as Record<string, unknown>).unitNumber = 0;
  await assert.rejects(inv.reconfigure(dbRef, clash), faultOf('InvalidDeviceSpec'));
  assert.ok(!(await readdir(folder)).some((f) => f.startsWith('clash')), 'a refused create left its files');

  // destroy: the files go.
  await inv.reconfigure(dbRef, destroy(added.key));
  assert.ok(!(await readdir(folder)).some((f) => f.startsWith('db_1')), 'destroy left the disk files');
  assert.ok(!vmxDisks(vmNamed(inv, 'db').vmx).some((d) => d.fileName === 'db_1.vmdk'));

  // With a snapshot: destroy removes the current delta only; the base the snapshot froze stays.
  await inv.createSnapshot(dbRef, 'keep', '', false, false);
  const dataKey = vmxDisks(vmNamed(inv, 'db').vmx).find((d) => d.fileName.endsWith('db-data-000001.vmdk'))?.key;
  assert.ok(dataKey !== undefined);
  await inv.reconfigure(dbRef, destroy(dataKey));
  const ds2 = await readdir(join(dir, 'datastores/datastore2'));
  assert.ok(ds2.includes('db-data.vmdk') && ds2.includes('db-data-flat.vmdk'), `the snapshot's base went: ${ds2.join(' ')}`);
  const dbFiles = await readdir(folder);
  assert.ok(!dbFiles.some((f) => f.startsWith('db-data-000001')), `the current delta stayed: ${dbFiles.join(' ')}`);

  // Plain remove (no fileOperation) keeps the files.
  const db0 = vmxDisks(vmNamed(inv, 'db').vmx)[0]!;
  await inv.reconfigure(dbRef, { deviceChange: [{ operation: 'remove', device: { _type: 'VirtualDisk', key: db0.key } }] });
  assert.ok((await readdir(folder)).includes(db0.fileName));
});

test('ReconfigVM_Task privileges: AddNewDisk on the VM and Datastore.AllocateSpace on the target datastore; RemoveDisk for destroy', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const methods = inventoryMethods(inv, undefined as never);
  const handler = methods.get('ReconfigVM_Task')!;
  const target = inv.vmRef(vmNamed(inv, 'db'));
  const privileges = (spec: unknown) => {
    const p = handler.privilege;
    const checks = typeof p === 'function' ? p({ target, args: { spec } } as never) : [{ privilegeId: p, entity: target }];
    return checks.map((c) => `${c.privilegeId}@${c.entity.value}`).sort();
  };
  const ds1 = inv.datastore('datastore1')!.morefs.vcenter;
  const ds2 = inv.datastore('datastore2')!.morefs.vcenter;
  assert.deepEqual(privileges(create('', {})), [`Datastore.AllocateSpace@${ds1}`, `VirtualMachine.Config.AddNewDisk@${target.value}`]);
  assert.deepEqual(privileges(create('[datastore2] x.vmdk', {})), [`Datastore.AllocateSpace@${ds2}`, `VirtualMachine.Config.AddNewDisk@${target.value}`]);
  assert.deepEqual(privileges(destroy(2000)), [`VirtualMachine.Config.RemoveDisk@${target.value}`]);
});
