import { VixError } from '../errors/vix-error.js';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_FAIL, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import { SoapFault } from './soap-fault.js';
import { moRef, VimClient } from './vim-client.js';
import type { ManagedObjectReference } from './vim-types.js';
import { plainValue } from './vim-value-codec.js';

// What a person or a backup job does to VMs over vim25, on a logged-in VimClient, with nothing
// simulator-specific (the same calls work against ESXi 8 / vCenter 8, `vixdisk host` and vcsim):
//
//   openVimSession        connect (thumbprint pinned) and Login, faults as one VIX line
//   findVm                a VM by moref (`vm-16`, `moref=vm-16`, ESXi's `16`) or by name
//                         (a name two VMs share is refused, naming their morefs)
//   listVms               every VM: name, power state, host name, CBT, snapshots, disks
//   snapshotTree / findSnapshot   the VM's snapshot tree; a snapshot by moref or name
//   createSnapshot / removeSnapshot   CreateSnapshot_Task / RemoveSnapshot_Task, waited for
//   setChangeTracking     ReconfigVM_Task changeTrackingEnabled, and whether it waits for a stun
//   vmDisks               the disks of a VM or of one of its snapshots (key, label, path, changeId)
//   changedDiskAreas      QueryChangedDiskAreas page after page (a generator), and
//   allChangedDiskAreas   the same collected
//   explainFault          a vim25 fault as one VixError line (wrong password, NoPermission naming
//                         the privilege, object not found)

/** How a VM was named on the command line or in a job. */
export type VmSpec = { kind: 'moref'; value: string; explicit: boolean } | { kind: 'name'; name: string };

/** `moref=vm-16` (explicit), `vm-16`, ESXi's `16` (morefs); anything else a VM name. */
export function parseVmSpec(text: string): VmSpec {
  const s = text.trim();
  if (s === '') throw new VixError(VIX_E_INVALID_ARG, 'no VM named (give a moref such as vm-16 or a VM name)');
  const explicit = /^moref=(.+)$/i.exec(s);
  if (explicit) return { kind: 'moref', value: explicit[1]!.trim(), explicit: true };
  if (/^vm-\d+$/.test(s) || /^\d+$/.test(s)) return { kind: 'moref', value: s, explicit: false };
  return { kind: 'name', name: s };
}

export interface FoundVm {
  ref: ManagedObjectReference;
  name: string;
}

export interface VimLogin {
  host: string;
  port?: number;
  thumbprint: string;
  user: string;
  password: string;
}

/**
 * A vim25 fault (or network error) as one VixError line naming what was being done: a wrong
 * password says so, NoPermission names the privilege and the object, a vanished object is 25.
 */
export function explainFault(err: unknown, what: string): VixError {
  if (!(err instanceof SoapFault)) return err instanceof VixError ? err : new VixError(VIX_E_FAIL, `${what}: ${(err as Error)?.message ?? String(err)}`);
  const f = err.fault as { _type: string; privilegeId?: string; object?: ManagedObjectReference; obj?: ManagedObjectReference };
  if (err.faultType === 'InvalidLogin') return new VixError(VIX_E_AUTHENTICATION_FAIL, `${what}: incorrect user name or password`, { cause: err });
  if (err.faultType === 'NotAuthenticated') return new VixError(err.code, `${what}: the session is not authenticated (logged out or expired)`, { cause: err });
  if (err.faultType === 'NoPermission' && f.privilegeId) {
    const on = f.object ? ` on ${f.object.value}` : '';
    return new VixError(err.code, `${what}: permission denied: needs privilege ${f.privilegeId}${on}`, { cause: err });
  }
  if (err.faultType === 'ManagedObjectNotFound') {
    return new VixError(VIX_E_OBJECT_NOT_FOUND, `${what}: ${f.obj ? `${f.obj.type} ${f.obj.value}` : 'the object'} was not found`, { cause: err });
  }
  return new VixError(err.code, `${what}: ${err.message}`, { cause: err });
}

