import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileReplacing } from '../../vmdk/replace-file.js';

/**
 * DIR/inventory.json: what the host holds that no VMware file records — the datacenter, folders,
 * cluster, hosts, datastores, which VMs are registered (by their .vmx datastore path) and on which
 * host, and the moref of every object in both personalities, so morefs survive restarts. Replaced
 * atomically (aside, sync, rename, sync folder) on every change.
 */

export type Personality = 'vcenter' | 'esxi';
export const PERSONALITIES: readonly Personality[] = ['vcenter', 'esxi'];

/** An object's moref value as vCenter names it and as a lone ESXi host names it. */
export interface Morefs {
  vcenter: string;
  esxi: string;
}

export type DatastoreType = 'VMFS6' | 'VMFS5';

export interface HostRecord {
  name: string;
  morefs: Morefs;
  /** The host's hardware uuid (HostSystem summary.hardware.uuid). */
  uuid: string;
}

export interface DatastoreRecord {
  name: string;
  /** VMFS6 datastores take seSparse snapshot deltas, VMFS5 ones vmfsSparse (as ESXi does). */
  type: DatastoreType;
  /** The VMFS volume uuid (the datastore url's last part, the ESXi moref). */
  uuid: string;
  morefs: Morefs;
}

export interface VmRecord {
  /** The .vmx as a datastore path: `[datastore1] web/web.vmx`. */
  vmx: string;
  /** The name of the ESXi host the VM is registered on. */
  host: string;
  morefs: Morefs;
}

export interface InventoryRecord {
  version: 1;
  /** Next number for vCenter morefs (datacenter-N, vm-N...): never reused. */
  nextNumber: number;
  /** Next number for snapshot-N morefs (vCenter). */
  nextSnapshot: number;
  /** The host's (vCenter's or ESXi's) instance uuid (AboutInfo.instanceUuid). */
  instanceUuid: string;
  rootFolder: Morefs;
  datacenter: {
    name: string;
    morefs: Morefs;
    vmFolder: Morefs;
    hostFolder: Morefs;
    datastoreFolder: Morefs;
    networkFolder: Morefs;
  };
  cluster: { name: string; morefs: Morefs; resourcePool: Morefs };
  hosts: HostRecord[];
  datastores: DatastoreRecord[];
  vms: VmRecord[];
}

export const INVENTORY_FILE = 'inventory.json';

export async function readInventoryRecord(dir: string): Promise<InventoryRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, INVENTORY_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new Error(`${join(dir, INVENTORY_FILE)} is not valid JSON`);
  }
  return checkRecord(record, join(dir, INVENTORY_FILE));
}

export async function writeInventoryRecord(dir: string, record: InventoryRecord): Promise<void> {
  await writeFileReplacing(join(dir, INVENTORY_FILE), Buffer.from(JSON.stringify(record, null, 2) + '\n'));
}

/** Enough of a shape check that a hand-edited file fails with one line, not a TypeError later. */
function checkRecord(value: unknown, file: string): InventoryRecord {
  const r = value as Partial<InventoryRecord>;
  const bad = (what: string): never => { throw new Error(`${file}: ${what}`); };
  if (typeof r !== 'object' || r === null) bad('not an object');
  if (r.version !== 1) bad(`version ${String(r.version)} is not supported (1 is)`);
  if (!Number.isSafeInteger(r.nextNumber) || !Number.isSafeInteger(r.nextSnapshot)) bad('nextNumber/nextSnapshot missing');
  const morefs = (m: unknown, what: string): void => {
    const x = m as Partial<Morefs> | undefined;
    if (!x || typeof x.vcenter !== 'string' || typeof x.esxi !== 'string') bad(`${what} has no morefs`);
  };
  morefs(r.rootFolder, 'rootFolder');
  if (!r.datacenter || typeof r.datacenter.name !== 'string') bad('datacenter missing');
  for (const k of ['morefs', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'] as const) morefs(r.datacenter![k], `datacenter.${k}`);
  if (!r.cluster || typeof r.cluster.name !== 'string') bad('cluster missing');
  morefs(r.cluster!.morefs, 'cluster');
  morefs(r.cluster!.resourcePool, 'cluster.resourcePool');
  if (!Array.isArray(r.hosts) || r.hosts.length === 0) bad('hosts missing');
  for (const h of r.hosts!) {
    if (typeof h.name !== 'string') bad('a host has no name');
    morefs(h.morefs, `host ${h.name}`);
  }
  if (!Array.isArray(r.datastores)) bad('datastores missing');
  for (const d of r.datastores!) {
    if (typeof d.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(d.name)) bad(`datastore name ${JSON.stringify(d.name)} is not a plain name`);
    if (d.type !== 'VMFS6' && d.type !== 'VMFS5') bad(`datastore ${d.name}: type ${String(d.type)} is not VMFS6 or VMFS5`);
    morefs(d.morefs, `datastore ${d.name}`);
  }
  if (!Array.isArray(r.vms)) bad('vms missing');
  for (const v of r.vms!) {
    if (typeof v.vmx !== 'string' || typeof v.host !== 'string') bad('a VM has no vmx or host');
    if (!r.hosts!.some((h) => h.name === v.host)) bad(`VM ${v.vmx}: host ${v.host} is not in the inventory`);
    morefs(v.morefs, `VM ${v.vmx}`);
  }
  return r as InventoryRecord;
}
