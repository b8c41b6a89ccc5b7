import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { StreamReader } from '../../src/nbd/stream-reader.js';
import * as P from '../../src/nbd/protocol.js';
import { DataGenerator, run, runOk } from '../interop/peers.js';

// What the NBD tests share: a raw-socket peer that sends exactly the bytes a test wants (hostile
// clients and servers), peer servers started as child processes and waited for, test disks and
// certificates made with certtool.

export const MiB = 1 << 20;

/** A client speaking raw bytes, for feeding a server whatever a test wants. */
export class RawPeer {
  readonly reader: StreamReader;
  private closedFlag = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    this.reader = new StreamReader(socket, { highWaterMark: 64 << 20 });
    this.closed = new Promise((r) => socket.once('close', () => { this.closedFlag = true; r(); }));
    socket.on('error', () => undefined);
  }

  static async connect(target: { port: number; host?: string } | { path: string }): Promise<RawPeer> {
    const s = 'path' in target ? net.createConnection({ path: target.path }) : net.createConnection({ port: target.port, host: target.host ?? '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.setNoDelay(true);
    return new RawPeer(s);
  }

  /** After a STARTTLS ACK: TLS over the same socket, and a peer speaking through it. */
  async upgrade(options: tls.ConnectionOptions): Promise<RawPeer> {
    assert.equal(this.reader.detach(), 0, 'nothing after the STARTTLS ACK');
    const secure = tls.connect({ socket: this.socket, ...options });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    return new RawPeer(secure);
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  send(...parts: Uint8Array[]): void {
    for (const p of parts) this.socket.write(p);
  }

  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    return withTimeout(this.reader.read(n), timeoutMs, `reading ${n} bytes`);
  }

  /** Greeting read, client flags sent: ready for options. */
  async handshake(clientFlags = P.FLAG_C_FIXED_NEWSTYLE | P.FLAG_C_NO_ZEROES): Promise<number> {
    const g = await this.read(18);
    assert.deepEqual(g.subarray(0, 16), P.encodeGreeting(0).subarray(0, 16));
    this.send(P.encodeClientFlags(clientFlags));
    return g.readUInt16BE(16);
  }

  async optionReply(): Promise<{ option: number; type: number; payload: Buffer }> {
    const h = P.decodeOptionReplyHeader(await this.read(20));
    return { option: h.option, type: h.type, payload: await this.read(h.length) };
  }

  /** Send an option and collect replies up to the final one (ACK or error). */
  async option(option: number, payload?: Uint8Array): Promise<Array<{ option: number; type: number; payload: Buffer }>> {
    this.send(P.encodeOption(option, payload));
    const out = [];
    for (;;) {
      const r = await this.optionReply();
      out.push(r);
      if (r.type === P.REP_ACK || (r.type & P.REP_FLAG_ERROR)) return out;
    }
  }

  /** The final reply type of an option. */
  async optionType(option: number, payload?: Uint8Array): Promise<number> {
    const r = await this.option(option, payload);
    return r[r.length - 1]!.type;
  }

  /** Handshake and GO for `name`, with structured replies (and meta context) when asked. */
  async go(name = '', opts: { structured?: boolean; extended?: boolean; meta?: boolean } = {}): Promise<{ size: bigint; flags: number }> {
    await this.handshake();
    if (opts.extended) assert.equal(await this.optionType(P.OPT_EXTENDED_HEADERS), P.REP_ACK);
    if (opts.structured) assert.equal(await this.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ACK);
    if (opts.meta) assert.equal(await this.optionType(P.OPT_SET_META_CONTEXT, P.encodeMetaContextRequest(name, [P.META_BASE_ALLOCATION])), P.REP_ACK);
    const replies = await this.option(P.OPT_GO, P.encodeInfoRequest(name, []));
    assert.equal(replies[replies.length - 1]!.type, P.REP_ACK, 'GO acknowledged');
    const info: P.ExportInfo = {};
    for (const r of replies.slice(0, -1)) P.decodeInfoReply(r.payload, info);
    return { size: info.size!, flags: info.transmissionFlags! };
  }

  request(type: number, opts: { flags?: number; cookie?: bigint; offset?: bigint; length?: bigint; extended?: boolean; payload?: Uint8Array } = {}): void {
    this.send(P.encodeRequest({
      flags: opts.flags ?? 0, type, cookie: opts.cookie ?? 1n, offset: opts.offset ?? 0n, length: opts.length ?? BigInt(opts.payload?.length ?? 0),
    }, opts.extended ?? false));
    if (opts.payload) this.send(opts.payload);
  }

  /** A simple reply (and, for a successful READ, `dataLength` bytes). */
  async simpleReply(dataLength = 0): Promise<{ error: number; cookie: bigint; data: Buffer }> {
    const r = P.decodeSimpleReply(await this.read(16));
    const data = r.error === 0 && dataLength ? await this.read(dataLength) : Buffer.alloc(0);
    return { ...r, data };
  }

  /** A simple reply or one structured chunk without data: its error (0 for success) and cookie. */
  async simpleReplyOrChunk(): Promise<{ error: number; cookie: bigint }> {
    const head = await this.read(16);
    if (head.readUInt32BE(0) === P.SIMPLE_REPLY_MAGIC) return P.decodeSimpleReply(head);
    const h = P.decodeChunkHeader(Buffer.concat([head, await this.read(4)]));
    const payload = await this.read(h.length);
    return { cookie: h.cookie, error: h.type & P.REPLY_TYPE_ERROR_BIT ? P.decodeErrorChunk(payload, h.type).error : 0 };
  }

  /** One structured or extended chunk with its payload. */
  async chunk(extended = false): Promise<P.ChunkHeader & { payload: Buffer }> {
    const h = P.decodeChunkHeader(await this.read(extended ? 32 : 20));
    return { ...h, payload: await this.read(h.length) };
  }

  /** Chunks until DONE. */
  async chunks(extended = false): Promise<Array<P.ChunkHeader & { payload: Buffer }>> {
    const out = [];
    for (;;) {
      const c = await this.chunk(extended);
      out.push(c);
      if (c.flags & P.REPLY_FLAG_DONE) return out;
    }
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async closesWithin(timeoutMs = 3000): Promise<boolean> {
    if (this.closedFlag) return true;
    return Promise.race([this.closed.then(() => true), sleep(timeoutMs).then(() => false)]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(`timed out ${what}`)), ms); })]);
  } finally {
    clearTimeout(t);
  }
}

