import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import {
  AIO_CLOSE_SESSION, AIO_HEADER_LENGTH, AIO_IO, AIO_OPEN_FILE, AIO_OPEN_SESSION, IO_FRAME_PREFIX, IO_READ, IO_WRITE,
  NFC_FILE_DISK, OPEN_FLAGS_READ_ONLY, encodeAioFrame, encodeOpenFileRequest, encodeOpenSession, encodeU32Payload,
  writeAioHeader, writeIoFrame,
} from '../../src/nfc/aio-message.js';
import { encodeClientGreeting, encodeClientSessionOpen, encodeClientVersion } from '../../src/nfc/classic-handshake.js';
import { NFC_SESSION_COMPLETE, PLAINTEXT_NONCE, encodeClassicMessage } from '../../src/nfc/classic-message.js';
import { xorshift32 } from '../support/xorshift.js';
import { MiB, makeNfcWorld, type NfcWorld } from './nfc-server-fixture.js';
import { AioRefusal, AuthdClient, TestNfcClient } from './nfc-test-client.js';

// Hostile clients against the NFC port: mutated authd lines and NFC frames (wrong magic, lengths
// past the end, 4 GiB lengths, unknown types, fragments out of order, writes on a read-only open,
// broken handshakes, random byte mutations of whole conversations). Every conversation must end
// (a reply, then a close) in bounded time and memory, no disk may change that should not, and
// the endpoint must still serve a well-behaved client afterwards. VIXDISK_SOAK=1 runs more.

const SOAK = process.env.VIXDISK_SOAK === '1';
const PATH = '[ds1] vm1/vm1.vmdk';
const HANDSHAKE_MS = 3000;
const IDLE_MS = 4000;

const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** Resolves with how long the socket took to close; rejects if it outlives `ms`. */
function closesWithin(socket: net.Socket, ms: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(0);
    const t = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(Date.now() - start);
    });
  });
}

