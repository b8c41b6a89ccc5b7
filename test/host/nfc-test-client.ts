import net from 'node:net';
import tls from 'node:tls';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  AIO_CLOSE_FILE, AIO_CLOSE_SESSION, AIO_DDB_GET, AIO_ERROR, AIO_OPEN_FILE, AIO_OPEN_SESSION,
  AIO_QUERY_ALLOCATED_BLOCKS, AIO_SET_RES_POOL, AIO_SET_SOCK_OPTS, COMPRESSION_FASTLZ, COMPRESSION_NONE, COMPRESSION_SKIPZ, COMPRESSION_ZLIB,
  IO_FRAME_PREFIX, IO_READ, IO_WRITE, NFC_FILE_DISK, OPEN_FLAGS_READ_ONLY, OPEN_FLAGS_READ_WRITE, decodeAioError,
  decodeDdbGetReply, decodeIo, decodeOpenFileReply, encodeAioFrame, encodeAllocatedBlocksQuery, encodeDdbGetRequest,
  encodeHandlePayload, encodeOpenFileRequest, encodeOpenSession, encodeSocketOptions, encodeU32Payload, writeIoFrame,
  type AioError, type OpenFileReply,
} from '../../src/nfc/aio-message.js';
import { AioFrameParser } from '../../src/nfc/aio-frame-parser.js';
import { AuthdLineSplitter, decodeAuthdReply, encodeAuthdCommand, type AuthdReply } from '../../src/nfc/authd-line.js';
import {
  ClassicHandshakeClient, encodeClientGreeting, encodeClientSessionOpen, encodeClientVersion,
} from '../../src/nfc/classic-handshake.js';
import { NFC_SESSION_COMPLETE, PLAINTEXT_NONCE, encodeClassicMessage } from '../../src/nfc/classic-message.js';
import { decodeSkipz, encodeSkipz } from '../../src/nfc/skipz.js';
import { decodeFastlz } from '../../src/nfc/fastlz.js';
import { ClassicFrameReader } from '../../src/host/nfc/classic-frame-reader.js';
import { FeedDuplex } from '../../src/host/nfc/feed-duplex.js';

// A small NFC client over the codec, for testing the host's endpoint without the real client
// device: authd (plaintext banner, TLS#1, lines), the splice (nbd in clear, nbdssl in TLS#2), the
// classic handshake and AIO requests. It also writes raw bytes for the hostile tests.

export class AioRefusal extends Error {
  constructor(readonly error: AioError) {
    super(`AIO ERROR ${error.code}: ${error.message}`);
  }
}

interface Reply {
  type: number;
  payload: Buffer;
  extra: Buffer;
}

export interface AuthdOptions {
  sessionId: string;
  service?: string;
  ssl?: boolean;
  /** Lines to send instead of the VDDK dialogue (hostile tests); replies are collected. */
  lines?: string[];
  nonce?: string;
  timeoutMs?: number;
}

