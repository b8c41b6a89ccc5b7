import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocationMap } from '../../src/block/allocation-map.js';
import { copyDevice } from '../../src/block/copy.js';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { VixError } from '../../src/errors/vix-error.js';
import { NbdClient } from '../../src/nbd/client.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { assertDeviceContents, firstDifference, makeTempDir, onPath, removeTempDir, requirePeer, runOk } from '../interop/peers.js';
import { freePort, makeCertificates, makeRawDisk, MiB, startPeerServer, waitForListener, type PeerServer } from './nbd-support.js';

// Our client against the real servers: qemu-nbd (raw and VMDK exports, plain and TLS), nbdkit
// (memory, file, sparse-random; plain, x509 and PSK; without structured replies, non-fixed
// newstyle and oldstyle), and nbd-server where it is installed. Data compared byte for byte.

const SIZE = 16 * MiB;

describe('NBD client against qemu-nbd, nbdkit and nbd-server', () => {
  let dir: string;
  let pki: string;
  let src: { path: string; data: Buffer };
  let vmdkPath: string;
  const peers: PeerServer[] = [];
  const sock = (name: string) => join(dir, `${name}.sock`);

  const start = async (cmd: string, args: string[], target: { port: number } | { path: string }) => {
    const p = await startPeerServer(cmd, args, target);
    peers.push(p);
    return p;
  };

  before(async () => {
    dir = await makeTempDir('nbd-client');
    pki = join(dir, 'pki');
    await mkdir(pki);
    if (await onPath('certtool')) await makeCertificates(pki);
    src = await makeRawDisk(dir, 'src.raw', SIZE, 11);
    vmdkPath = join(dir, 'src.vmdk');
    if (await onPath('qemu-img')) await runOk('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', src.path, vmdkPath]);
  });

  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await removeTempDir(dir);
  });

  test('qemu-nbd, raw export on a Unix socket: read, write, zero, flush, block status', async (t) => {
    if (!await requirePeer(t, 'qemu-nbd')) return;
    const file = join(dir, 'qemu-rw.raw');
    await writeFile(file, src.data);
    const peer = await start('qemu-nbd', ['-f', 'raw', '-x', 'disk', '-t', '-e', '4', '-k', sock('qemu-rw'), file], { path: sock('qemu-rw') });
    const c = await NbdClient.connect(`nbd+unix:///disk?socket=${sock('qemu-rw')}`, { connections: 2 });
    try {
      assert.equal(c.capacity, SIZE);
      assert.equal(c.readOnly, false);
      assert.equal(c.negotiated.structured, true);
      assert.equal(c.negotiated.extended, false, 'qemu 7.2 has no extended headers: fallback');
      assert.notEqual(c.negotiated.allocationContext, null);
      await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, 'qemu-nbd raw');
      const pattern = Buffer.alloc(3 * MiB + 512, 0xa5);
      await c.write(MiB + 512, pattern);
      await c.zero(8 * MiB, 2 * MiB);
      await c.write(13, Buffer.from('unaligned'));
      await c.flush();
      const back = Buffer.alloc(pattern.length);
      await c.read(MiB + 512, back);
      assert.equal(firstDifference(back, pattern), -1);
      const status = await c.blockStatus(0, SIZE);
      assert.equal(status.reduce((s, e) => s + e.length, 0), SIZE);
    } finally {
      await c.close();
    }
    await peer.stop();
    const expect = Buffer.from(src.data);
    expect.fill(0xa5, MiB + 512, 4 * MiB + 1024);
    expect.fill(0, 8 * MiB, 10 * MiB);
    expect.write('unaligned', 13);
    assert.equal(firstDifference(await readFile(file), expect), -1);
  });

  test('qemu-nbd, VMDK export over TCP (read-only): contents and allocation', async (t) => {
    if (!await requirePeer(t, 'qemu-nbd')) return;
    const port = await freePort();
    await start('qemu-nbd', ['-r', '-f', 'vmdk', '-x', 'vm', '-t', '-b', '127.0.0.1', '-p', String(port), vmdkPath], { port });
    const c = await NbdClient.connect(`nbd://127.0.0.1:${port}/vm`);
    const ours = await VmdkDisk.open(vmdkPath, { readOnly: true });
    try {
      assert.equal(c.readOnly, true);
      await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, 'qemu-nbd vmdk');
      const theirs = await allocationMap(c);
      const mine = await allocationMap(ours);
      const data = (m: typeof mine) => m.filter((e) => !e.zero).reduce((s, e) => s + e.length, 0);
      assert.equal(data(theirs), data(mine));
      await assert.rejects(c.write(0, Buffer.alloc(512)), (e: unknown) => e instanceof VixError && e.code === 11);
    } finally {
      await c.close();
      await ours.close();
    }
  });

  test('qemu-nbd with TLS (x509, client certificate required)', async (t) => {
    if (!await requirePeer(t, ['qemu-nbd', 'certtool'])) return;
    const port = await freePort();
    await start('qemu-nbd', ['-r', '-f', 'raw', '-x', 'disk', '-t', '-b', '127.0.0.1', '-p', String(port),
      '--object', `tls-creds-x509,id=tls0,endpoint=server,dir=${pki}`, '--tls-creds', 'tls0', src.path], { port });
    const c = await NbdClient.connect(`nbds://localhost:${port}/disk?tls-certificates=${pki}`);
    try {
      assert.equal(c.negotiated.tls, true);
      await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, 'qemu-nbd TLS');
    } finally {
      await c.close();
    }
    // Without TLS the server refuses (ERR_TLS_REQD), and the client says so.
    await assert.rejects(NbdClient.connect(`nbd://127.0.0.1:${port}/disk`), (e: unknown) => e instanceof VixError && e.code === 14006 && /TLS/.test(e.message));
  });

  test('nbdkit memory (writable, sparse), file and sparse-random plugins', async (t) => {
    if (!await requirePeer(t, ['nbdkit', 'nbdcopy'])) return;
    await start('nbdkit', ['-f', '-U', sock('mem'), 'memory', '64M'], { path: sock('mem') });
    const m = await NbdClient.connect(`nbd+unix:///?socket=${sock('mem')}`);
    try {
      assert.equal(m.capacity, 64 * MiB);
      assert.equal(m.canZero, true);
      await m.write(5 * MiB, src.data.subarray(0, 4 * MiB));
      await m.zero(6 * MiB, MiB);
      const got = Buffer.alloc(4 * MiB);
      await m.read(5 * MiB, got);
      const want = Buffer.from(src.data.subarray(0, 4 * MiB));
      want.fill(0, MiB, 2 * MiB);
      assert.equal(firstDifference(got, want), -1);
      const map = await allocationMap(m);
      assert.ok(map.some((e) => !e.allocated && e.offset === 0), 'unwritten memory is a hole');
      await m.flush();
    } finally {
      await m.close();
    }
    await start('nbdkit', ['-f', '-U', sock('file'), 'file', src.path], { path: sock('file') });
    const f = await NbdClient.connect(`nbd+unix:///?socket=${sock('file')}`, { connections: 3 });
    try {
      assert.equal(f.connectionCount, 3, 'nbdkit file advertises multi-conn');
      await assertDeviceContents(f, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, 'nbdkit file', 4 * MiB);
    } finally {
      await f.close();
    }
    await start('nbdkit', ['-f', '-U', sock('sr'), 'sparse-random', '128M', 'seed=7'], { path: sock('sr') });
    const ref = join(dir, 'sr.raw');
    await runOk('nbdcopy', [`nbd+unix:///?socket=${sock('sr')}`, ref]);
    const sr = await NbdClient.connect(`nbd+unix:///?socket=${sock('sr')}`);
    const out = join(dir, 'sr-ours.raw');
    const dst = await RawFileDevice.create(out, sr.capacity);
    try {
      const r = await copyDevice(sr, dst, { destinationIsZero: true });
      assert.ok(r.bytesRead < sr.capacity, 'holes were skipped by block status');
    } finally {
      await dst.close();
      await sr.close();
    }
    assert.equal(Buffer.compare(await readFile(out), await readFile(ref)), 0);
  });

  test('nbdkit with TLS: x509 with CA, pinned thumbprints, PSK; TLS demanded of a plain server fails', async (t) => {
    if (!await requirePeer(t, ['nbdkit', 'certtool', 'psktool'])) return;
    const other = join(dir, 'pki2');
    await mkdir(other);
    const { thumbprintSha256, thumbprintSha1 } = await makeCertificates(other);
    await start('nbdkit', ['-f', '--tls=require', `--tls-certificates=${other}`, '-U', sock('tls'), 'file', src.path], { path: sock('tls') });
    const check = async (uri: string) => {
      const c = await NbdClient.connect(uri);
      try {
        assert.equal(c.negotiated.tls, true);
        const b = Buffer.alloc(MiB);
        await c.read(3 * MiB, b);
        assert.equal(firstDifference(b, src.data.subarray(3 * MiB, 4 * MiB)), -1);
      } finally {
        await c.close();
      }
    };
    await check(`nbds+unix:///?socket=${sock('tls')}&tls-certificates=${join(dir, 'pki2')}`);
    await check(`nbds+unix:///?socket=${sock('tls')}&x-tls-ca-file=${join(dir, 'pki2', 'ca-cert.pem')}`);
    await check(`nbds+unix:///?socket=${sock('tls')}&x-tls-thumbprint=${thumbprintSha256}`);
    await check(`nbds+unix:///?socket=${sock('tls')}&x-tls-thumbprint=${thumbprintSha1}`);
    await assert.rejects(NbdClient.connect(`nbds+unix:///?socket=${sock('tls')}&x-tls-thumbprint=${'00'.repeat(32)}`),
      (e: unknown) => e instanceof VixError && e.code === 1 && /thumbprint/.test(e.message));
    // The wrong CA: the chain does not verify.
    await assert.rejects(NbdClient.connect(`nbds+unix:///?socket=${sock('tls')}&x-tls-ca-file=${join(pki, 'ca-cert.pem')}`),
      (e: unknown) => e instanceof VixError && e.code === 14006);
    await runOk('psktool', ['-u', 'alice', '-p', join(dir, 'keys.psk')]);
    await start('nbdkit', ['-f', '--tls=require', `--tls-psk=${join(dir, 'keys.psk')}`, '-U', sock('psk'), 'file', src.path], { path: sock('psk') });
    await check(`nbds+unix://alice@/?socket=${sock('psk')}&tls-psk-file=${join(dir, 'keys.psk')}`);
    await start('nbdkit', ['-f', '--tls=off', '-U', sock('plain'), 'memory', '1M'], { path: sock('plain') });
    await assert.rejects(NbdClient.connect(`nbds+unix:///?socket=${sock('plain')}&tls-certificates=${pki}`),
      (e: unknown) => e instanceof VixError && e.code === 14006 && /TLS was required/.test(e.message));
  });

  test('nbdkit without structured replies, without fixed newstyle, and oldstyle', async (t) => {
    if (!await requirePeer(t, 'nbdkit')) return;
    const cases: Array<[string, string[], Partial<Record<string, unknown>>]> = [
      ['nosr', ['--no-sr'], { structured: false, style: 'fixed-newstyle' }],
      ['nofixed', ['--mask-handshake=0'], { structured: false, style: 'newstyle' }],
      ['old', ['-o'], { structured: false, style: 'oldstyle' }],
    ];
    for (const [name, flags, want] of cases) {
      await start('nbdkit', ['-f', ...flags, '-U', sock(name), 'file', src.path], { path: sock(name) });
      const c = await NbdClient.connect(`nbd+unix:///?socket=${sock(name)}`);
      try {
        for (const [k, v] of Object.entries(want)) assert.equal((c.negotiated as unknown as Record<string, unknown>)[k], v, `${name}: ${k}`);
        const b = Buffer.alloc(2 * MiB);
        await c.read(MiB, b);
        assert.equal(firstDifference(b, src.data.subarray(MiB, 3 * MiB)), -1);
        assert.deepEqual(await c.blockStatus(0, SIZE), [{ offset: 0, length: SIZE, allocated: true, zero: false }]);
      } finally {
        await c.close();
      }
      if (name !== 'nosr') {
        // nbds:// never settles for a server that cannot do TLS (CVE-2019-14842).
        await assert.rejects(NbdClient.connect(`nbds+unix:///?socket=${sock(name)}&tls-certificates=${pki}`),
          (e: unknown) => e instanceof VixError && e.code === 14006 && /cannot do TLS/.test(e.message));
      }
    }
  });

  test('nbd-server (it has no structured replies)', async (t) => {
    if (!await requirePeer(t, 'nbd-server')) return;
    const port = await freePort();
    const conf = join(dir, 'nbd-server.conf');
    await writeFile(conf, `[generic]\n    port = ${port}\n    listenaddr = 127.0.0.1\n    allowlist = true\n[disk]\n    exportname = ${src.path}\n    readonly = true\n`);
    // It daemonises (one process per client); it is stopped by the pid it writes.
    const pidFile = join(dir, 'nbd-server.pid');
    await runOk('nbd-server', ['-C', conf, '-p', pidFile]);
    try {
      await waitForListener({ port });
      const c = await NbdClient.connect(`nbd://127.0.0.1:${port}/disk`);
      try {
        assert.equal(c.negotiated.structured, false);
        await assertDeviceContents(c, (o, b) => { b.set(src.data.subarray(o, o + b.length)); }, 'nbd-server', 4 * MiB);
      } finally {
        await c.close();
      }
    } finally {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
  });
});
