import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NbdClient } from '../../src/nbd/client.js';
import * as P from '../../src/nbd/protocol.js';
import { NbdServer, type NbdServerOptions } from '../../src/nbd/server.js';
import { requirePeer, runOk } from '../interop/peers.js';
import { startServe } from '../support/serve-process.js';
import { runVixdisk } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';
import { makeRawDisk, MiB, openRaw, RawPeer, withTimeout } from './nbd-support.js';

// The server's bounds under load (issue 9, part 4): idle clients cannot lock new ones out, and
// the payload bytes held across all connections stay bounded however many clients pipeline.

const SERVER_CHILD = fileURLToPath(new URL('../support/nbd-server-child.js', import.meta.url));

/** A server on a 4 MiB raw image of mixed data, in this process; its log lines are kept. */
async function startServer(t: { after: (fn: () => Promise<void>) => void }, options: Omit<NbdServerOptions, 'exports'>) {
  const dir = await tempDir(t, 'vixdisk-server-limits-');
  const { path, data } = await makeRawDisk(dir, 'disk.raw', 4 * MiB);
  const device = await openRaw(path, true);
  const log: string[] = [];
  const server = await new NbdServer({ ...options, exports: [{ name: '', device }], port: 0, log: (l) => log.push(l) }).listen();
  t.after(async () => {
    await server.close();
    await device.close();
  });
  return { server, data, log };
}

/** `n` clients that finish the handshake (GO) and then send nothing. */
async function idleClients(t: { after: (fn: () => void) => void }, port: number, n: number): Promise<RawPeer[]> {
  const peers: RawPeer[] = [];
  t.after(() => peers.forEach((p) => p.destroy()));
  // One after the other, so the first is the one idle longest.
  for (let i = 0; i < n; i++) {
    const peer = await RawPeer.connect({ port });
    peers.push(peer);
    await peer.go('');
  }
  return peers;
}

/** A new client reads the whole export through our client and maps it with nbdinfo. */
async function assertServed(t: Parameters<typeof requirePeer>[0], uri: string, data: Buffer): Promise<void> {
  const client = await NbdClient.connect(uri);
  try {
    const got = Buffer.alloc(data.length);
    await client.read(0, got);
    assert.ok(got.equals(data), 'the new client reads the export');
  } finally {
    await client.close();
  }
  if (await requirePeer(t, 'nbdinfo')) {
    const size = (await runOk('nbdinfo', ['--size', uri])).stdout.trim();
    assert.equal(size, String(data.length), 'nbdinfo is served too');
  }
}

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

test('100 clients finish the handshake and sit idle: with the default limit a new client is still served, in place of the one idle longest', async (t) => {
  const { server, data, log } = await startServer(t, {});
  const peers = await idleClients(t, server.port!, 100);
  assert.equal(server.connectionCount, 100);
  await assertServed(t, server.uri(), data);
  assert.ok(await peers[0]!.closesWithin(10_000), 'the client idle longest made room');
  assert.ok(!peers[99]!.isClosed, 'the client idle shortest is still connected');
  assert.ok(server.connectionCount <= 100, `${server.connectionCount} connections`);
  assert.ok(log.some((l) => /closed for a new client/.test(l)), log.join('\n'));
});

test('idleTimeoutMs: 100 idle clients are closed once idle that long, and a new client is served', async (t) => {
  const { server, data } = await startServer(t, { idleTimeoutMs: 200 });
  const peers = await idleClients(t, server.port!, 100);
  // Waiting for the closes (event-driven, with a generous cap), not timing them.
  await withTimeout(Promise.all(peers.map((p) => p.closed)), 60_000, 'idle clients to be closed');
  await withTimeout((async () => { while (server.connectionCount > 0) await new Promise((r) => setTimeout(r, 20)); })(), 10_000, 'the connections to end');
  await assertServed(t, server.uri(), data);
});

test('vixdisk serve --max-connections 2 (two read-only workers): two idle clients, a third is served in place of one', async (t) => {
  const dir = await tempDir(t, 'vixdisk-server-limits-');
  const { path, data } = await makeRawDisk(dir, 'disk.raw', 4 * MiB);
  const serve = await startServe(t, ['--port', '0', '--read-only', '--workers', '2', '--max-connections', '2', path]);
  const peers = await idleClients(t, serve.port!, 2);
  await assertServed(t, serve.uri, data);
  await withTimeout(Promise.race(peers.map((p) => p.closed)), 10_000, 'an idle client to make room');
  assert.equal(await serve.stop(), 0);
});

test('vixdisk serve --idle-timeout 0.2: an idle client is closed; a bad value is refused in one line', async (t) => {
  const dir = await tempDir(t, 'vixdisk-server-limits-');
  const { path, data } = await makeRawDisk(dir, 'disk.raw', 4 * MiB);
  const serve = await startServe(t, ['--port', '0', '--idle-timeout', '0.2', path]);
  const [peer] = await idleClients(t, serve.port!, 1);
  await withTimeout(peer!.closed, 30_000, 'the idle client to be closed');
  await assertServed(t, serve.uri, data);
  assert.equal(await serve.stop(), 0);
  const bad = await runVixdisk(['serve', '--idle-timeout', 'soon', path], { timeoutMs: 30_000 });
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--idle-timeout "soon"/);
});

test('idleTimeoutMs: a client that stops reading its replies counts as idle and is closed; others are served', async (t) => {
  const { server, data } = await startServer(t, { idleTimeoutMs: 200 });
  const [peer] = await idleClients(t, server.port!, 1);
  peer!.reader.detach(); // reads nothing more: the replies pile up in the server
  for (let i = 0; i < 200; i++) {
    peer!.request(P.CMD_READ, { cookie: BigInt(i + 1), offset: 0n, length: BigInt(MiB) });
  }
  // The client reads nothing, so it cannot see the close: the server's count shows it.
  await withTimeout((async () => { while (server.connectionCount > 0) await new Promise((r) => setTimeout(r, 20)); })(), 60_000,
    'the client that reads nothing to be closed');
  await assertServed(t, server.uri(), data);
});
