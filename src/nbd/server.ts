import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { BlockDevice, BlockStatusExtent } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import {
  VIX_E_DISK_FULL, VIX_E_DISK_OUTOFRANGE, VIX_E_FILE_READ_ONLY, VIX_E_HOST_TCP_SOCKET_ERROR, VIX_E_INVALID_ARG,
  VIX_E_NOT_SUPPORTED,
} from '../errors/error-codes.js';
import { BufferPool, type PooledBuffer } from './buffer-pool.js';
import { ByteBudget } from '../block/byte-budget.js';
import * as P from './protocol.js';
import { StreamClosedError, StreamReader } from './stream-reader.js';

// The NBD server: exports BlockDevices by name over TCP or a Unix socket, fixed newstyle only.
// One Connection object per client runs the handshake (options, optional STARTTLS) and then the
// transmission phase, where requests are dispatched as they arrive and answered when they finish,
// in any order. Hostile input gets the protocol's error or a hard disconnect; nothing a client sends
// makes the server allocate more than the protocol allows (32 MiB payloads, bounded options).

export interface NbdExport {
  name: string;
  device: BlockDevice;
  description?: string;
  /** Export read-only even if the device is writable. */
  readOnly?: boolean;
}

export interface NbdServerTlsOptions {
  /** PEM certificate chain and private key of the server (X.509). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** CA certificate(s) to verify client certificates with. */
  ca?: string | Buffer;
  /** Demand a client certificate signed by `ca`. */
  verifyClient?: boolean;
  /** Pre-shared keys (identity -> key) for TLS-PSK, as GnuTLS psk files hold them. */
  psk?: Map<string, Buffer>;
  /** FORCEDTLS: nothing but STARTTLS (and ABORT) before TLS. Default true; false lets plaintext clients in too. */
  require?: boolean;
}

export interface NbdServerOptions {
  exports: NbdExport[];
  /** TCP address (default 127.0.0.1); ignored with `socket`. */
  host?: string;
  /** TCP port (default 10809; 0 picks a free one). */
  port?: number;
  /** Listen on this Unix socket path instead of TCP. */
  socket?: string;
  /** Every export read-only. */
  readOnly?: boolean;
  tls?: NbdServerTlsOptions;
  /**
   * Connections at once (default 100, like qemu-nbd's --shared). When all are taken, a new client
   * takes the place of the connection that has waited longest on its client with nothing in
   * flight (an idle one); only when none is idle is the new client closed on accept.
   */
  maxConnections?: number;
  /** A connection idle this long (nothing in flight, waiting on its client) is closed; 0 (default) = never. */
  idleTimeoutMs?: number;
  /** A client must reach transmission within this (default 10 s, as qemu since CVE-2024-7409). */
  handshakeTimeoutMs?: number;
  /** A message that stops arriving half-way ends the connection after this (default 30 s). */
  stallTimeoutMs?: number;
  /** Requests handled at once per connection (default 32); more wait, and the socket is paused. */
  maxInFlight?: number;
  /** Payload bytes held at once per connection (default 64 MiB). */
  maxInFlightBytes?: number;
  /**
   * Payload bytes held at once by all connections together (default 128 MiB): past it, no
   * connection reads another WRITE payload or starts another READ until requests finish.
   */
  maxTotalInFlightBytes?: number;
  /** Largest READ/WRITE payload (default and maximum useful: 32 MiB). */
  maxPayload?: number;
  /** Offer NBD_OPT_EXTENDED_HEADERS (default true). */
  extendedHeaders?: boolean;
  /** Offer structured replies (default true; false behaves like an old server). */
  structuredReplies?: boolean;
  /** Diagnostics (one line each). */
  log?: (message: string) => void;
}

/** Options a client may send before the server drops it (nbdkit uses 32; LIST clients need a few per export). */
const MAX_OPTIONS_BASE = 64;
/** Largest option payload read; longer ones end the connection unread (CVE-2017-15119). */
const MAX_OPTION_LENGTH = 1 << 20;
/** Meta context queries accepted in one option. */
const MAX_META_QUERIES = 1024;
/** A refused WRITE payload up to this size is read and discarded; larger ones end the connection. */
const MAX_DRAIN = 64 << 20;
/** Block status is computed for at most this much of the export per request. */
const STATUS_WINDOW = 1 << 30;
/** A compact status descriptor holds a u32 length: longer extents are split at this (512-aligned). */
const MAX_COMPACT_EXTENT = 0xffffffff - 511;
/** Stop dispatching while this much reply data waits in the socket. */
const REPLY_BACKLOG = 16 << 20;
const BASE_ALLOCATION_ID = 1;
const ZERO_CHUNK = Buffer.alloc(1 << 20);

class HardDisconnect extends Error {}

