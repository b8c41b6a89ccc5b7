import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  AIO_CLOSE_FILE, AIO_CLOSE_SESSION, AIO_DDB_GET, AIO_IO, AIO_OPEN_FILE, AIO_OPEN_SESSION, AIO_QUERY_ALLOCATED_BLOCKS, AIO_SET_RES_POOL,
  AIO_SET_SOCK_OPTS, AIO_ERROR, COMPRESSION_FASTLZ, COMPRESSION_NONE, COMPRESSION_SKIPZ, COMPRESSION_ZLIB, IO_FRAME_PREFIX, IO_READ, OPEN_FLAG_READ_ONLY_BIT,
  bitmapLength, decodeAllocatedBlocksQuery, decodeDdbGetRequest, decodeIo, decodeOpenFileRequest, decodeOpenSession, encodeAioError,
  encodeAioFrame, encodeDdbGetReply, encodeOpenFileReply, encodeSocketOptions, sessionBufferSize, setChunkAllocated, writeIoFrame,
  type AioHeader,
} from '../../src/nfc/aio-message.js';
import { AioFrameParser } from '../../src/nfc/aio-frame-parser.js';
import {
  AuthdLineSplitter, bannerReply, connectReply, decodeAuthdCommand, encodeAuthdReply, parseProxyService, thumbprintReply,
  ticketRefusedReply, type AuthdCommand,
} from '../../src/nfc/authd-line.js';
import { ClassicHandshakeHost } from '../../src/nfc/classic-handshake.js';
import { CLASSIC_MESSAGE_LENGTH, classicExtraLength, decodeClassicMessage, encodeClassicMessage } from '../../src/nfc/classic-message.js';
import { IoFragmentTracker } from '../../src/nfc/io-fragment-tracker.js';
import { decodeFastlz, encodeFastlz } from '../../src/nfc/fastlz.js';
import { decodeSkipz, encodeSkipz } from '../../src/nfc/skipz.js';

// A scripted NFC host for the client's tests: authd (banner, TLS, the dialogue, the splice as §3.4
// describes it for a server), the classic handshake and the AIO requests of one open disk held in
// memory, written over the same codec the real host uses. Every reply passes through hooks a
// hostile test uses to change what the host says: an authd line, the frames answering a request,
// or the raw bytes after the splice.

const run = promisify(execFile);

export interface Certificate {
  key: string;
  cert: string;
  sha1: string;
  sha256: string;
}

