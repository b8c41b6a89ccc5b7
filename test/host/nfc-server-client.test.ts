import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VIX_E_FILE_READ_ONLY } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { NfcDisk, type NfcDiskOptions } from '../../src/nfc/nfc-disk.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { xorshift32 } from '../support/xorshift.js';
import { DISK_CAPACITY, MiB, makeNfcWorld, type NfcWorld } from './nfc-server-fixture.js';

// The host's NFC endpoint against the project's NFC client device (src/nfc/nfc-disk.ts): both
// transports and every compression, random unaligned reads and writes with many in flight
// checked against a byte model and against the engine, block status against the engine's, and a
// write through a read-only ticket refused with VIX_E_FILE_READ_ONLY.

const PATH = '[ds1] vm1/vm1.vmdk';

describe('NFC server with the NfcDisk client', () => {
  let w: NfcWorld;
  before(async () => { w = await makeNfcWorld(); });
  after(async () => { await w.close(); });

  const open = (over: Partial<NfcDiskOptions> & { readOnly?: boolean } = {}) => NfcDisk.open({
    ticket: { host: '127.0.0.1', port: w.port, sessionId: w.ticket({ readOnly: over.readOnly ?? false }), service: 'nfc', sslThumbprint: w.endpoint.thumbprintSha1 },
    path: PATH, writable: !(over.readOnly ?? false), ssl: false, ...over,
  });

  const variants: Array<[boolean, NonNullable<NfcDiskOptions['compression']>, number]> = [
    [false, 'none', 1], [true, 'none', 32], [false, 'zlib', 1], [true, 'skipz', 4], [false, 'fastlz', 2],
  ];
  for (const [ssl, compression, bufSizeIn64KB] of variants) {
    test(`${ssl ? 'nbdssl' : 'nbd'}, ${compression}, ${bufSizeIn64KB * 64} KiB buffers: random IO matches the model`, async () => {
      const disk = await open({ ssl, compression, bufSizeIn64KB });
      try {
        assert.equal(disk.capacity, DISK_CAPACITY);
        const next = xorshift32(1000 + bufSizeIn64KB + (ssl ? 7 : 0) + compression.length);
        for (let round = 0; round < 3; round++) {
          const writes = Array.from({ length: 4 }, (_, i) => {
            const length = 1 + (next() % (i === 0 ? 3 * MiB : 70_000));
            const offset = next() % (DISK_CAPACITY - length);
            const data = Buffer.alloc(length);
            for (let j = 0; j + 4 <= length; j += 4) data.writeUInt32LE(i % 2 ? next() : next() & 0x0f0f0000, j);
            return { offset, data };
          });
          // Sequential writes (overlaps resolve in order), then reads in flight together.
          for (const { offset, data } of writes) {
            await disk.write(offset, data);
            data.copy(w.model, offset);
          }
          await Promise.all(Array.from({ length: 8 }, async () => {
            const length = 1 + (next() % (2 * MiB));
            const offset = next() % (DISK_CAPACITY - length);
            const got = Buffer.alloc(length);
            await disk.read(offset, got);
            assert.ok(got.equals(w.model.subarray(offset, offset + length)), `read ${offset}+${length}`);
          }));
        }
        await disk.flush();
      } finally {
        await disk.close();
      }
    });
  }

  test('the engine reads what NFC wrote; block status agrees with the engine\'s', async () => {
    await w.settled();
    const local = await VmdkDisk.open(w.diskPath, { readOnly: true });
    const disk = await open({ readOnly: true });
    try {
      const all = Buffer.alloc(DISK_CAPACITY);
      await local.read(0, all);
      assert.ok(all.equals(w.model), 'the engine reads the model');
      const chunk = 65536;
      const allocated = (extents: Array<{ offset: number; length: number; allocated: boolean }>) => {
        const bits = new Array<boolean>(DISK_CAPACITY / chunk).fill(false);
        for (const e of extents) if (e.allocated) for (let i = Math.floor(e.offset / chunk); i * chunk < e.offset + e.length; i++) bits[i] = true;
        return bits;
      };
      assert.deepEqual(allocated(await disk.blockStatus(0, DISK_CAPACITY)), allocated(await local.blockStatus(0, DISK_CAPACITY)));
    } finally {
      await disk.close();
      await local.close();
    }
  });

  test('a read-only ticket opened for writing fails with VIX_E_FILE_READ_ONLY', async () => {
    const sessionId = w.ticket({ readOnly: true });
    const err = await NfcDisk.open({
      ticket: { host: '127.0.0.1', port: w.port, sessionId, service: 'nfc', sslThumbprint: w.endpoint.thumbprintSha1 },
      path: PATH, writable: true, ssl: true,
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof VixError, String(err));
    assert.equal(err.code, VIX_E_FILE_READ_ONLY);
  });
});
