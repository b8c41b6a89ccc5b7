import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { VixError } from '../../src/errors/vix-error.js';
import { NbdClient, type NbdClientOptions } from '../../src/nbd/client.js';
import * as P from '../../src/nbd/protocol.js';
import { NbdServer } from '../../src/nbd/server.js';
import { tempDir } from '../support/temp-dir.js';
import { random01 } from '../support/xorshift.js';
import { makeRawDisk, MiB, openRaw, RawPeer, sleep, withTimeout } from './nbd-support.js';

// Byte-level fuzzing of both ends, beside the hand-written hostile cases: valid conversations,
// recorded or encoded, are mutated (bytes flipped, length fields set to extremes, cut short,
// spliced, padded with noise) and replayed. The server must end or keep each connection without
// harm to its other clients or to the disk; the client must finish every call with a result or a
// VixError, in bounded time and memory. VIXDISK_FUZZ_ITERATIONS sets the cases per side (default 150).

const ITERATIONS = Number(process.env.VIXDISK_FUZZ_ITERATIONS ?? 150);
const SIZE = 2 * MiB;
/** Connections (server side) or clients (client side) fuzzed at once. */
const PARALLEL = 6;

const EXTREMES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x1000000, 0x2000001];

/** One to four mutations of `input` (a copy): the kinds of damage a hostile or broken peer sends. */
function mutate(input: Buffer, r: () => number): Buffer {
  let b = Buffer.from(input);
  const pick = (n: number) => Math.floor(r() * n);
  for (let k = 1 + pick(4); k > 0 && b.length > 0; k--) {
    const at = pick(b.length);
    switch (pick(7)) {
      case 0: b[at] = b[at]! ^ (1 << pick(8)); break;
      case 1: b[at] = r() < 0.5 ? 0 : 0xff; break;
      case 2: if (at + 4 <= b.length) b.writeUInt32BE(EXTREMES[pick(EXTREMES.length)]!, at - (at % 4)); break;
      case 3: b = b.subarray(0, at); break;
      case 4: { const n = 1 + pick(64); b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: n }, () => pick(256))), b.subarray(at)]); break; }
      case 5: { const from = pick(b.length); b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + pick(256)), b.subarray(at)]); break; }
      default: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(32))]);
    }
  }
  return b;
}

/** Run `n` cases, `PARALLEL` at a time. */
async function inParallel(n: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < n) await one(next++);
  }));
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** A client's whole side of a conversation, as bytes: handshake, options, requests, DISC. */
function clientTranscript(variant: number): Buffer {
  const extended = variant % 2 === 1;
  const name = variant < 2 ? 'ro' : 'rw';
  const req = (type: number, offset: number, length: number, cookie: number, flags = 0) =>
    P.encodeRequest({ flags, type, cookie: BigInt(cookie), offset: BigInt(offset), length: BigInt(length) }, extended);
  const parts = [
    P.encodeClientFlags(P.FLAG_C_FIXED_NEWSTYLE | P.FLAG_C_NO_ZEROES),
    P.encodeOption(extended ? P.OPT_EXTENDED_HEADERS : P.OPT_STRUCTURED_REPLY),
    P.encodeOption(P.OPT_LIST),
    P.encodeOption(P.OPT_SET_META_CONTEXT, P.encodeMetaContextRequest(name, [P.META_BASE_ALLOCATION])),
    P.encodeOption(P.OPT_INFO, P.encodeInfoRequest(name, [P.INFO_BLOCK_SIZE])),
    P.encodeOption(P.OPT_GO, P.encodeInfoRequest(name, [P.INFO_BLOCK_SIZE, P.INFO_DESCRIPTION])),
    req(P.CMD_READ, 0, 65536, 1),
    req(P.CMD_BLOCK_STATUS, 0, SIZE, 2),
    req(P.CMD_WRITE, 4096, 4096, 3, P.CMD_FLAG_FUA), Buffer.alloc(4096, 0x5a),
    req(P.CMD_WRITE_ZEROES, 8192, 8192, 4),
    req(P.CMD_TRIM, 65536, 65536, 5),
    req(P.CMD_CACHE, 0, 4096, 6),
    req(P.CMD_FLUSH, 0, 0, 7),
    req(P.CMD_READ, SIZE - 512, 512, 8, P.CMD_FLAG_DF),
    req(P.CMD_DISC, 0, 0, 9),
  ];
  return Buffer.concat(parts);
}

