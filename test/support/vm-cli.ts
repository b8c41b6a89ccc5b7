import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from './host-process.js';
import { runVixdisk, type CliRun } from './run-cli.js';

/** A `vixdisk host` and the built `vixdisk vm …` against it, the connection in the environment. */
export interface VmCliWorld {
  host: RunningHost;
  dir: string;
  /** The environment a user sets: host, port, thumbprint, user and that user's password. */
  env(user?: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  vm(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  /** `vm ARGS --json`, which must succeed: its document. */
  json<T>(args: string[]): Promise<T>;
  close(): Promise<void>;
}

export async function startVmCliWorld(personality: 'esxi' | 'vcenter'): Promise<VmCliWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-vmcli-'));
  const host = await startHost(['--data', dir, '--personality', personality]);
  const env = (user = 'administrator', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const u = new URL(host.ready.url);
    const e: NodeJS.ProcessEnv = {
      ...process.env, VIXDISK_HOST: u.hostname, VIXDISK_PORT: u.port, VIXDISK_THUMBPRINT: host.ready.thumbprintSha1,
      VIXDISK_USER: user, VIXDISK_PASSWORD: host.password(user), ...extra,
    };
    delete e.VIXDISK_PASSWORD_FILE;
    return e;
  };
  const vm = (args: string[], e = env()) => runVixdisk(['vm', ...args], { env: e, timeoutMs: 60_000 });
  return {
    host, dir, env, vm,
    json: async <T>(args: string[]): Promise<T> => {
      const r = await vm([...args, '--json']);
      assert.equal(r.code, 0, `vm ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    close: async () => {
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
