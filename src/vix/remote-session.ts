import type { BlockDevice } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import {
  VIX_E_FAIL, VIX_E_FILE_NOT_FOUND, VIX_E_HOST_USER_PERMISSIONS, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED, VIX_E_OBJECT_NOT_FOUND,
} from '../errors/error-codes.js';
import { NfcDisk } from '../nfc/nfc-disk.js';
import type { RemoteDiskSource, RemoteOpenRequest, RemoteVm } from '../transport/transport.js';
import { SoapFault } from '../vsphere/soap-fault.js';
import { moRef, VimClient } from '../vsphere/vim-client.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import { retrieveThrough } from '../vsphere/vm-operations.js';
import type { VixConfig } from './config.js';
import { openHotAdd } from './hotadd.js';
import { VIXDISKLIB_CRED_SESSIONID, VIXDISKLIB_CRED_SSPI, VIXDISKLIB_CRED_TICKETID, VIXDISKLIB_CRED_UID } from './constants.js';
import type { VixDiskLibConnectParams } from './types.js';

// The remote half of a VixDiskLib connection: a logged-in vim25 session bound to one VM (and maybe
// one of its snapshots), and the NFC open of that VM's disks (reference §1.2). Everything ConnectEx
// can check is checked up front, each failure one line naming its cause.

type Log = (level: 'info' | 'warn', line: string) => void;

interface VirtualDevice {
  _type: string;
  key: number;
  controllerKey?: number;
  unitNumber?: number;
  capacityInBytes?: number;
  backing?: DiskBacking;
}

interface DiskBacking {
  _type: string;
  fileName?: string;
  parent?: DiskBacking;
}

interface SnapshotTree {
  snapshot: ManagedObjectReference;
  name?: string;
  childSnapshotList?: SnapshotTree[];
}

/** A disk of the VM (or snapshot) as its hardware list describes it. */
export interface RemoteDiskInfo {
  key: number;
  /** The top link's datastore path and those of its parents, top first. */
  chain: string[];
  capacityBytes: number;
  /** The controller's device type (VirtualLsiLogicController, VirtualIDEController…). */
  controllerType: string | null;
  /** The backing's type (VirtualDiskFlatVer2BackingInfo, VirtualDiskRawDiskMappingVer1BackingInfo…). */
  backingType: string | null;
}

export interface RemoteSessionOptions {
  params: VixDiskLibConnectParams;
  readOnly: boolean;
  snapshotRef: string | null;
  config: VixConfig;
  log: Log;
}

/** `[datastore1]  web/web.vmdk` and `[datastore1] web/web.vmdk` name the same file. */
export function normalizeDatastorePath(p: string): string {
  const m = /^\s*\[([^\]]*)\]\s*(.*?)\s*$/.exec(p);
  return m ? `[${m[1]}] ${m[2]}` : p.trim();
}

/** How VDDK's vmxSpec selects a VM: `moref=vm-16`, `uuid=…` (BIOS uuid), or `[ds] dir/vm.vmx?dcPath=…&dsName=…`. */
export type VmSelector = { kind: 'moref'; value: string } | { kind: 'uuid'; value: string } | { kind: 'path'; path: string; dcPath: string | null };

export function parseVmxSpec(spec: string | null | undefined): VmSelector {
  const s = (spec ?? '').trim();
  if (s === '') throw new VixError(VIX_E_INVALID_ARG, 'vmxSpec is required for a remote connection (moref=vm-N)');
  const moref = /^moref=(.+)$/i.exec(s);
  if (moref) return { kind: 'moref', value: moref[1]!.trim() };
  const uuid = /^uuid=(.+)$/i.exec(s);
  if (uuid) return { kind: 'uuid', value: uuid[1]!.trim() };
  const path = /^(\[[^\]]*\]\s*[^?]+\.vmx)(?:\?(.*))?$/i.exec(s);
  if (path) {
    const query = new URLSearchParams(path[2] ?? '');
    return { kind: 'path', path: normalizeDatastorePath(path[1]!), dcPath: query.get('dcPath') };
  }
  throw new VixError(VIX_E_INVALID_ARG, `vmxSpec "${s.slice(0, 120)}" is not moref=<vm moref>, uuid=<bios uuid> or "[datastore] path.vmx?dcPath=…"`);
}

function refine(err: unknown, what: string): never {
  if (err instanceof SoapFault) {
    const t = err.faultType;
    if (t === 'InvalidLogin') throw new VixError(err.code, `${what}: incorrect user name or password (${err.message})`, { cause: err });
    if (t === 'NotAuthenticated') throw new VixError(err.code, `${what}: the session is not authenticated (${err.message})`, { cause: err });
    throw new VixError(err.code, `${what}: ${err.message}`, { cause: err });
  }
  throw err;
}