/** A raw image of mixed data with a hole-like zero run, and its bytes. */
export async function makeRawDisk(dir: string, name: string, size: number, seed = 1): Promise<{ path: string; data: Buffer }> {
  const data = new DataGenerator(seed).mixed(size);
  // A long zero run so that sparse paths are exercised even on raw data.
  data.fill(0, Math.floor(size / 4), Math.floor(size / 2));
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, data };
}

export async function openRaw(path: string, readOnly = false): Promise<RawFileDevice> {
  return RawFileDevice.open(path, { readOnly });
}

/** A free TCP port on loopback (closed again at once; good enough for a test). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Wait until something accepts connections at the target. */
export async function waitForListener(target: { port: number } | { path: string }, timeoutMs = 10_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the peer server exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = 'path' in target ? net.createConnection({ path: target.path }) : net.createConnection({ port: target.port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens at ${JSON.stringify(target)} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A peer server as a child process; stopped by its own pid. */
export interface PeerServer {
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startPeerServer(cmd: string, args: string[], target: { port: number } | { path: string }): Promise<PeerServer> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += String(d); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const peer: PeerServer = {
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  try {
    await waitForListener(target, 10_000, child);
  } catch (e) {
    await peer.stop();
    throw new Error(`${cmd} ${args.join(' ')}: ${(e as Error).message}\n${err}`);
  }
  return peer;
}

/** CA, server and client certificates made with certtool, in the layout nbdkit/qemu/libnbd use. */
export async function makeCertificates(dir: string, cn = 'localhost'): Promise<{ dir: string; thumbprintSha256: string; thumbprintSha1: string }> {
  const f = (n: string) => join(dir, n);
  await writeFile(f('ca.info'), 'cn = vixdisk test CA\nca\ncert_signing_key\nexpiration_days = 30\n');
  await writeFile(f('server.info'), `organization = vixdisk test\ncn = ${cn}\ndns_name = localhost\nip_address = 127.0.0.1\nip_address = ::1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n`);
  await writeFile(f('client.info'), 'country = GB\nstate = London\nlocality = London\norganization = vixdisk test\ncn = client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 30\n');
  const ct = (args: string[]) => runOk('certtool', args, { timeoutMs: 30_000 });
  await ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f('ca-key.pem')]);
  await ct(['--generate-self-signed', '--load-privkey', f('ca-key.pem'), '--template', f('ca.info'), '--outfile', f('ca-cert.pem')]);
  await ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f('server-key.pem')]);
  await ct(['--generate-certificate', '--load-ca-certificate', f('ca-cert.pem'), '--load-ca-privkey', f('ca-key.pem'),
    '--load-privkey', f('server-key.pem'), '--template', f('server.info'), '--outfile', f('server-cert.pem')]);
  await ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f('client-key.pem')]);
  await ct(['--generate-certificate', '--load-ca-certificate', f('ca-cert.pem'), '--load-ca-privkey', f('ca-key.pem'),
    '--load-privkey', f('client-key.pem'), '--template', f('client.info'), '--outfile', f('client-cert.pem')]);
  const { X509Certificate } = await import('node:crypto');
  const { readFile } = await import('node:fs/promises');
  const x = new X509Certificate(await readFile(f('server-cert.pem')));
  return { dir, thumbprintSha256: x.fingerprint256, thumbprintSha1: x.fingerprint };
}

/** `qemu-img compare` of two images (formats given), asserting they are identical. */
export async function assertSameImage(a: string, fa: string, b: string, fb: string): Promise<void> {
  const r = await run('qemu-img', ['compare', '-f', fa, '-F', fb, a, b], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `qemu-img compare ${a} ${b}: ${r.stdout}${r.stderr}`);
}