/** The raw connection: plaintext banner, then TLS#1 lines. */
export class AuthdClient {
  readonly socket: net.Socket;
  private feed!: FeedDuplex;
  tls1!: tls.TLSSocket;
  private route: 'plain' | 'tls1' | 'after' = 'plain';
  private readonly lines = new AuthdLineSplitter(64);
  private readonly replies: AuthdReply[] = [];
  private waiter: (() => void) | null = null;
  /** Raw bytes that came after the splice (for the NFC layer). */
  onAfter: ((chunk: Buffer) => void) | null = null;
  readonly afterQueue: Buffer[] = [];
  closed: Promise<void>;
  isClosed = false;
  banner = '';
  thumbprintSha1 = '';

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.isClosed = true;
      this.waiter?.();
      resolve();
    }));
    socket.on('error', () => undefined);
    socket.on('data', (c: Buffer) => this.onData(c));
  }

  static async connect(port: number): Promise<AuthdClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const c = new AuthdClient(socket);
    const banner = await c.nextReply();
    c.banner = `${banner.code} ${banner.text}`;
    return c;
  }

  /** Start TLS#1 (the server's certificate is checked by the caller through thumbprintSha1). */
  async startTls(): Promise<void> {
    this.route = 'tls1';
    this.feed = new FeedDuplex((chunk, done) => this.socket.write(chunk, done), () => this.socket.resume());
    this.tls1 = tls.connect({ socket: this.feed as unknown as net.Socket, rejectUnauthorized: false });
    this.tls1.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.tls1.once('secureConnect', resolve);
      this.tls1.once('error', reject);
      this.socket.once('close', () => reject(new Error('closed during TLS')));
    });
    this.thumbprintSha1 = this.tls1.getPeerCertificate().fingerprint;
    this.tls1.on('data', (c: Buffer) => this.onLineBytes(c));
  }

  sendLine(text: string): void {
    this.tls1.write(`${text}\r\n`);
  }

  /** The next reply line, or null when the connection closed first. */
  async nextReply(): Promise<AuthdReply> {
    while (this.replies.length === 0) {
      if (this.isClosed) throw new Error('authd closed the connection');
      await new Promise<void>((resolve) => { this.waiter = resolve; });
      this.waiter = null;
    }
    return this.replies.shift()!;
  }

  /** After `200 Connect`: bytes go raw (nbd) or to a new TLS (nbdssl). */
  splice(): void {
    this.route = 'after';
    this.feed.detach();
  }

  private onData(c: Buffer): void {
    if (this.route === 'plain') return this.onLineBytes(c);
    if (this.route === 'tls1') {
      if (!this.feed.feed(c)) this.socket.pause();
      return;
    }
    if (this.onAfter) this.onAfter(c);
    else this.afterQueue.push(c);
  }

  private onLineBytes(c: Buffer): void {
    let pos = 0;
    while (pos < c.length) {
      const r = this.lines.push(c.subarray(pos));
      pos += r.used;
      if (r.text !== null) this.replies.push(decodeAuthdReply(r.text));
    }
    this.waiter?.();
  }
}

export class TestNfcClient {
  private readonly parser: AioFrameParser;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private nextOpId = 0;
  private current: { type: number; opId: number; payload: Buffer; extra: Buffer } | null = null;
  out!: net.Socket | tls.TLSSocket;
  bufferSize = 65536;
  /** Classic messages the host sent in the AIO phase. */
  readonly classic: number[] = [];

  private constructor(readonly authd: AuthdClient) {
    this.parser = new AioFrameParser('reply', {
      frame: (header, payload, extraLength) => {
        this.current = { type: header.type, opId: header.opId, payload: Buffer.from(payload), extra: Buffer.alloc(extraLength) };
        if (extraLength === 0) this.deliver();
      },
      classic: (m) => { this.classic.push(m.type); },
      extra: (bytes, at) => {
        this.current!.extra.set(bytes, at);
        if (at + bytes.length === this.current!.extra.length) this.deliver();
      },
    });
  }

  /** authd with the VDDK 8 dialogue, the splice, the classic handshake: ready for AIO. */
  static async connect(port: number, options: AuthdOptions): Promise<TestNfcClient> {
    const a = await AuthdClient.connect(port);
    await a.startTls();
    const nonce = options.nonce ?? PLAINTEXT_NONCE;
    a.sendLine(`SESSION ${options.sessionId}`);
    a.sendLine('BANNER ');
    const banner = await a.nextReply();
    if (banner.code !== 220) throw new Error(`BANNER: ${banner.code}`);
    a.tls1.write(encodeAuthdCommand({ verb: 'THUMBPRINT_SHA2', nonce }));
    const thumb = await a.nextReply();
    if (thumb.code !== 200) throw new Error(`THUMBPRINT_SHA2: ${thumb.code} ${thumb.text}`);
    const service = `${options.service ?? 'nfc'}${options.ssl ? 'ssl' : ''}`;
    a.sendLine(`PROXY ${service}`);
    const connect = await a.nextReply();
    if (connect.code !== 200) throw new AuthdRefusal(connect);
    a.splice();
    const c = new TestNfcClient(a);
    await c.startNfc(options.ssl ?? false, nonce, thumb.text);
    return c;
  }

