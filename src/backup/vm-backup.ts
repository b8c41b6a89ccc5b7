import { randomBytes } from 'node:crypto';
import { VixError, toVixError } from '../errors/vix-error.js';
import { VIX_E_FILE_NOT_FOUND, VIX_E_HOST_USER_PERMISSIONS, VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import type { Repository } from '../restic/repository.js';
import { saveTreeOf, type TreeEntry } from '../restic/tree-builder.js';
import { SoapFault } from '../vsphere/soap-fault.js';
import { VimClient } from '../vsphere/vim-client.js';
import { vimTypes, type ManagedObjectReference } from '../vsphere/vim-types.js';
import { VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../vix/constants.js';
import type { VixDiskLibConnection } from '../vix/connection.js';
import type { VixDiskLibConnectParams } from '../vix/types.js';
import type { VixDiskLibApi } from '../vix/vixdisklib.js';
import { BackupCheckpoint } from './backup-checkpoint.js';
import { backupSnapshotDescription, backupSnapshotName, leftoverReason, parseOwner, thisRun } from './backup-snapshot-name.js';
import {
  changedAreas, createSnapshot, enableChangeTracking, findVm, listSnapshots, pendingVmTasks, removeSnapshot, snapshotDisks, vmFacts,
  type ChangedArea, type SnapshotDisk, type VmFacts,
} from './backup-vm.js';
import { downloadDatastoreFile } from './datastore-file.js';
import { allocatedAreas } from './allocated-areas.js';
import { backupDisk, chunksTouched } from './disk-backup.js';
import { chunkDigest, MANIFEST_FILE, MANIFEST_FORMAT, type BackupManifest, type DiskManifest } from './manifest.js';
import { findPreviousBackup, fullReason, previousContent, previousDisk, VIXDISK_TAG } from './previous-backup.js';

// The backup of one VM (reference §1.3, issue 13): over the VixDiskLib API for the disks (ConnectEx
// with the mode list, Open of each snapshot disk, QueryAllocatedBlocks, ReadAsync, Close,
// Disconnect) and vim25 for the rest (change tracking, the snapshot, QueryChangedDiskAreas,
// PrepareForAccess/EndAccess). Order, so a process killed at any moment leaves nothing the next
// run cannot clean up:
//   1. the VM's tasks still running are waited for (a run killed right after CreateSnapshot_Task
//      leaves one whose snapshot appears only when it ends), then leftover `vixdisk-backup`
//      snapshots of dead runs are removed (and reported);
//   2. change tracking enabled if off (this run is then full: CBT is active from the snapshot on);
//   3. PrepareForAccess; the snapshot, named after the run;
//   4. each disk read into blobs (disk-backup.ts), packs and index flushed as they fill;
//   5. trees, then the restic snapshot (after a flush: restic's packs → index → snapshot);
//   6. the vSphere snapshot removed and EndAccess, whatever happened in 3–5.

export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const VIXDISK_VERSION = '0.1.0';
const ACCESS_IDENTITY = 'vixdisk-backup';
/** How long a run waits for the VM's earlier tasks (vSphere runs one snapshot operation of a VM at a time anyway). */
const PENDING_TASK_WAIT_MS = 10 * 60_000;

export interface VmBackupOptions {
  lib: VixDiskLibApi;
  /** ConnectEx parameters naming the host and credentials (vmxSpec is set from the VM found). */
  connect: VixDiskLibConnectParams;
  /** Transport modes for ConnectEx ("nbdssl:nbd"). */
  modes: string;
  /** VM name, or moref=vm-N. */
  vm: string;
  repo: Repository;
  /** Take a full backup of every disk even when an incremental is possible. */
  full?: boolean;
  chunkSize?: number;
  /** Reads in flight per disk. */
  inFlight?: number;
  quiesce?: boolean;
  /** Folder for the resumption checkpoint (null: none). */
  checkpointDir?: string | null;
  log?: (line: string) => void;
  /** A progress reporter per disk (bytes read of bytes to read). */
  progress?: (label: string) => { update(done: number, total: number): void; stop(): void };
  /** Called once the vSphere snapshot exists, with its disks, before any is read (a job queue's hook; tests read the frozen disks here). */
  onSnapshot?: (snapshot: ManagedObjectReference, disks: readonly SnapshotDisk[]) => Promise<void>;
}

export interface DiskSummary {
  file: string;
  label: string;
  kind: 'full' | 'incremental';
  reason: string | null;
  capacityBytes: number;
  bytesRead: number;
  bytesNew: number;
  chunksRead: number;
  chunksReused: number;
  chunksResumed: number;
  seconds: number;
}

export interface VmBackupResult {
  snapshotId: string;
  /** The restic snapshot's parent: the VM's previous restore point, also when this one is full. */
  parent: string | null;
  vm: string;
  moref: string;
  kind: 'full' | 'incremental';
  transportMode: string;
  leftoversRemoved: string[];
  disks: DiskSummary[];
  seconds: number;
  manifest: BackupManifest;
}

/** A restic tree name for a VM or disk name: no "/" (vSphere escapes it as %2f too), not "." or "..". */
export function treeName(name: string): string {
  const n = name.replace(/%/g, '%25').replace(/\//g, '%2f').replace(/\0/g, '');
  return n === '.' || n === '..' || n === '' ? `%${n}` : n;
}

function diskFileNames(disks: SnapshotDisk[]): string[] {
  const base = disks.map((d) => treeName((d.baseFileName.split('/').pop() ?? `disk-${d.key}`).replace(/\.vmdk$/i, '')));
  return base.map((b, i) => (base.indexOf(b) !== i || base.lastIndexOf(b) !== i ? `${b}-${disks[i]!.key}` : b) + '.raw');
}

function isChangeIdFault(e: unknown): boolean {
  if (!(e instanceof SoapFault) && e instanceof Error && e.cause instanceof SoapFault) e = e.cause;
  if (!(e instanceof SoapFault)) return false;
  const type = String((e.fault as { _type?: string } | undefined)?._type ?? '');
  return vimTypes.isA(type, 'FileFault') || (vimTypes.isA(type, 'InvalidArgument') && /changeId/i.test(e.message + JSON.stringify(e.fault)));
}

export async function backupVm(o: VmBackupOptions): Promise<VmBackupResult> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const chunkSize = o.chunkSize ?? DEFAULT_CHUNK_SIZE;
  o.repo.prepareWrites(); // the sealing threads boot while we log in and take the snapshot
  const p = o.connect;
  const vim = new VimClient({ host: p.serverName!, port: p.port ?? 443, thumbprint: p.thumbPrint ?? '' });
  const creds = p.creds?.uid;
  if (!creds) throw new VixError(VIX_E_NOT_SUPPORTED, 'the backup logs in with a user name and password');
  await vim.login(creds.userName, creds.password);
  try {
    const ref = await findVm(vim, o.vm);
    const facts = await vmFacts(vim, ref);
    await settleVmTasks(vim, facts, log);
    const leftoversRemoved = await removeLeftovers(vim, facts, log);
    const params: VixDiskLibConnectParams = { ...p, vmxSpec: `moref=${ref.value}` };
    const sc = await vim.serviceContent();

    let cbtReason: string | null = null;
    if (!facts.changeTrackingEnabled) {
      if (!facts.changeTrackingSupported) {
        cbtReason = 'the VM does not support change tracking';
      } else {
        await enableChangeTracking(vim, ref);
        cbtReason = 'change tracking was off; enabled now, so this backup is full';
        log(`${facts.name}: ${cbtReason}`);
      }
    }
    const prev = o.full ? null : await findPreviousBackup(o.repo, ref.value, facts.uuid);

    await o.lib.PrepareForAccess(params, ACCESS_IDENTITY).catch((e: unknown) => {
      const err = toVixError(e);
      if (err.code !== VIX_E_NOT_SUPPORTED) throw err;
      log(`${facts.name}: PrepareForAccess: ${err.message} (an ESXi host has no svMotion to hold off)`);
    });
    const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
    const owner = thisRun(runId);
    let snapshot: ManagedObjectReference | null = null;
    try {
      snapshot = await createSnapshot(vim, ref, backupSnapshotName(runId), backupSnapshotDescription(owner), o.quiesce ?? false);
      log(`${facts.name}: snapshot ${snapshot.value} "${backupSnapshotName(runId)}"`);
      const createdAt = new Date().toISOString();
      const disks = await snapshotDisks(vim, snapshot);
      const files = diskFileNames(disks);
      await o.onSnapshot?.(snapshot, disks);
      const checkpoint = o.checkpointDir ? await BackupCheckpoint.load(o.checkpointDir, o.repo.config.id, ref.value) : null;

      const conn = await o.lib.ConnectEx(params, true, snapshot.value, o.modes);
      const manifests: DiskManifest[] = [];
      const summaries: DiskSummary[] = [];
      const entries: TreeEntry[] = [];
      let transportMode = '';
      try {
        for (let i = 0; i < disks.length; i++) {
          const d = disks[i]!;
          const r = await backupOneDisk(o, vim, conn, ref, snapshot, d, files[i]!, prev, cbtReason, chunkSize, checkpoint, log);
          transportMode ||= r.mode;
          manifests.push(r.manifest);
          summaries.push(r.summary);
          entries.push({ path: [treeName(facts.name), files[i]!], node: { type: 'file', mode: 0o600, mtime: createdAt, atime: createdAt, ctime: createdAt, size: d.capacityBytes, content: r.content } });
          // Each finished disk is durable (packs, then the index naming them) before the next starts.
          await o.repo.flush();
          await checkpoint?.save(o.repo);
        }
      } finally {
        await o.lib.Disconnect(conn).catch((e: unknown) => log(`Disconnect: ${toVixError(e).message}`));
      }

      const vmxFile = `${treeName(facts.name)}.vmx`;
      try {
        const vmx = await downloadDatastoreFile(vim, facts.vmxPath, ref);
        entries.push({ path: [treeName(facts.name), vmxFile], node: await fileNode(o.repo, vmx, createdAt) });
      } catch (e) {
        const err = toVixError(e);
        // The disks are the backup; a .vmx the user may not download (Datastore.Browse) or the
        // server does not serve is reported, not fatal.
        if (err.code !== VIX_E_FILE_NOT_FOUND && err.code !== VIX_E_HOST_USER_PERMISSIONS) throw err;
        const why = err.code === VIX_E_HOST_USER_PERMISSIONS ? ' (the user needs Datastore.Browse on its datastore)' : '';
        log(`${facts.name}: WARNING: ${facts.vmxPath} could not be downloaded: ${err.message}${why}; this backup holds no .vmx`);
      }
      const kind = manifests.every((m) => m.backupKind === 'incremental') && manifests.length > 0 ? 'incremental' : 'full';
      const manifest: BackupManifest = {
        format: MANIFEST_FORMAT,
        vixdiskVersion: VIXDISK_VERSION,
        createdAt,
        host: { url: `https://${vim.where}/sdk`, apiType: sc.apiType },
        vm: {
          moref: ref.value, name: facts.name, uuid: facts.uuid, instanceUuid: facts.instanceUuid, vmxPath: facts.vmxPath, vmxFile,
          guestId: facts.guestId, numCPU: facts.numCPU, memoryMB: facts.memoryMB,
        },
        vsphereSnapshot: { moref: snapshot.value, name: backupSnapshotName(runId) },
        parent: manifests.some((m) => m.backupKind === 'incremental') ? prev!.snapshot.id : null,
        transportMode,
        disks: manifests,
      };
      entries.push({ path: [treeName(facts.name), MANIFEST_FILE], node: await fileNode(o.repo, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), createdAt) });
      const tree = await saveTreeOf(o.repo, entries, createdAt);
      const snapshotId = await o.repo.saveSnapshot({
        time: createdAt,
        tree,
        paths: [`/${treeName(facts.name)}`],
        hostname: facts.name,
        tags: [VIXDISK_TAG, `vm=${facts.name}`, `moref=${ref.value}`, kind],
        ...(prev ? { parent: prev.snapshot.id } : {}),
      });
      await checkpoint?.remove();
      log(`${facts.name}: restic snapshot ${snapshotId.slice(0, 8)} saved (${kind})`);
      return {
        snapshotId, parent: prev?.snapshot.id ?? null, vm: facts.name, moref: ref.value, kind, transportMode, leftoversRemoved,
        disks: summaries, seconds: (Date.now() - started) / 1000, manifest,
      };
    } finally {
      if (snapshot) {
        await removeSnapshot(vim, snapshot).then(
          () => log(`${facts.name}: snapshot ${snapshot!.value} removed`),
          (e: unknown) => log(`${facts.name}: WARNING: removing snapshot ${snapshot!.value} failed: ${toVixError(e).message} (the next backup removes it)`),
        );
      }
      await o.lib.EndAccess(params, ACCESS_IDENTITY).catch((e: unknown) => {
        const err = toVixError(e);
        if (err.code !== VIX_E_NOT_SUPPORTED) log(`${facts.name}: EndAccess: ${err.message}`);
      });
    }
  } finally {
    await vim.logout().catch(() => undefined);
    vim.close();
  }
}

async function fileNode(repo: Repository, data: Buffer, time: string): Promise<TreeEntry['node']> {
  const content = data.length === 0 ? [] : [await repo.saveBlob('data', data)];
  return { type: 'file', mode: 0o600, mtime: time, atime: time, ctime: time, size: data.length, content };
}

/**
 * Waits for the VM's tasks still queued or running before the leftover scan. A backup killed after
 * it sent CreateSnapshot_Task but before the task ended leaves a snapshot that does not exist yet:
 * a scan now would miss it, and this run's own CreateSnapshot_Task would meet TaskInProgress. What
 * such a task ends with does not matter here (a failed one made no snapshot); one that never ends
 * stops the run with one line.
 */
async function settleVmTasks(vim: VimClient, facts: VmFacts, log: (line: string) => void): Promise<void> {
  for (const t of await pendingVmTasks(vim, facts.ref)) {
    log(`${facts.name}: waiting for its task ${t.ref.value} (${t.descriptionId}, ${t.state}) to end before looking for leftover snapshots`);
    await vim.waitForTask(t.ref, PENDING_TASK_WAIT_MS).catch((e: unknown) => {
      if (e instanceof SoapFault) return; // the task failed or is gone: it left no snapshot to find
      throw new VixError(toVixError(e).code, `${facts.name}: its task ${t.ref.value} (${t.descriptionId}) is still running after ${PENDING_TASK_WAIT_MS / 60_000} minutes; try again once it ends`);
    });
  }
}

async function removeLeftovers(vim: VimClient, facts: VmFacts, log: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  for (const s of await listSnapshots(vim, facts.ref)) {
    const owner = parseOwner(s.name, s.description);
    if (!owner) continue;
    const why = leftoverReason(owner);
    if (!why) {
      log(`${facts.name}: snapshot ${s.ref.value} "${s.name}" belongs to a running backup; left alone`);
      continue;
    }
    log(`${facts.name}: removing leftover snapshot ${s.ref.value} "${s.name}": ${why}`);
    try {
      await removeSnapshot(vim, s.ref);
      removed.push(s.ref.value);
    } catch (e) {
      // Not this run's to fail on: the backup goes on, and the next run tries again.
      log(`${facts.name}: WARNING: leftover snapshot ${s.ref.value} could not be removed: ${toVixError(e).message}`);
    }
  }
  return removed;
}

interface OneDisk {
  manifest: DiskManifest;
  summary: DiskSummary;
  content: string[];
  mode: string;
}

async function backupOneDisk(o: VmBackupOptions, vim: VimClient, conn: VixDiskLibConnection, vm: ManagedObjectReference, snapshot: ManagedObjectReference,
  d: SnapshotDisk, file: string, prev: Awaited<ReturnType<typeof findPreviousBackup>>, cbtReason: string | null, chunkSize: number,
  checkpoint: BackupCheckpoint | null, log: (line: string) => void): Promise<OneDisk> {
  const started = Date.now();
  const before = previousDisk(prev, d);
  let reason: string | null = o.full ? 'a full backup was asked for (--full)' : cbtReason ?? fullReason(prev, before, d, chunkSize);
  let previous: string[] | null = null;
  if (!reason) {
    previous = await previousContent(o.repo, prev!, before!);
    if (!previous) reason = 'the earlier backup of this disk does not match its manifest';
  }
  let areas: ChangedArea[] | null = null;
  if (!reason) {
    try {
      areas = await changedAreas(vim, vm, snapshot, d.key, before!.changeId!, d.capacityBytes);
    } catch (e) {
      if (!isChangeIdFault(e)) throw e;
      reason = `the host refused change id ${before!.changeId} (change tracking was reset): ${toVixError(e).message}`;
      previous = null;
    }
  }
  const kind: 'full' | 'incremental' = reason ? 'full' : 'incremental';
  if (reason) log(`${file}: full backup: ${reason}`);

  const h = await o.lib.Open(conn, d.fileName, VIXDISKLIB_FLAG_OPEN_READ_ONLY);
  try {
    const info = await o.lib.GetInfo(h);
    const mode = o.lib.GetTransportMode(h) ?? 'unknown';
    if (!areas) areas = await allocatedAreas(o.lib, h, info.capacity * 512);
    const resumed = checkpoint ? await checkpoint.resumable(vim, vm, snapshot, d, chunkSize, log) : undefined;
    const bar = o.progress?.(`${file} (${kind})`);
    const r = await backupDisk({
      lib: o.lib, handle: h, repo: o.repo, capacityBytes: d.capacityBytes, chunkSize, areas, previous, inFlight: o.inFlight,
      ...(resumed ? { resumed } : {}),
      onProgress: (done, total) => {
        bar?.update(done, total);
        checkpoint?.maybeSave(o.repo);
      },
      onChunk: (i, id) => checkpoint?.record(d, snapshot, chunkSize, i, id),
    });
    bar?.stop();
    let adapterType = 'lsilogic';
    try {
      adapterType = (await o.lib.ReadMetadata(h, 'adapterType')).value;
    } catch {
      adapterType = ['unknown', 'ide', 'buslogic', 'lsilogic'][info.adapterType] ?? 'unknown';
    }
    const changedBytes = reason ? null : areas.reduce((s, a) => s + a.length, 0);
    if (changedBytes !== null) log(`${file}: incremental: ${changedBytes} bytes changed, ${r.bytesRead} read (${chunksTouched(areas, d.capacityBytes, chunkSize).reduce((s, x) => s + x, 0)} chunks)`);
    const manifest: DiskManifest = {
      key: d.key, label: d.label, file, datastorePath: d.baseFileName, capacityBytes: d.capacityBytes, chunkSize, adapterType,
      biosGeometry: { cylinders: info.biosGeo.cylinders, heads: info.biosGeo.heads, sectors: info.biosGeo.sectors },
      physGeometry: { cylinders: info.physGeo.cylinders, heads: info.physGeo.heads, sectors: info.physGeo.sectors },
      thinProvisioned: d.thinProvisioned, uuid: d.uuid, changeId: d.changeId, backupKind: kind, fullReason: reason,
      digest: chunkDigest(r.content), bytesRead: r.bytesRead, bytesNew: r.bytesNew,
    };
    return {
      manifest, content: r.content, mode,
      summary: {
        file, label: d.label, kind, reason, capacityBytes: d.capacityBytes, bytesRead: r.bytesRead, bytesNew: r.bytesNew,
        chunksRead: r.chunksRead, chunksReused: r.chunksReused, chunksResumed: r.chunksResumed, seconds: (Date.now() - started) / 1000,
      },
    };
  } finally {
    await o.lib.Close(h);
  }
}
