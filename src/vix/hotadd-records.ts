import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeFileReplacing } from '../vmdk/replace-file.js';
import type { VixConfig } from './config.js';

/**
 * What this library remembers of its HotAdd attachments, so that Cleanup can undo those of a
 * process that died (VDDK keeps such state under tmpDirectory too, which is why the PG says to set
 * tmpDirectory to the same folder on every run). One small JSON file per attachment, written
 * before the ReconfigVM_Task that attaches (a kill during it still leaves the record) and removed
 * after the detach. The owner is the process id and its start time, so a reused pid is not mistaken
 * for the owner.
 */

export interface HotAddRecord {
  /** `host:port` of the vSphere server. */
  server: string;
  /** The proxy VM's moref value. */
  proxy: string;
  /** The attached disk's datastore path. */
  fileName: string;
  /** The device key on the proxy, once known. */
  deviceKey?: number;
  pid: number;
  /** The owner's start time (Linux: /proc/PID/stat field 22), '' where unknown. */
  pidStart: string;
  machine: string;
  created: string;
}

export function recordsFolder(config: VixConfig): string {
  const tmp = config.get('tmpDirectory')?.trim();
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container): one shared name is still one folder per machine.
  }
  return join(tmp && tmp !== '' ? tmp : join(tmpdir(), `vmware-${user}`), 'vixdisk-hotadd');
}

async function processStart(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name (which may hold spaces and parentheses): starttime is field 22.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? '';
}

/** Whether the process that wrote `r` still runs (on another machine: assumed so). */
export async function ownerAlive(r: HotAddRecord): Promise<boolean> {
  if (r.machine !== hostname()) return true;
  try {
    process.kill(r.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = await processStart(r.pid);
  return r.pidStart === '' || start === '' || start === r.pidStart;
}

export class HotAddRecords {
  constructor(readonly folder: string) {}

  /** Write the record of an attachment about to be made; returns its file. */
  async add(r: Omit<HotAddRecord, 'pid' | 'pidStart' | 'machine' | 'created'>): Promise<{ file: string; record: HotAddRecord }> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const record: HotAddRecord = { ...r, pid: process.pid, pidStart: await processStart(process.pid), machine: hostname(), created: new Date().toISOString() };
    const file = join(this.folder, `${process.pid}-${randomBytes(6).toString('hex')}.json`);
    await writeFileReplacing(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    return { file, record };
  }

  async update(file: string, record: HotAddRecord): Promise<void> {
    await writeFileReplacing(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /** Every record (unreadable ones are skipped: a hand-made file is not ours to act on). */
  async list(): Promise<Array<{ file: string; record: HotAddRecord }>> {
    const out: Array<{ file: string; record: HotAddRecord }> = [];
    for (const name of await readdir(this.folder).catch(() => [] as string[])) {
      if (!/^\d+-[0-9a-f]{12}\.json$/.test(name)) continue;
      const file = join(this.folder, name);
      try {
        const r = JSON.parse(await readFile(file, 'utf8')) as HotAddRecord;
        if (typeof r.server === 'string' && typeof r.proxy === 'string' && typeof r.fileName === 'string' && Number.isInteger(r.pid)) out.push({ file, record: r });
      } catch {
        // skipped
      }
    }
    return out;
  }
}