/** Connect with the certificate pinned, then Login; the client is closed again on failure. */
export async function openVimSession(o: VimLogin): Promise<VimClient> {
  const client = new VimClient({ host: o.host, port: o.port, thumbprint: o.thumbprint });
  try {
    await client.serviceContent().catch((e) => { throw explainFault(e, `${client.where}`); });
    await client.login(o.user, o.password).catch((e) => { throw explainFault(e, `login to ${client.host} as ${o.user}`); });
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

/** Logout (a failure is not the caller's problem: the session expires) and close the sockets. */
export async function closeVimSession(client: VimClient): Promise<void> {
  try {
    await client.logout();
  } catch {
    // Nothing to undo: the host drops an idle session by itself.
  } finally {
    client.close();
  }
}

interface ObjectContent {
  obj: ManagedObjectReference;
  propSet?: Array<{ name: string; val: unknown }>;
}

/**
 * Properties `paths` of the objects of `type` reached from `from` through its property `via.path`
 * (a TraversalSpec on `via.type`: a ContainerView's `view`, TaskManager's `recentTask`), all pages.
 * Faults are the server's, unexplained: callers say what they were doing.
 */
export async function retrieveThrough(client: VimClient, from: ManagedObjectReference, via: { type: string; path: string }, type: string, paths: string[]): Promise<Array<{ ref: ManagedObjectReference; props: Record<string, unknown> }>> {
  const sc = await client.serviceContent();
  const out: Array<{ ref: ManagedObjectReference; props: Record<string, unknown> }> = [];
  let result = await client.call('RetrievePropertiesEx', sc.propertyCollector, {
    specSet: [{
      _type: 'PropertyFilterSpec',
      propSet: [{ _type: 'PropertySpec', type, pathSet: paths }],
      objectSet: [{ _type: 'ObjectSpec', obj: from, skip: true, selectSet: [{ _type: 'TraversalSpec', type: via.type, path: via.path, skip: false }] }],
    }],
    options: { _type: 'RetrieveOptions' },
  }) as { token?: string; objects?: ObjectContent[] } | undefined;
  // Pages until the server gives no token; the bound only guards against a server that loops.
  for (let pages = 0; result; pages++) {
    for (const o of result.objects ?? []) {
      const props: Record<string, unknown> = {};
      for (const p of o.propSet ?? []) props[p.name] = plainValue(p.val);
      out.push({ ref: o.obj, props });
    }
    if (!result.token || pages > 100_000) break;
    result = await client.call('ContinueRetrievePropertiesEx', sc.propertyCollector, { token: result.token }) as typeof result;
  }
  return out;
}

/** Properties of every object of `type` under the root folder, through a ContainerView, all pages. */
export async function retrieveAllOfType(client: VimClient, type: string, paths: string[]): Promise<Array<{ ref: ManagedObjectReference; props: Record<string, unknown> }>> {
  const sc = await client.serviceContent();
  const viewManager = sc.raw.viewManager as ManagedObjectReference | undefined;
  if (!viewManager) throw new VixError(VIX_E_FAIL, `${client.where} has no ViewManager to list ${type} objects`);
  const view = await client.call('CreateContainerView', viewManager, { container: sc.rootFolder, type: [type], recursive: true })
    .catch((e) => { throw explainFault(e, `listing ${type} objects`); }) as ManagedObjectReference;
  try {
    return await retrieveThrough(client, view, { type: 'ContainerView', path: 'view' }, type, paths)
      .catch((e) => { throw explainFault(e, `reading ${type} properties`); });
  } finally {
    await client.call('DestroyView', view).catch(() => undefined);
  }
}

/** The VM a spec names; not found is 25, a name two VMs share is refused listing their morefs. */
export async function findVm(client: VimClient, spec: VmSpec | string): Promise<FoundVm> {
  const s = typeof spec === 'string' ? parseVmSpec(spec) : spec;
  if (s.kind === 'moref') {
    const ref = moRef('VirtualMachine', s.value);
    try {
      const { name } = await client.retrieveProperties(ref, ['name']);
      return { ref, name: String(name ?? '') };
    } catch (err) {
      if (!(err instanceof SoapFault && err.faultType === 'ManagedObjectNotFound')) throw explainFault(err, `reading VM ${s.value}`);
      // `vm-16` and `16` may also be a VM's name; `moref=` is only ever a moref.
      if (s.explicit) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `VM ${s.value} was not found on ${client.host}`);
    }
  }
  const name = s.kind === 'name' ? s.name : s.value;
  const all = await retrieveAllOfType(client, 'VirtualMachine', ['name']);
  const matches = all.filter((v) => v.props.name === name);
  if (matches.length === 0) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `no VM ${s.kind === 'moref' ? `with moref or name ${name}` : `named "${name}"`} on ${client.host}`);
  if (matches.length > 1) {
    throw new VixError(VIX_E_INVALID_ARG, `${matches.length} VMs are named "${name}" on ${client.host}: name one by moref (${matches.map((m) => m.ref.value).join(', ')})`);
  }
  return { ref: matches[0]!.ref, name };
}

