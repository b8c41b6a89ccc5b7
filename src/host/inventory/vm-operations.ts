import { stat } from 'node:fs/promises';
import { basename, dirname, relative, sep } from 'node:path';
import { unlinkDisk } from '../../vmdk/unlink.js';
import { createVmDisk } from './vm-disk-creation.js';
import { TrackedDevice } from '../cbt/change-tracker.js';
import { allocatedAreas } from '../cbt/allocated-areas.js';
import type { ChangedAreas } from '../cbt/change-tracker.js';
import { VmdkDisk } from '../../vmdk/disk.js';
import type { BlockDevice } from '../../block/block-device.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import { fileNotFound, formatDatastorePath, parseDatastorePath } from './datastore-path.js';
import { withThinStatus } from './thin-disk-status.js';
import { checkWritableTop } from './vm-access.js';
import { hostFault } from './host-faults.js';
import type { HostInventory } from './host-inventory.js';
import {
  controllerKey, MAX_SCSI_BUS, MAX_SCSI_UNIT, removeVmxDisk, SCSI_CONTROLLER_UNIT, scsiControllers, setVmxDisk, vmxDisks,
  type VmxDisk,
} from './vm-config.js';
import type { PowerState, VmEntry } from './vm-entry.js';
import { emptyJournal, runJournal } from './vm-journal.js';
import type { VmxFile } from './vmx-file.js';

/**
 * Power, guest writes, reconfiguration (change tracking, disks, controllers) and
 * QueryChangedDiskAreas. Each state change is one .vmx written through the VM's journal.
 */

export function invalidPowerState(existing: PowerState, requested?: PowerState): SoapFault {
  return new SoapFault({ _type: 'InvalidPowerState', ...(requested ? { requestedState: requested } : {}), existingState: existing },
    'The attempted operation cannot be performed in the current state (' + (existing === 'poweredOn' ? 'Powered on' : existing === 'suspended' ? 'Suspended' : 'Powered off') + ').');
}

function invalidDeviceSpec(index: number, message: string): SoapFault {
  return new SoapFault({ _type: 'InvalidDeviceSpec', property: `virtualDeviceConfigSpec[${index}]`, deviceIndex: index }, message);
}

async function writeVmx(inv: HostInventory, vm: VmEntry, vmx: VmxFile, unlinkDisks: string[] = []): Promise<VmEntry> {
  const journal = emptyJournal();
  journal.writes.push({ file: vm.vmxPath, text: vmx.toString() });
  journal.unlinkDisks = unlinkDisks;
  await runJournal(inv.dir, vm.folder, journal);
  return inv.reload(vm.record.morefs.vcenter);
}

export async function setPowerState(inv: HostInventory, vmRef: ManagedObjectReference, state: 'poweredOn' | 'poweredOff',
  task?: ManagedObjectReference): Promise<void> {
  const vm0 = inv.requireVm(vmRef);
  await inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(vmRef);
    if (vm.powerState === state) throw invalidPowerState(vm.powerState, state);
    const after = await writeVmx(inv, vm, vm.vmx.clone().set('vixdisk.powerState', state));
    // Power on is a stun: tracking turned on while the VM ran starts now.
    if (state === 'poweredOn') await inv.tracking.activate(after);
  }));
}

/** The VM's disk by device key (2000...) or by index in the device list (0, 1...). */
function diskOf(vm: VmEntry, disks: VmxDisk[], keyOrIndex: number): VmxDisk {
  const d = disks.find((x) => x.key === keyOrIndex) ?? (keyOrIndex >= 0 && keyOrIndex < 1000 ? disks[keyOrIndex] : undefined);
  if (!d) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'deviceKey' }, `A specified parameter was not correct: deviceKey (${vm.name} has no disk ${keyOrIndex})`);
  return d;
}

