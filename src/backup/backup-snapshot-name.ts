import { hostname } from 'node:os';

// The vSphere snapshot a backup takes is named so that a later run recognises its own leftovers
// (the Forklift and Veeam users' top complaint is backup snapshots nobody removes):
//
//   name         vixdisk-backup <run id>
//   description  vixdisk backup <run id>: pid <pid> on <machine>, started <ISO time>
//
// A leftover is a snapshot of that form whose process is gone: same machine and no such pid, or
// another machine and older than STALE_ELSEWHERE_MS (we cannot see another machine's processes;
// a backup that runs for a day is not one).

export const SNAPSHOT_PREFIX = 'vixdisk-backup ';
const STALE_ELSEWHERE_MS = 24 * 3600_000;

export interface BackupSnapshotOwner {
  runId: string;
  pid: number;
  machine: string;
  started: string;
}

export function backupSnapshotName(runId: string): string {
  return `${SNAPSHOT_PREFIX}${runId}`;
}

export function backupSnapshotDescription(owner: BackupSnapshotOwner): string {
  return `vixdisk backup ${owner.runId}: pid ${owner.pid} on ${owner.machine}, started ${owner.started}`;
}

export function thisRun(runId: string, now = new Date()): BackupSnapshotOwner {
  return { runId, pid: process.pid, machine: hostname(), started: now.toISOString() };
}

/** The owner a backup snapshot's description names, or null when it is not one of ours. */
export function parseOwner(name: string, description: string): BackupSnapshotOwner | null {
  if (!name.startsWith(SNAPSHOT_PREFIX)) return null;
  const m = /^vixdisk backup (\S+): pid (\d+) on (.+), started (\S+)$/.exec(description);
  if (!m || m[1] !== name.slice(SNAPSHOT_PREFIX.length)) return null;
  return { runId: m[1]!, pid: Number(m[2]), machine: m[3]!, started: m[4]! };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why the snapshot is a leftover to remove, or null when a live backup may still own it. */
export function leftoverReason(owner: BackupSnapshotOwner, now = Date.now()): string | null {
  if (owner.machine === hostname()) {
    if (owner.pid === process.pid) return null;
    return alive(owner.pid) ? null : `its backup (pid ${owner.pid} on ${owner.machine}, started ${owner.started}) is no longer running`;
  }
  const age = now - Date.parse(owner.started);
  return age > STALE_ELSEWHERE_MS ? `its backup on ${owner.machine} started ${owner.started}, over a day ago` : null;
}
