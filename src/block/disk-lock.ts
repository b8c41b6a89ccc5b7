import { mkdir, open, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ALREADY_LOCKED } from '../errors/error-codes.js';

// Locks between processes on the files of a disk, the way VMware's hosted products take them
// (open-vm-tools lib/file, fileLockPrimitive.c), so VMware Workstation and vixdisk respect each
// other: beside FILE a directory FILE.lck holds one member file `M<5 digits>.lck` per holder, 512
// bytes of text, "machineID executionID lamportNumber S|X [ lc=CHECKSUM ...". A taker enters
// through an entry directory `D<n>.lck` (the "choosing" flag of Lamport's bakery), writes its
// member as `E<n>.lck` numbered one past every member it sees, renames it to `M<n>.lck`, leaves,
// and then holds the lock unless a member with a smaller (number, name) conflicts (either is X).
// A member of this machine whose process is gone (pid not running, or running with another start
// time: a reused pid) is stale and removed; members of other machines are always respected. We
// never wait for a holder: a conflict is VIX_E_FILE_ALREADY_LOCKED (15) at once, naming it.
//
// QEMU's locks are OFD byte-range locks (block/file-posix.c: byte 100+bit held for each
// permission it uses, 200+bit for each it does not share; bit 0 consistent read, bit 1 write).
// Node cannot take them, but on Linux /proc/locks shows them: a writer is refused when qemu writes
// the file or does not share writing, a reader when qemu does not share reading. QEMU does not
// see our locks.

export type LockMode = 'shared' | 'exclusive';

const SUFFIX = '.lck';
const MEMBER_BYTES = 512;
/** An entry directory that persists this long belongs to a taker that died while entering. */
const ENTRY_DEARTH_MS = 8000;
const ENTRY_POLL_MS = 10;

const QEMU_PERM_CONSISTENT_READ = 0;
const QEMU_PERM_WRITE = 1;
const QEMU_LOCK_HELD_BASE = 100;
const QEMU_LOCK_UNSHARED_BASE = 200;

/** Locks held on files of one disk (or link); taken in order, released together. */
export class DiskLock {
  private readonly members: string[] = [];
  /** One read of /proc/locks serves the adds that overlap in time (a chain's links). */
  private qemu: Promise<QemuLock[]> | null = null;
  private adding = 0;

  constructor(readonly mode: LockMode) {}

