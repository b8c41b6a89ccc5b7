import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { deflateSync } from 'node:zlib';
import { VixError } from '../../src/errors/vix-error.js';
import {
  VIX_E_AUTHENTICATION_FAIL, VIX_E_FAIL, VIX_E_HOST_NETBLKDEV_HANDSHAKE, VIX_E_HOST_NETWORK_CONN_REFUSED, VIX_E_HOST_TCP_CONN_LOST,
  VIX_E_OUT_OF_MEMORY,
} from '../../src/errors/error-codes.js';
import {
  AIO_DDB_GET, AIO_IO, AIO_OPEN_FILE, AIO_OPEN_SESSION, AIO_QUERY_ALLOCATED_BLOCKS, encodeAioError, encodeAioFrame, writeAioHeader,
} from '../../src/nfc/aio-message.js';
import { encodeClassicError, encodeClassicMessage } from '../../src/nfc/classic-message.js';
import { NfcDisk, type NfcDiskOptions } from '../../src/nfc/nfc-disk.js';
import { tempDir } from '../support/temp-dir.js';
import { random01 } from '../support/xorshift.js';
import { makeCertificate, ScriptHost, type Certificate, type ScriptHostOptions } from './nfc-script-host.js';

// NfcDisk against hosts that lie, stall or break the protocol: authd refusals and garbage, a
// certificate that is not the ticket's, NFC replies with wrong magic, huge lengths, unknown types,
// strange opIds, fragments out of range, a host that stops answering or hangs up mid-reply, and a
// seeded mutation fuzz of whole reply streams. Every call must end with a result or a one-line
// VixError within bounded time, and memory must stay bounded.

const MiB = 1 << 20;
const SESSION = '52cdebc5-b7ee-359a-1dec-76f0bc105ac5';
const FUZZ = Number(process.env.VIXDISK_FUZZ_ITERATIONS ?? 150);
let certs: Promise<[Certificate, Certificate]> | null = null;

function certificates(t: Parameters<typeof tempDir>[0]): Promise<[Certificate, Certificate]> {
  certs ??= tempDir(t, 'vixdisk-nfc-cert-').then((d) => Promise.all([makeCertificate(d, 'a'), makeCertificate(d, 'b')]));
  return certs;
}

async function host(t: Parameters<typeof tempDir>[0], extra: Partial<ScriptHostOptions> = {}): Promise<ScriptHost> {
  const [a] = await certificates(t);
  const disk = new Uint8Array(2 * MiB);
  for (let i = 0; i < MiB; i++) disk[i] = (i * 7) & 0xff;
  const h = new ScriptHost({ certificate: a, sessionId: SESSION, service: 'nfc', path: '[ds1] vm/vm.vmdk', disk, ...extra });
  await h.start();
  t.after(() => h.stop());
  return h;
}

const FAST = { acceptMs: 3000, requestMs: 600, readMs: 600, writeMs: 600 };

function options(h: ScriptHost, o: Partial<NfcDiskOptions> = {}): NfcDiskOptions {
  return { ticket: h.ticket(), path: '[ds1] vm/vm.vmdk', writable: true, ssl: false, timeouts: FAST, ...o };
}

/** The promise settles within `ms`; its rejection, if any, is a one-line VixError (returned). */
async function settles<T>(p: Promise<T>, ms = 8000): Promise<VixError | T> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    p.then((v) => v, (e: unknown) => e),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
  if (result instanceof Error) {
    assert.ok(result instanceof VixError, `not a VixError: ${result.stack}`);
    assert.doesNotMatch(result.message, /\n/);
    assert.ok(!result.message.includes(SESSION), 'no session id in messages');
    assert.ok(result.message.length < 400, result.message);
  }
  return result as VixError | T;
}

async function openFails(o: NfcDiskOptions, code: number, pattern?: RegExp): Promise<VixError> {
  const e = await settles(NfcDisk.open(o));
  assert.ok(e instanceof VixError, 'the open should fail');
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return e;
}