// ------------------------------------------------------------------ snapshots

export interface SnapshotNode {
  ref: ManagedObjectReference;
  name: string;
  description: string;
  createTime: string;
  state: string;
  quiesced: boolean;
  /** Whether this is the VM's current snapshot (the parent of its running state). */
  current: boolean;
  children: SnapshotNode[];
}

interface RawSnapshotTree {
  snapshot: ManagedObjectReference;
  name?: string;
  description?: string;
  createTime?: unknown;
  state?: string;
  quiesced?: boolean;
  childSnapshotList?: RawSnapshotTree[];
}

function toNodes(list: RawSnapshotTree[], current: string | undefined, depth = 0): SnapshotNode[] {
  if (depth > 1000) return [];
  return list.map((s) => ({
    ref: s.snapshot,
    name: s.name ?? '',
    description: s.description ?? '',
    createTime: s.createTime instanceof Date ? s.createTime.toISOString() : String(s.createTime ?? ''),
    state: s.state ?? '',
    quiesced: !!s.quiesced,
    current: s.snapshot?.value === current,
    children: toNodes(s.childSnapshotList ?? [], current, depth + 1),
  }));
}

/** Every node of a tree, parents before children. */
export function flattenSnapshots(nodes: SnapshotNode[]): SnapshotNode[] {
  return nodes.flatMap((n) => [n, ...flattenSnapshots(n.children)]);
}

function treeOf(props: Record<string, unknown>): SnapshotNode[] {
  const info = props.snapshot as { rootSnapshotList?: RawSnapshotTree[]; currentSnapshot?: ManagedObjectReference } | undefined;
  return toNodes(info?.rootSnapshotList ?? [], info?.currentSnapshot?.value);
}

export async function snapshotTree(client: VimClient, vm: ManagedObjectReference): Promise<SnapshotNode[]> {
  const props = await client.retrieveProperties(vm, ['snapshot']).catch((e) => { throw explainFault(e, `reading the snapshots of ${vm.value}`); });
  return treeOf(props);
}

/** A snapshot of the VM by moref (`snapshot-42`, `moref=…`, ESXi's `16-snapshot-3`) or by name. */
export async function findSnapshot(client: VimClient, vm: ManagedObjectReference, spec: string): Promise<SnapshotNode> {
  const want = spec.trim().replace(/^moref=/i, '');
  const all = flattenSnapshots(await snapshotTree(client, vm));
  const byRef = all.find((s) => s.ref.value === want);
  if (byRef) return byRef;
  const byName = all.filter((s) => s.name === want);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) {
    throw new VixError(VIX_E_INVALID_ARG, `${byName.length} snapshots of VM ${vm.value} are named "${want}": name one by moref (${byName.map((s) => s.ref.value).join(', ')})`);
  }
  throw new VixError(VIX_E_OBJECT_NOT_FOUND, `VM ${vm.value} has no snapshot ${want}${all.length ? ` (its snapshots: ${all.map((s) => `${s.ref.value} "${s.name}"`).join(', ')})` : ''}`);
}

export interface CreateSnapshotOptions {
  name: string;
  description?: string;
  /** Include the VM's memory (a powered-on VM only). */
  memory?: boolean;
  /** Ask VMware Tools to quiesce the guest's file systems first. */
  quiesce?: boolean;
}

async function runTask(client: VimClient, start: Promise<unknown>, what: string): Promise<unknown> {
  const task = await start.catch((e) => { throw explainFault(e, what); }) as ManagedObjectReference;
  return client.waitForTask(task).catch((e) => { throw explainFault(e, what); });
}

/** CreateSnapshot_Task, waited for: the new snapshot's moref. */
export async function createSnapshot(client: VimClient, vm: ManagedObjectReference, o: CreateSnapshotOptions): Promise<ManagedObjectReference> {
  const result = await runTask(client, client.call('CreateSnapshot_Task', vm, {
    name: o.name, ...(o.description ? { description: o.description } : {}), memory: !!o.memory, quiesce: !!o.quiesce,
  }), `creating snapshot "${o.name}" of ${vm.value}`) as ManagedObjectReference | undefined;
  if (!result?.value) throw new VixError(VIX_E_FAIL, `snapshot task of ${vm.value} succeeded without naming the snapshot`);
  return result;
}

