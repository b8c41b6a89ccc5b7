import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../../src/nbd/protocol.js';
import { formatNbdUri, isNbdUri, normalizeThumbprint, parseNbdUri } from '../../src/nbd/nbd-uri.js';
import { parsePskFile } from '../../src/nbd/psk-file.js';
import { VixError } from '../../src/errors/vix-error.js';

// The NBD codecs byte for byte against layouts written out from doc/proto.md, and their refusals.

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function protocolError(reply?: number) {
  return (err: unknown) => {
    assert.ok(err instanceof P.NbdProtocolError, `expected NbdProtocolError, got ${String(err)}`);
    assert.equal(err.reply, reply);
    return true;
  };
}

describe('NBD handshake codecs', () => {
  test('newstyle greeting: NBDMAGIC, IHAVEOPT, flags', () => {
    assert.deepEqual(P.encodeGreeting(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES),
      hex('4e42444d41474943 49484156454f5054 0003'));
    assert.deepEqual(P.decodeGreetingStart(hex('4e42444d41474943 49484156454f5054')), { style: 'newstyle' });
  });

  test('oldstyle greeting: 152 bytes, size and flags at 16 and 24', () => {
    const b = P.encodeOldstyleGreeting(0x123456789n, 0x0003);
    assert.equal(b.length, 152);
    assert.deepEqual(b.subarray(0, 28), hex('4e42444d41474943 0000420281861253 0000000123456789 00000003'));
    assert.ok(b.subarray(28).every((x) => x === 0));
    assert.deepEqual(P.decodeGreetingStart(b), { style: 'oldstyle' });
    assert.deepEqual(P.decodeOldstyleRest(b.subarray(16)), { size: 0x123456789n, transmissionFlags: 3 });
  });

  test('a greeting without NBDMAGIC or with an unknown second magic is refused', () => {
    assert.throws(() => P.decodeGreetingStart(Buffer.alloc(16)), protocolError());
    assert.throws(() => P.decodeGreetingStart(hex('4e42444d41474943 0000000000000001')), protocolError());
  });

  test('option header and option', () => {
    assert.deepEqual(P.encodeOption(P.OPT_LIST), hex('49484156454f5054 00000003 00000000'));
    assert.deepEqual(P.encodeOption(P.OPT_EXPORT_NAME, Buffer.from('ab')), hex('49484156454f5054 00000001 00000002 6162'));
    assert.deepEqual(P.decodeOptionHeader(hex('49484156454f5054 00000007 0000000a')), { option: 7, length: 10 });
    assert.throws(() => P.decodeOptionHeader(hex('49484156454f5055 00000007 0000000a')), protocolError());
  });

  test('INFO/GO payload: name length, name, count, requests', () => {
    const b = P.encodeInfoRequest('disk', [P.INFO_BLOCK_SIZE, P.INFO_NAME]);
    assert.deepEqual(b, hex('00000004 6469736b 0002 0003 0001'));
    assert.deepEqual(P.decodeInfoRequest(b), { name: 'disk', requests: [3, 1] });
    assert.deepEqual(P.decodeInfoRequest(hex('00000000 0000')), { name: '', requests: [] });
  });

  test('INFO/GO payloads whose lengths do not add up get ERR_INVALID (CVE-2022-26495 class)', () => {
    const bad = [
      hex('ffffffff 0000'), // name length 0xffffffff
      hex('00000005 6469736b 0000'), // name length past the option
      hex('00000004 6469736b 0002 0003'), // count overruns
      hex('00000004 6469736b 0001 0003 00'), // trailing byte
      hex('00000004 6469736b 0002 0003 0003'), // duplicate request
      hex('0000'), // shorter than 6
      hex('00000002 6100 0000'), // NUL in the name
      hex('00000002 c328 0000'), // invalid UTF-8
    ];
    for (const b of bad) assert.throws(() => P.decodeInfoRequest(b), protocolError(P.REP_ERR_INVALID), b.toString('hex'));
    const long = Buffer.alloc(6 + 4097, 0x61);
    long.writeUInt32BE(4097, 0);
    long.writeUInt16BE(0, 4 + 4097);
    assert.throws(() => P.decodeInfoRequest(long), protocolError(P.REP_ERR_INVALID));
  });

  test('meta context request round trip and its refusals (qemu #4843: bytes after the last query)', () => {
    const b = P.encodeMetaContextRequest('', [P.META_BASE_ALLOCATION]);
    assert.deepEqual(b, Buffer.concat([hex('00000000 00000001 0000000f'), Buffer.from('base:allocation')]));
    assert.deepEqual(P.decodeMetaContextRequest(b, 10), { name: '', queries: ['base:allocation'] });
    assert.throws(() => P.decodeMetaContextRequest(Buffer.concat([b, hex('00')]), 10), protocolError(P.REP_ERR_INVALID));
    assert.throws(() => P.decodeMetaContextRequest(hex('00000000 00000001 00000010 61'), 10), protocolError(P.REP_ERR_INVALID));
    assert.throws(() => P.decodeMetaContextRequest(hex('00000000 ffffffff'), 10), protocolError(P.REP_ERR_INVALID));
    const many = Buffer.alloc(8 + 4 * 20);
    many.writeUInt32BE(20, 4);
    assert.throws(() => P.decodeMetaContextRequest(many, 10), protocolError(P.REP_ERR_TOO_BIG));
    assert.equal(P.decodeMetaContextRequest(many, 20).queries.length, 20);
  });

  test('option replies: header, error with message, SERVER, META_CONTEXT', () => {
    assert.deepEqual(P.encodeOptionReply(P.OPT_GO, P.REP_ACK), hex('0003e889045565a9 00000007 00000001 00000000'));
    assert.deepEqual(P.encodeOptionError(P.OPT_GO, P.REP_ERR_UNKNOWN, 'no'),
      hex('0003e889045565a9 00000007 80000006 00000002 6e6f'));
    assert.deepEqual(P.decodeOptionReplyHeader(hex('0003e889045565a9 00000007 80000006 00000002')), { option: 7, type: P.REP_ERR_UNKNOWN, length: 2 });
    assert.throws(() => P.decodeOptionReplyHeader(hex('0003e889045565aa 00000007 80000006 00000002')), protocolError());
    const s = P.encodeServerReply('a', 'desc');
    assert.deepEqual(s, hex('00000001 61 64657363'));
    assert.deepEqual(P.decodeServerReply(s), { name: 'a', description: 'desc' });
    assert.throws(() => P.decodeServerReply(hex('00000009 61')), protocolError());
    assert.deepEqual(P.encodeMetaContextReply(1, 'base:allocation'), Buffer.concat([hex('00000001'), Buffer.from('base:allocation')]));
    assert.deepEqual(P.decodeMetaContextReply(P.encodeMetaContextReply(7, 'x:y')), { id: 7, name: 'x:y' });
  });

  test('INFO replies: export, name, description, block size; malformed ones refused', () => {
    assert.deepEqual(P.encodeInfoExport(0x40000000n, 0x0ded), hex('0000 0000000040000000 0ded'));
    assert.deepEqual(P.encodeInfoBlockSize(1, 4096, 32 << 20), hex('0003 00000001 00001000 02000000'));
    assert.deepEqual(P.encodeInfoName('n'), hex('0001 6e'));
    assert.deepEqual(P.encodeInfoDescription('d'), hex('0002 64'));
    const info: P.ExportInfo = {};
    for (const b of [P.encodeInfoExport(1024n, 3), P.encodeInfoName('n'), P.encodeInfoDescription('d'), P.encodeInfoBlockSize(512, 4096, 1 << 20), hex('0009 ffff')]) {
      P.decodeInfoReply(b, info);
    }
    assert.deepEqual(info, { size: 1024n, transmissionFlags: 3, name: 'n', description: 'd', minimumBlockSize: 512, preferredBlockSize: 4096, maximumPayload: 1 << 20 });
    assert.throws(() => P.decodeInfoReply(hex('0000 0000000040000000 0ded 00'), {}), protocolError());
    assert.throws(() => P.decodeInfoReply(P.encodeInfoBlockSize(3, 4096, 1 << 20), {}), protocolError());
    assert.throws(() => P.decodeInfoReply(P.encodeInfoBlockSize(512, 256, 1 << 20), {}), protocolError());
    assert.throws(() => P.decodeInfoReply(P.encodeInfoBlockSize(512, 4096, 1000), {}), protocolError());
  });

  test('EXPORT_NAME reply: 134 bytes, or 10 with NO_ZEROES', () => {
    assert.equal(P.encodeExportNameReply(1n, 1, false).length, 134);
    const b = P.encodeExportNameReply(0x10000n, 0x0103, true);
    assert.deepEqual(b, hex('0000000000010000 0103'));
    assert.deepEqual(P.decodeExportNameReply(b), { size: 0x10000n, transmissionFlags: 0x0103 });
  });
});

