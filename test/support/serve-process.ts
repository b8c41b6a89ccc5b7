import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `vixdisk serve` as its own process, the way a user starts it: the tests that need a real server
// process (its locks, its workers, its shutdown) start it here and read its URI from the
// "serving ... at URI" line it prints when it is ready.

const BIN = fileURLToPath(new URL('../../../bin/vixdisk.js', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  /** The URI the server printed (nbd://… or nbd+unix://…). */
  uri: string;
  /** The TCP port, or null for a Unix socket. */
  port: number | null;
  /** What the process has written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit status when the process ends. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit status (a process that does not stop in time fails the test). */
  stop(): Promise<number | null>;
}

/** Start `vixdisk serve ...args` and wait until it serves; killed when the test ends. */
export async function startServe(t: { after: (fn: () => void) => void }, args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; startTimeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const uri = await within(new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^serving .* at (\S+)/m.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited early: ${err}`)));
  }), options.startTimeoutMs ?? 15_000, 'serve to start');
  const port = uri.startsWith('nbd+unix:') ? null : Number(new URL(uri).port);
  return {
    child, uri, port, exited,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      return within(exited, 10_000, 'serve to stop');
    },
  };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}
