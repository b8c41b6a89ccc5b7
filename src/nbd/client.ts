import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import type { ConnectionOptions, SecureContext, TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { checkRange, mergeExtents, type BlockDevice, type BlockStatusExtent } from '../block/block-device.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import {
  VIX_E_ARGUMENT_TOO_BIG, VIX_E_DISK_FULL, VIX_E_FAIL, VIX_E_FILE_ERROR, VIX_E_FILE_NOT_FOUND, VIX_E_FILE_READ_ONLY,
  VIX_E_HOST_NETBLKDEV_HANDSHAKE, VIX_E_HOST_NETWORK_CONN_REFUSED, VIX_E_HOST_SERVER_SHUTDOWN, VIX_E_HOST_TCP_CONN_LOST,
  VIX_E_HOST_TCP_SOCKET_ERROR, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED, VIX_E_OUT_OF_MEMORY,
} from '../errors/error-codes.js';
import { normalizeThumbprint, parseNbdUri, type NbdAddress } from './nbd-uri.js';
import * as P from './protocol.js';
import { readPskFile } from './psk-file.js';
import { ReplyParser, type InFlightRequest } from './reply-parser.js';
import { StreamClosedError, StreamReader, StreamStallError } from './stream-reader.js';
import { preferredCiphers, readIntoOwnBuffers } from './tls-stream.js';

// The NBD client: a BlockDevice over one or more connections to an NBD export. It negotiates what
// the server offers (extended headers, else structured replies, base:allocation, block sizes), keeps
// many requests in flight and matches replies by cookie in any order. It trusts nothing the server
// sends: every length is bounded before anything is allocated, chunks must lie inside the request
// and not overlap, extents are clipped to what was asked, and TLS, once asked for, is never dropped.
//
// Where the time goes on a bulk copy (measured against nbdkit on loopback, see bench/nbd.mjs): the
// main thread is the limit, so the data path avoids work per byte and per request. READ payloads
// are read by the kernel (or copied by TLS) straight into the caller's buffer; request headers are
// gathered into one write; replies are parsed in place without BigInt; timeouts are counters
// checked periodically rather than timers re-armed per read; and a busy client on a multi-conn
// export opens a second (third, fourth) connection so the server fills several sockets at once.

export interface NbdClientTlsOptions {
  /** Folder with ca-cert.pem and optionally client-cert.pem + client-key.pem. */
  certificatesDir?: string;
  /** CA certificate file to trust (instead of the system store). */
  caFile?: string;
  /** Pin the server certificate: SHA-256 or SHA-1 fingerprint in hex (colons allowed). */
  thumbprint?: string;
  /** false: accept any server certificate (only with a thumbprint is that still authenticated). */
  verifyPeer?: boolean;
  /** Name the certificate must carry (default: the host). */
  hostname?: string;
  /** TLS-PSK: the identity and the key file (GnuTLS psk format). */
  pskFile?: string;
  pskIdentity?: string;
}

export interface NbdClientOptions {
  /** Open read-only even if the export is writable. */
  readOnly?: boolean;
  /** Settings for nbds:// (also taken from the URI). */
  tls?: NbdClientTlsOptions;
  /**
   * Connections to open at once when the server advertises multi-conn. Without it, a client that
   * keeps many requests in flight opens more as it goes, up to 4, or the number of cores if fewer (see NbdClient.pick).
   */
  connections?: number;
  /** Requests in flight per connection (default 64). */
  maxInFlight?: number;
  /** Largest request the client sends; longer reads and writes are split (default 256 KiB). */
  requestSize?: number;
  /** Connect plus handshake must finish within this (default 30 s). */
  connectTimeoutMs?: number;
  /** A reply that stops arriving half-way is given up on after this (default 30 s). */
  stallTimeoutMs?: number;
  /** With requests outstanding, a server silent this long is given up on (default 120 s; 0 = never). */
  replyTimeoutMs?: number;
  /** Ask for extended headers (default true). */
  extendedHeaders?: boolean;
  /** Ask for structured replies (default true). */
  structuredReplies?: boolean;
  /** Ask for base:allocation (default true). */
  blockStatus?: boolean;
}

/** What the handshake agreed. */
export interface NbdNegotiated {
  exportName: string;
  size: number;
  transmissionFlags: number;
  structured: boolean;
  extended: boolean;
  tls: boolean;
  /** Context id for base:allocation, or null when block status is unavailable. */
  allocationContext: number | null;
  minimumBlockSize: number;
  preferredBlockSize: number;
  maximumPayload: number;
  description?: string;
  style: 'fixed-newstyle' | 'newstyle' | 'oldstyle';
}

/** Option replies longer than this are refused (the longest legal one is a few KiB). */
const MAX_OPTION_REPLY = 64 << 10;
/** Block status is asked for at most this much at once in compact mode (lengths are u32). */
const MAX_STATUS_REQUEST = 2 ** 31;
const MAX_ZERO_REQUEST = 1 << 30;
const ZERO_BUFFER = new Uint8Array(1 << 20);

interface Pending extends InFlightRequest {
  /** BLOCK_STATUS resolves with its state (the extents); everything else with nothing. */
  resolve: (v: Pending | undefined) => void;
  reject: (e: unknown) => void;
}

/**
 * Connections a busy client opens on its own when the export allows multi-conn: as nbdcopy, 4 but
 * no more than there are cores (on loopback more connections than cores only add handshakes).
 */
const DEFAULT_CONNECTIONS = Math.min(4, availableParallelism());
/** A client with this many requests in flight on its least busy connection is busy (see pick). */
const GROW_WHEN_IN_FLIGHT = 16;

/** Request headers are gathered in buffers of this size (64 extended headers). */
const HEADER_BUFFER = 64 * P.EXTENDED_REQUEST_LENGTH;
/** New requests wait for the next reply while the server still has this many to work on. */
const GATHER_WHILE_SERVER_HAS = 4;