/** What the guest of a running VM writes: into the top of the disk's chain, tracked when CBT is on. */
export async function guestWrite(inv: HostInventory, vmRef: ManagedObjectReference, diskKeyOrIndex: number, offset: number,
  data: Uint8Array): Promise<void> {
  const vm0 = inv.requireVm(vmRef);
  await inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(vmRef);
    if (vm.powerState !== 'poweredOn') throw invalidPowerState(vm.powerState, 'poweredOn');
    const d = diskOf(vm, vmxDisks(vm.vmx), diskKeyOrIndex);
    const top = inv.linkPathOf(vm, d.fileName);
    if (!top) throw fileNotFound(d.fileName);
    checkWritableTop(inv, vm, top, d.mode);
    let disk: VmdkDisk;
    try {
      disk = await VmdkDisk.open(top);
    } catch (err) {
      throw hostFault(err, inv);
    }
    const tracker = inv.tracking.tracker(vm, d.node);
    const device: BlockDevice = tracker ? new TrackedDevice(disk, tracker) : disk;
    try {
      await device.write(offset, data);
      await device.flush();
    } finally {
      await device.close();
    }
  });
}

// ------------------------------------------------------------------ reconfigure

interface DeviceChange {
  operation?: string;
  fileOperation?: string;
  device: Record<string, unknown> & { _type?: string; key?: number };
}

export interface ConfigSpec {
  name?: string;
  numCPUs?: number;
  memoryMB?: number;
  annotation?: string;
  changeTrackingEnabled?: boolean;
  deviceChange?: DeviceChange[];
  [field: string]: unknown;
}

const SCSI_CONTROLLERS: Record<string, string> = {
  ParaVirtualSCSIController: 'pvscsi',
  VirtualLsiLogicController: 'lsilogic',
  VirtualLsiLogicSASController: 'lsisas1068',
  VirtualBusLogicController: 'buslogic',
};

/** The privileges a spec needs (reference §7): the caller checks them on the VM. */
export function reconfigurePrivileges(spec: ConfigSpec): string[] {
  const out = new Set<string>();
  if (spec.changeTrackingEnabled !== undefined || ctkFromExtraConfig(spec) !== undefined) out.add('VirtualMachine.Config.ChangeTracking');
  if (Array.isArray(spec.extraConfig) && spec.extraConfig.length > 0) out.add('VirtualMachine.Config.AdvancedConfig');
  for (const c of spec.deviceChange ?? []) {
    const type = c.device?._type ?? '';
    if (type === 'VirtualDisk') {
      if (c.operation === 'add') out.add(c.fileOperation === 'create' ? 'VirtualMachine.Config.AddNewDisk' : 'VirtualMachine.Config.AddExistingDisk');
      else if (c.operation === 'remove') out.add('VirtualMachine.Config.RemoveDisk');
      else out.add('VirtualMachine.Config.EditDevice');
    } else {
      out.add('VirtualMachine.Config.AddRemoveDevice');
    }
  }
  if (spec.name !== undefined) out.add('VirtualMachine.Config.Rename');
  if (spec.numCPUs !== undefined) out.add('VirtualMachine.Config.CPUCount');
  if (spec.memoryMB !== undefined) out.add('VirtualMachine.Config.Memory');
  if (spec.annotation !== undefined) out.add('VirtualMachine.Config.Annotation');
  if (out.size === 0) out.add('VirtualMachine.Config.Settings');
  return [...out];
}

