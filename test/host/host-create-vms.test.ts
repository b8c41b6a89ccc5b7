import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startHost, type RunningHost } from '../support/host-process.js';
import { runVixdisk } from '../support/run-cli.js';
import { VimClient } from '../../src/vsphere/vim-client.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';

const folders: string[] = [];
after(async () => {
  for (const f of folders) await rm(f, { recursive: true, force: true });
});

async function vim(host: RunningHost, user: string): Promise<VimClient> {
  const url = new URL(host.ready.url);
  const c = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
  await c.login(user, host.password(user));
  return c;
}

async function findVm(c: VimClient, path: string): Promise<ManagedObjectReference | undefined> {
  const content = await c.serviceContent();
  return (await c.call('FindByInventoryPath', content.searchIndex!, { inventoryPath: path })) as ManagedObjectReference | undefined;
}

test('create-vms registers new powered-off VMs with a thin disk each; they survive a restart; names in use are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-create-vms-'));
  folders.push(dir);
  let host = await startHost(['--data', dir]);
  try {
    const r = await runVixdisk(['host', 'create-vms', '--data', dir, '--count', '5', '--prefix', 'load', '--disk-size', '1M']);
    assert.equal(r.code, 0, r.stderr);
    const c = await vim(host, 'backup');
    const ref = await findVm(c, 'dc1/vm/load3');
    assert.equal(ref?.type, 'VirtualMachine');
    const props = await c.call('RetrieveProperties', (await c.serviceContent()).propertyCollector, {
      specSet: [{ _type: 'PropertyFilterSpec', propSet: [{ _type: 'PropertySpec', type: 'VirtualMachine', pathSet: ['runtime.powerState', 'config.hardware.device'] }], objectSet: [{ _type: 'ObjectSpec', obj: ref }] }],
    });
    const text = JSON.stringify(props);
    assert.match(text, /poweredOff/);
    assert.match(text, /"fileName":"\[datastore1\] load3\/load3\.vmdk"/);
    assert.match(text, /"thinProvisioned":true/);
    assert.match(text, /"capacityInBytes":1048576/);
    const descriptor = await readFile(join(dir, 'datastores', 'datastore1', 'load3', 'load3.vmdk'), 'utf8');
    assert.match(descriptor, /createType="vmfs"/);
    assert.match(descriptor, /ddb\.thinProvisioned = "1"/);

    // A name in use: refused with one line, nothing registered twice.
    const again = await runVixdisk(['host', 'create-vms', '--data', dir, '--count', '2', '--prefix', 'load', '--first', '5']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a VM named load5 exists/);
    assert.equal(again.stderr.trim().split('\n').length, 1);
    assert.equal(await stat(join(dir, 'datastores', 'datastore1', 'load6')).then(() => true, () => false), false, 'a refused request made a folder');

    // --data after the subcommand names the running host's folder (guest-write on a new VM).
    const on = await runVixdisk(['host', 'power', 'on', '--data', dir, '--vm', 'load1']);
    assert.equal(on.code, 0, on.stderr);
    const w = await runVixdisk(['host', 'guest-write', '--data', dir, '--vm', 'load1', '--disk', '0', '--offset', '4096', '--pattern', '9', '--length', '512']);
    assert.equal(w.code, 0, w.stderr);
    await c.logout();
  } finally {
    assert.equal(await host.stop(), 0);
  }
  host = await startHost(['--data', dir]);
  try {
    const c = await vim(host, 'backup');
    assert.equal((await findVm(c, 'dc1/vm/load5'))?.type, 'VirtualMachine', 'a created VM is gone after a restart');
    const inventory = JSON.parse(await readFile(join(dir, 'inventory.json'), 'utf8')) as { vms: unknown[] };
    assert.equal(inventory.vms.length, 8);
  } finally {
    assert.equal(await host.stop(), 0);
  }
});