test('fuzzed client conversations: the server ends or keeps each connection, serves others, and leaves the disk alone', { timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-nbd-fuzz-');
  const ro = await makeRawDisk(dir, 'ro.raw', SIZE, 5);
  const rw = await makeRawDisk(dir, 'rw.raw', SIZE, 6);
  const roDev = await openRaw(ro.path, true);
  const rwDev = await openRaw(rw.path);
  const log: string[] = [];
  const server = await new NbdServer({
    exports: [{ name: 'ro', device: roDev }, { name: 'rw', device: rwDev }],
    port: 0,
    handshakeTimeoutMs: 1000,
    stallTimeoutMs: 300,
    maxConnections: PARALLEL + 4,
    log: (m) => log.push(m),
  }).listen();
  t.after(async () => {
    await server.close();
    await roDev.close();
    await rwDev.close();
  });
  const roHash = await sha256(ro.path);
  const transcripts = [0, 1, 2, 3].map(clientTranscript);
  const r = random01(0x5eed);
  const cases = Array.from({ length: ITERATIONS }, (_, i) => mutate(transcripts[i % transcripts.length]!, r));
  const buffersBefore = process.memoryUsage().arrayBuffers;
  let closedByServer = 0;

  await inParallel(ITERATIONS, async (i) => {
    const peer = await RawPeer.connect({ port: server.port! });
    let received = 0;
    peer.reader.detach();
    peer.socket.on('data', (d: Buffer) => { received += d.length; });
    peer.socket.resume();
    peer.socket.end(cases[i]!);
    // The server closes on anything it cannot accept; a conversation it can accept may end idle,
    // which a server allows: after a quiet spell the client leaves.
    let last = -1;
    for (let waited = 0; !peer.isClosed && waited < 5000; waited += 100) {
      if (received === last && waited >= 600) break;
      last = received;
      await sleep(100);
    }
    if (!peer.isClosed) peer.destroy(); else closedByServer++;
    assert.ok(received < 16 * MiB, `case ${i}: the server sent ${received} bytes`);
  });

  t.diagnostic(`${closedByServer} of ${ITERATIONS} connections were ended by the server`);
  assert.ok(process.memoryUsage().arrayBuffers - buffersBefore < 128 * MiB, 'memory stays bounded');
  // Every diagnostic is one line, never a stack trace.
  for (const m of log) assert.ok(!m.includes('\n') && !/^\s+at /m.test(m), `log line: ${m}`);
  // The server still serves a well-behaved client, and the read-only disk never changed.
  const client = await NbdClient.connect(`nbd://127.0.0.1:${server.port}/ro`, { connections: 1 });
  try {
    const b = Buffer.alloc(SIZE);
    await client.read(0, b);
    assert.ok(b.equals(ro.data), 'the read-only export reads as before');
  } finally {
    await client.close();
  }
  assert.equal(await sha256(ro.path), roHash, 'the read-only file is unchanged');
});

/**
 * The server's side of a real conversation with our client, in the segments it was sent: each
 * segment after the client had sent `after` bytes (so a replay can answer at the same points).
 */
async function recordServerSide(server: NbdServer, script: (uri: string) => Promise<void>): Promise<Array<{ after: number; bytes: Buffer }>> {
  const segments: Array<{ after: number; bytes: Buffer }> = [];
  let fromClient = 0;
  const proxy = net.createServer((c) => {
    const s = net.createConnection({ port: server.port!, host: '127.0.0.1' });
    c.on('data', (d: Buffer) => { fromClient += d.length; s.write(d); });
    s.on('data', (d: Buffer) => {
      const last = segments[segments.length - 1];
      if (last && last.after === fromClient) last.bytes = Buffer.concat([last.bytes, d]);
      else segments.push({ after: fromClient, bytes: Buffer.from(d) });
      c.write(d);
    });
    c.on('end', () => s.end());
    s.on('end', () => c.end());
    c.on('error', () => s.destroy());
    s.on('error', () => c.destroy());
  });
  await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', res));
  try {
    await script(`nbd://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/ro`);
  } finally {
    await new Promise<void>((res) => proxy.close(() => res()));
  }
  return segments;
}

