import { VixError } from '../errors/vix-error.js';
import { VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import type { VimClient } from '../vsphere/vim-client.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import {
  allChangedDiskAreas, createSnapshot as createVmSnapshot, findVm as findVmBySpec, flattenSnapshots, removeSnapshot as removeVmSnapshot,
  retrieveThrough, setChangeTracking, snapshotTree,
} from '../vsphere/vm-operations.js';

// What the backup asks of vim25 about one VM (reference §1.3 steps 3, 4, 6, 7, 8, 10 and §5): the VM
// by name or moref, its facts, change tracking, the backup snapshot and its disks (with the base
// disk's identity and UUID a backup matches across runs), and the changed areas of a disk, every
// page. The calls themselves are vsphere/vm-operations.ts's (shared with `vixdisk vm`).

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

/** The VM a spec names (`moref=vm-16`, `vm-16`, or a name): vsphere/vm-operations.ts's lookup. */
export async function findVm(vim: VimClient, spec: string): Promise<ManagedObjectReference> {
  return (await findVmBySpec(vim, spec)).ref;
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
  await setChangeTracking(vim, vm, true);
}

export function createSnapshot(vim: VimClient, vm: ManagedObjectReference, name: string, description: string, quiesce: boolean): Promise<ManagedObjectReference> {
  return createVmSnapshot(vim, vm, { name, description, memory: false, quiesce });
}

/** RemoveSnapshot_Task(removeChildren=false, consolidate=true), waited for. */
export function removeSnapshot(vim: VimClient, snapshot: ManagedObjectReference): Promise<void> {
  return removeVmSnapshot(vim, snapshot);
}

/** Every snapshot of the VM, parents first. */
export async function listSnapshots(vim: VimClient, vm: ManagedObjectReference): Promise<SnapshotEntry[]> {
  return flattenSnapshots(await snapshotTree(vim, vm)).map((s) => ({ ref: s.ref, name: s.name, description: s.description, createTime: s.createTime }));
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

/** Every changed area of one disk from `changeId` to `snapshot` (all pages), sorted, clipped to the capacity. */
export async function changedAreas(vim: VimClient, vm: ManagedObjectReference, snapshot: ManagedObjectReference, deviceKey: number,
  changeId: string, capacity: number): Promise<ChangedArea[]> {
  const { areas } = await allChangedDiskAreas(vim, { vm, snapshot, deviceKey, changeId, capacityBytes: capacity });
  const out: ChangedArea[] = [];
  for (const a of areas) {
    const end = Math.min(a.start + a.length, capacity);
    if (end > a.start) out.push({ start: a.start, length: end - a.start });
  }
  return out.sort((a, b) => a.start - b.start);
}

export interface PendingTask {
  ref: ManagedObjectReference;
  descriptionId: string;
  state: string;
}

/**
 * The VM's tasks still queued or running, from TaskManager.recentTask (both ESXi and vCenter keep
 * it; one RetrievePropertiesEx through a traversal). A backup killed right after it sent
 * CreateSnapshot_Task leaves such a task: its snapshot appears only when the task ends.
 */
export async function pendingVmTasks(vim: VimClient, vm: ManagedObjectReference): Promise<PendingTask[]> {
  const sc = await vim.serviceContent();
  const taskManager = sc.raw.taskManager as ManagedObjectReference | undefined;
  if (!taskManager) return [];
  const out: PendingTask[] = [];
  for (const t of await retrieveThrough(vim, taskManager, { type: 'TaskManager', path: 'recentTask' }, 'Task', ['info'])) {
    const info = t.props.info as { entity?: ManagedObjectReference; state?: string; descriptionId?: string } | undefined;
    if (!info || info.entity?.value !== vm.value || (info.state !== 'queued' && info.state !== 'running')) continue;
    out.push({ ref: t.ref, descriptionId: info.descriptionId ?? '', state: info.state });
  }
  return out;
}
