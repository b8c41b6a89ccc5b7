import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_DISK_OUTOFRANGE, VIX_E_FILE_READ_ONLY } from '../../src/errors/error-codes.js';
import { NfcDisk, type NfcDiskOptions } from '../../src/nfc/nfc-disk.js';
import { copyDevice } from '../../src/block/copy.js';
import { tempDir } from '../support/temp-dir.js';
import { xorshift32 } from '../support/xorshift.js';
import { makeCertificate, ScriptHost, type Certificate } from './nfc-script-host.js';

// NfcDisk against a scripted NFC host (test/nfc/nfc-script-host.ts): the whole VDDK 8 conversation
// on both transports, reads and writes of many sizes in flight together matching a byte model,
// compressed and not, fragments out of order, block status from the allocated-blocks query, DDB,
// and the close.

const MiB = 1 << 20;
const SESSION = '52cdebc5-b7ee-359a-1dec-76f0bc105ac5';
let cert: Certificate | null = null;

async function certificate(t: Parameters<typeof tempDir>[0]): Promise<Certificate> {
  cert ??= await makeCertificate(await tempDir(t, 'vixdisk-nfc-cert-'));
  return cert;
}

function pattern(length: number, seed: number): Uint8Array {
  const next = xorshift32(seed);
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const v = next();
    b[i] = v; b[i + 1] = v >>> 8; b[i + 2] = v >>> 16; b[i + 3] = v >>> 24;
  }
  return b;
}

async function host(t: Parameters<typeof tempDir>[0], size: number, extra: Partial<ConstructorParameters<typeof ScriptHost>[0]> = {}) {
  const disk = new Uint8Array(size);
  disk.set(pattern(size / 2, 7), 0); // first half data, second half a hole
  const h = new ScriptHost({ certificate: await certificate(t), sessionId: SESSION, service: 'nfc', path: '[ds1] vm/vm.vmdk', disk, ...extra });
  await h.start();
  t.after(() => h.stop());
  return h;
}

function options(h: ScriptHost, o: Partial<NfcDiskOptions> = {}): NfcDiskOptions {
  return { ticket: h.ticket(), path: '[ds1] vm/vm.vmdk', writable: true, ssl: false, timeouts: { acceptMs: 10_000, requestMs: 10_000 }, ...o };
}

for (const ssl of [false, true]) {
  for (const compression of ['none', 'zlib', 'skipz', 'fastlz'] as const) {
    test(`random reads and writes in flight match the model (${ssl ? 'nbdssl' : 'nbd'}, ${compression})`, async (t) => {
      const size = 24 * MiB;
      const h = await host(t, size, { reverseFragments: true });
      const model = Uint8Array.from(h.o.disk);
      const lines: string[] = [];
      const disk = await NfcDisk.open(options(h, { ssl, compression, bufSizeIn64KB: 2, bufCount: 4, log: (_l, line) => lines.push(line) }));
      assert.equal(disk.capacity, size);
      assert.equal(disk.readOnly, false);
      assert.deepEqual(disk.geometry, { cylinders: 1024, heads: 255, sectors: 63 });
      assert.ok(lines.some((l) => l.includes('[ds1] vm/vm.vmdk') && l.includes(ssl ? 'nbdssl' : 'nbd')));
      assert.ok(lines.every((l) => !l.includes(SESSION)), 'the session id is never logged');
      const r = xorshift32(ssl ? 11 : 12);
      const ops: Array<Promise<void>> = [];
      const reads: Array<{ offset: number; buffer: Uint8Array; expect: Uint8Array }> = [];
      for (let i = 0; i < 40; i++) {
        const sizes = [512, 4096, 65536 + 512, 300_000, 3 * MiB + 17, 333];
        const length = Math.min(sizes[r() % sizes.length]!, size);
        const offset = r() % (size - length);
        if (r() % 2 === 0) {
          // Writes of disjoint regions per round keep the model deterministic.
          const data = r() % 3 === 0 ? new Uint8Array(length) : pattern(length, r());
          const at = (i * (size / 40)) | 0;
          const n = Math.min(length, size / 40);
          model.set(data.subarray(0, n), at);
          ops.push(disk.write(at, data.subarray(0, n)));
        } else {
          reads.push({ offset, buffer: new Uint8Array(length), expect: new Uint8Array(0) });
        }
      }
      await Promise.all(ops);
      await Promise.all(reads.map((x) => disk.read(x.offset, x.buffer)));
      for (const x of reads) assert.ok(Buffer.from(x.buffer).equals(Buffer.from(model.subarray(x.offset, x.offset + x.buffer.length))), `read at ${x.offset}+${x.buffer.length}`);
      await disk.flush();
      assert.ok(Buffer.from(h.o.disk).equals(Buffer.from(model)), 'the host holds what was written');
      const whole = new Uint8Array(size);
      await disk.read(0, whole);
      assert.ok(Buffer.from(whole).equals(Buffer.from(model)));
      await disk.close();
      await disk.close();
      assert.equal(h.completedSessions, 1);
    });
  }
}

