import { Command } from 'commander';
import { formatOption } from './format-option.js';
import { runAction } from './run-action.js';
import { UsageError } from './usage-error.js';
import { fork, type ChildProcess } from 'node:child_process';
import { readFile, realpath, rm } from 'node:fs/promises';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openDevice, type DeviceFormat } from '../device/open-device.js';
import { isVixUri } from '../device/vix-uri.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL, VIX_E_HOST_TCP_SOCKET_ERROR } from '../errors/error-codes.js';
import { formatNbdUri } from '../nbd/nbd-uri.js';
import { readPskFile } from '../nbd/psk-file.js';
import { NbdServer, type NbdServerTlsOptions } from '../nbd/server.js';

// vixdisk serve DISK: export any disk vixdisk opens (every VMDK type, chains, raw images, another
// NBD URI) over NBD, on loopback unless told otherwise, until SIGINT or SIGTERM; then it stops
// accepting, lets requests in flight finish, flushes and closes the disk.
//
// A read-only export can be served by several worker processes (one CPU each): this process
// accepts connections and hands each socket to the worker with the fewest, each worker having
// opened the disk read-only itself. Clients that open several connections (nbdcopy, qemu with
// multi-conn) then use several CPUs, as nbdkit's threads and nbd-server's processes do. A writable
// export is always served by this one process, so every connection sees one device.

export interface ServeOptions {
  /** Open the disk as this format whatever its name says. */
  format?: DeviceFormat;
  host?: string;
  /** TCP port (default 10809; 0 picks a free one, printed on the first line). */
  port?: number | string;
  /** Unix socket path instead of TCP. */
  socket?: string;
  /** Export name (default ""; a client asking for the default export gets this one too). */
  export?: string;
  readOnly?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  /** CA certificate file: clients must present a certificate it signed. */
  tlsCa?: string;
  /** GnuTLS-style PSK file (`identity:hexkey` per line). */
  tlsPsk?: string;
  /** Refuse clients that do not start TLS. */
  tlsRequire?: boolean;
  maxConnections?: number | string;
  /** Seconds a connection may sit idle (nothing in flight) before it is closed; 0 (default) = never. */
  idleTimeout?: number | string;
  /** Worker processes for a read-only export (default: CPUs, at most 4; 1 = serve in this process). */
  workers?: number | string;
  description?: string;
  /** Stop when this is aborted (for callers other than the command line). */
  signal?: AbortSignal;
  /** Where the "serving" line and diagnostics go (default stdout / stderr). */
  print?: (line: string) => void;
  log?: (line: string) => void;
}

/** What a worker needs to serve: the disk and the settings, as plain data. */
interface WorkerConfig {
  disk: string;
  format?: DeviceFormat;
  exportName: string;
  description: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsPsk?: string;
  tlsRequire: boolean;
  maxConnections: number;
  idleTimeoutMs: number;
}

type WorkerMessage = { type: 'ready' } | { type: 'failed'; message: string; code: number } | { type: 'closed' };

const WORKER_ENV = 'VIXDISK_SERVE_WORKER';