/** RemoveSnapshot_Task (consolidating, as VMware's clients do), waited for. */
export async function removeSnapshot(client: VimClient, snapshot: ManagedObjectReference, o: { removeChildren?: boolean } = {}): Promise<void> {
  await runTask(client, client.call('RemoveSnapshot_Task', snapshot, { removeChildren: !!o.removeChildren, consolidate: true }),
    `removing snapshot ${snapshot.value}`);
}

// ------------------------------------------------------------------ change tracking

export interface ChangeTrackingState {
  enabled: boolean;
  powerState: string;
  /**
   * ESXi starts (or stops) tracking a running VM's disks at its next stun: a snapshot create or
   * remove, or a power cycle. A powered-off VM's disks follow at once.
   */
  pendingStun: boolean;
}

export async function setChangeTracking(client: VimClient, vm: ManagedObjectReference, enabled: boolean): Promise<ChangeTrackingState> {
  const before = await client.retrieveProperties(vm, ['config.changeTrackingEnabled', 'runtime.powerState'])
    .catch((e) => { throw explainFault(e, `reading VM ${vm.value}`); });
  const was = before['config.changeTrackingEnabled'] === true;
  await runTask(client, client.call('ReconfigVM_Task', vm, { spec: { _type: 'VirtualMachineConfigSpec', changeTrackingEnabled: enabled } }),
    `${enabled ? 'enabling' : 'disabling'} change tracking of ${vm.value}`);
  const after = await client.retrieveProperties(vm, ['config.changeTrackingEnabled', 'runtime.powerState'])
    .catch((e) => { throw explainFault(e, `reading VM ${vm.value}`); });
  const powerState = String(after['runtime.powerState'] ?? '');
  return { enabled: after['config.changeTrackingEnabled'] === true, powerState, pendingStun: enabled && !was && powerState === 'poweredOn' };
}

// ------------------------------------------------------------------ disks

export interface VmDisk {
  key: number;
  label: string;
  /** The top link's datastore path (`[ds] dir/disk-000001.vmdk`). */
  fileName: string;
  datastore: string;
  capacityBytes: number;
  /** The change id of this disk's state (CBT on), else null. */
  changeId: string | null;
  diskMode: string | null;
  /** The whole chain, top first (the backing's parents). */
  chain: string[];
}

interface RawDisk {
  _type: string;
  key: number;
  capacityInBytes?: number;
  capacityInKB?: number;
  deviceInfo?: { label?: string };
  backing?: { fileName?: string; changeId?: string; diskMode?: string; datastore?: ManagedObjectReference; parent?: RawDisk['backing'] };
}

function datastoreOf(path: string): string {
  return /^\s*\[([^\]]*)\]/.exec(path)?.[1] ?? '';
}

export function disksOfDevices(devices: unknown): VmDisk[] {
  const out: VmDisk[] = [];
  for (const d of (Array.isArray(devices) ? devices : []) as RawDisk[]) {
    if (d?._type !== 'VirtualDisk') continue;
    const chain: string[] = [];
    for (let b = d.backing; b && chain.length < 256; b = b.parent) if (b.fileName) chain.push(b.fileName);
    const fileName = chain[0] ?? '';
    out.push({
      key: d.key,
      label: d.deviceInfo?.label ?? `disk ${d.key}`,
      fileName,
      datastore: datastoreOf(fileName),
      capacityBytes: Number(d.capacityInBytes ?? (d.capacityInKB ?? 0) * 1024),
      changeId: d.backing?.changeId ?? null,
      diskMode: d.backing?.diskMode ?? null,
      chain,
    });
  }
  return out;
}

/** The disks of a VM, or of one of its snapshots (the frozen state a backup reads). */
export async function vmDisks(client: VimClient, owner: ManagedObjectReference): Promise<VmDisk[]> {
  const props = await client.retrieveProperties(owner, ['config.hardware.device'])
    .catch((e) => { throw explainFault(e, `reading the disks of ${owner.value}`); });
  return disksOfDevices(props['config.hardware.device']);
}

/** A disk by its device key (`2000`) or by a datastore path of its chain. */
export function pickDisk(disks: VmDisk[], spec: string, owner: string): VmDisk {
  const s = spec.trim();
  const norm = (p: string) => p.replace(/^\s*\[([^\]]*)\]\s*/, '[$1] ').trim();
  const found = /^\d+$/.test(s) ? disks.find((d) => d.key === Number(s)) : disks.find((d) => d.chain.some((p) => norm(p) === norm(s)));
  if (!found) {
    throw new VixError(VIX_E_OBJECT_NOT_FOUND, `${owner} has no disk ${s} (its disks: ${disks.map((d) => `${d.key} ${d.fileName}`).join(', ') || 'none'})`);
  }
  return found;
}

