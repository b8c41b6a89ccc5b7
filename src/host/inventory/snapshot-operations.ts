import { basename, join } from 'node:path';
import { createChild, nextSnapshotPath } from '../../vmdk/create.js';
import { unlinkDisk } from '../../vmdk/unlink.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import { planDisks, type DiskRef } from './disk-plan.js';
import { hostFault } from './host-faults.js';
import type { HostInventory } from './host-inventory.js';
import type { SnapshotNode, SnapshotTree } from './snapshot-tree.js';
import { setVmxDisk, vmxDisks } from './vm-config.js';
import type { VmEntry } from './vm-entry.js';
import { emptyJournal, runJournal, type VmJournal } from './vm-journal.js';
import type { VmxFile } from './vmx-file.js';

/**
 * Snapshot create, remove (with consolidation) and revert, each as: plan in memory, make the new
 * delta links, write the roll-forward journal (the commit point, vm-journal.ts), carry it out,
 * load the VM again. Guest writes are held off (the VM's I/O lock) while its disks change shape,
 * as ESXi stuns a running VM.
 */

export interface Progress {
  (percent: number): void;
}

/** Snapshot deltas on VMFS6 are seSparse, on VMFS5 vmfsSparse (ESXi's defaults). */
function deltaType(inv: HostInventory, folder: string): 'seSparse' | 'vmfsSparse' {
  return inv.datastoreOf(folder)?.type === 'VMFS6' ? 'seSparse' : 'vmfsSparse';
}

function vmsnName(vm: VmEntry, uid: number): string {
  return `${basename(vm.vmxPath, '.vmx')}-Snapshot${uid}.vmsn`;
}

/**
 * Make a new delta of each `tops` entry in the VM's folder; all or none (made ones removed on
 * failure). Disks are made at the same time, except those whose deltas would take their names
 * from the same base name (`x.vmdk` of two datastores): those one after another, so each finds
 * the next free name.
 */
async function makeDeltas(inv: HostInventory, vm: VmEntry, tops: string[]): Promise<string[]> {
  const made: Array<string | undefined> = new Array(tops.length);
  const byName = new Map<string, number[]>();
  tops.forEach((top, i) => byName.set(basename(top), [...(byName.get(basename(top)) ?? []), i]));
  const results = await Promise.allSettled([...byName.values()].map(async (indexes) => {
    for (const i of indexes) {
      const child = await nextSnapshotPath(join(vm.folder, basename(tops[i]!)));
      await createChild(child, tops[i]!, { type: deltaType(inv, vm.folder) });
      made[i] = child;
    }
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(made.map((m) => (m === undefined ? undefined : unlinkDisk(m).catch(() => undefined))));
    throw hostFault(failed.reason, inv);
  }
  return made as string[];
}

/** The base link of the chain `path` is in, as the VM's loaded links say (the path itself when unknown). */
function chainBase(vm: VmEntry, path: string): string {
  let p = path;
  for (let depth = 0; depth < 256; depth++) {
    const parent = vm.links.get(p)?.parent;
    if (parent === undefined || parent === null) return p;
    p = parent;
  }
  return p;
}

function usedElsewhere(inv: HostInventory, vm: VmEntry): Set<string> {
  const used = new Set<string>();
  for (const other of inv.allVms) if (other !== vm) for (const p of other.links.keys()) used.add(p);
  return used;
}

export async function createSnapshot(inv: HostInventory, vmRef: ManagedObjectReference, name: string, description: string,
  memory: boolean, quiesce: boolean, task?: ManagedObjectReference, progress?: Progress): Promise<ManagedObjectReference> {
  const vm0 = inv.requireVm(vmRef);
  if (name.length > 80) {
    throw new SoapFault({ _type: 'InvalidArgument', invalidProperty: 'name' }, 'A specified parameter was not correct: name');
  }
  return inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(vmRef);
    await inv.tracking.activate(vm);
    const disks = vmxDisks(vm.vmx).filter((d) => !d.mode.startsWith('independent'));
    const tops = disks.map((d) => {
      const top = inv.linkPathOf(vm, d.fileName);
      if (!top) throw new SoapFault({ _type: 'FileNotFound', file: d.fileName }, `File ${d.fileName} was not found`);
      return top;
    });
    // The snapshot's moref number is recorded (inventory.json) while the deltas are made: both
    // are done before the journal, the commit point, so a number is never handed out twice.
    const morefNumber = inv.record.nextSnapshot++;
    const [made, saved] = await Promise.allSettled([makeDeltas(inv, vm, tops), inv.saveRecord()]);
    if (made.status === 'rejected') throw made.reason;
    const deltas = made.value;
    progress?.(40);
    try {
      if (saved.status === 'rejected') throw saved.reason;
      // Freeze each tracked disk's change id: the frozen file holds exactly what that id names.
      const changeIds = await Promise.all(disks.map((d) => inv.tracking.tracker(vm, d.node)?.freeze()));
      const tree = vm.tree.clone();
      const uid = tree.lastUid + 1;
      const node: SnapshotNode = {
        uid, morefNumber, name, description, createTime: new Date(),
        ...(tree.currentUid !== undefined ? { parentUid: tree.currentUid } : {}),
        vmsn: vmsnName(vm, uid),
        disks: disks.map((d, i) => ({ node: d.node, fileName: d.fileName, ...(changeIds[i] ? { changeId: changeIds[i] } : {}) })),
        // Without memory the snapshot is of a powered-off machine (as vSphere reports it).
        powerState: memory && vm.powerState === 'poweredOn' ? 'poweredOn' : 'poweredOff',
        quiesced: quiesce && vm.powerState === 'poweredOn',
      };
      tree.nodes.push(node);
      tree.currentUid = uid;
      tree.lastUid = uid;
      const vmx = vm.vmx.clone();
      disks.forEach((d, i) => setVmxDisk(vmx, d.node, inv.vmxFileName(vm.folder, deltas[i]!), d.mode));
      const journal = emptyJournal();
      journal.writes.push({ file: join(vm.folder, node.vmsn), text: vm.vmx.toString() });
      journal.writes.push({ file: vm.vmxPath, text: vmx.toString() });
      journal.writes.push({ file: vm.vmsdPath, text: tree.toString() });
      await runJournal(inv.dir, vm.folder, journal);
    } catch (err) {
      // Before the journal nothing refers to the new deltas; after it, they are in use.
      if (!(await journalDone(inv, vm))) for (const d of deltas) await unlinkDisk(d).catch(() => undefined);
      throw hostFault(err, inv);
    }
    const after = await inv.reload(vm.record.morefs.vcenter);
    progress?.(100);
    const created = after.tree.get(after.tree.currentUid!)!;
    return inv.snapshotRef(after, created);
  }));
}

