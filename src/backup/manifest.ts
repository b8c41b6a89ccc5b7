import { createHash } from 'node:crypto';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL } from '../errors/error-codes.js';

// What a vixdisk backup stores beside a VM's disks in a restic snapshot, so a restore needs nothing
// but the repository. The snapshot's tree is
//
//   /<vm name>/<vm name>.vmx            the VM's configuration file as the host holds it
//   /<vm name>/<disk>.raw               each disk, raw, as restic file content (fixed-size chunks)
//   /<vm name>/vixdisk-manifest.json    this manifest
//
// and the snapshot's tags are `vixdisk`, `vm=<name>`, `moref=<moref>` and `full` or `incremental`, so
// `restic snapshots --tag vm=web` finds a VM's restore points. The writer is src/backup/, readers are
// restore and verify; a manifest of another format version is refused, not guessed at.

export const MANIFEST_FORMAT = 'vixdisk-backup/1';
export const MANIFEST_FILE = 'vixdisk-manifest.json';

export interface ManifestGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export interface DiskManifest {
  /** The VirtualDisk's device key (2000, 2001, …). */
  key: number;
  /** "Hard disk 1". */
  label: string;
  /** The file in the VM's folder of the snapshot's tree ("web.raw"). */
  file: string;
  /** The base disk on the host ("[datastore1] web/web.vmdk"). */
  datastorePath: string;
  capacityBytes: number;
  /** Bytes per restic data blob of this disk: every chunk but the last is this long, and aligned. */
  chunkSize: number;
  /** VixDiskLib's adapter type name: ide, buslogic, lsilogic, legacyESX, pvscsi, lsisas1068, sata, nvme. */
  adapterType: string;
  biosGeometry: ManifestGeometry;
  physGeometry: ManifestGeometry;
  thinProvisioned: boolean;
  /** The disk's UUID (ddb.uuid) when the host reports one. */
  uuid: string | null;
  /** The disk's changeId at the vSphere snapshot: where the next incremental starts. Null when CBT is off. */
  changeId: string | null;
  backupKind: 'full' | 'incremental';
  /** Why a full backup was taken when an incremental was possible to ask for ("changeId reset", …). */
  fullReason: string | null;
  /** chunkDigest() of the disk's content blob ids, in order: verify and restore check it. */
  digest: string;
  /** Bytes read from the host for this backup (allocated or changed areas, rounded to chunks). */
  bytesRead: number;
  /** Bytes of new data blobs this backup added to the repository (before compression). */
  bytesNew: number;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  vixdiskVersion: string;
  /** ISO 8601, when the vSphere snapshot was taken. */
  createdAt: string;
  host: { url: string; apiType: 'VirtualCenter' | 'HostAgent' | string };
  vm: {
    moref: string;
    name: string;
    /** config.uuid (BIOS UUID) and config.instanceUuid. */
    uuid: string | null;
    instanceUuid: string | null;
    /** "[datastore1] web/web.vmx". */
    vmxPath: string;
    /** The .vmx's name in the tree ("web.vmx"). */
    vmxFile: string;
    guestId: string | null;
    numCPU: number | null;
    memoryMB: number | null;
  };
  /** The vSphere snapshot the disks were read from (removed after the backup). */
  vsphereSnapshot: { moref: string; name: string };
  /** The restic snapshot this one is incremental to, or null for a full backup of every disk. */
  parent: string | null;
  /** The transport mode each disk was read with ("nbdssl", "hotadd", …). */
  transportMode: string;
  disks: DiskManifest[];
}

/** SHA-256 over the chunks' blob ids (32 bytes each, in order): a disk's content in one hash. */
export function chunkDigest(blobIds: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of blobIds) h.update(Buffer.from(id, 'hex'));
  return h.digest('hex');
}

function fail(what: string): never {
  throw new VixError(VIX_E_FAIL, `backup manifest: ${what}`);
}

/** Parse and check a manifest read from a repository; anything else is refused with one line. */
export function parseManifest(text: string): BackupManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  if (typeof m !== 'object' || m === null) return fail('not an object');
  const o = m as Partial<BackupManifest>;
  if (o.format !== MANIFEST_FORMAT) return fail(`format "${String(o.format).slice(0, 40)}" is not ${MANIFEST_FORMAT}`);
  if (!o.vm || typeof o.vm.name !== 'string' || typeof o.vm.moref !== 'string') return fail('no vm');
  if (!Array.isArray(o.disks)) return fail('no disks');
  for (const d of o.disks) {
    if (typeof d !== 'object' || d === null) return fail('a disk is not an object');
    if (typeof d.file !== 'string' || d.file.includes('/') || d.file === '' || d.file === '.' || d.file === '..') return fail(`disk file name "${String(d.file)}" is not a plain name`);
    if (!Number.isSafeInteger(d.capacityBytes) || d.capacityBytes < 0) return fail(`disk ${d.file}: capacityBytes is not a size`);
    if (!Number.isSafeInteger(d.chunkSize) || d.chunkSize <= 0 || d.chunkSize % 512 !== 0) return fail(`disk ${d.file}: chunkSize is not a positive multiple of 512`);
    if (typeof d.digest !== 'string' || !/^[0-9a-f]{64}$/.test(d.digest)) return fail(`disk ${d.file}: digest is not a SHA-256`);
  }
  return o as BackupManifest;
}
