import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xorshift32 } from '../support/xorshift.js';
import { DISK_CAPACITY, MiB, makeNfcWorld, type NfcWorld } from './nfc-server-fixture.js';
import { AuthdClient, TestNfcClient } from './nfc-test-client.js';

// Load: 50 NFC sessions reading one disk at once (a quarter over nbdssl), several requests in
// flight each; every byte checked against the model; memory sampled and printed.

const SESSIONS = 50;

describe('NFC server under load', () => {
  let w: NfcWorld;
  before(async () => { w = await makeNfcWorld(); });
  after(async () => { await w.close(); });

  test(`${SESSIONS} sessions reading at once`, async () => {
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    const started = Date.now();
    let bytes = 0;
    try {
      await Promise.all(Array.from({ length: SESSIONS }, async (_, i) => {
        const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ readOnly: true }), ssl: i % 4 === 0 });
        await c.openSession(i % 2 === 0 ? 65536 : 1 << 20, 4);
        const f = await c.openFile('[ds1] vm1/vm1.vmdk', true);
        const next = xorshift32(100 + i);
        for (let round = 0; round < 3; round++) {
          await Promise.all(Array.from({ length: 4 }, async () => {
            const sectors = 1 + (next() % 2048);
            const start = next() % (DISK_CAPACITY / 512 - sectors);
            const got = await c.read(f.handle, start * 512, sectors * 512);
            assert.ok(got.equals(w.model.subarray(start * 512, (start + sectors) * 512)), `session ${i} read ${start}+${sectors}`);
            bytes += got.length;
          }));
        }
        await c.end();
      }));
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`# ${SESSIONS} NFC sessions: ${(bytes / MiB).toFixed(0)} MiB read in ${seconds.toFixed(1)} s; ` +
      `rss ${(base / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB (client and server in one process)`);
    await w.settled();
    assert.equal(w.files.opens, w.files.closes);
    assert.ok(peak - base < 512 * MiB, `memory grew by ${((peak - base) / MiB).toFixed(0)} MiB`);
  });
});

describe('NFC endpoint limits and close', () => {
  test('past maxConnections a client is told so and closed; close() ends sessions and closes their disks', async () => {
    const w = await makeNfcWorld({ maxConnections: 2 });
    try {
      const a = await TestNfcClient.connect(w.port, { sessionId: w.ticket() });
      await a.openSession();
      const f = await a.openFile('[ds1] vm1/vm1.vmdk', false);
      const b = await AuthdClient.connect(w.port); // holds the second slot in authd
      const third = await AuthdClient.connect(w.port);
      assert.equal(third.banner, '421 Too many connections');
      await third.closed;
      assert.ok(w.logLines.some((l) => /connections already/.test(l)));
      // A read in flight while the endpoint closes: the client sees its connection end.
      const reading = a.read(f.handle, 0, 64 * MiB).then(() => 'read', () => 'closed');
      await w.endpoint.close();
      await Promise.all([a.closed, b.closed]);
      assert.ok(['read', 'closed'].includes(await reading));
      assert.equal(w.endpoint.connectionCount, 0);
      assert.equal(w.files.opens, 1);
      assert.equal(w.files.closes, 1, 'the disk was closed');
    } finally {
      await w.close();
    }
  });
});
