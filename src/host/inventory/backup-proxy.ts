import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createChild, createDiskDevice } from '../../vmdk/create.js';
import { writeMetadata } from '../../vmdk/metadata.js';
import { syncFolder, writeFileReplacing } from '../../vmdk/replace-file.js';
import { unlinkDisk } from '../../vmdk/unlink.js';
import { hostFault } from './host-faults.js';
import type { HostInventory } from './host-inventory.js';
import { vimUuid, vmxDisks, vmxUuid, type VmxDisk } from './vm-config.js';
import type { VmEntry } from './vm-entry.js';
import { SnapshotTree } from './snapshot-tree.js';
import { VmxFile } from './vmx-file.js';

/**
 * The simulator's backup-proxy model (reference §6.2, docs/hotadd.md). A VM the config names as
 * a backup proxy "runs" a guest this machine's processes stand in for. For it the host publishes,
 * under DIR/guests/<proxy>/sys/ (a stand-in for the guest's /sys):
 *
 *  - class/dmi/id/product_uuid: the guest's SMBIOS uuid as Linux shows it (SMBIOS >= 2.6 prints
 *    the first three fields little-endian, so it is the VM's BIOS uuid byte-swapped, as on a real
 *    VMware guest; VDDK tries both forms);
 *  - bus/scsi/devices/<bus>:0:<unit>:0/vixdisk-device.json: per disk HotAdded to the proxy, the
 *    local file the guest's SCSI disk is (what /sys/.../block/sdX then /dev/sdX are in a guest).
 *
 * The device of an `independent_nonpersistent` disk is a redo layer: a child of the attached disk
 * on that disk's datastore (DS/.vixdisk-hotadd/<proxy>/scsiB-U-REDO.vmdk), so reads go straight
 * to the datastore files and writes stay in the redo layer, which is discarded on detach. A
 * `persistent` disk's device is the disk itself. The set of devices is reconciled with the
 * proxy's .vmx after every reconfigure and at every start, so a host killed at any moment makes
 * them right on its next start: the .vmx is the truth, the devices follow it.
 */

