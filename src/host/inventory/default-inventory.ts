import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createChild, createDiskDevice } from '../../vmdk/create.js';
import { VmdkDisk } from '../../vmdk/disk.js';
import { writeMetadata } from '../../vmdk/metadata.js';
import { syncFolder } from '../../vmdk/replace-file.js';
import { INVENTORY_FILE, type DatastoreRecord, type InventoryRecord, type VmRecord } from './inventory-record.js';
import { SnapshotTree } from './snapshot-tree.js';
import { vmxUuid } from './vm-config.js';
import { VmxFile } from './vmx-file.js';

/**
 * The embedded default a data folder gets on first start (issue 10): datacenter `dc1`, cluster
 * `cluster1` with ESXi hosts `esx1.local` and `esx2.local`, datastores `datastore1` (VMFS6: seSparse
 * snapshots) and `datastore2` (VMFS5: vmfsSparse), and three VMs with data on their disks:
 * `web` (datastore1, two disks, powered on, on esx1), `db` (datastore1, one disk, powered off, on
 * esx2) and `app` (datastore2, one disk with one existing snapshot, powered off, on esx1).
 *
 * It is built in DIR/.creating and moved into place, inventory.json last: a start killed half way
 * leaves no inventory.json, and the next start builds it again from scratch.
 */

export const DEFAULT_DISK_CAPACITY = 64 << 20;
/** Where the default disks carry data: 64 KiB at each of these offsets (and what follows). */
export const DEFAULT_DATA_OFFSETS = [0, (1 << 20) + 4096, DEFAULT_DISK_CAPACITY - 65536];
export const DEFAULT_DATA_LENGTH = 65536;
/** Where app's current delta (written after its snapshot) differs from the snapshot. */
export const APP_DELTA_OFFSET = 8 << 20;

