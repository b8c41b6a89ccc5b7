import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as A from '../../src/nfc/aio-message.js';
import * as C from '../../src/nfc/classic-message.js';
import * as H from '../../src/nfc/classic-handshake.js';
import * as L from '../../src/nfc/authd-line.js';
import { AioFrameParser } from '../../src/nfc/aio-frame-parser.js';
import { IoFragmentTracker } from '../../src/nfc/io-fragment-tracker.js';
import { decodeSkipz, encodeSkipz } from '../../src/nfc/skipz.js';
import { NfcProtocolError } from '../../src/nfc/nfc-protocol-error.js';
import {
  NFC_OUTCOME_TO_VIX, vixErrorForAioError, vixErrorForClassicError, vixErrorForProtocolError,
} from '../../src/nfc/error-mapping.js';
import { VixError } from '../../src/errors/vix-error.js';
import { xorshift32 } from '../support/xorshift.js';

// The NFC and authd codecs byte for byte against vsphere-remote.md §3 and §4 (the worked bytes of
// §4.11 in both directions), their refusals of hostile bytes, and a mutation fuzz.

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The codec's error, fatal or not as expected, with a message matching `pattern`. */
function nfcError(fatal: boolean, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof NfcProtocolError, `expected NfcProtocolError, got ${String(err)}`);
    assert.equal(err.fatal, fatal, `fatal should be ${fatal}: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  };
}

/** What a parser handed over, frame by frame, with each extra reassembled from its pieces. */
interface Parsed {
  kind: 'aio' | 'classic';
  type: number;
  opId?: number;
  payload: Buffer;
  extra: Buffer;
}

function collect(direction: A.AioDirection, limits?: A.AioLimits) {
  const out: Parsed[] = [];
  const parser = new AioFrameParser(direction, {
    frame(header, payload, extraLength) {
      out.push({ kind: 'aio', type: header.type, opId: header.opId, payload: Buffer.from(payload), extra: Buffer.alloc(extraLength) });
    },
    classic(message, extraLength) {
      out.push({ kind: 'classic', type: message.type, payload: Buffer.alloc(0), extra: Buffer.alloc(extraLength) });
    },
    extra(bytes, at) {
      out[out.length - 1]!.extra.set(bytes, at);
    },
  }, limits);
  return { parser, out };
}

/** Feed `bytes` to a parser in pieces whose sizes come from `next` (1 .. maxPiece). */
function feedInPieces(parser: AioFrameParser, bytes: Uint8Array, next: () => number, maxPiece: number): void {
  let pos = 0;
  while (pos < bytes.length) {
    const n = 1 + (next() % maxPiece);
    parser.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
}

// ---- §4.11 worked bytes --------------------------------------------------------------------------------

describe('NFC worked bytes (§4.11), both directions', () => {
  test('classic 43 CLIENTRANDOM "PlainText"', () => {
    const b = C.encodeClassicMessage({ type: C.NFC_CLIENTRANDOM, nonce: C.PLAINTEXT_NONCE });
    assert.equal(b.length, 264);
    assert.deepEqual(b.subarray(0, 16), hex('2b000000 506c61696e54657874 000000'));
    assert.ok(b.subarray(16).every((x) => x === 0));
    assert.deepEqual(C.decodeClassicMessage(b), { type: 43, nonce: 'PlainText' });
  });

  test('classic 51 version 11', () => {
    const b = C.encodeClassicMessage({ type: C.NFC_VERSION, version: C.NFC_PROTOCOL_VERSION });
    assert.deepEqual(b.subarray(0, 16), hex('33000000 0b000000 00000000 00000000'));
    assert.ok(b.subarray(16).every((x) => x === 0));
    assert.deepEqual(C.decodeClassicMessage(b), { type: 51, version: 11 });
  });

  const openFileBytes = Buffer.concat([
    hex('7ada00a1 04000000 3c000000 03000000'),
    hex('10000000 00000000 00000000 00000000 02000000 1e000000'), Buffer.alloc(36),
    hex('5b6473315d20766d2f766d2e766d646b'),
  ]);

  test('AIO OPEN_FILE, opId 3, read-only, "[ds1] vm/vm.vmdk": encoded by the client, decoded by the host', () => {
    const { payload, extra } = A.encodeOpenFileRequest({ path: '[ds1] vm/vm.vmdk', fileType: A.NFC_FILE_DISK, openFlags: A.OPEN_FLAGS_READ_ONLY });
    assert.deepEqual(A.encodeAioFrame(A.AIO_OPEN_FILE, 3, payload, extra), openFileBytes);
    const decoded = A.decodeAioFrame(openFileBytes, 'request');
    assert.ok(decoded);
    assert.equal(decoded.length, openFileBytes.length);
    assert.deepEqual({ type: decoded.frame.type, size: decoded.frame.size, opId: decoded.frame.opId }, { type: 4, size: 60, opId: 3 });
    assert.deepEqual(A.decodeOpenFileRequest(decoded.frame.payload, decoded.frame.extra),
      { path: '[ds1] vm/vm.vmdk', fileType: 2, openFlags: 0x1e });
  });

  const ioReadBytes = hex(`7ada00a1 07000000 2c000000 12000000
    34120000 00000000 01000000 00000000 00000000 00000000 00020100 00000000 00020100 00020100 00000000`);
  const ioRead: A.Io = {
    handle: 0x1234n, direction: A.IO_READ, compression: A.COMPRESSION_NONE, offset: 0,
    totalLength: 66048, fragmentOffset: 0, fragmentLength: 66048, extraLength: 66048,
  };

  test('AIO IO read, opId 18, handle 0x1234, 129 sectors: a request with no extra after it', () => {
    const b = Buffer.alloc(A.IO_FRAME_PREFIX);
    A.writeIoFrame(b, 0, 18, ioRead);
    assert.deepEqual(b, ioReadBytes);
    const decoded = A.decodeAioFrame(ioReadBytes, 'request');
    assert.ok(decoded);
    assert.equal(decoded.length, 60, 'extra length 66048 is not data in a read request');
    assert.equal(decoded.frame.opId, 18);
    assert.deepEqual(A.decodeIo(decoded.frame.payload), ioRead);
  });

  test('its reply (§4.5 example): fragments of 65536 and 512 bytes, parsed in any order and in pieces', () => {
    const data = Buffer.alloc(66048);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const fragment = (fragmentOffset: number, fragmentLength: number) => {
      const b = Buffer.alloc(A.IO_FRAME_PREFIX + fragmentLength);
      A.writeIoFrame(b, 0, 18, { ...ioRead, handle: 0n, fragmentOffset, fragmentLength, extraLength: fragmentLength });
      data.copy(b, A.IO_FRAME_PREFIX, fragmentOffset, fragmentOffset + fragmentLength);
      return b;
    };
    const first = fragment(0, 65536);
    const second = fragment(65536, 512);
    assert.deepEqual(second.subarray(0, 60), hex(`7ada00a1 07000000 2c000000 12000000
      00000000 00000000 01000000 00000000 00000000 00000000 00020100 00000100 00020000 00020000 00000000`));
    for (const order of [[first, second], [second, first]]) {
      const { parser, out } = collect('reply', { maxFragmentLength: 65536 });
      feedInPieces(parser, Buffer.concat(order), xorshift32(order[0] === first ? 1 : 2), 5000);
      assert.equal(out.length, 2);
      const result = Buffer.alloc(66048);
      const tracker = new IoFragmentTracker(ioRead, false);
      for (const f of out) {
        const io = A.decodeIo(f.payload);
        A.checkIoFragment(io, { maxFragmentLength: 65536 });
        tracker.add(io);
        f.extra.copy(result, io.fragmentOffset);
      }
      assert.ok(tracker.complete);
      assert.deepEqual(result, data);
    }
  });
});

// ---- classic messages ------------------------------------------------------------------------------------

describe('NFC classic messages (§4.2)', () => {
  const roundTrips: C.ClassicMessage[] = [
    { type: C.NFC_SESSION_PARAMS },
    { type: C.NFC_FILEOP_STATUS, status: 1 },
    { type: C.NFC_VERSION, version: 0xffffffff },
    { type: C.NFC_CONNECTION_DATA, nameLength: 4, opIdLength: 7 },
    { type: C.NFC_SESSION_FEATURES, features: C.VDDK_SESSION_FEATURES },
    { type: C.NFC_AIO_SESSION_OPEN },
    { type: C.NFC_SESSION_COMPLETE },
    { type: C.NFC_ERROR, errorType: 3, errorCode: 5, messageLength: 4096 },
    { type: C.NFC_CLIENTRANDOM, nonce: 'x'.repeat(C.MAX_NONCE_LENGTH) },
  ];
  for (const m of roundTrips) {
    test(`type ${m.type} (${C.CLASSIC_TYPE_NAMES[m.type]}) round trip`, () => {
      const b = C.encodeClassicMessage(m);
      assert.equal(b.length, 264);
      assert.deepEqual(C.decodeClassicMessage(b), m);
    });
  }

  test('the VDDK 8 handshake frames: 33 all zero, 36 with 1 at +16, 52 all zero, 55 with 3 at +4', () => {
    assert.ok(C.encodeClassicMessage({ type: 33 }).subarray(4).every((x) => x === 0));
    assert.deepEqual(C.encodeClassicMessage({ type: 36, status: 1 }).subarray(0, 20), hex('24000000 00000000 00000000 00000000 01000000'));
    assert.deepEqual(C.encodeClassicMessage({ type: 52 }).subarray(0, 8), hex('34000000 00000000'));
    assert.deepEqual(C.encodeClassicMessage({ type: 55, features: 3 }).subarray(0, 8), hex('37000000 03000000'));
  });

  test('connection data 54: lengths 4 and 7 then "vddk" "nbdmode" after the frame', () => {
    const { message, extra } = C.encodeConnectionData(C.VDDK_CLIENT_NAME, C.VDDK_OP_ID);
    const b = C.encodeClassicMessage(message);
    assert.deepEqual(b.subarray(0, 12), hex('36000000 04000000 07000000'));
    assert.equal(extra.toString('latin1'), 'vddknbdmode');
    const decoded = C.decodeClassicMessage(b);
    assert.equal(C.classicExtraLength(decoded), 11);
    assert.ok(decoded.type === C.NFC_CONNECTION_DATA);
    assert.deepEqual(C.decodeConnectionData(decoded, extra), { clientName: 'vddk', opId: 'nbdmode' });
    assert.throws(() => C.decodeConnectionData(decoded, extra.subarray(1)), nfcError(true, /10 bytes, not the 11/));
  });

  test('NFC_ERROR 20: type, code, length with NUL at +4..+12, the message after the frame', () => {
    const text = 'Failed to allocate the requested 2097176 bytes';
    const { message, extra } = C.encodeClassicError(1, 5, text);
    const b = C.encodeClassicMessage(message);
    assert.deepEqual(b.subarray(0, 16), hex(`14000000 01000000 05000000 ${(text.length + 1).toString(16).padStart(2, '0')}000000`));
    assert.equal(extra.length, text.length + 1);
    assert.equal(extra[extra.length - 1], 0);
    const decoded = C.decodeClassicMessage(b);
    assert.equal(C.classicExtraLength(decoded), text.length + 1);
    assert.equal(C.decodeClassicErrorText(extra), text);
    assert.equal(C.decodeClassicErrorText(Buffer.from('bad\nline\0')), 'bad?line');
  });

  test('hostile classic frames are refused, fatally, without allocating what they claim', () => {
    const frame = (type: number, fill: (b: Buffer) => void = () => {}) => {
      const b = Buffer.alloc(264);
      b.writeUInt32LE(type, 0);
      fill(b);
      return b;
    };
    assert.throws(() => C.decodeClassicMessage(Buffer.alloc(263)), nfcError(true, /264 bytes, not 263/));
    assert.throws(() => C.decodeClassicMessage(frame(35)), nfcError(true, /unknown classic NFC message type 35/));
    assert.throws(() => C.decodeClassicMessage(frame(0xa100da7a)), nfcError(true, /unknown classic/));
    assert.throws(() => C.decodeClassicMessage(frame(20, (b) => b.writeUInt32LE(0xffffffff, 12))), nfcError(true, /4294967295 is more than the 4096/));
    assert.throws(() => C.decodeClassicMessage(frame(54, (b) => b.writeUInt32LE(0xffffffff, 8))), nfcError(true, /op id length/));
    assert.throws(() => C.decodeClassicMessage(frame(43)), nfcError(true, /nonce/));
    assert.throws(() => C.decodeClassicMessage(frame(43, (b) => b.fill(0x41, 4))), nfcError(true, /NUL-terminated/));
    assert.throws(() => C.decodeClassicMessage(frame(43, (b) => b.write('Plain\x01Text', 4, 'latin1'))), nfcError(true));
    assert.throws(() => C.encodeClassicMessage({ type: 43, nonce: '' }), nfcError(true));
    assert.throws(() => C.decodeConnectionData({ nameLength: 1, opIdLength: 1 }, Buffer.from([0x41, 0])), nfcError(true, /printable/));
  });
});

// ---- AIO messages ----------------------------------------------------------------------------------------------

/** Encode a frame, decode it back in `direction`, return the frame's views. */
function throughWire(type: number, opId: number, payload: Uint8Array, extra: Uint8Array | undefined, direction: A.AioDirection) {
  const bytes = A.encodeAioFrame(type, opId, payload, extra);
  const decoded = A.decodeAioFrame(bytes, direction);
  assert.ok(decoded, 'a whole frame decodes');
  assert.equal(decoded.length, bytes.length, 'the frame takes exactly its bytes');
  assert.equal(decoded.frame.payload.buffer, bytes.buffer, 'payload is a view');
  assert.equal(decoded.frame.extra.buffer, bytes.buffer, 'extra is a view');
  assert.equal(decoded.frame.opId, opId);
  return decoded.frame;
}

describe('NFC AIO messages (§4.3-4.5): round trips with edge values', () => {
  test('header: magic 7a da 00 a1, type, size, opId; opId 2^32-1', () => {
    const b = Buffer.alloc(16);
    A.writeAioHeader(b, 0, A.AIO_CLOSE_SESSION, 4, 0xffffffff);
    assert.deepEqual(b, hex('7ada00a1 03000000 04000000 ffffffff'));
    assert.deepEqual(A.decodeAioHeader(b), { type: 3, size: 4, opId: 0xffffffff });
  });

  test('OPEN_SESSION: size and count at +4 and +8; 0 means 64 KiB, 2 MiB accepted, more refused', () => {
    const p = A.encodeOpenSession({ bufferSize: 2 << 20, bufferCount: 4 });
    assert.deepEqual(p, hex('00000000 00002000 04000000 00000000'));
    const f = throughWire(A.AIO_OPEN_SESSION, 0, p, undefined, 'request');
    const request = A.decodeOpenSession(f.payload);
    assert.deepEqual(request, { bufferSize: 2 << 20, bufferCount: 4 });
    assert.equal(A.sessionBufferSize(request), 2 << 20);
    assert.equal(A.sessionBufferSize({ bufferSize: 0, bufferCount: 0 }), 65536);
    assert.throws(() => A.sessionBufferSize({ bufferSize: 16 << 20, bufferCount: 1 }), nfcError(false, /16777216 bytes is more than the 2097152/));
    assert.throws(() => A.sessionBufferSize({ bufferSize: 65537, bufferCount: 1 }), nfcError(false, /multiple of 512/));
    assert.deepEqual(A.decodeOpenSession(throughWire(A.AIO_OPEN_SESSION, 0, A.encodeOpenSession({ bufferSize: 0, bufferCount: 0 }), undefined, 'reply').payload),
      { bufferSize: 0, bufferCount: 0 });
  });

  test('SET_SOCK_OPTS: zeros from the client, sizes and flag from the host', () => {
    assert.deepEqual(A.encodeSocketOptions({ sendBufferSize: 0, receiveBufferSize: 0, flag: 0 }), Buffer.alloc(12));
    const reply = { sendBufferSize: A.DEFAULT_SOCKET_BUFFER_SIZE, receiveBufferSize: 0xffffffff, flag: 1 };
    assert.deepEqual(A.decodeSocketOptions(throughWire(A.AIO_SET_SOCK_OPTS, 1, A.encodeSocketOptions(reply), undefined, 'reply').payload), reply);
  });

  test('SET_RES_POOL 1 and CLOSE_SESSION 0, echoed', () => {
    assert.equal(A.decodeU32Payload(throughWire(A.AIO_SET_RES_POOL, 2, A.encodeU32Payload(A.VDDK_RESOURCE_POOL), undefined, 'reply').payload, A.AIO_SET_RES_POOL), 1);
    assert.equal(A.decodeU32Payload(throughWire(A.AIO_CLOSE_SESSION, 9, A.encodeU32Payload(0), undefined, 'request').payload, A.AIO_CLOSE_SESSION), 0);
  });

  test('OPEN_FILE request: a 4096-byte UTF-8 path, read-write flags', () => {
    const path = `[datastore1] ${'é'.repeat(2041)}x`;
    const { payload, extra } = A.encodeOpenFileRequest({ path, fileType: A.NFC_FILE_DISK, openFlags: A.OPEN_FLAGS_READ_WRITE });
    assert.equal(extra.length, 4096);
    const f = throughWire(A.AIO_OPEN_FILE, 3, payload, extra, 'request');
    assert.deepEqual(A.decodeOpenFileRequest(f.payload, f.extra), { path, fileType: 2, openFlags: 0x1a });
    assert.equal(A.OPEN_FLAGS_READ_ONLY & A.OPEN_FLAG_READ_ONLY_BIT, A.OPEN_FLAG_READ_ONLY_BIT);
    assert.equal(A.OPEN_FLAGS_READ_WRITE & A.OPEN_FLAG_READ_ONLY_BIT, 0);
    assert.throws(() => A.encodeOpenFileRequest({ path: `${path}x`, fileType: 2, openFlags: 0x1a }), nfcError(false));
  });

  test('OPEN_FILE reply: handle 2^64-1, capacity 2^53-1 at the unaligned +28, sector size and geometry', () => {
    const reply: A.OpenFileReply = {
      handle: 0xffffffffffffffffn, fileType: 2, openFlags: 0x1e, capacityBytes: Number.MAX_SAFE_INTEGER,
      sectorSize: 512, cylinders: 16383, heads: 16, sectorsPerTrack: 63,
    };
    const p = A.encodeOpenFileReply(reply);
    assert.deepEqual(p.subarray(0, 52), hex(`00000000 00000000 ffffffff ffffffff 02000000 1e000000 00000000
      ffffffff ffff1f00 00020000 ff3f0000 10000000 3f000000`));
    assert.deepEqual(A.decodeOpenFileReply(throughWire(A.AIO_OPEN_FILE, 3, p, undefined, 'reply').payload), reply);
    const huge = Buffer.from(p);
    huge.writeBigUInt64LE(1n << 60n, 28);
    assert.throws(() => A.decodeOpenFileReply(huge), nfcError(false, /capacity is past 2\^53/));
  });

  test('DDB_GET: key after the request, value after the reply; an absent key is length 0', () => {
    const { payload, extra } = A.encodeDdbGetRequest(0x1234n, 'geometry.cylinders');
    assert.deepEqual(payload, hex('34120000 00000000 12000000 00000000'));
    const f = throughWire(A.AIO_DDB_GET, 5, payload, extra, 'request');
    assert.deepEqual(A.decodeDdbGetRequest(f.payload, f.extra), { handle: 0x1234n, key: 'geometry.cylinders' });
    const r = A.encodeDdbGetReply('2088');
    assert.deepEqual(r.payload, hex('00000000 00000000 00000000 04000000'));
    const g = throughWire(A.AIO_DDB_GET, 5, r.payload, r.extra, 'reply');
    assert.equal(A.decodeDdbGetReply(g.payload, g.extra), '2088');
    const absent = A.encodeDdbGetReply(undefined);
    const h = throughWire(A.AIO_DDB_GET, 6, absent.payload, absent.extra, 'reply');
    assert.equal(h.extra.length, 0);
    assert.equal(A.decodeDdbGetReply(h.payload, h.extra), undefined);
    assert.throws(() => A.encodeDdbGetRequest(1n, 'k'.repeat(257)), nfcError(false));
    assert.throws(() => A.decodeDdbGetRequest(payload, Buffer.from('geometry.cylinder\n')), nfcError(false, /printable/));
  });

  test('IO write: 3 fragments of one opId at a 64 KiB buffer, offsets past 4 GiB, then one 44-byte reply', () => {
    const total = 65536 * 2 + 512;
    const offset = 2 ** 40 + 512;
    const data = Buffer.alloc(total, 0x5a);
    const frames: Buffer[] = [];
    for (let at = 0; at < total; at += 65536) {
      const n = Math.min(65536, total - at);
      const b = Buffer.alloc(A.IO_FRAME_PREFIX + n);
      A.writeIoFrame(b, 0, 7, { handle: 9n, direction: A.IO_WRITE, compression: 0, offset, totalLength: total, fragmentOffset: at, fragmentLength: n, extraLength: n });
      data.copy(b, A.IO_FRAME_PREFIX, at, at + n);
      frames.push(b);
    }
    const { parser, out } = collect('request', { maxFragmentLength: 65536 });
    parser.push(Buffer.concat(frames));
    assert.equal(out.length, 3);
    const tracker = new IoFragmentTracker({ direction: A.IO_WRITE, offset, totalLength: total }, true);
    for (const f of out) {
      const io = A.decodeIo(f.payload);
      assert.equal(io.offset, offset);
      A.checkIoFragment(io, { maxFragmentLength: 65536 });
      tracker.add(io);
      assert.deepEqual(f.extra, data.subarray(io.fragmentOffset, io.fragmentOffset + io.fragmentLength));
    }
    assert.ok(tracker.complete);
    // The host's one reply carries no extra, whatever +36 says.
    const reply = Buffer.alloc(A.IO_FRAME_PREFIX);
    A.writeIoFrame(reply, 0, 7, { handle: 9n, direction: A.IO_WRITE, compression: 0, offset, totalLength: total, fragmentOffset: 0, fragmentLength: total, extraLength: total });
    const decoded = A.decodeAioFrame(reply, 'reply');
    assert.ok(decoded);
    assert.equal(decoded.length, 60);
  });

  test('QUERY_ALLOCATED_BLOCKS: the request echoed, then a bitmap of ceil(count/8) rounded up to 4 bytes', () => {
    assert.deepEqual([0, 1, 8, 32, 33, 65].map(A.bitmapLength), [0, 4, 4, 4, 8, 12]);
    const q: A.AllocatedBlocksQuery = { handle: 0x1234n, chunkSizeBytes: 65536, startOffset: 2 ** 40, chunkCount: 33 };
    const p = A.encodeAllocatedBlocksQuery(q);
    assert.deepEqual(p, hex(`34120000 00000000 00000000 00000000 00000100 00000000 00000000 00010000 21000000 00000000 00000000 00000000`));
    assert.deepEqual(A.decodeAllocatedBlocksQuery(throughWire(A.AIO_QUERY_ALLOCATED_BLOCKS, 4, p, undefined, 'request').payload), q);
    const bitmap = Buffer.alloc(A.bitmapLength(33));
    for (const i of [0, 9, 32]) A.setChunkAllocated(bitmap, i);
    assert.deepEqual(bitmap, hex('01020000 01000000'));
    const f = throughWire(A.AIO_QUERY_ALLOCATED_BLOCKS, 4, p, bitmap, 'reply');
    assert.deepEqual(f.extra, bitmap);
    assert.deepEqual([...Array(33).keys()].filter((i) => A.isChunkAllocated(f.extra, i)), [0, 9, 32]);
    assert.throws(() => A.decodeAllocatedBlocksQuery(A.encodeAllocatedBlocksQuery({ ...q, startOffset: 512 })), nfcError(false, /not aligned/));
    assert.throws(() => A.decodeAllocatedBlocksQuery(A.encodeAllocatedBlocksQuery({ ...q, chunkSizeBytes: 1000 })), nfcError(false, /multiple of 512/));
    assert.throws(() => A.decodeAllocatedBlocksQuery(A.encodeAllocatedBlocksQuery({ ...q, chunkCount: A.MAX_QUERY_CHUNKS + 1 })), nfcError(false, /allowed/));
  });

  test('CLOSE_FILE: the handle, both ways', () => {
    assert.equal(A.decodeHandlePayload(throughWire(A.AIO_CLOSE_FILE, 8, A.encodeHandlePayload(0x8000000000000001n), undefined, 'reply').payload), 0x8000000000000001n);
  });

  test('ERROR: our convention (code, 0, NUL-padded message) and a bare 0x0b as ESXi sent it', () => {
    const p = A.encodeAioError({ code: 0x0b, message: 'read-only' });
    assert.equal(p.length % 4, 0);
    assert.deepEqual(p, hex('0b000000 00000000 726561642d6f6e6c 79000000'));
    const f = throughWire(A.AIO_ERROR, 12, p, undefined, 'reply');
    assert.deepEqual(A.decodeAioError(f.payload), { code: 11, message: 'read-only' });
    assert.deepEqual(A.decodeAioError(hex('0b000000')), { code: 11, message: '' });
    assert.deepEqual(A.decodeAioError(hex('0b')), { code: 0, message: '' });
    assert.deepEqual(A.decodeAioError(A.encodeAioError({ code: 1, message: 'x'.repeat(5000) })).message.length, A.MAX_ERROR_PAYLOAD - 12);
  });
});

// ---- hostile AIO bytes -------------------------------------------------------------------------------------

describe('NFC AIO: hostile bytes give the precise error and allocate nothing they claim', () => {
  const header = (type: number, size: number, opId = 1) => {
    const b = Buffer.alloc(16);
    A.writeAioHeader(b, 0, type, size, opId);
    return b;
  };

  test('wrong magic is fatal, through the whole-frame decoder and the parser, and stays fatal', () => {
    const b = hex('7ada00a2 04000000 3c000000 03000000');
    assert.throws(() => A.decodeAioFrame(b, 'request'), nfcError(true, /invalid AIO message header magic 0xa200da7a/));
    const { parser } = collect('request');
    assert.throws(() => parser.push(b), nfcError(true, /magic/));
    assert.throws(() => parser.push(header(A.AIO_CLOSE_FILE, 8)), nfcError(true, /magic/));
  });

  test('a truncated frame is "not yet": null from the decoder, nothing handed over by the parser', () => {
    const full = A.encodeAioFrame(A.AIO_OPEN_FILE, 3, A.encodeOpenFileRequest({ path: '[ds1] a.vmdk', fileType: 2, openFlags: 0x1e }).payload, Buffer.from('[ds1] a.vmdk'));
    for (const n of [0, 3, 15, 16, 75, full.length - 1]) assert.equal(A.decodeAioFrame(full.subarray(0, n), 'request'), null);
    const { parser, out } = collect('request');
    parser.push(full.subarray(0, 75));
    assert.equal(out.length, 0, 'nothing before the payload is whole');
    parser.push(full.subarray(75, 80));
    assert.equal(out.length, 1, 'header and payload are handed over when whole');
    assert.equal(parser.atBoundary, false);
    parser.push(full.subarray(80));
    assert.equal(out[0]!.extra.toString(), '[ds1] a.vmdk');
    assert.equal(parser.atBoundary, true);
  });

  test('4 GiB lengths are refused before anything is awaited or allocated', () => {
    const open = Buffer.alloc(60);
    open.writeUInt32LE(0xffffffff, 0);
    assert.throws(() => A.decodeAioFrame(Buffer.concat([header(A.AIO_OPEN_FILE, 60), open]), 'request'), nfcError(true, /OPEN_FILE path length 4294967295/));
    const io = Buffer.alloc(A.IO_FRAME_PREFIX);
    A.writeIoFrame(io, 0, 1, { handle: 1n, direction: A.IO_WRITE, compression: 0, offset: 0, totalLength: 0xffffffff, fragmentOffset: 0, fragmentLength: 0xffffffff, extraLength: 0xffffffff });
    assert.throws(() => A.decodeAioFrame(io, 'request'), nfcError(true, /IO fragment length 4294967295/));
    const { parser } = collect('request', { maxFragmentLength: 65536 });
    const justOver = Buffer.from(io);
    justOver.writeUInt32LE(A.compressBound(65536) + 1, 16 + 36);
    assert.throws(() => parser.push(justOver), nfcError(true, /65570 is more than the 65569 bytes/));
    assert.throws(() => A.decodeAioFrame(header(A.AIO_ERROR, 0xffffffff), 'reply'), nfcError(true, /ERROR payload of 4294967295/));
    const qab = A.encodeAllocatedBlocksQuery({ handle: 1n, chunkSizeBytes: 512, startOffset: 0, chunkCount: 0 });
    qab.writeBigUInt64LE(0xffffffffffffffffn, 32);
    assert.throws(() => A.decodeAioFrame(Buffer.concat([header(13, 48), qab]), 'reply'), nfcError(true, /chunks is more than/));
    const ddb = Buffer.alloc(16);
    ddb.writeUInt32LE(0x80000000, 12);
    assert.throws(() => A.decodeAioFrame(Buffer.concat([header(11, 16), ddb]), 'reply'), nfcError(true, /DDB_GET value length 2147483648/));
  });

  test('a known type with another payload size is fatal (its extra cannot be found)', () => {
    assert.throws(() => A.decodeAioFrame(header(A.AIO_IO, 45), 'request'), nfcError(true, /IO payload is 45 bytes, not 44/));
    assert.throws(() => A.decodeAioFrame(header(A.AIO_OPEN_SESSION, 0xffffffff), 'request'), nfcError(true, /not 16/));
  });

  test('unknown types: a small request is handed over for the host to answer ERROR; a reply is fatal', () => {
    const { parser, out } = collect('request');
    parser.push(Buffer.concat([header(10, 8, 77), Buffer.alloc(8), header(A.AIO_CLOSE_SESSION, 4, 78), Buffer.alloc(4)]));
    assert.deepEqual(out.map((f) => [f.type, f.opId, f.payload.length, f.extra.length]), [[10, 77, 8, 0], [3, 78, 4, 0]]);
    assert.throws(() => A.decodeAioFrame(header(10, 65), 'request'), nfcError(true, /unknown AIO message type 10 with a 65-byte payload/));
    assert.throws(() => A.decodeAioFrame(header(6, 0), 'reply'), nfcError(true, /unknown AIO reply type 6/));
  });

  test('an IO direction other than read or write is fatal; an IO that does not add up is a request error', () => {
    const io = Buffer.alloc(A.IO_FRAME_PREFIX);
    const base: A.Io = { handle: 1n, direction: 1, compression: 0, offset: 0, totalLength: 512, fragmentOffset: 0, fragmentLength: 512, extraLength: 512 };
    A.writeIoFrame(io, 0, 1, { ...base, direction: 2 });
    assert.throws(() => A.decodeAioFrame(io, 'request'), nfcError(true, /direction 2/));
    const payload = (o: Partial<A.Io>) => {
      const b = Buffer.alloc(A.IO_FRAME_PREFIX);
      A.writeIoFrame(b, 0, 1, { ...base, ...o });
      return b.subarray(16);
    };
    assert.throws(() => A.decodeIo(payload({ compression: 4 })), nfcError(false, /compression type 4/));
    assert.throws(() => A.decodeIo(payload({ fragmentOffset: 512 })), nfcError(false, /runs past the request's 512 bytes/));
    assert.throws(() => A.decodeIo(payload({ offset: Number.MAX_SAFE_INTEGER })), nfcError(false, /2\^53/));
    const limits = { maxFragmentLength: 65536 };
    assert.throws(() => A.checkIoFragment(A.decodeIo(payload({ totalLength: 131072, fragmentLength: 131072, extraLength: 131072 })), limits), nfcError(false, /session buffer/));
    assert.throws(() => A.checkIoFragment(A.decodeIo(payload({ extraLength: 511 })), limits), nfcError(false, /511 bytes for 512/));
    assert.throws(() => A.checkIoFragment(A.decodeIo(payload({ compression: 1, extraLength: A.compressBound(512) + 1 })), limits), nfcError(false, /zlib/));
    A.checkIoFragment(A.decodeIo(payload({ compression: 1, extraLength: 20 })), limits);
  });

  test('fragments out of order, overlapping, duplicated, empty or foreign are refused by the tracker', () => {
    const request = { direction: A.IO_READ, offset: 4096, totalLength: 3 * 512 };
    const frag = (fragmentOffset: number, fragmentLength = 512) => ({ ...request, fragmentOffset, fragmentLength });
    const reads = new IoFragmentTracker(request, false);
    reads.add(frag(1024));
    reads.add(frag(0));
    assert.throws(() => reads.add(frag(0)), nfcError(false, /overlaps/));
    assert.throws(() => reads.add(frag(256, 512)), nfcError(false, /overlaps/));
    assert.throws(() => reads.add(frag(1024, 1024)), nfcError(false, /runs past/));
    assert.throws(() => reads.add({ ...frag(512), offset: 0 }), nfcError(false, /does not belong/));
    assert.throws(() => reads.add(frag(512, 0)), nfcError(false, /empty/));
    assert.equal(reads.complete, false);
    reads.add(frag(512));
    assert.equal(reads.complete, true);
    const writes = new IoFragmentTracker({ ...request, direction: A.IO_WRITE }, true);
    assert.throws(() => writes.add({ ...frag(512), direction: A.IO_WRITE }), nfcError(false, /out of order \(expected 0\)/));
    writes.add({ ...frag(0, 1024), direction: A.IO_WRITE });
    writes.add({ ...frag(1024), direction: A.IO_WRITE });
    assert.ok(writes.complete);
  });

  test('classic SESSION_COMPLETE inside the AIO phase, and a classic NFC_ERROR with its message in replies', () => {
    const close = C.encodeClassicMessage({ type: C.NFC_SESSION_COMPLETE });
    const { parser, out } = collect('request');
    feedInPieces(parser, Buffer.concat([header(A.AIO_CLOSE_SESSION, 4), Buffer.alloc(4), close]), xorshift32(5), 7);
    assert.deepEqual(out.map((f) => [f.kind, f.type]), [['aio', 3], ['classic', 4]]);
    const { message, extra } = C.encodeClassicError(1, 5, 'Failed to allocate the requested 2097176 bytes');
    const replies = collect('reply');
    replies.parser.push(Buffer.concat([C.encodeClassicMessage(message), extra, header(A.AIO_CLOSE_FILE, 8), Buffer.alloc(8)]));
    assert.deepEqual(replies.out.map((f) => [f.kind, f.type]), [['classic', 20], ['aio', 5]]);
    assert.equal(C.decodeClassicErrorText(replies.out[0]!.extra), 'Failed to allocate the requested 2097176 bytes');
    // A client does not send classic errors: in requests the word 20 is a bad magic.
    assert.throws(() => collect('request').parser.push(C.encodeClassicMessage(message)), nfcError(true, /magic 0x00000014/));
  });
});

// ---- authd ---------------------------------------------------------------------------------------------------

describe('authd lines (§3)', () => {
  test('the VDDK 8 dialogue, byte for byte, both ways', () => {
    const lines: Array<[L.AuthdCommand, string]> = [
      [{ verb: 'SESSION', sessionId: '52a3c9f2-0b1e-4d1a-9e2b-7c4f1d2e3a4b' }, 'SESSION 52a3c9f2-0b1e-4d1a-9e2b-7c4f1d2e3a4b\r\n'],
      [{ verb: 'BANNER' }, 'BANNER \r\n'],
      [{ verb: 'THUMBPRINT_SHA2', nonce: C.PLAINTEXT_NONCE }, 'THUMBPRINT_SHA2 PlainText\r\n'],
      [{ verb: 'PROXY', service: L.proxyService('vpxa-nfc', true) }, 'PROXY vpxa-nfcssl\r\n'],
      [{ verb: 'THUMBPRINT', nonce: 'bm9uY2U=' }, 'THUMBPRINT bm9uY2U=\r\n'],
      [{ verb: 'USER', name: 'root' }, 'USER root\r\n'],
    ];
    for (const [command, text] of lines) {
      assert.equal(L.encodeAuthdCommand(command).toString('latin1'), text);
      assert.deepEqual(L.decodeAuthdCommand(text.slice(0, -2)), command);
    }
    assert.deepEqual(L.decodeAuthdCommand('BANNER'), { verb: 'BANNER' });
    assert.deepEqual(L.decodeAuthdCommand('SESSIONID 123'), { verb: 'UNKNOWN', text: 'SESSIONID 123' });
    assert.throws(() => L.decodeAuthdCommand('PROXY'), nfcError(false, /PROXY takes one argument/));
    assert.throws(() => L.decodeAuthdCommand('THUMBPRINT_SHA2 aa bb'), nfcError(false));
    assert.throws(() => L.encodeAuthdCommand({ verb: 'SESSION', sessionId: 'a b' }), nfcError(true, /one printable ASCII word/));
  });

  test('replies: banner, thumbprint, connect, refusals', () => {
    const banner = L.encodeAuthdReply(L.bannerReply()).toString('latin1');
    assert.equal(banner, `220 ${L.AUTHD_BANNER}\r\n`);
    assert.match(banner, /^220 VMware Authentication Daemon Version 1\.10: SSL Required, .*NFCSSL supported\/t, SHA256 supported\r\n$/);
    assert.deepEqual(L.decodeAuthdReply(banner.slice(0, -2)), L.bannerReply());
    const tp = 'AB:'.repeat(31) + 'CD';
    assert.deepEqual(L.decodeAuthdReply(L.encodeAuthdReply(L.thumbprintReply(tp)).toString('latin1').slice(0, -2)), { code: 200, text: tp });
    for (const ssl of [false, true]) {
      const text = L.encodeAuthdReply(L.connectReply(ssl)).toString('latin1');
      assert.equal(text, `200 Connect ha-nfc${ssl ? 'ssl' : ''}\r\n`);
      assert.deepEqual(L.decodeConnectReply(L.decodeAuthdReply(text.slice(0, -2))), { ssl });
    }
    assert.deepEqual(L.parseProxyService('vpxa-nfcssl'), { ticketService: 'vpxa-nfc', ssl: true });
    assert.deepEqual(L.parseProxyService('nfc'), { ticketService: 'nfc', ssl: false });
    assert.equal(L.encodeAuthdReply(L.invalidArgumentsReply()).toString(), '501 Invalid arguments\r\n');
    assert.equal(L.encodeAuthdReply(L.ticketRefusedReply()).toString(), '530 Login incorrect\r\n');
    assert.throws(() => L.decodeConnectReply(L.ticketRefusedReply()), nfcError(true, /refused the NFC connection: 530 "Login incorrect"/));
    assert.throws(() => L.decodeAuthdReply('hello'), nfcError(true, /not a numbered reply/));
    assert.throws(() => L.decodeAuthdReply('0200 x'), nfcError(true));
    assert.deepEqual(L.decodeAuthdReply('200'), { code: 200, text: '' });
  });

  test('the splitter: lines in pieces, and the bytes after "200 Connect" left for NFC', () => {
    const s = new L.AuthdLineSplitter();
    const nfc = C.encodeClassicMessage({ type: C.NFC_CLIENTRANDOM, nonce: 'PlainText' });
    const stream = Buffer.concat([Buffer.from('220 banner\r\n200 Connect ha-nfc\r\n'), nfc]);
    const got: string[] = [];
    let pos = 0;
    while (got.length < 2) {
      const piece = stream.subarray(pos, pos + 5);
      const { text, used } = s.push(piece);
      pos += used;
      if (text !== null) got.push(text);
    }
    assert.deepEqual(got, ['220 banner', '200 Connect ha-nfc']);
    assert.deepEqual(stream.subarray(pos), nfc, 'not a byte of NFC went into a line');
  });

  test('the splitter refuses a bare LF, a bare CR, control bytes, a line past 1016 bytes, too many lines', () => {
    assert.throws(() => new L.AuthdLineSplitter().push(Buffer.from('BANNER\n')), nfcError(true, /bare LF/));
    assert.throws(() => new L.AuthdLineSplitter().push(Buffer.from('BAN\rNER\r\n')), nfcError(true, /bare CR/));
    assert.throws(() => new L.AuthdLineSplitter().push(Buffer.from('BAN\0\r\n')), nfcError(true, /0x0/));
    const longest = Buffer.from(`${'x'.repeat(L.MAX_AUTHD_LINE_LENGTH - 2)}\r\n`);
    assert.equal(new L.AuthdLineSplitter().push(longest).text?.length, 1014);
    const s = new L.AuthdLineSplitter();
    assert.throws(() => s.push(Buffer.alloc(1 << 20, 0x41)), nfcError(true, /longer than 1016 bytes/));
    const few = new L.AuthdLineSplitter(2);
    few.push(Buffer.from('A\r\n'));
    few.push(Buffer.from('B\r\n'));
    assert.throws(() => few.push(Buffer.from('C\r\n')), nfcError(true, /more than 2 authd lines/));
    assert.throws(() => L.encodeAuthdCommand({ verb: 'UNKNOWN', text: 'x'.repeat(1015) }), nfcError(true, /longer than 1016/));
  });
});

// ---- error mapping -----------------------------------------------------------------------------------------

describe('NFC outcomes as VIX errors (§4.8)', () => {
  test('the table, row for row', () => {
    assert.deepEqual(NFC_OUTCOME_TO_VIX, {
      'read-only': 11, 'disk-in-use': 1, 'out-of-memory': 2, 'connection-refused': 14009, 'handshake': 14006,
      'connection-lost': 14011, 'thumbprint-mismatch': 1, 'out-of-range': 16007,
    });
  });

  test('AIO ERROR 0x0b is VIX_E_FILE_READ_ONLY; an unknown code VIX_E_FAIL; classic error 5 out of memory', () => {
    const ro = vixErrorForAioError({ code: 0x0b, message: '' }, 'open [ds1] vm/vm.vmdk');
    assert.ok(ro instanceof VixError);
    assert.equal(ro.code, 11);
    assert.equal(ro.message, 'open [ds1] vm/vm.vmdk: the host refused: The file is write-protected');
    assert.equal(vixErrorForAioError({ code: 0x7777, message: 'odd' }, 'read').code, 1);
    assert.equal(vixErrorForAioError({ code: 16007, message: 'past the end' }, 'read').code, 16007);
    const oom = vixErrorForClassicError(5, 'Failed to allocate the requested 2097176 bytes', 'read');
    assert.equal(oom.code, 2);
    assert.match(oom.message, /NFC error 5 from the host: Failed to allocate/);
    assert.equal(vixErrorForClassicError(3, '', 'open').code, 1);
    const hs = vixErrorForProtocolError(new NfcProtocolError('invalid AIO message header magic 0x00000000', true), 'read');
    assert.equal(hs.code, 14006);
  });
});

// ---- mutation fuzz -------------------------------------------------------------------------------------------

describe('NFC codec mutation fuzz', () => {
  /** Valid conversations: what a client sends, and what a host answers. */
  function validRequests(): Buffer {
    const frames: Buffer[] = [];
    frames.push(A.encodeAioFrame(A.AIO_OPEN_SESSION, 0, A.encodeOpenSession({ bufferSize: 65536, bufferCount: 4 })));
    frames.push(A.encodeAioFrame(A.AIO_SET_SOCK_OPTS, 1, A.encodeSocketOptions({ sendBufferSize: 0, receiveBufferSize: 0, flag: 0 })));
    frames.push(A.encodeAioFrame(A.AIO_SET_RES_POOL, 2, A.encodeU32Payload(1)));
    const open = A.encodeOpenFileRequest({ path: '[ds1] vm/vm.vmdk', fileType: 2, openFlags: 0x1a });
    frames.push(A.encodeAioFrame(A.AIO_OPEN_FILE, 3, open.payload, open.extra));
    const ddb = A.encodeDdbGetRequest(7n, 'adapterType');
    frames.push(A.encodeAioFrame(A.AIO_DDB_GET, 4, ddb.payload, ddb.extra));
    const w = Buffer.alloc(A.IO_FRAME_PREFIX + 1024, 0x33);
    A.writeIoFrame(w, 0, 5, { handle: 7n, direction: 0, compression: 0, offset: 512, totalLength: 1024, fragmentOffset: 0, fragmentLength: 1024, extraLength: 1024 });
    frames.push(w);
    frames.push(A.encodeAioFrame(A.AIO_QUERY_ALLOCATED_BLOCKS, 6, A.encodeAllocatedBlocksQuery({ handle: 7n, chunkSizeBytes: 65536, startOffset: 0, chunkCount: 100 })));
    frames.push(A.encodeAioFrame(A.AIO_CLOSE_FILE, 7, A.encodeHandlePayload(7n)));
    frames.push(A.encodeAioFrame(A.AIO_CLOSE_SESSION, 8, A.encodeU32Payload(0)));
    frames.push(C.encodeClassicMessage({ type: C.NFC_SESSION_COMPLETE }));
    return Buffer.concat(frames);
  }
  function validReplies(): Buffer {
    const frames: Buffer[] = [];
    frames.push(A.encodeAioFrame(A.AIO_OPEN_SESSION, 0, Buffer.alloc(16)));
    frames.push(A.encodeAioFrame(A.AIO_OPEN_FILE, 3, A.encodeOpenFileReply({ handle: 7n, fileType: 2, openFlags: 0x1a, capacityBytes: 1 << 30, sectorSize: 512, cylinders: 2088, heads: 255, sectorsPerTrack: 63 })));
    const ddb = A.encodeDdbGetReply('lsilogic');
    frames.push(A.encodeAioFrame(A.AIO_DDB_GET, 4, ddb.payload, ddb.extra));
    const r = Buffer.alloc(A.IO_FRAME_PREFIX + 1024, 0x44);
    A.writeIoFrame(r, 0, 5, { handle: 0n, direction: 1, compression: 0, offset: 512, totalLength: 1024, fragmentOffset: 0, fragmentLength: 1024, extraLength: 1024 });
    frames.push(r);
    frames.push(A.encodeAioFrame(A.AIO_QUERY_ALLOCATED_BLOCKS, 6, A.encodeAllocatedBlocksQuery({ handle: 7n, chunkSizeBytes: 65536, startOffset: 0, chunkCount: 100 }), Buffer.alloc(16, 0xff)));
    frames.push(A.encodeAioFrame(A.AIO_ERROR, 9, A.encodeAioError({ code: 11, message: 'read-only' })));
    const err = C.encodeClassicError(1, 5, 'no memory');
    frames.push(C.encodeClassicMessage(err.message), err.extra);
    return Buffer.concat(frames);
  }

  /** Decode every frame of `bytes` as far as it goes, running each type's payload decoder. */
  function decodeAll(bytes: Buffer, direction: A.AioDirection): void {
    let pos = 0;
    while (bytes.length - pos >= 4) {
      const first = bytes.readUInt32LE(pos);
      if (first !== A.AIO_MAGIC) {
        // As the parser: classic SESSION_COMPLETE both ways and NFC_ERROR in replies, else bad magic.
        if (first !== C.NFC_SESSION_COMPLETE && !(first === C.NFC_ERROR && direction === 'reply')) A.checkAioMagic(first);
        if (bytes.length - pos < 264) return;
        const m = C.decodeClassicMessage(bytes.subarray(pos, pos + 264));
        pos += 264 + C.classicExtraLength(m);
        continue;
      }
      const d = A.decodeAioFrame(bytes.subarray(pos), direction, { maxFragmentLength: 65536 });
      if (!d) return;
      assert.equal(d.frame.payload.buffer, bytes.buffer, 'payload is a view of the bytes given');
      assert.equal(d.frame.extra.buffer, bytes.buffer, 'extra is a view of the bytes given');
      assert.ok(d.length <= bytes.length - pos, 'a frame never claims more than the bytes given');
      const { type, payload, extra } = d.frame;
      const run = (f: () => unknown) => {
        try { f(); } catch (e) { if (!(e instanceof NfcProtocolError)) throw e; }
      };
      if (type === A.AIO_IO) run(() => A.checkIoFragment(A.decodeIo(payload), { maxFragmentLength: 65536 }));
      if (type === A.AIO_OPEN_FILE) run(() => (direction === 'request' ? A.decodeOpenFileRequest(payload, extra) : A.decodeOpenFileReply(payload)));
      if (type === A.AIO_DDB_GET) run(() => (direction === 'request' ? A.decodeDdbGetRequest(payload, extra) : A.decodeDdbGetReply(payload, extra)));
      if (type === A.AIO_QUERY_ALLOCATED_BLOCKS) run(() => A.decodeAllocatedBlocksQuery(payload));
      if (type === A.AIO_OPEN_SESSION) run(() => A.sessionBufferSize(A.decodeOpenSession(payload)));
      if (type === A.AIO_SET_SOCK_OPTS) A.decodeSocketOptions(payload);
      if (type === A.AIO_ERROR) A.decodeAioError(payload);
      pos += d.length;
    }
  }

  for (const direction of ['request', 'reply'] as const) {
    test(`3000 mutated ${direction} streams: only NfcProtocolError, views only, the parser agrees with the decoder`, () => {
      const valid = direction === 'request' ? validRequests() : validReplies();
      const next = xorshift32(direction === 'request' ? 0x11 : 0x22);
      let refused = 0;
      for (let i = 0; i < 3000; i++) {
        const bytes = Buffer.from(valid);
        const mutations = 1 + (next() % 4);
        for (let m = 0; m < mutations; m++) {
          const at = next() % bytes.length;
          switch (next() % 4) {
            case 0: bytes[at] = next() & 0xff; break;
            case 1: bytes[at] ^= 1 << (next() % 8); break;
            case 2: bytes.writeUInt32LE(next() % 2 ? 0xffffffff : next(), Math.min(at & ~3, bytes.length - 4)); break;
            default: bytes[at] = 0; break;
          }
        }
        const cut = next() % 3 === 0 ? bytes.subarray(0, next() % bytes.length) : bytes;
        let decoderError: unknown = null;
        try { decodeAll(Buffer.from(cut), direction); } catch (e) { decoderError = e; }
        if (decoderError !== null && !(decoderError instanceof NfcProtocolError)) throw decoderError;
        const { parser } = collect(direction, { maxFragmentLength: 65536 });
        let parserError: unknown = null;
        try {
          feedInPieces(parser, cut, next, 300);
        } catch (e) {
          if (!(e instanceof NfcProtocolError)) throw e;
          assert.ok(e.fatal, 'the parser throws only fatal errors');
          parserError = e;
          refused++;
        }
        assert.equal((parserError as Error | null)?.message, (decoderError as Error | null)?.message, 'parser and decoder refuse the same bytes alike');
      }
      assert.ok(refused > 100, `many mutations are refused (${refused})`);
    });
  }

  test('2000 mutated classic frames and authd lines: only NfcProtocolError', () => {
    const next = xorshift32(0x33);
    const frames = [
      C.encodeClassicMessage({ type: 43, nonce: 'PlainText' }), C.encodeClassicMessage({ type: 54, nameLength: 4, opIdLength: 7 }),
      C.encodeClassicMessage({ type: 20, errorType: 1, errorCode: 5, messageLength: 10 }), C.encodeClassicMessage({ type: 51, version: 11 }),
    ];
    const lines = ['220 VMware Authentication Daemon', 'SESSION abc', 'BANNER ', 'THUMBPRINT_SHA2 PlainText', 'PROXY vpxa-nfc', '200 Connect ha-nfc']
      .map((t) => Buffer.from(`${t}\r\n`));
    for (let i = 0; i < 2000; i++) {
      const f = Buffer.from(frames[next() % frames.length]!);
      f[next() % 16] = next() & 0xff;
      f[4 + (next() % 12)] = next() & 0xff;
      try { C.classicExtraLength(C.decodeClassicMessage(f)); } catch (e) { if (!(e instanceof NfcProtocolError)) throw e; }
      const l = Buffer.from(lines[next() % lines.length]!);
      l[next() % l.length] = next() & 0xff;
      try {
        const { text } = new L.AuthdLineSplitter().push(l);
        if (text !== null) {
          L.decodeAuthdCommand(text);
          L.decodeConnectReply(L.decodeAuthdReply(text));
        }
      } catch (e) { if (!(e instanceof NfcProtocolError)) throw e; }
    }
  });
});

describe('SkipZ compression (§4.6)', () => {
  test('layout: total, 0, then offset, length, bytes per non-zero run; round trip', () => {
    const data = Buffer.alloc(4096);
    data.write('abc', 100);
    data.write('xyz', 4093);
    const encoded = encodeSkipz(data);
    assert.ok(encoded);
    assert.deepEqual(encoded, hex('00100000 00000000 64000000 03000000 616263 fd0f0000 03000000 78797a'));
    const back = Buffer.alloc(4096, 0xee);
    decodeSkipz(encoded, back);
    assert.deepEqual(back, data);
    const zeros = encodeSkipz(Buffer.alloc(65536));
    assert.deepEqual(zeros, hex('00000100 00000000'));
  });

  test('random data round-trips through runs, short zero gaps stay inside runs, incompressible data is null', () => {
    const next = xorshift32(0x5c1b);
    const data = Buffer.alloc(65536);
    for (let i = 0; i < 40; i++) {
      const start = next() % 65000;
      for (let j = start; j < start + (next() % 500); j++) data[j] = next() % 3 === 0 ? 0 : next() & 0xff;
    }
    const encoded = encodeSkipz(data);
    assert.ok(encoded && encoded.length < data.length);
    const back = Buffer.alloc(data.length);
    decodeSkipz(encoded, back);
    assert.deepEqual(back, data);
    assert.equal(encodeSkipz(Buffer.alloc(100, 1)), null);
  });

  test('hostile SkipZ: wrong total, reserved word, runs out of order, past the end, cut short', () => {
    const t = Buffer.alloc(16);
    const cases: Array<[string, RegExp]> = [
      ['10000000 00000000', /bytes/],
      ['20000000 00000000', /says 32 bytes, not the 16/],
      ['10000000 01000000', /reserved/],
      ['10000000 00000000 08000000 02000000 6161 00000000 02000000 6262', /out of order/],
      ['10000000 00000000 0f000000 02000000 6161', /runs past 16/],
      ['10000000 00000000 00000000 ffffffff', /runs past/],
      ['10000000 00000000 00000000 04000000 6161', /cut short/],
      ['10000000 00000000 000000', /inside a run header/],
      ['10000000 00000000 03000000 00000000', /runs past/],
    ];
    for (const [bytes, pattern] of cases.slice(1)) assert.throws(() => decodeSkipz(hex(bytes), t), nfcError(false, pattern), bytes);
    decodeSkipz(hex(cases[0]![0]), t);
    assert.ok(t.every((x) => x === 0));
    assert.throws(() => decodeSkipz(hex('1000'), t), nfcError(false, /shorter than its 8-byte header/));
  });
});

describe('NFC classic handshake (§4.2, §4.9 step 4)', () => {
  /** Cut a client byte stream into classic messages and their extras, as a host reads it. */
  function* classicMessages(bytes: Buffer): Generator<[C.ClassicMessage, Buffer]> {
    let pos = 0;
    while (pos < bytes.length) {
      const m = C.decodeClassicMessage(bytes.subarray(pos, pos + 264));
      const n = C.classicExtraLength(m);
      yield [m, bytes.subarray(pos + 264, pos + 264 + n)];
      pos += 264 + n;
    }
  }

  test('VDDK 8 order, client bytes to host replies and back: 36, 51 = min(client, 11), 52', () => {
    const greeting = H.encodeClientGreeting(C.PLAINTEXT_NONCE);
    assert.equal(greeting.length, 528);
    const open = H.encodeClientSessionOpen();
    assert.equal(open.length, 3 * 264 + 11);
    assert.deepEqual(open.subarray(264, 275).toString(), 'vddknbdmode');
    for (const clientVersion of [11, 12, 3]) {
      const host = new H.ClassicHandshakeHost(C.PLAINTEXT_NONCE);
      const client = new H.ClassicHandshakeClient();
      const replies: C.ClassicMessage[] = [];
      for (const bytes of [greeting, H.encodeClientVersion(clientVersion), open]) {
        for (const [m, extra] of classicMessages(bytes)) {
          const reply = host.receive(m, extra);
          if (reply) {
            replies.push(reply);
            client.receive(C.decodeClassicMessage(C.encodeClassicMessage(reply)));
          }
        }
      }
      assert.deepEqual(replies, [{ type: 36, status: 1 }, { type: 51, version: Math.min(clientVersion, 11) }, { type: 52 }]);
      assert.ok(host.done && client.done);
      assert.equal(client.hostVersion, Math.min(clientVersion, 11));
      assert.deepEqual(host.client, { nonce: 'PlainText', clientVersion, clientName: 'vddk', opId: 'nbdmode', features: 3 });
    }
  });

  test('out of order, old versions, a foreign nonce or a refused status end the handshake', () => {
    const version = { type: 51, version: 11 } as const;
    assert.throws(() => new H.ClassicHandshakeHost().receive(version), nfcError(true, /client sent 51 \(VERSION\) where 43 \(CLIENTRANDOM\) belongs/));
    assert.throws(() => new H.ClassicHandshakeHost('PlainText').receive({ type: 43, nonce: 'other' }), nfcError(true, /nonce differs/));
    const host = new H.ClassicHandshakeHost();
    host.receive({ type: 43, nonce: 'PlainText' });
    host.receive({ type: 33 });
    assert.throws(() => host.receive({ type: 51, version: 2 }), nfcError(true, /client version 2 has no AIO/));
    const early = new H.ClassicHandshakeHost();
    early.receive({ type: 43, nonce: 'n' });
    assert.throws(() => early.receive({ type: 52 }), nfcError(true, /where 33/));
    assert.throws(() => early.client, nfcError(true, /not finished/));
    const short = new H.ClassicHandshakeHost();
    for (const m of [{ type: 43, nonce: 'n' }, { type: 33 }, version] as C.ClassicMessage[]) short.receive(m);
    assert.throws(() => short.receive({ type: 54, nameLength: 4, opIdLength: 7 }, Buffer.from('vddk')), nfcError(true, /4 bytes, not the 11/));
    assert.throws(() => new H.ClassicHandshakeClient().receive({ type: 36, status: 0 }), nfcError(true, /refused the session parameters/));
    assert.throws(() => new H.ClassicHandshakeClient().receive({ type: 20, errorType: 1, errorCode: 5, messageLength: 0 }), nfcError(true, /host sent 20 \(ERROR\) where 36/));
    const client = new H.ClassicHandshakeClient();
    client.receive({ type: 36, status: 1 });
    assert.throws(() => client.receive({ type: 51, version: 2 }), nfcError(true, /host version 2 has no AIO/));
  });
});
