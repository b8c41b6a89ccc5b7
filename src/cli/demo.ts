import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { findRestorePoint } from '../backup/restore-point.js';
import { backupVm, type VmBackupResult } from '../backup/vm-backup.js';
import type { BlockDevice } from '../block/block-device.js';
import { openDevice } from '../device/open-device.js';
import { callAdmin } from '../host/admin-endpoint.js';
import { Repository } from '../restic/repository.js';
import { VIXDISKLIB_CRED_UID } from '../vix/constants.js';
import type { VixDiskLibConnectParams } from '../vix/types.js';
import { createVixDiskLib } from '../vix/vixdisklib.js';
import { VmdkDisk } from '../vmdk/disk.js';
import { restoreDisk } from './restore.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';

// vixdisk demo (what `npm start` runs): the backup tour. The embedded host simulator starts in a
// temporary folder with its default VMs; the guest of the running VM "web" writes into its two
// disks; a full backup over nbdssl goes into a new restic repository; the guest writes again; an
// incremental reads only what changed-block tracking says changed; the latest restore point is
// restored to local VMDKs and proved byte for byte against the disks the vSphere snapshot froze;
// restic checks the repository when it is installed. Everything is removed at the end (and on Ctrl-C).

const BIN = fileURLToPath(new URL('../../../bin/vixdisk.js', import.meta.url));
const MiB = 1 << 20;
const VM = 'web';

interface HostReady {
  url: string;
  thumbprintSha1: string;
  users: Array<{ name: string; password?: string }>;
}

/** `vixdisk host` in its own process, on loopback, with a data folder of its own. */
async function startHost(dataDir: string): Promise<{ child: ChildProcess; ready: HostReady }> {
  const child = spawn(process.execPath, [BIN, 'host', '--data', dataDir, '--port', '0', '--nfc-port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
  const ready = await new Promise<HostReady>((resolveReady, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        try {
          resolveReady(JSON.parse(out.slice(0, nl)) as HostReady);
        } catch {
          reject(new Error(`vixdisk host printed no ready line: ${out.slice(0, 200)}`));
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`vixdisk host exited (${code}) before it was ready: ${err.trim().split('\n').pop() ?? ''}`)));
  });
  child.stdout!.resume();
  return { child, ready };
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function onPath(name: string): Promise<string | null> {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, name);
    if (await access(p, fsConstants.X_OK).then(() => true, () => false)) return p;
  }
  return null;
}

/** SHA-256 of a whole device, read 4 MiB at a time. */
async function deviceHash(dev: BlockDevice): Promise<string> {
  const h = createHash('sha256');
  const buf = Buffer.alloc(4 * MiB);
  for (let o = 0; o < dev.capacity; o += buf.length) {
    const n = Math.min(buf.length, dev.capacity - o);
    await dev.read(o, buf.subarray(0, n));
    h.update(buf.subarray(0, n));
  }
  return h.digest('hex');
}

function seconds(t0: bigint): string {
  return `${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)} s`;
}

/** The guest writes `count` blocks of random data at random 512-byte aligned offsets of each disk. */
async function guestWrites(hostDir: string, disks: number, blocks: Array<{ length: number }>, next: () => number): Promise<number> {
  let total = 0;
  for (let disk = 0; disk < disks; disk++) {
    for (const b of blocks) {
      const offset = 512 * Math.floor(next() * ((64 * MiB - b.length) / 512));
      await callAdmin(hostDir, { op: 'guest-write', vm: VM, disk, offset, data: randomBytes(b.length).toString('base64') });
      total += b.length;
    }
  }
  return total;
}

function backupLines(r: VmBackupResult, changed?: number): string {
  const lines = [`   restic snapshot ${r.snapshotId.slice(0, 8)}, ${r.kind}, over ${r.transportMode}, ${r.seconds.toFixed(2)} s\n`];
  for (const d of r.disks) {
    const rate = d.seconds > 0 ? `, ${formatSize(Math.round(d.bytesRead / d.seconds))}/s` : '';
    lines.push(`     ${d.file}: ${d.kind}${d.reason ? ` (${d.reason})` : ''}: read ${formatSize(d.bytesRead)} of ${formatSize(d.capacityBytes)}${rate}, ` +
      `stored ${formatSize(d.bytesNew)} new, ${d.chunksReused} chunks reused without reading\n`);
  }
  if (changed !== undefined) {
    const read = r.disks.reduce((n, d) => n + d.bytesRead, 0);
    lines.push(`   the guest changed ${formatSize(changed)}; the incremental read ${formatSize(read)} (${(read / changed).toFixed(1)}x, whole 1 MiB chunks)\n`);
  }
  return lines.join('');
}

