import type { Repository } from '../restic/repository.js';
import type { StoredSnapshot } from '../restic/snapshot.js';
import { chunkDigest, MANIFEST_FILE, parseManifest, type BackupManifest, type DiskManifest } from './manifest.js';
import type { SnapshotDisk } from './backup-vm.js';

// The restic snapshot an incremental builds on: the latest vixdisk snapshot of the same VM (tag
// `moref=<moref>`, and the same BIOS UUID when both know one), its manifest, and for each disk its
// blob list. Whether a disk may be incremental to it is decided here, with the reason when not.

export interface PreviousBackup {
  snapshot: StoredSnapshot;
  manifest: BackupManifest;
  /** The folder of the VM in the snapshot's tree ("web"). */
  folder: string;
}

export const VIXDISK_TAG = 'vixdisk';

export async function findPreviousBackup(repo: Repository, moref: string, vmUuid: string | null): Promise<PreviousBackup | null> {
  const candidates = (await repo.listSnapshots()).filter((s) => s.tags?.includes(VIXDISK_TAG) && s.tags.includes(`moref=${moref}`));
  for (let i = candidates.length - 1; i >= 0; i--) {
    const snapshot = candidates[i]!;
    const folder = (snapshot.paths[0] ?? '').replace(/^\/+/, '');
    if (!folder || folder.includes('/')) continue;
    const node = await repo.findNode(snapshot.tree, [folder, MANIFEST_FILE]);
    const chunks: Buffer[] = [];
    for await (const b of repo.readFile(node)) chunks.push(b);
    const manifest = parseManifest(Buffer.concat(chunks).toString('utf8'));
    if (vmUuid && manifest.vm.uuid && manifest.vm.uuid !== vmUuid) continue; // a different VM that reused the moref
    return { snapshot, manifest, folder };
  }
  return null;
}

/** The previous manifest's entry for this disk: same device key and base disk (and UUID when known). */
export function previousDisk(prev: PreviousBackup | null, disk: SnapshotDisk): DiskManifest | null {
  if (!prev) return null;
  return prev.manifest.disks.find((d) => d.key === disk.key && d.datastorePath === disk.baseFileName
    && (!d.uuid || !disk.uuid || d.uuid === disk.uuid)) ?? null;
}

/** Why this disk cannot be incremental to `prev`, or null when it can. */
export function fullReason(prev: PreviousBackup | null, before: DiskManifest | null, disk: SnapshotDisk, chunkSize: number): string | null {
  if (!prev) return 'no earlier backup of this VM in the repository';
  if (!before) return `no earlier backup of this disk (key ${disk.key}, ${disk.baseFileName})`;
  if (!before.changeId) return 'the earlier backup has no change id (change tracking was off)';
  if (!disk.changeId) return 'the snapshot has no change id (change tracking not active)';
  if (before.capacityBytes !== disk.capacityBytes) return `capacity changed from ${before.capacityBytes} to ${disk.capacityBytes} bytes`;
  if (before.chunkSize !== chunkSize) return `chunk size changed from ${before.chunkSize} to ${chunkSize}`;
  return null;
}

/** The disk's blob list in the previous snapshot, checked against the manifest's digest. */
export async function previousContent(repo: Repository, prev: PreviousBackup, before: DiskManifest): Promise<string[] | null> {
  const node = await repo.findNode(prev.snapshot.tree, [prev.folder, before.file]);
  const content = node.content ?? [];
  if (node.size !== before.capacityBytes || chunkDigest(content) !== before.digest) return null;
  return content;
}