/** The deterministic bytes a default disk holds at `offset`: a xorshift stream seeded by `seed`. */
export function defaultDiskData(seed: string, offset: number, length: number): Buffer {
  let x = 2166136261;
  for (const c of `${seed}@${offset}`) x = Math.imul(x ^ c.charCodeAt(0), 16777619) >>> 0;
  if (x === 0) x = 1;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

interface DefaultVm {
  name: string;
  datastore: string;
  host: string;
  powerState: 'poweredOn' | 'poweredOff';
  disks: Array<{ file: string; type: 'vmfs' | 'vmfsThin' }>;
  snapshot?: string;
}

const DEFAULT_VMS: DefaultVm[] = [
  { name: 'web', datastore: 'datastore1', host: 'esx1.local', powerState: 'poweredOn', disks: [{ file: 'web.vmdk', type: 'vmfs' }, { file: 'web_1.vmdk', type: 'vmfsThin' }] },
  { name: 'db', datastore: 'datastore1', host: 'esx2.local', powerState: 'poweredOff', disks: [{ file: 'db.vmdk', type: 'vmfsThin' }] },
  { name: 'app', datastore: 'datastore2', host: 'esx1.local', powerState: 'poweredOff', disks: [{ file: 'app.vmdk', type: 'vmfsThin' }], snapshot: 'nightly' },
];

export async function createDefaultInventory(dir: string): Promise<void> {
  const staging = join(dir, '.creating');
  await rm(staging, { recursive: true, force: true });
  if (await stat(join(dir, 'datastores')).then(() => true, () => false)) {
    throw new Error(`${dir} has a datastores folder but no ${INVENTORY_FILE}: not a data folder vixdisk host can adopt (move it away or restore ${INVENTORY_FILE})`);
  }
  await mkdir(staging, { recursive: true });
  let n = 2;
  const next = (): number => n++;
  const dcN = next();
  const record: InventoryRecord = {
    version: 1,
    nextNumber: 0,
    nextSnapshot: 1,
    instanceUuid: uuidText(randomBytes(16)),
    rootFolder: { vcenter: 'group-d1', esxi: 'ha-folder-root' },
    datacenter: {
      name: 'dc1',
      morefs: { vcenter: `datacenter-${dcN}`, esxi: 'ha-datacenter' },
      vmFolder: { vcenter: `group-v${next()}`, esxi: 'ha-folder-vm' },
      hostFolder: { vcenter: `group-h${next()}`, esxi: 'ha-folder-host' },
      datastoreFolder: { vcenter: `group-s${next()}`, esxi: 'ha-folder-datastore' },
      networkFolder: { vcenter: `group-n${next()}`, esxi: 'ha-folder-network' },
    },
    cluster: { name: 'cluster1', morefs: { vcenter: `domain-c${next()}`, esxi: 'ha-compute-res' }, resourcePool: { vcenter: `resgroup-${next()}`, esxi: 'ha-root-pool' } },
    hosts: ['esx1.local', 'esx2.local'].map((name) => ({ name, morefs: { vcenter: `host-${next()}`, esxi: 'ha-host' }, uuid: uuidText(randomBytes(16)) })),
    datastores: ([['datastore1', 'VMFS6'], ['datastore2', 'VMFS5']] as const).map(([name, type]): DatastoreRecord => {
      const u = randomBytes(16).toString('hex');
      return { name, type, uuid: `${u.slice(0, 8)}-${u.slice(8, 16)}-${u.slice(16, 20)}-${u.slice(20, 32)}`, morefs: { vcenter: `datastore-${next()}`, esxi: '' } };
    }),
    vms: [],
  };
  for (const ds of record.datastores) {
    ds.morefs.esxi = ds.uuid;
    await mkdir(join(staging, 'datastores', ds.name), { recursive: true });
  }
  for (const vm of DEFAULT_VMS) {
    const number = next();
    await createDefaultVm(join(staging, 'datastores', vm.datastore, vm.name), vm, () => record.nextSnapshot++);
    const entry: VmRecord = { vmx: `[${vm.datastore}] ${vm.name}/${vm.name}.vmx`, host: vm.host, morefs: { vcenter: `vm-${number}`, esxi: String(number) } };
    record.vms.push(entry);
  }
  record.nextNumber = n;
  await writeFile(join(staging, INVENTORY_FILE), JSON.stringify(record, null, 2) + '\n');
  await syncFolder(staging);
  // Two renames: the datastores, then the inventory that makes the folder a data folder.
  await rename(join(staging, 'datastores'), join(dir, 'datastores'));
  await rename(join(staging, INVENTORY_FILE), join(dir, INVENTORY_FILE));
  await syncFolder(dir);
  await rm(staging, { recursive: true, force: true });
}

/**
 * Finish a default creation killed between its two renames (datastores moved, inventory.json
 * not yet): the staged inventory.json describes exactly those datastores.
 */
export async function finishDefaultInventory(dir: string): Promise<boolean> {
  const staged = join(dir, '.creating', INVENTORY_FILE);
  const hasStaged = await stat(staged).then(() => true, () => false);
  const hasStagedDatastores = await stat(join(dir, '.creating', 'datastores')).then(() => true, () => false);
  const hasDatastores = await stat(join(dir, 'datastores')).then(() => true, () => false);
  if (!hasStaged || hasStagedDatastores || !hasDatastores) return false;
  await rename(staged, join(dir, INVENTORY_FILE));
  await syncFolder(dir);
  await rm(join(dir, '.creating'), { recursive: true, force: true });
  return true;
}

async function createDefaultVm(folder: string, vm: DefaultVm, snapshotNumber: () => number): Promise<void> {
  await mkdir(folder, { recursive: true });
  const vmx = VmxFile.empty()
    .set('config.version', 8)
    .set('virtualHW.version', 20)
    .set('displayName', vm.name)
    .set('guestOS', 'ubuntu-64')
    .set('numvcpus', 2)
    .set('memSize', 2048)
    .set('uuid.bios', vmxUuid(Buffer.concat([Buffer.from([0x42]), randomBytes(15)])))
    .set('vc.uuid', vmxUuid(Buffer.concat([Buffer.from([0x50]), randomBytes(15)])))
    .set('scsi0.present', true)
    .set('scsi0.virtualDev', 'pvscsi');
  for (const [unit, disk] of vm.disks.entries()) {
    const path = join(folder, disk.file);
    // ESXi writes thin disks as createType "vmfs" with ddb.thinProvisioned = "1" (QEMU reads those).
    const dev = await createDiskDevice(path, { capacity: DEFAULT_DISK_CAPACITY, type: 'vmfs', adapterType: 'lsilogic', hwVersion: 20 });
    try {
      for (const offset of DEFAULT_DATA_OFFSETS) await dev.write(offset, defaultDiskData(`${vm.name}/${disk.file}`, offset, DEFAULT_DATA_LENGTH));
    } finally {
      await dev.close();
    }
    if (disk.type === 'vmfsThin') await writeMetadata(path, 'thinProvisioned', '1');
    vmx.set(`scsi0:${unit}.present`, true)
      .set(`scsi0:${unit}.deviceType`, 'scsi-hardDisk')
      .set(`scsi0:${unit}.fileName`, disk.file);
  }
  vmx.set('ctkEnabled', false).set('vixdisk.powerState', vm.powerState);
  const tree = new SnapshotTree();
  if (vm.snapshot) {
    // The snapshot froze the base disks; the VM now runs on vmfsSparse deltas written since.
    const vmsn = `${vm.name}-Snapshot1.vmsn`;
    await writeFile(join(folder, vmsn), vmx.toString());
    tree.nodes.push({
      uid: 1, morefNumber: snapshotNumber(), name: vm.snapshot, description: 'created with the default inventory',
      createTime: new Date(), vmsn, powerState: vm.powerState, quiesced: false,
      disks: vm.disks.map((d, unit) => ({ node: `scsi0:${unit}`, fileName: d.file })),
    });
    tree.currentUid = 1;
    tree.lastUid = 1;
    for (const [unit, disk] of vm.disks.entries()) {
      const deltaName = disk.file.replace(/\.vmdk$/, '-000001.vmdk');
      await createChild(join(folder, deltaName), join(folder, disk.file), { type: vm.datastore === 'datastore1' ? 'seSparse' : 'vmfsSparse' });
      const dev = await VmdkDisk.open(join(folder, deltaName));
      try {
        await dev.write(APP_DELTA_OFFSET, defaultDiskData(`${vm.name}/${deltaName}`, APP_DELTA_OFFSET, DEFAULT_DATA_LENGTH));
      } finally {
        await dev.close();
      }
      vmx.set(`scsi0:${unit}.fileName`, deltaName);
    }
  }
  await writeFile(join(folder, `${vm.name}.vmx`), vmx.toString());
  await writeFile(join(folder, `${vm.name}.vmsd`), tree.toString());
}

function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
