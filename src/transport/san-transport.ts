import { open, type FileHandle } from 'node:fs/promises';
import type { BlockDevice } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL } from '../errors/error-codes.js';
import { SoapFault } from '../vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import { chooseDevice, devicesOfLun } from './san-device-scan.js';
import { SanDevice, type MappedExtent } from './san-device.js';
import { TransportNotApplicable, type RemoteVm, type Transport, type TransportTarget } from './transport.js';

// The `san` transport (docs/san.md; reference vsphere-remote.md §6.3, vixdisklib-api.md §6): the
// disk's datastore must sit on a LUN (VmfsDatastoreInfo.vmfs.extent[].diskName, an NAA id) whose
// device this machine sees and the deny/allow lists let it use; the disk must be a thick base disk
// (SAN does not reach thin disks or redo logs), of a snapshot or of a powered-off VM. The host then
// leases the disk's block map (vixdisk's VixdiskSan* calls: ESXi's own lease API has no public wire
// format) and every read and write goes straight to the device at the mapped offsets. Anything
// that rules SAN out is a TransportNotApplicable with the reason, which the mode walk logs; a
// block map that does not fit the device is a VixError.

const DEFAULT_DEVICE_DIRECTORY = '/dev/disk/by-id';
/** At most this many extents in a disk's map (a thick disk has one per flat extent). */
const MAX_MAP_EXTENTS = 1 << 20;

interface Backing {
  _type: string;
  fileName?: string;
  thinProvisioned?: boolean;
  parent?: Backing;
}

interface Device {
  _type: string;
  backing?: Backing;
  capacityInBytes?: number;
}

interface LeaseAnswer {
  lease: string;
  diskName: string;
  lunSizeBytes: number;
  capacityInBytes: number;
  writable: boolean;
}

function normalize(p: string): string {
  const m = /^\s*\[([^\]]*)\]\s*(.*?)\s*$/.exec(p);
  return m ? `[${m[1]}] ${m[2]}` : p.trim();
}

const notApplicable = (reason: string): never => {
  throw new TransportNotApplicable('san', reason);
};

/** The backing of the link `path` among the VM's (or snapshot's) disks, with whether it has a parent. */
async function findLink(r: RemoteVm, path: string): Promise<Backing> {
  const owner = r.snapshot ?? r.vm;
  const props = await r.client.retrieveProperties(owner, ['config.hardware.device']);
  for (const d of (props['config.hardware.device'] ?? []) as Device[]) {
    if (d._type !== 'VirtualDisk') continue;
    for (let b = d.backing; b; b = b.parent) if (b.fileName && normalize(b.fileName) === path) return b;
  }
  return notApplicable(`${path} is not a disk of ${r.snapshot ? `snapshot ${r.snapshot.value}` : `VM ${r.vm.value}`}`);
}

/** The NAA id of the LUN under the datastore `name`, as the host reports it. */
async function lunOfDatastore(r: RemoteVm, name: string): Promise<string> {
  const { datastore } = await r.client.retrieveProperties(r.vm, ['datastore']) as { datastore?: ManagedObjectReference[] };
  for (const ds of datastore ?? []) {
    const props = await r.client.retrieveProperties(ds, ['name', 'info']) as { name?: string; info?: { _type?: string; vmfs?: { extent?: Array<{ diskName?: string }> } } };
    if (props.name !== name) continue;
    const diskName = props.info?.vmfs?.extent?.[0]?.diskName;
    if (!diskName || !/^naa\.[0-9a-f]+$/i.test(diskName)) return notApplicable(`datastore ${name} is not on a SAN LUN (its info names no NAA extent)`);
    return diskName.toLowerCase();
  }
  return notApplicable(`datastore ${name} is not among the datastores of VM ${r.vm.value}`);
}

/** The whole disk's map, asked region by region, each extent checked against the disk and the device. */
async function readMap(r: RemoteVm, lease: LeaseAnswer, deviceBytes: number, device: string, path: string): Promise<MappedExtent[]> {
  const out: MappedExtent[] = [];
  const capacity = lease.capacityInBytes;
  const bad = (what: string): never => {
    throw new VixError(VIX_E_FAIL, `san: the host's block map of ${path} is not usable: ${what}`);
  };
  for (let cursor = 0; cursor < capacity;) {
    const answer = await r.client.call('VixdiskSanMapDiskRegion', r.vm, { lease: lease.lease, start: cursor, length: capacity - cursor }) as MappedExtent[] | undefined;
    const extents = answer ?? [];
    if (extents.length === 0) break; // the rest of the disk is unmapped: it reads as zeros
    for (const e of extents) {
      const { diskOffset, lunOffset, length } = e;
      if (![diskOffset, lunOffset, length].every((v) => Number.isSafeInteger(v) && v >= 0) || length === 0) bad(`extent ${JSON.stringify(e)} is malformed`);
      if (diskOffset < cursor) bad(`extents at disk offset ${diskOffset} overlap or are out of order`);
      if (diskOffset + length > capacity) bad(`an extent reaches past the disk's end (${diskOffset}+${length} > ${capacity})`);
      if (lunOffset + length > lease.lunSizeBytes) bad(`an extent reaches past the LUN's end (${lunOffset}+${length} > ${lease.lunSizeBytes})`);
      if (lunOffset + length > deviceBytes) bad(`an extent reaches past the end of ${device} (${lunOffset}+${length} > ${deviceBytes} bytes)`);
      if (out.length >= MAX_MAP_EXTENTS) bad(`more than ${MAX_MAP_EXTENTS} extents`);
      out.push({ diskOffset, lunOffset, length });
      cursor = diskOffset + length;
    }
  }
  return out;
}