export class RemoteSession implements RemoteDiskSource {
  private vmHost: ManagedObjectReference | null = null;

  private constructor(
    readonly client: VimClient,
    readonly vm: ManagedObjectReference,
    readonly snapshot: ManagedObjectReference | null,
    readonly userName: string,
    private readonly options: RemoteSessionOptions,
    /** Whether this connection made its session (and so ends it with Logout). */
    private readonly ownsSession: boolean,
  ) {}

  /** What the san transport asks the host through (transport.ts RemoteVm). */
  get remoteVm(): RemoteVm {
    return { client: this.client, vm: this.vm, snapshot: this.snapshot, config: this.options.config, log: this.options.log };
  }

  get isVCenter(): boolean {
    return this.client.isVCenter;
  }

  /**
   * The steps every remote call shares (ConnectEx, Cleanup): parameters, thumbprint, HTTPS,
   * service content and login with the connection's credentials. A failure ends what it made.
   */
  static async authenticate(o: Pick<RemoteSessionOptions, 'params' | 'config' | 'log'>): Promise<{ client: VimClient; userName: string; owns: boolean }> {
    const p = o.params;
    const server = String(p.serverName);
    const port = p.port || 443;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new VixError(VIX_E_INVALID_ARG, `port ${p.port} is not a TCP port`);
    const cred = p.credType ?? VIXDISKLIB_CRED_UID;
    if (cred === VIXDISKLIB_CRED_SSPI) throw new VixError(VIX_E_NOT_SUPPORTED, 'SSPI credentials work on Windows only; use user name and password (VIXDISKLIB_CRED_UID)');
    if (![VIXDISKLIB_CRED_UID, VIXDISKLIB_CRED_SESSIONID, VIXDISKLIB_CRED_TICKETID].includes(cred)) {
      throw new VixError(VIX_E_INVALID_ARG, `credType ${cred} is not UID (1), SESSIONID (2), TICKETID (3) or SSPI (4)`);
    }
    const verify = o.config.get('vixDiskLib.linuxSSL.verifyCertificates');
    if (verify !== undefined && verify.trim() === '0') {
      o.log('warn', 'vixDiskLib.linuxSSL.verifyCertificates = 0 is ignored: since VDDK 6.0 the server certificate is always checked against thumbPrint');
    }
    if (!p.thumbPrint) {
      throw new VixError(VIX_E_FAIL, `no thumbPrint given for ${server}:${port}: the server's certificate cannot be verified (pass its SHA-1 or SHA-256 thumbprint)`);
    }
    const client = new VimClient({ host: server, port, thumbprint: p.thumbPrint });
    try {
      const sc = await client.serviceContent().catch((e) => refine(e, `${server}:${port}`));
      let userName: string;
      let owns = true;
      if (cred === VIXDISKLIB_CRED_UID) {
        const uid = p.creds?.uid;
        if (!uid?.userName) throw new VixError(VIX_E_INVALID_ARG, 'credType UID needs creds.uid.userName and password');
        const session = await client.login(uid.userName, uid.password ?? '').catch((e) => refine(e, `login to ${server} as ${uid.userName}`));
        userName = String(session.userName ?? uid.userName);
      } else if (cred === VIXDISKLIB_CRED_SESSIONID) {
        const sid = p.creds?.sessionId;
        if (!sid?.cookie) throw new VixError(VIX_E_INVALID_ARG, 'credType SESSIONID needs creds.sessionId.cookie');
        const session = await client.loginBySessionId(sid.cookie).catch((e) => refine(e, `reusing session on ${server}`));
        userName = String(session.userName ?? sid.userName ?? '');
        owns = false; // the caller's session: Disconnect leaves it alive
      } else {
        const ticket = p.creds?.ticketId;
        if (!ticket) throw new VixError(VIX_E_INVALID_ARG, 'credType TICKETID needs creds.ticketId (a clone ticket)');
        const session = await client.cloneSession(ticket).catch((e) => refine(e, `clone ticket on ${server}`));
        userName = String(session.userName ?? '');
      }
      o.log('info', `logged in to ${server}:${port} (${sc.apiType} ${sc.apiVersion}) as ${userName}`);
      return { client, userName, owns };
    } catch (err) {
      await client.logout().catch(() => undefined);
      client.close();
      throw err;
    }
  }