describe('NFC server: hostile clients', () => {
  let w: NfcWorld;
  let diskHash: string;
  before(async () => {
    w = await makeNfcWorld({ handshakeTimeoutMs: HANDSHAKE_MS, idleTimeoutMs: IDLE_MS });
    diskHash = await sha(w.diskPath);
  });
  after(async () => {
    // Still serving: a well-behaved client reads what the disk holds.
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ readOnly: true }) });
    await c.openSession();
    const f = await c.openFile(PATH, true);
    assert.ok((await c.read(f.handle, 4 * MiB, MiB)).equals(w.model.subarray(4 * MiB, 5 * MiB)));
    await c.end();
    await w.settled();
    assert.equal(w.files.opens, w.files.closes, 'every opened disk was closed');
    await w.close();
  });

  test('authd: plaintext before TLS, silence, long lines, bare LF, control bytes, too many lines, bytes after PROXY', async () => {
    const plain = await AuthdClient.connect(w.port);
    plain.socket.write(`SESSION ${w.ticket()}\r\n`);
    await closesWithin(plain.socket, 5000);

    // Silent before and inside TLS, at the same time.
    // The deadline runs from the accept, so the wait is measured from before the connect (on a
    // loaded machine the TLS start of the second client may take a good part of it).
    const connectedAt = Date.now();
    const silent = await AuthdClient.connect(w.port);
    const silentTls = await AuthdClient.connect(w.port);
    await silentTls.startTls();
    await Promise.all([closesWithin(silent.socket, HANDSHAKE_MS + 3000), closesWithin(silentTls.socket, HANDSHAKE_MS + 3000)]);
    const waited = Date.now() - connectedAt;
    assert.ok(waited >= HANDSHAKE_MS - 200, `a silent client is dropped at the deadline (${waited} ms)`);

    for (const text of [`SESSION ${'x'.repeat(2000)}\r\n`, 'BANNER\n', 'BANNER\rX\r\n', 'BAN\x01NER\r\n', 'BANNER\r\n'.repeat(17)]) {
      const a = await AuthdClient.connect(w.port);
      await a.startTls();
      a.tls1.write(text);
      await closesWithin(a.socket, 5000);
    }

    const a = await AuthdClient.connect(w.port);
    await a.startTls();
    a.tls1.write(`SESSION ${w.ticket()}\r\nPROXY nfc\r\n${'\x2b'.repeat(10)}`);
    await closesWithin(a.socket, 5000);
    assert.ok(w.logLines.some((l) => /bytes after PROXY/.test(l)));
  });

  test('authd: mutated VDDK dialogues all end', async () => {
    const n = SOAK ? 200 : 24;
    const next = xorshift32(3);
    await Promise.all(Array.from({ length: n }, async () => {
      const lines = Buffer.from(`SESSION ${w.ticket({ readOnly: true })}\r\nBANNER \r\nTHUMBPRINT_SHA2 PlainText\r\nPROXY nfc\r\n`, 'latin1');
      for (let k = 0, m = 1 + (next() % 4); k < m; k++) lines[next() % lines.length] = next() & 0xff;
      const a = await AuthdClient.connect(w.port);
      await a.startTls();
      a.tls1.write(lines);
      // Either it connected (then NFC waits for a handshake that never comes) or it refused:
      // the deadline ends every such conversation.
      await closesWithin(a.socket, HANDSHAKE_MS + 5000);
    }));
  });

  /** authd done by hand, then raw NFC bytes; the socket. */
  async function rawNfc(readOnly = true): Promise<net.Socket> {
    const a = await AuthdClient.connect(w.port);
    await a.startTls();
    a.sendLine(`SESSION ${w.ticket({ readOnly })}`);
    a.sendLine('PROXY nfc');
    assert.equal((await a.nextReply()).code, 200);
    a.splice();
    return a.socket;
  }

  const handshake = () => Buffer.concat([encodeClientGreeting(PLAINTEXT_NONCE), encodeClientVersion(), encodeClientSessionOpen()]);

  test('classic handshake: wrong order, wrong nonce, unknown type, version too old: closed', async () => {
    const version2 = encodeClientVersion(2);
    for (const bytes of [
      encodeClientVersion(), // 51 before 43
      Buffer.concat([encodeClientGreeting('NotTheNonce')]),
      Buffer.concat([encodeClientGreeting(PLAINTEXT_NONCE), version2]),
      Buffer.alloc(264, 0xee),
    ]) {
      const s = await rawNfc();
      s.write(bytes);
      await closesWithin(s, 5000);
    }
  });

  test('AIO: wrong magic, wrong sizes and 4 GiB lengths close the connection; nothing is allocated for them', async () => {
    const before = process.memoryUsage().rss;
    const frames: Buffer[] = [];
    const bad = Buffer.alloc(AIO_HEADER_LENGTH + 16);
    writeAioHeader(bad, 0, AIO_OPEN_SESSION, 16, 0);
    bad.writeUInt32LE(0xdeadbeef, 0);
    frames.push(bad);
    const wrongSize = Buffer.alloc(AIO_HEADER_LENGTH + 20);
    writeAioHeader(wrongSize, 0, AIO_OPEN_SESSION, 20, 0);
    frames.push(wrongSize);
    const hugePayload = Buffer.alloc(AIO_HEADER_LENGTH);
    writeAioHeader(hugePayload, 0, 99, 0xffffffff, 0);
    frames.push(hugePayload);
    const hugePath = encodeAioFrame(AIO_OPEN_FILE, 1, encodeOpenFileRequest({ path: 'x', fileType: NFC_FILE_DISK, openFlags: OPEN_FLAGS_READ_ONLY }).payload);
    hugePath.writeUInt32LE(0xffffffff, AIO_HEADER_LENGTH);
    frames.push(hugePath);
    const hugeWrite = Buffer.alloc(IO_FRAME_PREFIX);
    writeIoFrame(hugeWrite, 0, 2, {
      handle: 1n, direction: IO_WRITE, compression: 0, offset: 0, totalLength: 0xffffffff, fragmentOffset: 0, fragmentLength: 0xffffffff, extraLength: 0xffffffff,
    });
    frames.push(hugeWrite);
    const badDirection = Buffer.from(hugeWrite);
    badDirection.writeUInt32LE(7, AIO_HEADER_LENGTH + 8);
    frames.push(badDirection);
    for (const frame of frames) {
      const s = await rawNfc();
      s.write(Buffer.concat([handshake(), encodeAioFrame(AIO_OPEN_SESSION, 0, encodeOpenSession({ bufferSize: 65536, bufferCount: 4 })), frame]));
      await closesWithin(s, 5000);
    }
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 256 * MiB, `memory grew by ${grown} bytes`);
  });

  test('AIO request errors are answered and the session goes on; a read-only disk is not changed', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ readOnly: true }) });
    // Before OPEN_SESSION, OPEN_FILE is refused; a 16 MiB buffer is refused as ESXi does.
    await assert.rejects(c.openFile(PATH, true), AioRefusal);
    await assert.rejects(c.call(AIO_OPEN_SESSION, encodeOpenSession({ bufferSize: 16 * MiB, bufferCount: 1 })), AioRefusal);
    await c.openSession();
    await assert.rejects(c.call(99, Buffer.alloc(8)), /AIO ERROR 6/);
    const f = await c.openFile(PATH, true);
    // Writes on a read-only open, 4 GiB reads past the end, unaligned IO, unknown handles.
    await assert.rejects(c.write(f.handle, 0, Buffer.alloc(3 * 65536 + 512, 1)), (e: unknown) => e instanceof AioRefusal && e.error.code === 0x0b);
    await assert.rejects(c.read(f.handle, 0, 0xfffffe00), /AIO ERROR 16007/);
    await assert.rejects(c.read(f.handle, 100, 512), /AIO ERROR 1:/);
    await assert.rejects(c.read(f.handle + 1n, 0, 512), /not open/);
    await assert.rejects(c.ddbGet(f.handle + 1n, 'adapterType'), /not open/);
    await assert.rejects(c.closeFile(f.handle + 1n), /not open/);
    // A read request whose fragment offset is not 0.
    const opId = c.takeOpId();
    const head = Buffer.alloc(IO_FRAME_PREFIX);
    writeIoFrame(head, 0, opId, { handle: f.handle, direction: IO_READ, compression: 0, offset: 0, totalLength: 1024, fragmentOffset: 512, fragmentLength: 512, extraLength: 512 });
    const refused = c.replyTo(opId);
    c.out.write(head);
    await assert.rejects(refused, AioRefusal);
    assert.ok((await c.read(f.handle, 0, 65536)).equals(w.model.subarray(0, 65536)));
    await c.end();
    assert.equal(await sha(w.diskPath), diskHash, 'the disk file did not change');
  });

  test('write fragments out of order, past the request or of another size are refused once; nothing is written', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ diskDeviceKey: 2001 }) });
    await c.openSession();
    const f = await c.openFile('[ds1] vm1/vm1_1.vmdk', false);
    const data = Buffer.alloc(65536, 9);
    // The second fragment first: refused (answered once all announced bytes were seen).
    const op1 = c.takeOpId();
    const r1 = c.replyTo(op1);
    for (const at of [65536, 0]) {
      const head = Buffer.alloc(IO_FRAME_PREFIX);
      writeIoFrame(head, 0, op1, { handle: f.handle, direction: IO_WRITE, compression: 0, offset: 0, totalLength: 131072, fragmentOffset: at, fragmentLength: 65536, extraLength: 65536 });
      c.out.write(head);
      c.out.write(data);
    }
    await assert.rejects(r1, /out of order/);
    // A fragment larger than the session buffer (compressed, so its extra is inside the bound;
    // an extra past the bound is fatal, tested above).
    const { deflateSync } = await import('node:zlib');
    await assert.rejects(c.writeRaw(f.handle, 0, 131072, 0, 131072, 1, deflateSync(Buffer.alloc(131072, 9))), /session buffer/);
    // A compressed fragment that inflates past its length, and garbage zlib, SkipZ and FastLZ.
    await assert.rejects(c.writeRaw(f.handle, 0, 512, 0, 512, 1, deflateSync(Buffer.alloc(4096))), /inflates past/);
    await assert.rejects(c.writeRaw(f.handle, 0, 512, 0, 512, 1, Buffer.alloc(40, 0x55)), /zlib/);
    await assert.rejects(c.writeRaw(f.handle, 0, 512, 0, 512, 3, Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0])), /SkipZ/);
    await assert.rejects(c.writeRaw(f.handle, 0, 512, 0, 512, 2, Buffer.from([0x1f, 1, 2])), /FastLZ/);
    await assert.rejects(c.writeRaw(f.handle, 0, 512, 0, 512, 9, Buffer.alloc(16)), /compression type 9/);
    assert.ok((await c.read(f.handle, 0, 131072)).equals(Buffer.alloc(131072)), 'nothing was written');
    await c.end();
  });

  test('random mutations of whole NFC conversations all end, and change no read-only disk', async () => {
    const n = SOAK ? 300 : 30;
    const next = xorshift32(17);
    const before = process.memoryUsage().rss;
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const s = await rawNfc(true);
      const open = encodeOpenFileRequest({ path: PATH, fileType: NFC_FILE_DISK, openFlags: OPEN_FLAGS_READ_ONLY });
      const read = Buffer.alloc(IO_FRAME_PREFIX);
      writeIoFrame(read, 0, 2, { handle: 0n, direction: IO_READ, compression: i % 4, offset: 0, totalLength: 131072, fragmentOffset: 0, fragmentLength: 131072, extraLength: 131072 });
      const write = Buffer.alloc(IO_FRAME_PREFIX + 512, 0x42);
      writeIoFrame(write, 0, 3, { handle: 0n, direction: IO_WRITE, compression: 0, offset: 0, totalLength: 512, fragmentOffset: 0, fragmentLength: 512, extraLength: 512 });
      const conversation = Buffer.concat([
        handshake(),
        encodeAioFrame(AIO_OPEN_SESSION, 0, encodeOpenSession({ bufferSize: 65536, bufferCount: 4 })),
        encodeAioFrame(AIO_OPEN_FILE, 1, open.payload, open.extra),
        read, write,
        encodeAioFrame(AIO_IO, 4, Buffer.alloc(44)),
        encodeAioFrame(AIO_CLOSE_SESSION, 5, encodeU32Payload(0)),
        encodeClassicMessage({ type: NFC_SESSION_COMPLETE }),
      ]);
      const start = 264 * 3 + 11; // mutate past the classic 43/33 most of the time
      for (let k = 0, m = 1 + (next() % 6); k < m; k++) {
        const at = (i % 5 === 0 ? 0 : start) + (next() % (conversation.length - (i % 5 === 0 ? 0 : start)));
        conversation[at] = next() & 0xff;
      }
      s.on('data', () => undefined);
      s.write(conversation);
      // Ends by the client's close, a fatal error, the handshake deadline or the idle timeout.
      await closesWithin(s, HANDSHAKE_MS + IDLE_MS + 5000);
    }));
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 256 * MiB, `memory grew by ${grown} bytes`);
    assert.equal(await sha(w.diskPath), diskHash, 'the read-only disk did not change');
  });
});