  private async startNfc(ssl: boolean, nonce: string, sha256: string): Promise<void> {
    const classic = new ClassicFrameReader();
    const hs = new ClassicHandshakeClient();
    let handshakeWaiter: (() => void) | null = null;
    let phase: 'classic' | 'aio' = 'classic';
    let replies = 0;
    const input = (chunk: Buffer) => {
      let pos = 0;
      while (phase === 'classic' && pos < chunk.length) {
        const r = classic.push(chunk.subarray(pos));
        pos += r.used;
        if (r.message) {
          hs.receive(r.message);
          replies++;
          handshakeWaiter?.();
          if (hs.done) phase = 'aio';
        }
      }
      if (phase === 'aio' && pos < chunk.length) this.parser.push(chunk.subarray(pos));
    };
    if (ssl) {
      const feed = new FeedDuplex((chunk, done) => this.authd.socket.write(chunk, done), () => this.authd.socket.resume());
      const t = tls.connect({ socket: feed as unknown as net.Socket, rejectUnauthorized: false });
      t.on('error', () => undefined);
      this.authd.onAfter = (c) => { if (!feed.feed(c)) this.authd.socket.pause(); };
      for (const c of this.authd.afterQueue.splice(0)) feed.feed(c);
      await new Promise<void>((resolve, reject) => {
        t.once('secureConnect', resolve);
        t.once('error', reject);
        this.authd.socket.once('close', () => reject(new Error('closed during the NFC TLS handshake')));
      });
      if (t.getPeerCertificate().fingerprint256 !== sha256) throw new Error('the NFC TLS certificate is not the one THUMBPRINT_SHA2 named');
      t.on('data', input);
      this.out = t;
    } else {
      this.authd.onAfter = input;
      for (const c of this.authd.afterQueue.splice(0)) input(c);
      this.out = this.authd.socket;
    }
    const waitStep = async (n: number) => {
      while (!this.authd.isClosed && replies < n) await new Promise<void>((r) => { handshakeWaiter = r; });
      if (replies < n) throw new Error('the host closed during the NFC handshake');
    };
    this.out.write(encodeClientGreeting(nonce));
    await waitStep(1);
    this.out.write(encodeClientVersion());
    await waitStep(2);
    this.out.write(encodeClientSessionOpen());
    await waitStep(3);
  }

  get closed(): Promise<void> {
    return this.authd.closed;
  }

  private deliver(): void {
    const f = this.current!;
    this.current = null;
    this.pending.get(f.opId)?.({ type: f.type, payload: f.payload, extra: f.extra });
  }

  /** Send one request and wait for its one reply; ERROR rejects with AioRefusal. */
  call(type: number, payload: Uint8Array, extra?: Uint8Array): Promise<Reply> {
    const opId = this.nextOpId++;
    const p = this.expect(opId, true);
    this.out.write(encodeAioFrame(type, opId, payload, extra));
    return p;
  }

