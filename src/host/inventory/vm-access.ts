import { basename } from 'node:path';
import { TrackedDevice } from '../cbt/change-tracker.js';
import type { BlockDevice } from '../../block/block-device.js';
import { VmdkDisk } from '../../vmdk/disk.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import { hostFault } from './host-faults.js';
import type { HostInventory } from './host-inventory.js';
import { vimUuid, vmxDisks } from './vm-config.js';
import type { VmEntry } from './vm-entry.js';
import { layoutFileType } from './views/vm-devices.js';

/**
 * What the NFC server and the search index ask of the inventory: a VM's files, a disk opened for
 * a ticket's holder, and VMs found by uuid or inventory path.
 */

/** What an NFC ticket allows (issued by NfcGetVmFiles / NfcRandomAccessOpen*). */
export interface NfcGrant {
  vm: ManagedObjectReference;
  snapshot?: ManagedObjectReference;
  /** The one disk the ticket names (a datastore path), when it names one. */
  diskPath?: string;
  /** The one disk the ticket names by device key (any link of its chains, now or in a snapshot). */
  diskDeviceKey?: number;
  readOnly: boolean;
}

export interface NfcOpenedDisk {
  device: BlockDevice;
  /** The top link's descriptor ddb entries (what NFC's open reply carries). */
  ddb: Array<[string, string]>;
  capacity: number;
  close(): Promise<void>;
}

export interface VmFile {
  /** `[datastore1] web/web.vmx` */
  datastorePath: string;
  path: string;
  /** VirtualMachineFileLayoutExFileType: config, snapshotList, diskDescriptor, diskExtent... */
  type: string;
  size: number;
}

function fileLocked(file: string): SoapFault {
  return new SoapFault({ _type: 'FileLocked', file }, `Unable to access file ${file} since it is locked`);
}

function noPermissionOnFile(vm: ManagedObjectReference, file: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'diskPath' },
    `A specified parameter was not correct: diskPath (${file} is not a disk of ${vm.value} this ticket covers)`);
}

/**
 * Open `datastorePath` for an NFC session holding `grant`. Readable: the links of the VM's
 * current disks and snapshots (with a snapshot in the grant: that snapshot's frozen chains only).
 * Writable: only the top of a current disk, only on a grant that is not read-only. A powered-on
 * VM's current tops are held by the running VM (FileLocked), as a host locks them.
 */
export async function nfcOpenDisk(inv: HostInventory, grant: NfcGrant, datastorePath: string, writable: boolean): Promise<NfcOpenedDisk> {
  const vm = inv.requireVm(grant.vm);
  if (writable && grant.readOnly) {
    throw new SoapFault({ _type: 'NoPermission', object: grant.vm, privilegeId: 'VirtualMachine.Provisioning.DiskRandomAccess' },
      'Permission to perform this operation was denied: the ticket is read-only.');
  }
  const abs = await inv.resolveDatastorePath(datastorePath);
  if (grant.diskPath !== undefined && await inv.resolveDatastorePath(grant.diskPath) !== abs) throw noPermissionOnFile(grant.vm, datastorePath);
  const currentTops = new Map<string, string>();
  for (const d of vmxDisks(vm.vmx)) {
    const top = inv.linkPathOf(vm, d.fileName);
    if (top) currentTops.set(top, d.node);
  }
  let allowed: Set<string>;
  if (grant.snapshot) {
    const { vm: owner, node } = inv.requireSnapshot(grant.snapshot);
    if (owner !== vm) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'snapshot' }, 'A specified parameter was not correct: snapshot');
    allowed = new Set(node.disks.flatMap((d) => {
      const top = inv.linkPathOf(vm, d.fileName);
      return top ? vm.chain(top).map((l) => l.path) : [];
    }));
  } else {
    allowed = new Set(vm.links.keys());
  }
  if (grant.diskDeviceKey !== undefined) {
    const configs = [vm.vmx, ...vm.tree.nodes.map((n) => inv.snapshotConfig(vm, n))];
    const ofDisk = new Set(configs.flatMap((c) => vmxDisks(c).filter((d) => d.key === grant.diskDeviceKey).flatMap((d) => {
      const top = inv.linkPathOf(vm, d.fileName);
      return top ? vm.chain(top).map((l) => l.path) : [];
    })));
    allowed = new Set([...allowed].filter((p) => ofDisk.has(p)));
  }
  if (!allowed.has(abs)) throw noPermissionOnFile(grant.vm, datastorePath);
  const node = currentTops.get(abs);
  if (node !== undefined && vm.powerState === 'poweredOn') throw fileLocked(datastorePath);
  if (writable && node === undefined) {
    // Writing a link with children would change what every snapshot above it holds.
    throw fileLocked(datastorePath);
  }
  if (writable) checkWritableTop(inv, vm, abs, vmxDisks(vm.vmx).find((d) => d.node === node)!.mode);
  let disk: VmdkDisk;
  try {
    disk = await VmdkDisk.open(abs, { readOnly: !writable });
  } catch (err) {
    throw hostFault(err, inv);
  }
  const tracker = writable && node !== undefined ? inv.tracking.tracker(vm, node) : undefined;
  const device: BlockDevice = tracker ? new TrackedDevice(disk, tracker) : disk;
  const info = vm.links.get(abs);
  return { device, ddb: info?.ddb ?? [], capacity: disk.capacity, close: () => device.close() };
}

