import { mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { toVixError } from '../errors/vix-error.js';
import type { Repository } from '../restic/repository.js';
import { isId } from '../restic/id.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import type { VimClient } from '../vsphere/vim-client.js';
import { writeFileReplacing } from '../vmdk/replace-file.js';
import { changedAreas, type SnapshotDisk } from './backup-vm.js';
import { chunksTouched } from './disk-backup.js';

// Resumption of a killed backup without reading again what it had already stored. While a disk is
// backed up, the chunk -> blob pairs whose blobs an index file already names are kept in a small
// local file (per repository and VM), with the change id of the vSphere snapshot they were read
// from. The next run asks the host what changed since that change id (QueryChangedDiskAreas
// from the killed run's change id to its own snapshot): a recorded chunk outside those areas
// holds the same bytes now, so its blob is taken without reading. Anything that does not fit
// (another disk, capacity or chunk size, a change id the host no longer accepts, a blob the index
// does not have) is simply read again: the checkpoint can only save work, never change a result.
// The file holds blob IDs only (no data, no secrets), mode 0600; the completed backup removes it.

const FORMAT = 'vixdisk-backup-checkpoint/1';
/** Write the checkpoint at most this often (it is rewritten whole). */
const SAVE_INTERVAL_MS = 5_000;

interface DiskRecord {
  key: number;
  baseFileName: string;
  capacityBytes: number;
  chunkSize: number;
  changeId: string;
  /** chunk index -> blob id */
  chunks: Record<string, string>;
}

/** The checkpoint folder: VIXDISK_CACHE_DIR, else $XDG_CACHE_HOME/vixdisk, else ~/.cache/vixdisk. */
export function defaultCheckpointDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIXDISK_CACHE_DIR) return join(env.VIXDISK_CACHE_DIR, 'backup');
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'vixdisk', 'backup');
}

export class BackupCheckpoint {
  private readonly current = new Map<number, DiskRecord>();
  private lastSave = 0;
  private lastIndexFiles = -1;
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string, private readonly earlier: Map<number, DiskRecord>) {}

  static async load(dir: string, repoId: string, moref: string): Promise<BackupCheckpoint> {
    const folder = join(dir, repoId.replace(/[^0-9a-f]/g, '').slice(0, 64));
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const file = join(folder, `${moref.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
    const earlier = new Map<number, DiskRecord>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { format?: string; disks?: DiskRecord[] };
      if (parsed.format === FORMAT && Array.isArray(parsed.disks)) {
        for (const d of parsed.disks) {
          if (Number.isInteger(d.key) && typeof d.changeId === 'string' && d.chunks && typeof d.chunks === 'object') earlier.set(d.key, d);
        }
      }
    } catch {
      // none, or unreadable: nothing to resume from (the run reads everything it needs)
    }
    return new BackupCheckpoint(file, earlier);
  }

  /** Chunks of `d` an earlier killed run stored that have not changed since: index -> blob id. */
  async resumable(vim: VimClient, vm: ManagedObjectReference, snapshot: ManagedObjectReference, d: SnapshotDisk, chunkSize: number,
    log: (line: string) => void): Promise<Map<number, string> | undefined> {
    const e = this.earlier.get(d.key);
    if (!e || e.baseFileName !== d.baseFileName || e.capacityBytes !== d.capacityBytes || e.chunkSize !== chunkSize) return undefined;
    let touched: Uint8Array;
    try {
      touched = chunksTouched(await changedAreas(vim, vm, snapshot, d.key, e.changeId, d.capacityBytes), d.capacityBytes, chunkSize);
    } catch (err) {
      log(`${d.baseFileName}: the interrupted backup's chunks are not reused: ${toVixError(err).message}`);
      return undefined;
    }
    const out = new Map<number, string>();
    for (const [k, id] of Object.entries(e.chunks)) {
      const i = Number(k);
      if (Number.isInteger(i) && i >= 0 && i < touched.length && !touched[i] && isId(id)) out.set(i, id);
    }
    if (out.size > 0) log(`${d.baseFileName}: ${out.size} chunks stored by an interrupted backup are reused without reading`);
    return out;
  }

  record(d: SnapshotDisk, _snapshot: ManagedObjectReference, chunkSize: number, index: number, blobId: string): void {
    if (!d.changeId) return;
    let r = this.current.get(d.key);
    if (!r) {
      r = { key: d.key, baseFileName: d.baseFileName, capacityBytes: d.capacityBytes, chunkSize, changeId: d.changeId, chunks: {} };
      this.current.set(d.key, r);
    }
    r.chunks[index] = blobId;
  }

  /** Save when an index file was written since the last save (only then are more blobs durable). */
  maybeSave(repo: Repository): void {
    if (repo.stats.indexFilesWritten === this.lastIndexFiles || Date.now() - this.lastSave < SAVE_INTERVAL_MS) return;
    this.saving = this.saving.then(() => this.save(repo)).catch(() => undefined);
  }

  /** Write the pairs whose blobs the repository's index holds (so durable), atomically. */
  async save(repo: Repository): Promise<void> {
    this.lastSave = Date.now();
    this.lastIndexFiles = repo.stats.indexFilesWritten;
    const disks: DiskRecord[] = [];
    for (const r of this.current.values()) {
      const chunks: Record<string, string> = {};
      for (const [k, id] of Object.entries(r.chunks)) if (repo.index.has('data', id)) chunks[k] = id;
      disks.push({ ...r, chunks });
    }
    for (const [key, r] of this.earlier) if (!this.current.has(key)) disks.push(r);
    await writeFileReplacing(this.file, JSON.stringify({ format: FORMAT, disks }), { mode: 0o600 });
  }

  /** The backup completed: nothing to resume. */
  async remove(): Promise<void> {
    await this.saving;
    await rm(this.file, { force: true });
  }
}