  private expect(opId: number, once: boolean, onFrame?: (r: Reply) => boolean): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const onClose = () => reject(new Error('connection closed'));
      void this.authd.closed.then(onClose);
      this.pending.set(opId, (r) => {
        if (r.type === AIO_ERROR) {
          this.pending.delete(opId);
          reject(new AioRefusal(decodeAioError(r.payload)));
          return;
        }
        if (once || onFrame!(r)) {
          this.pending.delete(opId);
          resolve(r);
        }
      });
    });
  }

  async openSession(bufferSize = 65536, bufferCount = 4): Promise<void> {
    await this.call(AIO_OPEN_SESSION, encodeOpenSession({ bufferSize, bufferCount }));
    this.bufferSize = bufferSize || 65536;
    await this.call(AIO_SET_SOCK_OPTS, encodeSocketOptions({ sendBufferSize: 0, receiveBufferSize: 0, flag: 0 }));
    await this.call(AIO_SET_RES_POOL, encodeU32Payload(1));
  }

  async openFile(path: string, readOnly: boolean): Promise<OpenFileReply> {
    const r = encodeOpenFileRequest({ path, fileType: NFC_FILE_DISK, openFlags: readOnly ? OPEN_FLAGS_READ_ONLY : OPEN_FLAGS_READ_WRITE });
    return decodeOpenFileReply((await this.call(AIO_OPEN_FILE, r.payload, r.extra)).payload);
  }

  async ddbGet(handle: bigint, key: string): Promise<string | undefined> {
    const r = encodeDdbGetRequest(handle, key);
    const reply = await this.call(AIO_DDB_GET, r.payload, r.extra);
    return decodeDdbGetReply(reply.payload, reply.extra);
  }

  async queryAllocated(handle: bigint, chunkSizeBytes: number, startOffset: number, chunkCount: number): Promise<Buffer> {
    const reply = await this.call(AIO_QUERY_ALLOCATED_BLOCKS, encodeAllocatedBlocksQuery({ handle, chunkSizeBytes, startOffset, chunkCount }));
    return reply.extra;
  }

  /** One read request; fragments reassembled by their offsets (they may come in any order). */
  read(handle: bigint, offset: number, length: number, compression = COMPRESSION_NONE): Promise<Buffer> {
    const opId = this.nextOpId++;
    const out = Buffer.alloc(length);
    let got = 0;
    const compressions = new Set<number>();
    const p = this.expect(opId, false, (r) => {
      const io = decodeIo(r.payload);
      compressions.add(io.compression);
      const target = out.subarray(io.fragmentOffset, io.fragmentOffset + io.fragmentLength);
      if (io.compression === COMPRESSION_NONE) r.extra.copy(target);
      else if (io.compression === COMPRESSION_ZLIB) inflateSync(r.extra).copy(target);
      else if (io.compression === COMPRESSION_SKIPZ) decodeSkipz(r.extra, target);
      else if (io.compression === COMPRESSION_FASTLZ) decodeFastlz(r.extra, target);
      else throw new Error(`compression ${io.compression} in a reply`);
      got += io.fragmentLength;
      return got >= length;
    });
    const head = Buffer.alloc(IO_FRAME_PREFIX);
    writeIoFrame(head, 0, opId, {
      handle, direction: IO_READ, compression, offset, totalLength: length, fragmentOffset: 0, fragmentLength: length, extraLength: length,
    });
    this.out.write(head);
    return p.then(() => Object.assign(out, { compressions }));
  }

  /** One write: fragments of the session buffer size, each compressed on its own when asked. */
  write(handle: bigint, offset: number, data: Buffer, compression = COMPRESSION_NONE): Promise<Reply> {
    const opId = this.nextOpId++;
    const p = this.expect(opId, true);
    for (let at = 0; at < data.length || at === 0; at += this.bufferSize) {
      const piece = data.subarray(at, Math.min(data.length, at + this.bufferSize));
      let extra: Uint8Array = piece;
      let used = COMPRESSION_NONE;
      if (compression === COMPRESSION_ZLIB) {
        const z = deflateSync(piece);
        if (z.length < piece.length) { extra = z; used = compression; }
      } else if (compression === COMPRESSION_SKIPZ) {
        const s = encodeSkipz(piece);
        if (s) { extra = s; used = compression; }
      }
      const head = Buffer.alloc(IO_FRAME_PREFIX);
      writeIoFrame(head, 0, opId, {
        handle, direction: IO_WRITE, compression: used, offset, totalLength: data.length, fragmentOffset: at,
        fragmentLength: piece.length, extraLength: extra.length,
      });
      this.out.write(head);
      this.out.write(extra);
      if (data.length === 0) break;
    }
    return p;
  }

  /** A write fragment with a chosen compression and extra (FastLZ and hostile tests). */
  writeRaw(handle: bigint, offset: number, totalLength: number, fragmentOffset: number, fragmentLength: number, compression: number, extra: Uint8Array, opId = this.nextOpId++): Promise<Reply> {
    const p = this.expect(opId, true);
    const head = Buffer.alloc(IO_FRAME_PREFIX);
    writeIoFrame(head, 0, opId, {
      handle, direction: IO_WRITE, compression, offset, totalLength, fragmentOffset, fragmentLength, extraLength: extra.length,
    });
    this.out.write(head);
    this.out.write(extra);
    return p;
  }

  takeOpId(): number {
    return this.nextOpId++;
  }

  /** Wait for the reply to an opId whose request was written raw. */
  replyTo(opId: number): Promise<Reply> {
    return this.expect(opId, true);
  }

  async closeFile(handle: bigint): Promise<void> {
    await this.call(AIO_CLOSE_FILE, encodeHandlePayload(handle));
  }

  /** CLOSE_SESSION, classic 4, then wait for the host to close. */
  async end(): Promise<void> {
    await this.call(AIO_CLOSE_SESSION, encodeU32Payload(0));
    this.out.write(encodeClassicMessage({ type: NFC_SESSION_COMPLETE }));
    await this.closed;
  }

  destroy(): void {
    this.authd.socket.destroy();
  }
}

export class AuthdRefusal extends Error {
  constructor(readonly reply: AuthdReply) {
    super(`authd refused: ${reply.code} ${reply.text}`);
  }
}
