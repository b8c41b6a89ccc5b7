import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import type { Repository } from '../restic/repository.js';
import type { StoredSnapshot } from '../restic/snapshot.js';
import type { Node } from '../restic/tree.js';
import { MANIFEST_FILE, parseManifest, type BackupManifest } from './manifest.js';

// A restore point: one restic snapshot a vixdisk backup wrote, with its manifest. The snapshot's
// tree is /<vm>/<vm>.vmx, /<vm>/<disk>.raw, /<vm>/vixdisk-manifest.json (manifest.ts); a snapshot
// without that manifest (restic's own backups, other tools) is listed but is not a restore point.

/** A manifest is a few KiB; anything much larger is not one of ours. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export interface RestorePoint {
  snapshot: StoredSnapshot;
  /** The VM's folder in the snapshot's tree (the manifest's VM name as backup wrote it). */
  folder: string;
  /** The folder's tree ID: where the disks' file nodes are. */
  folderTree: string;
  manifest: BackupManifest;
}

/** What a snapshot is to vixdisk: a restore point, or why not. */
export type SnapshotEntry =
  | { snapshot: StoredSnapshot; point: RestorePoint; problem: null }
  | { snapshot: StoredSnapshot; point: null; problem: string; code: number };

/** The tag a backup puts on every restore point of a VM. */
export function vmTag(name: string): string {
  return `vm=${name}`;
}

/** 'full' when every disk was read whole, else 'incremental'. */
export function backupKind(m: BackupManifest): 'full' | 'incremental' {
  return m.disks.some((d) => d.backupKind === 'incremental') ? 'incremental' : 'full';
}

/** Read a small file node whole (the manifest, the .vmx), refusing sizes no such file has. */
export async function readSmallFile(repo: Repository, node: Node, limit = MAX_MANIFEST_BYTES): Promise<Buffer> {
  if (node.type !== 'file') throw new VixError(VIX_E_FILE_ERROR, `"${node.name}" is not a file`);
  if ((node.size ?? 0) > limit) throw new VixError(VIX_E_FILE_ERROR, `"${node.name}" is ${node.size} bytes, more than ${limit}`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const b of repo.readFile(node)) {
    size += b.length;
    if (size > limit) throw new VixError(VIX_E_FILE_ERROR, `"${node.name}" holds more than ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/**
 * What `snapshot` is: the first folder of its root tree holding a vixdisk manifest makes it a
 * restore point. A damaged manifest or an unreadable or missing tree is a problem to report (one
 * line), never a crash.
 */
export async function examineSnapshot(repo: Repository, snapshot: StoredSnapshot): Promise<SnapshotEntry> {
  try {
    const root = await repo.loadTree(snapshot.tree);
    // The VM's folder first, when the tags name it (as backup writes them).
    const named = (snapshot.tags ?? []).filter((t) => t.startsWith('vm=')).map((t) => t.slice(3));
    const dirs = root.filter((n) => n.type === 'dir' && n.subtree)
      .sort((a, b) => Number(named.includes(b.name)) - Number(named.includes(a.name)));
    for (const dir of dirs) {
      const nodes = await repo.loadTree(dir.subtree!);
      const file = nodes.find((n) => n.name === MANIFEST_FILE && n.type === 'file');
      if (!file) continue;
      const manifest = parseManifest((await readSmallFile(repo, file)).toString('utf8'));
      return { snapshot, point: { snapshot, folder: dir.name, folderTree: dir.subtree!, manifest }, problem: null };
    }
    return { snapshot, point: null, problem: 'not a vixdisk backup', code: VIX_E_INVALID_ARG };
  } catch (err) {
    // A damaged tree or manifest makes this snapshot unusable, not the listing of the others.
    if (err instanceof VixError) return { snapshot, point: null, problem: `a damaged snapshot: ${err.message}`, code: err.code };
    throw err;
  }
}

/** Does a restore point belong to the VM named `vm` (its name or its moref)? */
export function isOfVm(point: RestorePoint, vm: string): boolean {
  return point.manifest.vm.name === vm || point.manifest.vm.moref === vm || point.manifest.vm.moref === vm.replace(/^moref=/, '');
}

/** Every snapshot of the repository, oldest first, with what it is to vixdisk (optionally of one VM only). */
export async function listSnapshotEntries(repo: Repository, vm?: string): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  for (const s of await repo.listSnapshots()) {
    const e = await examineSnapshot(repo, s);
    if (vm !== undefined && (!e.point || !isOfVm(e.point, vm))) continue;
    out.push(e);
  }
  return out;
}

/**
 * The restore point `ref` names: a snapshot ID (or unique prefix), or "latest" (the newest restore
 * point, of `vm` when given). A snapshot that is not a vixdisk backup is refused with the reason.
 */
export async function findRestorePoint(repo: Repository, ref: string, vm?: string): Promise<RestorePoint> {
  if (ref === 'latest') {
    const points = (await listSnapshotEntries(repo, vm)).filter((e) => e.point);
    const last = points.at(-1);
    if (!last?.point) {
      throw new VixError(VIX_E_OBJECT_NOT_FOUND, `${repo.backend.location}: no vixdisk backup${vm !== undefined ? ` of VM ${vm}` : ''} found`);
    }
    return last.point;
  }
  const snapshot = await repo.findSnapshot(ref);
  const e = await examineSnapshot(repo, snapshot);
  if (!e.point) throw new VixError(e.code, `snapshot ${snapshot.id.slice(0, 8)} is ${e.problem}`);
  if (vm !== undefined && !isOfVm(e.point, vm)) {
    throw new VixError(VIX_E_INVALID_ARG, `snapshot ${snapshot.id.slice(0, 8)} is a backup of VM ${e.point.manifest.vm.name}, not ${vm}`);
  }
  return e.point;
}