export class NbdServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly exportsByName = new Map<string, NbdExport>();
  readonly options: Required<Omit<NbdServerOptions, 'tls' | 'socket' | 'log'>> & Pick<NbdServerOptions, 'tls' | 'socket' | 'log'>;
  readonly secureContext: tls.SecureContext | null;
  readonly pool = new BufferPool();
  readonly payloadBudget: ByteBudget;
  private closing: Promise<void> | null = null;
  private listening = false;

  constructor(options: NbdServerOptions) {
    if (options.exports.length === 0) throw new VixError(VIX_E_INVALID_ARG, 'an NBD server needs at least one export');
    for (const e of options.exports) {
      P.encodeString(e.name, 'export name');
      if (this.exportsByName.has(e.name)) throw new VixError(VIX_E_INVALID_ARG, `export ${P.quoteForMessage(e.name)} is listed twice`);
      this.exportsByName.set(e.name, e);
    }
    const maxPayload = Math.min(options.maxPayload ?? P.DEFAULT_MAX_PAYLOAD, P.DEFAULT_MAX_PAYLOAD);
    this.options = {
      exports: options.exports,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 10809,
      socket: options.socket,
      readOnly: options.readOnly ?? false,
      tls: options.tls,
      maxConnections: Math.max(1, options.maxConnections ?? 100),
      idleTimeoutMs: Math.max(0, options.idleTimeoutMs ?? 0),
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      maxInFlight: Math.max(1, options.maxInFlight ?? 32),
      maxInFlightBytes: Math.max(maxPayload, options.maxInFlightBytes ?? 64 << 20),
      maxTotalInFlightBytes: Math.max(maxPayload, options.maxTotalInFlightBytes ?? 128 << 20),
      maxPayload,
      extendedHeaders: options.extendedHeaders ?? true,
      structuredReplies: options.structuredReplies ?? true,
      log: options.log,
    };
    this.payloadBudget = new ByteBudget(this.options.maxTotalInFlightBytes);
    const t = options.tls;
    if (t) {
      if (!t.psk && !(t.cert && t.key)) throw new VixError(VIX_E_INVALID_ARG, 'TLS needs a certificate and key (or pre-shared keys)');
      this.secureContext = tls.createSecureContext({
        cert: t.cert, key: t.key, ca: t.ca,
        minVersion: 'TLSv1.2',
        // PSK suites are off by default in OpenSSL's list; name them when PSK is configured.
        ...(t.psk ? { ciphers: `${tls.DEFAULT_CIPHERS}:PSK:ECDHE-PSK:DHE-PSK` } : {}),
      });
    } else {
      this.secureContext = null;
    }
    this.server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  /** Start listening; resolves once the address is bound. */
  async listen(): Promise<this> {
    const o = this.options;
    const done = once(this.server, 'listening');
    const failed = once(this.server, 'error').then(([err]) => { throw err; });
    if (o.socket) this.server.listen(o.socket);
    else this.server.listen(o.port, o.host);
    try {
      await Promise.race([done, failed]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `cannot listen on ${o.socket ?? `${o.host}:${o.port}`}: ${e.code ?? e.message}`, { cause: err });
    }
    this.listening = true;
    this.server.on('error', (err) => this.log(`server error: ${err.message}`));
    return this;
  }

  /** The TCP port bound (useful with port 0), or null on a Unix socket. */
  get port(): number | null {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  /** An NBD URI for an export of this server. */
  uri(exportName = this.options.exports[0]!.name): string {
    const scheme = this.secureContext ? 'nbds' : 'nbd';
    const path = encodeURIComponent(exportName).replace(/%2F/g, '/');
    if (this.options.socket) return `${scheme}+unix:///${path}?socket=${encodeURIComponent(this.options.socket).replace(/%2F/g, '/')}`;
    const h = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `${scheme}://${h}:${this.port}/${path}`;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  findExport(name: string): NbdExport | undefined {
    // The default export ("") is the first one when none is named "".
    return this.exportsByName.get(name) ?? (name === '' ? this.options.exports[0] : undefined);
  }

  isShuttingDown(): boolean {
    return this.closing !== null;
  }

  log(message: string): void {
    this.options.log?.(message);
  }

  /**
   * Clean shutdown: stop accepting, let requests in flight finish (new ones get ESHUTDOWN), flush
   * every writable export, close the connections. The devices stay open: their owner closes them.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = this.listening ? new Promise<void>((r) => this.server.close(() => r())) : Promise.resolve();
      await Promise.all([...this.connections].map((c) => c.shutdown()));
      await stopped;
      for (const e of this.options.exports) {
        if (!this.isReadOnly(e)) await e.device.flush().catch((err) => this.log(`flush of ${e.name}: ${String(err)}`));
      }
      if (this.options.socket) await rm(this.options.socket, { force: true }).catch(() => undefined);
    })();
    return this.closing;
  }

  isReadOnly(e: NbdExport): boolean {
    return this.options.readOnly || !!e.readOnly || e.device.readOnly;
  }

  private accept(socket: net.Socket): void {
    void this.handle(socket);
  }

  /**
   * Serve one connection accepted elsewhere (a socket handed over by another process, or a test's
   * pipe); resolves when it has ended. The connection limit and shutdown apply as to accepted ones.
   */
  async handle(socket: net.Socket): Promise<void> {
    if (!this.closing && this.connections.size >= this.options.maxConnections) this.closeLongestIdle();
    if (this.closing || this.connections.size >= this.options.maxConnections) {
      this.log(`refusing a connection: ${this.closing ? 'shutting down' : `${this.options.maxConnections} connections already, none idle`}`);
      socket.destroy();
      return;
    }
    const c = new Connection(this, socket);
    this.connections.add(c);
    try {
      await c.run();
    } finally {
      this.connections.delete(c);
    }
  }

  /** Make room for a new client: close the connection idle longest, if any is idle. */
  private closeLongestIdle(): void {
    let oldest: Connection | null = null;
    for (const c of this.connections) {
      if (c.idleSince !== null && (oldest === null || c.idleSince < oldest.idleSince!)) oldest = c;
    }
    if (!oldest) return;
    this.log(`${oldest.peer}: idle for ${Date.now() - oldest.idleSince!} ms with all ${this.options.maxConnections} connections taken; closed for a new client`);
    this.connections.delete(oldest);
    oldest.closeIdle();
  }
}

interface MetaSelection {
  export: NbdExport;
  allocation: boolean;
}

/** What a request needs while it is being served. */
interface Job {
  req: P.Request;
  bytes: number;
}

class Connection {
  private out: Duplex;
  private reader: StreamReader;
  private tlsUp = false;
  private fixed = false;
  private noZeroes = false;
  private structured = false;
  private extended = false;
  private meta: MetaSelection | null = null;
  private optionCount = 0;
  private export: NbdExport | null = null;
  private readOnly = true;
  private size = 0n;
  private blockStatusOk = false;
  private inTransmission = false;
  private stopping = false;
  private ending = false;
  private inFlight = 0;
  private inFlightBytes = 0;
  private slotWaiters: Array<() => void> = [];
  private handshakeTimer: NodeJS.Timeout | null = null;
  /** Waiting on the client for its next option or request. */
  private waitingForClient = false;
  /** Since when the connection has been idle: waiting on its client with nothing in flight. */
  idleSince: number | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  readonly peer: string;

  constructor(private readonly server: NbdServer, private readonly socket: net.Socket) {
    this.out = socket;
    this.peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.reader = this.newReader(socket);
  }

  private newReader(stream: Duplex): StreamReader {
    return new StreamReader(stream, { stallTimeoutMs: this.server.options.stallTimeoutMs, highWaterMark: 4 << 20 });
  }

  async run(): Promise<void> {
    const o = this.server.options;
    this.handshakeTimer = setTimeout(() => {
      this.server.log(`${this.peer}: no export chosen within ${o.handshakeTimeoutMs} ms; disconnecting`);
      this.destroy();
    }, o.handshakeTimeoutMs);
    try {
      this.socket.resume();
      await this.handshake();
      if (this.export) await this.transmission();
    } catch (err) {
      // A client closing its socket is an ordinary end; anything else is worth a line.
      if (!(err instanceof HardDisconnect) && !(err instanceof StreamClosedError)) {
        this.server.log(`${this.peer}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.waitingForClient = false;
      this.updateIdle();
      await this.drainInFlight();
      if (!this.ending) this.destroy();
    }
  }

  /** Server shutdown: handshakes end at once; transmission lets requests in flight finish. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (!this.inTransmission) {
      this.destroy();
      return;
    }
    await this.drainInFlight();
    this.endGracefully();
  }

  /** Closed as idle (timeout, or room for a new client): nothing is in flight, so it ends at once. */
  closeIdle(): void {
    this.endGracefully();
  }

  /** Wait on the client for its next message; idle meanwhile when nothing is in flight. */
  private async fromClient<T>(read: Promise<T>): Promise<T> {
    this.waitingForClient = true;
    this.updateIdle();
    try {
      return await read;
    } finally {
      this.waitingForClient = false;
      this.updateIdle();
    }
  }

  private updateIdle(): void {
    const idle = this.waitingForClient && this.inFlight === 0 && !this.ending;
    if (idle && this.idleSince === null) {
      this.idleSince = Date.now();
      const ms = this.server.options.idleTimeoutMs;
      if (ms > 0) {
        this.idleTimer = setTimeout(() => {
          this.server.log(`${this.peer}: idle for ${ms} ms; disconnecting`);
          this.closeIdle();
        }, ms);
      }
    } else if (!idle && this.idleSince !== null) {
      this.idleSince = null;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  private destroy(): void {
    this.reader.fail(new HardDisconnect('connection closed by the server'));
    this.out.destroy();
    this.socket.destroy();
  }

  private endGracefully(): void {
    if (this.ending) return;
    this.ending = true;
    this.reader.fail(new HardDisconnect('connection closed by the server'));
    this.out.end();
    setTimeout(() => this.destroy(), 1000).unref();
  }

  // ---- handshake -------------------------------------------------------------------------------------

  private async handshake(): Promise<void> {
    this.write(P.encodeGreeting(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES));
    const flags = P.decodeU32(await this.fromClient(this.reader.read(4)));
    if ((flags & ~(P.FLAG_C_FIXED_NEWSTYLE | P.FLAG_C_NO_ZEROES)) !== 0) {
      throw new Error(`client flags 0x${flags.toString(16)} set bits the server did not offer`);
    }
    this.fixed = (flags & P.FLAG_C_FIXED_NEWSTYLE) !== 0;
    this.noZeroes = (flags & P.FLAG_C_NO_ZEROES) !== 0;
    const maxOptions = MAX_OPTIONS_BASE + 4 * this.server.options.exports.length;
    for (;;) {
      const header = P.decodeOptionHeader(await this.fromClient(this.reader.read(P.OPTION_HEADER_LENGTH)));
      if (++this.optionCount > maxOptions) throw new Error(`more than ${maxOptions} options`);
      if (header.length > MAX_OPTION_LENGTH) {
        throw new Error(`option ${header.option} declares ${header.length} bytes, more than the ${MAX_OPTION_LENGTH} accepted`);
      }
      const payload = await this.reader.read(header.length, true);
      if (this.stopping || this.server.isShuttingDown()) {
        this.optionError(header.option, P.REP_ERR_SHUTDOWN, 'the server is shutting down');
        throw new HardDisconnect();
      }
      if (!this.fixed && header.option !== P.OPT_EXPORT_NAME) {
        throw new Error(`a client without fixed newstyle sent option ${header.option}`);
      }
      const done = await this.option(header.option, payload);
      if (done) return;
    }
  }

  /** Handle one option; true when the handshake is over (transmission or abort). */
  private async option(option: number, payload: Buffer): Promise<boolean> {
    const tlsRequired = !!this.server.secureContext && (this.server.options.tls?.require ?? true) && !this.tlsUp;
    switch (option) {
      case P.OPT_ABORT:
        this.write(P.encodeOptionReply(option, P.REP_ACK));
        this.endGracefully();
        throw new HardDisconnect();
      case P.OPT_STARTTLS:
        return this.startTls(payload);
      case P.OPT_EXPORT_NAME: {
        if (tlsRequired) throw new Error('EXPORT_NAME before TLS on a server that requires TLS');
        if (this.extended) throw new Error('EXPORT_NAME after extended headers were negotiated');
        let name: string;
        try {
          name = P.decodeString(payload, 'export name');
        } catch (err) {
          throw new Error(`EXPORT_NAME: ${(err as Error).message}`);
        }
        const e = this.server.findExport(name);
        if (!e) throw new Error(`EXPORT_NAME for unknown export ${P.quoteForMessage(name)}`);
        this.select(e);
        this.write(P.encodeExportNameReply(this.size, this.transmissionFlags(), this.noZeroes));
        return true;
      }
      default:
        break;
    }
    if (tlsRequired) {
      this.optionError(option, P.REP_ERR_TLS_REQD, 'this server requires TLS: use STARTTLS (an nbds:// URI)');
      return false;
    }
    try {
      switch (option) {
        case P.OPT_LIST:
          if (payload.length) throw new P.NbdProtocolError('LIST carries no data', P.REP_ERR_INVALID);
          for (const e of this.server.options.exports) {
            this.write(P.encodeOptionReply(option, P.REP_SERVER, P.encodeServerReply(e.name, e.description ?? '')));
          }
          this.write(P.encodeOptionReply(option, P.REP_ACK));
          return false;
        case P.OPT_INFO:
        case P.OPT_GO:
          return this.infoOrGo(option, payload);
        case P.OPT_STRUCTURED_REPLY:
          if (payload.length) throw new P.NbdProtocolError('STRUCTURED_REPLY carries no data', P.REP_ERR_INVALID);
          if (!this.server.options.structuredReplies) throw new P.NbdProtocolError('structured replies are not offered', P.REP_ERR_UNSUP);
          if (this.extended) throw new P.NbdProtocolError('extended headers are already on', P.REP_ERR_EXT_HEADER_REQD);
          this.structured = true;
          this.write(P.encodeOptionReply(option, P.REP_ACK));
          return false;
        case P.OPT_EXTENDED_HEADERS:
          if (payload.length) throw new P.NbdProtocolError('EXTENDED_HEADERS carries no data', P.REP_ERR_INVALID);
          if (!this.server.options.extendedHeaders || !this.server.options.structuredReplies) {
            throw new P.NbdProtocolError('extended headers are not offered', P.REP_ERR_UNSUP);
          }
          this.extended = true;
          this.structured = true;
          this.write(P.encodeOptionReply(option, P.REP_ACK));
          return false;
        case P.OPT_LIST_META_CONTEXT:
        case P.OPT_SET_META_CONTEXT:
          this.metaContext(option, payload);
          return false;
        default:
          throw new P.NbdProtocolError(`option ${option} is not supported`, P.REP_ERR_UNSUP);
      }
    } catch (err) {
      if (err instanceof P.NbdProtocolError && err.reply !== undefined) {
        this.optionError(option, err.reply, err.message);
        return false;
      }
      throw err;
    }
  }

  private async startTls(payload: Buffer): Promise<boolean> {
    const ctx = this.server.secureContext;
    if (!ctx) {
      this.optionError(P.OPT_STARTTLS, P.REP_ERR_POLICY, 'TLS is not configured on this server');
      return false;
    }
    if (this.tlsUp) {
      this.optionError(P.OPT_STARTTLS, P.REP_ERR_INVALID, 'TLS is already up');
      return false;
    }
    // Bytes pipelined after STARTTLS came in plaintext and must never be acted on: any byte already
    // received is an injection (or a broken client), so the connection ends here.
    const leftover = this.reader.detach();
    if (leftover > 0 || payload.length > 0) {
      throw new Error(leftover > 0 ? `${leftover} plaintext bytes followed STARTTLS; disconnecting` : 'STARTTLS carries no data');
    }
    await new Promise<void>((resolve, reject) => {
      this.socket.write(P.encodeOptionReply(P.OPT_STARTTLS, P.REP_ACK), (err) => (err ? reject(err) : resolve()));
    });
    const t = this.server.options.tls!;
    const secure = new tls.TLSSocket(this.socket, {
      isServer: true,
      secureContext: ctx,
      requestCert: !!t.verifyClient,
      rejectUnauthorized: !!t.verifyClient,
      ...(t.psk ? {
        pskCallback: (_socket: tls.TLSSocket, identity: string) => t.psk!.get(identity) ?? null,
      } : {}),
    } as tls.TLSSocketOptions);
    secure.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', () => resolve());
      secure.once('error', (err) => reject(new Error(`TLS handshake failed: ${err.message}`)));
      secure.once('close', () => reject(new Error('the connection closed during the TLS handshake')));
    });
    this.out = secure;
    this.reader = this.newReader(secure);
    this.tlsUp = true;
    // Everything negotiated before TLS is forgotten (CVE-2021-3716).
    this.structured = false;
    this.extended = false;
    this.meta = null;
    return false;
  }

  private infoOrGo(option: number, payload: Buffer): boolean {
    const req = P.decodeInfoRequest(payload);
    const e = this.server.findExport(req.name);
    if (!e) throw new P.NbdProtocolError(`export ${P.quoteForMessage(req.name)} does not exist`, P.REP_ERR_UNKNOWN);
    const readOnly = this.server.isReadOnly(e);
    const size = BigInt(e.device.capacity);
    this.write(P.encodeOptionReply(option, P.REP_INFO, P.encodeInfoExport(size, this.flagsFor(readOnly))));
    if (req.requests.includes(P.INFO_NAME)) this.write(P.encodeOptionReply(option, P.REP_INFO, P.encodeInfoName(e.name)));
    if (req.requests.includes(P.INFO_DESCRIPTION) && e.description) {
      this.write(P.encodeOptionReply(option, P.REP_INFO, P.encodeInfoDescription(e.description)));
    }
    this.write(P.encodeOptionReply(option, P.REP_INFO, P.encodeInfoBlockSize(1, 4096, this.server.options.maxPayload)));
    this.write(P.encodeOptionReply(option, P.REP_ACK));
    if (option === P.OPT_INFO) return false;
    this.select(e);
    return true;
  }

  private metaContext(option: number, payload: Buffer): void {
    const set = option === P.OPT_SET_META_CONTEXT;
    // SET replaces the selection even when it fails.
    if (set) this.meta = null;
    if (set && !this.structured) throw new P.NbdProtocolError('SET_META_CONTEXT needs structured replies first', P.REP_ERR_INVALID);
    const req = P.decodeMetaContextRequest(payload, MAX_META_QUERIES);
    const e = this.server.findExport(req.name);
    if (!e) throw new P.NbdProtocolError(`export ${P.quoteForMessage(req.name)} does not exist`, P.REP_ERR_UNKNOWN);
    let allocation: boolean;
    if (set) allocation = req.queries.includes(P.META_BASE_ALLOCATION);
    else allocation = req.queries.length === 0 || req.queries.some((q) => q === 'base:' || q === P.META_BASE_ALLOCATION);
    if (allocation) {
      this.write(P.encodeOptionReply(option, P.REP_META_CONTEXT, P.encodeMetaContextReply(set ? BASE_ALLOCATION_ID : 0, P.META_BASE_ALLOCATION)));
    }
    if (set) this.meta = { export: e, allocation };
    this.write(P.encodeOptionReply(option, P.REP_ACK));
  }

  private select(e: NbdExport): void {
    this.export = e;
    this.readOnly = this.server.isReadOnly(e);
    this.size = BigInt(e.device.capacity);
    this.blockStatusOk = this.structured && this.meta !== null && this.meta.export === e && this.meta.allocation;
  }

  private flagsFor(readOnly: boolean): number {
    let f = P.FLAG_HAS_FLAGS | P.FLAG_SEND_FLUSH | P.FLAG_SEND_FUA | P.FLAG_SEND_CACHE;
    // Every connection shares the one device object, so a flush anywhere covers writes from all.
    f |= P.FLAG_CAN_MULTI_CONN;
    if (readOnly) f |= P.FLAG_READ_ONLY;
    else f |= P.FLAG_SEND_TRIM | P.FLAG_SEND_WRITE_ZEROES | P.FLAG_SEND_FAST_ZERO;
    if (this.structured) f |= P.FLAG_SEND_DF;
    return f;
  }

  private transmissionFlags(): number {
    return this.flagsFor(this.readOnly);
  }

  private optionError(option: number, type: number, message: string): void {
    this.write(P.encodeOptionError(option, type, message));
  }

  // ---- transmission -------------------------------------------------------------------------------------

  private async transmission(): Promise<void> {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.inTransmission = true;
    const headerLength = this.extended ? P.EXTENDED_REQUEST_LENGTH : P.REQUEST_LENGTH;
    for (;;) {
      await this.waitForSlot();
      const raw = this.reader.tryRead(headerLength) ?? await this.fromClient(this.reader.read(headerLength));
      const req = P.decodeRequest(raw, this.extended);
      if (req.type === P.CMD_DISC) {
        // No reply; requests in flight finish (run() waits for them), nothing after DISC is read.
        await this.drainInFlight();
        this.endGracefully();
        return;
      }
      await this.dispatch(req);
    }
  }

  private async waitForSlot(): Promise<void> {
    const o = this.server.options;
    while (this.inFlight >= o.maxInFlight || this.inFlightBytes >= o.maxInFlightBytes || this.out.writableLength > REPLY_BACKLOG) {
      if (this.out.writableLength > REPLY_BACKLOG && this.inFlight === 0) {
        // Waiting for the client to read its replies is waiting on the client: idle, as for its next request.
        await this.fromClient(new Promise<void>((resolve) => {
          const done = () => {
            this.out.off('drain', done);
            this.out.off('close', done);
            resolve();
          };
          this.out.on('drain', done);
          this.out.on('close', done);
        }));
        if (this.out.destroyed) throw new HardDisconnect();
        continue;
      }
      await new Promise<void>((r) => this.slotWaiters.push(r));
    }
  }

  private async drainInFlight(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => this.slotWaiters.push(r));
  }

  private begin(job: Job): void {
    this.inFlight++;
    this.inFlightBytes += job.bytes;
  }

  private end(job: Job): void {
    this.inFlight--;
    this.inFlightBytes -= job.bytes;
    if (job.bytes > 0) this.server.payloadBudget.release(job.bytes);
    this.updateIdle();
    const w = this.slotWaiters;
    this.slotWaiters = [];
    for (const r of w) r();
  }

  /** Run `work` for a request without waiting for it; its reply goes out when it finishes. */
  private spawn(job: Job, work: () => Promise<void>): void {
    this.begin(job);
    work().catch((err) => {
      this.replyError(job.req, errnoFor(err), err instanceof Error ? err.message : String(err));
    }).finally(() => this.end(job));
  }

  /** Validate a request, read its payload, and start it. Errors found here are answered at once. */
  private async dispatch(req: P.Request): Promise<void> {
    const o = this.server.options;
    const e = this.export!;
    const dev = e.device;
    const known = COMMAND_FLAGS[req.type];
    let payloadLength = 0;
    if (this.extended) {
      if (req.flags & P.CMD_FLAG_PAYLOAD_LEN) {
        if (req.length > BigInt(o.maxPayload)) throw new Error(`a ${req.length}-byte payload is more than the ${o.maxPayload} allowed`);
        payloadLength = Number(req.length);
      }
    } else if (req.type === P.CMD_WRITE) {
      payloadLength = Number(req.length);
    }
    const refuse = async (errno: number, message: string) => {
      if (payloadLength > 0) {
        if (payloadLength > MAX_DRAIN) {
          this.replyError(req, errno, message);
          throw new Error(`${message}; its ${payloadLength}-byte payload is not read: disconnecting`);
        }
        await this.reader.skip(payloadLength);
      }
      this.replyError(req, errno, message);
    };
    if (this.stopping) return refuse(P.NBD_ESHUTDOWN, 'the server is shutting down');
    if (known === undefined) return refuse(P.NBD_EINVAL, `command ${req.type} is unknown`);
    let allowed = known | P.CMD_FLAG_FUA;
    if (this.extended) allowed |= P.CMD_FLAG_PAYLOAD_LEN;
    if (req.flags & ~allowed) return refuse(P.NBD_EINVAL, `flags 0x${(req.flags & ~allowed).toString(16)} are not valid for ${P.COMMAND_NAMES[req.type]}`);
    if ((req.flags & P.CMD_FLAG_DF) && !this.structured) return refuse(P.NBD_EINVAL, 'DF needs structured replies');
    if (this.extended) {
      const hasPayload = (req.flags & P.CMD_FLAG_PAYLOAD_LEN) !== 0;
      if (req.type === P.CMD_WRITE && !hasPayload) return refuse(P.NBD_EINVAL, 'WRITE without PAYLOAD_LEN under extended headers');
      if (req.type !== P.CMD_WRITE && hasPayload) return refuse(P.NBD_EINVAL, `${P.COMMAND_NAMES[req.type]} takes no payload`);
    }
    const length = req.length;
    const writes = req.type === P.CMD_WRITE || req.type === P.CMD_WRITE_ZEROES || req.type === P.CMD_TRIM;
    if (writes && this.readOnly) return refuse(P.NBD_EPERM, 'the export is read-only');
    if (req.type === P.CMD_FLUSH) {
      if (req.offset !== 0n || length !== 0n) return refuse(P.NBD_EINVAL, 'FLUSH must have offset and length 0');
      this.spawn({ req, bytes: 0 }, async () => {
        await dev.flush();
        this.replyOk(req);
      });
      return;
    }
    if ((req.type === P.CMD_READ || req.type === P.CMD_WRITE) && length > BigInt(o.maxPayload)) {
      return refuse(P.NBD_EINVAL, `a ${length}-byte ${P.COMMAND_NAMES[req.type]} is more than the ${o.maxPayload}-byte maximum`);
    }
    if (!P.rangeInside(req.offset, length, this.size)) {
      const grows = req.type === P.CMD_WRITE || req.type === P.CMD_WRITE_ZEROES;
      return refuse(grows ? P.NBD_ENOSPC : P.NBD_EINVAL,
        `bytes ${req.offset}+${length} are outside the export (${this.size} bytes)`);
    }
    const offset = Number(req.offset);
    const len = Number(length);
    const fua = (req.flags & P.CMD_FLAG_FUA) !== 0 && writes;
    switch (req.type) {
      case P.CMD_READ:
        // The whole server's payload budget first (end() gives it back).
        await this.server.payloadBudget.acquire(len);
        this.spawn({ req, bytes: len }, () => this.read(req, offset, len));
        return;
      case P.CMD_WRITE: {
        await this.server.payloadBudget.acquire(len);
        const buf = this.server.pool.get(len);
        try {
          await this.reader.readInto(buf.data);
        } catch (err) {
          this.server.pool.release(buf);
          this.server.payloadBudget.release(len);
          throw err;
        }
        this.spawn({ req, bytes: len }, async () => {
          try {
            await dev.write(offset, buf.data);
          } finally {
            this.server.pool.release(buf);
          }
          if (fua) await dev.flush();
          this.replyOk(req);
        });
        return;
      }
      case P.CMD_TRIM:
        // A hint: the data stays as it is, which the spec allows.
        this.spawn({ req, bytes: 0 }, async () => {
          if (fua) await dev.flush();
          this.replyOk(req);
        });
        return;
      case P.CMD_CACHE:
        this.replyOk(req);
        return;
      case P.CMD_WRITE_ZEROES: {
        const noHole = (req.flags & P.CMD_FLAG_NO_HOLE) !== 0;
        if ((req.flags & P.CMD_FLAG_FAST_ZERO) && (noHole || !dev.canZero)) {
          return refuse(P.NBD_ENOTSUP, 'zeroing here is no faster than writing zeros');
        }
        this.spawn({ req, bytes: 0 }, async () => {
          if (noHole || !dev.canZero) {
            for (let done = 0; done < len;) {
              const n = Math.min(ZERO_CHUNK.length, len - done);
              await dev.write(offset + done, ZERO_CHUNK.subarray(0, n));
              done += n;
            }
          } else if (len > 0) {
            await dev.zero(offset, len);
          }
          if (fua) await dev.flush();
          this.replyOk(req);
        });
        return;
      }
      case P.CMD_BLOCK_STATUS:
        if (!this.blockStatusOk) return refuse(P.NBD_EINVAL, 'no metadata context was negotiated for this export');
        if (len === 0) return refuse(P.NBD_EINVAL, 'BLOCK_STATUS of length 0');
        this.spawn({ req, bytes: 0 }, () => this.blockStatus(req, offset, len));
        return;
      default:
        return refuse(P.NBD_EINVAL, `command ${req.type} is unknown`);
    }
  }

  private async read(req: P.Request, offset: number, len: number): Promise<void> {
    const dev = this.export!.device;
    if (len === 0) {
      this.replyOk(req);
      return;
    }
    // Structured replies let holes go out as OFFSET_HOLE chunks, neither read nor sent (clients
    // such as nbdcopy read zero extents too).
    let extents: BlockStatusExtent[] | null = null;
    if (this.structured && !(req.flags & P.CMD_FLAG_DF)) {
      const status = await dev.blockStatus(offset, len);
      if (status.some((x) => x.zero)) extents = status;
    }
    const buf = this.server.pool.get(len);
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.server.pool.release(buf);
      }
    };
    try {
      if (!extents) {
        await dev.read(offset, buf.data);
        this.sendReadData(req, offset, buf, release);
        return;
      }
      await Promise.all(extents.filter((x) => !x.zero).map((x) =>
        dev.read(x.offset, buf.data.subarray(x.offset - offset, x.offset - offset + x.length))));
      this.sendSparseRead(req, offset, extents, buf, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private blockStatus(req: P.Request, offset: number, len: number): Promise<void> {
    return (async () => {
      const dev = this.export!.device;
      const reqOne = (req.flags & P.CMD_FLAG_REQ_ONE) !== 0;
      const window = Math.min(len, STATUS_WINDOW);
      const extents = await dev.blockStatus(offset, window);
      const out: P.StatusDescriptor[] = [];
      for (const x of extents) {
        const flags = (x.allocated ? 0 : P.STATE_HOLE) | (x.zero ? P.STATE_ZERO : 0);
        let left = x.length;
        while (left > 0 && out.length < P.MAX_EXTENTS_PER_CHUNK) {
          const n = this.extended ? left : Math.min(left, MAX_COMPACT_EXTENT);
          const last = out[out.length - 1];
          if (last && last.flags === flags && (this.extended || last.length + n <= MAX_COMPACT_EXTENT)) last.length += n;
          else out.push({ length: n, flags });
          left -= n;
        }
        if (reqOne && out.length > 0) break;
      }
      if (reqOne) out.length = 1;
      if (out.length === 0) throw new Error('the device reported no extents');
      const payload = P.encodeBlockStatus(BASE_ALLOCATION_ID, out, this.extended);
      this.sendChunks(req, [[P.REPLY_TYPE_BLOCK_STATUS + (this.extended ? 1 : 0), [payload]]]);
    })();
  }

  // ---- replies ---------------------------------------------------------------------------------------

  private write(b: Buffer): void {
    if (!this.out.destroyed) this.out.write(b);
  }

  private replyOk(req: P.Request): void {
    // READ never gets a simple reply once structured replies are on.
    if (this.extended || (this.structured && req.type === P.CMD_READ)) {
      this.sendChunks(req, [[P.REPLY_TYPE_NONE, []]]);
      return;
    }
    this.write(P.encodeSimpleReply(0, req.cookie));
  }

  private replyError(req: P.Request, errno: number, message: string): void {
    if (this.structured) {
      this.sendChunks(req, [[P.REPLY_TYPE_ERROR, [P.encodeErrorChunk(errno, message)]]]);
      return;
    }
    this.write(P.encodeSimpleReply(errno, req.cookie));
  }

  /** Chunks of one reply, the last marked DONE, written as one corked batch. */
  private sendChunks(req: P.Request, chunks: Array<[number, Uint8Array[]]>, onWritten?: () => void): void {
    if (this.out.destroyed) {
      onWritten?.();
      return;
    }
    this.out.cork();
    chunks.forEach(([type, parts], i) => {
      const length = parts.reduce((s, p) => s + p.length, 0);
      const flags = i === chunks.length - 1 ? P.REPLY_FLAG_DONE : 0;
      this.out.write(P.encodeChunkHeader({ flags, type, cookie: req.cookie, offset: req.offset, length }, this.extended));
      for (const p of parts) this.out.write(p);
    });
    if (onWritten) this.out.write(EMPTY, () => onWritten());
    this.out.uncork();
  }

  private sendReadData(req: P.Request, offset: number, buf: PooledBuffer, release: () => void): void {
    if (!this.structured) {
      if (this.out.destroyed) return release();
      this.out.cork();
      this.out.write(P.encodeSimpleReply(0, req.cookie));
      this.out.write(buf.data, () => release());
      this.out.uncork();
      return;
    }
    this.sendChunks(req, [[P.REPLY_TYPE_OFFSET_DATA, [P.encodeOffset(BigInt(offset)), buf.data]]], release);
  }

  private sendSparseRead(req: P.Request, offset: number, extents: BlockStatusExtent[], buf: PooledBuffer, release: () => void): void {
    const chunks: Array<[number, Uint8Array[]]> = [];
    for (const x of extents) {
      if (x.zero) {
        // Hole sizes are u32: a 32 MiB read never needs more than one.
        chunks.push([P.REPLY_TYPE_OFFSET_HOLE, [P.encodeOffsetHole(BigInt(x.offset), x.length)]]);
      } else {
        chunks.push([P.REPLY_TYPE_OFFSET_DATA, [P.encodeOffset(BigInt(x.offset)), buf.data.subarray(x.offset - offset, x.offset - offset + x.length)]]);
      }
    }
    this.sendChunks(req, chunks, release);
  }
}

/** The command flags each command accepts besides FUA (which any command may carry). */
const COMMAND_FLAGS: Record<number, number> = {
  [P.CMD_READ]: P.CMD_FLAG_DF,
  [P.CMD_WRITE]: 0,
  [P.CMD_FLUSH]: 0,
  [P.CMD_TRIM]: 0,
  [P.CMD_CACHE]: 0,
  [P.CMD_WRITE_ZEROES]: P.CMD_FLAG_NO_HOLE | P.CMD_FLAG_FAST_ZERO,
  [P.CMD_BLOCK_STATUS]: P.CMD_FLAG_REQ_ONE,
};

const EMPTY = Buffer.alloc(0);

/** The NBD error for what a device threw. */
function errnoFor(err: unknown): number {
  if (err instanceof VixError) {
    switch (err.code) {
      case VIX_E_FILE_READ_ONLY: return P.NBD_EPERM;
      case VIX_E_DISK_OUTOFRANGE: return P.NBD_EINVAL;
      case VIX_E_DISK_FULL: return P.NBD_ENOSPC;
      case VIX_E_NOT_SUPPORTED: return P.NBD_ENOTSUP;
      default: return P.NBD_EIO;
    }
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') return P.NBD_ENOSPC;
  if (code === 'EROFS' || code === 'EPERM' || code === 'EACCES') return P.NBD_EPERM;
  if (code === 'ENOMEM') return P.NBD_ENOMEM;
  return P.NBD_EIO;
}