export const GUESTS_FOLDER = 'guests';
const REDO_FOLDER = '.vixdisk-hotadd';
const DEVICE_FILE = 'vixdisk-device.json';
const PROXY_DISK_CAPACITY = 16 << 20;
/** Marks a VM this host made as a backup proxy (a folder with it is ours to adopt). */
const PROXY_MARKER = 'vixdisk.backupProxy';
export const PROXY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** What a device entry records (the guest's view of one HotAdded disk). */
export interface ProxyDeviceEntry {
  /** Absolute path of the file to open with the VMDK engine (redo layer or the disk itself). */
  device: string;
  /** The attached disk as the proxy's .vmx names it. */
  fileName: string;
  diskMode: string;
  deviceKey: number;
  /** The redo layer, when there is one (discarded on detach). */
  redo?: string;
}

export function guestSysRoot(inv: HostInventory, proxyName: string): string {
  return join(inv.dir, GUESTS_FOLDER, proxyName, 'sys');
}

export function identityFile(inv: HostInventory, proxyName: string): string {
  return join(guestSysRoot(inv, proxyName), 'class', 'dmi', 'id', 'product_uuid');
}

export function scsiDevicesFolder(sysRoot: string): string {
  return join(sysRoot, 'bus', 'scsi', 'devices');
}

/** `42 1c 5e 6f ...` (vmx) -> the form Linux prints in product_uuid: first three fields byte-swapped. */
export function dmiProductUuid(biosUuid: string): string | undefined {
  const vim = vimUuid(biosUuid);
  if (!vim) return undefined;
  const hex = vim.replace(/-/g, '');
  const swap = (s: string) => s.match(/../g)!.reverse().join('');
  return `${swap(hex.slice(0, 8))}-${swap(hex.slice(8, 12))}-${swap(hex.slice(12, 16))}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether `abs` is one of the proxy's own disks (its boot disk): a file in its own folder. */
export function isOwnDisk(vm: VmEntry, abs: string): boolean {
  return dirname(abs) === vm.folder;
}

/**
 * Make sure a VM named `name` exists (created powered on with a PVSCSI controller and a boot disk
 * on the first datastore when it does not) and publish its guest's identity and devices.
 */
export async function ensureBackupProxy(inv: HostInventory, name: string): Promise<VmEntry> {
  let vm = inv.allVms.find((v) => v.name === name);
  if (!vm) vm = await createProxyVm(inv, name);
  const biosUuid = vm.vmx.get('uuid.bios');
  const uuid = biosUuid ? dmiProductUuid(biosUuid) : undefined;
  if (!uuid) throw new Error(`backup proxy ${name}: its .vmx has no usable uuid.bios`);
  const file = identityFile(inv, name);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileReplacing(file, `${uuid}\n`, { mode: 0o644 });
  await reconcileProxyDevices(inv, vm);
  return vm;
}

async function createProxyVm(inv: HostInventory, name: string): Promise<VmEntry> {
  const ds = inv.record.datastores[0];
  if (!ds) throw new Error(`backup proxy ${name}: the inventory has no datastore`);
  const root = inv.datastoreRoot(ds.name);
  const folder = join(root, name);
  const vmxName = `${name}.vmx`;
  const existing = await readFile(join(folder, vmxName), 'utf8').catch(() => undefined);
  if (existing === undefined) {
    if (await stat(folder).then(() => true, () => false)) {
      throw new Error(`backup proxy ${name}: [${ds.name}] ${name} exists and is not a VM this host made; name another proxy or move it away`);
    }
    // Built aside and moved into place: a start killed half way leaves no half-made VM folder.
    const staging = join(root, `.${name}.creating`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const dev = await createDiskDevice(join(staging, `${name}.vmdk`), { capacity: PROXY_DISK_CAPACITY, type: 'vmfs', adapterType: 'lsilogic', hwVersion: 20 });
    await dev.close();
    await writeMetadata(join(staging, `${name}.vmdk`), 'thinProvisioned', '1');
    const vmx = VmxFile.empty()
      .set('config.version', 8).set('virtualHW.version', 20).set('displayName', name).set('guestOS', 'ubuntu-64')
      .set('numvcpus', 2).set('memSize', 2048)
      .set('uuid.bios', vmxUuid(Buffer.concat([Buffer.from([0x42]), randomBytes(15)])))
      .set('vc.uuid', vmxUuid(Buffer.concat([Buffer.from([0x50]), randomBytes(15)])))
      .set('scsi0.present', true).set('scsi0.virtualDev', 'pvscsi')
      .set('scsi0:0.present', true).set('scsi0:0.deviceType', 'scsi-hardDisk').set('scsi0:0.fileName', `${name}.vmdk`)
      .set('ctkEnabled', false).set('vixdisk.powerState', 'poweredOn').set(PROXY_MARKER, true);
    await writeFile(join(staging, vmxName), vmx.toString());
    await writeFile(join(staging, `${name}.vmsd`), new SnapshotTree().toString());
    await syncFolder(staging);
    await rename(staging, folder);
    await syncFolder(root);
  } else if (!VmxFile.parse(existing).getBool(PROXY_MARKER)) {
    throw new Error(`backup proxy ${name}: [${ds.name}] ${name}/${vmxName} is not a VM this host made; register it or name another proxy`);
  }
  // Registered last: a kill before this leaves a marked folder the next start adopts.
  const number = inv.record.nextNumber++;
  inv.record.vms.push({ vmx: `[${ds.name}] ${name}/${vmxName}`, host: inv.record.hosts[0]!.name, morefs: { vcenter: `vm-${number}`, esxi: String(number) } });
  await inv.saveRecord();
  const vm = await inv.reload(`vm-${number}`);
  await inv.tracking.open(vm);
  return vm;
}

function redoPath(inv: HostInventory, proxy: VmEntry, disk: VmxDisk, abs: string): string {
  const ds = inv.datastoreOf(abs)!;
  return join(inv.datastoreRoot(ds.name), REDO_FOLDER, proxy.name, `scsi${disk.bus}-${disk.unit}-REDO.vmdk`);
}

function entryName(disk: { bus: number; unit: number }): string {
  return `${disk.bus}:0:${disk.unit}:0`;
}

/** The device entries the guest of `proxy` shows now, by `<bus>:0:<unit>:0`. */
export async function readProxyDevices(sysRoot: string): Promise<Map<string, ProxyDeviceEntry>> {
  const out = new Map<string, ProxyDeviceEntry>();
  const folder = scsiDevicesFolder(sysRoot);
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const text = await readFile(join(folder, name, DEVICE_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      out.set(name, JSON.parse(text) as ProxyDeviceEntry);
    } catch {
      // A torn entry (killed mid-write cannot happen with the aside-rename writer, but a hand edit can): redone below.
    }
  }
  return out;
}

/**
 * Make the proxy's published devices match its .vmx: a device for every disk attached from
 * outside its own folder, none for anything else. Removal goes entry first, then the redo layer
 * (a kill in between leaves a redo layer no entry names, swept next time); creation goes redo
 * layer first, then the entry (a kill in between leaves a redo layer that is made again).
 */
export async function reconcileProxyDevices(inv: HostInventory, proxy: VmEntry): Promise<void> {
  const sys = guestSysRoot(inv, proxy.name);
  const folder = scsiDevicesFolder(sys);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const want = new Map<string, ProxyDeviceEntry & { disk: VmxDisk; abs: string }>();
  for (const d of vmxDisks(proxy.vmx)) {
    const abs = inv.linkPathOf(proxy, d.fileName);
    if (!abs || isOwnDisk(proxy, abs)) continue;
    const nonpersistent = d.mode === 'independent_nonpersistent' || d.mode === 'nonpersistent';
    const redo = nonpersistent ? redoPath(inv, proxy, d, abs) : undefined;
    want.set(entryName(d), { device: redo ?? abs, fileName: d.fileName, diskMode: d.mode, deviceKey: d.key, ...(redo ? { redo } : {}), disk: d, abs });
  }
  const have = await readProxyDevices(sys);
  for (const [name, entry] of have) {
    const w = want.get(name);
    if (w && w.fileName === entry.fileName && w.diskMode === entry.diskMode && w.device === entry.device) continue;
    await rm(join(folder, name), { recursive: true, force: true });
    have.delete(name);
    if (entry.redo) await removeRedo(entry.redo);
  }
  for (const [name, w] of want) {
    if (have.has(name)) continue;
    if (w.redo) {
      await mkdir(dirname(w.redo), { recursive: true });
      const type = inv.datastoreOf(w.abs)?.type === 'VMFS6' ? 'seSparse' : 'vmfsSparse';
      try {
        await createChild(w.redo, w.abs, { type, overwrite: true });
      } catch (err) {
        throw hostFault(err, inv);
      }
    }
    const entry: ProxyDeviceEntry = { device: w.device, fileName: w.fileName, diskMode: w.diskMode, deviceKey: w.deviceKey, ...(w.redo ? { redo: w.redo } : {}) };
    await mkdir(join(folder, name), { recursive: true, mode: 0o700 });
    await writeFileReplacing(join(folder, name, DEVICE_FILE), `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
  }
  await sweepRedoLayers(inv, proxy, new Set([...want.values()].flatMap((w) => (w.redo ? [w.redo] : []))));
}

async function removeRedo(path: string): Promise<void> {
  await unlinkDisk(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && !/not found|no such/i.test(err.message)) throw err;
  });
}

/** Redo layers of this proxy no device uses (a kill between an entry's removal and its layer's). */
async function sweepRedoLayers(inv: HostInventory, proxy: VmEntry, keep: Set<string>): Promise<void> {
  for (const ds of inv.record.datastores) {
    const folder = join(inv.datastoreRoot(ds.name), REDO_FOLDER, proxy.name);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      if (!/^scsi\d+-\d+-REDO\.vmdk$/.test(name) || keep.has(join(folder, name))) continue;
      await removeRedo(join(folder, name)).catch(() => undefined);
    }
    // Extents whose descriptor is gone (a kill inside unlink, which removes the descriptor first).
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      const m = /^(scsi\d+-\d+-REDO)-(sesparse|delta)\.vmdk$/.exec(name);
      if (m && !keep.has(join(folder, `${m[1]}.vmdk`))) await rm(join(folder, name), { force: true });
    }
  }
}
