import { inflateSync } from 'node:zlib';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_HOST_NETBLKDEV_HANDSHAKE, VIX_E_HOST_TCP_CONN_LOST } from '../errors/error-codes.js';
import {
  AIO_ERROR, AIO_HEADER_LENGTH, AIO_IO, AIO_TYPE_NAMES, COMPRESSION_FASTLZ, COMPRESSION_NAMES, COMPRESSION_NONE, COMPRESSION_SKIPZ, COMPRESSION_ZLIB,
  DEFAULT_AIO_LIMITS, IO_FRAME_PREFIX, IO_READ, IO_WRITE, checkIoFragment, compressBound, decodeAioError, decodeIo,
  writeAioHeader, writeIoFrame, type AioHeader, type AioLimits,
} from './aio-message.js';
import { AioFrameParser } from './aio-frame-parser.js';
import type { NfcChannel } from './authd-client.js';
import { ClassicHandshakeClient, encodeClientGreeting, encodeClientSessionOpen, encodeClientVersion } from './classic-handshake.js';
import {
  CLASSIC_MESSAGE_LENGTH, NFC_ERROR, NFC_FILEOP_STATUS, NFC_SESSION_COMPLETE, NFC_VERSION, PLAINTEXT_NONCE, classicExtraLength, decodeClassicErrorText,
  decodeClassicMessage, encodeClassicMessage, type ClassicMessage,
} from './classic-message.js';
import { vixErrorForAioError, vixErrorForClassicError, vixErrorForProtocolError } from './error-mapping.js';
import { IoFragmentTracker } from './io-fragment-tracker.js';
import { ReadScatter } from './read-scatter.js';
import { NfcProtocolError } from './nfc-protocol-error.js';
import { decodeFastlz } from './fastlz.js';
import { decodeSkipz } from './skipz.js';

// One NFC connection after authd, on the client's side: the classic handshake (§4.2), then the AIO
// phase as a multiplexer — requests go out with a fresh opId each, replies are matched by opId in
// any order, many in flight at once. Read fragments are written straight into the caller's buffer
// at their offset (compressed ones through one reused buffer, then inflated into place); write
// fragments go out as a 60-byte prefix and a view of the caller's data. The host is trusted with
// nothing: a reply for no outstanding request, of another type, a fragment outside its request or
// over the session buffer, data that does not inflate to its length — any of them ends the
// connection, and every request then fails once with the mapped VIX error (§4.8).

export interface NfcSessionTimeouts {
  /** With requests outstanding, a host silent this long is given up on (vixDiskLib.nfc.RequestTimeoutMs). */
  requestMs: number;
  /** A reply that stops arriving half-way (vixDiskLib.nfc.ReadTimeoutMs). */
  readMs: number;
  /** Bytes we gave the socket that it cannot send (vixDiskLib.nfc.WriteTimeoutMs). */
  writeMs: number;
}

/** A small reply: its payload (a copy) and its extra data. */
export interface SmallReply {
  payload: Buffer;
  extra: Buffer;
}

interface PendingBase {
  type: number;
  what: string;
  resolve: (reply?: SmallReply) => void;
  reject: (err: VixError) => void;
}

interface PendingSmall extends PendingBase {
  kind: 'small';
  /** Checks the reply payload before its extra is awaited (and allocated); throws NfcProtocolError. */
  check?: (payload: Uint8Array) => void;
  reply?: SmallReply;
}

interface PendingRead extends PendingBase {
  kind: 'read';
  offset: number;
  target: ReadScatter;
  compression: number;
  tracker: IoFragmentTracker;
}

interface PendingWrite extends PendingBase {
  kind: 'write';
  offset: number;
  length: number;
}

type Pending = PendingSmall | PendingRead | PendingWrite;

/** The frame whose extra is arriving. */
interface Current {
  pending: Pending;
  opId: number;
  extraLength: number;
  /** Read fragments: the request's bytes from `at` on, and how they are encoded. */
  at?: number;
  /** A compressed read fragment decodes into this (its place in the one caller's buffer). */
  decodeInto?: Uint8Array;
  compression?: number;
}

/** Below this, the rest of a read fragment is read through the socket's buffer with what follows it. */
const MIN_DIRECT_READ = 8 << 10;

/** Compression of one write fragment: the encoded bytes, or null to send it as is. */
export type FragmentCompressor = (fragment: Uint8Array) => Uint8Array | null;