function positiveInteger(value: number | string | undefined, fallback: number, what: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} "${value}" is not a positive integer`);
  return n;
}

async function loadFile(f: string): Promise<Buffer> {
  try {
    return await readFile(f);
  } catch (err) {
    throw toVixError(err, f);
  }
}

async function tlsOptions(c: Pick<WorkerConfig, 'tlsCert' | 'tlsKey' | 'tlsCa' | 'tlsPsk' | 'tlsRequire'>): Promise<NbdServerTlsOptions | undefined> {
  if (!c.tlsCert && !c.tlsPsk) return undefined;
  return {
    cert: c.tlsCert ? await loadFile(c.tlsCert) : undefined,
    key: c.tlsKey ? await loadFile(c.tlsKey) : undefined,
    ca: c.tlsCa ? await loadFile(c.tlsCa) : undefined,
    verifyClient: !!c.tlsCa,
    psk: c.tlsPsk ? await readPskFile(c.tlsPsk) : undefined,
    require: c.tlsRequire,
  };
}

export async function serveCommand(disk: string, options: ServeOptions = {}): Promise<void> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const log = options.log ?? ((l: string) => process.stderr.write(`vixdisk serve: ${l}\n`));
  const port = options.port === undefined ? 10809 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`port "${options.port}" is not a TCP port number`);
  const maxConnections = positiveInteger(options.maxConnections, 100, '--max-connections');
  const idleTimeoutS = options.idleTimeout === undefined ? 0 : Number(options.idleTimeout);
  if (!Number.isFinite(idleTimeoutS) || idleTimeoutS < 0) throw new UsageError(`--idle-timeout "${options.idleTimeout}" is not a number of seconds`);
  if (!!options.tlsCert !== !!options.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
  if (options.tlsRequire && !options.tlsCert && !options.tlsPsk) {
    throw new UsageError('--tls-require needs --tls-cert and --tls-key (or --tls-psk)');
  }
  const config: WorkerConfig = {
    disk,
    format: options.format,
    exportName: options.export ?? '',
    description: options.description ?? disk,
    tlsCert: options.tlsCert, tlsKey: options.tlsKey, tlsCa: options.tlsCa, tlsPsk: options.tlsPsk,
    tlsRequire: !!options.tlsRequire,
    maxConnections,
    idleTimeoutMs: Math.round(idleTimeoutS * 1000),
  };
  const tls = await tlsOptions(config);
  // No more workers than connections: each worker holds at least one.
  // A vix:// disk is served by this process alone: each worker would log in to the host on its
  // own, and a password typed at the prompt cannot reach it; one NFC session keeps many requests
  // in flight anyway.
  const workers = options.readOnly && !isVixUri(disk)
    ? Math.min(maxConnections, positiveInteger(options.workers, Math.min(4, availableParallelism()), '--workers')) : 1;

  // The disk is opened here in any case: it must open before anything is announced.
  const device = await openDevice(disk, { readOnly: !!options.readOnly, format: options.format });
  let stopServing: () => Promise<void>;
  let uri: string;
  try {
    if (workers > 1) {
      await device.close();
      const pool = await WorkerPool.start(config, workers, log);
      try {
        uri = await pool.listen(options, !!tls);
      } catch (err) {
        await pool.stop();
        throw err;
      }
      stopServing = () => pool.stop();
    } else {
      const server = new NbdServer({
        exports: [{ name: config.exportName, device, description: config.description }],
        host: options.host ?? '127.0.0.1',
        port,
        socket: options.socket,
        readOnly: !!options.readOnly,
        tls,
        maxConnections,
        idleTimeoutMs: config.idleTimeoutMs,
        log,
      });
      await server.listen();
      uri = server.uri();
      stopServing = async () => {
        try {
          await server.close();
        } finally {
          await device.close();
        }
      };
    }
  } catch (err) {
    await device.close().catch(() => undefined);
    throw err;
  }
  print(`serving ${disk} at ${uri}${device.readOnly || options.readOnly ? ' (read-only)' : ''}`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      options.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop);
  });
  await stopServing();
}

/** Worker processes serving a read-only export; this process only accepts and hands sockets over. */
class WorkerPool {
  private readonly load = new Map<ChildProcess, number>();
  private server: net.Server | null = null;
  private socketPath: string | undefined;
  /** Set by stop(): workers exiting after it are expected, not news. */
  private stopping = false;

  private constructor(private readonly workers: ChildProcess[], private readonly config: WorkerConfig, private readonly log: (l: string) => void) {
    for (const w of workers) {
      this.load.set(w, 0);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'closed') {
          this.load.set(w, Math.max(0, (this.load.get(w) ?? 1) - 1));
        }
      });
      w.on('exit', (code) => {
        if (this.load.has(w) && !this.stopping) log(`worker ${w.pid} exited (${code ?? w.signalCode}); its connections are gone, the others serve on`);
        this.load.delete(w);
      });
    }
  }

  static async start(config: WorkerConfig, n: number, log: (l: string) => void): Promise<WorkerPool> {
    const entry = fileURLToPath(import.meta.url);
    const workers = Array.from({ length: n }, () => fork(entry, [], {
      env: { ...process.env, [WORKER_ENV]: '1' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }));
    const pool = new WorkerPool(workers, config, log);
    try {
      await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
        const onMessage = (m: WorkerMessage) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'failed') reject(new VixError(m.code, m.message));
        };
        w.on('message', onMessage);
        w.once('exit', (code) => reject(new VixError(VIX_E_FAIL, `a serve worker exited (${code}) before it was ready`)));
        w.send({ type: 'config', config: { ...config, maxConnections: pool.share(w) } });
      })));
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  async listen(options: ServeOptions, tls: boolean): Promise<string> {
    const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.dispatch(socket));
    this.server = server;
    const host = options.host ?? '127.0.0.1';
    const port = options.port === undefined ? 10809 : Number(options.port);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new VixError(VIX_E_HOST_TCP_SOCKET_ERROR,
        `cannot listen on ${options.socket ?? `${host}:${port}`}: ${err.code ?? err.message}`, { cause: err })));
      if (options.socket) server.listen(options.socket, () => resolve());
      else server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => this.log(`server error: ${err.message}`));
    this.socketPath = options.socket;
    const bound = server.address();
    return formatNbdUri({
      tls, exportName: this.config.exportName,
      ...(options.socket ? { socket: options.socket } : { host, port: bound && typeof bound === 'object' ? bound.port : port }),
    });
  }

  /**
   * The connections worker `w` holds at most: the limit split over the workers, so together they
   * hold the limit. Each makes room in its share as one server does (the client idle longest).
   */
  share(w: ChildProcess): number {
    const i = this.workers.indexOf(w);
    const n = this.workers.length;
    return Math.floor(this.config.maxConnections / n) + (i < this.config.maxConnections % n ? 1 : 0);
  }

  private dispatch(socket: net.Socket): void {
    const live = [...this.load.entries()].filter(([w]) => w.connected);
    if (live.length === 0) {
      socket.destroy();
      return;
    }
    // The worker with the most room; when all are full, it makes room or refuses.
    const room = ([w, n]: [ChildProcess, number]) => this.share(w) - n;
    const [worker, n] = live.reduce((a, b) => (room(b) > room(a) ? b : a));
    this.load.set(worker, n + 1);
    worker.send({ type: 'socket' }, socket, { keepOpen: false }, (err) => {
      if (err) {
        socket.destroy();
        this.load.set(worker, Math.max(0, (this.load.get(worker) ?? 1) - 1));
      }
    });
  }

  /** Stop accepting; each worker finishes its requests in flight, closes its disk and exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = this.server ? new Promise<void>((r) => this.server!.close(() => r())) : Promise.resolve();
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.exitCode !== null || w.signalCode !== null) return resolve();
      const t = setTimeout(() => w.kill('SIGKILL'), 10_000);
      w.once('exit', () => { clearTimeout(t); resolve(); });
      if (w.connected) w.send({ type: 'shutdown' });
      else w.kill('SIGTERM');
    })));
    await closed;
    if (this.socketPath) await rm(this.socketPath, { force: true }).catch(() => undefined);
  }
}

/** The worker side: open the disk read-only, serve the sockets handed over, stop on request. */
async function runWorker(): Promise<void> {
  // A worker ignores the terminal's SIGINT (and a SIGTERM sent to the whole group): its parent
  // decides when it stops, and a worker whose parent is gone stops on 'disconnect' below.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  const send = (m: WorkerMessage) => process.send?.(m);
  let server: NbdServer | null = null;
  let closeDevice: (() => Promise<void>) | null = null;
  const pending: net.Socket[] = [];
  process.on('message', (m: { type: string; config?: WorkerConfig }, socket?: net.Socket) => {
    if (m.type === 'config') {
      void (async () => {
        try {
          const c = m.config!;
          const device = await openDevice(c.disk, { readOnly: true, format: c.format });
          closeDevice = () => device.close();
          server = new NbdServer({
            exports: [{ name: c.exportName, device, description: c.description }],
            readOnly: true,
            tls: await tlsOptions(c),
            maxConnections: c.maxConnections,
            idleTimeoutMs: c.idleTimeoutMs,
          });
          send({ type: 'ready' });
          for (const s of pending.splice(0)) void server.handle(s).finally(() => send({ type: 'closed' }));
        } catch (err) {
          const e = toVixError(err);
          send({ type: 'failed', message: e.message, code: e.code });
          process.exit(1);
        }
      })();
    } else if (m.type === 'socket' && socket) {
      if (server) void server.handle(socket).finally(() => send({ type: 'closed' }));
      else pending.push(socket);
    } else if (m.type === 'shutdown') {
      void (async () => {
        await server?.close().catch(() => undefined);
        await closeDevice?.().catch(() => undefined);
        process.disconnect?.();
        process.exit(0);
      })();
    }
  });
  process.on('disconnect', () => {
    // The parent went away without asking: stop as cleanly as possible.
    void (async () => {
      await server?.close().catch(() => undefined);
      await closeDevice?.().catch(() => undefined);
      process.exit(0);
    })();
  });
}

if (process.env[WORKER_ENV] === '1' && process.send && process.argv[1]
  && await realpath(process.argv[1]).catch(() => '') === await realpath(fileURLToPath(import.meta.url)).catch(() => null)) {
  delete process.env[WORKER_ENV];
  await runWorker();
}

/** The `vixdisk serve` subcommand. */
export function serveCommandLine(): Command {
  return new Command('serve')
    .description('export a disk over NBD (any disk vixdisk opens: VMDK of any type, chains, raw, an NBD URI) until SIGINT/SIGTERM')
    .argument('<disk>', 'the disk to export: *.vmdk is a VMDK, an NBD URI an export, anything else a raw image')
    .addOption(formatOption())
    .option('--host <addr>', 'address to listen on (default 127.0.0.1: loopback only)')
    .option('--port <n>', 'TCP port (default 10809; 0 picks a free one)')
    .option('--socket <path>', 'listen on a Unix socket instead of TCP')
    .option('--export <name>', 'export name (default "")')
    .option('--read-only', 'refuse writes')
    .option('--tls-cert <file>', 'X.509 certificate (PEM) for TLS')
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--tls-ca <file>', 'require client certificates signed by this CA')
    .option('--tls-psk <file>', 'TLS-PSK keys (identity:hexkey per line)')
    .option('--tls-require', 'refuse clients that do not start TLS')
    .option('--max-connections <n>', 'connections at once (default 100); when all are taken, a new client replaces the one idle longest')
    .option('--idle-timeout <seconds>', 'close a connection idle (nothing in flight) this long (default 0: never)')
    .option('--workers <n>', 'worker processes for a read-only export (default: CPUs, at most 4)')
    .addHelpText('after', `
Prints "serving DISK at URI" once listening. Examples:
  vixdisk serve --read-only disk.vmdk                 nbdinfo nbd://127.0.0.1
  vixdisk serve --socket /tmp/d.sock disk.vmdk        nbdcopy 'nbd+unix:///?socket=/tmp/d.sock' out.raw`)
    .action(runAction(async (disk: string, opts: ServeOptions) => {
      await serveCommand(disk, opts);
    }));
}