export async function reconfigure(inv: HostInventory, vmRef: ManagedObjectReference, spec: ConfigSpec,
  task?: ManagedObjectReference): Promise<void> {
  const vm0 = inv.requireVm(vmRef);
  await inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(vmRef);
    const vmx = vm.vmx.clone();
    if (spec.name !== undefined) {
      if (spec.name === '' || spec.name.length > 80) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'name' }, 'A specified parameter was not correct: name');
      vmx.set('displayName', spec.name);
    }
    if (spec.numCPUs !== undefined) {
      if (!Number.isInteger(spec.numCPUs) || spec.numCPUs < 1 || spec.numCPUs > 768) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'numCPUs' }, 'A specified parameter was not correct: numCPUs');
      vmx.set('numvcpus', spec.numCPUs);
    }
    if (spec.memoryMB !== undefined) {
      if (!Number.isInteger(spec.memoryMB) || spec.memoryMB < 4 || spec.memoryMB > 24 * 1024 * 1024) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'memoryMB' }, 'A specified parameter was not correct: memoryMB');
      vmx.set('memSize', spec.memoryMB);
    }
    if (spec.annotation !== undefined) vmx.set('annotation', spec.annotation);
    const wasTracking = vm.vmx.getBool('ctkEnabled');
    const tracking = spec.changeTrackingEnabled ?? ctkFromExtraConfig(spec) ?? wasTracking;
    const files: DiskFileChanges = { created: [], destroyed: [] };
    let after: VmEntry;
    try {
      await applyDeviceChanges(inv, vm, vmx, spec.deviceChange ?? [], files);
      vmx.set('ctkEnabled', tracking);
      for (const d of vmxDisks(vmx)) vmx.set(`${d.node}.ctkEnabled`, tracking);
      after = await writeVmx(inv, vm, vmx, destroyedLinks(inv, vm, vmx, files.destroyed));
    } catch (err) {
      // Disks made for this spec are removed unless the .vmx already names them (journal written).
      if (files.created.length > 0) {
        const now = await inv.reload(vm.record.morefs.vcenter).catch(() => undefined);
        if (!now || now.vmx.toString() === vm.vmx.toString()) for (const f of files.created) await unlinkDisk(f).catch(() => undefined);
      }
      throw err instanceof SoapFault ? err : hostFault(err, inv);
    }
    // A backup proxy's guest sees its disks come and go (HotAdd's devices and redo layers). A
    // device that cannot be made undoes the change, so the task fails as a whole, as ESXi's does.
    try {
      await inv.proxyChanged(after);
    } catch (err) {
      const back = await writeVmx(inv, after, vm.vmx);
      await inv.proxyChanged(back).catch(() => undefined);
      throw err;
    }
    // Off: the tracking files go (after the .vmx says off: a kill between leaves an unused file,
    // which the next enable replaces). On: a powered-off VM tracks at once; a running one at its
    // next stun (§5.1). Disks no longer in the VM stop being tracked.
    if (!tracking) await inv.tracking.stop(after);
    else {
      const nodes = new Set(vmxDisks(after.vmx).map((d) => d.node));
      await inv.tracking.stop(after, (node) => nodes.has(node));
      if (!wasTracking && after.powerState !== 'poweredOn') await inv.tracking.activate(after);
    }
  }));
}

/** `ctkEnabled` set through extraConfig (the configuration-parameter route some tools take). */
function ctkFromExtraConfig(spec: ConfigSpec): boolean | undefined {
  const entries = Array.isArray(spec.extraConfig) ? spec.extraConfig as Array<{ key?: unknown; value?: unknown }> : [];
  const e = entries.find((x) => typeof x.key === 'string' && x.key.toLowerCase() === 'ctkenabled');
  if (!e) return undefined;
  const raw = e.value && typeof e.value === 'object' && 'value' in e.value ? (e.value as { value: unknown }).value : e.value;
  return String(raw).toLowerCase() === 'true';
}

/**
 * What a spec's disk changes leave to do around the .vmx write: `created` holds the disk files made
 * for `fileOperation: create` (removed again if the change fails before its journal), `destroyed`
 * the tops of the disks removed with `fileOperation: destroy` (their links nothing else uses go
 * after the .vmx is written, in the same journal).
 */
interface DiskFileChanges {
  created: string[];
  destroyed: string[];
}

