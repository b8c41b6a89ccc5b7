import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../support/temp-dir.js';
import { SoapTestClient, startTestHost } from '../support/soap-test-host.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { inventoryMethods } from '../../src/host/methods/inventory-methods.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { vmNamed } from './inventory-support.js';

// The inventory's views and handlers behind the real SOAP service: every value goes through the
// vim25 codec (field names, types, order), every call through the dispatcher's privilege check.

type Props = Record<string, any>;

async function props(client: SoapTestClient, obj: ManagedObjectReference, paths: string[]): Promise<Props> {
  const r = await client.retrieve(obj, paths) as { objects: Array<{ propSet?: Array<{ name: string; val: unknown }>; missingSet?: unknown[] }> };
  const o = r.objects[0]!;
  assert.equal(o.missingSet, undefined, `${obj.value}: ${JSON.stringify(o.missingSet)}`);
  return Object.fromEntries((o.propSet ?? []).map((p) => [p.name, unwrap(p.val)]));
}

/** A primitive, enum or ArrayOf value in an anyType slot comes tagged ({ _type, value }): untag it. */
function unwrap(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 2 && 'value' in v && '_type' in v &&
      (v as { _type: string })._type !== 'ManagedObjectReference') {
    return (v as { value: unknown }).value;
  }
  return v;
}

async function finish(client: SoapTestClient, task: ManagedObjectReference): Promise<Props> {
  for (let i = 0; i < 600; i++) {
    const info = (await props(client, task, ['info'])).info as Props;
    if (info.state === 'success' || info.state === 'error') return info;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`task ${task.value} did not finish`);
}

