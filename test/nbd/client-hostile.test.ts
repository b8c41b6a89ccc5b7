import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { VixError } from '../../src/errors/vix-error.js';
import { NbdClient, type NbdClientOptions } from '../../src/nbd/client.js';
import * as P from '../../src/nbd/protocol.js';
import { RawPeer, sleep } from './nbd-support.js';

// Our client against hostile servers (libnbd's and qemu's client CVEs, §7.2 client-side): every
// length the server sends is bounded, chunks must lie inside what was asked and not overlap,
// nothing is trusted past the request, TLS is never silently dropped, and a stalled server times out.

const SIZE = 1 << 20;
const is = (code: number, re?: RegExp) => (e: unknown) => e instanceof VixError && e.code === code && (!re || re.test(e.message));

interface Script {
  /** Greeting override: raw bytes instead of the fixed-newstyle greeting. */
  greeting?: Buffer;
  size?: bigint;
  flags?: number;
  /** Answer STARTTLS with ACK followed by these plaintext bytes. */
  starttlsExtra?: Buffer;
  /** Replace the reply to an option (return null to answer normally). */
  option?: (peer: RawPeer, option: number) => Promise<boolean> | boolean;
  extended?: boolean;
  /** Serve one request; the default is a correct structured reply. */
  request?: (peer: RawPeer, req: P.Request) => Promise<void> | void;
}