async function applyDeviceChanges(inv: HostInventory, vm: VmEntry, vmx: VmxFile, changes: DeviceChange[],
  files: DiskFileChanges): Promise<void> {
  const { created, destroyed } = files;
  // Controllers added in this spec, by the (negative) key the client gave them.
  const newControllers = new Map<number, number>();
  for (const [i, c] of changes.entries()) {
    const type = c.device?._type ?? '';
    const op = c.operation;
    if (type in SCSI_CONTROLLERS) {
      if (op !== 'add') throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': only adding a SCSI controller is supported.`);
      const used = new Set(scsiControllers(vmx).map((x) => x.bus));
      const wanted = typeof c.device.busNumber === 'number' ? c.device.busNumber : [0, 1, 2, 3].find((b) => !used.has(b));
      if (wanted === undefined || wanted < 0 || wanted > MAX_SCSI_BUS || used.has(wanted)) {
        throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': SCSI bus ${String(wanted)} is not free.`);
      }
      vmx.set(`scsi${wanted}.present`, true).set(`scsi${wanted}.virtualDev`, SCSI_CONTROLLERS[type]!);
      if (typeof c.device.key === 'number') newControllers.set(c.device.key, wanted);
      continue;
    }
    if (type !== 'VirtualDisk') throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': ${type || 'a device without a type'} is not supported here.`);
    if (op === 'remove') {
      const d = vmxDisks(vmx).find((x) => x.key === c.device.key);
      if (!d) throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': the VM has no disk with key ${String(c.device.key)}.`);
      if (c.fileOperation !== undefined && c.fileOperation !== 'destroy') {
        throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': fileOperation ${String(c.fileOperation)} does not go with remove.`);
      }
      const top = c.fileOperation === 'destroy' ? inv.linkPathOf(vm, d.fileName) : undefined;
      removeVmxDisk(vmx, d.node);
      if (top) destroyed.push(top);
      continue;
    }
    if (op !== 'add') throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': operation ${String(op)} on a disk is not supported.`);
    if (c.fileOperation !== undefined && c.fileOperation !== 'create') {
      throw new SoapFault({ _type: 'NotSupported' }, `The operation is not supported on the object: adding a disk with fileOperation ${c.fileOperation}.`);
    }
    const backing = c.device.backing as { _type?: unknown; fileName?: unknown; diskMode?: unknown; thinProvisioned?: unknown } | undefined;
    if (c.fileOperation === 'create' && backing) backing.fileName = await createDiskFile(inv, vm, vmx, c.device, i, created);
    if (!backing || typeof backing.fileName !== 'string') throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': the disk has no backing fileName.`);
    if (typeof backing._type === 'string' && /RawDisk/.test(backing._type)) {
      throw new SoapFault({ _type: 'NotSupported' }, `The operation is not supported on the object: attaching a raw device mapping (${backing._type}) as an existing disk.`);
    }
    const abs = await inv.resolveDatastorePath(backing.fileName);
    const st = await stat(abs).catch(() => null);
    if (!st?.isFile()) throw fileNotFound(backing.fileName);
    // A disk this VM already uses (its own boot disk, or one attached before) is not attached twice.
    if (vm.links.has(abs) || vmxDisks(vmx).some((d) => inv.linkPathOf(vm, d.fileName) === abs)) {
      throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': ${backing.fileName} is already in use by ${vm.name}.`);
    }
    let bus: number | undefined;
    const ck = c.device.controllerKey;
    if (typeof ck === 'number' && ck < 0) bus = newControllers.get(ck);
    else if (typeof ck === 'number') bus = scsiControllers(vmx).find((x) => x.key === ck)?.bus;
    else bus = scsiControllers(vmx)[0]?.bus;
    if (bus === undefined) throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': controller ${String(ck)} does not exist.`);
    const taken = new Set(vmxDisks(vmx).filter((d) => d.bus === bus).map((d) => d.unit));
    let unit = typeof c.device.unitNumber === 'number' ? c.device.unitNumber : undefined;
    if (unit === undefined) for (let u = 0; u <= MAX_SCSI_UNIT; u++) if (u !== SCSI_CONTROLLER_UNIT && !taken.has(u)) { unit = u; break; }
    if (unit === undefined || unit < 0 || unit > MAX_SCSI_UNIT || unit === SCSI_CONTROLLER_UNIT || taken.has(unit)) {
      throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': unit ${String(unit)} on controller ${controllerKey(bus)} is not free.`);
    }
    const mode = typeof backing.diskMode === 'string' ? backing.diskMode : 'persistent';
    if (!['persistent', 'independent_persistent', 'independent_nonpersistent', 'nonpersistent', 'undoable', 'append'].includes(mode)) {
      throw invalidDeviceSpec(i, `Invalid configuration for device '${i}': disk mode ${mode} is not valid.`);
    }
    if (mode === 'persistent' || mode === 'independent_persistent') checkAttachWritable(inv, vm, abs, backing.fileName);
    setVmxDisk(vmx, `scsi${bus}:${unit}`, inv.vmxFileName(vm.folder, abs), mode);
  }
}

/**
 * `fileOperation: create`: a new disk as ESXi makes one on the VM's datastore (or the one the
 * backing's fileName names): VMFS format (createType vmfs, a `-flat.vmdk` extent), thin when the
 * FlatVer2 backing says `thinProvisioned`, else thick (checked against the datastore's free
 * space first, as a thick disk reserves it). A fileName that is empty or only `[datastore]` gets
 * ESXi's name in the VM's folder, `<vm>_N.vmdk` with the first free N; a full path must not exist
 * (FileAlreadyExists). Returns the new disk's datastore path; `created` records its descriptor.
 */
