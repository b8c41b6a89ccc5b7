import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { moref } from '../../src/vsphere/vim-types.js';
import { FakeObject, startTestHost, type TestHost } from '../support/soap-test-host.js';
import { goProgram, govmomiMissing, missingPeer, PYTHON, pyvmomiMissing, run } from '../support/vsphere-peers.js';

// VMware's client libraries against the SOAP server over a small test inventory (the inventory
// part's own objects are tested with them in test/interop/).

const PEERS = fileURLToPath(new URL('../../../test/host/soap-peers/', import.meta.url));
const PASSWORD = 'Backup-pw-1';

function runtime(powerState: string, host: string): Record<string, unknown> {
  return {
    _type: 'VirtualMachineRuntimeInfo', host: moref('HostSystem', host), connectionState: 'connected', powerState,
    faultToleranceState: 'notConfigured', toolsInstallerMounted: false, numMksConnections: 0,
    recordReplayState: 'inactive', onlineStandby: false, consolidationNeeded: false,
  };
}

/** root -> dc1 -> vm folder -> web01, db01 (on), app01 (off). */
function inventory(host: TestHost): void {
  const dc = moref('Datacenter', 'datacenter-2');
  const vmFolder = moref('Folder', 'group-v3');
  const vms = ['vm-16', 'vm-17', 'vm-18'].map((v) => moref('VirtualMachine', v));
  (host.directory.lookup(host.rootFolder) as FakeObject).props.childEntity = [dc];
  host.directory.add(new FakeObject(dc, { name: 'dc1', vmFolder }, host.rootFolder));
  host.directory.add(new FakeObject(vmFolder, { name: 'vm', childEntity: vms }, dc));
  host.directory.add(new FakeObject(vms[0]!, { name: 'web01', runtime: runtime('poweredOn', 'host-10') }, vmFolder));
  host.directory.add(new FakeObject(vms[1]!, { name: 'db01', runtime: runtime('poweredOn', 'host-11') }, vmFolder));
  host.directory.add(new FakeObject(vms[2]!, { name: 'app01', runtime: runtime('poweredOff', 'host-10') }, vmFolder));
}

test('govmomi: login, current session, ContainerView retrieve, paging, logout then NotAuthenticated', async (t) => {
  const missing = await govmomiMissing();
  if (missing) return missingPeer(t, missing);
  const binary = await goProgram('../../host/soap-peers/container-view.go');
  const host = await startTestHost(t);
  inventory(host);
  const out0 = await run(binary, [], {
    VSPHERE_URL: host.server.url, VSPHERE_USER: 'backup', VSPHERE_PASSWORD: PASSWORD,
    VSPHERE_THUMBPRINT: host.certificate.thumbprintSha1,
  });
  assert.equal(out0.code, 0, out0.stderr);
  const out = JSON.parse(out0.stdout);
  assert.equal(out.apiType, 'VirtualCenter');
  assert.equal(out.sessionUser, 'backup');
  assert.deepEqual(out.vms, [
    { moref: 'vm-16', name: 'web01', powerState: 'poweredOn', host: 'host-10' },
    { moref: 'vm-17', name: 'db01', powerState: 'poweredOn', host: 'host-11' },
    { moref: 'vm-18', name: 'app01', powerState: 'poweredOff', host: 'host-10' },
  ]);
  assert.equal(out.pages, 2);
  assert.equal(out.pagedObjects, 3);
  assert.equal(out.faultAfterLogout, 'types.NotAuthenticated');
  assert.ok(!host.logs.join('\n').includes(PASSWORD));
});

test('pyVmomi: SmartConnect with version negotiation, property reads, folder walk, missing object fault', async (t) => {
  const missing = await pyvmomiMissing();
  if (missing) return missingPeer(t, missing);
  const host = await startTestHost(t);
  inventory(host);
  const out0 = await run(PYTHON, [`${PEERS}smart-connect.py`], {
    VSPHERE_HOST: '127.0.0.1', VSPHERE_PORT: String(host.server.port), VSPHERE_USER: 'backup', VSPHERE_PASSWORD: PASSWORD,
    VSPHERE_THUMBPRINT: host.certificate.thumbprintSha1,
  });
  assert.equal(out0.code, 0, out0.stderr);
  const out = JSON.parse(out0.stdout);
  assert.equal(out.apiType, 'VirtualCenter');
  assert.equal(out.soapVersion, '"urn:vim25/6.7.1"', 'pyVmomi 6.7.1 negotiated its newest version');
  assert.equal(out.sessionUser, 'backup');
  assert.deepEqual(out.vms, [
    { moref: 'vm-16', name: 'web01', powerState: 'poweredOn' },
    { moref: 'vm-17', name: 'db01', powerState: 'poweredOn' },
    { moref: 'vm-18', name: 'app01', powerState: 'poweredOff' },
  ]);
  assert.deepEqual(out.folderWalk, ['app01', 'db01', 'web01']);
  assert.equal(out.missingFault, 'vmodl.fault.ManagedObjectNotFound');
  assert.ok(!host.logs.join('\n').includes(PASSWORD));
});