/** A scripted NBD server that answers correctly except where the script says otherwise. */
class FakeServer {
  private server: net.Server;
  script: Script = {};
  constructor() {
    this.server = net.createServer((s) => { void this.serve(new RawPeer(s)).catch(() => s.destroy()); });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private async serve(peer: RawPeer): Promise<void> {
    const sc = this.script;
    if (sc.greeting) {
      peer.send(sc.greeting);
      await peer.read(4).catch(() => undefined);
      await sleep(2000);
      peer.destroy();
      return;
    }
    peer.send(P.encodeGreeting(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES));
    await peer.read(4);
    let extended = false;
    for (;;) {
      const h = P.decodeOptionHeader(await peer.read(16));
      const payload = await peer.read(h.length);
      if (sc.option && await sc.option(peer, h.option)) continue;
      switch (h.option) {
        case P.OPT_STARTTLS:
          peer.send(Buffer.concat([P.encodeOptionReply(h.option, P.REP_ACK), sc.starttlsExtra ?? Buffer.alloc(0)]));
          await sleep(2000);
          peer.destroy();
          return;
        case P.OPT_EXTENDED_HEADERS:
          if (sc.extended) {
            extended = true;
            peer.send(P.encodeOptionReply(h.option, P.REP_ACK));
          } else peer.send(P.encodeOptionReply(h.option, P.REP_ERR_UNSUP));
          break;
        case P.OPT_STRUCTURED_REPLY:
          peer.send(P.encodeOptionReply(h.option, P.REP_ACK));
          break;
        case P.OPT_SET_META_CONTEXT:
          peer.send(P.encodeOptionReply(h.option, P.REP_META_CONTEXT, P.encodeMetaContextReply(5, P.META_BASE_ALLOCATION)));
          peer.send(P.encodeOptionReply(h.option, P.REP_ACK));
          break;
        case P.OPT_GO:
          void payload;
          peer.send(P.encodeOptionReply(h.option, P.REP_INFO, P.encodeInfoExport(sc.size ?? BigInt(SIZE), sc.flags ?? (P.FLAG_HAS_FLAGS | P.FLAG_SEND_FLUSH | P.FLAG_SEND_WRITE_ZEROES))));
          peer.send(P.encodeOptionReply(h.option, P.REP_ACK));
          return this.transmission(peer, extended);
        default:
          peer.send(P.encodeOptionReply(h.option, P.REP_ERR_UNSUP));
      }
    }
  }

  private async transmission(peer: RawPeer, extended: boolean): Promise<void> {
    for (;;) {
      const req = P.decodeRequest(await peer.read(extended ? 32 : 28), extended);
      if (req.type === P.CMD_DISC) return peer.destroy();
      if (req.type === P.CMD_WRITE) await peer.read(Number(req.length));
      if (this.script.request) await this.script.request(peer, req);
      else chunk(peer, req, P.REPLY_TYPE_NONE, Buffer.alloc(0), true, extended);
    }
  }
}

function chunk(peer: RawPeer, req: P.Request, type: number, payload: Buffer, done: boolean, extended = false, length = payload.length): void {
  peer.send(P.encodeChunkHeader({ flags: done ? P.REPLY_FLAG_DONE : 0, type, cookie: req.cookie, offset: req.offset, length }, extended), payload);
}

function data(req: P.Request, at: bigint, bytes: Buffer): Buffer {
  return Buffer.concat([P.encodeOffset(at), bytes]);
}

describe('NBD client against hostile servers', () => {
  const fake = new FakeServer();
  let port: number;
  const connect = (opts: NbdClientOptions = {}, scheme = 'nbd') => NbdClient.connect(`${scheme}://127.0.0.1:${port}/x`, { connectTimeoutMs: 3000, ...opts });

  before(async () => { port = await fake.listen(); });
  after(() => fake.close());

  /** A client connected to a server answering every READ with `reply`; the read must fail with 14006. */
  const readFails = async (reply: (peer: RawPeer, req: P.Request) => void, re?: RegExp) => {
    fake.script = { request: (peer, req) => { if (req.type === P.CMD_READ) reply(peer, req); } };
    const c = await connect();
    try {
      await assert.rejects(c.read(4096, Buffer.alloc(4096)), is(14006, re));
      // After a protocol violation the connection is gone for good.
      await assert.rejects(c.read(0, Buffer.alloc(512)), (e: unknown) => e instanceof VixError);
    } finally {
      await c.close();
    }
  };

  test('nbds never settles for oldstyle, plain newstyle, a refused STARTTLS, or plaintext after the ACK (CVE-2019-14842)', async () => {
    fake.script = { greeting: P.encodeOldstyleGreeting(BigInt(SIZE), 1) };
    await assert.rejects(connect({}, 'nbds'), is(14006, /oldstyle/));
    fake.script = { greeting: P.encodeGreeting(0) };
    await assert.rejects(connect({}, 'nbds'), is(14006, /fixed newstyle/));
    fake.script = { option: (peer, o) => o === P.OPT_STARTTLS && (peer.send(P.encodeOptionReply(o, P.REP_ERR_POLICY)), true) };
    await assert.rejects(connect({}, 'nbds'), is(14006, /TLS was required/));
    fake.script = { starttlsExtra: Buffer.from('injected') };
    await assert.rejects(connect({}, 'nbds'), is(14006, /plaintext/));
  });

  test('option replies: oversized, for the wrong option, or out of place, are refused without allocating', async () => {
    fake.script = { option: (peer, o) => {
      const h = P.encodeOptionReply(o, P.REP_ACK);
      h.writeUInt32BE(0xffffffff, 16);
      peer.send(h);
      return true;
    } };
    await assert.rejects(connect(), is(14006, /option reply/));
    fake.script = { option: (peer, o) => { peer.send(P.encodeOptionReply(o + 1, P.REP_ACK)); return true; } };
    await assert.rejects(connect(), is(14006));
    fake.script = { option: (peer, o) => { if (o === P.OPT_STRUCTURED_REPLY) { peer.send(P.encodeOptionReply(o, P.REP_SERVER)); return true; } return false; } };
    await assert.rejects(connect(), is(14006));
  });

  test('an export size past 2^53 (or 2^63) is refused (CVE-2023-5215)', async () => {
    for (const size of [1n << 63n, (1n << 64n) - 1n, 1n << 54n]) {
      fake.script = { size };
      await assert.rejects(connect(), is(14006, /absurd/));
    }
  });

  test('READ chunks outside the request, overlapping, short, too long, or of unknown type end the connection', async () => {
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset + 1n, Buffer.alloc(4096)), true), /outside/);
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, 0n, Buffer.alloc(100)), true), /outside/);
    await readFails((peer, req) => {
      chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset, Buffer.alloc(2048)), false);
      chunk(peer, req, P.REPLY_TYPE_OFFSET_HOLE, P.encodeOffsetHole(req.offset + 1024n, 3072), true);
    }, /overlaps/);
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset, Buffer.alloc(1024)), true), /after sending 1024/);
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, Buffer.alloc(0), true, false, 0x7fffffff), /OFFSET_DATA/);
    await readFails((peer, req) => chunk(peer, req, 77, Buffer.alloc(4), true), /unknown reply chunk/);
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_BLOCK_STATUS, P.encodeBlockStatus(5, [{ length: 4096, flags: 0 }], false), true), /block status chunk in reply/);
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_ERROR, Buffer.from('0000000500ff41', 'hex'), true), /message length/);
    await readFails((peer, req) => peer.send(P.encodeSimpleReply(0, req.cookie), Buffer.alloc(4096)), /simple reply to a READ/);
    await readFails((peer, req) => chunk(peer, { ...req, cookie: req.cookie + 1000n }, P.REPLY_TYPE_NONE, Buffer.alloc(0), true), /not in flight/);
    // Cookies and offsets are read without BigInt: halves that put them past 2^53 are still refused.
    await readFails((peer, req) => chunk(peer, { ...req, cookie: req.cookie + (1n << 60n) }, P.REPLY_TYPE_NONE, Buffer.alloc(0), true), /not in flight/);
    await readFails((peer, req) => chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset + (1n << 62n), Buffer.alloc(4096)), true), /outside/);
    // A chunk with the whole read, then another one for part of it: the second overlaps.
    await readFails((peer, req) => {
      chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset, Buffer.alloc(4096)), false);
      chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset + 4000n, Buffer.alloc(96)), true);
    }, /overlaps/);
    // The data of a reply split over many small writes still lands in place (parsed as it arrives).
    fake.script = {
      request: async (peer, req) => {
        if (req.type !== P.CMD_READ) return chunk(peer, req, P.REPLY_TYPE_NONE, Buffer.alloc(0), true);
        const bytes = Buffer.alloc(Number(req.length), 0x5a);
        const reply = Buffer.concat([P.encodeChunkHeader({ flags: P.REPLY_FLAG_DONE, type: P.REPLY_TYPE_OFFSET_DATA, cookie: req.cookie, length: bytes.length + 8 }, false), data(req, req.offset, bytes)]);
        for (let at = 0; at < reply.length; at += 1000) {
          peer.send(reply.subarray(at, at + 1000));
          await sleep(1);
        }
      },
    };
    const c = await connect();
    try {
      const b = Buffer.alloc(20000);
      await c.read(8192, b);
      assert.ok(b.every((x) => x === 0x5a));
    } finally {
      await c.close();
    }
  });

  test('error chunks fail the request with the mapped VIX code; the connection carries on', async () => {
    fake.script = { request: (peer, req) => {
      if (req.offset === 0n) chunk(peer, req, P.REPLY_TYPE_ERROR, P.encodeErrorChunk(P.NBD_EIO, 'disk on fire'), true);
      else if (req.offset === 512n) chunk(peer, req, 0x8123, Buffer.from('0000001c0000', 'hex'), true);
      else if (req.type === P.CMD_WRITE) peer.send(P.encodeSimpleReply(P.NBD_ENOSPC, req.cookie));
      else {
        // Holes and data in any order, as the spec allows.
        chunk(peer, req, P.REPLY_TYPE_OFFSET_HOLE, P.encodeOffsetHole(req.offset + 2048n, Number(req.length) - 2048), false);
        chunk(peer, req, P.REPLY_TYPE_OFFSET_DATA, data(req, req.offset, Buffer.alloc(2048, 0x42)), true);
      }
    } };
    const c = await connect();
    try {
      await assert.rejects(c.read(0, Buffer.alloc(4096)), is(7, /disk on fire/));
      // An unknown error chunk type still fails the request, with the error value it carries.
      await assert.rejects(c.read(512, Buffer.alloc(512)), is(8, /0x8123/));
      await assert.rejects(c.write(8192, Buffer.alloc(512)), is(8));
      const b = Buffer.alloc(4096, 0xff);
      await c.read(65536, b);
      assert.ok(b.subarray(0, 2048).every((x) => x === 0x42) && b.subarray(2048).every((x) => x === 0));
    } finally {
      await c.close();
    }
  });

  test('block status: wrong context, duplicate chunks refused; extents past the request clipped; 64-bit flags accepted', async () => {
    const statusReply = (mk: (req: P.Request) => Array<[number, Buffer, boolean]>, extended = false) => {
      fake.script = { extended, request: (peer, req) => {
        if (req.type !== P.CMD_BLOCK_STATUS) return chunk(peer, req, P.REPLY_TYPE_NONE, Buffer.alloc(0), true, extended);
        for (const [type, payload, done] of mk(req)) chunk(peer, req, type, payload, done, extended);
      } };
    };
    statusReply(() => [[P.REPLY_TYPE_BLOCK_STATUS, P.encodeBlockStatus(9, [{ length: 4096, flags: 0 }], false), true]]);
    let c = await connect();
    await assert.rejects(c.blockStatus(0, 4096), is(14006, /context 9/));
    await c.close();
    statusReply(() => [[P.REPLY_TYPE_BLOCK_STATUS, P.encodeBlockStatus(5, [{ length: 4096, flags: 0 }], false), false],
      [P.REPLY_TYPE_BLOCK_STATUS, P.encodeBlockStatus(5, [{ length: 4096, flags: 0 }], false), true]]);
    c = await connect();
    await assert.rejects(c.blockStatus(0, 4096), is(14006, /two block status/));
    await c.close();
    statusReply(() => [[P.REPLY_TYPE_BLOCK_STATUS, P.encodeBlockStatus(5, [{ length: 4096, flags: 3 }, { length: 0xffff0000, flags: 0 }], false), true]]);
    c = await connect();
    assert.deepEqual(await c.blockStatus(0, 8192), [{ offset: 0, length: 4096, allocated: false, zero: true }, { offset: 4096, length: 4096, allocated: true, zero: false }]);
    await c.close();
    // Extended headers: 64-bit descriptors with high status bits set (CVE-2023-5871).
    const wide = Buffer.from('00000005 00000001 0000000000001000 ffffffff00000003'.replace(/ /g, ''), 'hex');
    statusReply(() => [[P.REPLY_TYPE_BLOCK_STATUS_EXT, wide, true]], true);
    c = await connect();
    assert.equal(c.negotiated.extended, true);
    assert.deepEqual(await c.blockStatus(0, 4096), [{ offset: 0, length: 4096, allocated: false, zero: true }]);
    await c.close();
    // A server returning less than asked is asked again from where it stopped.
    statusReply((req) => [[P.REPLY_TYPE_BLOCK_STATUS, P.encodeBlockStatus(5, [{ length: 1024, flags: req.offset === 0n ? 0 : 3 }], false), true]]);
    c = await connect();
    assert.deepEqual(await c.blockStatus(0, 3072), [{ offset: 0, length: 1024, allocated: true, zero: false }, { offset: 1024, length: 2048, allocated: false, zero: true }]);
    await c.close();
  });

  test('a server that stalls mid-reply, or never replies, is timed out', async () => {
    fake.script = { request: (peer, req) => { if (req.type === P.CMD_READ) peer.send(P.encodeChunkHeader({ flags: 1, type: 1, cookie: req.cookie, length: 4104 }, false).subarray(0, 10)); } };
    let c = await connect({ stallTimeoutMs: 300 });
    await assert.rejects(c.read(0, Buffer.alloc(4096)), is(14011));
    await c.close();
    fake.script = { request: () => undefined };
    c = await connect({ replyTimeoutMs: 300 });
    await assert.rejects(c.read(0, Buffer.alloc(4096)), is(14011, /no reply/));
    await c.close();
    // A server that accepts but never greets: the connect timeout.
    const mute = net.createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    await assert.rejects(NbdClient.connect(`nbd://127.0.0.1:${(mute.address() as net.AddressInfo).port}/`, { connectTimeoutMs: 300 }), is(14011));
    mute.close();
  });
});
