import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callAdmin } from '../../src/host/admin-endpoint.js';
import type { VixDiskLibConnectParams } from '../../src/vix/types.js';
import { VimClient } from '../../src/vsphere/vim-client.js';
import { startHost, type RunningHost } from '../support/host-process.js';
import { datastoreFile, readWholeDisk } from '../support/whole-disk.js';

/** A `vixdisk host` in a temporary folder, a repository path beside it, and helpers the backup tests share. */
export interface BackupWorld {
  host: RunningHost;
  dir: string;
  repoPath: string;
  /** The environment a `vixdisk backup` child needs (host, user, passwords, repository, cache). */
  env: NodeJS.ProcessEnv;
  params(): VixDiskLibConnectParams;
  vim(): Promise<VimClient>;
  guestWrite(vm: string, disk: number, offset: number, data: Buffer): Promise<void>;
  /** A datastore file (a disk of a snapshot: its frozen chain) read whole with our engine. */
  readDisk(datastorePath: string): Promise<Buffer>;
  close(): Promise<void>;
}

export const REPO_PASSWORD = 'backup test password';

export async function startBackupWorld(personality: 'vcenter' | 'esxi' = 'vcenter'): Promise<BackupWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-backup-'));
  const host = await startHost(['--data', join(dir, 'host'), '--personality', personality]);
  const url = new URL(host.ready.url);
  const vims: VimClient[] = [];
  const repoPath = join(dir, 'repo');
  return {
    host, dir, repoPath,
    env: {
      ...process.env,
      VIXDISK_HOST: url.hostname, VIXDISK_PORT: url.port, VIXDISK_USER: 'backup', VIXDISK_THUMBPRINT: host.ready.thumbprintSha1,
      VIXDISK_PASSWORD: host.password('backup'), RESTIC_REPOSITORY: repoPath, RESTIC_PASSWORD: REPO_PASSWORD,
      VIXDISK_CACHE_DIR: join(dir, 'cache'),
    },
    params: () => ({
      serverName: url.hostname, port: Number(url.port), thumbPrint: host.ready.thumbprintSha1, credType: 1,
      creds: { uid: { userName: 'backup', password: host.password('backup') } },
    }),
    vim: async () => {
      const c = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
      await c.login('administrator', host.password('administrator'));
      vims.push(c);
      return c;
    },
    guestWrite: (vm, disk, offset, data) => callAdmin(join(dir, 'host'), { op: 'guest-write', vm, disk, offset, data: data.toString('base64') }),
    readDisk: (path) => readWholeDisk(datastoreFile(join(dir, 'host'), path)),
    close: async () => {
      for (const v of vims) {
        await v.logout().catch(() => undefined);
        v.close();
      }
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A deterministic pseudo-random generator (xorshift32) for offsets and data. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

export function randomBytesOf(length: number, next: () => number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(next() * 256);
  return b;
}