export async function runDemo(dir: string | undefined, out: (text: string) => void): Promise<void> {
  const started = process.hrtime.bigint();
  const keep = dir !== undefined;
  const folder = keep ? resolve(dir) : await mkdtemp(join(tmpdir(), 'vixdisk-demo-'));
  if (keep) await mkdir(folder, { recursive: true });
  const hostDir = join(folder, 'host');
  const repoPath = join(folder, 'repo');
  let host: ChildProcess | null = null;
  let repo: Repository | null = null;
  const lib = createVixDiskLib();
  // Ctrl-C: stop the host and remove what the demo made, then leave.
  const onSigint = () => {
    void (async () => {
      out('\ninterrupted: cleaning up\n');
      if (host) await stopHost(host).catch(() => undefined);
      // The interrupted backup may still be writing packs into the folder for a moment: retry
      // the removal (ENOTEMPTY) rather than leave a half-removed folder behind.
      if (!keep) await rm(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }).catch(() => undefined);
      process.exit(130);
    })();
  };
  process.on('SIGINT', onSigint);
  try {
    out(`vixdisk demo in ${folder}\n\n`);
    let t0 = process.hrtime.bigint();
    const h = await startHost(hostDir);
    host = h.child;
    const password = h.ready.users.find((u) => u.name === 'backup')?.password;
    if (!password) throw new Error('the host printed no password for the backup user');
    const url = new URL(h.ready.url);
    out(`1. host simulator (vim25 SOAP, NFC, CBT) at ${h.ready.url}, thumbprint ${h.ready.thumbprintSha1.slice(0, 23)}…, started in ${seconds(t0)}\n` +
      `   default VMs: web (running, two 64 MiB disks), db, app; user "backup" holds the backup role\n`);

    const next = ((s: number) => () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32))(42);
    t0 = process.hrtime.bigint();
    const first = await guestWrites(hostDir, 2, [{ length: 4 * MiB }, { length: 2 * MiB }, { length: 3 * MiB }, { length: MiB + 512 }, { length: 700_000 }], next);
    out(`2. the guest of ${VM} writes ${formatSize(first)} of random data into its two disks (${seconds(t0)})\n`);

    const repoPassword = randomBytes(18).toString('base64');
    const passwordFile = join(folder, 'restic-password');
    await writeFile(passwordFile, `${repoPassword}\n`, { mode: 0o600 });
    t0 = process.hrtime.bigint();
    repo = await Repository.create(repoPath, repoPassword, { kdf: { N: 32768, r: 8, p: 1 } });
    out(`3. a new restic repository (format 2, scrypt key, AES-256-CTR + Poly1305) at ${repoPath} (${seconds(t0)})\n`);

    await lib.InitEx(8, 0, null, null, null, null, null);
    const connect: VixDiskLibConnectParams = {
      serverName: url.hostname, port: Number(url.port), thumbPrint: h.ready.thumbprintSha1, credType: VIXDISKLIB_CRED_UID,
      creds: { uid: { userName: 'backup', password } },
    };
    // The disks as each vSphere snapshot froze them, read from the host's files before the backup reads them.
    let frozen = new Map<string, string>();
    const backup = (full: boolean) => {
      frozen = new Map();
      return backupVm({
        lib, connect, modes: 'nbdssl', vm: VM, repo: repo!, full, checkpointDir: join(folder, 'checkpoints'),
        onSnapshot: async (_s, disks) => {
          for (const d of disks) {
            const m = /^\[([^\]]+)\]\s*(.+)$/.exec(d.fileName)!;
            const disk = await VmdkDisk.open(join(hostDir, 'datastores', m[1]!, m[2]!), { readOnly: true });
            try {
              frozen.set(d.label, await deviceHash(disk));
            } finally {
              await disk.close();
            }
          }
        },
      });
    };
    const full = await backup(false);
    out(`4. full backup of ${VM} over nbdssl: snapshot, QueryAllocatedBlocks, reads in flight, 1 MiB chunks as restic blobs\n${backupLines(full)}`);

    t0 = process.hrtime.bigint();
    const changed = await guestWrites(hostDir, 2, [{ length: 64 * 1024 }, { length: 300_000 }, { length: 512 }], next);
    out(`5. the guest writes again: ${formatSize(changed)} in six places (${seconds(t0)})\n`);

    const incr = await backup(false);
    out(`6. incremental backup: QueryChangedDiskAreas since the full's changeId; unchanged chunks keep their blobs\n${backupLines(incr, changed)}`);

    t0 = process.hrtime.bigint();
    const point = await findRestorePoint(repo, 'latest', VM);
    out(`7. restore the latest point (${point.snapshot.id.slice(0, 8)}) to local VMDKs, every blob authenticated and hashed:\n`);
    // 8. each restored disk proved against the disk the snapshot froze (its SHA-256, taken in onSnapshot).
    for (let i = 0; i < point.manifest.disks.length; i++) {
      const d = point.manifest.disks[i]!;
      const dest = join(folder, d.file.replace(/\.raw$/, '.vmdk'));
      const r = await restoreDisk(repo, point, i, dest);
      const dev = await openDevice(dest, { readOnly: true });
      let same: boolean;
      try {
        same = (await deviceHash(dev)) === frozen.get(d.label);
      } finally {
        await dev.close();
      }
      out(`   ${dest}: ${r.blobsLoaded} blobs, ${formatSize(r.bytesRead)} read, ${formatSize(r.bytesWritten)} written in ${r.seconds.toFixed(2)} s` +
        ` (${formatSize(Math.round(r.bytesRead / Math.max(r.seconds, 1e-3)))}/s)\n`);
      out(`     ${d.label}: ${same ? 'identical, byte for byte, to the disk the vSphere snapshot froze' : 'DIFFERENT from the disk at the snapshot'}\n`);
      if (!same) throw new Error(`the restored ${d.label} differs from the VM's disk at the snapshot`);
    }
    await repo.close();
    repo = null;

    const restic = await onPath('restic');
    if (restic) {
      t0 = process.hrtime.bigint();
      const r = await new Promise<{ code: number | null; text: string }>((done) => {
        const c = spawn(restic, ['-r', repoPath, '--no-cache', 'check', '--read-data'], {
          env: { ...process.env, RESTIC_PASSWORD_FILE: passwordFile, RESTIC_PASSWORD: '' }, stdio: ['ignore', 'pipe', 'pipe'],
        });
        let text = '';
        c.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
        c.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
        c.once('close', (code) => done({ code, text }));
      });
      out(`8. restic check --read-data: ${r.code === 0 ? 'no errors were found' : `FAILED\n${r.text}`} (${seconds(t0)})\n`);
      if (r.code !== 0) throw new Error('restic check found errors in the repository');
    } else {
      out('8. restic is not installed: skipped `restic check` (Debian: apt install restic)\n');
    }
    out(`\ndone in ${seconds(started)}. Try it yourself:\n` +
      `  vixdisk host --data /tmp/lab --port 8443        # then, with its printed thumbprint and backup password:\n` +
      `  VIXDISK_PASSWORD_FILE=pw RESTIC_PASSWORD_FILE=rpw vixdisk backup --host 127.0.0.1 --port 8443 --user backup \\\n` +
      `      --thumbprint <sha1> --vm web --repo /tmp/repo --init\n` +
      `  vixdisk snapshots --repo /tmp/repo; vixdisk restore --repo /tmp/repo latest --vm web --disk 0 --to web.vmdk\n` +
      (keep ? `the host data, repository and restored disks are in ${folder}\n` : `removing ${folder}\n`));
  } finally {
    process.off('SIGINT', onSigint);
    await repo?.close().catch(() => undefined);
    lib.Exit();
    if (host) await stopHost(host);
    if (!keep) await rm(folder, { recursive: true, force: true });
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('the backup tour: a host simulator, a running VM, full and incremental backups into a restic repository, a verified restore')
    .argument('[dir]', 'folder to work in and keep (default: a temporary folder, removed at the end)')
    .addHelpText('after', `
Starts \`vixdisk host\` (a vSphere host simulator) in a temporary folder, lets the guest of the
running VM "web" write into its disks, backs the VM up over nbdssl into a new restic repository
(full), lets the guest write again, takes an incremental that reads only the changed areas,
restores the latest restore point to local VMDKs and proves them identical to the disks the
vSphere snapshot froze, runs \`restic check --read-data\` when restic is installed, and prints
what happened and how fast. Ctrl-C stops it and removes what it made.`)
    .action(runAction(async (dir: string | undefined) => {
      await runDemo(dir, (t) => process.stdout.write(t));
    }));
}