export const sanTransport: Transport = {
  mode: 'san',
  async open(target: TransportTarget): Promise<BlockDevice> {
    const r = target.remote?.remoteVm;
    if (target.local || !r) return notApplicable('needs a connection to a host (serverName); this disk is local');
    const path = normalize(target.path);
    const writable = !target.readOnly;
    const asked = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (err) {
        if (err instanceof SoapFault) return notApplicable(`${what}: ${err.message}`);
        throw err;
      }
    };

    if (!r.snapshot) {
      const { 'runtime.powerState': power } = await asked('reading the VM', () => r.client.retrieveProperties(r.vm, ['runtime.powerState']));
      if (power !== 'poweredOff') notApplicable(`VM ${r.vm.value} is ${String(power)} and no snapshot is named (SAN reads a snapshot, or a powered-off VM)`);
    }
    const link = await asked('reading the disk', () => findLink(r, path));
    if (link.parent) notApplicable(`${path} is a redo log (snapshot delta): SAN reaches base disks only`);
    if (link.thinProvisioned) notApplicable(`${path} is thin provisioned: its blocks are not laid out on the LUN`);
    const datastore = /^\[([^\]]*)\]/.exec(path)?.[1];
    if (datastore === undefined) notApplicable(`${path} is not a datastore path`);
    const naa = await asked('reading the datastore', () => lunOfDatastore(r, datastore!));

    const directory = r.config.get('vixDiskLib.transport.san.deviceDirectory') ?? DEFAULT_DEVICE_DIRECTORY;
    const lists = {
      deny: [...r.config.list('vixDiskLib.transport.san.blacklist'), ...r.config.list('vixDiskLib.transport.san.denyList')],
      allow: [...r.config.list('vixDiskLib.transport.san.whitelist'), ...r.config.list('vixDiskLib.transport.san.allowList')],
    };
    const choice = await chooseDevice(await devicesOfLun(directory, naa), lists, naa, directory);
    if (!choice.device) return notApplicable(choice.reason!);
    const device = choice.device;

    let fh: FileHandle;
    try {
      fh = await open(device, writable ? 'r+' : 'r');
    } catch (err) {
      return notApplicable(`cannot open ${device} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let lease: LeaseAnswer | undefined;
    try {
      const stats = await fh.stat();
      if (!stats.isFile() && !stats.isBlockDevice()) notApplicable(`${device} is neither a block device nor a LUN image file`);
      lease = await asked('no block map from the host', () => r.client.call('VixdiskSanAcquireDiskLease', r.vm, {
        ...(r.snapshot ? { snapshot: r.snapshot } : {}), diskPath: path, writable,
      })) as LeaseAnswer;
      if (lease.diskName?.toLowerCase() !== naa) {
        throw new VixError(VIX_E_FAIL, `san: the host leased ${path} on LUN ${String(lease.diskName)}, not on ${naa} where its datastore is`);
      }
      // A block device's size is not in stat; the host's LUN size stands for it there.
      const deviceBytes = stats.isFile() ? stats.size : lease.lunSizeBytes;
      const extents = await readMap(r, lease, deviceBytes, device, path);
      const leaseId = lease.lease;
      r.log('info', `san: ${path} on LUN ${naa} through ${device}, ${extents.length} extent(s)${writable ? ', writable' : ''}`);
      return new SanDevice(fh, device, extents, lease.capacityInBytes, !writable, async () => {
        await r.client.call('VixdiskSanReleaseDiskLease', r.vm, { lease: leaseId })
          .catch((err: Error) => r.log('warn', `san: releasing the lease of ${path}: ${err.message}`));
      });
    } catch (err) {
      await fh.close().catch(() => undefined);
      if (lease?.lease) await r.client.call('VixdiskSanReleaseDiskLease', r.vm, { lease: lease.lease }).catch(() => undefined);
      throw err;
    }
  },
};