// ------------------------------------------------------------------ changed areas

export interface DiskArea {
  start: number;
  length: number;
}

export interface ChangedAreasPage {
  startOffset: number;
  length: number;
  changedArea: DiskArea[];
}

export interface ChangedAreasQuery {
  vm: ManagedObjectReference;
  /** The snapshot whose state is compared (required for a powered-on VM). */
  snapshot: ManagedObjectReference | null;
  deviceKey: number;
  /** The change id of the earlier backup, or `*` for every area in use. */
  changeId: string;
  /** The disk's capacity: pages are asked until they reach it. */
  capacityBytes: number;
  startOffset?: number;
}

/**
 * QueryChangedDiskAreas page after page (reference §2.3.7): each answer covers
 * [startOffset, startOffset+length) and the next asks from its end, until the capacity is reached.
 */
export async function* changedDiskAreas(client: VimClient, q: ChangedAreasQuery): AsyncGenerator<ChangedAreasPage> {
  let offset = q.startOffset ?? 0;
  const what = `QueryChangedDiskAreas of disk ${q.deviceKey} of ${q.vm.value}${q.snapshot ? ` at ${q.snapshot.value}` : ''} since ${q.changeId}`;
  while (offset < q.capacityBytes) {
    const info = await client.call('QueryChangedDiskAreas', q.vm, {
      ...(q.snapshot ? { snapshot: q.snapshot } : {}), deviceKey: q.deviceKey, startOffset: offset, changeId: q.changeId,
    }).catch((e) => { throw explainFault(e, what); }) as { startOffset: number; length: number; changedArea?: DiskArea[] };
    const page: ChangedAreasPage = {
      startOffset: Number(info.startOffset),
      length: Number(info.length),
      changedArea: (info.changedArea ?? []).map((a) => ({ start: Number(a.start), length: Number(a.length) })),
    };
    const next = page.startOffset + page.length;
    // A page that does not move forward would loop for ever: a server fault, reported as one.
    if (!(next > offset)) throw new VixError(VIX_E_FAIL, `${what}: the page at ${offset} ends at ${next}, not past it`);
    yield page;
    offset = next;
  }
}

/** Every changed area (merged page boundaries are left as the server gave them). */
export async function allChangedDiskAreas(client: VimClient, q: ChangedAreasQuery): Promise<{ areas: DiskArea[]; pages: number }> {
  const areas: DiskArea[] = [];
  let pages = 0;
  for await (const page of changedDiskAreas(client, q)) {
    pages++;
    for (const a of page.changedArea) areas.push(a);
  }
  return { areas, pages };
}

// ------------------------------------------------------------------ listing

export interface VmSummary {
  moref: string;
  name: string;
  powerState: string;
  host: string;
  changeTracking: boolean;
  snapshots: number;
  disks: Array<{ key: number; fileName: string; capacityBytes: number }>;
}

/** Every VM the user may see, sorted by name then moref. */
export async function listVms(client: VimClient): Promise<VmSummary[]> {
  const vms = await retrieveAllOfType(client, 'VirtualMachine',
    ['name', 'runtime.powerState', 'runtime.host', 'config.changeTrackingEnabled', 'snapshot', 'config.hardware.device']);
  const hostNames = new Map<string, string>();
  for (const h of await retrieveAllOfType(client, 'HostSystem', ['name'])) hostNames.set(h.ref.value, String(h.props.name ?? h.ref.value));
  return vms.map(({ ref, props }) => {
    const host = props['runtime.host'] as ManagedObjectReference | undefined;
    return {
      moref: ref.value,
      name: String(props.name ?? ''),
      powerState: String(props['runtime.powerState'] ?? ''),
      host: host ? hostNames.get(host.value) ?? host.value : '',
      changeTracking: props['config.changeTrackingEnabled'] === true,
      snapshots: flattenSnapshots(treeOf(props)).length,
      disks: disksOfDevices(props['config.hardware.device']).map((d) => ({ key: d.key, fileName: d.fileName, capacityBytes: d.capacityBytes })),
    };
  }).sort((a, b) => a.name.localeCompare(b.name) || a.moref.localeCompare(b.moref, undefined, { numeric: true }));
}
