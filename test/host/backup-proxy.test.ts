import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { dmiProductUuid, guestSysRoot, identityFile, readProxyDevices } from '../../src/host/inventory/backup-proxy.js';
import { vimUuid, vmxDisks } from '../../src/host/inventory/vm-config.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { readDisk, vmNamed } from './inventory-support.js';

const faultOf = (type: string) => (e: unknown) => e instanceof SoapFault && e.faultType === type;

const attach = (fileName: string, diskMode: string, extra: Record<string, unknown> = {}) => ({
  deviceChange: [{
    operation: 'add',
    device: { _type: 'VirtualDisk', key: -201, controllerKey: 1000, ...extra,
      deviceInfo: { _type: 'Description', label: 'vixdisk-hotadd', summary: fileName },
      backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName, diskMode } },
  }],
});
const detach = (key: number) => ({ deviceChange: [{ operation: 'remove', device: { _type: 'VirtualDisk', key } }] });

test('a backup proxy: identity as Linux shows it, HotAdded disks as local devices, a redo layer discarded on detach', async (t) => {
  const dir = await tempDir(t);
  let inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  await inv.setBackupProxies(['backup-proxy']);
  const proxy = vmNamed(inv, 'backup-proxy');
  assert.equal(proxy.powerState, 'poweredOn');
  const proxyRef = inv.vmRef(proxy);
  // The identity file holds the BIOS uuid byte-swapped in its first three fields; FindByUuid takes the vim form.
  const dmi = (await readFile(identityFile(inv, 'backup-proxy'), 'utf8')).trim();
  const vim = vimUuid(proxy.vmx.get('uuid.bios'))!;
  assert.equal(dmi, dmiProductUuid(proxy.vmx.get('uuid.bios')!));
  assert.notEqual(dmi, vim);
  assert.deepEqual(inv.findByUuid(vim, true), proxyRef);

  const web = inv.vmRef(vmNamed(inv, 'web'));
  await inv.createSnapshot(web, 'backup', '', false, false);
  const frozen = '[datastore1] web/web.vmdk';
  const frozenFile = join(dir, 'datastores/datastore1/web/web.vmdk');
  const before = await readDisk(frozenFile);

  // Refusals: the proxy's own boot disk, an RDM, a frozen disk attached persistent.
  await assert.rejects(inv.reconfigure(proxyRef, attach('[datastore1] backup-proxy/backup-proxy.vmdk', 'independent_nonpersistent')), faultOf('InvalidDeviceSpec'));
  await assert.rejects(inv.reconfigure(proxyRef, { deviceChange: [{ operation: 'add', device: { _type: 'VirtualDisk', key: -1, controllerKey: 1000,
    backing: { _type: 'VirtualDiskRawDiskMappingVer1BackingInfo', fileName: frozen, diskMode: 'independent_nonpersistent' } } }] }), faultOf('NotSupported'));
  await assert.rejects(inv.reconfigure(proxyRef, attach(frozen, 'persistent')), faultOf('FileLocked'));

  // HotAdd: first free unit after the boot disk; the device is a redo layer over the frozen disk.
  await inv.reconfigure(proxyRef, attach(frozen, 'independent_nonpersistent'));
  const devices = await readProxyDevices(guestSysRoot(inv, 'backup-proxy'));
  assert.deepEqual([...devices.keys()], ['0:0:1:0']);
  const entry = devices.get('0:0:1:0')!;
  assert.equal(entry.deviceKey, 2001);
  assert.equal(entry.diskMode, 'independent_nonpersistent');
  assert.match(entry.device, /datastore1\/\.vixdisk-hotadd\/backup-proxy\/scsi0-1-REDO\.vmdk$/);
  const device = await VmdkDisk.open(entry.device);
  assert.ok(before.equals(await (async () => { const b = Buffer.alloc(device.capacity); await device.read(0, b); return b; })()));
  // The guest writes: into the redo layer, never the snapshot's file.
  await device.write(4096, Buffer.alloc(65536, 0xab));
  await device.close();
  assert.ok(before.equals(await readDisk(frozenFile)));

  // The snapshot cannot go while its disk is attached (as ESXi refuses it).
  const snap = inv.lookup(web)!.property('snapshot') as { currentSnapshot: never };
  await assert.rejects(inv.removeSnapshot(snap.currentSnapshot, false), faultOf('FileLocked'));

  // A restart keeps the attachment and its device (the .vmx is the truth); a lost entry comes back.
  await inv.close();
  await rm(join(guestSysRoot(inv, 'backup-proxy'), 'bus/scsi/devices/0:0:1:0'), { recursive: true });
  inv = await HostInventory.open(dir);
  await inv.setBackupProxies(['backup-proxy']);
  assert.equal((await readProxyDevices(guestSysRoot(inv, 'backup-proxy'))).get('0:0:1:0')?.device, entry.device);

  // Detach: the entry and the redo layer go; the frozen disk is as it was; the snapshot can go.
  await inv.reconfigure(inv.vmRef(vmNamed(inv, 'backup-proxy')), detach(2001));
  assert.equal((await readProxyDevices(guestSysRoot(inv, 'backup-proxy'))).size, 0);
  assert.deepEqual(await readdir(join(dir, 'datastores/datastore1/.vixdisk-hotadd/backup-proxy')), []);
  assert.ok(before.equals(await readDisk(frozenFile)));
  await inv.removeSnapshot(snap.currentSnapshot, false);
  assert.ok((await stat(frozenFile)).isFile());
});