/**
 * A plain connection reads headers (and whatever follows them in the same read) into one reused
 * buffer of this size; READ payloads are received straight into the caller's buffer instead (see
 * nextReadBuffer). Small enough that the payload bytes copied out of it after a header are a
 * small share of a request, large enough to take dozens of small replies (write acks, status) at once.
 */
const SCRATCH_READ = 16 << 10;
/** Below this, the rest of a payload is read with the scratch buffer (fewer, larger reads). */
const MIN_DIRECT_READ = 4 << 10;

function handshakeError(message: string): VixError {
  return new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, message);
}

/** An NBD error value from the server as a VixError. */
function nbdErrorToVix(errno: number, message: string, what: string): VixError {
  const name = P.ERRNO_NAMES[errno] ?? `error ${errno}`;
  const text = `${what}: the NBD server answered ${name}${message ? ` (${message})` : ''}`;
  switch (errno) {
    case P.NBD_EPERM: return new VixError(VIX_E_FILE_READ_ONLY, text);
    case P.NBD_ENOSPC: return new VixError(VIX_E_DISK_FULL, text);
    case P.NBD_EIO: return new VixError(VIX_E_FILE_ERROR, text);
    case P.NBD_ENOMEM: return new VixError(VIX_E_OUT_OF_MEMORY, text);
    case P.NBD_ENOTSUP: return new VixError(VIX_E_NOT_SUPPORTED, text);
    case P.NBD_ESHUTDOWN: return new VixError(VIX_E_HOST_SERVER_SHUTDOWN, text);
    case P.NBD_EOVERFLOW: return new VixError(VIX_E_ARGUMENT_TOO_BIG, text);
    default: return new VixError(VIX_E_INVALID_ARG, text);
  }
}

function socketError(err: unknown, where: string): VixError {
  if (err instanceof VixError) return err;
  const e = err as NodeJS.ErrnoException;
  if (err instanceof StreamStallError) return new VixError(VIX_E_HOST_TCP_CONN_LOST, `${where}: ${e.message}`);
  if (err instanceof StreamClosedError) return new VixError(VIX_E_HOST_TCP_CONN_LOST, `${where}: the server closed the connection`);
  if (err instanceof P.NbdProtocolError) return handshakeError(`${where}: ${e.message}`);
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOENT') return new VixError(VIX_E_HOST_NETWORK_CONN_REFUSED, `${where}: connection refused (${e.code})`);
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') return new VixError(VIX_E_HOST_TCP_CONN_LOST, `${where}: connection lost (${e.code})`);
  return new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `${where}: ${e?.message ?? String(err)}`);
}