/** Whether the VM's files already say the operation happened (its .vmx changed). */
async function journalDone(inv: HostInventory, vm: VmEntry): Promise<boolean> {
  const now = await inv.reload(vm.record.morefs.vcenter).catch(() => undefined);
  return now !== undefined && now.vmx.toString() !== vm.vmx.toString();
}

/**
 * Put the VM in the state `tree` + `vmx` describe: plan which links go and which merge, write the
 * journal with the new .vmx/.vmsd (disk names after the plan), carry it out.
 */
async function applyState(inv: HostInventory, vm: VmEntry, tree: SnapshotTree, vmx: VmxFile, consolidate: boolean,
  added: Map<string, string | null>, removedVmsn: string[], progress?: Progress): Promise<void> {
  const refs: Array<DiskRef & { assign(fileName: string): void }> = [];
  for (const d of vmxDisks(vmx)) {
    const path = inv.linkPathOf(vm, d.fileName) ?? [...added.keys()].find((p) => inv.vmxFileName(vm.folder, p) === d.fileName);
    if (path) refs.push({ path, assign: (f) => setVmxDisk(vmx, d.node, f, d.mode) });
  }
  for (const n of tree.nodes) {
    for (const d of n.disks) {
      const path = inv.linkPathOf(vm, d.fileName);
      if (path) refs.push({ path, assign: (f) => { d.fileName = f; } });
    }
  }
  const before = new Map([...vm.links.values()].map((l) => [l.path, l.parent] as [string, string | null]));
  // A link another VM uses (a disk HotAdded to a backup proxy) is held by it: the operation that
  // would merge or remove it is refused, as ESXi refuses it while the disk is attached.
  const elsewhere = usedElsewhere(inv, vm);
  const wouldChange = planDisks({ refs: refs.map((r) => ({ path: r.path })), before, added, vmFolder: vm.folder, usedElsewhere: new Set(), consolidate });
  const held = [...wouldChange.unlinks, ...wouldChange.commits.flatMap((c) => [c.child, c.parent])].find((p) => elsewhere.has(p));
  if (held) {
    const file = inv.datastorePath(held);
    const by = inv.allVms.find((o) => o !== vm && o.links.has(held));
    throw new SoapFault({ _type: 'FileLocked', file }, `Unable to access file ${file} since it is locked${by ? ` (attached to ${by.name})` : ''}`);
  }
  const plan = planDisks({ refs, before, added, vmFolder: vm.folder, usedElsewhere: elsewhere, consolidate });
  for (const r of refs) r.assign(inv.vmxFileName(vm.folder, r.path));
  const journal: VmJournal = emptyJournal();
  journal.commits = plan.commits;
  journal.relinks = plan.relinks;
  journal.writes.push({ file: vm.vmxPath, text: vmx.toString() });
  journal.writes.push({ file: vm.vmsdPath, text: tree.toString() });
  journal.removeFiles = removedVmsn;
  journal.unlinkDisks = plan.unlinks;
  try {
    await runJournal(inv.dir, vm.folder, journal, { progress: (f) => progress?.(Math.round(10 + 85 * f)), chainOf: (p) => chainBase(vm, p) });
  } catch (err) {
    throw hostFault(err, inv);
  }
}

