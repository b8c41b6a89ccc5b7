import type { HostInventory } from '../host-inventory.js';
import type { DiskLinkInfo } from '../disk-link-info.js';
import type { VmEntry } from '../vm-entry.js';
import { vimUuid, type VmxDisk } from '../vm-config.js';

/**
 * A VirtualDisk as vSphere reports it: the backing names the top link of the disk's chain, with
 * `parent` down to the base. The backing type follows the base disk, as vSphere does: a VMFS flat
 * or thin base gives VirtualDiskFlatVer2BackingInfo at every level, each delta saying its
 * `deltaDiskFormat` (redoLogFormat for vmfsSparse, seSparseFormat for seSparse); a hosted sparse
 * base gives VirtualDiskSparseVer2BackingInfo; a standalone seSparse disk VirtualDiskSeSparseBackingInfo.
 */

type BackingType = 'VirtualDiskFlatVer2BackingInfo' | 'VirtualDiskSparseVer2BackingInfo' | 'VirtualDiskSeSparseBackingInfo';

function backingTypeOf(base: DiskLinkInfo): BackingType {
  const t = base.createType.toLowerCase();
  if (t === 'sesparse') return 'VirtualDiskSeSparseBackingInfo';
  if (t === 'monolithicsparse' || t === 'twogbmaxextentsparse' || t === 'streamoptimized' || t === 'vmfssparse') return 'VirtualDiskSparseVer2BackingInfo';
  return 'VirtualDiskFlatVer2BackingInfo';
}

function deltaFormat(link: DiskLinkInfo): string | undefined {
  const t = link.createType.toLowerCase();
  if (link.parent === null) return undefined;
  return t === 'sesparse' ? 'seSparseFormat' : 'redoLogFormat';
}

export function diskBacking(inv: HostInventory, chain: DiskLinkInfo[], mode: string, changeId: string | undefined): Record<string, unknown> {
  const type = backingTypeOf(chain[chain.length - 1]!);
  const level = (i: number): Record<string, unknown> => {
    const link = chain[i]!;
    const ds = inv.datastoreOf(link.path);
    const parent = i + 1 < chain.length ? level(i + 1) : undefined;
    const common = {
      _type: type,
      fileName: inv.datastorePath(link.path),
      ...(ds ? { datastore: inv.ref('Datastore', ds.morefs) } : {}),
      diskMode: mode,
    };
    const uuid = vimUuid(link.uuid);
    const ids = {
      ...(uuid ? { uuid } : {}),
      ...(link.contentId ? { contentId: link.contentId } : {}),
      ...(i === 0 && changeId ? { changeId } : {}),
      ...(parent ? { parent } : {}),
    };
    if (type === 'VirtualDiskFlatVer2BackingInfo') {
      const delta = deltaFormat(link);
      return {
        ...common, split: false, writeThrough: false, thinProvisioned: link.thinProvisioned, eagerlyScrub: false, ...ids,
        ...(delta ? { deltaDiskFormat: delta } : {}),
        digestEnabled: false,
        ...(delta === 'seSparseFormat' ? { deltaGrainSize: 8 } : {}),
        sharing: 'sharingNone',
      };
    }
    if (type === 'VirtualDiskSparseVer2BackingInfo') {
      return { ...common, split: false, writeThrough: false, ...ids };
    }
    return { ...common, writeThrough: false, ...ids, ...(deltaFormat(link) ? { deltaDiskFormat: 'seSparseFormat' } : {}), digestEnabled: false, grainSize: 8 };
  };
  return level(0);
}

export function diskDevice(inv: HostInventory, vm: VmEntry, d: VmxDisk, index: number, changeId: string | undefined): Record<string, unknown> {
  const top = inv.linkPathOf(vm, d.fileName);
  const chain = top ? vm.chain(top) : [];
  const capacity = chain[0]?.capacityBytes ?? 0;
  return {
    _type: 'VirtualDisk',
    key: d.key,
    deviceInfo: { _type: 'Description', label: `Hard disk ${index + 1}`, summary: `${Math.floor(capacity / 1024).toLocaleString('en-US')} KB` },
    backing: chain.length
      ? diskBacking(inv, chain, d.mode, changeId)
      : { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: d.fileName, diskMode: d.mode },
    controllerKey: 1000 + d.bus,
    unitNumber: d.unit,
    capacityInKB: Math.floor(capacity / 1024),
    capacityInBytes: capacity,
    diskObjectId: `${vm.record.morefs.esxi}-${d.key}`,
  };
}

/** VirtualMachineFileLayoutExFileType of a VM folder file, by its name. */
export function layoutFileType(name: string): string {
  const n = name.toLowerCase();
  if (n.endsWith('.vmx')) return 'config';
  if (n.endsWith('.vmsd')) return 'snapshotList';
  if (n.endsWith('.vmsn')) return 'snapshotData';
  if (n.endsWith('.nvram')) return 'nvram';
  if (n.endsWith('.log')) return 'log';
  if (n.endsWith('.vswp')) return 'swap';
  if (n.endsWith('.vmxf')) return 'extendedConfig';
  if (n.endsWith('-ctk.vmdk')) return 'diskExtent';
  return 'config';
}