/**
 * Refuse writing the current top `top` (disk `mode`) of `vm` when that would change another
 * state: a non-persistent disk (its writes belong in a redo log, which this host does not keep),
 * or a link another VM's chain uses (a disk HotAdded from it, or HotAdded into it).
 */
export function checkWritableTop(inv: HostInventory, vm: VmEntry, top: string, mode: string): void {
  if (mode === 'independent_nonpersistent' || mode === 'nonpersistent') {
    throw new SoapFault({ _type: 'NotSupported' },
      `The operation is not supported on the object: writing a ${mode} disk (vixdisk host keeps no redo log; attach it persistent to write)`);
  }
  if (inv.allVms.some((other) => other !== vm && other.links.has(top))) throw fileLocked(inv.datastorePath(top));
}

/** The VM's files: its folder's, and every file of every disk link it uses (NfcGetVmFiles, layoutEx). */
export function vmFiles(inv: HostInventory, vm: VmEntry): VmFile[] {
  const out: VmFile[] = [];
  const seen = new Set<string>();
  const add = (path: string, type: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ datastorePath: inv.datastorePath(path), path, type, size: vm.fileSizes.get(path) ?? 0 });
  };
  for (const link of vm.links.values()) link.files.forEach((f, i) => add(f, i === 0 ? 'diskDescriptor' : 'diskExtent'));
  for (const path of vm.fileSizes.keys()) add(path, basename(path).endsWith('.vmdk') ? 'diskExtent' : layoutFileType(basename(path)));
  return out.sort((a, b) => a.datastorePath.localeCompare(b.datastorePath));
}

/** SearchIndex.FindByUuid: a VM by BIOS uuid (or instance uuid), or a host by its hardware uuid. */
export function findByUuid(inv: HostInventory, uuid: string, vmSearch: boolean, instanceUuid: boolean): ManagedObjectReference | undefined {
  const want = uuid.toLowerCase();
  if (!vmSearch) {
    const host = inv.visibleHosts.find((h) => h.uuid.toLowerCase() === want);
    return host ? inv.ref('HostSystem', host.morefs) : undefined;
  }
  const vm = inv.visibleVms.find((v) => vimUuid(v.vmx.get(instanceUuid ? 'vc.uuid' : 'uuid.bios'))?.toLowerCase() === want);
  return vm ? inv.vmRef(vm) : undefined;
}

/** SearchIndex.FindByInventoryPath: `dc1/vm/web`, `dc1/host/cluster1/esx1.local`, `dc1/datastore/datastore1`. */
export function findByInventoryPath(inv: HostInventory, path: string): ManagedObjectReference | undefined {
  const parts = path.split('/').filter((p) => p !== '').map((p) => p.replace(/%2f/gi, '/'));
  const r = inv.record;
  const dcName = inv.personality === 'esxi' ? 'ha-datacenter' : r.datacenter.name;
  if (parts.length === 0) return inv.ref('Folder', r.rootFolder);
  if (parts[0] !== dcName) return undefined;
  if (parts.length === 1) return inv.ref('Datacenter', r.datacenter.morefs);
  const [, folder, ...rest] = parts;
  if (folder === 'vm') {
    if (rest.length === 0) return inv.ref('Folder', r.datacenter.vmFolder);
    if (rest.length !== 1) return undefined;
    const vm = inv.visibleVms.find((v) => v.name === rest[0]);
    return vm ? inv.vmRef(vm) : undefined;
  }
  if (folder === 'datastore') {
    if (rest.length === 0) return inv.ref('Folder', r.datacenter.datastoreFolder);
    const ds = rest.length === 1 ? r.datastores.find((d) => d.name === rest[0]) : undefined;
    return ds ? inv.ref('Datastore', ds.morefs) : undefined;
  }
  if (folder === 'host') {
    if (rest.length === 0) return inv.ref('Folder', r.datacenter.hostFolder);
    const computeType = inv.personality === 'esxi' ? 'ComputeResource' : 'ClusterComputeResource';
    const computeName = inv.personality === 'esxi' ? inv.visibleHosts[0]!.name : r.cluster.name;
    if (rest[0] !== computeName) return undefined;
    if (rest.length === 1) return inv.ref(computeType, r.cluster.morefs);
    if (rest.length === 2) {
      if (rest[1] === 'Resources') return inv.ref('ResourcePool', r.cluster.resourcePool);
      const host = inv.visibleHosts.find((h) => h.name === rest[1]);
      return host ? inv.ref('HostSystem', host.morefs) : undefined;
    }
    return undefined;
  }
  if (folder === 'network' && rest.length === 0) return inv.ref('Folder', r.datacenter.networkFolder);
  return undefined;
}

/** A VM's disk (by key) and the device the guest would see, for `vixdisk host guest-write`. */
export function diskKeys(vm: VmEntry): number[] {
  return vmxDisks(vm.vmx).map((d) => d.key);
}
