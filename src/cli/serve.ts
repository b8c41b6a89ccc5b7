import { readFile } from 'node:fs/promises';
import { openDevice } from '../device/open-device.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { readPskFile } from '../nbd/psk-file.js';
import { NbdServer } from '../nbd/server.js';

// vixdisk serve DISK: export any disk vixdisk opens (every VMDK type, chains, raw images, another
// NBD URI) over NBD, on loopback unless told otherwise, until SIGINT or SIGTERM; then it stops
// accepting, lets requests in flight finish, flushes and closes the disk.

export interface ServeOptions {
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
  description?: string;
  /** Stop when this is aborted (for callers other than the command line). */
  signal?: AbortSignal;
  /** Where the "serving" line and diagnostics go (default stdout / stderr). */
  print?: (line: string) => void;
  log?: (line: string) => void;
}

export async function serveCommand(disk: string, options: ServeOptions = {}): Promise<void> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const port = options.port === undefined ? 10809 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VixError(VIX_E_INVALID_ARG, `port "${options.port}" is not a TCP port number`);
  const maxConnections = options.maxConnections === undefined ? 100 : Number(options.maxConnections);
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new VixError(VIX_E_INVALID_ARG, `--max-connections "${options.maxConnections}" is not a positive integer`);
  }
  if (!!options.tlsCert !== !!options.tlsKey) throw new VixError(VIX_E_INVALID_ARG, '--tls-cert and --tls-key go together');
  if (options.tlsRequire && !options.tlsCert && !options.tlsPsk) {
    throw new VixError(VIX_E_INVALID_ARG, '--tls-require needs --tls-cert and --tls-key (or --tls-psk)');
  }
  const load = async (f: string) => {
    try {
      return await readFile(f);
    } catch (err) {
      throw toVixError(err, f);
    }
  };
  const tls = options.tlsCert || options.tlsPsk ? {
    cert: options.tlsCert ? await load(options.tlsCert) : undefined,
    key: options.tlsKey ? await load(options.tlsKey) : undefined,
    ca: options.tlsCa ? await load(options.tlsCa) : undefined,
    verifyClient: !!options.tlsCa,
    psk: options.tlsPsk ? await readPskFile(options.tlsPsk) : undefined,
    require: !!options.tlsRequire,
  } : undefined;

  const device = await openDevice(disk, { readOnly: !!options.readOnly });
  let server: NbdServer;
  try {
    server = new NbdServer({
      exports: [{ name: options.export ?? '', device, description: options.description ?? disk }],
      host: options.host ?? '127.0.0.1',
      port,
      socket: options.socket,
      readOnly: !!options.readOnly,
      tls,
      maxConnections,
      log: options.log ?? ((l) => process.stderr.write(`vixdisk serve: ${l}\n`)),
    });
    await server.listen();
  } catch (err) {
    await device.close().catch(() => undefined);
    throw err;
  }
  print(`serving ${disk} at ${server.uri()}${device.readOnly || options.readOnly ? ' (read-only)' : ''}`);

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
  try {
    await server.close();
  } finally {
    await device.close();
  }
}