  /** Connect, authenticate, find the VM and the snapshot; each step's failure named. */
  static async connect(o: RemoteSessionOptions): Promise<RemoteSession> {
    const p = o.params;
    const server = String(p.serverName);
    const selector = parseVmxSpec(p.vmxSpec);
    const { client, userName, owns } = await RemoteSession.authenticate(o);
    try {
      const vm = await findVm(client, selector).catch((e) => refine(e, `finding VM ${p.vmxSpec}`));
      const session = new RemoteSession(client, vm, null, userName, o, owns);
      const props = await client.retrieveProperties(vm, ['name', 'runtime.host', 'snapshot']).catch((e) => {
        if (e instanceof SoapFault && e.faultType === 'ManagedObjectNotFound') {
          throw new VixError(VIX_E_OBJECT_NOT_FOUND, `VM ${p.vmxSpec} was not found on ${server}`, { cause: e });
        }
        return refine(e, `reading VM ${vm.value}`);
      });
      session.vmHost = (props['runtime.host'] as ManagedObjectReference | undefined) ?? null;
      let snapshot: ManagedObjectReference | null = null;
      if (o.snapshotRef) {
        const tree = (props.snapshot as { rootSnapshotList?: SnapshotTree[] } | undefined)?.rootSnapshotList ?? [];
        const found = findSnapshot(tree, o.snapshotRef);
        if (!found) {
          throw new VixError(VIX_E_OBJECT_NOT_FOUND, `snapshot ${o.snapshotRef} is not a snapshot of VM ${vm.value} (${String(props.name ?? '')})`);
        }
        snapshot = found;
      }
      await session.checkPrivilege(o.readOnly);
      const ready = snapshot ? new RemoteSession(client, vm, snapshot, userName, o, owns) : session;
      ready.vmHost = session.vmHost;
      return ready;
    } catch (err) {
      // Leave nothing behind: a session we made is ended, keep-alive sockets closed.
      await client.logout().catch(() => undefined);
      client.close();
      throw err;
    }
  }

  /**
   * Privileges, as far as the server lets us see them: reading disks needs DiskRandomRead (or
   * GetVmFiles); a writable connection also DiskRandomAccess. A server that does not answer the
   * question (vcsim, a restricted role) is not held against the caller: Open will say.
   */
  private async checkPrivilege(readOnly: boolean): Promise<void> {
    const sc = await this.client.serviceContent();
    if (!sc.authorizationManager) return;
    const ids = ['VirtualMachine.Provisioning.DiskRandomRead', 'VirtualMachine.Provisioning.GetVmFiles'];
    if (!readOnly) ids.push('VirtualMachine.Provisioning.DiskRandomAccess');
    let answer: boolean[];
    try {
      const session = await this.client.retrieveProperties(sc.sessionManager, ['currentSession']);
      const key = (session.currentSession as { key?: string } | undefined)?.key;
      if (!key) return;
      answer = await this.client.call('HasPrivilegeOnEntity', sc.authorizationManager, { entity: this.vm, sessionId: key, privId: ids }) as boolean[];
    } catch (err) {
      this.options.log('info', `privileges on ${this.vm.value} not checked up front: ${(err as Error).message}`);
      return;
    }
    if (!answer || answer.length !== ids.length) return;
    if (!answer[0] && !answer[1]) {
      throw new VixError(VIX_E_HOST_USER_PERMISSIONS, `${this.userName} may not read the disks of VM ${this.vm.value} (needs ${ids[0]} or ${ids[1]})`);
    }
    // VDDK lets a read-write connection open disks read-only; a writable Open is refused then.
    if (!readOnly && !answer[2]) {
      this.options.log('warn', `${this.userName} lacks ${ids[2]} on VM ${this.vm.value}: disks can only be opened read-only`);
    }
  }

  /** The VM's (or the snapshot's) disks. */
  async disks(): Promise<{ disks: RemoteDiskInfo[]; controllers: Map<number, string> }> {
    const owner = this.snapshot ?? this.vm;
    const props = await this.client.retrieveProperties(owner, ['config.hardware.device'])
      .catch((e) => refine(e, `reading the hardware of ${owner.value}`));
    const devices = (props['config.hardware.device'] ?? []) as VirtualDevice[];
    const controllers = new Map<number, string>();
    for (const d of devices) if (/Controller$/.test(d._type)) controllers.set(d.key, d._type);
    const disks: RemoteDiskInfo[] = [];
    for (const d of devices) {
      if (d._type !== 'VirtualDisk') continue;
      const chain: string[] = [];
      for (let b: DiskBacking | undefined = d.backing; b && chain.length < 256; b = b.parent) {
        if (b.fileName) chain.push(normalizeDatastorePath(b.fileName));
      }
      disks.push({
        key: d.key, chain, capacityBytes: Number(d.capacityInBytes ?? 0),
        controllerType: d.controllerKey !== undefined ? controllers.get(d.controllerKey) ?? null : null,
        backingType: d.backing?._type ?? null,
      });
    }
    return { disks, controllers };
  }