// ---- authd and TLS ---------------------------------------------------------------------------------------

test('a certificate other than the ticket\'s is refused before anything is sent (VIX_E_FAIL naming both thumbprints)', async (t) => {
  const [a, b] = await certificates(t);
  const h = await host(t, { certificate: b });
  const e = await openFails(options(h, { ticket: { ...h.ticket(), sslThumbprint: a.sha1 } }), VIX_E_FAIL);
  assert.ok(e.message.includes(a.sha1) && e.message.includes(b.sha1), e.message);
  assert.deepEqual(h.log, [], 'no authd command reached the host');
});

test('a SHA-256 thumbprint given with the ticket is checked too', async (t) => {
  const [a, b] = await certificates(t);
  const h = await host(t);
  const ok = await NfcDisk.open(options(h, { ticket: { ...h.ticket(), sslThumbprintSha256: a.sha256 } }));
  await ok.close();
  await openFails(options(h, { ticket: { ...h.ticket(), sslThumbprintSha256: b.sha256 } }), VIX_E_FAIL, /thumbprint/);
});

test('nbdssl: the second TLS must present the certificate authd announced', async (t) => {
  const [, b] = await certificates(t);
  const h = await host(t);
  // authd announces b's SHA-256 while the second session presents a's certificate.
  h.o.authd = (c, normal) => (c !== 'banner' && c.verb === 'THUMBPRINT_SHA2' ? Buffer.from(`200 ${b.sha256}\r\n`) : normal);
  await openFails(options(h, { ssl: true }), VIX_E_FAIL, /announced/);
  h.o.authd = (c, normal) => (c !== 'banner' && c.verb === 'THUMBPRINT_SHA2' ? Buffer.from('200 not-a-thumbprint\r\n') : normal);
  await openFails(options(h, { ssl: true }), VIX_E_HOST_NETBLKDEV_HANDSHAKE);
});

test('a used or forged ticket is refused (530 at PROXY) with VIX_E_AUTHENTICATION_FAIL and no session id in the message', async (t) => {
  const h = await host(t);
  await openFails(options(h, { ticket: { ...h.ticket(), sessionId: 'forged-0000' } }), VIX_E_AUTHENTICATION_FAIL, /refused the NFC ticket/);
  await openFails(options(h, { ticket: { ...h.ticket(), service: 'vpxa-nfc' } }), VIX_E_AUTHENTICATION_FAIL);
});

test('a closed port is VIX_E_HOST_NETWORK_CONN_REFUSED', async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  await openFails({ ticket: { host: '127.0.0.1', port, sessionId: SESSION, service: 'nfc', sslThumbprint: '00'.repeat(20) }, path: '[ds1] x.vmdk', writable: false, ssl: false },
    VIX_E_HOST_NETWORK_CONN_REFUSED, /refused/);
});