async function createDiskFile(inv: HostInventory, vm: VmEntry, vmx: VmxFile, device: DeviceChange['device'], index: number,
  created: string[]): Promise<string> {
  const backing = device.backing as { _type?: unknown; fileName?: unknown; thinProvisioned?: unknown };
  const type = typeof backing._type === 'string' ? backing._type : 'VirtualDiskFlatVer2BackingInfo';
  if (type !== 'VirtualDiskFlatVer2BackingInfo') {
    throw new SoapFault({ _type: 'NotSupported' }, `The operation is not supported on the object: creating a disk with a ${type} (VMFS datastores take VirtualDiskFlatVer2BackingInfo).`);
  }
  const bytes = typeof device.capacityInBytes === 'number' && device.capacityInBytes > 0 ? device.capacityInBytes
    : typeof device.capacityInKB === 'number' ? device.capacityInKB * 1024 : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > MAX_VMFS_DISK_BYTES) {
    throw invalidDeviceSpec(index, `Invalid configuration for device '${index}': capacity ${String(device.capacityInBytes ?? device.capacityInKB)} is not 1 byte .. 62 TiB.`);
  }
  const capacity = Math.ceil(bytes / 512) * 512;
  const given = typeof backing.fileName === 'string' ? backing.fileName.trim() : '';
  const named = given === '' ? undefined : parseDatastorePath(given);
  const dsName = named?.datastore ?? vm.datastore.name;
  let fileName: string;
  if (named && named.path !== '') {
    if (!/\.vmdk$/i.test(named.path)) throw invalidDeviceSpec(index, `Invalid configuration for device '${index}': ${given} does not end in .vmdk.`);
    fileName = formatDatastorePath(dsName, named.path);
  } else {
    // ESXi's names for new disks in the VM's folder: <vm>_1.vmdk, <vm>_2.vmdk, ...
    const folder = relative(inv.datastoreRoot(vm.datastore.name), vm.folder).split(sep).join('/');
    const stem = basename(vm.vmxPath, '.vmx');
    const inUse = new Set(vmxDisks(vmx).map((d) => d.fileName));
    let n = 1;
    for (;; n++) {
      const candidate = `${stem}_${n}.vmdk`;
      if (inUse.has(candidate)) continue;
      const probe = await inv.resolveDatastorePath(formatDatastorePath(dsName, `${folder}/${candidate}`));
      if (!(await stat(probe).then(() => true, () => false))) break;
    }
    fileName = formatDatastorePath(dsName, `${folder}/${stem}_${n}.vmdk`);
  }
  const abs = await inv.resolveDatastorePath(fileName);
  if (await stat(abs).then(() => true, () => false)) throw new SoapFault({ _type: 'FileAlreadyExists', file: fileName }, `Cannot complete the operation because the file or folder ${fileName} already exists`);
  if (!(await stat(dirname(abs)).then((st) => st.isDirectory(), () => false))) throw fileNotFound(formatDatastorePath(dsName, dirname(parseDatastorePath(fileName).path)));
  const thin = backing.thinProvisioned === true;
  const space = inv.space.get(dsName);
  if (!thin && space && space.freeSpace < capacity) {
    throw new SoapFault({ _type: 'NoDiskSpace', file: fileName, datastore: dsName }, `There is not enough space on the file system for the selected operation: ${fileName} needs ${capacity} bytes on ${dsName}.`);
  }
  try {
    await createVmDisk(abs, capacity, thin);
  } catch (err) {
    throw hostFault(err, inv);
  }
  created.push(abs);
  return fileName;
}

/** VMFS's largest virtual disk: 62 TiB. */
const MAX_VMFS_DISK_BYTES = 62 * 2 ** 40;

/**
 * `fileOperation: destroy`: the links of each removed disk's chain, top down, until one something
 * still needs — a disk the VM keeps, a snapshot of it, another VM — as ESXi deletes a disk's files
 * but never a base a snapshot still reads.
 */