  /** The disk a datastore path names: the top of a disk's chain or any of its parents (they share the key). */
  async findDisk(path: string): Promise<RemoteDiskInfo> {
    const want = normalizeDatastorePath(path);
    const { disks } = await this.disks();
    const found = disks.find((d) => d.chain.includes(want));
    if (!found) {
      const of = this.snapshot ? `snapshot ${this.snapshot.value} of VM ${this.vm.value}` : `VM ${this.vm.value}`;
      const known = disks.map((d) => d.chain[0]).join(', ');
      throw new VixError(VIX_E_FILE_NOT_FOUND, `${want} is not a disk of ${of}${known ? ` (its disks: ${known})` : ''}`);
    }
    return found;
  }

  /** nbd / nbdssl: the ticket VDDK asks for (§2.3.8), then NFC with the config's session settings. */
  async openDisk(req: RemoteOpenRequest): Promise<BlockDevice> {
    const disk = await this.findDisk(req.path);
    const nfcService = await this.client.nfcService().catch((e) => refine(e, 'RetrieveInternalContent'));
    const hostArg = this.client.isVCenter && this.vmHost ? { hostForAccess: this.vmHost } : {};
    const ticket = await (req.writable
      ? this.client.call('NfcRandomAccessOpenDisk', nfcService, { vm: this.vm, diskDeviceKey: disk.key, ...hostArg })
      : this.client.call('NfcGetVmFiles', nfcService, { vm: this.vm, ...hostArg })
    ).catch((e) => refine(e, `NFC ticket for ${req.path}${req.writable ? ' (writable)' : ''}`)) as {
      host?: string; port?: number; sslThumbprint?: string; service?: string; sessionId?: string;
    };
    if (!ticket?.sessionId || !ticket.sslThumbprint) throw new VixError(VIX_E_FAIL, `${this.client.where} gave an NFC ticket without a session id or thumbprint`);
    const cfg = this.options.config;
    const nfcPort = this.options.params.nfcHostPort || 902;
    const timeout = (key: string) => {
      const v = cfg.int(key, -1);
      return v >= 0 ? v : undefined;
    };
    const timeouts: NonNullable<Parameters<typeof NfcDisk.open>[0]['timeouts']> = {};
    const set = (k: 'acceptMs' | 'requestMs' | 'readMs' | 'writeMs', key: string) => {
      const v = timeout(key);
      if (v !== undefined) timeouts[k] = v;
    };
    set('acceptMs', 'vixDiskLib.nfc.AcceptTimeoutMs');
    set('requestMs', 'vixDiskLib.nfc.RequestTimeoutMs');
    set('readMs', 'vixDiskLib.nfc.ReadTimeoutMs');
    set('writeMs', 'vixDiskLib.nfc.WriteTimeoutMs');
    const bufSize = cfg.int('vixDiskLib.nfcAio.Session.BufSizeIn64KB', -1);
    const bufCount = cfg.int('vixDiskLib.nfcAio.Session.BufCount', -1);
    return NfcDisk.open({
      ticket: {
        // hostd leaves the host out: the host we are logged in to serves it.
        host: ticket.host || this.client.host,
        port: ticket.port || nfcPort,
        sessionId: ticket.sessionId,
        service: ticket.service ?? (this.client.isVCenter ? 'vpxa-nfc' : 'nfc'),
        sslThumbprint: ticket.sslThumbprint,
      },
      path: disk.chain.includes(normalizeDatastorePath(req.path)) ? normalizeDatastorePath(req.path) : req.path,
      writable: req.writable,
      ssl: req.ssl,
      compression: req.compression,
      ...(bufSize > 0 ? { bufSizeIn64KB: bufSize } : {}),
      ...(bufCount > 0 ? { bufCount } : {}),
      timeouts,
      log: this.options.log,
    });
  }

  /** HotAdd: the disk attached to the proxy VM this process runs in, opened locally (hotadd.ts). */
  openHotAdd(req: RemoteOpenRequest): Promise<BlockDevice> {
    return openHotAdd({
      client: this.client, vm: this.vm, snapshot: this.snapshot, config: this.options.config, log: this.options.log,
      findDisk: (path) => this.findDisk(path),
    }, req);
  }