/** One connection: handshake, then requests and replies. */
export class NbdConnection {
  private socket!: net.Socket;
  private out!: Duplex;
  private reader!: StreamReader;
  /** Cookies are a counter (a number: the reply parser reads them without BigInt). */
  private nextCookie = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: VixError | null = null;
  private closing = false;
  /** Requests waiting for a slot (maxInFlight reached), woken one per completed request. */
  private slotWaiters: Array<() => void> = [];
  /** close() waiting for every request to finish. */
  private idleWaiters: Array<() => void> = [];
  private readonly maxInFlight: number;
  private drainWaiters: Array<() => void> = [];
  /** The periodic timeout check (see startMonitor) and what it compares. */
  private monitor: NodeJS.Timeout | null = null;
  private readonly monitorPeriodMs: number;
  private bytesSeen = 0;
  private requestsSent = 0;
  private checkedBytes = 0;
  private checkedRequests = 0;
  private lastBytesAt = 0;
  private lastRequestAt = 0;
  private parser: ReplyParser | null = null;
  private corked = false;
  /** Request headers not yet handed to the socket, back to back (see send). */
  private headers = Buffer.allocUnsafe(HEADER_BUFFER);
  private headersLength = 0;
  /** Reused buffer for reads that are not payload (plain sockets only). */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_READ);
  /** The payload view offered for the read in progress, if one was. */
  private directTarget: Uint8Array | null = null;
  private flushScheduled = false;
  /** Requests written into the corked socket and not yet sent. */
  private unsent = 0;
  negotiated!: NbdNegotiated;

  private constructor(private readonly address: NbdAddress, private readonly options: NbdClientOptions, private readonly where: string) {
    const timeouts = [options.stallTimeoutMs ?? 30_000, options.replyTimeoutMs ?? 120_000].filter((ms) => ms > 0);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 64);
    this.monitorPeriodMs = timeouts.length ? Math.max(1, Math.ceil(Math.min(...timeouts) / 8)) : 0;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get dead(): boolean {
    return this.failure !== null;
  }

  /** Connect and negotiate; `signal` abandons the attempt (the socket is destroyed). */
  static async open(address: NbdAddress, options: NbdClientOptions = {}, signal?: AbortSignal): Promise<NbdConnection> {
    const where = address.socket ? `NBD server at ${address.socket}` : `NBD server ${address.host}:${address.port}`;
    const c = new NbdConnection(address, options, where);
    const timeoutMs = options.connectTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        c.connectAndNegotiate(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${where}: no handshake within ${timeoutMs} ms`)), timeoutMs);
          if (!signal) return;
          onAbort = () => reject(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${where}: connection abandoned`));
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort);
        }),
      ]);
    } catch (err) {
      c.socket?.destroy();
      c.out?.destroy();
      throw socketError(err, where);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
    c.startReplyLoop();
    return c;
  }

  // ---- handshake -----------------------------------------------------------------------------------

  private async connectAndNegotiate(): Promise<void> {
    const a = this.address;
    // Without TLS the socket reads into buffers we choose (Node's onread): nothing is allocated
    // per read, and READ payloads land directly in the caller's buffer, so each payload byte is
    // copied once, by the kernel (as libnbd does). TLS takes the socket over and decrypts into
    // buffers of its own, so it reads the ordinary way and the parser copies from those.
    const onread = a.tls ? undefined : {
      buffer: () => this.nextReadBuffer(),
      callback: (n: number, buf: Uint8Array) => { this.bytesIn(n, buf); return true; },
    };
    this.socket = a.socket ? net.createConnection({ path: a.socket, onread }) : net.createConnection({ host: a.host, port: a.port!, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.out = this.socket;
    this.reader = new StreamReader(this.socket, { stallTimeoutMs: this.options.stallTimeoutMs ?? 30_000, attach: !onread });
    this.negotiated = await this.negotiate();
  }

  /**
   * The buffer the next read of a plain socket goes into, asked by Node after every read: the rest
   * of the READ payload being received when there is one (its length is what the parser has
   * checked against the request, so the kernel cannot write past it), else the scratch buffer.
   */
  private nextReadBuffer(): Uint8Array {
    const target = this.failure ? null : this.parser?.dataTarget;
    // A short rest goes through the scratch buffer with what follows it; a zero-length view (of a
    // detached buffer, say) is never offered, since a read into it could not make progress.
    if (target && target.length >= MIN_DIRECT_READ) {
      this.directTarget = target;
      return target;
    }
    this.directTarget = null;
    return this.scratch;
  }

  /** `n` bytes from a plain socket in `buf`: payload already in place, or bytes to parse. */
  private bytesIn(n: number, buf: Uint8Array): void {
    if (buf === this.directTarget) {
      this.directTarget = null;
      this.parse(n);
    } else if (this.parser) this.parse(buf.subarray(0, n));
    else this.reader.push(Buffer.from(buf.subarray(0, n)));
  }

  private async negotiate(): Promise<NbdNegotiated> {
    const o = this.options;
    const a = this.address;
    const start = P.decodeGreetingStart(await this.reader.read(16));
    if (start.style === 'oldstyle') {
      if (a.tls) throw handshakeError(`${this.where} speaks oldstyle NBD, which cannot do TLS; refusing the nbds connection`);
      const rest = P.decodeOldstyleRest(await this.reader.read(P.OLDSTYLE_GREETING_LENGTH - 16, true));
      return this.result(a.exportName, rest.size, rest.transmissionFlags, 'oldstyle', {});
    }
    const hflags = P.decodeU16(await this.reader.read(2, true));
    const fixed = (hflags & P.FLAG_FIXED_NEWSTYLE) !== 0;
    const noZeroes = (hflags & P.FLAG_NO_ZEROES) !== 0;
    this.out.write(P.encodeClientFlags((fixed ? P.FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? P.FLAG_C_NO_ZEROES : 0)));
    if (!fixed) {
      if (a.tls) throw handshakeError(`${this.where} does not speak fixed newstyle NBD, so it cannot do TLS; refusing the nbds connection`);
      return this.exportNameFallback(noZeroes, 'newstyle');
    }
    if (a.tls) await this.startTls();
    let extended = false;
    let structured = false;
    if (o.extendedHeaders ?? true) {
      const r = await this.option(P.OPT_EXTENDED_HEADERS);
      if (r.type === P.REP_ACK) extended = structured = true;
      else this.expectFinal(r);
    }
    if (!extended && (o.structuredReplies ?? true)) {
      const r = await this.option(P.OPT_STRUCTURED_REPLY);
      if (r.type === P.REP_ACK) structured = true;
      else this.expectFinal(r);
    }
    let allocationContext: number | null = null;
    if (structured && (o.blockStatus ?? true)) {
      this.out.write(P.encodeOption(P.OPT_SET_META_CONTEXT, P.encodeMetaContextRequest(a.exportName, [P.META_BASE_ALLOCATION])));
      for (;;) {
        const r = await this.optionReply(P.OPT_SET_META_CONTEXT);
        if (r.type === P.REP_META_CONTEXT) {
          const m = P.decodeMetaContextReply(r.payload);
          if (m.name === P.META_BASE_ALLOCATION) allocationContext = m.id;
          continue;
        }
        if (r.type !== P.REP_ACK) allocationContext = null;
        this.expectFinal(r);
        break;
      }
    }
    this.out.write(P.encodeOption(P.OPT_GO, P.encodeInfoRequest(a.exportName, [P.INFO_BLOCK_SIZE, P.INFO_DESCRIPTION])));
    const info: P.ExportInfo = {};
    for (;;) {
      const r = await this.optionReply(P.OPT_GO);
      if (r.type === P.REP_INFO) {
        P.decodeInfoReply(r.payload, info);
        continue;
      }
      if (r.type === P.REP_ACK) break;
      if (r.type === P.REP_ERR_UNSUP && !extended) return this.exportNameFallback(noZeroes, 'fixed-newstyle', structured);
      throw this.optionFailure(r, P.OPT_GO);
    }
    if (info.size === undefined || info.transmissionFlags === undefined) {
      throw handshakeError(`${this.where} acknowledged GO without sending the export size`);
    }
    const neg = this.result(a.exportName, info.size, info.transmissionFlags, 'fixed-newstyle', info);
    neg.structured = structured;
    neg.extended = extended;
    neg.allocationContext = allocationContext;
    neg.tls = a.tls;
    return neg;
  }

  private async exportNameFallback(noZeroes: boolean, style: 'newstyle' | 'fixed-newstyle', structured = false): Promise<NbdNegotiated> {
    this.out.write(P.encodeOption(P.OPT_EXPORT_NAME, P.encodeString(this.address.exportName, 'export name')));
    let r: Buffer;
    try {
      r = await this.reader.read(noZeroes ? 10 : 134);
    } catch (err) {
      if (err instanceof StreamClosedError) {
        throw handshakeError(`${this.where} closed the connection: it has no export ${P.quoteForMessage(this.address.exportName)}`);
      }
      throw err;
    }
    const x = P.decodeExportNameReply(r);
    const neg = this.result(this.address.exportName, x.size, x.transmissionFlags, style, {});
    neg.structured = structured;
    neg.tls = this.address.tls;
    return neg;
  }

  private result(name: string, size: bigint, flags: number, style: NbdNegotiated['style'], info: P.ExportInfo): NbdNegotiated {
    // Sizes are unsigned 64-bit; anything past 2^53 cannot be addressed here (CVE-2023-5215 class).
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw handshakeError(`${this.where} reports an export size of ${size} bytes, which is absurd`);
    const max = info.maximumPayload === undefined || info.maximumPayload === 0xffffffff
      ? P.DEFAULT_MAX_PAYLOAD : Math.min(info.maximumPayload, P.DEFAULT_MAX_PAYLOAD);
    return {
      exportName: name,
      size: Number(size),
      transmissionFlags: flags,
      structured: false,
      extended: false,
      tls: false,
      allocationContext: null,
      minimumBlockSize: info.minimumBlockSize ?? 1,
      preferredBlockSize: info.preferredBlockSize ?? 4096,
      maximumPayload: Math.max(max, info.minimumBlockSize ?? 1),
      description: info.description,
      style,
    };
  }

  private async option(option: number, payload?: Uint8Array): Promise<{ type: number; payload: Buffer }> {
    this.out.write(P.encodeOption(option, payload));
    return this.optionReply(option);
  }

  private async optionReply(option: number): Promise<{ type: number; payload: Buffer }> {
    const h = P.decodeOptionReplyHeader(await this.reader.read(P.OPTION_REPLY_HEADER_LENGTH));
    if (h.option !== option) throw handshakeError(`${this.where} answered option ${h.option} when ${P.OPTION_NAMES[option]} was asked`);
    if (h.length > MAX_OPTION_REPLY) throw handshakeError(`${this.where} sent a ${h.length}-byte option reply (at most ${MAX_OPTION_REPLY} accepted)`);
    const payload = await this.reader.read(h.length, true);
    return { type: h.type, payload };
  }

  /** After an option, anything but ACK or an error reply is out of place. */
  private expectFinal(r: { type: number; payload: Buffer }): void {
    if (r.type !== P.REP_ACK && !(r.type & P.REP_FLAG_ERROR)) {
      throw handshakeError(`${this.where} sent option reply type ${r.type} where a final reply was due`);
    }
  }

  private optionFailure(r: { type: number; payload: Buffer }, option: number): VixError {
    if (!(r.type & P.REP_FLAG_ERROR)) return handshakeError(`${this.where} sent option reply type ${r.type} to ${P.OPTION_NAMES[option]}`);
    const message = r.payload.subarray(0, 512).toString('utf8').replace(/[^\x20-\x7e]/g, '?');
    const name = P.REP_ERROR_NAMES[r.type] ?? `error 0x${r.type.toString(16)}`;
    const text = `${this.where} refused ${P.OPTION_NAMES[option]}: ${name}${message ? ` (${message})` : ''}`;
    if (r.type === P.REP_ERR_UNKNOWN) return new VixError(VIX_E_FILE_NOT_FOUND, `${this.where} has no export ${P.quoteForMessage(this.address.exportName)}${message ? ` (${message})` : ''}`);
    if (r.type === P.REP_ERR_TLS_REQD) return handshakeError(`${text}; use an nbds:// URI`);
    if (r.type === P.REP_ERR_SHUTDOWN) return new VixError(VIX_E_HOST_SERVER_SHUTDOWN, text);
    return handshakeError(text);
  }

  private async startTls(): Promise<void> {
    const r = await this.option(P.OPT_STARTTLS);
    if (r.type !== P.REP_ACK) {
      const e = this.optionFailure(r, P.OPT_STARTTLS);
      throw handshakeError(`TLS was required but ${e.message}`);
    }
    // Whatever the server sent after its ACK came in plaintext: a server (or a man in the middle)
    // injecting bytes there is refused, never parsed as if it had come through TLS.
    const leftover = this.reader.detach();
    if (leftover > 0) throw handshakeError(`${this.where} sent ${leftover} plaintext bytes after accepting STARTTLS`);
    const secure = await tlsConnect(this.socket, this.address, this.options.tls ?? DEFAULT_TLS_OPTIONS, this.where);
    this.out = secure;
    this.reader = new StreamReader(secure, { stallTimeoutMs: this.options.stallTimeoutMs ?? 30_000 });
  }

  // ---- transmission ------------------------------------------------------------------------------------

  private startReplyLoop(): void {
    // Anything after the final handshake reply, before any request, is a protocol violation.
    const leftover = this.reader.detach();
    if (leftover > 0) {
      this.fail(handshakeError(`${this.where} sent ${leftover} bytes before any request`));
      return;
    }
    const n = this.negotiated;
    this.parser = new ReplyParser({
      structured: n.structured,
      extended: n.extended,
      allocationContext: n.allocationContext,
      lookup: (cookie) => this.pending.get(cookie),
      complete: (cookie, req) => this.complete(cookie, req as Pending),
    });
    const lost = () => this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the server closed the connection`));
    this.out.on('end', lost);
    this.out.on('close', lost);
    if (this.out !== this.socket && !readIntoOwnBuffers(this.out, () => this.nextReadBuffer(), (n, buf) => this.bytesIn(n, buf))) {
      this.out.on('data', (b: Buffer) => this.parse(b));
    }
    this.out.resume();
  }

  /** Parse received bytes, or (a number) account for that many received straight into dataTarget. */
  private parse(b: Uint8Array | number): void {
    if (this.failure) return;
    try {
      if (typeof b === 'number') this.parser!.received(b);
      else this.parser!.feed(b);
    } catch (err) {
      this.fail(socketError(err, this.where));
      return;
    }
    this.bytesSeen++;
    this.maybeFlush();
  }

  // Both timeouts are kept by one periodic check that compares counters, rather than by timers
  // re-armed on every read and request: a busy connection does thousands of each per second, and
  // re-arming a Node timer costs more than the bytes it guards. A timeout fires at most one
  // check period (an eighth of it) late.

  /** Start the check if a timeout applies and it is not running (called when a request goes out). */
  private startMonitor(): void {
    if (this.monitor || this.monitorPeriodMs === 0) return;
    const now = performance.now();
    this.lastBytesAt = this.lastRequestAt = now;
    this.checkedBytes = this.bytesSeen;
    this.checkedRequests = this.requestsSent;
    this.monitor = setInterval(() => this.checkProgress(), this.monitorPeriodMs);
    this.monitor.unref();
  }

  private checkProgress(): void {
    const now = performance.now();
    if (this.bytesSeen !== this.checkedBytes) {
      this.checkedBytes = this.bytesSeen;
      this.lastBytesAt = now;
    }
    if (this.requestsSent !== this.checkedRequests) {
      this.checkedRequests = this.requestsSent;
      this.lastRequestAt = now;
    }
    const stallMs = this.options.stallTimeoutMs ?? 30_000;
    const replyMs = this.options.replyTimeoutMs ?? 120_000;
    const midReply = this.parser?.midReply ?? false;
    // A reply that stops arriving half-way fails after stallTimeoutMs.
    if (stallMs > 0 && midReply && now - this.lastBytesAt >= stallMs) {
      this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the server stopped in the middle of a reply (nothing for ${stallMs} ms)`));
    } else if (replyMs > 0 && this.pending.size > 0 && now - Math.max(this.lastBytesAt, this.lastRequestAt) >= replyMs) {
      // With requests outstanding, a server silent for replyTimeoutMs is given up on.
      this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: no reply for ${replyMs} ms`));
    } else if (this.pending.size === 0 && !midReply) {
      this.stopMonitor();
    }
  }

  private stopMonitor(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = null;
  }

  private complete(cookie: number, p: Pending): void {
    this.pending.delete(cookie);
    // One freed slot wakes one queued request (in order), not all of them.
    this.slotWaiters.shift()?.();
    if (this.pending.size === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
    if (p.error) p.reject(nbdErrorToVix(p.error.errno, p.error.message, P.COMMAND_NAMES[p.type]!));
    else p.resolve(p.type === P.CMD_BLOCK_STATUS ? p : undefined);
  }

  /** Send one request; resolves when it is done (BLOCK_STATUS: with its state), rejects with the server's error. */
  request(type: number, flags: number, offset: number, length: number, data?: Uint8Array, buffer?: Uint8Array): Promise<Pending | undefined> {
    // The common case goes out at once, without an async frame: a slot is free, nobody queues for
    // one, and the socket takes more.
    if (this.failure || this.pending.size >= this.maxInFlight || this.slotWaiters.length > 0) return this.requestWhenFree(type, flags, offset, length, data, buffer);
    return this.send(type, flags, offset, length, data, buffer);
  }

  private async requestWhenFree(type: number, flags: number, offset: number, length: number, data?: Uint8Array, buffer?: Uint8Array): Promise<Pending | undefined> {
    while (!this.failure && this.pending.size >= this.maxInFlight) await new Promise<void>((r) => this.slotWaiters.push(r));
    if (this.failure) throw this.failure;
    return this.send(type, flags, offset, length, data, buffer);
  }

  private send(type: number, flags: number, offset: number, length: number, data?: Uint8Array, buffer?: Uint8Array): Promise<Pending | undefined> {
    const extended = this.negotiated.extended;
    const wireLength = extended && data ? data.length : length;
    if (!extended && wireLength > 0xffffffff) return Promise.reject(new VixError(VIX_E_INVALID_ARG, `a ${wireLength}-byte request does not fit a compact NBD header`));
    const cookie = this.nextCookie++;
    // Requests are gathered and go out several to a write: each system call wakes the server, and
    // costs more than the few bytes it carries. Headers are put back to back in one buffer; while
    // the server has enough requests to work on, new ones wait for the next reply, and when it
    // runs low they go at the end of this turn (see maybeFlush).
    const size = extended ? P.EXTENDED_REQUEST_LENGTH : P.REQUEST_LENGTH;
    if (this.headersLength + size > this.headers.length) this.pushHeaders();
    P.putRequestHeader(this.headers, this.headersLength, extended, extended && data ? flags | P.CMD_FLAG_PAYLOAD_LEN : flags, type, cookie, offset, wireLength);
    this.headersLength += size;
    const promise = new Promise<Pending | undefined>((resolve, reject) => {
      this.pending.set(cookie, { type, offset, length, buffer, resolve, reject });
    });
    this.requestsSent++;
    this.startMonitor();
    let ok = !this.out.writableNeedDrain;
    if (data) {
      this.pushHeaders();
      ok = this.out.write(data);
    }
    this.unsent++;
    this.maybeFlush();
    if (ok) return promise;
    // It may fail while this call still waits for the socket to drain; the caller gets it after.
    promise.catch(() => undefined);
    this.flushSoon();
    return this.waitDrain().then(() => promise);
  }

  /** Send what is gathered soon if the server has few requests left to work on. */
  private maybeFlush(): void {
    if (this.unsent > 0 && this.pending.size - this.unsent < GATHER_WHILE_SERVER_HAS) this.flushSoon();
  }

  private flushSoon(): void {
    if (this.flushScheduled || (!this.corked && this.headersLength === 0)) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    this.unsent = 0;
    if (this.corked) {
      this.pushHeaders();
      this.corked = false;
      this.out.uncork();
    } else if (this.headersLength > 0) {
      // Headers only (reads, status): one write, no cork needed.
      this.out.write(this.headers.subarray(0, this.headersLength));
      this.headers = Buffer.allocUnsafe(HEADER_BUFFER);
      this.headersLength = 0;
    }
  }

  /** Hand the gathered headers to the (corked) socket, before a payload or when the buffer is full. */
  private pushHeaders(): void {
    if (this.headersLength === 0) return;
    if (!this.corked) {
      this.corked = true;
      this.out.cork();
    }
    this.out.write(this.headers.subarray(0, this.headersLength));
    // The socket holds on to what it was given until it is written: a fresh buffer for the next.
    this.headers = Buffer.allocUnsafe(HEADER_BUFFER);
    this.headersLength = 0;
  }

  private waitDrain(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      if (this.drainWaiters.length === 1) {
        this.out.once('drain', () => {
          const w = this.drainWaiters;
          this.drainWaiters = [];
          for (const r of w) r();
        });
      }
    });
  }

  private fail(err: VixError): void {
    if (this.failure) return;
    this.failure = this.closing ? new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the connection is closed`) : err;
    this.stopMonitor();
    this.reader?.fail(new StreamClosedError());
    for (const [, p] of this.pending) p.reject(this.failure);
    this.pending.clear();
    for (const r of this.slotWaiters) r();
    this.slotWaiters = [];
    for (const r of this.idleWaiters) r();
    this.idleWaiters = [];
    for (const r of this.drainWaiters) r();
    this.drainWaiters = [];
    this.out?.destroy();
    this.socket?.destroy();
  }

  /** Soft disconnect: wait for requests in flight, send DISC, close. */
  async close(): Promise<void> {
    if (this.closing) return;
    while (!this.failure && this.pending.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.closing = true;
    if (!this.failure) {
      this.flush();
      const header = P.encodeRequest({ flags: 0, type: P.CMD_DISC, cookie: BigInt(this.nextCookie++), offset: 0n, length: 0n }, this.negotiated.extended);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        this.out.end(header, () => { clearTimeout(t); resolve(); });
      });
    }
    this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the connection is closed`));
  }
}

/** What every TLS connection of one client shares: files read and the secure context built once. */
interface TlsSetup {
  context: SecureContext;
  thumbprint?: string;
  psk?: { identity: string; psk: Buffer };
  chainCheck: boolean;
  hostname?: string;
}

const DEFAULT_TLS_OPTIONS: NbdClientTlsOptions = {};

/** Settings per address object: the connections of one client (multi-conn) share them. */
const tlsSetups = new WeakMap<NbdAddress, WeakMap<NbdClientTlsOptions, Promise<TlsSetup>>>();

function tlsSetup(a: NbdAddress, t: NbdClientTlsOptions): Promise<TlsSetup> {
  let byOptions = tlsSetups.get(a);
  if (!byOptions) tlsSetups.set(a, byOptions = new WeakMap());
  let setup = byOptions.get(t);
  if (!setup) byOptions.set(t, setup = loadTlsSetup(a, t));
  return setup;
}

// node:tls and node:crypto are loaded when a connection first needs them: plain connections (most)
// do not pay the few milliseconds their loading costs each process.
async function loadTlsSetup(a: NbdAddress, t: NbdClientTlsOptions): Promise<TlsSetup> {
  const load = async (f: string, optional = false): Promise<Buffer | undefined> => {
    try {
      return await readFile(f);
    } catch (err) {
      if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw toVixError(err, f);
    }
  };
  const dir = t.certificatesDir ?? a.tlsCertificates;
  const caFile = t.caFile ?? a.tlsCaFile;
  const thumbprint = t.thumbprint ? normalizeThumbprint(t.thumbprint) : a.tlsThumbprint;
  const pskFile = t.pskFile ?? a.tlsPskFile;
  const ca = caFile ? await load(caFile) : dir ? await load(join(dir, 'ca-cert.pem'), true) : undefined;
  const cert = dir ? await load(join(dir, 'client-cert.pem'), true) : undefined;
  const key = dir ? await load(join(dir, 'client-key.pem'), true) : undefined;
  const verifyPeer = t.verifyPeer ?? a.tlsVerifyPeer ?? true;
  const hostname = t.hostname ?? a.tlsHostname ?? (a.socket ? undefined : a.host);
  let psk: { identity: string; psk: Buffer } | undefined;
  if (pskFile) {
    const keys = await readPskFile(pskFile);
    const identity = t.pskIdentity ?? a.user ?? [...keys.keys()][0]!;
    const k = keys.get(identity);
    if (!k) throw new VixError(VIX_E_INVALID_ARG, `${pskFile} has no key for "${identity}"`);
    psk = { identity, psk: k };
  }
  // With a pinned thumbprint and no CA, the pin alone authenticates the server (VMware's model).
  const chainCheck = verifyPeer && !psk && !(thumbprint && !ca);
  const tls = await import('node:tls');
  const ciphers = preferredCiphers(tls.DEFAULT_CIPHERS);
  const context = tls.createSecureContext({
    ca,
    cert: cert && key ? cert : undefined,
    key: cert && key ? key : undefined,
    minVersion: 'TLSv1.2',
    ciphers: psk ? `${ciphers}:PSK:ECDHE-PSK:DHE-PSK` : ciphers,
  });
  return { context, thumbprint, psk, chainCheck, hostname };
}

async function tlsConnect(socket: net.Socket, a: NbdAddress, t: NbdClientTlsOptions, where: string): Promise<TLSSocket> {
  const { context, thumbprint, psk, chainCheck, hostname } = await tlsSetup(a, t);
  const tls = await import('node:tls');
  const options: ConnectionOptions = {
    socket,
    secureContext: context,
    rejectUnauthorized: chainCheck,
    servername: hostname && !isIP(hostname) ? hostname : undefined,
    checkServerIdentity: (name, c) => (chainCheck && hostname ? tls.checkServerIdentity(hostname, c) : undefined),
  };
  if (psk) {
    options.pskCallback = () => psk;
    options.checkServerIdentity = () => undefined;
  }
  const secure = tls.connect(options);
  secure.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', (err) => reject(handshakeError(`TLS with ${where} failed: ${err.message}`)));
    secure.once('close', () => reject(handshakeError(`${where} closed the connection during the TLS handshake`)));
  });
  if (thumbprint) {
    const peer = secure.getPeerCertificate();
    const der = peer?.raw;
    const { createHash } = await import('node:crypto');
    const got = der ? createHash(thumbprint.length === 64 ? 'sha256' : 'sha1').update(der).digest('hex') : '';
    if (got !== thumbprint) {
      secure.destroy();
      throw new VixError(VIX_E_FAIL, `the certificate of ${where} has thumbprint ${got ? formatThumbprint(got) : '(none)'}, not the pinned ${formatThumbprint(thumbprint)}`);
    }
  }
  return secure;
}

function formatThumbprint(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(':');
}

/** A BlockDevice reading and writing an NBD export. */
export class NbdClient implements BlockDevice {
  readonly capacity: number;
  readonly readOnly: boolean;
  readonly canZero: boolean;
  private closed = false;
  private readonly requestSize: number;
  /** Connections this client may grow to on its own, and the load that makes it (see pick). */
  private growTo: number;
  private readonly growAt: number;
  /** A connection being opened in the background, and how to abandon it. */
  private opening: { abort: AbortController; done: Promise<void> } | null = null;

  private constructor(private readonly connections: NbdConnection[], readonly uri: string, private readonly address: NbdAddress, private readonly options: NbdClientOptions) {
    const n = connections[0]!.negotiated;
    this.capacity = n.size;
    this.readOnly = !!options.readOnly || (n.transmissionFlags & P.FLAG_READ_ONLY) !== 0;
    this.canZero = !this.readOnly && (n.transmissionFlags & P.FLAG_SEND_WRITE_ZEROES) !== 0;
    const wanted = options.requestSize ?? 256 << 10;
    this.requestSize = Math.max(n.minimumBlockSize, Math.min(wanted, n.maximumPayload) - (Math.min(wanted, n.maximumPayload) % n.minimumBlockSize));
    // Without an explicit count, a client that keeps many requests in flight on an export that
    // allows multi-conn opens more connections as it goes (as nbdcopy opens several): the server
    // works on each connection's requests and fills each socket in parallel, where one socket
    // makes every reply wait for the one before it to be drained.
    const multiConn = (n.transmissionFlags & P.FLAG_CAN_MULTI_CONN) !== 0;
    this.growTo = options.connections === undefined && multiConn ? DEFAULT_CONNECTIONS : connections.length;
    this.growAt = Math.min(GROW_WHEN_IN_FLIGHT, Math.max(1, options.maxInFlight ?? 64));
  }

  /** Connect to `nbd://`, `nbds://`, `nbd+unix://` or `nbds+unix://` (or a parsed address). */
  static async connect(target: string | NbdAddress, options: NbdClientOptions = {}): Promise<NbdClient> {
    const address = typeof target === 'string' ? parseNbdUri(target) : target;
    const uri = typeof target === 'string' ? target : `${address.host ?? address.socket}/${address.exportName}`;
    const first = await NbdConnection.open(address, options);
    const conns = [first];
    const wanted = Math.max(1, options.connections ?? 1);
    if (wanted > 1 && (first.negotiated.transmissionFlags & P.FLAG_CAN_MULTI_CONN)) {
      const more = await Promise.allSettled(Array.from({ length: wanted - 1 }, () => NbdConnection.open(address, options)));
      for (const m of more) {
        if (m.status !== 'fulfilled') continue;
        if (sameExport(first.negotiated, m.value.negotiated)) conns.push(m.value);
        else void m.value.close();
      }
    }
    return new NbdClient(conns, uri, address, options);
  }

  /** What the (first) connection negotiated. */
  get negotiated(): NbdNegotiated {
    return this.connections[0]!.negotiated;
  }

  get connectionCount(): number {
    return this.connections.length;
  }

  /** The connection with the fewest requests in flight; a busy client grows another one. */
  private pick(): NbdConnection {
    let best = this.connections[0]!;
    for (const c of this.connections) if (!c.dead && (best.dead || c.inFlight < best.inFlight)) best = c;
    if (best.inFlight >= this.growAt && this.connections.length < this.growTo && !this.opening && !this.closed) this.grow();
    return best;
  }

  /**
   * Open the other connections in the background, all at once; requests keep going to the ones
   * there are, and each joins when its handshake is done. Whatever the server refuses, answers
   * differently or never answers (a connection limit) is left out, and the growth ends there.
   */
  private grow(): void {
    const abort = new AbortController();
    const attempts = Array.from({ length: this.growTo - this.connections.length }, () =>
      NbdConnection.open(this.address, this.options, abort.signal).then((c) => {
        if (!this.closed && sameExport(this.negotiated, c.negotiated)) this.connections.push(c);
        else void c.close();
      }));
    const done = Promise.allSettled(attempts).then(() => {
      this.growTo = this.connections.length;
      this.opening = null;
    });
    this.opening = { abort, done };
  }

  private checkOpen(): void {
    if (this.closed) throw new VixError(VIX_E_INVALID_ARG, `${this.uri} is closed`);
  }

  private get flags(): number {
    return this.negotiated.transmissionFlags;
  }

  read(offset: number, buffer: Uint8Array): Promise<void> {
    // Not an async function: a read of one request's size is the hot path of every copy, and goes
    // straight to the request's own promise without extra frames (errors still come as rejections).
    try {
      this.checkOpen();
      checkRange(this.capacity, offset, buffer.length);
    } catch (err) {
      return Promise.reject(err);
    }
    if (buffer.length === 0) return Promise.resolve();
    const align = this.negotiated.minimumBlockSize;
    if (align > 1 && (offset % align !== 0 || buffer.length % align !== 0)) return this.readBounced(offset, buffer, align);
    if (buffer.length <= this.requestSize) return this.pick().request(P.CMD_READ, 0, offset, buffer.length, undefined, buffer) as Promise<void>;
    return this.readAligned(offset, buffer);
  }

  /** A read the server's alignment does not allow: whole blocks into a bounce buffer. */
  private async readBounced(offset: number, buffer: Uint8Array, align: number): Promise<void> {
    const start = offset - (offset % align);
    const end = Math.min(this.capacity, Math.ceil((offset + buffer.length) / align) * align);
    const bounce = new Uint8Array(end - start);
    await this.readAligned(start, bounce);
    buffer.set(bounce.subarray(offset - start, offset - start + buffer.length));
  }

  private async readAligned(offset: number, buffer: Uint8Array): Promise<void> {
    const size = this.requestSize;
    if (buffer.length <= size) {
      await this.pick().request(P.CMD_READ, 0, offset, buffer.length, undefined, buffer);
      return;
    }
    const parts: Array<Promise<unknown>> = [];
    for (let p = 0; p < buffer.length; p += size) {
      const n = Math.min(size, buffer.length - p);
      parts.push(this.pick().request(P.CMD_READ, 0, offset + p, n, undefined, buffer.subarray(p, p + n)));
    }
    await settleAll(parts);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.checkOpen();
    this.checkWritable();
    checkRange(this.capacity, offset, data.length);
    if (data.length === 0) return;
    const align = this.negotiated.minimumBlockSize;
    if (align > 1 && (offset % align !== 0 || data.length % align !== 0)) {
      // Read-modify-write of the blocks at the edges, for servers that demand alignment.
      const start = offset - (offset % align);
      const end = Math.min(this.capacity, Math.ceil((offset + data.length) / align) * align);
      const bounce = new Uint8Array(end - start);
      await this.readAligned(start, bounce);
      bounce.set(data, offset - start);
      await this.writeAligned(start, bounce);
      return;
    }
    await this.writeAligned(offset, data);
  }

  private async writeAligned(offset: number, data: Uint8Array): Promise<void> {
    const size = this.requestSize;
    const parts: Array<Promise<unknown>> = [];
    for (let p = 0; p < data.length; p += size) {
      const n = Math.min(size, data.length - p);
      parts.push(this.pick().request(P.CMD_WRITE, 0, offset + p, n, data.subarray(p, p + n)));
    }
    await settleAll(parts);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.checkOpen();
    this.checkWritable();
    checkRange(this.capacity, offset, length);
    if (length === 0) return;
    if (!this.canZero) {
      const parts: Array<Promise<unknown>> = [];
      for (let p = 0; p < length; p += ZERO_BUFFER.length) {
        parts.push(this.write(offset + p, ZERO_BUFFER.subarray(0, Math.min(ZERO_BUFFER.length, length - p))));
      }
      await settleAll(parts);
      return;
    }
    const parts: Array<Promise<unknown>> = [];
    for (let p = 0; p < length; p += MAX_ZERO_REQUEST) {
      parts.push(this.pick().request(P.CMD_WRITE_ZEROES, 0, offset + p, Math.min(MAX_ZERO_REQUEST, length - p)));
    }
    await settleAll(parts);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    if (!(this.flags & P.FLAG_SEND_FLUSH)) return;
    // With several connections (only ever opened under CAN_MULTI_CONN) one flush covers them all.
    await this.connections[0]!.request(P.CMD_FLUSH, 0, 0, 0);
  }

  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    this.checkOpen();
    checkRange(this.capacity, offset, length);
    if (length === 0) return [];
    if (this.negotiated.allocationContext === null) return [{ offset, length, allocated: true, zero: false }];
    const out: BlockStatusExtent[] = [];
    const end = offset + length;
    let at = offset;
    while (at < end) {
      const ask = this.negotiated.extended ? end - at : Math.min(end - at, MAX_STATUS_REQUEST);
      const p = await this.pick().request(P.CMD_BLOCK_STATUS, 0, at, ask);
      at = appendStatus(out, p!.status!, at, end);
    }
    return mergeExtents(out);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.opening) {
      this.opening.abort.abort();
      await this.opening.done;
    }
    await Promise.all(this.connections.map((c) => c.close()));
  }

  private checkWritable(): void {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.uri} is ${this.negotiated.transmissionFlags & P.FLAG_READ_ONLY ? 'a read-only export' : 'open read-only'}`);
  }
}

/**
 * The extents of a BLOCK_STATUS reply as BlockStatusExtents from `at` on, clipped to `end` (never
 * trusting the server to stop); returns where they end. (Kept out of the async blockStatus: a loop
 * over thousands of extents there makes V8 optimize the whole async function, twice.)
 */
function appendStatus(out: BlockStatusExtent[], status: Array<{ length: number; flags: number }>, at: number, end: number): number {
  for (const d of status) {
    if (at >= end) break;
    const n = Math.min(d.length, end - at);
    out.push({ offset: at, length: n, allocated: !(d.flags & P.STATE_HOLE), zero: (d.flags & P.STATE_ZERO) !== 0 });
    at += n;
  }
  return at;
}

/** Another connection to the same export must agree on what the first one negotiated. */
function sameExport(a: NbdNegotiated, b: NbdNegotiated): boolean {
  return a.size === b.size && a.transmissionFlags === b.transmissionFlags && a.structured === b.structured &&
    a.extended === b.extended && (a.allocationContext === null) === (b.allocationContext === null) &&
    a.minimumBlockSize === b.minimumBlockSize && a.maximumPayload === b.maximumPayload;
}

/** Wait for every promise; throw the first failure once all have settled (no request left dangling). */
async function settleAll(parts: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(parts);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
