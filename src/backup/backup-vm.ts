import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import { moRef, type VimClient } from '../vsphere/vim-client.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';

// What the backup asks of vim25 about one VM (reference §1.3 steps 3, 4, 6, 7, 8, 10 and §5): the VM
// by name or moref, its facts, change tracking, the backup snapshot and its disks, and the changed
// areas of a disk, every page. Written against VimClient alone, so it works with any vCenter or
// ESXi (and `vixdisk host`).

export interface VmFacts {
  ref: ManagedObjectReference;
  name: string;
  uuid: string | null;
  instanceUuid: string | null;
  vmxPath: string;
  guestId: string | null;
  numCPU: number | null;
  memoryMB: number | null;
  changeTrackingEnabled: boolean;
  changeTrackingSupported: boolean;
}

export interface SnapshotEntry {
  ref: ManagedObjectReference;
  name: string;
  description: string;
  createTime: string;
}

export interface SnapshotDisk {
  key: number;
  label: string;
  capacityBytes: number;
  /** The frozen top link the snapshot names (what Open reads). */
  fileName: string;
  /** The base disk of the chain: the disk's identity across snapshots. */
  baseFileName: string;
  /** The base disk's UUID, when reported. */
  uuid: string | null;
  changeId: string | null;
  thinProvisioned: boolean;
}

export interface ChangedArea {
  start: number;
  length: number;
}

/** `moref=vm-16` (or `vm-16`, `16` on ESXi) is a moref; anything else is a VM name. */
export async function findVm(vim: VimClient, spec: string): Promise<ManagedObjectReference> {
  const m = /^moref=(.+)$/.exec(spec);
  if (m) return moRef('VirtualMachine', m[1]!);
  const sc = await vim.serviceContent();
  const viewManager = sc.raw.viewManager as ManagedObjectReference | undefined;
  if (!viewManager) throw new VixError(VIX_E_INVALID_ARG, `${vim.where} has no ViewManager: name the VM as moref=…`);
  const view = await vim.call('CreateContainerView', viewManager, { container: sc.rootFolder, type: ['VirtualMachine'], recursive: true }) as ManagedObjectReference;
  const found: ManagedObjectReference[] = [];
  try {
    let result = await vim.call('RetrievePropertiesEx', sc.propertyCollector, {
      specSet: [{
        _type: 'PropertyFilterSpec',
        propSet: [{ _type: 'PropertySpec', type: 'VirtualMachine', pathSet: ['name'] }],
        objectSet: [{ _type: 'ObjectSpec', obj: view, skip: true, selectSet: [{ _type: 'TraversalSpec', type: 'ContainerView', path: 'view', skip: false }] }],
      }],
      options: { _type: 'RetrieveOptions' },
    }) as { token?: string; objects?: Array<{ obj: ManagedObjectReference; propSet?: Array<{ val: unknown }> }> } | undefined;
    for (let pages = 0; result && pages < 10_000; pages++) {
      for (const o of result.objects ?? []) if (o.propSet?.[0]?.val === spec) found.push(o.obj);
      if (!result.token) break;
      result = await vim.call('ContinueRetrievePropertiesEx', sc.propertyCollector, { token: result.token }) as typeof result;
    }
  } finally {
    await vim.call('DestroyView', view).catch(() => undefined);
  }
  if (found.length === 0) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `no VM named "${spec}" on ${vim.where}`);
  if (found.length > 1) throw new VixError(VIX_E_INVALID_ARG, `${found.length} VMs are named "${spec}" on ${vim.where}: name one as moref=${found[0]!.value}`);
  return found[0]!;
}

export async function vmFacts(vim: VimClient, ref: ManagedObjectReference): Promise<VmFacts> {
  const p = await vim.retrieveProperties(ref, ['name', 'config', 'capability.changeTrackingSupported']) as {
    name: string;
    config?: { uuid?: string; instanceUuid?: string; guestId?: string; changeTrackingEnabled?: boolean; files?: { vmPathName?: string }; hardware?: { numCPU?: number; memoryMB?: number } };
    'capability.changeTrackingSupported'?: boolean;
  };
  const c = p.config ?? {};
  if (!c.files?.vmPathName) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `VM ${ref.value} has no configuration file (config.files.vmPathName)`);
  return {
    ref,
    name: p.name,
    uuid: c.uuid || null,
    instanceUuid: c.instanceUuid || null,
    vmxPath: c.files.vmPathName,
    guestId: c.guestId ?? null,
    numCPU: c.hardware?.numCPU ?? null,
    memoryMB: c.hardware?.memoryMB ?? null,
    changeTrackingEnabled: c.changeTrackingEnabled === true,
    changeTrackingSupported: p['capability.changeTrackingSupported'] !== false,
  };
}

