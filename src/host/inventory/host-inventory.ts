import { mkdir, readdir, realpath, statfs } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import { moref, type ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import { confinedPath, fileNotFound, formatDatastorePath, isInside, parseDatastorePath } from './datastore-path.js';
import { createDefaultInventory, finishDefaultInventory } from './default-inventory.js';
import {
  readInventoryRecord, writeInventoryRecord, type DatastoreRecord, type HostRecord, type InventoryRecord, type Morefs, type VmRecord,
  type Personality,
} from './inventory-record.js';
import { replayJournal } from './vm-journal.js';
import { VmEntry } from './vm-entry.js';
import { removeLeftovers } from './leftovers.js';
import { VmTracking } from './vm-tracking.js';
import { AsyncMutex } from '../../vmdk/async-mutex.js';
import type { ChangedAreas } from '../cbt/change-tracker.js';
import * as snapshots from './snapshot-operations.js';
import * as vmOps from './vm-operations.js';
import type { ConfigSpec } from './vm-operations.js';
import * as access from './vm-access.js';
import type { NfcGrant, NfcOpenedDisk, VmFile } from './vm-access.js';
import { inventoryObject } from './views/inventory-objects.js';
import type { SnapshotNode } from './snapshot-tree.js';
import { removeVmxDisk, setVmxDisk, vmxDisks } from './vm-config.js';
import { ensureBackupProxy, reconcileProxyDevices } from './backup-proxy.js';
import type { VmxFile } from './vmx-file.js';

interface VisibleIndex {
  list: VmEntry[];
  byRef: Map<string, VmEntry>;
  snapshots: Map<string, { vm: VmEntry; node: SnapshotNode }>;
}

/** What the runtime tells the inventory about each ESXi host once its NFC endpoint listens. */
export interface HostRuntimeFacts {
  nfcPort: number;
  /** SHA-1 thumbprint of the host's certificate, `AA:BB:...`. */
  sslThumbprint: string;
  /** The certificate, DER bytes (HostConfigInfo.certificate holds PEM text as bytes on real hosts). */
  certificate: Uint8Array;
}

export interface HostInventoryOptions {
  personality?: Personality;
  /** Datastores on a LUN, by name (their volumes are mounted before the inventory opens disks). */
  luns?: Map<string, DatastoreLun>;
}

/** Datastore space as last measured (the views are synchronous). */
export interface DatastoreSpace {
  capacity: number;
  freeSpace: number;
}

/** What the views show of a datastore's LUN (HostScsiDiskPartition.diskName, space). */
export interface DatastoreLun {
  readonly naa: string;
  readonly sizeBytes: number;
  readonly freeBytes: number;
}

/**
 * The host's state in its data folder (docs/host-inventory.md): the inventory record, the
 * registered VMs loaded from their files, and the vim views of every object. Operations live in
 * vm-operations.ts and friends and go through `applyVmChange`, which serialises them per VM.
 */
export class HostInventory implements ObjectDirectory {
  readonly hostFacts = new Map<string, HostRuntimeFacts>();
  readonly space = new Map<string, DatastoreSpace>();
  /** Datastores on a LUN (docs/san.md), by name: the LUN's NAA id and space. Set by host/san before open. */
  readonly luns: Map<string, DatastoreLun>;
  /** VM moref value (vCenter form) -> loaded entry. */
  private readonly vms = new Map<string, VmEntry>();
  /** VM moref value (vCenter form) -> the task or operation running on it. */
  readonly busy = new Map<string, ManagedObjectReference>();
  /** Changed-block tracking of the VMs' disks. */
  readonly tracking = new VmTracking(this);
  /** Per VM: held while its disks change shape (snapshot, consolidation) and by every guest write. */
  private readonly ioLocks = new Map<string, AsyncMutex>();
  private readonly recordLock = new AsyncMutex();
  private visible: VisibleIndex | undefined;
  private readonly datastoreRoots = new Map<string, string>();
  /** When this host started (HostRuntimeInfo.bootTime). */
  readonly startedAt = new Date();
  /** The VMs (vCenter morefs) the config names as backup proxies (docs/hotadd.md). */
  private readonly proxies = new Set<string>();

  private constructor(
    /** The data folder, real path. */
    readonly dir: string,
    readonly personality: Personality,
    public record: InventoryRecord,
    luns: Map<string, DatastoreLun>,
  ) {
    this.luns = luns;
  }

  static async open(dir: string, options: HostInventoryOptions = {}): Promise<HostInventory> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const real = await realpath(dir);
    let record = await readInventoryRecord(real);
    if (!record && await finishDefaultInventory(real)) record = await readInventoryRecord(real);
    if (!record) {
      await createDefaultInventory(real);
      record = await readInventoryRecord(real);
      if (!record) throw new Error(`${real}: the default inventory was not created`);
    }
    const inv = new HostInventory(real, options.personality ?? 'vcenter', record, options.luns ?? new Map());
    for (const ds of record.datastores) await mkdir(inv.datastoreRoot(ds.name), { recursive: true });
    // Finish what a killed host left half done, then load, then remove what nothing refers to.
    for (const vm of record.vms) {
      const vmx = await inv.resolveDatastorePath(vm.vmx);
      await replayJournal(real, join(vmx, '..'));
    }
    for (const vm of record.vms) await inv.tracking.open(await inv.reload(vm.morefs.vcenter));
    await removeLeftovers(inv);
    await inv.measureSpace();
    return inv;
  }

  // ------------------------------------------------------------------ records and morefs

  ref(type: string, morefs: Morefs): ManagedObjectReference {
    return moref(type, morefs[this.personality]);
  }

  /** The hosts this personality shows: all of them on vCenter, the first on ESXi. */
  get visibleHosts(): HostRecord[] {
    return this.personality === 'esxi' ? this.record.hosts.slice(0, 1) : this.record.hosts;
  }

  /** The VMs this personality shows, in registration order. */
  get visibleVms(): VmEntry[] {
    return this.visibleIndex().list;
  }

  /**
   * The VMs shown and their snapshots by moref value, built once per change of the registered
   * set (a reload replaces an entry, a registration adds one): the property collector looks an
   * object up for every object and property it walks, so a scan per lookup would make a
   * container view of N VMs cost N^2.
   */
  private visibleIndex(): VisibleIndex {
    if (this.visible) return this.visible;
    const hosts = new Set(this.visibleHosts.map((h) => h.name));
    const list = this.record.vms.flatMap((r) => {
      const e = this.vms.get(r.morefs.vcenter);
      return e && hosts.has(r.host) ? [e] : [];
    });
    const byRef = new Map<string, VmEntry>();
    const snapshots = new Map<string, { vm: VmEntry; node: SnapshotNode }>();
    for (const vm of list) {
      byRef.set(vm.record.morefs[this.personality], vm);
      for (const node of vm.tree.nodes) snapshots.set(this.snapshotRef(vm, node).value, { vm, node });
    }
    this.visible = { list, byRef, snapshots };
    return this.visible;
  }

  /** Registers VMs whose files exist (vm-creation.ts), writes inventory.json, loads them. */
  async registerVms(records: readonly VmRecord[]): Promise<void> {
    this.record.vms.push(...records);
    this.visible = undefined;
    await this.saveRecord();
    for (const r of records) await this.tracking.open(await this.reload(r.morefs.vcenter));
  }

  get allVms(): VmEntry[] {
    return [...this.vms.values()];
  }

  host(name: string): HostRecord | undefined {
    return this.record.hosts.find((h) => h.name === name);
  }

  datastore(name: string): DatastoreRecord | undefined {
    return this.record.datastores.find((d) => d.name === name);
  }

  datastoreRoot(name: string): string {
    let root = this.datastoreRoots.get(name);
    if (root === undefined) this.datastoreRoots.set(name, (root = join(this.dir, 'datastores', name)));
    return root;
  }

  /** The VM a moref names, in this personality; undefined when it names none (or one not shown). */
  vmByRef(ref: ManagedObjectReference): VmEntry | undefined {
    if (ref.type !== 'VirtualMachine') return undefined;
    return this.visibleIndex().byRef.get(ref.value);
  }

  /** The VM a moref names, or ManagedObjectNotFound. */
  requireVm(ref: ManagedObjectReference): VmEntry {
    const vm = this.vmByRef(ref);
    if (!vm) throw objectNotFound(ref);
    return vm;
  }

  vmRef(vm: VmEntry): ManagedObjectReference {
    return this.ref('VirtualMachine', vm.record.morefs);
  }

  snapshotRef(vm: VmEntry, node: SnapshotNode): ManagedObjectReference {
    return moref('VirtualMachineSnapshot',
      this.personality === 'esxi' ? `${vm.record.morefs.esxi}-snapshot-${node.uid}` : `snapshot-${node.morefNumber}`);
  }

  /** The VM and snapshot a VirtualMachineSnapshot moref names. */
  snapshotByRef(ref: ManagedObjectReference): { vm: VmEntry; node: SnapshotNode } | undefined {
    if (ref.type !== 'VirtualMachineSnapshot') return undefined;
    return this.visibleIndex().snapshots.get(ref.value);
  }

  requireSnapshot(ref: ManagedObjectReference): { vm: VmEntry; node: SnapshotNode } {
    const found = this.snapshotByRef(ref);
    if (!found) throw objectNotFound(ref);
    return found;
  }

  lookup(ref: ManagedObjectReference): ManagedObject | undefined {
    return inventoryObject(this, ref);
  }

  setHostRuntime(hostName: string, facts: HostRuntimeFacts): void {
    if (!this.host(hostName)) throw new Error(`no host ${hostName} in the inventory`);
    this.hostFacts.set(hostName, facts);
  }

  // ------------------------------------------------------------------ paths

  /** `[datastore1] web/web.vmdk` -> its absolute path, confined to the datastore's folder. */
  async resolveDatastorePath(text: string, argument = 'fileName'): Promise<string> {
    const p = parseDatastorePath(text, argument);
    const ds = this.datastore(p.datastore);
    if (!ds) throw new SoapFault({ _type: 'InvalidDatastore', name: p.datastore }, `Invalid datastore path '${text}'.`);
    return confinedPath(this.datastoreRoot(ds.name), p.path, text);
  }

  /** A disk fileName as a .vmx in `vmFolder` writes it -> absolute, confined path. */
  async resolveVmxFile(vmFolder: string, fileName: string): Promise<string> {
    const m = /^\/vmfs\/volumes\/([^/]+)\/(.*)$/.exec(fileName);
    if (m) {
      const ds = this.record.datastores.find((d) => d.name === m[1] || d.uuid === m[1]);
      if (!ds) throw fileNotFound(fileName);
      return confinedPath(this.datastoreRoot(ds.name), m[2]!, fileName);
    }
    const ds = this.datastoreOf(vmFolder);
    if (!ds) throw fileNotFound(fileName);
    return confinedPath(this.datastoreRoot(ds.name), relative(this.datastoreRoot(ds.name), join(vmFolder, fileName)), fileName);
  }

  /** How a .vmx in `vmFolder` names the file `abs`: relative when in its folder, else /vmfs/volumes. */
  vmxFileName(vmFolder: string, abs: string): string {
    if (isInside(vmFolder, abs) && !relative(vmFolder, abs).includes(sep)) return relative(vmFolder, abs);
    const ds = this.datastoreOf(abs);
    if (!ds) throw new Error(`${abs} is in no datastore`);
    return `/vmfs/volumes/${ds.name}/${relative(this.datastoreRoot(ds.name), abs).split(sep).join('/')}`;
  }

  /**
   * The datastore folder `abs` lies in. Lexical, on the normalised absolute paths the inventory
   * holds (links are loaded through the confinement check); asked for every file of every VM a
   * property read shows, so a prefix test rather than path.relative.
   */
  datastoreOf(abs: string): DatastoreRecord | undefined {
    for (const d of this.record.datastores) {
      const root = this.datastoreRoot(d.name);
      if (abs === root || (abs.startsWith(root) && abs[root.length] === sep)) return d;
    }
    return undefined;
  }

  /** `abs` as a datastore path: `[datastore1] web/web-000001.vmdk`. */
  datastorePath(abs: string): string {
    const ds = this.datastoreOf(abs);
    if (!ds) return abs;
    const rel = abs.slice(this.datastoreRoot(ds.name).length + 1);
    return formatDatastorePath(ds.name, sep === '/' ? rel : rel.split(sep).join('/'));
  }

  /** The loaded link a disk fileName of `vm`'s .vmx names (lexically; links were loaded confined). */
  linkPathOf(vm: VmEntry, fileName: string): string | undefined {
    const m = /^\/vmfs\/volumes\/([^/]+)\/(.*)$/.exec(fileName);
    let abs: string;
    if (m) {
      const ds = this.record.datastores.find((d) => d.name === m[1] || d.uuid === m[1]);
      if (!ds) return undefined;
      abs = join(this.datastoreRoot(ds.name), m[2]!);
    } else {
      abs = join(vm.folder, fileName);
    }
    return vm.links.has(abs) ? abs : undefined;
  }

  /** The configuration a snapshot froze, its disks as the .vmsd records them now. */
  snapshotConfig(vm: VmEntry, node: SnapshotNode): VmxFile {
    const vmx = (vm.snapshotConfigs.get(node.uid) ?? vm.vmx).clone();
    for (const d of vmxDisks(vmx)) if (!node.disks.some((s) => s.node === d.node)) removeVmxDisk(vmx, d.node);
    for (const d of node.disks) setVmxDisk(vmx, d.node, d.fileName, vmx.get(`${d.node}.mode`) ?? 'persistent');
    return vmx;
  }

  /** The change id a VM's current disk at `node` reports (undefined while tracking is not active). */
  currentChangeId(vm: VmEntry, node: string): string | undefined {
    return this.tracking.currentChangeId(vm, node);
  }

  // ------------------------------------------------------------------ backup proxies

  /** Name these VMs backup proxies (made when missing) and publish their guests' identity and devices. */
  async setBackupProxies(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const vm = await ensureBackupProxy(this, name);
      this.proxies.add(vm.record.morefs.vcenter);
    }
  }

  isBackupProxy(vm: VmEntry): boolean {
    return this.proxies.has(vm.record.morefs.vcenter);
  }

  /** After a proxy's .vmx changed: its guest's devices follow it. */
  async proxyChanged(vm: VmEntry): Promise<void> {
    if (this.isBackupProxy(vm)) await reconcileProxyDevices(this, vm);
  }

  // ------------------------------------------------------------------ serialising operations

  /**
   * Run `fn` as the one operation on `vm` (TaskInProgress for a second one meanwhile; property
   * reads never wait). `task` names the Task the fault reports (the VM when there is none).
   */
  async vmOperation<T>(vm: VmEntry, task: ManagedObjectReference | undefined, fn: () => Promise<T>): Promise<T> {
    const key = vm.record.morefs.vcenter;
    const running = this.busy.get(key);
    if (running !== undefined) {
      throw new SoapFault({ _type: 'TaskInProgress', task: running }, 'Another task is already in progress.');
    }
    this.busy.set(key, task ?? this.vmRef(vm));
    try {
      return await fn();
    } finally {
      this.busy.delete(key);
    }
  }

  /** Hold `vm`'s disk I/O lock while `fn` runs (guest writes and disk-shape changes exclude each other). */
  async withVmIo<T>(vm: VmEntry, fn: () => Promise<T>): Promise<T> {
    const key = vm.record.morefs.vcenter;
    let lock = this.ioLocks.get(key);
    if (!lock) this.ioLocks.set(key, (lock = new AsyncMutex()));
    const release = await lock.lock();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  // ------------------------------------------------------------------ operations (each throws the vim fault a host gives)

  createSnapshot(vm: ManagedObjectReference, name: string, description: string, memory: boolean, quiesce: boolean,
    task?: ManagedObjectReference, progress?: (percent: number) => void): Promise<ManagedObjectReference> {
    return snapshots.createSnapshot(this, vm, name, description, memory, quiesce, task, progress);
  }

  removeSnapshot(snapshot: ManagedObjectReference, removeChildren: boolean, consolidate = true,
    task?: ManagedObjectReference, progress?: (percent: number) => void): Promise<void> {
    return snapshots.removeSnapshot(this, snapshot, removeChildren, consolidate, task, progress);
  }

  removeAllSnapshots(vm: ManagedObjectReference, consolidate = true, task?: ManagedObjectReference,
    progress?: (percent: number) => void): Promise<void> {
    return snapshots.removeAllSnapshots(this, vm, consolidate, task, progress);
  }

  revertToSnapshot(snapshot: ManagedObjectReference, task?: ManagedObjectReference, progress?: (percent: number) => void,
    suppressPowerOn = false): Promise<void> {
    return snapshots.revertToSnapshot(this, snapshot, undefined, task, progress, suppressPowerOn);
  }

  revertToCurrentSnapshot(vm: ManagedObjectReference, task?: ManagedObjectReference, progress?: (percent: number) => void,
    suppressPowerOn = false): Promise<void> {
    return snapshots.revertToSnapshot(this, undefined, vm, task, progress, suppressPowerOn);
  }

  consolidateDisks(vm: ManagedObjectReference, task?: ManagedObjectReference, progress?: (percent: number) => void): Promise<void> {
    return snapshots.consolidateDisks(this, vm, task, progress);
  }

  /** runtime.consolidationNeeded: a removal left links that consolidation would merge. */
  consolidationNeeded(vm: VmEntry): boolean {
    return snapshots.consolidationNeeded(this, vm);
  }

  reconfigure(vm: ManagedObjectReference, spec: ConfigSpec, task?: ManagedObjectReference): Promise<void> {
    return vmOps.reconfigure(this, vm, spec, task);
  }

  powerOn(vm: ManagedObjectReference, task?: ManagedObjectReference): Promise<void> {
    return vmOps.setPowerState(this, vm, 'poweredOn', task);
  }

  powerOff(vm: ManagedObjectReference, task?: ManagedObjectReference): Promise<void> {
    return vmOps.setPowerState(this, vm, 'poweredOff', task);
  }

  /** Write as the VM's guest would (disk by device key, or index 0, 1...); only while powered on. */
  guestWrite(vm: ManagedObjectReference, diskKeyOrIndex: number, offset: number, data: Uint8Array): Promise<void> {
    return vmOps.guestWrite(this, vm, diskKeyOrIndex, offset, data);
  }

  queryChangedDiskAreas(vm: ManagedObjectReference, snapshot: ManagedObjectReference | undefined, deviceKey: number,
    startOffset: number, changeId: string): Promise<ChangedAreas> {
    return vmOps.queryChangedDiskAreas(this, vm, snapshot, deviceKey, startOffset, changeId);
  }

  findByUuid(uuid: string, vmSearch: boolean, instanceUuid = false): ManagedObjectReference | undefined {
    return access.findByUuid(this, uuid, vmSearch, instanceUuid);
  }

  findByInventoryPath(path: string): ManagedObjectReference | undefined {
    return access.findByInventoryPath(this, path);
  }

  nfcOpenDisk(grant: NfcGrant, datastorePath: string, writable: boolean): Promise<NfcOpenedDisk> {
    return access.nfcOpenDisk(this, grant, datastorePath, writable);
  }

  vmFiles(vm: ManagedObjectReference): VmFile[] {
    return access.vmFiles(this, this.requireVm(vm));
  }

  /** Close what the inventory holds open (the change trackers). */
  async close(): Promise<void> {
    await this.tracking.closeAll();
  }

  // ------------------------------------------------------------------ state

  /** Load a VM's files again (after an operation, or at start). */
  async reload(vcenterMoref: string): Promise<VmEntry> {
    const record = this.record.vms.find((v) => v.morefs.vcenter === vcenterMoref);
    if (!record) throw new Error(`no VM ${vcenterMoref}`);
    const ds = this.datastore(parseDatastorePath(record.vmx).datastore);
    if (!ds) throw new Error(`VM ${record.vmx}: no such datastore`);
    let entry: VmEntry;
    try {
      const vmxPath = await this.resolveDatastorePath(record.vmx);
      entry = await VmEntry.load(record, ds, vmxPath, (folder, name) => this.resolveVmxFile(folder, name));
    } catch (err) {
      const e = err as Error;
      throw Object.assign(new Error(`VM ${record.vmx}: ${e.message.split('\n')[0]}`), { cause: err });
    }
    this.vms.set(vcenterMoref, entry);
    this.visible = undefined;
    return entry;
  }

  /** Writes inventory.json; writes are serialised (each goes through one aside file). */
  async saveRecord(): Promise<void> {
    const release = await this.recordLock.lock();
    try {
      await writeInventoryRecord(this.dir, this.record);
    } finally {
      release();
    }
  }

  /** Measure each datastore's space (statfs of its folder; all share the data folder's file system). */
  async measureSpace(): Promise<void> {
    for (const ds of this.record.datastores) {
      const lun = this.luns.get(ds.name);
      if (lun) {
        this.space.set(ds.name, { capacity: lun.sizeBytes, freeSpace: lun.freeBytes });
        continue;
      }
      try {
        const s = await statfs(this.datastoreRoot(ds.name));
        this.space.set(ds.name, { capacity: s.blocks * s.bsize, freeSpace: s.bavail * s.bsize });
      } catch {
        this.space.set(ds.name, { capacity: 0, freeSpace: 0 });
      }
    }
  }

  /** Every file in the VM's folder (what NfcGetVmFiles and layoutEx list), sorted. */
  async folderFiles(vm: VmEntry): Promise<string[]> {
    const names = await readdir(vm.folder).catch(() => [] as string[]);
    return names.filter((n) => !n.startsWith('.') && !n.endsWith('.lck')).sort().map((n) => join(vm.folder, n));
  }
}

export function objectNotFound(ref: ManagedObjectReference): SoapFault {
  return new SoapFault({ _type: 'ManagedObjectNotFound', obj: ref },
    `The object 'vim.${ref.type}:${ref.value}' has already been deleted or has not been completely created`);
}