test('the conversation is VDDK 8s: authd lines, then OPEN_SESSION, SET_SOCK_OPTS, SET_RES_POOL, OPEN_FILE … CLOSE_FILE, CLOSE_SESSION', async (t) => {
  const h = await host(t, 4 * MiB);
  const disk = await NfcDisk.open(options(h, { writable: false }));
  assert.equal(await disk.ddb('adapterType'), 'lsilogic');
  assert.equal(await disk.ddb('uuid'), undefined);
  await disk.close();
  assert.deepEqual(h.log, ['SESSION ***', 'BANNER', 'THUMBPRINT_SHA2 PlainText', 'PROXY nfc',
    'AIO 2', 'AIO 9', 'AIO 22', 'AIO 4', 'AIO 11', 'AIO 11', 'AIO 5', 'AIO 3']);
});

test('unaligned reads and writes touch only their bytes', async (t) => {
  const h = await host(t, 2 * MiB);
  const model = Uint8Array.from(h.o.disk);
  const disk = await NfcDisk.open(options(h));
  const cases = [[1, 1], [511, 2], [1000, 70_000], [4095, 513], [MiB - 3, 3], [2 * MiB - 7, 7]];
  for (const [offset, length] of cases) {
    const data = pattern(length!, offset!);
    model.set(data, offset!);
    await disk.write(offset!, data);
  }
  for (const [offset, length] of cases) {
    const b = new Uint8Array(length! + 1000 > 2 * MiB - offset! ? 2 * MiB - offset! : length! + 1000);
    await disk.read(offset!, b);
    assert.ok(Buffer.from(b).equals(Buffer.from(model.subarray(offset!, offset! + b.length))), `${offset}+${length}`);
  }
  assert.ok(Buffer.from(h.o.disk).equals(Buffer.from(model)));
  await disk.close();
});

test('blockStatus reports the allocated chunks as data and the rest as holes that read as zeros', async (t) => {
  const size = 8 * MiB;
  const h = await host(t, size);
  const disk = await NfcDisk.open(options(h, { writable: false }));
  assert.deepEqual(await disk.blockStatus(0, size), [
    { offset: 0, length: size / 2, allocated: true, zero: false },
    { offset: size / 2, length: size / 2, allocated: false, zero: true },
  ]);
  assert.deepEqual(await disk.blockStatus(size / 2 - 1000, 3000), [
    { offset: size / 2 - 1000, length: 1000, allocated: true, zero: false },
    { offset: size / 2, length: 2000, allocated: false, zero: true },
  ]);
  await disk.close();
});

test('copyDevice copies an NFC disk to another over NFC, holes skipped', async (t) => {
  const src = await host(t, 8 * MiB);
  const dstHost = new ScriptHost({ ...src.o, disk: new Uint8Array(8 * MiB) });
  await dstHost.start();
  t.after(() => dstHost.stop());
  const a = await NfcDisk.open(options(src, { writable: false, ssl: true }));
  const b = await NfcDisk.open(options(dstHost, { compression: 'skipz' }));
  const result = await copyDevice(a, b, { destinationIsZero: true });
  assert.ok(result.bytesWritten <= 4 * MiB + 65536, `wrote ${result.bytesWritten}`);
  await a.close();
  await b.close();
  assert.ok(Buffer.from(dstHost.o.disk).equals(Buffer.from(src.o.disk)));
});

