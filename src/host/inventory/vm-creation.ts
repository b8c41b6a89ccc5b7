import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createVmDisk } from './vm-disk-creation.js';
import { syncFolder } from '../../vmdk/replace-file.js';
import type { HostInventory } from './host-inventory.js';
import type { VmRecord } from './inventory-record.js';
import { SnapshotTree } from './snapshot-tree.js';
import { vmxUuid } from './vm-config.js';
import { VmxFile } from './vmx-file.js';

/**
 * Registers new, empty VMs on a running host (the admin socket's `create-vms`, what
 * `vixdisk host create-vms` calls): each a folder `[ds] NAME/` with `NAME.vmx`, an empty
 * `NAME.vmsd` and one thin disk `NAME.vmdk` (createType vmfs, ddb.thinProvisioned = "1", as ESXi
 * makes a thin disk), powered off. It is how a bench or a test gets an inventory of a thousand VMs
 * in seconds, as vcsim's `-vm` flag does; over SOAP a client would use CreateVM_Task.
 *
 * Crash safety: the folders are made and synced first, then one write of inventory.json registers
 * them all (the commit point). A host killed before it leaves folders nothing registers; they stay
 * on the datastore like any unregistered VM's (a datastore may hold those) and their names are
 * refused by the next request until removed.
 */

export interface CreateVmsRequest {
  /** Names are `${prefix}${first}`, `${prefix}${first + 1}`, ... */
  prefix: string;
  count: number;
  first: number;
  datastore: string;
  /** The ESXi host the VMs are registered on. */
  host: string;
  /** Capacity of each VM's one thin disk, bytes. */
  diskCapacity: number;
}

export const MAX_CREATE_VMS = 10_000;
const PARALLEL_CREATIONS = 8;

export async function createVms(inv: HostInventory, request: CreateVmsRequest): Promise<string[]> {
  const ds = inv.datastore(request.datastore);
  if (!ds) throw new Error(`no datastore ${JSON.stringify(request.datastore)} on this host`);
  if (!inv.host(request.host)) throw new Error(`no ESXi host ${JSON.stringify(request.host)} on this host`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$/.test(request.prefix)) throw new Error('prefix: letters, digits, . _ - (up to 61)');
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > MAX_CREATE_VMS) throw new Error(`count: 1..${MAX_CREATE_VMS}`);
  const names = Array.from({ length: request.count }, (_, i) => `${request.prefix}${request.first + i}`);
  const taken = new Set(inv.allVms.map((v) => v.name));
  const root = inv.datastoreRoot(ds.name);
  for (const name of names) {
    if (taken.has(name)) throw new Error(`a VM named ${name} exists`);
    if (await stat(join(root, name)).then(() => true, () => false)) throw new Error(`[${ds.name}] ${name} exists on the datastore`);
  }

  let next = 0;
  const worker = async () => {
    while (next < names.length) await makeVmFolder(join(root, names[next++]!), names[next - 1]!, request.diskCapacity);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CREATIONS, names.length) }, worker));
  await syncFolder(root);

  const records: VmRecord[] = names.map((name) => {
    const number = inv.record.nextNumber++;
    return { vmx: `[${ds.name}] ${name}/${name}.vmx`, host: request.host, morefs: { vcenter: `vm-${number}`, esxi: String(number) } };
  });
  await inv.registerVms(records);
  return records.map((r) => r.morefs[inv.personality]);
}

async function makeVmFolder(folder: string, name: string, capacity: number): Promise<void> {
  await mkdir(folder);
  await createVmDisk(join(folder, `${name}.vmdk`), capacity, true);
  const vmx = VmxFile.empty()
    .set('config.version', 8)
    .set('virtualHW.version', 20)
    .set('displayName', name)
    .set('guestOS', 'ubuntu-64')
    .set('numvcpus', 1)
    .set('memSize', 1024)
    .set('uuid.bios', vmxUuid(Buffer.concat([Buffer.from([0x42]), randomBytes(15)])))
    .set('vc.uuid', vmxUuid(Buffer.concat([Buffer.from([0x50]), randomBytes(15)])))
    .set('scsi0.present', true)
    .set('scsi0.virtualDev', 'pvscsi')
    .set('scsi0:0.present', true)
    .set('scsi0:0.deviceType', 'scsi-hardDisk')
    .set('scsi0:0.fileName', `${name}.vmdk`)
    .set('ctkEnabled', false)
    .set('vixdisk.powerState', 'poweredOff');
  await writeFile(join(folder, `${name}.vmsd`), new SnapshotTree().toString());
  // The .vmx last: a folder without one is not a VM.
  await writeFile(join(folder, `${name}.vmx`), vmx.toString());
  await syncFolder(folder);
}
