import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { readLinkFiles } from '../../vmdk/link-files.js';
import { SECTOR } from '../../vmdk/sparse-header.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { HostInventory } from '../inventory/host-inventory.js';
import type { VmEntry } from '../inventory/vm-entry.js';
import { vmxDisks } from '../inventory/vm-config.js';
import type { MethodTable, PrivilegeCheck, SoapCall } from '../soap/method-handler.js';
import type { LunVolume } from './lun-volume.js';

// The simulator's disk lease (docs/san.md, reference §6.3-6.4): what ESXi's internal
// DiskManager.acquireLease / Lease.MapDiskRegion give a SAN client, under our own method names,
// since their wire format is not public. A lease binds one session to one disk link of one VM (of
// one of its snapshots): a thick base disk whose flat extents lie on the datastore's LUN. Its map
// lists where each byte range of the disk is on the LUN; the client reads and writes the LUN there
// itself. Privilege VirtualMachine.Config.DiskLease on the VM (§7), and DiskRandomAccess to write.
// A lease ends with Release or with its session.

/** One range of the disk and where it lies on the LUN. */
export interface LunExtent {
  diskOffset: number;
  lunOffset: number;
  length: number;
}

interface Lease {
  id: string;
  sessionKey: string;
  vm: string;
  disk: string;
  writable: boolean;
  capacity: number;
  extents: LunExtent[];
}

/** Extents one VixdiskSanMapDiskRegion answer holds at most (a client asks again from the last one's end). */
export const MAX_EXTENTS_PER_ANSWER = 1024;
const MAX_LEASES_PER_SESSION = 64;

function notSupported(message: string): SoapFault {
  return new SoapFault({ _type: 'NotSupported' }, `The operation is not supported on the object: ${message}`);
}

function invalidArgument(property: string, why: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: property }, `A specified parameter was not correct: ${property} (${why})`);
}

function isRef(value: unknown, type: string): value is ManagedObjectReference {
  const ref = value as ManagedObjectReference | undefined;
  return typeof ref === 'object' && ref !== null && ref._type === 'ManagedObjectReference' && ref.type === type;
}

