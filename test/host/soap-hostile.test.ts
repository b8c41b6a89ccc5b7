import assert from 'node:assert/strict';
import { request } from 'node:https';
import { test } from 'node:test';
import { decodeResponse } from '../../src/vsphere/soap-codec.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { moref } from '../../src/vsphere/vim-types.js';
import { FakeObject, rawRequest, SoapTestClient, startTestHost, type RawResponse, type TestHost } from '../support/soap-test-host.js';

const ENVELOPE = (body: string): string => '<?xml version="1.0" encoding="UTF-8"?>'
  + '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
  + `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

/** The fault a raw answer carries (any method name decodes a fault). */
function faultOf(res: RawResponse): SoapFault {
  try {
    decodeResponse('Logout', res.body);
  } catch (err) {
    if (err instanceof SoapFault) return err;
    throw err;
  }
  throw new Error(`expected a fault, got HTTP ${res.status}: ${res.body.slice(0, 200)}`);
}

/** After each attack the host still serves a normal client. */
async function stillServing(host: TestHost): Promise<void> {
  const client = new SoapTestClient(host);
  await client.login();
  const result = await client.retrieve(host.rootFolder, ['name']) as Record<string, any>;
  assert.equal(result.objects.length, 1);
}

test('oversized bodies: declared 10 MB and chunked 10 MB are refused with 413 before they are read', async (t) => {
  const host = await startTestHost(t);
  const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
  const declared = await rawRequest(host, '/sdk', { body: big });
  assert.equal(declared.status, 413);
  assert.equal(faultOf(declared).faultType, 'InvalidRequest');

  const chunked = await new Promise<RawResponse>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: host.server.port, path: '/sdk', method: 'POST', ca: host.certificate.certPem, agent: false,
      headers: { 'Content-Type': 'text/xml', 'Transfer-Encoding': 'chunked' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (err) => (err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err)));
    const piece = Buffer.alloc(256 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < 40) {
        sent++;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(chunked.status, 413);
  await stillServing(host);
});

test('malformed, deep, DOCTYPE/entity and wrong-namespace requests: InvalidRequest; unknown method: MethodNotFound', async (t) => {
  const host = await startTestHost(t);
  const cases: Array<[string, string, string, string]> = [
    ['malformed XML', ENVELOPE('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'), 'InvalidRequest', 'ClientFaultCode'],
    ['not XML at all', 'hello', 'InvalidRequest', 'ClientFaultCode'],
    ['1000-deep nesting', ENVELOPE(`<Login xmlns="urn:vim25">${'<a>'.repeat(1000)}${'</a>'.repeat(1000)}</Login>`), 'InvalidRequest', 'ClientFaultCode'],
    ['DOCTYPE with entities', '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
      + ENVELOPE('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>&lol2;</userName><password>x</password></Login>'),
    'InvalidRequest', 'ClientFaultCode'],
    ['external entity', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
      + ENVELOPE('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>&xxe;</userName><password>x</password></Login>'),
    'InvalidRequest', 'ClientFaultCode'],
    ['wrong namespace', ENVELOPE('<Login xmlns="urn:evil"><_this type="SessionManager">SessionManager</_this><userName>a</userName><password>b</password></Login>'),
      'InvalidRequest', 'ClientFaultCode'],
    ['unknown method', ENVELOPE('<FormatAllDisks xmlns="urn:vim25"><_this type="HostSystem">host-1</_this></FormatAllDisks>'), 'MethodNotFound', 'ClientFaultCode'],
    ['unknown argument', ENVELOPE('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>a</userName><password>b</password><evil/></Login>'),
      'InvalidRequest', 'ClientFaultCode'],
  ];
  for (const [name, body, type, code] of cases) {
    const res = await rawRequest(host, '/sdk', { body });
    assert.equal(res.status, 500, name);
    const fault = faultOf(res);
    assert.equal(fault.faultType, type, name);
    assert.equal(fault.faultCode, code, name);
    assert.ok(!fault.faultString.includes('\n'), `${name}: one line`);
    assert.ok(!res.body.includes('/etc/passwd') || name === 'external entity', name);
    assert.ok(!/root:x:0/.test(res.body), `${name}: no file content`);
  }
  const unknown = faultOf(await rawRequest(host, '/sdk', { body: cases[6]![1] }));
  assert.equal(unknown.fault.method, 'FormatAllDisks');
  const client = new SoapTestClient(host);
  await client.login();
  const wrongReceiver = await client.call('DestroyView', host.rootFolder).catch((e: unknown) => e) as SoapFault;
  assert.equal(wrongReceiver.faultType, 'MethodNotFound', 'a method the target type does not have');
  await stillServing(host);
});

test('a handler that crashes answers SystemError in one line, logged once without secrets', async (t) => {
  const host = await startTestHost(t);
  host.service.addMethods(new Map([['FindByUuid', { run: () => { throw new TypeError('boom\n    at secret.ts:1'); } }]]));
  host.directory.add(new FakeObject(moref('SearchIndex', 'SearchIndex'), {}));
  const client = new SoapTestClient(host);
  await client.login();
  const err = await client.call('FindByUuid', moref('SearchIndex', 'SearchIndex'), {
    uuid: '42', vmSearch: true,
  }).catch((e: unknown) => e) as SoapFault;
  assert.equal(err.faultType, 'SystemError');
  assert.equal(err.fault.reason, 'boom at secret.ts:1');
  const lines = host.logs.filter((l) => l.includes('FindByUuid'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /user=backup: SystemError/);
  assert.ok(!host.logs.join('\n').includes('Backup-pw-1'));
  await stillServing(host);
});

test('many connections at once: the cap holds and every client still gets an answer', async (t) => {
  const host = await startTestHost(t, { maxConnections: 8 });
  const results = await Promise.allSettled(Array.from({ length: 24 }, () => stillServing(host)));
  const served = results.filter((r) => r.status === 'fulfilled').length;
  assert.ok(served >= 8, `${served} of 24 served`);
  await stillServing(host);
});
