import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyDevice } from '../../src/block/copy.js';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_FILE_READ_ONLY } from '../../src/errors/error-codes.js';
import { NfcDisk, type NfcDiskOptions } from '../../src/nfc/nfc-disk.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { xorshift32 } from '../support/xorshift.js';
import { DISK_CAPACITY, MiB, makeNfcWorld, type NfcWorld } from '../host/nfc-server-fixture.js';

// NfcDisk against the real NFC endpoint of `vixdisk host` (src/host/nfc/), over the world of the
// server's own tests (test/host/nfc-server-fixture.ts): a VMDK with data and holes on a
// datastore folder. Random reads and writes from one sector to 64 MiB, many in flight, on both
// transports, compressed and not, must match a byte model and what our engine then reads from the
// VMDK; block status must agree with the engine's; a copy through copyDevice must be exact.

type Compression = NonNullable<NfcDiskOptions['compression']>;

// One world for the file (making it writes an 80 MiB VMDK); the tests share it and its model in order.
let shared: NfcWorld;
let model: Buffer;
before(async () => {
  shared = await makeNfcWorld();
  model = Buffer.from(shared.model);
});
after(() => shared.close());

function options(w: NfcWorld, o: Partial<NfcDiskOptions> & { readOnlyTicket?: boolean } = {}): NfcDiskOptions {
  const { readOnlyTicket, ...rest } = o;
  return {
    ticket: { host: '127.0.0.1', port: w.port, sessionId: w.ticket({ readOnly: readOnlyTicket ?? !(o.writable ?? true) }), service: 'nfc', sslThumbprint: w.endpoint.thumbprintSha1 },
    path: '[ds1] vm1/vm1.vmdk', writable: true, ssl: false, timeouts: { acceptMs: 20_000, requestMs: 20_000 }, ...rest,
  };
}

function randomBytes(length: number, seed: number): Buffer {
  const next = xorshift32(seed);
  const b = Buffer.allocUnsafe(length + 3);
  for (let i = 0; i < length; i += 4) b.writeUInt32LE(next(), i);
  return b.subarray(0, length);
}

/** The VMDK as our engine reads it now. */
async function engineBytes(w: NfcWorld): Promise<Buffer> {
  const d = await VmdkDisk.open(w.diskPath, { readOnly: true });
  try {
    const b = Buffer.alloc(DISK_CAPACITY);
    await d.read(0, b);
    return b;
  } finally {
    await d.close();
  }
}

const SECTOR = 512;
const LENGTHS = [SECTOR, 7 * SECTOR, 65536, 65536 + SECTOR, 1 * MiB + 3 * SECTOR, 5 * MiB, 64 * MiB];

const variants: Array<{ ssl: boolean; compression: Compression; bufSizeIn64KB: number; bufCount: number }> = [
  { ssl: false, compression: 'none', bufSizeIn64KB: 1, bufCount: 4 },
  { ssl: true, compression: 'none', bufSizeIn64KB: 16, bufCount: 4 },
  { ssl: false, compression: 'zlib', bufSizeIn64KB: 2, bufCount: 8 },
  { ssl: true, compression: 'skipz', bufSizeIn64KB: 32, bufCount: 2 },
  { ssl: false, compression: 'fastlz', bufSizeIn64KB: 1, bufCount: 16 },
];

for (const [i, v] of variants.entries()) {
  test(`random reads and writes, many in flight, match the model and the engine (${v.ssl ? 'nbdssl' : 'nbd'}, ${v.compression}, ${v.bufCount} x ${v.bufSizeIn64KB * 64} KiB)`, async () => {
    const w = shared;
    const disk = await NfcDisk.open(options(w, v));
    assert.equal(disk.capacity, DISK_CAPACITY);
    const next = xorshift32(v.bufSizeIn64KB * 31 + (v.ssl ? 1 : 0));
    if (i === 1) {
      // The largest request of the proof: 64 MiB written and read back in one call each.
      const big = randomBytes(64 * MiB, 99);
      big.copy(model, 8 * MiB);
      await disk.write(8 * MiB, big);
      const back = Buffer.alloc(64 * MiB);
      await disk.read(8 * MiB, back);
      assert.ok(back.equals(big), '64 MiB read back');
    }
    for (let round = 0; round < 2 - Math.min(1, i); round++) {
      // Each round: writes to disjoint places, then reads of anywhere, all in flight together.
      const ops: Array<Promise<void>> = [];
      const lanes = 8;
      for (let lane = 0; lane < lanes; lane++) {
        const laneSize = DISK_CAPACITY / lanes;
        const length = Math.min(LENGTHS[next() % LENGTHS.length]!, laneSize);
        const offset = lane * laneSize + (next() % ((laneSize - length) / SECTOR + 1)) * SECTOR;
        const data = next() % 4 === 0 ? Buffer.alloc(length) : randomBytes(length, next());
        data.copy(model, offset);
        ops.push(disk.write(offset, data));
      }
      await Promise.all(ops);
      const reads = Array.from({ length: 8 }, () => {
        const length = LENGTHS[next() % (LENGTHS.length - 1)]!;
        const offset = (next() % ((DISK_CAPACITY - length) / SECTOR + 1)) * SECTOR;
        return { offset, buffer: Buffer.alloc(length) };
      });
      await Promise.all(reads.map((r) => disk.read(r.offset, r.buffer)));
      for (const r of reads) assert.ok(r.buffer.equals(model.subarray(r.offset, r.offset + r.buffer.length)), `round ${round}: read ${r.offset}+${r.buffer.length}`);
    }
    await disk.flush();
    await disk.close();
  });
}