function destroyedLinks(inv: HostInventory, vm: VmEntry, vmx: VmxFile, tops: string[]): string[] {
  if (tops.length === 0) return [];
  const needed = new Set<string>();
  const need = (owner: VmEntry, fileName: string) => {
    const top = inv.linkPathOf(owner, fileName);
    if (top) for (const link of owner.chain(top)) needed.add(link.path);
  };
  for (const d of vmxDisks(vmx)) need(vm, d.fileName);
  for (const n of vm.tree.nodes) for (const d of n.disks) need(vm, d.fileName);
  for (const other of inv.allVms) if (other !== vm) for (const p of other.links.keys()) needed.add(p);
  const out: string[] = [];
  for (const top of tops) {
    for (const link of vm.chain(top)) {
      if (needed.has(link.path)) break;
      if (!out.includes(link.path)) out.push(link.path);
    }
  }
  return out;
}

/**
 * A disk of another VM attached persistent is written in place: refused (FileLocked, as a host
 * holding the file refuses) when that VM runs on it or a snapshot froze it; a non-persistent
 * attachment (a redo layer over it) is how such a disk is read.
 */
function checkAttachWritable(inv: HostInventory, vm: VmEntry, abs: string, fileName: string): void {
  for (const other of inv.allVms) {
    if (other === vm || !other.links.has(abs)) continue;
    const tops = new Set(vmxDisks(other.vmx).map((d) => inv.linkPathOf(other, d.fileName)));
    const running = other.powerState === 'poweredOn' && tops.has(abs);
    if (running || !tops.has(abs)) {
      throw new SoapFault({ _type: 'FileLocked', file: fileName },
        `Unable to access file ${fileName} since it is locked (${running ? `${other.name} is running on it` : 'a snapshot or another disk depends on it'}; attach it independent_nonpersistent to read it)`);
    }
  }
}

// ------------------------------------------------------------------ changed areas

/**
 * QueryChangedDiskAreas (reference §2.3.7, §5.3): the areas of disk `deviceKey` changed between
 * `changeId` and the snapshot (or now, for a powered-off VM), or with `*` the areas in use.
 */
export async function queryChangedDiskAreas(inv: HostInventory, vmRef: ManagedObjectReference,
  snapshotRef: ManagedObjectReference | undefined, deviceKey: number, startOffset: number, changeId: string): Promise<ChangedAreas> {
  const vm = inv.requireVm(vmRef);
  let vmx: VmxFile;
  let until: string | undefined;
  let node: string;
  if (snapshotRef) {
    const found = inv.requireSnapshot(snapshotRef);
    if (found.vm !== vm) {
      throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'snapshot' }, 'A specified parameter was not correct: snapshot');
    }
    vmx = inv.snapshotConfig(vm, found.node);
    const d = vmxDisks(vmx).find((x) => x.key === deviceKey);
    if (!d) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'deviceKey' }, 'A specified parameter was not correct: deviceKey');
    node = d.node;
    until = found.node.disks.find((x) => x.node === d.node)?.changeId;
  } else {
    if (vm.powerState !== 'poweredOff') {
      throw new SoapFault({ _type: 'InvalidState' }, 'The operation is not allowed in the current state: a powered-on VM needs a snapshot to query.');
    }
    vmx = vm.vmx;
    const d = vmxDisks(vmx).find((x) => x.key === deviceKey);
    if (!d) throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'deviceKey' }, 'A specified parameter was not correct: deviceKey');
    node = d.node;
    until = inv.tracking.tracker(vm, node)?.changeId();
  }
  const d = vmxDisks(vmx).find((x) => x.node === node)!;
  const tracker = inv.tracking.tracker(vm, node);
  const top = inv.linkPathOf(vm, d.fileName);
  const shown = top ? inv.datastorePath(top) : d.fileName;
  if (!tracker || until === undefined) {
    // Tracking off, not active yet, or the snapshot was taken before it was.
    throw new SoapFault({ _type: 'FileFault', file: shown }, `Error caused by file ${shown}: change tracking is not active for this disk at that point`);
  }
  if (changeId !== '*') return tracker.changedAreas(changeId, until, startOffset);
  if (!top) throw fileNotFound(d.fileName);
  let disk: VmdkDisk;
  try {
    disk = await VmdkDisk.open(top, { readOnly: true, lock: false });
  } catch (err) {
    throw hostFault(err, inv);
  }
  try {
    const chain = vm.chain(top);
    const base = chain[chain.length - 1];
    const thinFlat = base !== undefined && base.thinProvisioned && /^vmfs$|flat$/i.test(base.createType);
    return await allocatedAreas(thinFlat ? withThinStatus(disk) : disk, startOffset);
  } finally {
    await disk.close();
  }
}