describe('NBD transmission codecs', () => {
  test('compact request: 28 bytes', () => {
    const r: P.Request = { flags: P.CMD_FLAG_FUA, type: P.CMD_WRITE, cookie: 0x0102030405060708n, offset: 0x200n, length: 0x1000n };
    const b = P.encodeRequest(r, false);
    assert.deepEqual(b, hex('25609513 0001 0001 0102030405060708 0000000000000200 00001000'));
    assert.deepEqual(P.decodeRequest(b, false), r);
    assert.throws(() => P.encodeRequest({ ...r, length: 0x100000000n }, false), protocolError());
    assert.throws(() => P.decodeRequest(b, true), protocolError());
  });

  test('extended request: 32 bytes, 64-bit length', () => {
    const r: P.Request = { flags: P.CMD_FLAG_PAYLOAD_LEN, type: P.CMD_WRITE, cookie: 9n, offset: 0xffffffffffffffffn, length: 0x100000000n };
    const b = P.encodeRequest(r, true);
    assert.deepEqual(b, hex('21e41c71 0020 0001 0000000000000009 ffffffffffffffff 0000000100000000'));
    assert.deepEqual(P.decodeRequest(b, true), r);
    assert.throws(() => P.decodeRequest(b, false), protocolError());
  });

  test('putRequestHeader (numbers, at an offset) writes what encodeRequest writes', () => {
    const cases = [
      { flags: 0, type: P.CMD_READ, cookie: 1, offset: 0, length: 512 },
      { flags: P.CMD_FLAG_FUA, type: P.CMD_WRITE, cookie: 2 ** 40 + 3, offset: 2 ** 52 + 4096, length: 0xffffffff },
      { flags: P.CMD_FLAG_PAYLOAD_LEN, type: P.CMD_BLOCK_STATUS, cookie: 7, offset: 2 ** 33, length: 2 ** 36 },
    ];
    for (const extended of [false, true]) {
      for (const c of cases) {
        if (!extended && c.length >= 2 ** 32) continue;
        const at = 5;
        const b = Buffer.alloc(at + P.EXTENDED_REQUEST_LENGTH, 0xaa);
        P.putRequestHeader(b, at, extended, c.flags, c.type, c.cookie, c.offset, c.length);
        const want = P.encodeRequest({ flags: c.flags, type: c.type, cookie: BigInt(c.cookie), offset: BigInt(c.offset), length: BigInt(c.length) }, extended);
        assert.deepEqual(b.subarray(at, at + want.length), want);
        assert.ok(b.subarray(0, at).every((x) => x === 0xaa), 'nothing written before `at`');
      }
    }
  });

  test('simple reply: 16 bytes', () => {
    const b = P.encodeSimpleReply(P.NBD_EINVAL, 5n);
    assert.deepEqual(b, hex('67446698 00000016 0000000000000005'));
    assert.deepEqual(P.decodeSimpleReply(b), { error: 22, cookie: 5n });
    assert.equal(P.replyKind(b.readUInt32BE(0)), 'simple');
  });

  test('structured and extended chunk headers: 20 and 32 bytes', () => {
    const s = P.encodeChunkHeader({ flags: P.REPLY_FLAG_DONE, type: P.REPLY_TYPE_OFFSET_DATA, cookie: 2n, length: 0x1008 }, false);
    assert.deepEqual(s, hex('668e33ef 0001 0001 0000000000000002 00001008'));
    assert.deepEqual(P.decodeChunkHeader(s), { flags: 1, type: 1, cookie: 2n, length: 0x1008 });
    const e = P.encodeChunkHeader({ flags: 0, type: P.REPLY_TYPE_BLOCK_STATUS_EXT, cookie: 3n, offset: 0x4000n, length: 24 }, true);
    assert.deepEqual(e, hex('6e8a278c 0000 0006 0000000000000003 0000000000004000 0000000000000018'));
    assert.deepEqual(P.decodeChunkHeader(e), { flags: 0, type: 6, cookie: 3n, offset: 0x4000n, length: 24 });
    // An extended length past 2^32 - 1 is no payload anyone sends.
    assert.throws(() => P.decodeChunkHeader(hex('6e8a278c 0000 0001 0000000000000003 0000000000004000 0000000100000000')), protocolError());
    assert.throws(() => P.decodeChunkHeader(hex('12345678 0000 0001 0000000000000003 00000000')), protocolError());
    assert.throws(() => P.replyKind(0x96744668), protocolError());
  });

  test('OFFSET_HOLE, ERROR and ERROR_OFFSET payloads', () => {
    assert.deepEqual(P.encodeOffsetHole(0x10000n, 0x20000), hex('0000000000010000 00020000'));
    assert.deepEqual(P.decodeOffsetHole(hex('0000000000010000 00020000')), { offset: 0x10000n, length: 0x20000 });
    assert.throws(() => P.decodeOffsetHole(hex('0000000000010000 00000000')), protocolError());
    assert.throws(() => P.decodeOffsetHole(hex('0000000000010000 0000000000')), protocolError());
    assert.deepEqual(P.encodeErrorChunk(P.NBD_EIO, 'io'), hex('00000005 0002 696f'));
    assert.deepEqual(P.encodeErrorChunk(P.NBD_EIO, '', 7n), hex('00000005 0000 0000000000000007'));
    assert.deepEqual(P.decodeErrorChunk(hex('00000005 0002 696f'), P.REPLY_TYPE_ERROR), { error: 5, message: 'io' });
    assert.deepEqual(P.decodeErrorChunk(hex('00000005 0000 0000000000000007'), P.REPLY_TYPE_ERROR_OFFSET), { error: 5, message: '', offset: 7n });
    // The message length must fit the chunk.
    assert.throws(() => P.decodeErrorChunk(hex('00000005 0009 696f'), P.REPLY_TYPE_ERROR), protocolError());
    assert.throws(() => P.decodeErrorChunk(hex('00000005'), P.REPLY_TYPE_ERROR), protocolError());
    assert.throws(() => P.decodeErrorChunk(hex('00000005 0000 00'), P.REPLY_TYPE_ERROR_OFFSET), protocolError());
  });

  test('block status: compact u32 pairs and extended u64 pairs with a count', () => {
    const ext = [{ length: 0x10000, flags: 0 }, { length: 0x30000, flags: P.STATE_HOLE | P.STATE_ZERO }];
    const c = P.encodeBlockStatus(1, ext, false);
    assert.deepEqual(c, hex('00000001 00010000 00000000 00030000 00000003'));
    assert.deepEqual(P.decodeBlockStatus(c, false), { contextId: 1, extents: ext });
    const e = P.encodeBlockStatus(1, ext, true);
    assert.deepEqual(e, hex('00000001 00000002 0000000000010000 0000000000000000 0000000000030000 0000000000000003'));
    assert.deepEqual(P.decodeBlockStatus(e, true), { contextId: 1, extents: ext });
    // 64-bit status values are accepted (CVE-2023-5871): the high bits are ignored.
    const wide = hex('00000001 00000001 0000000000010000 ffffffff00000002');
    assert.deepEqual(P.decodeBlockStatus(wide, true).extents, [{ length: 0x10000, flags: 2 }]);
    assert.throws(() => P.decodeBlockStatus(hex('00000001 00000000 00000000'), false), protocolError());
    assert.throws(() => P.decodeBlockStatus(hex('00000001 00010000'), false), protocolError());
    assert.throws(() => P.decodeBlockStatus(hex('00000001 00000003 0000000000010000 0000000000000000'), true), protocolError());
    assert.throws(() => P.encodeBlockStatus(1, [{ length: 2 ** 32, flags: 0 }], false), protocolError());
  });

  test('rangeInside cannot overflow', () => {
    const size = 1n << 20n;
    assert.equal(P.rangeInside(0n, size, size), true);
    assert.equal(P.rangeInside(size, 0n, size), true);
    assert.equal(P.rangeInside(size, 1n, size), false);
    assert.equal(P.rangeInside(0xffffffffffffffffn, 2n, size), false);
    assert.equal(P.rangeInside(1n, 0xffffffffffffffffn, size), false);
  });

  test('strings: 4096 bytes at most, no NUL, valid UTF-8; messages quote names briefly', () => {
    assert.equal(P.decodeString(Buffer.from('dïsk'), 'name'), 'dïsk');
    assert.throws(() => P.decodeString(Buffer.alloc(4097, 0x61), 'name'), protocolError(P.REP_ERR_INVALID));
    assert.throws(() => P.encodeString('a\0b', 'name'), protocolError());
    assert.equal(P.quoteForMessage('x'.repeat(500)).length, 82);
    assert.equal(P.quoteForMessage('a\nb'), '"a?b"');
  });
});

