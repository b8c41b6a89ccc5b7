import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_KEY_NOTFOUND, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import type { NfcDisk } from '../nfc/nfc-disk.js';
import {
  VIXDISKLIB_ADAPTER_IDE, VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC, VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, VIXDISKLIB_ADAPTER_UNKNOWN,
  VIXDISKLIB_FLAG_OPEN_COMPRESSION_FASTLZ, VIXDISKLIB_FLAG_OPEN_COMPRESSION_MASK, VIXDISKLIB_FLAG_OPEN_COMPRESSION_SKIPZ,
  VIXDISKLIB_FLAG_OPEN_COMPRESSION_ZLIB, VIXDISKLIB_SECTOR_SIZE,
} from './constants.js';
import type { VixDiskLibGeometry, VixDiskLibInfo } from './types.js';

// What VixDiskLib answers about a disk opened over NFC: no SOAP, the OPEN_FILE reply (capacity,
// physical geometry) and DDB_GET round trips for the rest (reference §1.2, "GetInfo").

/**
 * The keys VDDK's own DDB_GET burst asks after OPEN_FILE (OVDL-H): NFC has no way to list a disk
 * database, so GetMetadataKeys over nbd/nbdssl reports those of these the disk has.
 */
export const NFC_METADATA_KEYS = [
  'adapterType', 'geometry.cylinders', 'geometry.heads', 'geometry.sectors', 'geometry.biosCylinders', 'geometry.biosHeads',
  'geometry.biosSectors', 'longContentID', 'uuid', 'virtualHWVersion', 'toolsVersion', 'toolsInstallType', 'thinProvisioned',
  'deletable', 'encoding', 'iofilters', 'sidecars', 'logicalSectorSize', 'physicalSectorSize', 'encryption', 'keySafe',
] as const;

/** The NFC compression the open flags ask for (VDDK takes the lowest flag set). */
export function compressionOf(flags: number): 'zlib' | 'fastlz' | 'skipz' | undefined {
  const c = flags & VIXDISKLIB_FLAG_OPEN_COMPRESSION_MASK;
  if (c === 0) return undefined;
  if (c & VIXDISKLIB_FLAG_OPEN_COMPRESSION_ZLIB) return 'zlib';
  if (c & VIXDISKLIB_FLAG_OPEN_COMPRESSION_FASTLZ) return 'fastlz';
  if (c & VIXDISKLIB_FLAG_OPEN_COMPRESSION_SKIPZ) return 'skipz';
  throw new VixError(VIX_E_INVALID_ARG, `compression flags 0x${c.toString(16)} name no compression NFC supports (zlib 0x10, fastlz 0x20, skipz 0x40)`);
}

function adapterCode(name: string | undefined): number {
  switch (name?.toLowerCase()) {
    case 'ide': return VIXDISKLIB_ADAPTER_IDE;
    case 'buslogic': return VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC;
    case 'lsilogic': return VIXDISKLIB_ADAPTER_SCSI_LSILOGIC;
    default: return VIXDISKLIB_ADAPTER_UNKNOWN;
  }
}

export async function nfcInfo(disk: NfcDisk): Promise<VixDiskLibInfo> {
  const get = async (k: string) => disk.ddb(k);
  const int = (v: string | undefined): number | null => (v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : null);
  const [adapter, uuid, bc, bh, bs, ls, ps] = [
    await get('adapterType'), await get('uuid'), await get('geometry.biosCylinders'), await get('geometry.biosHeads'),
    await get('geometry.biosSectors'), await get('logicalSectorSize'), await get('physicalSectorSize'),
  ];
  const physGeo: VixDiskLibGeometry = { ...disk.geometry };
  const biosGeo: VixDiskLibGeometry = int(bc) !== null && int(bh) !== null && int(bs) !== null
    ? { cylinders: int(bc)!, heads: int(bh)!, sectors: int(bs)! } : { ...physGeo };
  return {
    biosGeo,
    physGeo,
    capacity: disk.capacity / VIXDISKLIB_SECTOR_SIZE,
    adapterType: adapterCode(adapter),
    // NFC opens the whole chain as one disk and says nothing of its links.
    numLinks: 1,
    parentFileNameHint: null,
    uuid: uuid ?? null,
    logicalSectorSize: int(ls) ?? VIXDISKLIB_SECTOR_SIZE,
    physicalSectorSize: int(ps) ?? VIXDISKLIB_SECTOR_SIZE,
  };
}

export async function nfcMetadata(disk: NfcDisk, key: string): Promise<string> {
  const v = await disk.ddb(key);
  if (v === undefined) throw new VixError(VIX_E_DISK_KEY_NOTFOUND, `the disk database of ${disk.path} has no key "${key}"`);
  return v;
}

export async function nfcMetadataKeys(disk: NfcDisk): Promise<string[]> {
  const present: string[] = [];
  for (const k of NFC_METADATA_KEYS) if (await disk.ddb(k) !== undefined) present.push(k);
  return present;
}
