import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NfcTicketStore } from '../../src/host/nfc/ticket-store.js';
import { VIX_E_FILE_READ_ONLY } from '../../src/errors/error-codes.js';
import { makeNfcWorld, type NfcWorld } from './nfc-server-fixture.js';
import { AioRefusal, AuthdClient, AuthdRefusal, TestNfcClient } from './nfc-test-client.js';
import { moref } from './nfc-test-files.js';

// Tickets (vsphere-remote.md §2.3.8, §3.3): one-time, bound to a host, a VM, a disk and a mode.
// Refusals at PROXY answer `530 Login incorrect` and close; refusals at OPEN_FILE are AIO ERRORs
// that leave the session usable. The host keeps serving well-behaved clients throughout, and no
// ticket id reaches its log.

const grant = { vm: moref('VirtualMachine', 'vm-1'), host: moref('HostSystem', 'host-1'), readOnly: false, userName: 'root', service: 'nfc' };

describe('NFC ticket store', () => {
  test('tickets are random, one-time and expire', () => {
    let now = 1_000_000;
    const store = new NfcTicketStore({ ttlMs: 1000, now: () => now });
    const a = store.issue(grant);
    const b = store.issue(grant);
    assert.match(a.sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal(a.expiresAt.getTime(), now + 1000);
    assert.deepEqual(store.redeem(a.sessionId), grant);
    assert.equal(store.redeem(a.sessionId), undefined, 'used');
    now += 1000;
    assert.equal(store.redeem(b.sessionId), undefined, 'expired');
    assert.equal(store.redeem('forged'), undefined);
  });

  test('outstanding tickets are bounded; expired ones make room', () => {
    let now = 0;
    const store = new NfcTicketStore({ ttlMs: 10, maxOutstanding: 3, now: () => now });
    for (let i = 0; i < 3; i++) store.issue(grant);
    assert.throws(() => store.issue(grant), /too many unused NFC tickets/);
    now = 10;
    assert.ok(store.issue(grant).sessionId);
    assert.equal(store.outstanding, 1);
  });

  test('a grant is copied: changing the caller\'s object changes no ticket', () => {
    const store = new NfcTicketStore();
    const g = { ...grant, vm: { ...grant.vm } };
    const t = store.issue(g);
    g.vm.value = 'vm-2';
    g.readOnly = true;
    assert.deepEqual(store.redeem(t.sessionId), grant);
  });
});

describe('NFC server: tickets', () => {
  let w: NfcWorld;
  let clock = Date.now();
  before(async () => { w = await makeNfcWorld({}, () => clock); });
  after(async () => { await w.close(); });

  const refused = async (sessionId: string, service = 'nfc') => {
    const err = await TestNfcClient.connect(w.port, { sessionId, service }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof AuthdRefusal, `refused at PROXY (${String(err)})`);
    assert.equal(err.reply.code, 530);
    assert.equal(err.reply.text, 'Login incorrect');
  };

  test('a used, expired, forged, other host\'s or other service\'s ticket is refused with 530 and the connection closed', async () => {
    const used = w.ticket();
    const c = await TestNfcClient.connect(w.port, { sessionId: used });
    await c.end();
    await refused(used);
    const expired = w.ticket();
    clock += 61_000;
    await refused(expired);
    await refused(randomUUID());
    await refused(w.ticket({ host: moref('HostSystem', 'host-2') }));
    await refused(w.ticket({ service: 'vpxa-nfc' }), 'nfc');
    // The vCenter service name works when the ticket says so, with or without ssl.
    const v = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ service: 'vpxa-nfc' }), service: 'vpxa-nfc', ssl: true });
    await v.end();
  });

  test('PROXY without SESSION is refused; other commands get authd\'s replies', async () => {
    const a = await AuthdClient.connect(w.port);
    assert.match(a.banner, /^220 VMware Authentication Daemon Version 1\.10/);
    await a.startTls();
    assert.equal(a.thumbprintSha1, w.endpoint.thumbprintSha1);
    a.sendLine('BANNER');
    assert.equal((await a.nextReply()).code, 220);
    a.sendLine('THUMBPRINT_SHA2 AB:CD:EF');
    assert.deepEqual(await a.nextReply(), { code: 501, text: 'Invalid arguments' });
    a.sendLine('THUMBPRINT PlainText');
    assert.deepEqual(await a.nextReply(), { code: 200, text: w.endpoint.thumbprintSha1 });
    a.sendLine('USER root');
    assert.deepEqual(await a.nextReply(), { code: 331, text: 'Password required for root.' });
    a.sendLine('PASS secret');
    assert.equal((await a.nextReply()).code, 530);
    a.sendLine('SESSIONID x');
    assert.deepEqual(await a.nextReply(), { code: 530, text: 'Please login with USER and PASS' });
    a.sendLine('PROXY nfc');
    assert.deepEqual(await a.nextReply(), { code: 530, text: 'Login incorrect' });
    await a.closed;
  });

  test('a read-only ticket cannot open for writing (AIO ERROR 0x0b); the session goes on', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ readOnly: true }) });
    await c.openSession();
    const err = await c.openFile('[ds1] vm1/vm1.vmdk', false).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof AioRefusal);
    assert.equal(err.error.code, VIX_E_FILE_READ_ONLY);
    assert.equal(err.error.code, 0x0b);
    const f = await c.openFile('[ds1] vm1/vm1.vmdk', true);
    // A write on a read-only open is refused the same way.
    await assert.rejects(c.write(f.handle, 0, Buffer.alloc(4096)), (e: unknown) => e instanceof AioRefusal && e.error.code === 0x0b);
    assert.ok((await c.read(f.handle, 0, 4096)).equals(w.model.subarray(0, 4096)));
    await c.end();
  });

  test('a disk ticket opens only its disk; paths outside the VM are refused', async () => {
    const c = await TestNfcClient.connect(w.port, { sessionId: w.ticket({ diskDeviceKey: 2001 }) });
    await c.openSession();
    for (const path of [
      '[ds1] vm1/vm1.vmdk', // the VM's other disk
      '[ds2] vm2/vm2.vmdk', // another VM on another datastore
      '[ds1] vm1/../vm1/vm1_1.vmdk',
      '[ds1] vm1/../../ds2/vm2/vm2.vmdk',
      '[ds1] /etc/passwd',
      '[nope] vm1/vm1_1.vmdk',
      'vm1/vm1_1.vmdk',
    ]) {
      const err = await c.openFile(path, false).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof AioRefusal, `${path} refused`);
    }
    const f = await c.openFile('[ds1] vm1/vm1_1.vmdk', false);
    assert.equal(f.capacityBytes, 8 << 20);
    await c.write(f.handle, 4096, Buffer.alloc(4096, 7));
    assert.ok((await c.read(f.handle, 4096, 4096)).equals(Buffer.alloc(4096, 7)));
    await c.end();
  });

  test('no ticket id reaches the log', async () => {
    const id = w.ticket({ host: moref('HostSystem', 'host-2') });
    await refused(id);
    const good = w.ticket();
    await (await TestNfcClient.connect(w.port, { sessionId: good })).end();
    const forged = randomUUID();
    await refused(forged);
    const all = w.logLines.join('\n');
    assert.ok(w.logLines.some((l) => /refused PROXY/.test(l)), 'refusals are logged');
    assert.ok(!all.includes(id) && !all.includes(forged) && !all.includes(good), 'no session id in the log');
    assert.ok(!all.includes('secret'), 'no password in the log');
  });
});