  /**
   * Lock `files` in this lock's mode, all at once (a try-lock never waits, so the order cannot
   * deadlock). On a conflict 15 is thrown; what was locked stays in this lock until release().
   */
  async add(...files: string[]): Promise<void> {
    if (files.length === 0) return;
    this.adding++;
    try {
      this.qemu ??= readQemuLocks();
      const qemu = await this.qemu;
      const results = await Promise.allSettled(files.map(async (file) => {
        const member = await lockFile(file, this.mode, qemu);
        if (member) this.members.push(member);
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      if (--this.adding === 0) this.qemu = null;
    }
  }

  /** Release every lock held; never throws (a member already gone is released). */
  async release(): Promise<void> {
    await Promise.all(this.members.splice(0).map(async (m) => {
      await rm(m, { force: true }).catch(() => undefined);
      // The lock directory goes when it is empty; another holder keeps it.
      await rmdir(dirname(m)).catch(() => undefined);
    }));
  }
}

/** The lock directory of a file: beside it (beside a symlink, not its target, as VMware does). */
async function lockDirectoryOf(file: string): Promise<string> {
  const folder = await realpath(dirname(file)).catch(() => dirname(file));
  return join(folder, basename(file)) + SUFFIX;
}

// ---- Who we are ------------------------------------------------------------------------------

interface Identity {
  machineId: string;
  executionId: string;
  host: string;
}

let identity: Promise<Identity> | null = null;

function me(): Promise<Identity> {
  identity ??= (async () => {
    // The machine: its hostname, /etc/machine-id and pid namespace, so that containers sharing a
    // kernel but not their pids never judge each other's locks by pids they cannot see.
    const machine = await readFile('/etc/machine-id', 'utf8').catch(() => '');
    const pidNs = await readlink('/proc/self/ns/pid').catch(() => '');
    const host = hostname().replace(/\s/g, '_') || 'localhost';
    // Written out, not hashed: node:crypto costs 10-20 ms to load, more than a small convert's work.
    const ns = /\[(\d+)\]/.exec(pidNs)?.[1] ?? '0';
    const machineId = `${host}-${machine.trim() || 'none'}-${ns}`.replace(/[^\w.-]/g, '_');
    return { machineId, executionId: `${process.pid}-${(await processStartTime(process.pid)) ?? 0}(node)`, host };
  })();
  return identity;
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); null if none. */
async function processStartTime(pid: number): Promise<string | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

/** Is the process an executionID names ("PID-STARTTIME(name)") still the one that took the lock? */
async function ownerAlive(executionId: string): Promise<boolean> {
  const m = /^(\d+)(?:-(\d+))?/.exec(executionId);
  if (!m) return true; // cannot tell: keep the lock, as VMware does
  const pid = Number(m[1]);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const recorded = m[2] ?? '0';
  const now = await processStartTime(pid);
  return recorded === '0' || now === null || now === recorded;
}

/** VMware's location checksum of a lock directory path (DJB2 over its bytes, signed chars). */
function locationChecksum(lockDir: string): string {
  let hash = 5381;
  for (const b of Buffer.from(lockDir, 'utf8')) hash = (Math.imul(hash, 33) + (b << 24 >> 24)) >>> 0;
  return String(hash);
}

// ---- Member files ----------------------------------------------------------------------------

interface Member {
  name: string;
  machineId: string;
  executionId: string;
  number: number;
  exclusive: boolean;
  checksum?: string;
  host?: string;
}

function encodeMember(id: Identity, number: number, exclusive: boolean, checksum: string): Uint8Array {
  const text = `${id.machineId} ${id.executionId} ${number} ${exclusive ? 'X' : 'S'} [ lc=${checksum} host=${id.host}`;
  const bytes = new Uint8Array(MEMBER_BYTES);
  bytes.set(Buffer.from(text, 'utf8').subarray(0, MEMBER_BYTES - 1));
  return bytes;
}

/** Parse a member file; null when it is not a valid one (VMware removes those). */
function decodeMember(name: string, bytes: Buffer): Member | null {
  if (bytes.length !== MEMBER_BYTES) return null;
  const end = bytes.indexOf(0);
  const argv = bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8').split(' ').filter((a) => a !== '');
  if (argv.length < 4 || argv.length > 16 || !/^\d+$/.test(argv[2]!) || (argv[3] !== 'S' && argv[3] !== 'X')) return null;
  const member: Member = { name, machineId: argv[0]!, executionId: argv[1]!, number: Number(argv[2]), exclusive: argv[3] === 'X' };
  for (const prop of argv.slice(5)) {
    const eq = prop.indexOf('=');
    if (eq <= 0 || eq === prop.length - 1) return null;
    const key = prop.slice(0, eq);
    if (key === 'lc') member.checksum = prop.slice(eq + 1);
    if (key === 'host') member.host = prop.slice(eq + 1);
  }
  return member;
}

const VALID_NAME = /^[MDE]\d{5}\.lck$/;

/**
 * The valid members of a lock directory, stale and invalid ones removed; null while some taker is
 * entering (a D entry exists): the caller looks again shortly.
 */
async function scanMembers(lockDir: string, id: Identity, skip: string | null, entrySeen: Map<string, number> | null): Promise<Member[] | null> {
  const names = await readdir(lockDir);
  let entering = false;
  for (const name of names) {
    if (!VALID_NAME.test(name)) {
      await rm(join(lockDir, name), { recursive: true, force: true });
    } else if (name.startsWith('D') && entrySeen) {
      entering = true;
      const first = entrySeen.get(name) ?? Date.now();
      entrySeen.set(name, first);
      // A taker that died while entering: gone at once when its entry file or member names a dead
      // process of this machine, else after it made no progress for VMware's 8 s.
      const n = name.slice(1);
      if (Date.now() - first > ENTRY_DEARTH_MS || await enteredByDeadProcess(lockDir, n, id)) {
        await rm(join(lockDir, `M${n}`), { force: true });
        await rm(join(lockDir, `E${n}`), { force: true });
        await rm(join(lockDir, name), { recursive: true, force: true });
      }
    }
  }
  if (entering) return null;
  const myChecksum = locationChecksum(lockDir);
  const out: Member[] = [];
  for (const name of names) {
    if (!name.startsWith('M') || !VALID_NAME.test(name) || name === skip) continue;
    const bytes = await readFile(join(lockDir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null; // released meanwhile
      throw err;
    });
    if (bytes === null) continue;
    const m = decodeMember(name, bytes);
    let stale = m === null;
    if (m && m.machineId === id.machineId) {
      stale = !(await ownerAlive(m.executionId))
        || (m.executionId === id.executionId && m.checksum !== undefined && m.checksum !== myChecksum); // moved with its folder
    }
    if (stale) {
      await rm(join(lockDir, name), { force: true });
      continue;
    }
    out.push(m!);
  }
  return out;
}

/** Whether the entry file or member of entry number `n` ("00042.lck") names a dead process here. */
async function enteredByDeadProcess(lockDir: string, n: string, id: Identity): Promise<boolean> {
  for (const name of [`M${n}`, `E${n}`]) {
    const bytes = await readFile(join(lockDir, name)).catch(() => null);
    const m = bytes && decodeMember(name, bytes);
    if (m) return m.machineId === id.machineId && !(await ownerAlive(m.executionId));
  }
  return false;
}

// ---- Taking one lock -------------------------------------------------------------------------

/** Lock one file; returns the member file to remove on release (null: an implicit read lock). */
async function lockFile(file: string, mode: LockMode, qemu: QemuLock[]): Promise<string | null> {
  const exclusive = mode === 'exclusive';
  await refuseIfQemuConflicts(file, exclusive, qemu);
  const lockDir = await lockDirectoryOf(file);
  const id = await me();
  let n: string;
  try {
    for (;;) {
      try {
        await mkdir(lockDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // The last holder may remove the directory between our mkdir and this look: enter again.
        const st = await stat(lockDir).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return null; throw e; });
        if (st === null) continue;
        if (!st.isDirectory()) {
          throw new VixError(VIX_E_FILE_ALREADY_LOCKED, `${file} is locked (${lockDir} is an old-style lock file)`);
        }
      }
      n = String(Math.floor(Math.random() * 100000)).padStart(5, '0');
      try {
        await mkdir(join(lockDir, `D${n}${SUFFIX}`));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOENT') continue; // number taken, or the directory was just removed
        throw err;
      }
      break;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A reader on a folder it cannot write gets an implicit shared lock, as VMware grants one.
    if (!exclusive && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) return null;
    if (err instanceof VixError) throw err;
    throw toVixError(err, `lock ${lockDir}`);
  }
  const entryDir = join(lockDir, `D${n}${SUFFIX}`);
  const entryFile = join(lockDir, `E${n}${SUFFIX}`);
  const memberName = `M${n}${SUFFIX}`;
  const memberFile = join(lockDir, memberName);
  const leave = async (memberIsNotOurs = false): Promise<void> => {
    await rm(entryFile, { force: true }).catch(() => undefined);
    if (!memberIsNotOurs) await rm(memberFile, { force: true }).catch(() => undefined);
    await rmdir(entryDir).catch(() => undefined);
    await rmdir(lockDir).catch(() => undefined);
  };
  try {
    // Choose a number one past every member's, and publish it.
    const fh = await open(entryFile, 'w'); // ours while we hold D<n>: debris of a dead taker is overwritten
    let number: number;
    try {
      const members = (await scanMembers(lockDir, id, null, null))!;
      // A member already has our random name: never overwrite it; leave, and enter again.
      if (members.some((m) => m.name === memberName)) throw new NameTaken();
      number = 1 + members.reduce((max, m) => Math.max(max, m.number), 0);
      await fh.write(encodeMember(id, number, exclusive, locationChecksum(lockDir)));
    } finally {
      await fh.close();
    }
    await rename(entryFile, memberFile);
    await rmdir(entryDir);
    // Possession: wait while anyone is entering; then any earlier conflicting member wins.
    const entrySeen = new Map<string, number>();
    const since = Date.now();
    for (;;) {
      const members = await scanMembers(lockDir, id, memberName, entrySeen);
      if (members === null) {
        // Entries are removed after 8 s without progress; one that cannot be is not waited for forever.
        if (Date.now() - since > 2 * ENTRY_DEARTH_MS) {
          throw new VixError(VIX_E_FILE_ALREADY_LOCKED, `${file} is locked: an entry in ${lockDir} has stayed for ${2 * ENTRY_DEARTH_MS / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, ENTRY_POLL_MS));
        continue;
      }
      const holder = members.find((m) => (m.number < number || (m.number === number && m.name < memberName)) && (m.exclusive || exclusive));
      if (holder) throw new VixError(VIX_E_FILE_ALREADY_LOCKED, await describeHolder(file, lockDir, holder, id));
      return memberFile;
    }
  } catch (err) {
    await leave(err instanceof NameTaken);
    if (err instanceof NameTaken) return lockFile(file, mode, qemu);
    if (err instanceof VixError) throw err;
    throw toVixError(err, `lock ${lockDir}`);
  }
}

/** Our random member number is in use (1 in 100000 per member): choose another. */
class NameTaken extends Error {}

async function describeHolder(file: string, lockDir: string, holder: Member, id: Identity): Promise<string> {
  const since = await stat(join(lockDir, holder.name)).then((s) => ` since ${s.mtime.toISOString()}`, () => '');
  const pid = /^\d+/.exec(holder.executionId)?.[0] ?? holder.executionId;
  const who = holder.machineId === id.machineId
    ? `pid ${pid} on host ${holder.host ?? id.host}${holder.executionId === id.executionId ? ' (this process)' : ''}`
    : holder.host ? `pid ${pid} on host ${holder.host}` : `machine ${holder.machineId} (process ${holder.executionId})`;
  return `${file} is locked ${holder.exclusive ? 'for writing' : 'for reading'} by ${who}${since}`;
}

// ---- QEMU's locks ----------------------------------------------------------------------------

interface QemuLock {
  major: number;
  minor: number;
  inode: bigint;
  start: number;
  end: number;
}

/** QEMU's OFD locks as /proc/locks lists them; empty where there is no /proc/locks. */
async function readQemuLocks(): Promise<QemuLock[]> {
  const text = await readFile('/proc/locks', 'utf8').catch(() => '');
  const out: QemuLock[] = [];
  for (const line of text.split('\n')) {
    // "1: OFDLCK ADVISORY  READ -1 fe:00:2146452 100 101" (device in hex, inode and range in decimal)
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'OFDLCK') continue;
    const dev = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/i.exec(f[5] ?? '');
    if (!dev) continue;
    const start = Number(f[6]);
    const end = f[7] === 'EOF' ? Infinity : Number(f[7]);
    if (start > QEMU_LOCK_UNSHARED_BASE + 8 || end < QEMU_LOCK_HELD_BASE) continue;
    out.push({ major: parseInt(dev[1]!, 16), minor: parseInt(dev[2]!, 16), inode: BigInt(dev[3]!), start, end });
  }
  return out;
}

async function refuseIfQemuConflicts(file: string, exclusive: boolean, qemu: QemuLock[]): Promise<void> {
  if (qemu.length === 0) return;
  const st = await stat(file, { bigint: true }).catch(() => null);
  if (!st) return;
  // Linux's dev_t: major in bits 8-19 and 32+, minor in bits 0-7 and 20+.
  const major = Number(((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn));
  const minor = Number((st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn));
  const locked = (byte: number): boolean => qemu.some((l) => l.major === major && l.minor === minor && l.inode === st.ino && l.start <= byte && byte <= l.end);
  let why: string | null = null;
  if (exclusive && locked(QEMU_LOCK_HELD_BASE + QEMU_PERM_WRITE)) why = 'qemu has it open for writing';
  else if (exclusive && locked(QEMU_LOCK_UNSHARED_BASE + QEMU_PERM_WRITE)) why = 'qemu has it open and does not share writing';
  else if (locked(QEMU_LOCK_UNSHARED_BASE + QEMU_PERM_CONSISTENT_READ)) why = 'qemu has it open and does not share reading';
  if (why) throw new VixError(VIX_E_FILE_ALREADY_LOCKED, `${file} is locked: ${why}`);
}
