import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPRESSION_NONE, COMPRESSION_SKIPZ, COMPRESSION_ZLIB, isChunkAllocated } from '../../src/nfc/aio-message.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { xorshift32 } from '../support/xorshift.js';
import { DISK_CAPACITY, MiB, makeNfcWorld, type NfcWorld } from './nfc-server-fixture.js';
import { TestNfcClient } from './nfc-test-client.js';

// The whole NFC dialogue against the host's endpoint, over both transports (nbd: NFC in clear
// after authd; nbdssl: a second TLS session), with a test client over the codec: reads and writes
// at random offsets and lengths checked against a byte model and against what our engine reads
// from the datastore folder afterwards; DDB; allocated blocks against the engine's block status;
// compression both ways.

const PATH = '[ds1] vm1/vm1.vmdk';

describe('NFC server: the whole dialogue', () => {
  let w: NfcWorld;
  before(async () => { w = await makeNfcWorld(); });
  after(async () => { await w.close(); });

  for (const ssl of [false, true]) {
    test(`random reads and writes over ${ssl ? 'nbdssl' : 'nbd'} match the model and the engine`, async () => {
      const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket(), ssl });
      await c.openSession(ssl ? 2 * MiB : 65536, 4);
      const f = await c.openFile(PATH, false);
      assert.equal(f.capacityBytes, DISK_CAPACITY);
      assert.equal(f.sectorSize, 512);
      assert.deepEqual([f.heads, f.sectorsPerTrack], [255, 63]);
      assert.notEqual(f.handle, 0n);
      assert.equal(await c.ddbGet(f.handle, 'adapterType'), 'lsilogic');
      assert.equal(await c.ddbGet(f.handle, 'geometry.cylinders'), String(f.cylinders));
      assert.equal(await c.ddbGet(f.handle, 'no.such.key'), undefined);

      const next = xorshift32(ssl ? 11 : 5);
      const sectors = DISK_CAPACITY / 512;
      // A 64 MiB read, then batches of concurrent random reads and writes (1 sector to 3 MiB).
      const big = await c.read(f.handle, 8 * MiB, 64 * MiB);
      assert.ok(big.equals(w.model.subarray(8 * MiB, 72 * MiB)), '64 MiB read');
      for (let round = 0; round < 6; round++) {
        const ops: Array<Promise<void>> = [];
        const writes: Array<[number, Buffer]> = [];
        for (let i = 0; i < 6; i++) {
          const len = 1 + (next() % (i === 0 ? 6144 : 64));
          const start = next() % (sectors - len);
          const data = Buffer.alloc(len * 512);
          for (let j = 0; j < data.length; j += 4) data.writeUInt32LE(next(), j);
          if (i % 3 === 0) data.fill(0, 0, data.length >>> 1); // half zeros: SkipZ and zlib have work
          writes.push([start * 512, data]);
        }
        // Writes first (each answered once), then reads of random places in flight together.
        const compressions = [COMPRESSION_NONE, COMPRESSION_ZLIB, COMPRESSION_SKIPZ];
        await Promise.all(writes.map(([at, data], i) => c.write(f.handle, at, data, compressions[i % 3]!).then(() => {
          data.copy(w.model, at);
        })));
        for (let i = 0; i < 8; i++) {
          const len = 1 + (next() % 2048);
          const start = next() % (sectors - len);
          const compression = compressions[i % 3]!;
          ops.push(c.read(f.handle, start * 512, len * 512, compression).then((got) => {
            assert.ok(got.equals(w.model.subarray(start * 512, (start + len) * 512)), `read ${start}+${len} (compression ${compression})`);
          }));
        }
        await Promise.all(ops);
      }
      await c.closeFile(f.handle);
      await c.end();
      // What the engine reads from the datastore is what NFC wrote.
      const disk = await VmdkDisk.open(w.diskPath, { readOnly: true });
      try {
        const all = Buffer.alloc(DISK_CAPACITY);
        await disk.read(0, all);
        assert.ok(all.equals(w.model), 'the engine reads the model');
      } finally {
        await disk.close();
      }
      await w.settled();
      assert.equal(w.files.opens, w.files.closes, 'every opened disk was closed');
    });
  }

  test('compressed reads come compressed where it helps; zero fragments are tiny in SkipZ', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket() });
    await c.openSession();
    const f = await c.openFile(PATH, false);
    // Zeros written as SkipZ (each fragment a header and no run), then read back.
    await c.write(f.handle, 30 * MiB, Buffer.alloc(4 * MiB), COMPRESSION_SKIPZ);
    w.model.fill(0, 30 * MiB, 34 * MiB);
    const zeros = await c.read(f.handle, 30 * MiB, 4 * MiB, COMPRESSION_SKIPZ) as Buffer & { compressions: Set<number> };
    assert.ok(zeros.equals(w.model.subarray(30 * MiB, 34 * MiB)));
    assert.deepEqual([...zeros.compressions], [COMPRESSION_SKIPZ]);
    const z = await c.read(f.handle, 30 * MiB, 1 * MiB, COMPRESSION_ZLIB) as Buffer & { compressions: Set<number> };
    assert.deepEqual([...z.compressions], [COMPRESSION_ZLIB]);
    // Random data does not compress: the host sends it uncompressed (type 0), as §4.6 allows.
    const noise = Buffer.alloc(MiB);
    const next = xorshift32(99);
    for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE(next(), i);
    await c.write(f.handle, 4 * MiB, noise, COMPRESSION_ZLIB);
    noise.copy(w.model, 4 * MiB);
    const r = await c.read(f.handle, 4 * MiB, 1 * MiB, COMPRESSION_ZLIB) as Buffer & { compressions: Set<number> };
    assert.ok(r.equals(noise));
    assert.deepEqual([...r.compressions], [COMPRESSION_NONE]);
    await c.end();
  });

  test('FastLZ write fragments (levels 1 and 2) are decoded; reads asked in FastLZ come in FastLZ where it helps', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ diskDeviceKey: 2001 }) });
    await c.openSession();
    const f = await c.openFile('[ds1] vm1/vm1_1.vmdk', false);
    // Blocks written from FastLZ's format (§4.6): a literal run, then matches.
    //   level 1: 'abcd', then 8 bytes from 4 back (ctrl 0xC0, distance byte 3), then 500 zeros as
    //   a literal zero and a long match (ctrl 0xE0 = length 7: one more length byte).
    const level1 = Buffer.from([0x03, 0x61, 0x62, 0x63, 0x64, 0xc0, 0x03]);
    const expected1 = Buffer.from('abcdabcdabcd');
    //   level 2 (bit 5 of the first byte): 'z' then 300 more from 1 back, the length in bytes 255, 36.
    const level2 = Buffer.from([0x20, 0x7a, 0xe0, 0xff, 0x24, 0x00]);
    const expected2 = Buffer.alloc(301, 0x7a);
    const sector = (b: Buffer) => Buffer.concat([b, Buffer.alloc(512 - b.length)]);
    // Each becomes one sector: the block, then zeros as a literal and a level-1 long match.
    // (a level-1 match is at most 264 bytes: 499 zeros take two)
    const pad1 = Buffer.from([0x00, 0x00, 0xe0, 240, 0x00, 0xe0, 241, 0x00]);
    await c.writeRaw(f.handle, 0, 512, 0, 512, 2, Buffer.concat([level1, pad1]));
    const pad2 = Buffer.from([0x00, 0x00, 0xe0, 512 - 301 - 1 - 9, 0x00]);
    await c.writeRaw(f.handle, 512, 512, 0, 512, 2, Buffer.concat([level2, pad2]));
    const got = await c.read(f.handle, 0, 1024, 2) as Buffer & { compressions: Set<number> };
    assert.ok(got.subarray(0, 512).equals(sector(expected1)), 'level 1');
    assert.ok(got.subarray(512).equals(sector(expected2)), 'level 2');
    assert.deepEqual([...got.compressions], [2], 'sectors of repeats and zeros compress');
    await c.end();
  });

  test('allocated blocks agree with the engine\'s block status', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ readOnly: true }) });
    await c.openSession();
    const f = await c.openFile(PATH, true);
    const chunk = 64 * 1024;
    const count = DISK_CAPACITY / chunk;
    const bitmap = await c.queryAllocated(f.handle, chunk, 0, count);
    assert.equal(bitmap.length, Math.ceil(Math.ceil(count / 8) / 4) * 4);
    const disk = await VmdkDisk.open(w.diskPath, { readOnly: true });
    const expected = new Array<boolean>(count).fill(false);
    try {
      for (const e of await disk.blockStatus(0, DISK_CAPACITY)) {
        if (!e.allocated) continue;
        for (let i = Math.floor(e.offset / chunk); i * chunk < e.offset + e.length; i++) expected[i] = true;
      }
    } finally {
      await disk.close();
    }
    const got = Array.from({ length: count }, (_, i) => isChunkAllocated(bitmap, i));
    assert.deepEqual(got, expected);
    assert.ok(got.includes(true) && got.includes(false), 'the disk has both data and holes');
    // A sub-range at an aligned start, and an unaligned one refused as a request error.
    const part = await c.queryAllocated(f.handle, chunk, 16 * chunk, 32);
    assert.deepEqual(Array.from({ length: 32 }, (_, i) => isChunkAllocated(part, i)), expected.slice(16, 48));
    await assert.rejects(c.queryAllocated(f.handle, chunk, 512, 4), /AIO ERROR/);
    await assert.rejects(c.queryAllocated(f.handle, chunk, DISK_CAPACITY, 1), /AIO ERROR 16007/);
    // The session is still good.
    assert.equal((await c.read(f.handle, 0, 512)).length, 512);
    await c.end();
  });
});
