import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCertificate } from '../../src/host/soap/certificate.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { moref } from '../../src/vsphere/vim-types.js';
import { rawRequest, SoapTestClient, startTestHost } from '../support/soap-test-host.js';
import { tempDir } from '../support/temp-dir.js';

async function fault(promise: Promise<unknown>): Promise<SoapFault> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SoapFault) return err;
    throw err;
  }
  throw new Error('expected a SOAP fault');
}

test('certificate: made once with a 0600 key, loaded the same after, thumbprints in VMware form', async (t) => {
  const dir = await tempDir(t);
  const first = await loadOrCreateCertificate(dir, 'esx-test');
  assert.match(first.thumbprintSha1, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  assert.match(first.thumbprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal((await stat(join(dir, 'rui.key'))).mode & 0o777, 0o600);
  const again = await loadOrCreateCertificate(dir, 'esx-test');
  assert.equal(again.thumbprintSha1, first.thumbprintSha1);
  const { X509Certificate } = await import('node:crypto');
  const cert = new X509Certificate(first.certPem);
  assert.ok(cert.checkHost('localhost'));
  assert.ok(cert.checkHost('esx-test'));
  assert.ok(cert.checkIP('127.0.0.1'));
});

test('RetrieveServiceContent without a session: vCenter and ESXi shapes', async (t) => {
  for (const personality of ['vcenter', 'esxi'] as const) {
    const host = await startTestHost(t, { personality });
    const client = new SoapTestClient(host);
    const content = await client.call('RetrieveServiceContent', moref('ServiceInstance', 'ServiceInstance')) as Record<string, any>;
    assert.equal(content.about.apiType, personality === 'vcenter' ? 'VirtualCenter' : 'HostAgent');
    assert.equal(content.about.apiVersion, '8.0.1.0');
    assert.equal(content.sessionManager.value, personality === 'vcenter' ? 'SessionManager' : 'ha-sessionmgr');
    assert.equal(content.propertyCollector.value, personality === 'vcenter' ? 'propertyCollector' : 'ha-property-collector');
    assert.equal(content.rootFolder.value, personality === 'vcenter' ? 'group-d1' : 'ha-folder-root');
    const internal = await client.call('RetrieveInternalContent', moref('ServiceInstance', 'ServiceInstance')) as Record<string, any>;
    assert.equal(internal.nfcService.value, personality === 'vcenter' ? 'nfcService' : 'ha-nfc-service');
  }
});

test('Login sets a quoted HttpOnly Secure cookie; calls need it; Logout kills it', async (t) => {
  const host = await startTestHost(t);
  const client = new SoapTestClient(host);
  const pc = host.service.refs.propertyCollector;
  const noSession = await fault(client.retrieve(host.rootFolder, ['name']));
  assert.equal(noSession.faultType, 'NotAuthenticated');

  const session = await client.login() as Record<string, any>;
  assert.equal(session.userName, 'backup');
  assert.equal(session._type, 'UserSession');
  assert.match(client.setCookieHeader!, /^vmware_soap_session="[0-9a-f]{96}"; Path=\/; HttpOnly; Secure$/);
  const result = await client.retrieve(host.rootFolder, ['name']) as Record<string, any>;
  assert.deepEqual(result.objects[0].propSet[0].val, { _type: 'string', value: 'Datacenters' });
  const time = await client.call('CurrentTime', moref('ServiceInstance', 'ServiceInstance'));
  assert.ok(time instanceof Date);

  const current = await client.retrieve(host.service.refs.sessionManager, ['currentSession']) as Record<string, any>;
  assert.equal(current.objects[0].propSet[0].val.key, session.key);
  assert.equal(current.objects[0].propSet[0].val.callCount >= 2, true);

  await client.call('Logout', host.service.refs.sessionManager);
  const after = await fault(client.call('RetrievePropertiesEx', pc, {
    specSet: [{ propSet: [{ type: 'Folder', pathSet: ['name'] }], objectSet: [{ obj: host.rootFolder }] }], options: {},
  }));
  assert.equal(after.faultType, 'NotAuthenticated');
  assert.ok(!host.logs.join('\n').includes(client.cookie!.split('"')[1]!), 'no cookie in the log');
});

test('wrong password and unknown user: InvalidLogin, same fault, no password in the log', async (t) => {
  const host = await startTestHost(t);
  const client = new SoapTestClient(host);
  const wrong = await fault(client.login('backup', 'Wrong-secret-9'));
  const unknown = await fault(client.login('nobody', 'Wrong-secret-9'));
  assert.equal(wrong.faultType, 'InvalidLogin');
  assert.equal(unknown.faultType, 'InvalidLogin');
  assert.equal(wrong.faultString, unknown.faultString);
  assert.equal(client.cookie, undefined);
  assert.ok(host.logs.some((l) => l.includes('Login') && l.includes('InvalidLogin')));
  assert.ok(!host.logs.join('\n').includes('Wrong-secret-9'));
});

test('a cookie of another host instance, a forged cookie and an expired session are refused', async (t) => {
  let now = Date.now();
  const a = await startTestHost(t, { session: { idleTimeoutMs: 60_000, now: () => now } });
  const b = await startTestHost(t);
  const clientA = new SoapTestClient(a);
  await clientA.login();
  const foreign = new SoapTestClient(b);
  foreign.cookie = clientA.cookie;
  assert.equal((await fault(foreign.retrieve(b.rootFolder, ['name']))).faultType, 'NotAuthenticated');
  const forged = new SoapTestClient(a);
  forged.cookie = `vmware_soap_session="${'a'.repeat(96)}"`;
  assert.equal((await fault(forged.retrieve(a.rootFolder, ['name']))).faultType, 'NotAuthenticated');

  await clientA.retrieve(a.rootFolder, ['name']);
  now += 61_000;
  assert.equal((await fault(clientA.retrieve(a.rootFolder, ['name']))).faultType, 'NotAuthenticated');
});

test('clone ticket: CloneSession works once, for the same user, with a new cookie', async (t) => {
  const host = await startTestHost(t);
  const first = new SoapTestClient(host);
  await first.login('viewer', 'Viewer-pw-1');
  const ticket = await first.call('AcquireCloneTicket', host.service.refs.sessionManager) as string;
  assert.equal(typeof ticket, 'string');
  const second = new SoapTestClient(host);
  const cloned = await second.call('CloneSession', host.service.refs.sessionManager, { cloneTicket: ticket }) as Record<string, any>;
  assert.equal(cloned.userName, 'viewer');
  assert.notEqual(second.cookie, first.cookie);
  await second.retrieve(host.rootFolder, ['name']);
  const third = new SoapTestClient(host);
  const reuse = await fault(third.call('CloneSession', host.service.refs.sessionManager, { cloneTicket: ticket }));
  assert.equal(reuse.faultType, 'InvalidLogin');

  const denied = await fault(first.call('SessionIsActive', host.service.refs.sessionManager, { sessionID: cloned.key, userName: 'viewer' }));
  assert.equal(denied.faultType, 'NoPermission');
  assert.equal(denied.fault.privilegeId, 'Sessions.ValidateSession');
  const admin = new SoapTestClient(host);
  await admin.login();
  assert.equal(await admin.call('SessionIsActive', host.service.refs.sessionManager, { sessionID: cloned.key, userName: 'viewer' }), true);
  assert.equal(await admin.call('SessionIsActive', host.service.refs.sessionManager, { sessionID: cloned.key, userName: 'backup' }), false);
  const generic = await first.call('AcquireGenericServiceTicket', host.service.refs.sessionManager, {
    spec: { _type: 'SessionManagerHttpServiceRequestSpec', method: 'httpGet', url: 'https://127.0.0.1/folder/x.vmdk?dsName=ds1' },
  }) as Record<string, any>;
  assert.equal(generic._type, 'SessionManagerGenericServiceTicket');
  assert.equal(host.service.sessions.redeemServiceTicket(generic.id, 'https://127.0.0.1/folder/x.vmdk?dsName=ds1', 'httpGet'), 'viewer');
  assert.equal(host.service.sessions.redeemServiceTicket(generic.id, 'https://127.0.0.1/folder/x.vmdk?dsName=ds1', 'httpGet'), undefined);
});

test('HTTP surface: versions document, 405 on GET /sdk, 404 elsewhere, 415 on a non-XML body', async (t) => {
  const host = await startTestHost(t);
  const versions = await rawRequest(host, '/sdk/vimServiceVersions.xml', { method: 'GET' });
  assert.equal(versions.status, 200);
  assert.match(versions.body, /<namespaces version="1.0">/);
  assert.match(versions.body, /<version>8.0.1.0<\/version>/);
  assert.match(versions.body, /<version>6.7.1<\/version>/);
  assert.equal((await rawRequest(host, '/sdk', { method: 'GET' })).status, 405);
  assert.equal((await rawRequest(host, '/nope', { method: 'GET' })).status, 404);
  const json = await rawRequest(host, '/sdk', { body: '{}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(json.status, 415);
  assert.match(json.body, /InvalidRequest/);
});

test('answers are written for the API version the client declared (SOAPAction): pyVmomi 6.7 gets no 7.0.3.2 fields', async (t) => {
  const host = await startTestHost(t);
  const client = new SoapTestClient(host);
  await client.login('viewer', 'Viewer-pw-1');
  const { encodeRequest } = await import('../../src/vsphere/soap-codec.js');
  const body = encodeRequest('SessionIsActive', host.service.refs.sessionManager, { sessionID: 'x', userName: 'viewer' });
  const asked = (soapAction: string) => rawRequest(host, '/sdk', { body, headers: { Cookie: client.cookie!, SOAPAction: soapAction } });
  const old = await asked('"urn:vim25/6.7.1"');
  assert.equal(old.status, 500);
  assert.match(old.body, /<privilegeId>Sessions.ValidateSession<\/privilegeId>/);
  assert.doesNotMatch(old.body, /missingPrivileges/);
  const current = await asked('urn:vim25/8.0.1.0');
  assert.match(current.body, /<missingPrivileges><entity type="SessionManager">SessionManager<\/entity>/);
});
