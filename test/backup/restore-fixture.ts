import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { openDevice } from '../../src/device/open-device.js';
import { Repository } from '../../src/restic/repository.js';
import { writeOtherSnapshot, writeTestBackup } from '../support/backup-repo.js';
import { runVixdisk, type CliRun } from '../support/run-cli.js';
import { seededBytes } from '../support/xorshift.js';

// The repository the restore tests share: vixdisk backups laid out as manifest.ts says (two VMs,
// a full and an incremental, disks of odd sizes with holes), a snapshot of another tool, and a
// backup whose manifest digest does not match its disk.

export const MiB = 1 << 20;
export const PASSWORD = 'restore test password';

export interface RestoreFixture {
  dir: string;
  repoPath: string;
  ids: Record<'webFull' | 'other' | 'webIncr' | 'db' | 'badDigest', string>;
  webFull: Buffer[];
  webIncr: Buffer[];
  db: Buffer;
  vixdisk(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  /** Runs, must exit 0 with nothing on stderr. */
  ok(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  close(): Promise<void>;
}

export async function readDisk(path: string): Promise<Buffer> {
  const dev = await openDevice(path, { readOnly: true });
  try {
    const b = Buffer.alloc(dev.capacity);
    await dev.read(0, b);
    return b;
  } finally {
    await dev.close();
  }
}

export async function restoreFixture(): Promise<RestoreFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-restore-'));
  const repoPath = join(dir, 'repo');
  const ids = {} as RestoreFixture['ids'];
  // Disk 0: 5 MiB + 1536 bytes (the last chunk short), data in chunks 0 and 3 and the tail, holes between.
  const d0 = Buffer.alloc(5 * MiB + 1536);
  seededBytes(MiB, 1).copy(d0, 0);
  seededBytes(300_000, 2).copy(d0, 3 * MiB + 4096);
  seededBytes(1536, 3).copy(d0, 5 * MiB);
  const d1 = seededBytes(2 * MiB + 4096, 4);
  const i0 = Buffer.from(d0);
  seededBytes(MiB, 5).copy(i0, 2 * MiB);
  i0.fill(0, 0, 4096);
  const db = seededBytes(3 * MiB, 6);
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  try {
    ids.webFull = await writeTestBackup(repo, { vm: 'web', disks: [{ file: 'web.raw', data: d0 }, { file: 'web_1.raw', data: d1, chunkSize: 256 << 10 }], time: '2026-12-01T10:00:00Z' });
    ids.other = await writeOtherSnapshot(repo, { 'notes.txt': Buffer.from('not a disk\n') });
    ids.webIncr = await writeTestBackup(repo, {
      vm: 'web', kind: 'incremental', parent: ids.webFull, time: '2026-12-02T10:00:00Z',
      disks: [{ file: 'web.raw', data: i0 }, { file: 'web_1.raw', data: d1, chunkSize: 256 << 10 }],
    });
    ids.db = await writeTestBackup(repo, { vm: 'db', moref: 'vm-17', disks: [{ file: 'db.raw', data: db, adapterType: 'pvscsi' }], time: '2026-12-03T10:00:00Z' });
    ids.badDigest = await writeTestBackup(repo, {
      vm: 'bad', disks: [{ file: 'bad.raw', data: seededBytes(MiB, 7) }], time: '2026-11-01T10:00:00Z', digestOverride: () => 'ab'.repeat(32),
    });
  } finally {
    await repo.close();
  }
  const vixdisk = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runVixdisk(args, { cwd: dir, env: { ...process.env, RESTIC_PASSWORD: PASSWORD, ...env }, timeoutMs: 60_000 });
  return {
    dir, repoPath, ids, webFull: [d0, d1], webIncr: [i0, d1], db, vixdisk,
    ok: async (args, env = {}) => {
      const r = await vixdisk(args, env);
      assert.equal(r.code, 0, `vixdisk ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.equal(r.stderr, '', `vixdisk ${args.join(' ')} wrote to stderr`);
      return r;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
