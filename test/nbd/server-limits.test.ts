import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as P from '../../src/nbd/protocol.js';
import { tempDir } from '../support/temp-dir.js';
import { MiB, RawPeer } from './nbd-support.js';

// The server's bounds under load (issue 9, part 4): idle clients cannot lock new ones out, and
// the payload bytes held across all connections stay bounded however many clients pipeline.

const SERVER_CHILD = fileURLToPath(new URL('../support/nbd-server-child.js', import.meta.url));

/** An NBD server in a child process; `stats()` asks it for its peak RSS and connection count. */
async function startServerChild(raw: string, options: object) {
  const child = spawn(process.execPath, [SERVER_CHILD, raw, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const queue: Array<(o: Record<string, number>) => void> = [];
  lines.on('line', (l) => queue.shift()?.(JSON.parse(l) as Record<string, number>));
  const next = () => new Promise<Record<string, number>>((r) => queue.push(r));
  const first = await next();
  return {
    port: first.port!,
    startRssMiB: first.rssMiB!,
    stats: () => {
      const p = next();
      child.stdin.write('stats\n');
      return p;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.stdin.end();
        await exited;
      }
      return stderr;
    },
  };
}

test('20 connections x 4 pipelined 32 MiB writes, replies unread: the server holds bounded memory, and every write lands', async (t) => {
  const dir = await tempDir(t, 'vixdisk-server-limits-');
  const raw = join(dir, 'disk.raw');
  await writeFile(raw, '');
  await truncate(raw, 4 * 32 * MiB);
  const server = await startServerChild(raw, {});
  t.after(() => server.stop());
  // Write k of every connection carries payloads[k] to region k: whichever lands last, region k holds it.
  const payloads = [1, 2, 3, 4].map((k) => Buffer.alloc(32 * MiB, k));
  const peers = await Promise.all(Array.from({ length: 20 }, async () => {
    const peer = await RawPeer.connect({ port: server.port });
    await peer.go('');
    return peer;
  }));
  t.after(() => peers.forEach((p) => p.destroy()));
  // Everything is sent before any reply is read: the server must hold the bytes back, not buffer them.
  const sent = peers.map((peer) => Promise.all(payloads.map((data, k) => new Promise<void>((resolve) => {
    peer.socket.write(P.encodeRequest({ flags: 0, type: P.CMD_WRITE, cookie: BigInt(k + 1), offset: BigInt(k * 32 * MiB), length: BigInt(data.length) }, false));
    peer.socket.write(data, () => resolve());
  }))));
  for (const peer of peers) {
    const cookies = [];
    for (let k = 0; k < 4; k++) {
      // 2.5 GiB cross loopback here: a generous wait, not a timing assertion.
      const r = P.decodeSimpleReply(await peer.read(16, 120_000));
      assert.equal(r.error, 0);
      cookies.push(Number(r.cookie));
    }
    assert.deepEqual(cookies.sort(), [1, 2, 3, 4]);
  }
  await Promise.all(sent);
  const { maxRssMiB } = await server.stats();
  for (const p of peers) p.destroy();
  assert.equal(await server.stop(), '', 'nothing on the server\'s stderr');
  const image = await readFile(raw);
  for (let k = 0; k < 4; k++) {
    assert.equal(createHash('sha256').update(image.subarray(k * 32 * MiB, (k + 1) * 32 * MiB)).digest('hex'),
      createHash('sha256').update(payloads[k]!).digest('hex'), `region ${k}`);
  }
  const grew = maxRssMiB - server.startRssMiB;
  t.diagnostic(`server peak RSS ${maxRssMiB.toFixed(0)} MiB (+${grew.toFixed(0)} MiB over ${server.startRssMiB.toFixed(0)} at start)`);
  assert.ok(grew < 512, `the server grew by ${grew.toFixed(0)} MiB; bound 512 MiB`);
});
