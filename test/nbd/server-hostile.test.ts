import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockDevice } from '../../src/block/block-device.js';
import * as P from '../../src/nbd/protocol.js';
import { NbdServer } from '../../src/nbd/server.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { firstDifference, makeTempDir, removeTempDir, runOk } from '../interop/peers.js';
import { makeRawDisk, MiB, openRaw, RawPeer, sleep } from './nbd-support.js';

// Hostile clients against our server: the test catalogue of shared/reference/nbd-and-perf.md §7.2
// (handshake 1-12, transmission 20-30), each drawn from a CVE of nbd-server, qemu-nbd or nbdkit.
// Every case checks the protocol's answer, that the server still serves others, and that the disk
// holds exactly what acknowledged writes put there.

const DISK = 4 * MiB;
const BIG = 8 * 1024 * MiB; // a sparse VMDK: 8 GiB of address space, a few KiB of file

describe('NBD server against hostile clients', () => {
  let dir: string;
  let disk: { path: string; data: Buffer };
  let dev: BlockDevice;
  let roDev: BlockDevice;
  let big: VmdkDisk;
  let server: NbdServer;
  const log: string[] = [];

  const connect = () => RawPeer.connect({ port: server.port! });
  /** A fresh client that reached transmission on `name`. */
  const ready = async (name = 'disk', opts: Parameters<RawPeer['go']>[1] = { structured: true, meta: true }) => {
    const peer = await connect();
    await peer.go(name, opts);
    return peer;
  };
  /** The server still serves a well-behaved client, and the disk reads as expected. */
  const assertHealthy = async () => {
    const peer = await ready('disk', {});
    peer.request(P.CMD_READ, { cookie: 77n, offset: 0n, length: 4096n });
    const r = await peer.simpleReply(4096);
    assert.equal(r.error, 0);
    assert.equal(r.cookie, 77n);
    assert.equal(firstDifference(r.data, disk.data.subarray(0, 4096)), -1);
    peer.request(P.CMD_DISC);
    assert.ok(await peer.closesWithin(2000), 'the server closes after DISC');
  };

  before(async () => {
    dir = await makeTempDir('nbd-hostile');
    disk = await makeRawDisk(dir, 'disk.raw', DISK, 3);
    dev = await openRaw(disk.path);
    const ro = await makeRawDisk(dir, 'ro.raw', DISK, 4);
    roDev = await openRaw(ro.path, true);
    const bigPath = join(dir, 'big.vmdk');
    await runOk('qemu-img', ['create', '-f', 'vmdk', '-o', 'subformat=monolithicSparse', bigPath, String(BIG)]);
    await runOk('qemu-io', ['-f', 'vmdk', bigPath, '-c', 'write -P 0x11 1G 1M']);
    big = await VmdkDisk.open(bigPath);
    server = await new NbdServer({
      exports: [{ name: 'disk', device: dev }, { name: 'ro', device: roDev }, { name: 'big', device: big }],
      port: 0,
      handshakeTimeoutMs: 1500,
      stallTimeoutMs: 500,
      maxConnections: 24,
      log: (m) => log.push(m),
    }).listen();
  });

  after(async () => {
    await server?.close();
    // Nothing a hostile client did reached the disk except acknowledged writes (none to [0, 4 KiB)).
    if (disk) {
      const now = await readFile(disk.path);
      assert.equal(firstDifference(now.subarray(0, 4096), disk.data.subarray(0, 4096)), -1);
    }
    await dev?.close();
    await roDev?.close();
    await big?.close();
    await removeTempDir(dir);
  });

  // ---- handshake ---------------------------------------------------------------------------------

  test('1. client flags with unknown bits, or garbage instead of flags, end the connection (CVE-2017-7539)', async () => {
    for (const flags of [0x80000000, 0x4, 0x49484156]) {
      const peer = await connect();
      await peer.read(18);
      peer.send(P.encodeClientFlags(flags));
      assert.ok(await peer.closesWithin(), `flags 0x${flags.toString(16)}`);
    }
    await assertHealthy();
  });

  test('2. a wrong option magic, or a request sent before GO, ends the connection', async () => {
    let peer = await connect();
    await peer.handshake();
    peer.send(Buffer.from('49484156454f5055000000030000000000', 'hex'));
    assert.ok(await peer.closesWithin());
    peer = await connect();
    await peer.handshake();
    peer.request(P.CMD_READ, { length: 512n });
    assert.ok(await peer.closesWithin());
    await assertHealthy();
  });

  test('3. an option length of 0xffffffff ends the connection at once, nothing drained (CVE-2017-15119)', async () => {
    for (const option of [P.OPT_GO, P.OPT_LIST, 12]) {
      const peer = await connect();
      await peer.handshake();
      const h = Buffer.alloc(16);
      h.writeBigUInt64BE(P.IHAVEOPT, 0);
      h.writeUInt32BE(option, 8);
      h.writeUInt32BE(0xffffffff, 12);
      peer.send(h);
      assert.ok(await peer.closesWithin(1000), `option ${option}`);
    }
    await assertHealthy();
  });

  test('4. unknown options get ERR_UNSUP, their payload skipped, and the next option is parsed', async () => {
    const peer = await connect();
    await peer.handshake();
    for (const option of [12, 0x7fffffff, P.OPT_PEEK_EXPORT, 0xffffffff]) {
      assert.equal(await peer.optionType(option, Buffer.alloc(100, 0x25)), P.REP_ERR_UNSUP);
    }
    const list = await peer.option(P.OPT_LIST);
    assert.equal(list.filter((r) => r.type === P.REP_SERVER).length, 3);
    peer.destroy();
  });

  test('5. LIST, STRUCTURED_REPLY, EXTENDED_HEADERS with a payload get ERR_INVALID; STARTTLS without TLS gets ERR_POLICY (19)', async () => {
    const peer = await connect();
    await peer.handshake();
    for (const option of [P.OPT_LIST, P.OPT_STRUCTURED_REPLY, P.OPT_EXTENDED_HEADERS]) {
      assert.equal(await peer.optionType(option, Buffer.from('xyz')), P.REP_ERR_INVALID, P.OPTION_NAMES[option]);
    }
    assert.equal(await peer.optionType(P.OPT_STARTTLS), P.REP_ERR_POLICY);
    // Nothing of the refused options took effect: GO gives transmission flags without DF.
    const go = await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    const info: P.ExportInfo = {};
    P.decodeInfoReply(go[0]!.payload, info);
    assert.equal(info.transmissionFlags! & P.FLAG_SEND_DF, 0);
    peer.destroy();
  });

  test('6. malformed INFO/GO payloads get ERR_INVALID with exactly the option consumed (CVE-2022-26495)', async () => {
    const peer = await connect();
    await peer.handshake();
    const payloads = [
      Buffer.from('ffffffff0000', 'hex'),
      Buffer.from('000000056469736b0000', 'hex'),
      Buffer.from('000000046469736b00020003', 'hex'),
      Buffer.from('000000046469736b0001000300', 'hex'),
      Buffer.from('0000', 'hex'),
    ];
    for (const option of [P.OPT_INFO, P.OPT_GO]) {
      for (const p of payloads) assert.equal(await peer.optionType(option, p), P.REP_ERR_INVALID, p.toString('hex'));
    }
    const ok = await peer.option(P.OPT_INFO, P.encodeInfoRequest('disk', [P.INFO_NAME]));
    assert.equal(ok[ok.length - 1]!.type, P.REP_ACK);
    peer.destroy();
  });

  test('7. over-long names, NUL and bad UTF-8 get ERR_INVALID; unknown names ERR_UNKNOWN with a short message (CVE-2017-15118, CVE-2020-10761)', async () => {
    const peer = await connect();
    await peer.handshake();
    const infoWithName = (name: Buffer) => {
      const b = Buffer.alloc(6 + name.length);
      b.writeUInt32BE(name.length, 0);
      name.copy(b, 4);
      return b;
    };
    for (const name of [Buffer.alloc(4097, 0x61), Buffer.alloc(65535, 0x61), Buffer.from('a\0b'), Buffer.from([0xc3, 0x28])]) {
      const r = await peer.option(P.OPT_GO, infoWithName(name));
      assert.equal(r[0]!.type, P.REP_ERR_INVALID);
      assert.ok(r[0]!.payload.length <= 4096);
    }
    const r = await peer.option(P.OPT_GO, infoWithName(Buffer.alloc(4000, 0x62)));
    assert.equal(r[0]!.type, P.REP_ERR_UNKNOWN);
    assert.ok(r[0]!.payload.length < 200, `error text of ${r[0]!.payload.length} bytes`);
    peer.destroy();
  });

  test('8. meta contexts: overruns and surplus bytes ERR_INVALID (qemu #4843), floods ERR_TOO_BIG, SET needs structured replies', async () => {
    let peer = await connect();
    await peer.handshake();
    const q = P.encodeMetaContextRequest('disk', [P.META_BASE_ALLOCATION]);
    assert.equal(await peer.optionType(P.OPT_SET_META_CONTEXT, q), P.REP_ERR_INVALID, 'SET before STRUCTURED_REPLY');
    assert.equal(await peer.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ACK);
    for (const option of [P.OPT_LIST_META_CONTEXT, P.OPT_SET_META_CONTEXT]) {
      assert.equal(await peer.optionType(option, Buffer.concat([q, Buffer.from([0, 0, 0])])), P.REP_ERR_INVALID);
      const over = Buffer.from(q);
      over.writeUInt32BE(16, 12); // query length one past the option
      assert.equal(await peer.optionType(option, over), P.REP_ERR_INVALID);
      const flood = Buffer.alloc(12 + 4 * 100_000);
      flood.writeUInt32BE(4, 0);
      flood.write('disk', 4);
      flood.writeUInt32BE(100_000, 8);
      assert.equal(await peer.optionType(option, flood), P.REP_ERR_TOO_BIG);
    }
    const listed = await peer.option(P.OPT_LIST_META_CONTEXT, P.encodeMetaContextRequest('disk', []));
    assert.equal(P.decodeMetaContextReply(listed[0]!.payload).name, P.META_BASE_ALLOCATION);
    // SET for export A, then GO for export B: BLOCK_STATUS is refused.
    assert.equal(await peer.optionType(P.OPT_SET_META_CONTEXT, P.encodeMetaContextRequest('ro', [P.META_BASE_ALLOCATION])), P.REP_ACK);
    assert.equal((await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []))).pop()!.type, P.REP_ACK);
    peer.request(P.CMD_BLOCK_STATUS, { length: 4096n, cookie: 5n });
    const c = await peer.chunk();
    assert.equal(c.type, P.REPLY_TYPE_ERROR);
    assert.equal(P.decodeErrorChunk(c.payload, c.type).error, P.NBD_EINVAL);
    peer.destroy();
    // A failed SET still clears the earlier selection.
    peer = await connect();
    await peer.handshake();
    await peer.optionType(P.OPT_STRUCTURED_REPLY);
    assert.equal(await peer.optionType(P.OPT_SET_META_CONTEXT, q), P.REP_ACK);
    assert.equal(await peer.optionType(P.OPT_SET_META_CONTEXT, Buffer.concat([q, Buffer.from([1])])), P.REP_ERR_INVALID);
    await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    peer.request(P.CMD_BLOCK_STATUS, { length: 4096n });
    const c2 = await peer.chunk();
    assert.equal(P.decodeErrorChunk(c2.payload, c2.type).error, P.NBD_EINVAL);
    peer.destroy();
  });

  test('9. repeated STRUCTURED_REPLY is harmless; STRUCTURED_REPLY after EXTENDED_HEADERS keeps extended headers', async () => {
    let peer = await connect();
    await peer.handshake();
    assert.equal(await peer.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ACK);
    assert.equal(await peer.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ACK);
    await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    peer.request(P.CMD_READ, { length: 512n, cookie: 3n });
    const chunks = await peer.chunks();
    assert.equal(chunks[0]!.type, P.REPLY_TYPE_OFFSET_DATA);
    peer.destroy();
    peer = await connect();
    await peer.handshake();
    assert.equal(await peer.optionType(P.OPT_EXTENDED_HEADERS), P.REP_ACK);
    assert.equal(await peer.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ERR_EXT_HEADER_REQD);
    await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    peer.request(P.CMD_READ, { length: 512n, cookie: 4n, offset: 1024n, extended: true });
    const ext = await peer.chunks(true);
    assert.equal(ext[0]!.offset, 1024n);
    assert.equal(firstDifference(ext[0]!.payload.subarray(8), disk.data.subarray(1024, 1536)), -1);
    peer.destroy();
  });

  test('10. EXPORT_NAME for an unknown export ends the connection; the server lives on (CVE-2013-7441)', async () => {
    const peer = await connect();
    await peer.handshake();
    peer.send(P.encodeOption(P.OPT_EXPORT_NAME, Buffer.from('nope')));
    assert.ok(await peer.closesWithin());
    // EXPORT_NAME after EXTENDED_HEADERS is refused the same way.
    const p2 = await connect();
    await p2.handshake();
    await p2.optionType(P.OPT_EXTENDED_HEADERS);
    p2.send(P.encodeOption(P.OPT_EXPORT_NAME, Buffer.from('disk')));
    assert.ok(await p2.closesWithin());
    // A non-fixed-newstyle client may only use EXPORT_NAME, and gets the 134-byte reply.
    const p3 = await connect();
    await p3.handshake(0);
    p3.send(P.encodeOption(P.OPT_EXPORT_NAME, Buffer.from('disk')));
    const reply = P.decodeExportNameReply(await p3.read(134));
    assert.equal(reply.size, BigInt(DISK));
    p3.destroy();
    await assertHealthy();
  });

  test('11. ABORT, and closing at every step of the handshake, leave the server serving (CVE-2017-9524)', async () => {
    const peer = await connect();
    await peer.handshake();
    peer.send(P.encodeOption(P.OPT_ABORT));
    assert.ok(await peer.closesWithin());
    const steps: Array<(p: RawPeer) => Promise<void>> = [
      async () => undefined,
      async (p) => { await p.read(18); },
      async (p) => { await p.handshake(); },
      async (p) => { await p.handshake(); p.send(P.encodeOption(P.OPT_GO).subarray(0, 10)); },
      async (p) => { await p.handshake(); p.send(P.encodeOption(P.OPT_GO, P.encodeInfoRequest('disk', [])).subarray(0, 20)); },
      async (p) => { await p.handshake(); p.send(P.encodeOption(P.OPT_ABORT)); },
    ];
    for (const step of steps) {
      const p = await connect();
      await step(p);
      p.destroy();
    }
    await sleep(50);
    await assertHealthy();
  });

  test('12. limits: too many options, handshake timeout, connection floods (CVE-2024-7409)', async () => {
    const peer = await connect();
    await peer.handshake();
    let closed = false;
    for (let i = 0; i < 200 && !closed; i++) {
      peer.send(P.encodeOption(12));
      try {
        await peer.optionReply();
      } catch {
        closed = true;
      }
    }
    assert.ok(closed && await peer.closesWithin(), 'an endless stream of options is cut off');
    // Stalling in the handshake: disconnected after handshakeTimeoutMs.
    const silent = await connect();
    assert.ok(await silent.closesWithin(4000), 'a silent client is dropped');
    // A flood: at most maxConnections are held; the rest are closed on accept.
    const flood = await Promise.all(Array.from({ length: 40 }, () => connect()));
    await sleep(200);
    assert.ok(server.connectionCount <= 24, `${server.connectionCount} connections held`);
    const dropped = (await Promise.all(flood.map((p) => p.closesWithin(300)))).filter(Boolean).length;
    assert.ok(dropped >= 16, `${dropped} of 40 refused`);
    for (const p of flood) p.destroy();
    await sleep(100);
    await assertHealthy();
  });

  // ---- transmission ----------------------------------------------------------------------------

  test('20. a bad request magic ends the connection', async () => {
    const peer = await ready('disk', {});
    peer.send(Buffer.alloc(28, 0x12));
    assert.ok(await peer.closesWithin());
  });

  test('21. offsets at and past the end, and 64-bit overflow, get EINVAL or ENOSPC', async () => {
    const peer = await ready('disk', { structured: true, meta: true });
    const cases: Array<[number, bigint, bigint, number]> = [
      [P.CMD_READ, 0xffffffffffffffffn, 1n, P.NBD_EINVAL],
      [P.CMD_READ, BigInt(DISK), 1n, P.NBD_EINVAL],
      [P.CMD_READ, BigInt(DISK) - 1n, 2n, P.NBD_EINVAL],
      [P.CMD_WRITE_ZEROES, 0xfffffffffffffe00n, 0x1000n, P.NBD_ENOSPC],
      [P.CMD_TRIM, BigInt(DISK), 512n, P.NBD_EINVAL],
      [P.CMD_CACHE, 0xfffffffffffff000n, 0x2000n, P.NBD_EINVAL],
      [P.CMD_BLOCK_STATUS, BigInt(DISK) + 512n, 512n, P.NBD_EINVAL],
    ];
    for (const [i, [type, offset, length, errno]] of cases.entries()) {
      peer.request(type, { offset, length, cookie: BigInt(i) });
      const c = await peer.chunk();
      assert.equal(c.cookie, BigInt(i));
      assert.equal(c.type, P.REPLY_TYPE_ERROR, P.COMMAND_NAMES[type]);
      assert.equal(P.decodeErrorChunk(c.payload, c.type).error, errno, `${P.COMMAND_NAMES[type]} at ${offset}`);
    }
    // A WRITE past the end: its payload is read and discarded, ENOSPC, and the stream goes on.
    peer.request(P.CMD_WRITE, { offset: BigInt(DISK) - 100n, payload: Buffer.alloc(4096, 0xee), cookie: 50n });
    const w = await peer.simpleReplyOrChunk();
    assert.equal(w.error, P.NBD_ENOSPC);
    peer.request(P.CMD_READ, { offset: 0n, length: 512n, cookie: 51n });
    const r = await peer.chunks();
    assert.equal(r[0]!.cookie, 51n);
    peer.destroy();
  });

  test('22. WRITE of 32 MiB accepted; 32 MiB + 1 refused and drained; 4 GiB - 1 refused and disconnected', async () => {
    const peer = await ready('big', {});
    const data = Buffer.alloc(32 * MiB, 0x5a);
    peer.request(P.CMD_WRITE, { offset: 2n * 1024n * BigInt(MiB), payload: data, cookie: 1n });
    assert.equal((await peer.simpleReply()).error, 0);
    peer.request(P.CMD_WRITE, { offset: 0n, payload: Buffer.alloc(32 * MiB + 1), cookie: 2n });
    const r2 = await peer.simpleReply();
    assert.equal(r2.cookie, 2n);
    assert.equal(r2.error, P.NBD_EINVAL);
    peer.request(P.CMD_READ, { offset: 2n * 1024n * BigInt(MiB), length: 4096n, cookie: 3n });
    const r3 = await peer.simpleReply(4096);
    assert.ok(r3.data.every((b) => b === 0x5a));
    const before = process.memoryUsage().rss;
    peer.request(P.CMD_WRITE, { offset: 0n, length: 0xffffffffn, cookie: 4n });
    peer.send(Buffer.alloc(MiB));
    const r4 = await peer.simpleReply();
    assert.equal(r4.error, P.NBD_EINVAL);
    assert.ok(await peer.closesWithin());
    assert.ok(process.memoryUsage().rss - before < 512 * MiB, 'no 4 GiB allocation');
    const blank = Buffer.alloc(4096);
    await big.read(0, blank);
    assert.ok(blank.every((b) => b === 0), 'the refused writes wrote nothing');
  });

  test('23. READ of 4 GiB - 1 is refused without allocating it; the connection goes on', async () => {
    const peer = await ready('big', { structured: true });
    peer.request(P.CMD_READ, { offset: 0n, length: 0xffffffffn, cookie: 9n });
    const c = await peer.chunk();
    assert.equal(P.decodeErrorChunk(c.payload, c.type).error, P.NBD_EINVAL);
    peer.request(P.CMD_READ, { offset: BigInt(1024 * MiB), length: 8192n, cookie: 10n });
    const data = await peer.chunks();
    assert.equal(data[0]!.type, P.REPLY_TYPE_OFFSET_DATA);
    assert.ok(data[0]!.payload.subarray(8).every((b) => b === 0x11));
    peer.destroy();
  });

  test('24. BLOCK_STATUS of 0xffffffff, with REQ_ONE, of length 0, without a context (CVE-2025-47711/47712)', async () => {
    for (const extended of [false, true]) {
      const peer = await ready('big', { structured: !extended, extended, meta: true });
      for (const offset of [0n, BigInt(BIG) - 0xffffffffn, BigInt(1024 * MiB) - 512n]) {
        peer.request(P.CMD_BLOCK_STATUS, { offset, length: 0xffffffffn, cookie: 1n, extended });
        const c = await peer.chunks(extended);
        const s = P.decodeBlockStatus(c[0]!.payload, extended);
        const sum = s.extents.reduce((a, e) => a + e.length, 0);
        assert.ok(sum > 0 && sum <= 0xffffffff, `extents sum to ${sum}`);
        assert.ok(BigInt(sum) + offset <= BigInt(BIG));
      }
      peer.request(P.CMD_BLOCK_STATUS, { offset: BigInt(1024 * MiB) - 512n, length: 0xffffffffn, flags: P.CMD_FLAG_REQ_ONE, cookie: 2n, extended });
      const one = P.decodeBlockStatus((await peer.chunks(extended))[0]!.payload, extended);
      assert.equal(one.extents.length, 1);
      assert.equal(one.extents[0]!.length, 512);
      assert.equal(one.extents[0]!.flags, P.STATE_HOLE | P.STATE_ZERO);
      peer.request(P.CMD_BLOCK_STATUS, { offset: 0n, length: 0n, cookie: 3n, extended });
      const zero = await peer.chunk(extended);
      assert.equal(P.decodeErrorChunk(zero.payload, zero.type).error, P.NBD_EINVAL);
      peer.destroy();
    }
    const noMeta = await ready('big', { structured: true });
    noMeta.request(P.CMD_BLOCK_STATUS, { length: 4096n });
    const c = await noMeta.chunk();
    assert.equal(P.decodeErrorChunk(c.payload, c.type).error, P.NBD_EINVAL);
    noMeta.destroy();
  });

  test('25. unknown commands and flags get EINVAL; DF without structured replies EINVAL; FUA on READ/FLUSH accepted', async () => {
    const peer = await ready('disk', {});
    const cases: Array<[number, number]> = [[9, 0], [0xffff, 0], [P.CMD_READ, 0x8000], [P.CMD_READ, P.CMD_FLAG_DF],
      [P.CMD_FLUSH, P.CMD_FLAG_NO_HOLE], [P.CMD_READ, P.CMD_FLAG_PAYLOAD_LEN], [P.CMD_READ, P.CMD_FLAG_REQ_ONE]];
    for (const [i, [type, flags]] of cases.entries()) {
      peer.request(type, { flags, length: 512n, cookie: BigInt(i) });
      const r = await peer.simpleReply();
      assert.equal(r.cookie, BigInt(i));
      assert.equal(r.error, P.NBD_EINVAL, `command ${type} flags ${flags}`);
    }
    peer.request(P.CMD_READ, { flags: P.CMD_FLAG_FUA, length: 512n, cookie: 20n });
    assert.equal((await peer.simpleReply(512)).error, 0);
    peer.request(P.CMD_FLUSH, { flags: P.CMD_FLAG_FUA, cookie: 21n });
    assert.equal((await peer.simpleReply()).error, 0);
    peer.request(P.CMD_FLUSH, { offset: 1n, cookie: 22n });
    assert.equal((await peer.simpleReply()).error, P.NBD_EINVAL);
    peer.destroy();
    // Extended headers: a READ with PAYLOAD_LEN has its payload drained, then EINVAL; a WRITE without it EINVAL.
    const ext = await ready('disk', { extended: true });
    ext.request(P.CMD_READ, { flags: P.CMD_FLAG_PAYLOAD_LEN, length: 100n, extended: true, cookie: 1n, payload: Buffer.alloc(100) });
    assert.equal(P.decodeErrorChunk((await ext.chunk(true)).payload, P.REPLY_TYPE_ERROR).error, P.NBD_EINVAL);
    ext.request(P.CMD_WRITE, { length: 512n, extended: true, cookie: 2n });
    assert.equal(P.decodeErrorChunk((await ext.chunk(true)).payload, P.REPLY_TYPE_ERROR).error, P.NBD_EINVAL);
    ext.request(P.CMD_READ, { length: 512n, extended: true, cookie: 3n, offset: 512n });
    const ok = await ext.chunks(true);
    assert.equal(firstDifference(ok[0]!.payload.subarray(8), disk.data.subarray(512, 1024)), -1);
    ext.destroy();
  });

  test('26. WRITE, TRIM and WRITE_ZEROES on a read-only export get EPERM with the payload drained', async () => {
    const peer = await ready('ro', { structured: true });
    const before = await readFile(join(dir, 'ro.raw'));
    peer.request(P.CMD_WRITE, { offset: 0n, payload: Buffer.alloc(65536, 1), cookie: 1n });
    peer.request(P.CMD_TRIM, { offset: 0n, length: 65536n, cookie: 2n });
    peer.request(P.CMD_WRITE_ZEROES, { offset: 0n, length: 65536n, cookie: 3n });
    for (let i = 1; i <= 3; i++) {
      const c = await peer.chunk();
      assert.equal(P.decodeErrorChunk(c.payload, c.type).error, P.NBD_EPERM);
    }
    peer.request(P.CMD_READ, { offset: 0n, length: 65536n, cookie: 4n });
    const r = await peer.chunks();
    assert.equal(firstDifference(r[0]!.payload.subarray(8), before.subarray(0, 65536)), -1);
    assert.equal(firstDifference(await readFile(join(dir, 'ro.raw')), before), -1);
    peer.destroy();
  });

  test('27. 10 000 pipelined requests with replies unread: back-pressure, bounded memory, duplicate cookies tolerated', async () => {
    const peer = await ready('disk', {});
    const n = 10_000;
    const reqs = Buffer.alloc(28 * n);
    for (let i = 0; i < n; i++) {
      P.encodeRequest({ flags: 0, type: P.CMD_READ, cookie: 42n, offset: BigInt((i % 64) * 65536), length: 65536n }, false, reqs.subarray(28 * i, 28 * i + 28));
    }
    const before = process.memoryUsage().rss;
    peer.send(reqs);
    await sleep(500);
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 256 * MiB, `memory grew by ${Math.round(grown / MiB)} MiB with 655 MB of replies unread`);
    let got = 0;
    for (; got < n; got++) {
      const r = await peer.simpleReply(65536);
      assert.equal(r.cookie, 42n);
      assert.equal(r.error, 0);
    }
    assert.equal(got, n);
    peer.destroy();
  });

  test('28. DISC with requests in flight: every one answered, then the connection closes; nothing after DISC runs', async () => {
    const peer = await ready('disk', {});
    for (let i = 0; i < 20; i++) peer.request(P.CMD_READ, { offset: BigInt(i * 65536), length: 65536n, cookie: BigInt(i) });
    peer.request(P.CMD_DISC, { offset: 123n, length: 456n });
    // A write after DISC must not happen.
    peer.request(P.CMD_WRITE, { offset: 0n, payload: Buffer.alloc(512, 0xff), cookie: 99n });
    const seen = new Set<bigint>();
    for (let i = 0; i < 20; i++) {
      const r = await peer.simpleReply(65536);
      assert.equal(r.error, 0);
      seen.add(r.cookie);
    }
    assert.equal(seen.size, 20);
    assert.ok(await peer.closesWithin());
    const first = Buffer.alloc(512);
    await dev.read(0, first);
    assert.equal(firstDifference(first, disk.data.subarray(0, 512)), -1);
  });

  test('29. a client that resets mid-WRITE, or stalls mid-message, is dropped cleanly; acknowledged writes are on disk', async () => {
    const peer = await ready('disk', {});
    const acked = Buffer.alloc(65536, 0x61);
    peer.request(P.CMD_WRITE, { offset: BigInt(MiB), payload: acked, cookie: 1n });
    assert.equal((await peer.simpleReply()).error, 0);
    peer.request(P.CMD_WRITE, { offset: BigInt(2 * MiB), length: 65536n, cookie: 2n });
    peer.send(Buffer.alloc(30000, 0x62));
    await sleep(50);
    peer.socket.resetAndDestroy();
    const stall = await ready('disk', {});
    stall.send(P.encodeRequest({ flags: 0, type: P.CMD_READ, cookie: 1n, offset: 0n, length: 512n }, false).subarray(0, 13));
    assert.ok(await stall.closesWithin(3000), 'a half-sent header times out');
    const payloadStall = await ready('disk', {});
    payloadStall.request(P.CMD_WRITE, { offset: BigInt(3 * MiB), length: 4096n, cookie: 1n });
    payloadStall.send(Buffer.alloc(100));
    assert.ok(await payloadStall.closesWithin(3000), 'a half-sent payload times out');
    const now = Buffer.alloc(65536);
    await dev.read(MiB, now);
    assert.equal(firstDifference(now, acked), -1);
    const untouched = Buffer.alloc(65536);
    await dev.read(2 * MiB, untouched);
    assert.equal(firstDifference(untouched, disk.data.subarray(2 * MiB, 2 * MiB + 65536)), -1, 'an unacknowledged partial write touched nothing');
    await assertHealthy();
  });

  test('30. shutdown with clients attached: in-flight finished, new requests ESHUTDOWN, handshakes closed, no accept (CVE-2024-7409)', async () => {
    const own = await new NbdServer({ exports: [{ name: '', device: dev }], port: 0 }).listen();
    const port = own.port!;
    const inTransmission = await RawPeer.connect({ port });
    await inTransmission.go('', {});
    const inHandshake = await RawPeer.connect({ port });
    await inHandshake.handshake();
    inTransmission.request(P.CMD_READ, { offset: 0n, length: 65536n, cookie: 1n });
    await sleep(20);
    const closing = own.close();
    inTransmission.request(P.CMD_READ, { offset: 0n, length: 512n, cookie: 2n });
    const first = await inTransmission.simpleReply(65536);
    assert.equal(first.error, 0);
    const r2 = await inTransmission.simpleReply().catch(() => null);
    if (r2) assert.equal(r2.error, P.NBD_ESHUTDOWN);
    await closing;
    assert.ok(await inTransmission.closesWithin());
    assert.ok(await inHandshake.closesWithin());
    await assert.rejects(RawPeer.connect({ port }));
  });
});