/** Serves mutated recordings: segment k once the client has sent its `after` bytes, then closes. */
class ReplayServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private queue: Array<Array<{ after: number; bytes: Buffer }>> = [];
  constructor() {
    this.server = net.createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      this.serve(s);
    });
  }

  push(segments: Array<{ after: number; bytes: Buffer }>): void {
    this.queue.push(segments);
  }

  private serve(s: net.Socket): void {
    const segments = this.queue.shift() ?? [];
    let got = 0;
    let k = 0;
    s.on('error', () => undefined);
    const pump = () => {
      while (k < segments.length && got >= segments[k]!.after) s.write(segments[k++]!.bytes);
      if (k === segments.length) s.end();
    };
    s.on('data', (d: Buffer) => { got += d.length; pump(); });
    pump();
  }

  async listen(): Promise<number> {
    await new Promise<void>((res) => this.server.listen(0, '127.0.0.1', res));
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((res) => this.server.close(() => res()));
  }
}

test('fuzzed server conversations: every client call ends with a result or a VixError, in bounded time and memory', { timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-nbd-fuzz-');
  const ro = await makeRawDisk(dir, 'ro.raw', SIZE, 7);
  const dev = await openRaw(ro.path, true);
  const server = await new NbdServer({ exports: [{ name: 'ro', device: dev }], port: 0 }).listen();
  t.after(async () => {
    await server.close();
    await dev.close();
  });
  // One client conversation: reads (one split in two requests), block status, close. Serial, so
  // the recorded replies come in one order; with a connection each, cookies are the same each run.
  const variants: Array<NbdClientOptions> = [{}, { extendedHeaders: false }, { structuredReplies: false }];
  const conversation = async (uri: string, options: NbdClientOptions) => {
    const client = await NbdClient.connect(uri, { connections: 1, connectTimeoutMs: 2000, stallTimeoutMs: 300, replyTimeoutMs: 1000, ...options });
    try {
      const a = new Uint8Array(65536);
      await client.read(0, a);
      await client.blockStatus(0, SIZE);
      const b = new Uint8Array(300 << 10);
      await client.read(MiB, b);
      await client.read(SIZE - 4096, new Uint8Array(4096));
      return { a, b };
    } finally {
      await client.close();
    }
  };
  const recordings: Array<{ options: NbdClientOptions; segments: Array<{ after: number; bytes: Buffer }> }> = [];
  for (const options of variants) {
    const segments = await recordServerSide(server, async (uri) => {
      const { a, b } = await conversation(uri, options);
      assert.ok(Buffer.from(a).equals(ro.data.subarray(0, 65536)));
      assert.ok(Buffer.from(b).equals(ro.data.subarray(MiB, MiB + (300 << 10))));
    });
    recordings.push({ options, segments });
  }

  const replay = new ReplayServer();
  const port = await replay.listen();
  t.after(() => replay.close());
  const r = random01(0xc0ffee);
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const outcomes = new Map<string, number>();
  await inParallel(ITERATIONS, async (i) => {
    const { options, segments } = recordings[i % recordings.length]!;
    // Damage one segment (the handshake or a reply), sometimes cut the conversation short.
    const k = Math.floor(r() * segments.length);
    const damaged = segments.map((s, j) => (j === k ? { after: s.after, bytes: mutate(s.bytes, r) } : s));
    if (r() < 0.2) damaged.length = 1 + Math.floor(r() * damaged.length);
    replay.push(damaged);
    let outcome = 'completed';
    try {
      // A client that hangs fails the case (withTimeout's plain Error is not a VixError).
      await withTimeout(conversation(`nbd://127.0.0.1:${port}/ro`, options), 10_000, `case ${i}`);
    } catch (err) {
      assert.ok(err instanceof VixError, `case ${i}: not a VixError: ${(err as Error)?.stack ?? err}`);
      assert.ok(!err.message.includes('\n'), `case ${i}: one line: ${err.message}`);
      outcome = `VIX error ${err.code}`;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  });
  t.diagnostic(`outcomes: ${[...outcomes].map(([o, n]) => `${o} ×${n}`).join(', ')}`);
  assert.ok(process.memoryUsage().arrayBuffers - buffersBefore < 128 * MiB, 'memory stays bounded');
});