test('over SOAP: inventory properties encode as vim25, and a backup cycle runs through the tasks', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  t.after(() => inv.close());
  const host = await startTestHost(t);
  host.service.addDirectory(inv);
  host.service.addMethods(inventoryMethods(inv, host.service.tasks));
  const client = new SoapTestClient(host);
  await client.login();
  const web = inv.vmRef(vmNamed(inv, 'web'));

  const vm = await props(client, web, [
    'name', 'parent', 'config.hardware.device', 'config.changeTrackingEnabled', 'config.uuid', 'config.instanceUuid',
    'config.files.vmPathName', 'capability.changeTrackingSupported', 'runtime.host', 'runtime.powerState', 'layoutEx',
    'summary', 'datastore', 'resourcePool', 'config',
  ]);
  assert.equal(vm.name, 'web');
  assert.equal(vm['runtime.powerState'], 'poweredOn');
  assert.equal(vm['capability.changeTrackingSupported'], true);
  const disks = (vm['config.hardware.device'] as Props[]).filter((d) => d._type === 'VirtualDisk');
  assert.deepEqual(disks.map((d) => d.backing.fileName), ['[datastore1] web/web.vmdk', '[datastore1] web/web_1.vmdk']);
  assert.equal(disks[0]!.capacityInBytes, 64 << 20);
  for (const ref of [vm['runtime.host'], ...(vm.datastore as ManagedObjectReference[]), vm.resourcePool, vm.parent] as ManagedObjectReference[]) {
    const p = await props(client, ref, ref.type === 'HostSystem' ? ['name', 'summary', 'config', 'runtime', 'vm', 'datastore', 'parent']
      : ref.type === 'Datastore' ? ['name', 'summary', 'info', 'host', 'vm', 'capability']
        : ['name', 'parent']);
    assert.ok(p.name);
  }
  const dc = inv.ref('Datacenter', inv.record.datacenter.morefs);
  assert.equal((await props(client, dc, ['name', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder', 'datastore'])).name, 'dc1');
  const cluster = inv.ref('ClusterComputeResource', inv.record.cluster.morefs);
  assert.equal((await props(client, cluster, ['summary', 'host'])).summary.numHosts, 2);

  // Enable CBT, snapshot, read the snapshot's disks and change ids, query, remove.
  const found = await client.call('FindByInventoryPath', host.service.refs.searchIndex, { inventoryPath: 'dc1/vm/web' });
  assert.deepEqual(found, web);
  assert.equal((await finish(client, await client.call('ReconfigVM_Task', web, { spec: { _type: 'VirtualMachineConfigSpec', changeTrackingEnabled: true } }) as ManagedObjectReference)).state, 'success');
  const created = await finish(client, await client.call('CreateSnapshot_Task', web, { name: 'backup', memory: false, quiesce: true }) as ManagedObjectReference);
  assert.equal(created.state, 'success', JSON.stringify(created.error));
  const snapshot = created.result as ManagedObjectReference;
  assert.match(snapshot.value, /^snapshot-\d+$/);
  const snapDisks = ((await props(client, snapshot, ['config.hardware.device'])))['config.hardware.device'] as Props[];
  const first = snapDisks.find((d) => d._type === 'VirtualDisk')!;
  assert.equal(first.backing.fileName, '[datastore1] web/web.vmdk');
  assert.match(first.backing.changeId, /\/0$/);
  const current = ((await props(client, web, ['config.hardware.device'])))['config.hardware.device'] as Props[];
  const top = current.find((d) => d._type === 'VirtualDisk')!;
  assert.equal(top.backing.fileName, '[datastore1] web/web-000001.vmdk');
  assert.equal(top.backing.deltaDiskFormat, 'seSparseFormat');
  assert.equal(top.backing.parent.fileName, '[datastore1] web/web.vmdk');
  const tree = (await props(client, web, ['snapshot'])).snapshot as Props;
  assert.deepEqual(tree.currentSnapshot, snapshot);
  assert.equal(tree.rootSnapshotList[0].quiesced, true);

  const changes = await client.call('QueryChangedDiskAreas', web, { snapshot, deviceKey: 2000, startOffset: 0, changeId: '*' }) as Props;
  assert.equal(changes.startOffset, 0);
  assert.equal(changes.length, 64 << 20);
  // web.vmdk is thick (a flat extent): all of it is in use.
  assert.deepEqual(changes.changedArea.map((a: Props) => [a.start, a.length]), [[0, 64 << 20]]);
  const bad = await client.call('QueryChangedDiskAreas', web, { snapshot, deviceKey: 2000, startOffset: 0, changeId: 'nonsense' }).catch((e: unknown) => e);
  assert.ok(bad instanceof SoapFault && bad.faultType === 'InvalidArgument');

  // The viewer may read but not snapshot: NoPermission naming the privilege, on the VM.
  const viewer = new SoapTestClient(host);
  await viewer.login('viewer', 'Viewer-pw-1');
  const denied = await viewer.call('CreateSnapshot_Task', web, { name: 'x', memory: false, quiesce: false }).catch((e: unknown) => e);
  assert.ok(denied instanceof SoapFault && denied.faultType === 'NoPermission');
  assert.equal((denied.fault as Props).privilegeId, 'VirtualMachine.State.CreateSnapshot');
  const deniedRemove = await viewer.call('RemoveSnapshot_Task', snapshot, { removeChildren: false }).catch((e: unknown) => e);
  assert.ok(deniedRemove instanceof SoapFault && (deniedRemove.fault as Props).privilegeId === 'VirtualMachine.State.RemoveSnapshot');

  const removed = await finish(client, await client.call('RemoveSnapshot_Task', snapshot, { removeChildren: false, consolidate: true }) as ManagedObjectReference);
  assert.equal(removed.state, 'success', JSON.stringify(removed.error));
  assert.equal((await props(client, web, ['snapshot'])).snapshot, undefined);
  // A task whose work fails carries the fault: powering on a running VM.
  const powerOn = await finish(client, await client.call('PowerOnVM_Task', web) as ManagedObjectReference);
  assert.equal(powerOn.state, 'error');
  assert.equal(powerOn.error.fault._type, 'InvalidPowerState');
});