test('a read-only open refuses writes; a read-only ticket refuses a writable open with VIX_E_FILE_READ_ONLY', async (t) => {
  const h = await host(t, MiB, { readOnlyTicket: true });
  const ro = await NfcDisk.open(options(h, { writable: false }));
  assert.equal(ro.readOnly, true);
  await assert.rejects(ro.write(0, new Uint8Array(512)), (e: VixError) => e.code === VIX_E_FILE_READ_ONLY);
  await assert.rejects(ro.read(MiB - 512, new Uint8Array(1024)), (e: VixError) => e.code === VIX_E_DISK_OUTOFRANGE);
  await ro.close();
  await assert.rejects(NfcDisk.open(options(h, { writable: true })), (e: VixError) => {
    assert.equal(e.code, VIX_E_FILE_READ_ONLY);
    assert.match(e.message, /read-only/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
});

test('zero() writes zeros (NFC has none of its own), unaligned edges included', async (t) => {
  const h = await host(t, 4 * MiB);
  const disk = await NfcDisk.open(options(h, { compression: 'skipz' }));
  assert.equal(disk.canZero, false);
  await disk.zero(1000, 3 * MiB);
  const model = Uint8Array.from(h.o.disk);
  assert.ok(model.subarray(1000, 1000 + 3 * MiB).every((b) => b === 0));
  assert.notEqual(model[999], 0);
  await disk.close();
});

for (const ssl of [false, true]) {
  test(`reads issued together a small gap apart go as one request, each caller getting its bytes (${ssl ? 'nbdssl' : 'nbd'})`, async (t) => {
    // 24 KiB fragments, last first: fragments straddle the callers' buffers and the gaps.
    const h = await host(t, 4 * MiB, { fragmentSize: 24 << 10, reverseFragments: true });
    const disk = await NfcDisk.open(options(h, { writable: false, ssl, bufSizeIn64KB: 1, bufCount: 16 }));
    const KiB = 1024;
    // [offset, length]: the first four merge (gaps of 0, 64 KiB = one session buffer, 512 bytes);
    // the fifth is more than a buffer away; the sixth overlaps the fifth; the last is past 1 MiB of span.
    const cases = [[0, 64 * KiB], [64 * KiB, 1000 * 512], [64 * KiB + 1000 * 512 + 64 * KiB, 4 * KiB], [64 * KiB + 1000 * 512 + 68 * KiB + 512, 40 * KiB],
      [MiB + 512 * KiB, 8 * KiB], [MiB + 512 * KiB + 4 * KiB, 8 * KiB], [3 * MiB, 512]];
    const before = h.log.filter((l) => l === 'AIO 7').length;
    const buffers = cases.map(([, length]) => new Uint8Array(length!));
    await Promise.all(cases.map(([offset], i) => disk.read(offset!, buffers[i]!)));
    cases.forEach(([offset, length], i) => {
      assert.ok(Buffer.from(buffers[i]!).equals(Buffer.from(h.o.disk.subarray(offset!, offset! + length!))), `read ${i} at ${offset}+${length}`);
    });
    assert.equal(h.log.filter((l) => l === 'AIO 7').length - before, 4, 'one request for the first four, one each for the rest');
    await disk.close();
  });
}

test('a lone read is cut into pieces in flight together; reads enough to fill the pipeline are not', async (t) => {
  // 1 MiB session buffer and budget (one buffer), as a copy with one read in flight opens it;
  // fragments of 40 KiB, last first, so they straddle the pieces' edges in the callers' buffer.
  const h = await host(t, 8 * MiB, { fragmentSize: 40 << 10, reverseFragments: true });
  const disk = await NfcDisk.open(options(h, { writable: false, bufSizeIn64KB: 16, bufCount: 1 }));
  const requests = () => h.log.filter((l) => l === 'AIO 7').length;
  let before = requests();
  const lone = new Uint8Array(MiB);
  await disk.read(512 * 1024 + 512, lone);
  assert.ok(Buffer.from(lone).equals(Buffer.from(h.o.disk.subarray(512 * 1024 + 512, 512 * 1024 + 512 + MiB))));
  assert.equal(requests() - before, 2, 'one 1 MiB read goes as two requests of 512 KiB');
  before = requests();
  const offsets = [0, 2 * MiB, 4 * MiB, 6 * MiB - 4096];
  const buffers = offsets.map(() => new Uint8Array(256 << 10));
  await Promise.all(offsets.map((o, i) => disk.read(o, buffers[i]!)));
  offsets.forEach((o, i) => assert.ok(Buffer.from(buffers[i]!).equals(Buffer.from(h.o.disk.subarray(o, o + (256 << 10)))), `read at ${o}`));
  assert.equal(requests() - before, 4, 'four reads far apart: one request each');
  await disk.close();
});