test('authd garbage, silence and hang-ups end the open with one line in bounded time', async (t) => {
  const h = await host(t);
  const cases: Array<[string, ScriptHostOptions['authd'], number]> = [
    ['banner not 220', (c, n) => (c === 'banner' ? Buffer.from('421 Service not available\r\n') : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['banner without CR', (c, n) => (c === 'banner' ? Buffer.from('220 hello\n') : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['endless banner', (c, n) => (c === 'banner' ? Buffer.alloc(100_000, 0x41) : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['binary banner', (c, n) => (c === 'banner' ? Buffer.from([0x16, 0x03, 0x01, 0, 5, 1, 2, 3, 4, 5]) : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['plaintext after banner', (c, n) => (c === 'banner' ? Buffer.concat([n, Buffer.from('200 extra\r\n')]) : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['no banner at all', (c, n) => (c === 'banner' ? null : n), VIX_E_HOST_TCP_CONN_LOST],
    ['hang-up at banner', (c, n) => (c === 'banner' ? 'close' : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['silence after BANNER', (c, n) => (c !== 'banner' && c.verb === 'BANNER' ? null : n), VIX_E_HOST_TCP_CONN_LOST],
    ['hang-up at PROXY', (c, n) => (c !== 'banner' && c.verb === 'PROXY' ? 'close' : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['PROXY answered 200 OK', (c, n) => (c !== 'banner' && c.verb === 'PROXY' ? Buffer.from('200 OK\r\n') : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['PROXY answered ssl for nbd', (c, n) => (c !== 'banner' && c.verb === 'PROXY' ? Buffer.from('200 Connect ha-nfcssl\r\n') : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['more after Connect', (c, n) => (c !== 'banner' && c.verb === 'PROXY' ? Buffer.concat([n, Buffer.alloc(40, 0x7a)]) : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['a 1 MiB line', (c, n) => (c !== 'banner' && c.verb === 'BANNER' ? Buffer.alloc(MiB, 0x42) : n), VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['BANNER answered 500', (c, n) => (c !== 'banner' && c.verb === 'BANNER' ? Buffer.from('500 no\r\n') : n), VIX_E_AUTHENTICATION_FAIL],
  ];
  for (const [name, authd, code] of cases) {
    h.o.authd = authd;
    const e = await settles(NfcDisk.open(options(h, { timeouts: { ...FAST, acceptMs: 800 } })));
    assert.ok(e instanceof VixError, name);
    assert.equal(e.code, code, `${name}: ${e.message}`);
  }
});

// ---- the NFC handshake and the AIO phase --------------------------------------------------------------

/** A hook that replaces the reply to the first request of `type` (and, `thenSilent`, sends nothing after it). */
function replaceReply(type: number, make: (frames: Buffer[], opId: number) => Array<Buffer | 'close'> | 'silent' | 'close', thenSilent = false): ScriptHostOptions['reply'] {
  let done = false;
  return (h, frames) => {
    if (done && thenSilent) return 'silent';
    if (done || h.type !== type) return frames;
    done = true;
    return make(frames, h.opId);
  };
}

function header(type: number, size: number, opId: number): Buffer {
  const b = Buffer.alloc(16);
  writeAioHeader(b, 0, type, size, opId);
  return b;
}

test('broken NFC replies end each call with one line; the disk fails every later call at once', async (t) => {
  const cases: Array<[string, number, (frames: Buffer[], opId: number) => Array<Buffer | 'close'> | 'silent' | 'close', number]> = [
    ['wrong magic', AIO_IO, (f) => [Buffer.concat([Buffer.from([1, 2, 3, 4]), f[0]!.subarray(4)])], VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['4 GiB extra', AIO_IO, (f) => { const b = Buffer.from(f[0]!); b.writeUInt32LE(0xffffffff, 16 + 36); return [b]; }, VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['fragment past the request', AIO_IO, (f) => { const b = Buffer.from(f[0]!); b.writeUInt32LE(0x100000, 16 + 28); return [b]; }, VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['fragment twice', AIO_IO, (f) => [f[0]!, f[0]!], VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['unknown reply type', AIO_IO, (_f, id) => [header(77, 0, id)], VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['known type, wrong size', AIO_IO, (_f, id) => [header(AIO_IO, 8, id), Buffer.alloc(8)], VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['reply of another type', AIO_IO, (_f, id) => [encodeAioFrame(AIO_DDB_GET, id, Buffer.alloc(16))], VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['wrong opId', AIO_IO, (f) => { const b = Buffer.from(f[0]!); b.writeUInt32LE(9999, 12); return [b]; }, VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['short frame, then nothing', AIO_IO, (f) => [f[0]!.subarray(0, 30)], VIX_E_HOST_TCP_CONN_LOST],
    ['half a fragment, then a hang-up', AIO_IO, (f) => [f[0]!.subarray(0, 1000), 'close'], VIX_E_HOST_TCP_CONN_LOST],
    ['silence', AIO_IO, () => 'silent', VIX_E_HOST_TCP_CONN_LOST],
    ['hang-up', AIO_IO, () => 'close', VIX_E_HOST_TCP_CONN_LOST],
    ['ERROR 5 (host out of memory)', AIO_IO, (_f, id) => [encodeAioFrame(1, id, encodeAioError({ code: 2, message: 'Failed to allocate the requested 2097176 bytes' }))], VIX_E_OUT_OF_MEMORY],
    ['ERROR of 2000 bytes', AIO_IO, (_f, id) => [header(1, 2000, id), Buffer.alloc(2000)], VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['classic NFC_ERROR 5', AIO_IO, () => { const e = encodeClassicError(1, 5, 'Failed to allocate the requested 2097176 bytes'); return [encodeClassicMessage(e.message), e.extra]; }, VIX_E_OUT_OF_MEMORY],
    ['classic SESSION_COMPLETE', AIO_IO, () => [encodeClassicMessage({ type: 4 })], VIX_E_HOST_TCP_CONN_LOST],
    ['zlib bomb', AIO_IO, (f) => {
      const bomb = deflateSync(Buffer.alloc(16 * MiB), { level: 9 });
      const b = Buffer.from(f[0]!.subarray(0, 60));
      b.writeUInt32LE(1, 16 + 12); b.writeUInt32LE(bomb.length, 16 + 36);
      return [b, bomb];
    }, VIX_E_HOST_NETBLKDEV_HANDSHAKE],
    ['bitmap for other chunks', AIO_QUERY_ALLOCATED_BLOCKS, (f) => { const b = Buffer.from(f[0]!); b.writeUInt32LE(1 << 20, 16 + 32); return [b]; }, VIX_E_HOST_NETBLKDEV_HANDSHAKE],
  ];
  const h = await host(t);
  for (const [name, type, make, code] of cases) {
    h.o.reply = replaceReply(type, make, name.includes('then nothing'));
    const disk = await NfcDisk.open(options(h, { compression: name === 'zlib bomb' ? 'zlib' : 'none' }));
    const before = process.memoryUsage().rss;
    const calls = [disk.read(0, new Uint8Array(65536)), disk.read(65536, new Uint8Array(512)), disk.blockStatus(0, 2 * MiB)];
    const results = await Promise.all(calls.map((c) => settles(c as Promise<unknown>)));
    const e = results.find((r) => r instanceof VixError) as VixError | undefined;
    assert.ok(e, `${name}: some call fails`);
    assert.equal(e.code, code, `${name}: ${e.message}`);
    assert.ok(process.memoryUsage().rss - before < 256 * MiB, `${name}: memory stayed bounded`);
    if (code !== VIX_E_OUT_OF_MEMORY) {
      // The connection is gone: later calls fail at once with a line of their own.
      const later = await settles(disk.read(0, new Uint8Array(512)), 1000);
      assert.ok(later instanceof VixError, `${name}: a later call fails`);
    }
    await settles(disk.close(), 3000);
  }
});

test('a lost connection fails every request in flight once, with VIX_E_HOST_TCP_CONN_LOST', async (t) => {
  const h = await host(t);
  h.o.reply = (hd, frames) => (hd.type === AIO_IO ? 'silent' : frames);
  const disk = await NfcDisk.open(options(h, { timeouts: { ...FAST, requestMs: 60_000 } }));
  const calls = Array.from({ length: 20 }, (_, i) => disk.read(i * 65536, new Uint8Array(65536)));
  const settled = Promise.all(calls.map((c) => settles(c)));
  await new Promise((r) => setTimeout(r, 100));
  await h.stop(); // the host goes away with 20 requests outstanding (4 sent, 16 queued)
  for (const e of await settled) {
    assert.ok(e instanceof VixError);
    assert.equal(e.code, VIX_E_HOST_TCP_CONN_LOST);
  }
  await settles(disk.close(), 3000);
});

test('open-phase failures: OPEN_SESSION refused, OPEN_FILE of an unknown path, a silent host', async (t) => {
  const h = await host(t);
  h.o.reply = replaceReply(AIO_OPEN_SESSION, (_f, id) => [encodeAioFrame(1, id, encodeAioError({ code: 2, message: 'no memory for the session' }))]);
  await openFails(options(h), VIX_E_OUT_OF_MEMORY, /no memory for the session/);
  h.o.reply = undefined;
  await openFails(options(h, { path: '[ds1] other/other.vmdk' }), VIX_E_FAIL, /no such file/);
  h.o.reply = replaceReply(AIO_OPEN_FILE, () => 'silent');
  await openFails(options(h), VIX_E_HOST_TCP_CONN_LOST, /no reply/);
});

// ---- fuzz -----------------------------------------------------------------------------------------------------

const EXTREMES = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x1000000, 0x2000001];

function mutate(input: Buffer, r: () => number): Buffer {
  let b = Buffer.from(input);
  const pick = (n: number) => Math.floor(r() * n);
  for (let k = 1 + pick(3); k > 0 && b.length > 0; k--) {
    const at = pick(Math.min(b.length, 128)); // headers and payloads are where the lengths are
    switch (pick(6)) {
      case 0: b[at] = b[at]! ^ (1 << pick(8)); break;
      case 1: b[at] = r() < 0.5 ? 0 : 0xff; break;
      case 2: if (at + 4 <= b.length) b.writeUInt32LE(EXTREMES[pick(EXTREMES.length)]!, at - (at % 4)); break;
      case 3: b = b.subarray(0, pick(b.length)); break;
      case 4: b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(32) }, () => pick(256))), b.subarray(at)]); break;
      default: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(16))]);
    }
  }
  return b;
}

test(`fuzz: ${FUZZ} mutated host reply streams end every call with a result or one VixError`, async (t) => {
  const PARALLEL = 6;
  const hosts = await Promise.all(Array.from({ length: PARALLEL }, () => host(t)));
  const r = random01(20261207);
  const started = process.memoryUsage().rss;
  let failures = 0;
  let next = 0;
  const fuzzTimeouts = { acceptMs: 2000, requestMs: 300, readMs: 300, writeMs: 300 };
  const one = async (h: ScriptHost, i: number): Promise<void> => {
    const victim = Math.floor(r() * 6); // which reply of the session is damaged
    let n = 0;
    h.o.reply = (_h, frames) => (n++ === victim ? [mutate(Buffer.concat(frames), r)] : frames);
    h.o.reverseFragments = r() < 0.5;
    const ssl = i % 5 === 0;
    const opened = await settles(NfcDisk.open(options(h, { ssl, compression: (['none', 'zlib', 'skipz', 'fastlz'] as const)[i % 4], timeouts: fuzzTimeouts })));
    if (opened instanceof VixError) { failures++; return; }
    const disk = opened as NfcDisk;
    const calls: Array<Promise<unknown>> = [
      disk.read(Math.floor(r() * 16) * 512, new Uint8Array(1 + Math.floor(r() * 200_000))),
      disk.write(MiB + Math.floor(r() * 1000) * 512, new Uint8Array(1 + Math.floor(r() * 100_000)).fill(3)),
      disk.blockStatus(0, 2 * MiB),
      disk.ddb('adapterType'),
    ];
    for (const c of calls) if ((await settles(c)) instanceof VixError) failures++;
    await settles(disk.close(), 4000);
  };
  await Promise.all(hosts.map(async (h) => {
    while (next < FUZZ) await one(h, next++);
  }));
  assert.ok(failures > FUZZ / 4, `mutations were noticed (${failures} failed calls)`);
  assert.ok(process.memoryUsage().rss - started < 300 * MiB, 'memory stayed bounded');
});