test('after all of it, our engine reads from the VMDK exactly what the model says', async () => {
  assert.ok((await engineBytes(shared)).equals(model));
});

test('blockStatus over NFC agrees with the engine on what is allocated', async (t) => {
  const w = shared;
  const disk = await NfcDisk.open(options(w, { writable: false }));
  const engine = await VmdkDisk.open(w.diskPath, { readOnly: true });
  t.after(() => engine.close());
  const ours = await disk.blockStatus(0, DISK_CAPACITY);
  const theirs = await engine.blockStatus(0, DISK_CAPACITY);
  const allocatedAt = (extents: typeof ours, at: number) => extents.find((e) => e.offset <= at && at < e.offset + e.length)!.allocated;
  for (let at = 0; at < DISK_CAPACITY; at += 65536) assert.equal(allocatedAt(ours, at), allocatedAt(theirs, at), `chunk at ${at}`);
  // Every byte NFC reports as a hole reads as zeros.
  for (const e of ours.filter((x) => !x.allocated)) assert.ok(model.subarray(e.offset, e.offset + e.length).every((b) => b === 0));
  await disk.close();
});

test('copyDevice from NFC into a raw file reproduces the disk', async () => {
  const w = shared;
  const disk = await NfcDisk.open(options(w, { writable: false, ssl: true, compression: 'skipz', bufSizeIn64KB: 16 }));
  const out = `${w.dir}/copy.raw`;
  const dst = await RawFileDevice.create(out, DISK_CAPACITY);
  await copyDevice(disk, dst, { destinationIsZero: true });
  await dst.close();
  await disk.close();
  const { readFile } = await import('node:fs/promises');
  assert.ok((await readFile(out)).equals(model));
});

test('the host\'s refusals come back as VDDK reports them', async () => {
  const w = shared;
  await assert.rejects(NfcDisk.open(options(w, { writable: true, readOnlyTicket: true })), (e: VixError) => e.code === VIX_E_FILE_READ_ONLY);
  const o = options(w, { writable: false });
  const first = await NfcDisk.open(o);
  await first.close();
  // The ticket was used once: authd refuses it now.
  await assert.rejects(NfcDisk.open(o), (e: VixError) => e.code === VIX_E_AUTHENTICATION_FAIL && !e.message.includes(o.ticket.sessionId));
  assert.ok(w.logLines.every((l) => !l.includes(o.ticket.sessionId)));
  // DDB values come from the descriptor.
  const d = await NfcDisk.open(options(w, { writable: false }));
  assert.equal(await d.ddb('adapterType'), 'lsilogic');
  await d.close();
});

test('50 NFC sessions reading at once all get the right bytes (memory printed)', async () => {
  const w = shared;
  const before = process.memoryUsage().rss;
  const disks = await Promise.all(Array.from({ length: 50 }, (_, i) => NfcDisk.open(options(w, { writable: false, ssl: i % 2 === 1 }))));
  const next = xorshift32(50);
  await Promise.all(disks.map(async (disk) => {
    for (let k = 0; k < 2; k++) {
      const offset = (next() % ((DISK_CAPACITY - MiB) / SECTOR)) * SECTOR;
      const b = Buffer.alloc(MiB);
      await disk.read(offset, b);
      assert.ok(b.equals(model.subarray(offset, offset + MiB)), `read at ${offset}`);
    }
  }));
  const peak = process.memoryUsage().rss;
  await Promise.all(disks.map((d) => d.close()));
  console.log(`50 sessions x 2 MiB read: RSS ${Math.round(before / MiB)} -> ${Math.round(peak / MiB)} MiB (client and host in one process)`);
  assert.equal(w.endpoint.connectionCount <= 50, true);
});