/** A self-signed ECDSA certificate made with certtool (fast: no RSA key search). */
export async function makeCertificate(dir: string, name = 'host'): Promise<Certificate> {
  const f = (n: string) => join(dir, `${name}-${n}`);
  await writeFile(f('info'), 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nexpiration_days = 30\n');
  await run('certtool', ['--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('key.pem')]);
  await run('certtool', ['--generate-self-signed', '--load-privkey', f('key.pem'), '--template', f('info'), '--outfile', f('cert.pem')]);
  const cert = await readFile(f('cert.pem'), 'utf8');
  const x = new X509Certificate(cert);
  return { key: await readFile(f('key.pem'), 'utf8'), cert, sha1: x.fingerprint, sha256: x.fingerprint256 };
}

export interface ScriptHostOptions {
  certificate: Certificate;
  /** The certificate of the second TLS session (nbdssl) and of THUMBPRINT_SHA2 (default: the same). */
  nfcCertificate?: Certificate;
  sessionId: string;
  service: string;
  path: string;
  /** The disk's bytes (the host writes into this array). */
  disk: Uint8Array;
  /** Which 64 KiB-aligned bytes count as allocated (default: any non-zero byte in the chunk). */
  allocated?: (offset: number, length: number) => boolean;
  /** The ticket allows read-only opens only (GetVmFiles). */
  readOnlyTicket?: boolean;
  /** Answer reads compressed when asked (default true). */
  compressReplies?: boolean;
  /** Largest read fragment the host sends (default the session buffer). */
  fragmentSize?: number;
  /** Send read fragments last-first (they may come in any order). */
  reverseFragments?: boolean;
  /** Change an authd reply: return the bytes to send instead (null: send nothing, 'close': hang up). */
  authd?: (command: AuthdCommand | 'banner', normal: Buffer) => Buffer | null | 'close';
  /** Change the frames answering an AIO request (type, opId): what to send, 'silent' or 'close'. */
  reply?: (header: { type: number; opId: number }, frames: Buffer[], requestPayload: Buffer) => Array<Buffer | 'close'> | 'silent' | 'close';
}

/** One scripted host listening on 127.0.0.1; `port` once started. */
export class ScriptHost {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  port = 0;
  /** What the hosts saw: authd commands (session ids masked) and AIO request types, per connection. */
  readonly log: string[] = [];
  /** Connections whose client finished with classic 4. */
  completedSessions = 0;

  constructor(readonly o: ScriptHostOptions) {}

  async start(): Promise<void> {
    this.server = net.createServer((s) => this.connection(s));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  ticket(overrides: Partial<{ sessionId: string; sslThumbprint: string; service: string; port: number }> = {}) {
    return {
      host: '127.0.0.1', port: overrides.port ?? this.port, sessionId: overrides.sessionId ?? this.o.sessionId,
      service: overrides.service ?? this.o.service, sslThumbprint: overrides.sslThumbprint ?? this.o.certificate.sha1,
    };
  }

  private connection(raw: net.Socket): void {
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => undefined);
    raw.setNoDelay(true);
    let sink: (b: Buffer) => void = () => raw.destroy(); // nothing may come before our TLS
    raw.on('data', (b: Buffer) => sink(b));
    const say = (what: AuthdCommand | 'banner', normal: Buffer, out: (b: Buffer) => void): boolean => {
      const b = this.o.authd ? this.o.authd(what, normal) : normal;
      if (b === 'close') { raw.destroy(); return false; }
      if (b) out(b);
      return true;
    };
    if (!say('banner', encodeAuthdReply(bannerReply()), (b) => raw.write(b))) return;

    // TLS#1 over a tunnel we feed; abandoned (never ended) after "200 Connect".
    const tunnel1 = new Tunnel(raw);
    sink = (b) => tunnel1.push(b);
    const first = new tls.TLSSocket(tunnel1, { isServer: true, key: this.o.certificate.key, cert: this.o.certificate.cert });
    first.on('error', () => raw.destroy());
    const splitter = new AuthdLineSplitter();
    let sessionId = '';
    first.on('data', (chunk: Buffer) => {
      let at = 0;
      try {
        while (at < chunk.length) {
          const { text, used } = splitter.push(chunk.subarray(at));
          at += used;
          if (text === null) return;
          const command = decodeAuthdCommand(text);
          this.log.push(command.verb === 'SESSION' ? 'SESSION ***' : text.trim());
          const nfc = this.o.nfcCertificate ?? this.o.certificate;
          switch (command.verb) {
            case 'SESSION': sessionId = command.sessionId; break;
            case 'BANNER': if (!say(command, encodeAuthdReply(bannerReply()), (b) => first.write(b))) return; break;
            case 'THUMBPRINT_SHA2': if (!say(command, encodeAuthdReply(thumbprintReply(nfc.sha256)), (b) => first.write(b))) return; break;
            case 'PROXY': {
              const { ticketService, ssl } = parseProxyService(command.service);
              if (sessionId !== this.o.sessionId || ticketService !== this.o.service) {
                if (say(command, encodeAuthdReply(ticketRefusedReply()), (b) => first.write(b))) first.once('drain', () => raw.destroy());
                setTimeout(() => raw.destroy(), 50);
                return;
              }
              if (!say(command, encodeAuthdReply(connectReply(ssl)), (b) => first.write(b))) return;
              // The splice: from the next byte, NFC (raw or a second TLS).
              if (!ssl) {
                sink = this.nfc(raw, (b) => raw.write(b));
              } else {
                const tunnel2 = new Tunnel(raw);
                sink = (b) => tunnel2.push(b);
                const second = new tls.TLSSocket(tunnel2, { isServer: true, key: nfc.key, cert: nfc.cert });
                second.on('error', () => raw.destroy());
                const nfcSink = this.nfc(raw, (b) => second.write(b));
                second.on('data', (b: Buffer) => nfcSink(b));
              }
              return;
            }
            default: first.write(encodeAuthdReply({ code: 500, text: 'Unknown command' }));
          }
        }
      } catch {
        raw.destroy();
      }
    });
  }

  /** The NFC side of one connection: returns where its received bytes go. */
  private nfc(raw: net.Socket, write: (b: Buffer) => void): (b: Buffer) => void {
    const o = this.o;
    const hello = new ClassicHandshakeHost('PlainText');
    let classicBuf = Buffer.alloc(0);
    let classicExtra = 0;
    let pendingMessage: ReturnType<typeof decodeClassicMessage> | null = null;
    let bufferSize = 65536;
    let handle = 0n;
    let writable = false;
    const writes = new Map<number, { tracker: IoFragmentTracker; offset: number; total: number; data: Buffer }>();
    let current: { header: { type: number; opId: number }; payload: Buffer; extra: Buffer } | null = null;
    let closed = false;

    const send = (header: { type: number; opId: number }, frames: Buffer[], payload: Buffer) => {
      const out = o.reply ? o.reply(header, frames, payload) : frames;
      if (out === 'close') { raw.destroy(); return; }
      if (out === 'silent') return;
      for (const f of out) {
        if (f === 'close') { raw.end(); return; } // what was written goes out, then the hang-up
        write(f);
      }
    };
    const error = (h: AioHeader | { type: number; opId: number }, code: number, message: string, payload: Buffer) =>
      send({ type: h.type, opId: h.opId }, [encodeAioFrame(AIO_ERROR, h.opId, encodeAioError({ code, message }))], payload);

    const answer = (header: { type: number; opId: number }, payload: Buffer, extra: Buffer) => {
      this.log.push(`AIO ${header.type}`);
      const frame = (p: Buffer, x?: Buffer) => [encodeAioFrame(header.type, header.opId, p, x)];
      switch (header.type) {
        case AIO_OPEN_SESSION:
          bufferSize = sessionBufferSize(decodeOpenSession(payload));
          parser.setLimits({ maxFragmentLength: bufferSize });
          return send(header, frame(Buffer.alloc(16)), payload);
        case AIO_SET_SOCK_OPTS: return send(header, frame(encodeSocketOptions({ sendBufferSize: 1675000, receiveBufferSize: 1675000, flag: 1 })), payload);
        case AIO_SET_RES_POOL: return send(header, frame(payload), payload);
        case AIO_OPEN_FILE: {
          const r = decodeOpenFileRequest(payload, extra);
          if (r.path !== o.path) return error(header, 1, `no such file ${r.path}`, payload);
          writable = (r.openFlags & OPEN_FLAG_READ_ONLY_BIT) === 0;
          if (writable && o.readOnlyTicket) return error(header, 0x0b, 'the ticket is read-only', payload);
          handle = 0x1234n;
          return send(header, frame(encodeOpenFileReply({
            handle, fileType: 2, openFlags: r.openFlags, capacityBytes: o.disk.length, sectorSize: 512, cylinders: 1024, heads: 255, sectorsPerTrack: 63,
          })), payload);
        }
        case AIO_DDB_GET: {
          const { key } = decodeDdbGetRequest(payload, extra);
          const r = encodeDdbGetReply(key === 'adapterType' ? 'lsilogic' : undefined);
          return send(header, frame(r.payload, r.extra), payload);
        }
        case AIO_QUERY_ALLOCATED_BLOCKS: {
          const q = decodeAllocatedBlocksQuery(payload);
          const bitmap = Buffer.alloc(bitmapLength(q.chunkCount));
          const isAllocated = o.allocated ?? ((off: number, len: number) => o.disk.subarray(off, off + len).some((b) => b !== 0));
          for (let i = 0; i < q.chunkCount; i++) if (isAllocated(q.startOffset + i * q.chunkSizeBytes, q.chunkSizeBytes)) setChunkAllocated(bitmap, i);
          return send(header, frame(payload, bitmap), payload);
        }
        case AIO_CLOSE_FILE: return send(header, frame(payload), payload);
        case AIO_CLOSE_SESSION: return send(header, frame(payload), payload);
        case AIO_IO: {
          const io = decodeIo(payload);
          if (io.offset + io.totalLength > o.disk.length) return error(header, 16007, 'out of range', payload);
          if (io.direction === IO_READ) {
            const step = o.fragmentSize ?? bufferSize;
            const frames: Buffer[] = [];
            for (let at = 0; at < io.totalLength; at += step) {
              const n = Math.min(step, io.totalLength - at);
              const data = Buffer.from(o.disk.subarray(io.offset + at, io.offset + at + n));
              let body: Buffer = data;
              let compression = COMPRESSION_NONE;
              if ((o.compressReplies ?? true) && io.compression === COMPRESSION_ZLIB) {
                const z = deflateSync(data);
                if (z.length < n) { body = z; compression = COMPRESSION_ZLIB; }
              } else if ((o.compressReplies ?? true) && io.compression === COMPRESSION_FASTLZ) {
                const z = encodeFastlz(data);
                if (z) { body = z; compression = COMPRESSION_FASTLZ; }
              } else if ((o.compressReplies ?? true) && io.compression === COMPRESSION_SKIPZ) {
                const z = encodeSkipz(data);
                if (z) { body = z; compression = COMPRESSION_SKIPZ; }
              }
              const f = Buffer.alloc(IO_FRAME_PREFIX + body.length);
              writeIoFrame(f, 0, header.opId, { ...io, handle: 0n, compression, fragmentOffset: at, fragmentLength: n, extraLength: body.length });
              f.set(body, IO_FRAME_PREFIX);
              frames.push(f);
            }
            if (o.reverseFragments) frames.reverse();
            return send(header, frames, payload);
          }
          // A write fragment: gathered until the request is whole, then one reply.
          if (!writable) return error(header, 0x0b, 'the file is open read-only', payload);
          let w = writes.get(header.opId);
          if (!w) {
            w = { tracker: new IoFragmentTracker(io, true), offset: io.offset, total: io.totalLength, data: Buffer.alloc(io.totalLength) };
            writes.set(header.opId, w);
          }
          w.tracker.add(io);
          const place = w.data.subarray(io.fragmentOffset, io.fragmentOffset + io.fragmentLength);
          if (io.compression === COMPRESSION_NONE) place.set(extra);
          else if (io.compression === COMPRESSION_SKIPZ) decodeSkipz(extra, place);
          else if (io.compression === COMPRESSION_ZLIB) place.set(inflateSync(extra));
          else if (io.compression === COMPRESSION_FASTLZ) decodeFastlz(extra, place);
          if (!w.tracker.complete) return;
          writes.delete(header.opId);
          o.disk.set(w.data, w.offset);
          const reply = Buffer.alloc(IO_FRAME_PREFIX);
          writeIoFrame(reply, 0, header.opId, { ...io, fragmentOffset: 0, fragmentLength: io.totalLength, extraLength: 0 });
          return send(header, [reply], payload);
        }
        default: return error(header, 1, `unknown request ${header.type}`, payload);
      }
    };

    const parser = new AioFrameParser('request', {
      frame: (h, p, n) => {
        current = { header: { type: h.type, opId: h.opId }, payload: Buffer.from(p), extra: Buffer.alloc(n) };
        if (n === 0) { const c = current; current = null; safe(() => answer(c.header, c.payload, c.extra), c); }
      },
      classic: (m) => { if (m.type === 4) { closed = true; this.completedSessions++; } },
      extra: (b, at) => {
        const c = current!;
        c.extra.set(b, at);
        if (at + b.length === c.extra.length) { current = null; safe(() => answer(c.header, c.payload, c.extra), c); }
      },
    });
    const safe = (f: () => void, c: { header: { type: number; opId: number }; payload: Buffer }) => {
      try { f(); } catch (err) { error(c.header, 1, (err as Error).message, c.payload); }
    };

    return (b: Buffer) => {
      if (closed) return;
      try {
        if (!hello.done) {
          // Classic phase: 264-byte frames, 54's strings after it.
          classicBuf = Buffer.concat([classicBuf, b]);
          for (;;) {
            if (pendingMessage) {
              if (classicBuf.length < classicExtra) return;
              const reply = hello.receive(pendingMessage, classicBuf.subarray(0, classicExtra));
              classicBuf = classicBuf.subarray(classicExtra);
              pendingMessage = null;
              if (reply) write(encodeClassicMessage(reply));
              continue;
            }
            if (hello.done) {
              const rest = classicBuf;
              classicBuf = Buffer.alloc(0);
              if (rest.length) parser.push(rest);
              return;
            }
            if (classicBuf.length < CLASSIC_MESSAGE_LENGTH) return;
            pendingMessage = decodeClassicMessage(classicBuf.subarray(0, CLASSIC_MESSAGE_LENGTH));
            classicExtra = classicExtraLength(pendingMessage);
            classicBuf = classicBuf.subarray(CLASSIC_MESSAGE_LENGTH);
          }
        }
        parser.push(b);
      } catch {
        raw.destroy();
      }
    };
  }
}

/** The stream a server-side TLS session runs over: writes go to the socket, we push what it reads. */
class Tunnel extends Duplex {
  constructor(private readonly raw: net.Socket) { super(); }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void { this.raw.write(chunk, () => cb()); }
  override _final(cb: () => void): void { cb(); }
}
