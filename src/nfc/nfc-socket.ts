import net from 'node:net';
import { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import { readIntoOwnBuffers } from '../nbd/tls-stream.js';

// The client's TCP connection to a host's NFC port, with the routing §3.4 asks for: the socket's
// bytes are read here and handed to whoever consumes them now — the plaintext banner reader, then
// the first TLS session (authd), then NFC itself (nbd) or a second TLS session (nbdssl). A TLS
// session never owns the socket: it runs over a SocketTunnel that can be cut off, so that the
// first session, abandoned after `200 Connect`, can write nothing (no close_notify) into the NFC
// stream that follows it on the same connection.

/** Bytes the socket reads into, reused for every read: consumers must copy what they keep. */
const READ_BUFFER_SIZE = 256 << 10;

/** A consumer of received bytes; the view is valid only during the call. */
export type ByteSink = (bytes: Uint8Array) => void;

/**
 * A consumer that can take bytes straight into a buffer of its own (a read fragment's place in the
 * caller's buffer): the socket then reads into that buffer and reports the count.
 */
export interface DirectSink {
  /** Where the next read may go, or null for the socket's own buffer. */
  buffer(): Uint8Array | null;
  /**
   * The most bytes a read into the socket's own buffer should take (0: all it holds), asked when
   * buffer() gave null: a consumer expecting a header and then data for its own buffer reads the
   * header alone, so that no data lands in the socket's buffer to be copied out again.
   */
  ownLimit?(): number;
  /** `n` bytes were read into the last buffer given. */
  received(n: number): void;
}

export class NfcSocket {
  private sink: ByteSink = () => undefined;
  private direct: DirectSink | null = null;
  /** The buffer the read in progress goes into when it is not the socket's own. */
  private directTarget: Uint8Array | null = null;
  private closeListeners: Array<(err?: Error) => void> = [];
  private closed = false;

  private constructor(readonly socket: net.Socket, private readonly readBuffer: Buffer) {}

  /** Connect to host:port; rejects with the socket's error (ECONNREFUSED, …). */
  static connect(host: string, port: number): Promise<NfcSocket> {
    const buffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
    let self: NfcSocket | null = null;
    const socket = net.createConnection({
      host, port,
      onread: {
        // Asked before every read: a direct consumer's buffer when it has one, else ours.
        buffer: () => self?.nextBuffer() ?? buffer,
        callback: (n: number, buf: Uint8Array) => {
          self?.received(n, buf);
          return true;
        },
      },
    });
    self = new NfcSocket(socket, buffer);
    const s = self;
    socket.setNoDelay(true); // small IO headers followed by data (§3.4)
    socket.on('error', (err) => s.ended(err));
    socket.on('end', () => s.ended());
    socket.on('close', () => s.ended());
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(s);
      });
    });
  }

  /** Where received bytes go from now on (and, with `direct`, where they may be read into). */
  route(sink: ByteSink, direct?: DirectSink): void {
    this.sink = sink;
    this.direct = direct ?? null;
  }

  /** `n` bytes were read into `buf`: a direct consumer's buffer, or ours for the sink. */
  private received(n: number, buf: Uint8Array): void {
    if (buf === this.directTarget) {
      this.directTarget = null;
      this.direct?.received(n);
    } else this.sink(buf.subarray(0, n));
  }

  private nextBuffer(): Uint8Array {
    const target = this.direct?.buffer() ?? null;
    this.directTarget = target;
    if (target) return target;
    const limit = this.direct?.ownLimit?.() ?? 0;
    return limit > 0 && limit < this.readBuffer.length ? this.readBuffer.subarray(0, limit) : this.readBuffer;
  }

  /** Called once when the connection ends, with the socket's error if there was one. */
  onClose(listener: (err?: Error) => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A TLS client session over the socket's bytes from now on (the socket stays ours). */
  startTls(options: tls.ConnectionOptions): { tls: TLSSocket; tunnel: SocketTunnel } {
    const tunnel = new SocketTunnel(this.socket);
    this.route((bytes) => tunnel.feed(bytes));
    this.onClose(() => tunnel.feed(null));
    const secure = tls.connect({ ...options, socket: tunnel });
    secure.on('error', () => undefined); // reported through the handshake's promise or the close
    return { tls: secure, tunnel };
  }

  /**
   * The last TLS session of the connection (nbdssl's, after the splice): it takes the socket itself,
   * so the TLS engine reads the socket natively instead of through a stream written in JavaScript
   * (several times faster). Nothing else reads the socket afterwards: the host sends nothing
   * before our ClientHello, so no byte is lost in the change of hands.
   */
  takeOverTls(options: tls.ConnectionOptions): TLSSocket {
    this.route(() => undefined);
    const secure = tls.connect({ ...options, socket: this.socket });
    secure.on('error', () => undefined);
    secure.on('close', () => this.ended());
    return secure;
  }

  /**
   * The last TLS session's decrypted bytes are routed like the socket's own (route(), direct reads
   * into a consumer's buffer) rather than through 'data' events. False where this Node cannot
   * (the caller then feeds 'data' events to the sink).
   */
  readTlsIntoOwnBuffers(secure: TLSSocket): boolean {
    if (!readIntoOwnBuffers(secure, () => this.nextBuffer(), (n, buf) => this.received(n, buf))) return false;
    secure.resume();
    return true;
  }

  destroy(): void {
    this.socket.destroy();
    this.ended();
  }

  private ended(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.sink = () => undefined;
    this.direct = null;
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const l of listeners) l(err);
  }
}

/**
 * The stream a TLS session runs over: what it writes goes to the socket (until cut off), what the
 * socket receives is fed to it. Cutting it off (`detach`) drops the session's later writes, which
 * is how the first TLS session is abandoned without a close_notify (§3.1 step 9).
 */
export class SocketTunnel extends Duplex {
  private attached = true;

  constructor(private readonly socket: net.Socket) {
    super();
  }

  /** Received bytes (copied: the socket reuses its buffer), or null at the end. */
  feed(bytes: Uint8Array | null): void {
    if (bytes === null) this.push(null);
    else if (this.attached) this.push(Buffer.from(bytes));
  }

  detach(): void {
    this.attached = false;
  }

  override _read(): void {
    // Bytes are pushed as the socket delivers them; the NFC client bounds what it asks for.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.attached || this.socket.destroyed) {
      callback();
      return;
    }
    // Go on at once while the socket takes more; wait for its drain otherwise (backpressure).
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback(); // never end the socket from a TLS session: the connection outlives it
  }
}
