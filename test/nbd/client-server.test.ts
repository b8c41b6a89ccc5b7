import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { allocationMap } from '../../src/block/allocation-map.js';
import { copyDevice } from '../../src/block/copy.js';
import { createDevice, openDevice } from '../../src/device/open-device.js';
import { VixError } from '../../src/errors/vix-error.js';
import { serveCommand } from '../../src/cli/serve.js';
import { NbdClient } from '../../src/nbd/client.js';
import { NbdServer } from '../../src/nbd/server.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { assertDeviceContents, firstDifference, makeTempDir, onPath, removeTempDir, requirePeer, runOk } from '../interop/peers.js';
import { freePort, makeCertificates, makeRawDisk, MiB, openRaw } from './nbd-support.js';

// Our client with our server: extended headers (the Debian peers predate them), the fallbacks
// below them, multi-conn, TLS with CA, folder and thumbprint pinning, errors as VIX codes, NBD URIs
// wherever vixdisk takes a disk (openDevice), and `serve` started and stopped as a command.

const SIZE = 12 * MiB;
const is = (code: number) => (e: unknown) => e instanceof VixError && e.code === code;

describe('NBD client with the vixdisk NBD server', () => {
  let dir: string;
  let src: { path: string; data: Buffer };
  let vmdkPath: string;

  before(async () => {
    dir = await makeTempDir('nbd-ours');
    src = await makeRawDisk(dir, 'src.raw', SIZE, 21);
    vmdkPath = join(dir, 'src.vmdk');
    if (await onPath('qemu-img')) await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', src.path, vmdkPath]);
  });

  after(() => removeTempDir(dir));

  test('extended headers, structured replies only, and simple replies only: same bytes, same map', async (t) => {
    if (!await requirePeer(t, 'qemu-img')) return;
    const vmdk = await VmdkDisk.open(vmdkPath, { readOnly: true });
    const rwPath = join(dir, 'rw.raw');
    await writeFile(rwPath, src.data);
    const rw = await openRaw(rwPath);
    const full = await new NbdServer({ exports: [{ name: 'v', device: vmdk }, { name: 'w', device: rw }], port: 0 }).listen();
    const old = await new NbdServer({ exports: [{ name: 'v', device: vmdk }], port: 0, structuredReplies: false }).listen();
    const expected = await allocationMap(vmdk);
    try {
      const variants: Array<[string, NbdServer, object, { extended: boolean; structured: boolean }]> = [
        ['extended', full, {}, { extended: true, structured: true }],
        ['structured', full, { extendedHeaders: false }, { extended: false, structured: true }],
        ['simple', old, {}, { extended: false, structured: false }],
      ];
      for (const [name, server, options, want] of variants) {
        const c = await NbdClient.connect(server.uri('v'), options);
        try {
          assert.equal(c.negotiated.extended, want.extended, name);
          assert.equal(c.negotiated.structured, want.structured, name);
          await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, name, 5 * MiB + 512);
          const map = await allocationMap(c);
          if (want.structured) assert.deepEqual(map, expected, `${name}: block status is the VMDK's allocation map`);
          else assert.deepEqual(map, [{ offset: 0, length: SIZE, allocated: true, zero: false }]);
        } finally {
          await c.close();
        }
      }
      // Writes under extended headers: payload-length requests, WRITE_ZEROES, FLUSH.
      const w = await NbdClient.connect(full.uri('w'), { requestSize: 64 << 10 });
      try {
        assert.equal(w.negotiated.extended, true);
        const data = Buffer.alloc(3 * MiB + 77, 0x3c);
        await w.write(100, data);
        await w.zero(6 * MiB, 3 * MiB);
        await w.flush();
        const statusOfZeroed = await w.blockStatus(6 * MiB, 3 * MiB);
        assert.equal(statusOfZeroed.reduce((s, e) => s + e.length, 0), 3 * MiB);
      } finally {
        await w.close();
      }
      const want = Buffer.from(src.data);
      want.fill(0x3c, 100, 100 + 3 * MiB + 77);
      want.fill(0, 6 * MiB, 9 * MiB);
      assert.equal(firstDifference(await readFile(rwPath), want), -1);
    } finally {
      await full.close();
      await old.close();
      await vmdk.close();
      await rw.close();
    }
  });

  test('multi-conn: several connections share the work; flush on one covers all', async () => {
    const rwPath = join(dir, 'multi.raw');
    await writeFile(rwPath, Buffer.alloc(SIZE));
    const rw = await openRaw(rwPath);
    const server = await new NbdServer({ exports: [{ name: '', device: rw }], socket: join(dir, 'multi.sock') }).listen();
    try {
      const c = await NbdClient.connect(server.uri(), { connections: 4 });
      assert.equal(c.connectionCount, 4);
      assert.equal(server.connectionCount, 4);
      await Promise.all(Array.from({ length: 12 }, (_, i) => c.write(i * MiB, src.data.subarray(i * MiB, (i + 1) * MiB))));
      await c.flush();
      const back = Buffer.alloc(SIZE);
      await c.read(0, back);
      assert.equal(firstDifference(back, src.data), -1);
      await c.close();
      assert.equal(firstDifference(await readFile(rwPath), src.data), -1);
    } finally {
      await server.close();
      await rw.close();
    }
  });

  test('multi-conn on demand: a client keeping many reads in flight opens more connections; one told 1 does not', async () => {
    const dev = await openRaw(src.path, true);
    const server = await new NbdServer({ exports: [{ name: '', device: dev }], socket: join(dir, 'grow.sock') }).listen();
    const want = Math.min(4, availableParallelism());
    const batch = (c: NbdClient) => Promise.all(Array.from({ length: 32 }, async (_, i) => {
      const b = Buffer.alloc(64 << 10);
      await c.read(i * b.length, b);
      assert.equal(firstDifference(b, src.data.subarray(i * b.length, (i + 1) * b.length)), -1);
    }));
    try {
      const c = await NbdClient.connect(server.uri());
      assert.equal(c.connectionCount, 1, 'one connection until there is work for more');
      for (let round = 0; round < 1000 && c.connectionCount < want; round++) await batch(c);
      assert.equal(c.connectionCount, want);
      assert.equal(server.connectionCount, want);
      await batch(c);
      await c.close();
      const one = await NbdClient.connect(server.uri(), { connections: 1 });
      for (let round = 0; round < 20; round++) await batch(one);
      assert.equal(one.connectionCount, 1);
      // Closing while more connections are still being opened abandons them.
      const busy = await NbdClient.connect(server.uri());
      const reads = batch(busy);
      await busy.close();
      await reads;
    } finally {
      await server.close();
      await dev.close();
    }
  });

  test('TLS between our client and server: folder, CA file, thumbprints; wrong pins and missing TLS refused', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    const pki = join(dir, 'pki');
    await mkdir(pki);
    const certs = await makeCertificates(pki);
    const dev = await openRaw(src.path, true);
    const tls = { cert: await readFile(join(pki, 'server-cert.pem')), key: await readFile(join(pki, 'server-key.pem')) };
    const forced = await new NbdServer({ exports: [{ name: 'd', device: dev }], port: 0, tls: { ...tls, require: true } }).listen();
    const plain = await new NbdServer({ exports: [{ name: 'd', device: dev }], port: 0 }).listen();
    const base = `nbds://localhost:${forced.port}/d`;
    try {
      for (const uri of [`${base}?tls-certificates=${pki}`, `${base}?x-tls-ca-file=${pki}/ca-cert.pem`,
        `nbds://127.0.0.1:${forced.port}/d?x-tls-ca-file=${pki}/ca-cert.pem`,
        `${base}?x-tls-thumbprint=${certs.thumbprintSha256}`, `${base}?x-tls-thumbprint=${certs.thumbprintSha1}`]) {
        const c = await NbdClient.connect(uri);
        try {
          assert.equal(c.negotiated.tls, true);
          assert.equal(c.negotiated.extended, true, 'extended headers are negotiated after STARTTLS');
          await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, uri, 3 * MiB);
        } finally {
          await c.close();
        }
      }
      await assert.rejects(NbdClient.connect(`${base}?x-tls-thumbprint=${'ab'.repeat(20)}`), is(1));
      await assert.rejects(NbdClient.connect(base), is(14006), 'the system CA store does not know our test CA');
      await assert.rejects(NbdClient.connect(`nbds://wronghost.invalid:${forced.port}/d?tls-certificates=${pki}&tls-hostname=other.example`), (e: unknown) => e instanceof VixError);
      await assert.rejects(NbdClient.connect(`nbd://127.0.0.1:${forced.port}/d`), is(14006));
      await assert.rejects(NbdClient.connect(`nbds://localhost:${plain.port}/d?tls-certificates=${pki}`), is(14006));
    } finally {
      await forced.close();
      await plain.close();
      await dev.close();
    }
  });

  test('errors come back as VIX codes; the connection survives request errors', async () => {
    const dev = await openRaw(src.path, true);
    const server = await new NbdServer({ exports: [{ name: 'd', device: dev }], port: 0 }).listen();
    try {
      await assert.rejects(NbdClient.connect(`nbd://127.0.0.1:${server.port}/missing`), is(4));
      await assert.rejects(NbdClient.connect(`nbd://127.0.0.1:${await freePort()}/d`), is(14009));
      await assert.rejects(NbdClient.connect(`nbd+unix:///d?socket=${join(dir, 'none.sock')}`), is(14009));
      const c = await NbdClient.connect(`nbd://127.0.0.1:${server.port}/d`);
      await assert.rejects(c.read(SIZE - 10, Buffer.alloc(20)), is(16007));
      await assert.rejects(c.write(0, Buffer.alloc(10)), is(11));
      const ok = Buffer.alloc(4096);
      await c.read(0, ok);
      assert.equal(firstDifference(ok, src.data.subarray(0, 4096)), -1);
      await c.close();
      await assert.rejects(c.read(0, ok), is(3));
      // The server going away fails requests with "connection lost".
      const d = await NbdClient.connect(`nbd://127.0.0.1:${server.port}/d`);
      await server.close();
      await assert.rejects(d.read(0, ok), (e: unknown) => e instanceof VixError && (e.code === 14011 || e.code === 14014));
      await d.close();
    } finally {
      await server.close();
      await dev.close();
    }
  });

  test('NBD URIs wherever vixdisk takes a disk: openDevice, copy to a VMDK and back into an export', async (t) => {
    if (!await requirePeer(t, 'qemu-img')) return;
    const vmdk = await VmdkDisk.open(vmdkPath, { readOnly: true });
    const targetPath = join(dir, 'into.raw');
    await writeFile(targetPath, Buffer.alloc(SIZE));
    const target = await openRaw(targetPath);
    const server = await new NbdServer({ exports: [{ name: 'src', device: vmdk }, { name: 'dst', device: target }], port: 0 }).listen();
    try {
      const source = await openDevice(server.uri('src'), { readOnly: true });
      assert.ok(source instanceof NbdClient);
      const out = join(dir, 'copy.vmdk');
      const dst = await createDevice(out, { capacity: source.capacity, type: 'streamOptimized' } as Parameters<typeof createDevice>[1]);
      const r = await copyDevice(source, dst, { destinationIsZero: true });
      await dst.close();
      await source.close();
      assert.ok(r.bytesRead < SIZE, 'holes skipped');
      await runOk('qemu-img', ['compare', '-f', 'vmdk', '-F', 'raw', out, src.path]);
      // And the other way: a VMDK copied into an NBD export.
      const from = await openDevice(vmdkPath, { readOnly: true });
      const into = await openDevice(server.uri('dst'));
      await copyDevice(from, into, { destinationIsZero: false });
      await into.flush();
      await into.close();
      await from.close();
      assert.equal(firstDifference(await readFile(targetPath), src.data), -1);
    } finally {
      await server.close();
      await vmdk.close();
      await target.close();
    }
  });

  test('an NBD export re-exported: our server serving our client of another server', async () => {
    const dev = await openRaw(src.path, true);
    const upstream = await new NbdServer({ exports: [{ name: 'up', device: dev }], socket: join(dir, 'up.sock') }).listen();
    const client = await openDevice(upstream.uri('up'), { readOnly: true });
    const proxy = await new NbdServer({ exports: [{ name: 'proxy', device: client }], port: 0 }).listen();
    try {
      const c = await NbdClient.connect(proxy.uri('proxy'));
      assert.equal(c.readOnly, true);
      await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, 'through a proxy', 4 * MiB);
      await c.close();
    } finally {
      await proxy.close();
      await client.close();
      await upstream.close();
      await dev.close();
    }
  });

  test('serve --read-only with worker processes: connections spread over them, limit kept (an idle client makes room), clean stop', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'nbdcopy'])) return;
    const abort = new AbortController();
    let line = '';
    let stopped = false;
    const printed = new Promise<void>((resolve) => {
      void serveCommand(vmdkPath, { socket: join(dir, 'workers.sock'), readOnly: true, workers: 2, maxConnections: 3, signal: abort.signal, print: (l) => { line = l; resolve(); }, log: () => undefined })
        .then(() => { stopped = true; });
    });
    await printed;
    const uri = /at (\S+)/.exec(line)![1]!;
    assert.match(line, /read-only/);
    const out = join(dir, 'from-workers.raw');
    await runOk('nbdcopy', ['--connections=2', uri, out]);
    assert.equal(firstDifference(await readFile(out), src.data), -1);
    const clients = await Promise.all([1, 2, 3].map(() => NbdClient.connect(uri)));
    // All 3 taken by idle clients: a fourth is served in place of one of them, so 3 stay served.
    clients.push(await NbdClient.connect(uri, { connectTimeoutMs: 3000 }));
    const reads = await Promise.allSettled(clients.map(async (c) => {
      const b = Buffer.alloc(65536);
      await c.read(MiB, b);
      assert.equal(firstDifference(b, src.data.subarray(MiB, MiB + 65536)), -1);
    }));
    assert.equal(reads[3]!.status, 'fulfilled', 'the fourth client is served');
    assert.equal(reads.filter((r) => r.status === 'fulfilled').length, 3, 'the limit is kept: one idle client made room');
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await new Promise((r) => setTimeout(r, 200));
    const again = await NbdClient.connect(uri);
    await again.close();
    abort.abort();
    for (let i = 0; i < 150 && !stopped; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(stopped, 'serve returned after the abort');
    await assert.rejects(NbdClient.connect(uri), is(14009));
  });

  test('serve: the command exports a disk, reports its URI, and shuts down cleanly on abort', async (t) => {
    if (!await requirePeer(t, 'qemu-img')) return;
    const disk = join(dir, 'served.vmdk');
    await runOk('qemu-img', ['create', '-f', 'vmdk', disk, String(SIZE)]);
    const abort = new AbortController();
    let line = '';
    const printed = new Promise<void>((resolve) => {
      void serveCommand(disk, { port: 0, export: 'served', signal: abort.signal, print: (l) => { line = l; resolve(); }, log: () => undefined })
        .then(() => { stopped = true; });
    });
    let stopped = false;
    await printed;
    const uri = /at (\S+)/.exec(line)![1]!;
    assert.match(uri, /^nbd:\/\/127\.0\.0\.1:\d+\/served$/);
    const c = await NbdClient.connect(uri);
    await c.write(MiB, Buffer.alloc(MiB, 0x77));
    await c.close();
    abort.abort();
    for (let i = 0; i < 100 && !stopped; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(stopped, 'serve returned after the abort');
    // Flushed and closed: qemu-img sees a clean VMDK with the data.
    await runOk('qemu-img', ['check', disk]);
    const raw = join(dir, 'served.raw');
    await runOk('qemu-img', ['convert', '-O', 'raw', disk, raw]);
    const bytes = await readFile(raw);
    assert.ok(bytes.subarray(MiB, 2 * MiB).every((b) => b === 0x77));
    await assert.rejects(serveCommand(disk, { port: 'x' }), is(3));
  });
});