test('a backup proxy: a powered-off VM\'s disk attached persistent is written in place; a full controller gets a new PVSCSI one', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  await inv.setBackupProxies(['backup-proxy']);
  const proxyRef = inv.vmRef(vmNamed(inv, 'backup-proxy'));
  const dbFile = join(dir, 'datastores/datastore1/db/db.vmdk');
  await inv.reconfigure(proxyRef, attach('[datastore1] db/db.vmdk', 'persistent', { unitNumber: 3 }));
  const entry = (await readProxyDevices(guestSysRoot(inv, 'backup-proxy'))).get('0:0:3:0')!;
  assert.equal(entry.device, dbFile);
  assert.equal(entry.redo, undefined);
  const device = await VmdkDisk.open(entry.device);
  await device.write(1 << 20, Buffer.alloc(4096, 0x5a));
  await device.close();
  await inv.reconfigure(proxyRef, detach(2003));
  assert.ok((await readDisk(dbFile)).subarray(1 << 20, (1 << 20) + 4096).equals(Buffer.alloc(4096, 0x5a)));
  // A running VM's current disk cannot be attached persistent.
  await assert.rejects(inv.reconfigure(proxyRef, attach('[datastore1] web/web.vmdk', 'persistent')), faultOf('FileLocked'));
  // A new controller in the same spec when the caller finds bus 0 full.
  await inv.reconfigure(proxyRef, { deviceChange: [
    { operation: 'add', device: { _type: 'ParaVirtualSCSIController', key: -100, busNumber: 1 } },
    { operation: 'add', device: { _type: 'VirtualDisk', key: -201, controllerKey: -100, unitNumber: 0,
      backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore2] app/app.vmdk', diskMode: 'independent_nonpersistent' } } },
  ] });
  const again = await readProxyDevices(guestSysRoot(inv, 'backup-proxy'));
  assert.deepEqual([...again.keys()], ['1:0:0:0']);
  // The redo layer lies on the attached disk's datastore (VMFS5: vmfsSparse).
  assert.match(again.get('1:0:0:0')!.device, /datastore2\/\.vixdisk-hotadd\/backup-proxy\/scsi1-0-REDO\.vmdk$/);
  assert.ok((await stat(again.get('1:0:0:0')!.device.replace(/\.vmdk$/, '-delta.vmdk'))).isFile());
});

test('a backup proxy: a device that cannot be made fails the HotAdd as a whole (the disk is not left attached)', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  await inv.setBackupProxies(['backup-proxy']);
  const proxyRef = inv.vmRef(vmNamed(inv, 'backup-proxy'));
  // Something that is not a folder where the redo layers go.
  await writeFile(join(dir, 'datastores/datastore1/.vixdisk-hotadd'), 'not a folder');
  await assert.rejects(inv.reconfigure(proxyRef, attach('[datastore1] db/db.vmdk', 'independent_nonpersistent')));
  assert.deepEqual(vmxDisks(vmNamed(inv, 'backup-proxy').vmx).map((d) => d.node), ['scsi0:0']);
  assert.equal((await readProxyDevices(guestSysRoot(inv, 'backup-proxy'))).size, 0);
  await rm(join(dir, 'datastores/datastore1/.vixdisk-hotadd'));
  await inv.reconfigure(proxyRef, attach('[datastore1] db/db.vmdk', 'independent_nonpersistent'));
  assert.equal((await readProxyDevices(guestSysRoot(inv, 'backup-proxy'))).size, 1);
});