/**
 * Whether the VM's chains hold a link no state needs on its own that consolidation would merge
 * (vim `runtime.consolidationNeeded`): what RemoveSnapshot_Task with `consolidate = false` leaves,
 * as do the removals of a host that could not consolidate. The plan is the one a removal makes,
 * with the VM's present state as the state after. Cached per loaded entry (entries are replaced,
 * never edited); links other VMs use are looked at only when the quick plan finds something.
 */
const consolidationCache = new WeakMap<VmEntry, boolean>();

export function consolidationNeeded(inv: HostInventory, vm: VmEntry): boolean {
  let needed = consolidationCache.get(vm);
  if (needed === undefined) {
    needed = consolidationPlanOf(inv, vm, new Set()).commits.length > 0 && consolidationPlanOf(inv, vm, usedElsewhere(inv, vm)).commits.length > 0;
    consolidationCache.set(vm, needed);
  }
  return needed;
}

function consolidationPlanOf(inv: HostInventory, vm: VmEntry, elsewhere: Set<string>): ReturnType<typeof planDisks> {
  const refs: DiskRef[] = [];
  const add = (fileName: string) => {
    const path = inv.linkPathOf(vm, fileName);
    if (path) refs.push({ path });
  };
  for (const d of vmxDisks(vm.vmx)) add(d.fileName);
  for (const n of vm.tree.nodes) for (const d of n.disks) add(d.fileName);
  const before = new Map([...vm.links.values()].map((l) => [l.path, l.parent] as [string, string | null]));
  return planDisks({ refs, before, vmFolder: vm.folder, usedElsewhere: elsewhere, consolidate: true });
}

/**
 * ConsolidateVMDisks_Task: merge what removals left in the chains (the same commits, relinks and
 * unlinks a consolidating removal makes, through the VM's journal), the snapshot tree unchanged.
 * Nothing to merge is a success with nothing done, as on ESXi.
 */
export async function consolidateDisks(inv: HostInventory, vmRef: ManagedObjectReference, task?: ManagedObjectReference,
  progress?: Progress): Promise<void> {
  const vm0 = inv.requireVm(vmRef);
  await inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(vmRef);
    if (!consolidationNeeded(inv, vm)) return;
    await inv.tracking.activate(vm);
    await applyState(inv, vm, vm.tree.clone(), vm.vmx.clone(), true, new Map(), [], progress);
    await inv.reload(vm.record.morefs.vcenter);
  }));
}

