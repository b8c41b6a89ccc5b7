import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockDevice } from '../../src/block/block-device.js';
import * as P from '../../src/nbd/protocol.js';
import { readPskFile } from '../../src/nbd/psk-file.js';
import { NbdServer } from '../../src/nbd/server.js';
import { firstDifference, makeTempDir, onPath, removeTempDir, requirePeer, run, runOk } from '../interop/peers.js';
import { makeCertificates, makeRawDisk, MiB, openRaw, RawPeer, sleep } from './nbd-support.js';

// TLS on our server: X.509 certificates made with certtool, nbds:// with nbdinfo, nbdcopy and
// qemu-img, TLS-PSK with nbdinfo, and the STARTTLS cases of §7.2 (13-19): nothing but STARTTLS
// before TLS when TLS is required, never acting on plaintext pipelined after STARTTLS, nothing
// negotiated before TLS surviving it, failed and vanished TLS peers released.

const SIZE = 8 * MiB;

describe('NBD server with TLS', () => {
  let dir: string;
  let pki: string;
  let disk: { path: string; data: Buffer };
  let dev: BlockDevice;
  let forced: NbdServer;
  let optional: NbdServer;
  let mutual: NbdServer;
  let psk: NbdServer | null = null;
  let ca: Buffer;

  before(async () => {
    dir = await makeTempDir('nbd-tls');
    pki = join(dir, 'pki');
    await (await import('node:fs/promises')).mkdir(pki);
    if (await onPath('certtool')) await makeCertificates(pki);
    disk = await makeRawDisk(dir, 'disk.raw', SIZE, 5);
    dev = await openRaw(disk.path, true);
    const exports = [{ name: 'disk', device: dev }];
    if (await onPath('certtool')) {
      ca = await readFile(join(pki, 'ca-cert.pem'));
      const tls = { cert: await readFile(join(pki, 'server-cert.pem')), key: await readFile(join(pki, 'server-key.pem')) };
      forced = await new NbdServer({ exports, port: 0, tls: { ...tls, require: true }, handshakeTimeoutMs: 3000 }).listen();
      optional = await new NbdServer({ exports, port: 0, tls: { ...tls, require: false } }).listen();
      mutual = await new NbdServer({ exports, port: 0, tls: { ...tls, ca, verifyClient: true, require: true } }).listen();
    }
    if (await onPath('psktool')) {
      await runOk('psktool', ['-u', 'alice', '-p', join(dir, 'keys.psk')]);
      psk = await new NbdServer({ exports, port: 0, tls: { psk: await readPskFile(join(dir, 'keys.psk')), require: true } }).listen();
    }
  });

  after(async () => {
    await forced?.close();
    await optional?.close();
    await mutual?.close();
    await psk?.close();
    await dev?.close();
    await removeTempDir(dir);
  });

  const tlsUri = (s: NbdServer, host = 'localhost') => `nbds://${host}:${s.port}/disk?tls-certificates=${pki}`;

  /** A raw client that did STARTTLS and the TLS handshake, trusting our CA. */
  const tlsPeer = async (s: NbdServer, withClientCert = false) => {
    const peer = await RawPeer.connect({ port: s.port! });
    await peer.handshake();
    assert.equal(await peer.optionType(P.OPT_STARTTLS), P.REP_ACK);
    return peer.upgrade({
      ca, servername: 'localhost',
      ...(withClientCert ? { cert: await readFile(join(pki, 'client-cert.pem')), key: await readFile(join(pki, 'client-key.pem')) } : {}),
    });
  };

  test('nbdinfo and nbdcopy over nbds:// (x509), TCP; plaintext nbd:// refused', async (t) => {
    if (!await requirePeer(t, ['certtool', 'nbdinfo', 'nbdcopy'])) return;
    const info = await runOk('nbdinfo', [tlsUri(forced)]);
    assert.match(info.stdout, /with TLS/);
    assert.match(info.stdout, /export-size: 8388608/);
    const out = join(dir, 'pulled.raw');
    await runOk('nbdcopy', [tlsUri(forced), out]);
    assert.equal(firstDifference(await readFile(out), disk.data), -1);
    const plain = await run('nbdinfo', [`nbd://127.0.0.1:${forced.port}/disk`]);
    assert.notEqual(plain.code, 0);
    // The server with optional TLS takes both.
    await runOk('nbdinfo', [tlsUri(optional)]);
    await runOk('nbdinfo', [`nbd://127.0.0.1:${optional.port}/disk`]);
    // Client certificates required: libnbd presents client-cert.pem from the same folder.
    const m = await runOk('nbdinfo', [tlsUri(mutual)]);
    assert.match(m.stdout, /with TLS/);
  });

  test('qemu-img convert and compare over TLS (x509)', async (t) => {
    if (!await requirePeer(t, ['certtool', 'qemu-img'])) return;
    const obj = `tls-creds-x509,id=tls0,endpoint=client,dir=${pki}`;
    const opts = `driver=raw,file.driver=nbd,file.host=127.0.0.1,file.port=${forced.port},file.export=disk,file.tls-creds=tls0`;
    const out = join(dir, 'qemu.raw');
    await runOk('qemu-img', ['convert', '--object', obj, '--image-opts', opts, '-O', 'raw', out]);
    assert.equal(firstDifference(await readFile(out), disk.data), -1);
    await runOk('qemu-img', ['compare', '--object', obj, '--image-opts', opts, `driver=raw,file.filename=${disk.path}`]);
  });

  test('TLS-PSK with nbdinfo (nbds://alice@.../?tls-psk-file=)', async (t) => {
    if (!await requirePeer(t, ['psktool', 'nbdinfo'])) return;
    const r = await runOk('nbdinfo', [`nbds://alice@127.0.0.1:${psk!.port}/disk?tls-psk-file=${join(dir, 'keys.psk')}`]);
    assert.match(r.stdout, /with TLS/);
  });

  test('13. before TLS every option but STARTTLS gets ERR_TLS_REQD; EXPORT_NAME disconnects', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    const peer = await RawPeer.connect({ port: forced.port! });
    await peer.handshake();
    for (const [option, payload] of [[P.OPT_LIST, undefined], [P.OPT_INFO, P.encodeInfoRequest('disk', [])], [P.OPT_GO, P.encodeInfoRequest('disk', [])],
      [P.OPT_STRUCTURED_REPLY, undefined], [P.OPT_EXTENDED_HEADERS, undefined], [P.OPT_SET_META_CONTEXT, P.encodeMetaContextRequest('disk', [])], [12, Buffer.alloc(9)]] as Array<[number, Buffer | undefined]>) {
      assert.equal(await peer.optionType(option, payload), P.REP_ERR_TLS_REQD, P.OPTION_NAMES[option] ?? String(option));
    }
    peer.send(P.encodeOption(P.OPT_EXPORT_NAME, Buffer.from('disk')));
    assert.ok(await peer.closesWithin());
  });

  test('14. plaintext pipelined after STARTTLS is never answered: the server disconnects', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    for (const server of [forced, optional]) {
      const peer = await RawPeer.connect({ port: server.port! });
      await peer.handshake();
      peer.send(Buffer.concat([P.encodeOption(P.OPT_STARTTLS), P.encodeOption(P.OPT_INFO, P.encodeInfoRequest('disk', []))]));
      assert.ok(await peer.closesWithin());
      // Nothing but (at most) the STARTTLS answer came back: never an INFO reply.
      const got = peer.reader.bufferedLength;
      assert.ok(got === 0 || got === 20, `${got} bytes came back`);
    }
  });

  test('15. STARTTLS once TLS is up gets ERR_INVALID; then GO and READ work through TLS', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    const peer = await tlsPeer(forced);
    assert.equal(await peer.optionType(P.OPT_STARTTLS), P.REP_ERR_INVALID);
    assert.equal((await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []))).pop()!.type, P.REP_ACK);
    peer.request(P.CMD_READ, { offset: 4096n, length: 4096n, cookie: 8n });
    const r = await peer.simpleReply(4096);
    assert.equal(firstDifference(r.data, disk.data.subarray(4096, 8192)), -1);
    peer.destroy();
  });

  test('16. nothing negotiated before STARTTLS survives it (CVE-2021-3716)', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    // STRUCTURED_REPLY before TLS: READ after TLS gets a simple reply.
    let peer = await RawPeer.connect({ port: optional.port! });
    await peer.handshake();
    assert.equal(await peer.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ACK);
    assert.equal(await peer.optionType(P.OPT_EXTENDED_HEADERS), P.REP_ACK);
    assert.equal(await peer.optionType(P.OPT_STARTTLS), P.REP_ACK);
    let secure = await peer.upgrade({ ca, servername: 'localhost' });
    await secure.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    secure.request(P.CMD_READ, { offset: 0n, length: 512n, cookie: 1n });
    const simple = await secure.simpleReply(512);
    assert.equal(simple.error, 0);
    assert.equal(firstDifference(simple.data, disk.data.subarray(0, 512)), -1);
    secure.destroy();
    // SET_META_CONTEXT before TLS: BLOCK_STATUS after TLS gets EINVAL.
    peer = await RawPeer.connect({ port: optional.port! });
    await peer.handshake();
    await peer.optionType(P.OPT_STRUCTURED_REPLY);
    assert.equal(await peer.optionType(P.OPT_SET_META_CONTEXT, P.encodeMetaContextRequest('disk', [P.META_BASE_ALLOCATION])), P.REP_ACK);
    await peer.optionType(P.OPT_STARTTLS);
    secure = await peer.upgrade({ ca, servername: 'localhost' });
    assert.equal(await secure.optionType(P.OPT_STRUCTURED_REPLY), P.REP_ACK);
    await secure.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    secure.request(P.CMD_BLOCK_STATUS, { length: 4096n, cookie: 2n });
    const c = await secure.chunk();
    assert.equal(P.decodeErrorChunk(c.payload, c.type).error, P.NBD_EINVAL);
    secure.destroy();
  });

  test('17. failed TLS handshakes end the connection: garbage, an untrusted client, no client certificate', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    const peer = await RawPeer.connect({ port: forced.port! });
    await peer.handshake();
    assert.equal(await peer.optionType(P.OPT_STARTTLS), P.REP_ACK);
    peer.reader.detach();
    peer.socket.write(Buffer.concat([P.encodeOption(P.OPT_GO, P.encodeInfoRequest('disk', [])), Buffer.alloc(300, 0x16)]));
    assert.ok(await peer.closesWithin());
    // A client that does not trust the server certificate gives up; the server lets go of it.
    const untrusting = await RawPeer.connect({ port: forced.port! });
    await untrusting.handshake();
    assert.equal(await untrusting.optionType(P.OPT_STARTTLS), P.REP_ACK);
    await assert.rejects(untrusting.upgrade({ servername: 'localhost' }), /certificate/);
    untrusting.destroy();
    // A server that demands client certificates refuses a client without one.
    const noCert = await RawPeer.connect({ port: mutual.port! });
    await noCert.handshake();
    await noCert.optionType(P.OPT_STARTTLS);
    const attempt = await noCert.upgrade({ ca, servername: 'localhost' }).then(async (s) => {
      // TLS 1.3 reports the refusal after the handshake: the first exchange fails.
      s.send(P.encodeOption(P.OPT_LIST));
      return s.closesWithin(3000);
    }, () => true);
    assert.ok(attempt, 'refused without a client certificate');
    // The wrong pre-shared key: the handshake fails and the server lets go.
    if (psk) {
      const wrong = await RawPeer.connect({ port: psk.port! });
      await wrong.handshake();
      assert.equal(await wrong.optionType(P.OPT_STARTTLS), P.REP_ACK);
      await assert.rejects(wrong.upgrade({
        ciphers: 'PSK', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined,
        pskCallback: () => ({ identity: 'alice', psk: Buffer.alloc(32, 7) }),
      }));
      assert.ok(await wrong.closesWithin());
    }
    const withCert = await tlsPeer(mutual, true);
    assert.equal((await withCert.option(P.OPT_LIST)).pop()!.type, P.REP_ACK);
    withCert.destroy();
  });

  test('18. a TLS peer that vanishes mid-transfer is released', async (t) => {
    if (!await requirePeer(t, 'certtool')) return;
    const peer = await tlsPeer(forced);
    await peer.option(P.OPT_GO, P.encodeInfoRequest('disk', []));
    for (let i = 0; i < 32; i++) peer.request(P.CMD_READ, { offset: BigInt(i * 65536), length: 65536n, cookie: BigInt(i) });
    await sleep(20);
    peer.socket.destroy();
    for (let i = 0; i < 50 && forced.connectionCount > 0; i++) await sleep(20);
    assert.equal(forced.connectionCount, 0);
    const cpu0 = process.cpuUsage();
    await sleep(200);
    const cpu = process.cpuUsage(cpu0);
    assert.ok(cpu.user + cpu.system < 150_000, 'no busy loop after the peer left');
  });
});