/** ReconfigVM_Task(changeTrackingEnabled=true); active from the next snapshot (§5.1). */
export async function enableChangeTracking(vim: VimClient, vm: ManagedObjectReference): Promise<void> {
  const task = await vim.call('ReconfigVM_Task', vm, { spec: { _type: 'VirtualMachineConfigSpec', changeTrackingEnabled: true } }) as ManagedObjectReference;
  await vim.waitForTask(task);
}

export async function createSnapshot(vim: VimClient, vm: ManagedObjectReference, name: string, description: string, quiesce: boolean): Promise<ManagedObjectReference> {
  const task = await vim.call('CreateSnapshot_Task', vm, { name, description, memory: false, quiesce }) as ManagedObjectReference;
  return await vim.waitForTask(task) as ManagedObjectReference;
}

/** RemoveSnapshot_Task(removeChildren=false, consolidate=true), waited for. */
export async function removeSnapshot(vim: VimClient, snapshot: ManagedObjectReference): Promise<void> {
  const task = await vim.call('RemoveSnapshot_Task', snapshot, { removeChildren: false, consolidate: true }) as ManagedObjectReference;
  await vim.waitForTask(task);
}

interface SnapshotTree {
  snapshot: ManagedObjectReference;
  name: string;
  description?: string;
  createTime?: string;
  childSnapshotList?: SnapshotTree[];
}

/** Every snapshot of the VM, depth first. */
export async function listSnapshots(vim: VimClient, vm: ManagedObjectReference): Promise<SnapshotEntry[]> {
  const p = await vim.retrieveProperties(vm, ['snapshot']) as { snapshot?: { rootSnapshotList?: SnapshotTree[] } };
  const out: SnapshotEntry[] = [];
  const walk = (list: SnapshotTree[] | undefined) => {
    for (const t of list ?? []) {
      out.push({ ref: t.snapshot, name: t.name, description: t.description ?? '', createTime: String(t.createTime ?? '') });
      walk(t.childSnapshotList);
    }
  };
  walk(p.snapshot?.rootSnapshotList);
  return out;
}

interface Backing {
  fileName: string;
  uuid?: string;
  changeId?: string;
  thinProvisioned?: boolean;
  parent?: Backing;
}

/** The VirtualDisks of a snapshot's saved configuration (§1.3 step 7), in device order. */
export async function snapshotDisks(vim: VimClient, snapshot: ManagedObjectReference): Promise<SnapshotDisk[]> {
  const p = await vim.retrieveProperties(snapshot, ['config.hardware.device']);
  const devices = (p['config.hardware.device'] ?? []) as Array<{ _type: string; key: number; deviceInfo?: { label?: string }; capacityInBytes?: number; capacityInKB?: number; backing?: Backing }>;
  const disks: SnapshotDisk[] = [];
  for (const d of devices) {
    if (d._type !== 'VirtualDisk' || !d.backing?.fileName) continue;
    let base = d.backing;
    for (let depth = 0; base.parent && depth < 255; depth++) base = base.parent;
    disks.push({
      key: d.key,
      label: d.deviceInfo?.label ?? `disk ${d.key}`,
      capacityBytes: d.capacityInBytes ?? (d.capacityInKB ?? 0) * 1024,
      fileName: d.backing.fileName,
      baseFileName: base.fileName,
      uuid: base.uuid ?? null,
      changeId: d.backing.changeId || null,
      thinProvisioned: base.thinProvisioned === true,
    });
  }
  return disks;
}

/**
 * QueryChangedDiskAreas of one disk from `changeId` to `snapshot`, every page (§5.3: a call may
 * cover only part of the disk; the next starts where it ended). Areas come back sorted, clipped to
 * the capacity.
 */
export async function changedAreas(vim: VimClient, vm: ManagedObjectReference, snapshot: ManagedObjectReference, deviceKey: number,
  changeId: string, capacity: number): Promise<ChangedArea[]> {
  const areas: ChangedArea[] = [];
  let offset = 0;
  while (offset < capacity) {
    const page = await vim.call('QueryChangedDiskAreas', vm, { snapshot, deviceKey, startOffset: offset, changeId }) as { startOffset: number; length: number; changedArea?: ChangedArea[] };
    for (const a of page.changedArea ?? []) {
      const end = Math.min(a.start + a.length, capacity);
      if (end > a.start) areas.push({ start: a.start, length: end - a.start });
    }
    const next = page.startOffset + page.length;
    if (!(next > offset)) throw new VixError(VIX_E_INVALID_ARG, `QueryChangedDiskAreas of disk ${deviceKey} made no progress at offset ${offset}`);
    offset = next;
  }
  return areas.sort((a, b) => a.start - b.start);
}