  /** PrepareForAccess / EndAccess: DisableMethods / EnableMethods on vCenter (§2.3.9). */
  async setMethodsDisabled(disable: boolean, identity: string): Promise<void> {
    const sc = await this.client.serviceContent();
    if (!this.client.isVCenter || !sc.authorizationManager) {
      throw new VixError(VIX_E_NOT_SUPPORTED, `HostAgent is not a vCenter, cannot ${disable ? 'deactivate' : 'reactivate'} svMotion`);
    }
    const args = disable
      ? { entity: [this.vm], method: [{ _type: 'DisabledMethodRequest', method: 'RelocateVM_Task', reasonId: identity }], sourceId: identity }
      : { entity: [this.vm], method: ['RelocateVM_Task'], sourceId: identity };
    await this.client.call(disable ? 'DisableMethods' : 'EnableMethods', sc.authorizationManager, args)
      .catch((e) => refine(e, `${disable ? 'DisableMethods' : 'EnableMethods'} on ${this.vm.value}`));
  }

  /** Disconnect: Logout (unless the session was the caller's), then the sockets. */
  async close(): Promise<void> {
    try {
      // A Logout that fails (the host went away, the session expired) leaves nothing to undo:
      // Disconnect still succeeds, as VDDK's does.
      if (this.ownsSession) await this.client.logout();
    } catch (err) {
      this.options.log('warn', `Logout from ${this.client.where} failed: ${(err as Error).message}`);
    } finally {
      this.client.close();
    }
  }
}

function findSnapshot(list: SnapshotTree[], ref: string): ManagedObjectReference | null {
  for (const s of list) {
    if (s.snapshot?.value === ref) return s.snapshot;
    const below = findSnapshot(s.childSnapshotList ?? [], ref);
    if (below) return below;
  }
  return null;
}

async function findVm(client: VimClient, sel: VmSelector): Promise<ManagedObjectReference> {
  if (sel.kind === 'moref') return moRef('VirtualMachine', sel.value);
  const sc = await client.serviceContent();
  if (!sc.searchIndex) throw new VixError(VIX_E_NOT_SUPPORTED, `${client.where} has no SearchIndex to find a VM by ${sel.kind}`);
  let found: ManagedObjectReference | undefined;
  if (sel.kind === 'uuid') {
    found = await client.call('FindByUuid', sc.searchIndex, { uuid: sel.value, vmSearch: true }) as ManagedObjectReference | undefined;
  } else {
    const dc = sel.dcPath
      ? await client.call('FindByInventoryPath', sc.searchIndex, { inventoryPath: sel.dcPath }) as ManagedObjectReference | undefined
      : await firstDatacenter(client, sc.rootFolder);
    if (!dc) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `datacenter ${sel.dcPath ?? ''} was not found on ${client.where}`);
    try {
      found = await client.call('FindByDatastorePath', sc.searchIndex, { datacenter: dc, path: sel.path }) as ManagedObjectReference | undefined;
    } catch (err) {
      // A server without FindByDatastorePath: every VM's configuration path, through a view.
      if (!(err instanceof SoapFault) || !/MethodNotFound|NotImplemented|NotSupported/.test(err.faultType)) throw err;
      found = await findVmByPathInView(client, dc, sel.path);
    }
  }
  if (!found) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `no VM with ${sel.kind === 'uuid' ? `uuid ${sel.value}` : `configuration file ${sel.path}`} on ${client.where}`);
  return found;
}

async function firstDatacenter(client: VimClient, root: ManagedObjectReference): Promise<ManagedObjectReference | undefined> {
  const { childEntity } = await client.retrieveProperties(root, ['childEntity']) as { childEntity?: ManagedObjectReference[] };
  return (childEntity ?? []).find((c) => c.type === 'Datacenter');
}

async function findVmByPathInView(client: VimClient, dc: ManagedObjectReference, path: string): Promise<ManagedObjectReference | undefined> {
  const sc = await client.serviceContent();
  const viewManager = sc.raw.viewManager as ManagedObjectReference | undefined;
  if (!viewManager) return undefined;
  const view = await client.call('CreateContainerView', viewManager, { container: dc, type: ['VirtualMachine'], recursive: true }) as ManagedObjectReference;
  try {
    const vms = await retrieveThrough(client, view, { type: 'ContainerView', path: 'view' }, 'VirtualMachine', ['config.files.vmPathName']);
    return vms.find((vm) => {
      const text = vm.props['config.files.vmPathName'];
      return typeof text === 'string' && normalizeDatastorePath(text) === path;
    })?.ref;
  } finally {
    await client.call('DestroyView', view).catch(() => undefined);
  }
}