describe('NBD URIs', () => {
  test('the four schemes', () => {
    assert.ok(isNbdUri('nbd://h/x') && isNbdUri('NBDS+UNIX:///x?socket=/s') && !isNbdUri('disk.vmdk') && !isNbdUri('http://x'));
    assert.deepEqual(parseNbdUri('nbd://example.com/disk'), { tls: false, exportName: 'disk', host: 'example.com', port: 10809 });
    assert.deepEqual(parseNbdUri('nbds://[::1]:1234/a%20b/c'), { tls: true, exportName: 'a b/c', host: '::1', port: 1234 });
    assert.deepEqual(parseNbdUri('nbd://127.0.0.1'), { tls: false, exportName: '', host: '127.0.0.1', port: 10809 });
    assert.deepEqual(parseNbdUri('nbd+unix:///e?socket=/tmp/s+1.sock'), { tls: false, exportName: 'e', socket: '/tmp/s+1.sock' });
    assert.deepEqual(parseNbdUri('nbds+unix://alice@/?socket=/s&tls-psk-file=/k.psk'),
      { tls: true, exportName: '', socket: '/s', user: 'alice', tlsPskFile: '/k.psk' });
  });

  test('TLS keys, thumbprints, and refusals', () => {
    const a = parseNbdUri('nbds://h/x?tls-certificates=/pki&x-tls-ca-file=/ca.pem&tls-verify-peer=false&tls-hostname=n&x-tls-thumbprint=AB:' + 'cd:'.repeat(18) + 'EF');
    assert.equal(a.tlsCertificates, '/pki');
    assert.equal(a.tlsCaFile, '/ca.pem');
    assert.equal(a.tlsVerifyPeer, false);
    assert.equal(a.tlsHostname, 'n');
    assert.equal(a.tlsThumbprint, 'ab' + 'cd'.repeat(18) + 'ef');
    assert.equal(normalizeThumbprint('a'.repeat(64)), 'a'.repeat(64));
    for (const bad of ['nbd://h/x?socket=/s', 'nbd+unix://host/x?socket=/s', 'nbd+unix:///x', 'nbd://h:99999/x',
      'nbd://h/x?unknown=1', 'nbd://h/x?tls-certificates=/p', 'nbds://h/x?x-tls-thumbprint=abc', 'nbd://h/%zz', 'nbd://h/x?tls-verify-peer=maybe']) {
      assert.throws(() => parseNbdUri(bad), (e: unknown) => e instanceof VixError && e.code === 3, bad);
    }
    assert.equal(formatNbdUri(parseNbdUri('nbd+unix:///d?socket=/tmp/x')), 'nbd+unix:///d?socket=/tmp/x');
    assert.equal(formatNbdUri(parseNbdUri('nbds://[::1]:5/d')), 'nbds://[::1]:5/d');
  });

  test('PSK files: identity:hexkey lines', () => {
    const keys = parsePskFile('alice:00ff\nbob:0102\n');
    assert.deepEqual([...keys.keys()], ['alice', 'bob']);
    assert.deepEqual(keys.get('alice'), Buffer.from([0, 255]));
    assert.throws(() => parsePskFile('alice\n'), VixError);
    assert.throws(() => parsePskFile(''), VixError);
  });
});