export class NfcSession {
  private readonly parser: AioFrameParser;
  private readonly pending = new Map<number, Pending>();
  private nextOpId = 0;
  private current: Current | null = null;
  /** A classic NFC_ERROR whose text is arriving (it ends the session once the text is in). */
  private classicError: { code: number; text: Buffer } | null = null;
  private failure: VixError | null = null;
  private closing = false;
  private limits: AioLimits = DEFAULT_AIO_LIMITS;
  /** Compressed read fragments are gathered here before they inflate into place. */
  private gather: Buffer | null = null;
  /** Uncompressed read requests outstanding (ownReadLimit). */
  private plainReads = 0;
  private corked = false;
  private idleWaiters: Array<() => void> = [];
  private failListeners: Array<(err: VixError) => void> = [];
  // Timeouts: one periodic check of counters, as the NBD client does (a timer per read costs more).
  private monitor: NodeJS.Timeout | null = null;
  private chunksIn = 0;
  private requestsOut = 0;
  private seenChunks = 0;
  private seenRequests = 0;
  private lastBytesAt = 0;
  private lastRequestAt = 0;
  private lastWritable = 0;
  private lastWriteProgressAt = 0;

  constructor(private readonly channel: NfcChannel, readonly where: string, private readonly timeouts: NfcSessionTimeouts) {
    this.parser = new AioFrameParser('reply', {
      frame: (h, p, n) => this.frame(h, p, n),
      classic: (m, n) => this.classic(m, n),
      extra: (b, at) => this.extra(b, at),
    });
    channel.onClose((err) => this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST,
      `${where}: the connection was lost${err ? ` (${(err as NodeJS.ErrnoException).code ?? err.message})` : ''}`)));
  }

  get dead(): boolean {
    return this.failure !== null;
  }

  /** Throws the session's failure (a lost connection, a close) if it has one. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Called once when the session fails (connection lost, protocol broken, timeout, close). */
  onFail(listener: (err: VixError) => void): void {
    if (this.failure) listener(this.failure);
    else this.failListeners.push(listener);
  }

  // ---- classic handshake ---------------------------------------------------------------------------

  /** §4.2 steps 1–9 as VDDK 8 sends them; resolves with the host's NFC version. */
  handshake(): Promise<number> {
    const check = new ClassicHandshakeClient();
    const frame = Buffer.alloc(CLASSIC_MESSAGE_LENGTH);
    let fill = 0;
    let errorMessage: { message: ClassicMessage & { type: typeof NFC_ERROR }; text: Buffer; fill: number } | null = null;
    return new Promise<number>((resolve, reject) => {
      this.onFail(reject);
      const take = (bytes: Uint8Array): void => {
        let at = 0;
        while (at < bytes.length && !this.failure) {
          if (errorMessage) {
            // A host refusing the session the classic way (NFC_ERROR and its text).
            const n = Math.min(errorMessage.text.length - errorMessage.fill, bytes.length - at);
            errorMessage.text.set(bytes.subarray(at, at + n), errorMessage.fill);
            errorMessage.fill += n;
            at += n;
            if (errorMessage.fill === errorMessage.text.length) {
              this.fail(vixErrorForClassicError(errorMessage.message.errorCode, decodeClassicErrorText(errorMessage.text), `${this.where}: NFC handshake`));
            }
            continue;
          }
          const n = Math.min(CLASSIC_MESSAGE_LENGTH - fill, bytes.length - at);
          frame.set(bytes.subarray(at, at + n), fill);
          fill += n;
          at += n;
          if (fill < CLASSIC_MESSAGE_LENGTH) break;
          fill = 0;
          const message = decodeClassicMessage(frame);
          if (message.type === NFC_ERROR) {
            errorMessage = { message, text: Buffer.alloc(classicExtraLength(message)), fill: 0 };
            if (errorMessage.text.length === 0) this.fail(vixErrorForClassicError(message.errorCode, '', `${this.where}: NFC handshake`));
            continue;
          }
          check.receive(message);
          if (message.type === NFC_FILEOP_STATUS) this.send(encodeClientVersion());
          if (message.type === NFC_VERSION) this.send(encodeClientSessionOpen());
          if (check.done) {
            // AIO from here; the host owes nothing before our first request, so any rest is parsed as AIO.
            this.channel.route((b) => this.bytesIn(b), {
              buffer: () => this.directBuffer(), received: (n) => this.directReceived(n), ownLimit: () => this.ownReadLimit(),
            });
            if (at < bytes.length) this.bytesIn(bytes.subarray(at));
            resolve(check.hostVersion);
            return;
          }
        }
      };
      this.channel.route((bytes) => {
        try {
          take(bytes);
        } catch (err) {
          this.fail(err instanceof NfcProtocolError ? vixErrorForProtocolError(err, this.where) : new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, `${this.where}: ${String(err)}`));
        }
      });
      // Steps 1–2 go back to back; 51 waits for the host's 36, and 54/55/52 for its 51 (§4.2).
      this.send(encodeClientGreeting(PLAINTEXT_NONCE));
    });
  }

  // ---- AIO requests -----------------------------------------------------------------------------------

  /** After OPEN_SESSION: fragments in both directions are at most the session buffer. */
  setBufferSize(bufferSize: number): void {
    this.limits = { maxFragmentLength: bufferSize };
    this.parser.setLimits(this.limits);
  }

  /** A request with a small reply; `check` sees the reply payload before its extra is taken. */
  call(type: number, payload: Uint8Array, extra?: Uint8Array, check?: (payload: Uint8Array) => void): Promise<SmallReply> {
    if (this.failure) return Promise.reject(this.failure);
    const opId = this.opId();
    const what = `${this.where}: ${AIO_TYPE_NAMES[type] ?? `AIO ${type}`}`;
    const promise = new Promise<SmallReply | undefined>((resolve, reject) => {
      this.pending.set(opId, { kind: 'small', type, what, check, resolve, reject });
    });
    const head = Buffer.allocUnsafe(AIO_HEADER_LENGTH + payload.length);
    writeAioHeader(head, 0, type, payload.length, opId);
    head.set(payload, AIO_HEADER_LENGTH);
    this.send(head);
    if (extra && extra.length > 0) this.send(extra);
    this.sent();
    return promise as Promise<SmallReply>;
  }

  /**
   * One IO read request of `length` bytes into `target` (a caller's buffer, or the buffers of reads
   * merged into this request); the host answers in fragments of at most the session buffer.
   * Compressed reads go to one buffer (fragments are decoded into place).
   */
  read(handle: bigint, offset: number, length: number, target: ReadScatter, compression: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (compression !== COMPRESSION_NONE && !target.whole) return Promise.reject(new RangeError('a compressed read goes to one buffer'));
    const opId = this.opId();
    if (compression === COMPRESSION_NONE) this.plainReads++;
    const promise = new Promise<void>((resolve, reject) => {
      this.pending.set(opId, {
        kind: 'read', type: AIO_IO, what: `${this.where}: read of ${length} bytes at ${offset}`, offset, target, compression,
        tracker: new IoFragmentTracker({ direction: IO_READ, offset, totalLength: length }, false),
        resolve: () => resolve(), reject,
      });
    });
    const head = Buffer.allocUnsafe(IO_FRAME_PREFIX);
    // A read request names the whole length as its one fragment; no data follows (§4.5).
    writeIoFrame(head, 0, opId, { handle, direction: IO_READ, compression, offset, totalLength: length, fragmentOffset: 0, fragmentLength: length, extraLength: length });
    this.send(head);
    this.sent();
    return promise;
  }

  /** One IO write request: fragments of at most the session buffer, one opId, one reply. */
  write(handle: bigint, offset: number, data: Uint8Array, compression: number, compress?: FragmentCompressor): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const opId = this.opId();
    const length = data.length;
    const promise = new Promise<void>((resolve, reject) => {
      this.pending.set(opId, { kind: 'write', type: AIO_IO, what: `${this.where}: write of ${length} bytes at ${offset}`, offset, length, resolve: () => resolve(), reject });
    });
    const step = this.limits.maxFragmentLength;
    const count = Math.ceil(length / step);
    const heads = Buffer.allocUnsafe(IO_FRAME_PREFIX * count);
    for (let i = 0; i < count; i++) {
      const at = i * step;
      const piece = data.subarray(at, Math.min(length, at + step));
      // Each fragment on its own: compressed when that makes it smaller, else as it is (§4.6).
      const encoded = compression !== COMPRESSION_NONE && compress ? compress(piece) : null;
      const body = encoded && encoded.length < piece.length ? encoded : piece;
      const head = heads.subarray(i * IO_FRAME_PREFIX, (i + 1) * IO_FRAME_PREFIX);
      writeIoFrame(head, 0, opId, {
        handle, direction: IO_WRITE, compression: body === piece ? COMPRESSION_NONE : compression,
        offset, totalLength: length, fragmentOffset: at, fragmentLength: piece.length, extraLength: body.length,
      });
      this.send(head);
      this.send(body);
    }
    this.sent();
    return promise;
  }

  /** Bytes the socket has not taken yet (writers wait while it is much). */
  get unsentBytes(): number {
    return this.channel.writableLength;
  }

  /** Resolves when the socket can take more. */
  drained(): Promise<void> {
    if (this.failure || this.channel.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.channel.onDrain(resolve);
      this.onFail(() => resolve());
    });
  }

  /** Resolves when nothing is in flight (or the session failed). */
  idle(): Promise<void> {
    if (this.pending.size === 0 || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The classic close (type 4) and the end of the connection; later calls fail at once. */
  async end(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.failure) {
      this.send(encodeClassicMessage({ type: NFC_SESSION_COMPLETE }));
      this.flushCork();
      // The host sees the end before close() returns; a host that never closes its side is left after 2 s.
      const closed = new Promise<void>((resolve) => {
        this.channel.onClose(() => resolve());
        setTimeout(resolve, 2000).unref();
      });
      this.channel.end();
      await closed;
    }
    this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the NFC connection is closed`));
  }

  /** End the connection now, failing everything outstanding with `err`. */
  fail(err: VixError): void {
    if (this.failure) return;
    this.failure = this.closing && err.code === VIX_E_HOST_TCP_CONN_LOST ? new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the NFC connection is closed`) : err;
    this.stopMonitor();
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.plainReads = 0;
    this.current = null;
    for (const p of pending) p.reject(this.failure);
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
    for (const l of this.failListeners) l(this.failure);
    this.failListeners = [];
    this.channel.destroy();
  }

  // ---- sending -----------------------------------------------------------------------------------------

  private opId(): number {
    const id = this.nextOpId;
    this.nextOpId = (this.nextOpId + 1) >>> 0;
    return id;
  }

  /** Writes of one turn go out together: corked now, uncorked at the end of the turn. */
  private send(bytes: Uint8Array): void {
    if (!this.corked) {
      this.corked = true;
      this.channel.cork();
      process.nextTick(() => this.flushCork());
    }
    this.channel.write(bytes);
  }

  private flushCork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.channel.uncork();
  }

  private sent(): void {
    this.requestsOut++;
    this.startMonitor();
  }

  // ---- receiving ----------------------------------------------------------------------------------------

  private bytesIn(bytes: Uint8Array): void {
    if (this.failure) return;
    this.chunksIn++;
    try {
      this.parser.push(bytes);
    } catch (err) {
      this.fail(this.asVixError(err));
    }
  }

  /**
   * Where the socket may read next: the rest of the uncompressed read fragment being received, in
   * the caller's buffer (its length is what the parser checked, so nothing lands past it), so the
   * kernel copies those bytes once; else null (the socket's own buffer, then the parser).
   */
  private directBuffer(): Uint8Array | null {
    const c = this.current;
    if (this.failure || !c || c.pending.kind !== 'read' || c.compression !== COMPRESSION_NONE) return null;
    const left = this.parser.extraRemaining;
    if (left < MIN_DIRECT_READ) return null; // short rests go with what follows them, in one read
    const view = (c.pending as PendingRead).target.view(c.at! + c.extraLength - left, left);
    return view.length < MIN_DIRECT_READ ? null : view;
  }

  /**
   * With uncompressed reads outstanding, the next frame is most likely a read fragment: read no
   * more than the rest of the current frame's short extra and one IO frame's header and payload,
   * so that the fragment's data then goes straight to its caller (directBuffer) instead of through
   * the socket's buffer and a copy — which took up to a quarter of every 1 MiB fragment.
   */
  private ownReadLimit(): number {
    if (this.plainReads === 0 || this.failure) return 0;
    const c = this.current;
    if (c && (c.pending.kind !== 'read' || c.compression !== COMPRESSION_NONE)) return 0;
    return this.parser.extraRemaining + IO_FRAME_PREFIX;
  }

  private directReceived(n: number): void {
    if (this.failure) return;
    this.chunksIn++;
    try {
      this.parser.skipExtra(n);
      if (this.parser.extraRemaining === 0) this.fragmentDone();
    } catch (err) {
      this.fail(this.asVixError(err));
    }
  }

  private asVixError(err: unknown): VixError {
    if (err instanceof VixError) return err;
    if (err instanceof NfcProtocolError) return vixErrorForProtocolError(err, this.where);
    return new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, `${this.where}: ${err instanceof Error ? err.message : String(err)}`);
  }

  private frame(header: AioHeader, payload: Uint8Array, extraLength: number): void {
    const p = this.pending.get(header.opId);
    if (!p) throw new NfcProtocolError(`the host answered opId ${header.opId}, which is not outstanding`, true);
    if (header.type === AIO_ERROR) {
      // In place of the reply; the codec allows it no extra.
      this.finish(header.opId, p, vixErrorForAioError(decodeAioError(payload), p.what));
      return;
    }
    if (header.type !== p.type) {
      throw new NfcProtocolError(`the host answered ${AIO_TYPE_NAMES[header.type] ?? header.type} to ${AIO_TYPE_NAMES[p.type] ?? p.type} (opId ${header.opId})`, true);
    }
    switch (p.kind) {
      case 'small': {
        p.check?.(payload);
        p.reply = { payload: Buffer.from(payload), extra: Buffer.alloc(extraLength) };
        if (extraLength === 0) this.finish(header.opId, p);
        else this.current = { pending: p, opId: header.opId, extraLength };
        return;
      }
      case 'write': {
        const io = decodeIo(payload);
        if (io.direction !== IO_WRITE || io.offset !== p.offset || io.totalLength !== p.length) {
          throw new NfcProtocolError(`the host's write reply names ${io.offset}+${io.totalLength}, not the write at ${p.offset}+${p.length}`, true);
        }
        this.finish(header.opId, p);
        return;
      }
      case 'read': {
        const io = decodeIo(payload);
        if (io.direction !== IO_READ) throw new NfcProtocolError('the host answered a read with a write reply', true);
        checkIoFragment(io, this.limits);
        if (io.compression !== COMPRESSION_NONE && io.compression !== p.compression) {
          throw new NfcProtocolError(`the host sent a ${COMPRESSION_NAMES[io.compression]} fragment when ${COMPRESSION_NAMES[p.compression]} was asked`, true);
        }
        p.tracker.add(io); // same request, inside it, no overlap
        this.current = { pending: p, opId: header.opId, extraLength, at: io.fragmentOffset, compression: io.compression };
        if (io.compression !== COMPRESSION_NONE) {
          this.current.decodeInto = p.target.whole!.subarray(io.fragmentOffset, io.fragmentOffset + io.fragmentLength);
          const need = compressBound(this.limits.maxFragmentLength);
          if (!this.gather || this.gather.length < need) this.gather = Buffer.allocUnsafe(need);
        }
        if (extraLength === 0) this.fragmentDone();
        return;
      }
    }
  }

  private extra(bytes: Uint8Array, at: number): void {
    if (this.classicError) {
      this.classicError.text.set(bytes, at);
      if (at + bytes.length === this.classicError.text.length) this.failWithClassicError();
      return;
    }
    const c = this.current;
    if (!c) return; // an ERROR's or a failed request's: nothing to keep
    if (c.pending.kind === 'small') c.pending.reply!.extra.set(bytes, at);
    else if (c.compression === COMPRESSION_NONE) (c.pending as PendingRead).target.set(bytes, c.at! + at); // straight into the callers' buffers
    else this.gather!.set(bytes, at);
    if (at + bytes.length === c.extraLength) {
      if (c.pending.kind === 'small') {
        this.current = null;
        this.finish(c.opId, c.pending);
      } else this.fragmentDone();
    }
  }

  /** A read fragment has all its bytes: inflate it into place if it came compressed; done when all are in. */
  private fragmentDone(): void {
    const c = this.current!;
    this.current = null;
    const p = c.pending as PendingRead;
    if (c.compression !== undefined && c.compression !== COMPRESSION_NONE) decompressInto(c.compression, this.gather!.subarray(0, c.extraLength), c.decodeInto!);
    if (p.tracker.complete) this.finish(c.opId, p);
  }

  private classic(message: ClassicMessage, extraLength: number): void {
    if (message.type === NFC_SESSION_COMPLETE) {
      if (this.closing) return;
      throw new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the host ended the NFC session`);
    }
    // NFC_ERROR in the AIO phase (§4.2): it names no request, so it ends the session; its text
    // (bounded by the codec) is gathered first.
    this.classicError = { code: message.type === NFC_ERROR ? message.errorCode : 0, text: Buffer.alloc(extraLength) };
    if (extraLength === 0) this.failWithClassicError();
  }

  private failWithClassicError(): void {
    const e = this.classicError!;
    this.fail(vixErrorForClassicError(e.code, decodeClassicErrorText(e.text), this.where));
  }

  private finish(opId: number, p: Pending, err?: VixError): void {
    if (opId >= 0) this.pending.delete(opId);
    if (p.kind === 'read' && p.compression === COMPRESSION_NONE) this.plainReads--;
    if (err) p.reject(err);
    else p.resolve(p.kind === 'small' ? p.reply : undefined);
    if (this.pending.size === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  // ---- timeouts -------------------------------------------------------------------------------------------

  private startMonitor(): void {
    if (this.monitor || this.failure) return;
    const periods = [this.timeouts.requestMs, this.timeouts.readMs, this.timeouts.writeMs].filter((ms) => ms > 0);
    if (periods.length === 0) return;
    const now = performance.now();
    this.lastBytesAt = this.lastRequestAt = this.lastWriteProgressAt = now;
    this.seenChunks = this.chunksIn;
    this.seenRequests = this.requestsOut;
    this.monitor = setInterval(() => this.checkProgress(), Math.max(1, Math.ceil(Math.min(...periods) / 8)));
    this.monitor.unref();
  }

  private checkProgress(): void {
    const now = performance.now();
    const t = this.timeouts;
    if (this.chunksIn !== this.seenChunks) { this.seenChunks = this.chunksIn; this.lastBytesAt = now; }
    if (this.requestsOut !== this.seenRequests) { this.seenRequests = this.requestsOut; this.lastRequestAt = now; }
    const writable = this.channel.writableLength;
    if (writable === 0 || writable !== this.lastWritable) { this.lastWritable = writable; this.lastWriteProgressAt = now; }
    const midFrame = !this.parser.atBoundary;
    if (t.writeMs > 0 && writable > 0 && now - this.lastWriteProgressAt >= t.writeMs) {
      this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the host took none of our data for ${t.writeMs} ms`));
    } else if (t.readMs > 0 && midFrame && now - this.lastBytesAt >= t.readMs) {
      this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: the host stopped in the middle of a reply (nothing for ${t.readMs} ms)`));
    } else if (t.requestMs > 0 && this.pending.size > 0 && now - Math.max(this.lastBytesAt, this.lastRequestAt) >= t.requestMs) {
      this.fail(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: no reply for ${t.requestMs} ms`));
    } else if (this.pending.size === 0 && !midFrame && writable === 0) {
      this.stopMonitor();
    }
  }

  private stopMonitor(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = null;
  }
}

/**
 * Inflate one fragment into its place, exactly its length. zlib's output is capped at the
 * fragment's length, so a hostile host's bomb costs no more memory than the fragment.
 */
function decompressInto(compression: number, encoded: Uint8Array, target: Uint8Array): void {
  if (compression === COMPRESSION_SKIPZ) {
    decodeSkipz(encoded, target);
    return;
  }
  if (compression === COMPRESSION_FASTLZ) {
    decodeFastlz(encoded, target);
    return;
  }
  if (compression === COMPRESSION_ZLIB) {
    let out: Buffer;
    try {
      out = inflateSync(encoded, { maxOutputLength: target.length });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new NfcProtocolError(e.code === 'ERR_BUFFER_TOO_LARGE'
        ? `a zlib fragment inflates past its ${target.length} bytes`
        : `a zlib fragment does not inflate (${e.message})`, true);
    }
    if (out.length !== target.length) throw new NfcProtocolError(`a zlib fragment inflates to ${out.length} bytes, not ${target.length}`, true);
    target.set(out);
    return;
  }
  throw new NfcProtocolError(`the host sent a ${COMPRESSION_NAMES[compression]} fragment, which this client does not decode`, true);
}