export async function removeSnapshot(inv: HostInventory, snapshotRef: ManagedObjectReference, removeChildren: boolean,
  consolidate: boolean, task?: ManagedObjectReference, progress?: Progress): Promise<void> {
  const { vm: vm0 } = inv.requireSnapshot(snapshotRef);
  await inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const { vm, node } = inv.requireSnapshot(snapshotRef);
    await inv.tracking.activate(vm);
    const tree = vm.tree.clone();
    const gone = new Set(removeChildren ? tree.subtree(node.uid).map((n) => n.uid) : [node.uid]);
    for (const n of tree.nodes) if (n.parentUid === node.uid && !gone.has(n.uid)) {
      if (node.parentUid !== undefined) n.parentUid = node.parentUid;
      else delete n.parentUid;
    }
    if (tree.currentUid !== undefined && gone.has(tree.currentUid)) tree.currentUid = node.parentUid;
    const removed = tree.nodes.filter((n) => gone.has(n.uid));
    tree.nodes = tree.nodes.filter((n) => !gone.has(n.uid));
    await applyState(inv, vm, tree, vm.vmx.clone(), consolidate, new Map(), removed.map((n) => join(vm.folder, n.vmsn)), progress);
    await inv.reload(vm.record.morefs.vcenter);
  }));
}

export async function removeAllSnapshots(inv: HostInventory, vmRef: ManagedObjectReference, consolidate: boolean,
  task?: ManagedObjectReference, progress?: Progress): Promise<void> {
  const vm0 = inv.requireVm(vmRef);
  await inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(vmRef);
    await inv.tracking.activate(vm);
    const tree = vm.tree.clone();
    const removed = tree.nodes.map((n) => join(vm.folder, n.vmsn));
    tree.nodes = [];
    tree.currentUid = undefined;
    await applyState(inv, vm, tree, vm.vmx.clone(), consolidate, new Map(), removed, progress);
    await inv.reload(vm.record.morefs.vcenter);
  }));
}

/**
 * Revert: the VM gets the snapshot's configuration and, per disk, a new empty delta on the
 * snapshot's frozen file; what it ran on before and no snapshot needs is removed. Tracking starts
 * over (a CBT reset: new tracking uuid, older change ids refused) — first, so that a revert killed
 * half way errs towards a client doing a full backup, never towards a missed change.
 */
export async function revertToSnapshot(inv: HostInventory, snapshotRef: ManagedObjectReference | undefined,
  vmRef: ManagedObjectReference | undefined, task?: ManagedObjectReference, progress?: Progress, suppressPowerOn = false): Promise<void> {
  let vm0: VmEntry;
  if (snapshotRef) vm0 = inv.requireSnapshot(snapshotRef).vm;
  else {
    vm0 = inv.requireVm(vmRef!);
    if (vm0.tree.currentUid === undefined) {
      throw new SoapFault({ _type: 'NotFound' }, 'The object or item referred to could not be found.');
    }
  }
  await inv.vmOperation(vm0, task, () => inv.withVmIo(vm0, async () => {
    const vm = inv.requireVm(inv.vmRef(vm0));
    const node = snapshotRef ? inv.requireSnapshot(snapshotRef).node : vm.tree.get(vm.tree.currentUid!)!;
    const frozen = inv.snapshotConfig(vm, node);
    const vmx = frozen.clone();
    vmx.set('vixdisk.powerState', suppressPowerOn && node.powerState === 'poweredOn' ? 'poweredOff' : node.powerState);
    vmx.set('ctkEnabled', vm.vmx.getBool('ctkEnabled'));
    const frozenDisks = vmxDisks(frozen).filter((d) => !d.mode.startsWith('independent'));
    const tops = frozenDisks.map((d) => {
      const top = inv.linkPathOf(vm, d.fileName);
      if (!top) throw new SoapFault({ _type: 'FileNotFound', file: d.fileName }, `File ${d.fileName} was not found`);
      return top;
    });
    for (const d of frozenDisks) vmx.set(`${d.node}.ctkEnabled`, vm.vmx.getBool(`${d.node}.ctkEnabled`) || vm.vmx.getBool('ctkEnabled'));
    await inv.tracking.stop(vm);
    const deltas = await makeDeltas(inv, vm, tops);
    progress?.(40);
    const added = new Map<string, string | null>(deltas.map((d, i) => [d, tops[i]!]));
    frozenDisks.forEach((d, i) => setVmxDisk(vmx, d.node, inv.vmxFileName(vm.folder, deltas[i]!), d.mode));
    const tree = vm.tree.clone();
    tree.currentUid = node.uid;
    try {
      await applyState(inv, vm, tree, vmx, false, added, [], progress);
    } catch (err) {
      if (!(await journalDone(inv, vm))) for (const d of deltas) await unlinkDisk(d).catch(() => undefined);
      throw err;
    }
    const after = await inv.reload(vm.record.morefs.vcenter);
    await inv.tracking.activate(after);
    progress?.(100);
  }));
}
