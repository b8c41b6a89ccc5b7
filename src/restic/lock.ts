// Repository locks (design.rst "Locks", restic internal/restic/lock.go as of 0.14): a lock file says
// who holds the repository and whether exclusively. An exclusive lock conflicts with every other
// lock, a shared one only with exclusive ones. Acquiring: look for conflicts, write our lock, wait
// 200 ms (exclusive locks only; see acquire), look again (a racing writer may have appeared), and
// withdraw on conflict. Holders rewrite
// their lock every 5 minutes, because `restic unlock` deletes locks older than 30 minutes, and a
// writer's unreferenced packs are protected from prune only while its lock stands.

import { hostname, userInfo } from 'node:os';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ALREADY_LOCKED } from '../errors/error-codes.js';
import type { Backend } from './backend.js';
import { open, seal, type ResticKey } from './crypto.js';
import { hashId } from './id.js';
import { decodeUnpacked } from './unpacked.js';

export interface LockInfo {
  time: string;
  exclusive: boolean;
  hostname: string;
  username: string;
  pid: number;
  uid?: number;
  gid?: number;
}

export const STALE_AFTER_MS = 30 * 60 * 1000;
export const REFRESH_EVERY_MS = 5 * 60 * 1000;
const RACE_WAIT_MS = 200;

/** restic's Lock.Stale: older than 30 minutes, or ours by host and its process is gone. */
export function isStale(l: LockInfo, now = Date.now()): boolean {
  const t = Date.parse(l.time);
  if (!Number.isFinite(t) || now - t > STALE_AFTER_MS) return true;
  if (l.hostname !== hostname()) return false;
  try {
    process.kill(l.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Every lock file that decrypts and parses; 0.14 ignores the others, and so do we. */
export async function listLocks(backend: Backend, key: ResticKey): Promise<Array<{ id: string; lock: LockInfo }>> {
  const out: Array<{ id: string; lock: LockInfo }> = [];
  for (const { name, size } of await backend.list('lock')) {
    if (size > 64 * 1024) continue;
    try {
      const raw = await backend.load('lock', name);
      const l = JSON.parse(decodeUnpacked(open(key, raw, `lock ${name.slice(0, 8)}`), 'lock')) as LockInfo;
      if (typeof l.exclusive === 'boolean' && typeof l.time === 'string') out.push({ id: name, lock: l });
    } catch {
      // removed meanwhile, or unreadable: restic 0.14 skips it as well
    }
  }
  return out;
}

function describe(l: LockInfo): string {
  return `${l.exclusive ? 'an exclusive' : 'a'} lock held by PID ${l.pid} on ${l.hostname} (user ${l.username}) since ${l.time}${isStale(l) ? ', stale: `restic unlock` removes it' : ''}`;
}

/** A lock we hold: refreshed in the background, removed by release(). */
export class RepoLock {
  private timer: NodeJS.Timeout | undefined;
  private readonly onHup = () => undefined;
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(private readonly backend: Backend, private readonly key: ResticKey, readonly exclusive: boolean, private id: string) {}

  private static async write(backend: Backend, key: ResticKey, exclusive: boolean): Promise<string> {
    let username = '';
    let uid = 0;
    let gid = 0;
    try {
      const u = userInfo();
      username = u.username;
      uid = u.uid;
      gid = u.gid;
    } catch {
      // no passwd entry
    }
    const l: LockInfo = { time: new Date().toISOString(), exclusive, hostname: hostname(), username, pid: process.pid };
    if (uid > 0) l.uid = uid;
    if (gid > 0) l.gid = gid;
    const bytes = seal(key, Buffer.from(JSON.stringify(l)));
    const id = hashId(bytes);
    await backend.save('lock', id, bytes);
    return id;
  }

  private static async conflict(backend: Backend, key: ResticKey, exclusive: boolean, own?: string): Promise<LockInfo | undefined> {
    for (const { id, lock } of await listLocks(backend, key)) {
      if (id === own) continue;
      if (exclusive || lock.exclusive) return lock;
    }
    return undefined;
  }

  static async acquire(backend: Backend, key: ResticKey, exclusive: boolean): Promise<RepoLock> {
    const fail = (l: LockInfo) => new VixError(VIX_E_FILE_ALREADY_LOCKED, `${backend.location}: repository is already locked: ${describe(l)}`);
    const before = await RepoLock.conflict(backend, key, exclusive);
    if (before) throw fail(before);
    const id = await RepoLock.write(backend, key, exclusive);
    // Only an exclusive lock needs the wait. A shared one conflicts only with exclusive ones, and
    // every exclusive locker (restic's and ours) writes its lock, waits, then looks again: one
    // written before our look just below is seen here, one written after it sees ours and withdraws.
    // So readers and backups start 200 ms sooner, with the same guarantee.
    if (exclusive) await new Promise((r) => setTimeout(r, RACE_WAIT_MS));
    const after = await RepoLock.conflict(backend, key, exclusive, id);
    if (after) {
      await backend.remove('lock', id);
      throw fail(after);
    }
    const lock = new RepoLock(backend, key, exclusive, id);
    lock.timer = setInterval(() => {
      lock.refreshing = lock.refresh().catch(() => undefined);
    }, REFRESH_EVERY_MS);
    lock.timer.unref();
    // `restic unlock` probes a same-host holder with SIGHUP, which would end a Node process by
    // default: ignore it while we hold a lock (reference section 8.3).
    process.on('SIGHUP', lock.onHup);
    return lock;
  }

  /** Write a fresh lock file, then remove the old one (restic's Refresh order). */
  async refresh(): Promise<void> {
    const old = this.id;
    this.id = await RepoLock.write(this.backend, this.key, this.exclusive);
    await this.backend.remove('lock', old);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    process.off('SIGHUP', this.onHup);
    await this.refreshing;
    await this.backend.remove('lock', this.id);
  }
}

/** Remove stale locks, as `restic unlock` does; returns how many went. */
export async function removeStaleLocks(backend: Backend, key: ResticKey): Promise<number> {
  let n = 0;
  for (const { id, lock } of await listLocks(backend, key)) {
    if (isStale(lock)) {
      await backend.remove('lock', id);
      n++;
    }
  }
  return n;
}
