import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../support/host-process.js';
import { createVixDiskLib, type VixDiskLibApi } from '../../src/vix/vixdisklib.js';
import type { VixDiskLibConnectParams } from '../../src/vix/types.js';
import { datastoreFile, readWholeDisk } from '../support/whole-disk.js';
import { VimClient } from '../../src/vsphere/vim-client.js';

/** A `vixdisk host` process on loopback with its own temporary data folder, and helpers around it. */
export interface RemoteWorld {
  host: RunningHost;
  dir: string;
  lib: VixDiskLibApi;
  logs: string[];
  params(user: string, extra?: Partial<VixDiskLibConnectParams>): VixDiskLibConnectParams;
  /** A logged-in vim25 client for driving the host as a backup application does. */
  vim(user: string): Promise<VimClient>;
  /** The host's own file behind a datastore path, read with our engine. */
  readDatastoreFile(path: string): Promise<Buffer>;
  close(): Promise<void>;
}

export { datastoreFile };

export async function startRemoteWorld(personality: 'vcenter' | 'esxi', options: { backupProxies?: string[] } = {}): Promise<RemoteWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-remote-'));
  let host = await startHost(['--data', dir, '--personality', personality]);
  if (options.backupProxies) {
    // Backup proxies are named in host.json: the first start wrote it, the second one reads them.
    await host.stop();
    const configFile = join(dir, 'host.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...config, backupProxies: options.backupProxies }, null, 2));
    host = await startHost(['--data', dir, '--personality', personality]);
  }
  const url = new URL(host.ready.url);
  const lib = createVixDiskLib();
  const logs: string[] = [];
  // The InitEx config a backup application writes: info logging, bigger NFC buffers, timeouts.
  const configFile = join(dir, 'vixdisklib.conf');
  await writeFile(configFile, [
    'vixDiskLib.transport.LogLevel = 4', 'vixDiskLib.nfcAio.Session.BufSizeIn64KB = 4', 'vixDiskLib.nfcAio.Session.BufCount = 8',
    'vixDiskLib.nfc.ReadTimeoutMs = 30000', 'vixDiskLib.nfc.RequestTimeoutMs = 60000', '',
  ].join('\n'));
  await lib.InitEx(8, 0, (m) => logs.push(m), (m) => logs.push(`WARN ${m}`), (m) => logs.push(`PANIC ${m}`), null, configFile);
  const vims: VimClient[] = [];
  return {
    host, dir, lib, logs,
    params: (user, extra = {}) => ({
      vmxSpec: personality === 'vcenter' ? 'moref=vm-15' : 'moref=15',
      serverName: url.hostname,
      port: Number(url.port),
      thumbPrint: host.ready.thumbprintSha1,
      credType: 1,
      creds: { uid: { userName: user, password: host.password(user) } },
      ...extra,
    }),
    vim: async (user) => {
      const c = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
      await c.login(user, host.password(user));
      vims.push(c);
      return c;
    },
    readDatastoreFile: (path) => readWholeDisk(datastoreFile(dir, path)),
    close: async () => {
      for (const v of vims) {
        await v.logout().catch(() => undefined);
        v.close();
      }
      lib.Exit();
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The VixError a promise rejects with (fails the test if it resolves). */
export async function vixFailure(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; message: string };
  }
  throw new Error('expected a failure');
}