export class DiskLeases {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly inv: HostInventory, private readonly luns: Map<string, LunVolume>) {}

  /** Every lease of a session that ended. */
  endSession(sessionKey: string): void {
    for (const [id, lease] of this.leases) if (lease.sessionKey === sessionKey) this.leases.delete(id);
  }

  get size(): number {
    return this.leases.size;
  }

  async acquire(sessionKey: string, vmRef: ManagedObjectReference, snapshotRef: ManagedObjectReference | undefined, diskPath: string, writable: boolean): Promise<Record<string, unknown>> {
    const inv = this.inv;
    const vm = inv.requireVm(vmRef);
    const abs = await inv.resolveDatastorePath(diskPath, 'diskPath');
    const shown = inv.datastorePath(abs);
    if (!this.coveredLinks(vm, snapshotRef).has(abs)) {
      throw invalidArgument('diskPath', `${shown} is not a disk of ${vmRef.value}${snapshotRef ? ` in snapshot ${snapshotRef.value}` : ''}`);
    }
    const link = vm.links.get(abs)!;
    if (link.parent !== null) throw notSupported(`${shown} is a redo log (snapshot delta); SAN reaches base disks only`);
    const ds = inv.datastoreOf(abs)!;
    const lun = this.luns.get(ds.name);
    if (!lun) throw notSupported(`datastore ${ds.name} is not on a LUN`);
    if (link.thinProvisioned) throw notSupported(`${shown} is thin provisioned: its blocks are allocated on demand, not laid out on the LUN`);
    if (writable) this.checkWritable(vm, abs, shown);
    const extents = await this.map(abs, shown, lun, await realpath(inv.datastoreRoot(ds.name)));
    const mine = [...this.leases.values()].filter((l) => l.sessionKey === sessionKey).length;
    if (mine >= MAX_LEASES_PER_SESSION) throw new SoapFault({ _type: 'InvalidState' }, `The session holds ${mine} disk leases already (at most ${MAX_LEASES_PER_SESSION}); release one first.`);
    const id = randomBytes(16).toString('hex');
    this.leases.set(id, { id, sessionKey, vm: vmRef.value, disk: abs, writable, capacity: link.capacityBytes, extents });
    return {
      _type: 'VixdiskSanDiskLease', lease: id, diskName: lun.naa, lunSizeBytes: lun.sizeBytes,
      capacityInBytes: link.capacityBytes, writable,
    };
  }

  /** The links a lease may name: the snapshot's frozen chains, or every link of the VM's current disks and snapshots. */
  private coveredLinks(vm: VmEntry, snapshotRef: ManagedObjectReference | undefined): Set<string> {
    const inv = this.inv;
    if (!snapshotRef) return new Set(vm.links.keys());
    const { vm: owner, node } = inv.requireSnapshot(snapshotRef);
    if (owner !== vm) throw invalidArgument('snapshot', `${snapshotRef.value} is not a snapshot of ${inv.vmRef(vm).value}`);
    return new Set(node.disks.flatMap((d) => {
      const top = inv.linkPathOf(vm, d.fileName);
      return top ? vm.chain(top).map((l) => l.path) : [];
    }));
  }

  /** Writes go to the top of a current disk of a powered-off VM, untracked (VDDK: CBT off for SAN restores). */
  private checkWritable(vm: VmEntry, abs: string, shown: string): void {
    const disk = vmxDisks(vm.vmx).find((d) => this.inv.linkPathOf(vm, d.fileName) === abs);
    if (!disk) throw new SoapFault({ _type: 'FileLocked', file: shown }, `Unable to access file ${shown} since it is locked (a snapshot holds it: writes would change what the snapshot froze)`);
    if (vm.powerState !== 'poweredOff') throw new SoapFault({ _type: 'FileLocked', file: shown }, `Unable to access file ${shown} since it is locked (the VM is ${vm.powerState})`);
    if (disk.mode !== 'persistent') throw notSupported(`writing a ${disk.mode} disk over SAN`);
    if (vm.vmx.getBool('ctkEnabled') && disk.ctkEnabled) throw notSupported(`change tracking is on for ${shown}; SAN writes bypass the host, so turn it off for a SAN restore`);
    if (this.inv.allVms.some((other) => other !== vm && other.links.has(abs))) throw new SoapFault({ _type: 'FileLocked', file: shown }, `Unable to access file ${shown} since it is locked`);
  }

  private async map(abs: string, shown: string, lun: LunVolume, root: string): Promise<LunExtent[]> {
    const files = await readLinkFiles(abs);
    const out: LunExtent[] = [];
    let diskOffset = 0;
    for (const e of files.extents) {
      const length = e.line.sizeSectors * SECTOR;
      if (e.line.type === 'VMFS' || e.line.type === 'FLAT') {
        const rel = relative(root, e.path!).split(sep).join('/');
        const entry = lun.entry(rel);
        if (!entry) throw notSupported(`the extent ${e.line.fileName} of ${shown} is a file of the datastore, not on its LUN (it moves there at the host's next start)`);
        out.push({ diskOffset, lunOffset: entry.offsetBytes + (e.line.offsetSectors ?? 0) * SECTOR, length });
      } else if (e.line.type !== 'ZERO') {
        throw notSupported(`the extent ${e.line.fileName} of ${shown} is ${e.line.type}, not a flat extent on the LUN`);
      }
      diskOffset += length;
    }
    return out;
  }

  /** The LUN extents of [start, start + length) of the leased disk, at most MAX_EXTENTS_PER_ANSWER, clipped to the region. */
  mapRegion(sessionKey: string, vmRef: ManagedObjectReference, leaseId: string, start: number, length: number): Array<Record<string, unknown>> {
    const lease = this.leases.get(leaseId);
    if (!lease || lease.sessionKey !== sessionKey || lease.vm !== vmRef.value) throw invalidArgument('lease', 'no such lease in this session for this VM');
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > lease.capacity) {
      throw invalidArgument('length', `the region ${start}+${length} is not inside the disk (${lease.capacity} bytes)`);
    }
    const end = start + length;
    const out: Array<Record<string, unknown>> = [];
    for (const e of lease.extents) {
      if (out.length >= MAX_EXTENTS_PER_ANSWER) break;
      const from = Math.max(start, e.diskOffset);
      const to = Math.min(end, e.diskOffset + e.length);
      if (from >= to) continue;
      out.push({ _type: 'VixdiskSanLunExtent', diskOffset: from, lunOffset: e.lunOffset + (from - e.diskOffset), length: to - from });
    }
    return out;
  }

  release(sessionKey: string, vmRef: ManagedObjectReference, leaseId: string): void {
    const lease = this.leases.get(leaseId);
    if (!lease || lease.sessionKey !== sessionKey || lease.vm !== vmRef.value) throw invalidArgument('lease', 'no such lease in this session for this VM');
    this.leases.delete(leaseId);
  }
}

/** The lease calls, on the VirtualMachine (`_this`), each with the privilege §7 names. */
export function diskLeaseMethods(leases: DiskLeases): MethodTable {
  const onVm = (call: SoapCall): PrivilegeCheck[] => {
    const checks = [{ privilegeId: 'VirtualMachine.Config.DiskLease', entity: call.target }];
    if (call.args.writable === true) checks.push({ privilegeId: 'VirtualMachine.Provisioning.DiskRandomAccess', entity: call.target });
    return checks;
  };
  return new Map([
    ['VixdiskSanAcquireDiskLease', {
      privilege: onVm,
      run: (call: SoapCall) => {
        const snapshot = call.args.snapshot;
        if (snapshot !== undefined && !isRef(snapshot, 'VirtualMachineSnapshot')) throw invalidArgument('snapshot', 'not a VirtualMachineSnapshot');
        return leases.acquire(call.session!.key, call.target, snapshot, String(call.args.diskPath), call.args.writable === true);
      },
    }],
    ['VixdiskSanMapDiskRegion', {
      privilege: onVm,
      run: (call: SoapCall) => leases.mapRegion(call.session!.key, call.target, String(call.args.lease), Number(call.args.start), Number(call.args.length)),
    }],
    ['VixdiskSanReleaseDiskLease', {
      privilege: onVm,
      run: (call: SoapCall) => {
        leases.release(call.session!.key, call.target, String(call.args.lease));
        return undefined;
      },
    }],
  ]);
}
