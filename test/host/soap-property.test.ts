import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SoapCall } from '../../src/host/soap/method-handler.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { FakeObject, SoapTestClient, startTestHost, type TestHost } from '../support/soap-test-host.js';

async function fault(promise: Promise<unknown>): Promise<SoapFault> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SoapFault) return err;
    throw err;
  }
  throw new Error('expected a SOAP fault');
}

/** root -> dc1 -> vmFolder (group-v3) -> `count` VMs; hostFolder -> cluster -> host. */
function buildInventory(host: TestHost, count: number): ManagedObjectReference[] {
  const dc = moref('Datacenter', 'datacenter-2');
  const vmFolder = moref('Folder', 'group-v3');
  const hostFolder = moref('Folder', 'group-h4');
  const cluster = moref('ClusterComputeResource', 'domain-c7');
  const esx = moref('HostSystem', 'host-10');
  const vms = Array.from({ length: count }, (_, i) => moref('VirtualMachine', `vm-${100 + i}`));
  const root = host.directory.lookup(host.rootFolder) as FakeObject;
  root.props.childEntity = [dc];
  host.directory.add(new FakeObject(dc, { name: 'dc1', vmFolder, hostFolder }, host.rootFolder));
  host.directory.add(new FakeObject(vmFolder, { name: 'vm', childEntity: vms }, dc));
  host.directory.add(new FakeObject(hostFolder, { name: 'host', childEntity: [cluster] }, dc));
  host.directory.add(new FakeObject(cluster, { name: 'cluster1', host: [esx] }, hostFolder));
  host.directory.add(new FakeObject(esx, { name: 'esx1', vm: vms.slice(0, 2) }, cluster));
  vms.forEach((vm, i) => host.directory.add(new FakeObject(vm, { name: `guest-${i}` }, vmFolder)));
  return vms;
}

/** The request govmomi's view.ContainerView.Retrieve sends (property.Collector over a ContainerView). */
function containerViewSpec(view: ManagedObjectReference, type: string, pathSet: string[]): Record<string, unknown> {
  return {
    _type: 'PropertyFilterSpec',
    propSet: [{ _type: 'PropertySpec', type, pathSet }],
    objectSet: [{
      _type: 'ObjectSpec', obj: view, skip: true,
      selectSet: [{ _type: 'TraversalSpec', type: 'ContainerView', path: 'view', skip: false }],
    }],
  };
}

test('RetrievePropertiesEx over a ContainerView of 1000 VMs in pages of 100 (govmomi shape), then Cancel', async (t) => {
  const host = await startTestHost(t);
  const vms = buildInventory(host, 1000);
  const client = new SoapTestClient(host);
  await client.login();
  const view = await client.call('CreateContainerView', host.service.refs.viewManager, {
    container: host.rootFolder, type: ['VirtualMachine'], recursive: true,
  }) as ManagedObjectReference;
  assert.match(view.value, /^session\[[0-9a-f-]+\][0-9a-f-]+$/);
  const pc = host.service.refs.propertyCollector;
  const names = new Set<string>();
  let result = await client.call('RetrievePropertiesEx', pc, {
    specSet: [containerViewSpec(view, 'VirtualMachine', ['name'])], options: { _type: 'RetrieveOptions', maxObjects: 100 },
  }) as Record<string, any>;
  let pages = 0;
  for (;;) {
    pages++;
    assert.equal(result.objects.length, 100);
    for (const o of result.objects) names.add(o.propSet[0].val.value);
    if (!result.token) break;
    result = await client.call('ContinueRetrievePropertiesEx', pc, { token: result.token }) as Record<string, any>;
  }
  assert.equal(pages, 10);
  assert.equal(names.size, 1000);
  assert.ok(names.has('guest-0') && names.has('guest-999'));

  const first = await client.call('RetrievePropertiesEx', pc, {
    specSet: [containerViewSpec(view, 'VirtualMachine', ['name'])], options: { maxObjects: 400 },
  }) as Record<string, any>;
  await client.call('CancelRetrievePropertiesEx', pc, { token: first.token });
  const gone = await fault(client.call('ContinueRetrievePropertiesEx', pc, { token: first.token }));
  assert.equal(gone.faultType, 'InvalidArgument');

  // Another session cannot use this session's view or token.
  const other = new SoapTestClient(host);
  await other.login('viewer', 'Viewer-pw-1');
  const foreign = await fault(other.call('DestroyView', view));
  assert.equal(foreign.faultType, 'ManagedObjectNotFound');
  await client.call('DestroyView', view);
  const destroyed = await fault(client.call('RetrievePropertiesEx', pc, { specSet: [containerViewSpec(view, 'VirtualMachine', ['name'])], options: {} }));
  assert.equal(destroyed.faultType, 'ManagedObjectNotFound');
  void vms;
});

test('ContainerView: recursive or not, type filters, hosts as containers, what the user cannot see left out', async (t) => {
  const host = await startTestHost(t, {
    users: {
      backup: { password: 'Backup-pw-1', privileges: ['*'] },
      viewer: { password: 'Viewer-pw-1', privileges: ['System.Read'], hidden: ['vm-101'] },
    },
  });
  const vms = buildInventory(host, 3);
  const client = new SoapTestClient(host);
  await client.login();
  const viewOf = async (c: SoapTestClient, container: ManagedObjectReference, type: string[], recursive: boolean): Promise<string[]> => {
    const view = await c.call('CreateContainerView', host.service.refs.viewManager, { container, type, recursive }) as ManagedObjectReference;
    const result = await c.retrieve(view, ['view']) as Record<string, any>;
    return (result.objects[0].propSet?.[0]?.val.value ?? []).map((r: ManagedObjectReference) => r.value);
  };
  assert.deepEqual(await viewOf(client, host.rootFolder, [], false), ['datacenter-2']);
  assert.deepEqual(await viewOf(client, host.rootFolder, ['VirtualMachine'], true), ['vm-100', 'vm-101', 'vm-102']);
  assert.deepEqual(await viewOf(client, host.rootFolder, ['HostSystem', 'ClusterComputeResource'], true), ['domain-c7', 'host-10']);
  assert.deepEqual(await viewOf(client, host.rootFolder, ['ManagedEntity'], true).then((l) => l.length), 8);
  assert.deepEqual(await viewOf(client, moref('HostSystem', 'host-10'), ['VirtualMachine'], false), ['vm-100', 'vm-101']);
  const bad = await fault(client.call('CreateContainerView', host.service.refs.viewManager, { container: vms[0], type: [], recursive: true }));
  assert.equal(bad.faultType, 'InvalidArgument');

  const viewer = new SoapTestClient(host);
  await viewer.login('viewer', 'Viewer-pw-1');
  assert.deepEqual(await viewOf(viewer, host.rootFolder, ['VirtualMachine'], true), ['vm-100', 'vm-102']);
  const direct = await viewer.call('RetrievePropertiesEx', host.service.refs.propertyCollector, {
    specSet: [{ propSet: [{ type: 'VirtualMachine', pathSet: ['name'] }], objectSet: vms.map((obj) => ({ obj })) }], options: {},
  }) as Record<string, any>;
  assert.deepEqual(direct.objects.map((o: any) => o.obj.value), ['vm-100', 'vm-102']);
});

test('pyVmomi folder walk: named SelectionSpecs recursing by name, a cyclic spec ends, skip honoured', async (t) => {
  const host = await startTestHost(t);
  buildInventory(host, 5);
  const client = new SoapTestClient(host);
  await client.login();
  // The spec pyVmomi samples (and vSphere's getAllVms) send: visitFolders refers to itself by name.
  const sel = (name: string) => ({ _type: 'SelectionSpec', name });
  const traversal = (name: string, type: string, path: string, selectSet: unknown[] = []) => ({
    _type: 'TraversalSpec', name, type, path, skip: false, selectSet,
  });
  const visitFolders = traversal('visitFolders', 'Folder', 'childEntity', [
    sel('visitFolders'), sel('dcToVmf'), sel('dcToHf'), sel('crToH'),
  ]);
  const spec = {
    propSet: [{ type: 'VirtualMachine', pathSet: ['name'] }, { type: 'HostSystem', pathSet: ['name'] }],
    objectSet: [{
      obj: host.rootFolder, skip: false,
      selectSet: [
        visitFolders,
        traversal('dcToVmf', 'Datacenter', 'vmFolder', [sel('visitFolders')]),
        traversal('dcToHf', 'Datacenter', 'hostFolder', [sel('visitFolders')]),
        traversal('crToH', 'ComputeResource', 'host'),
      ],
    }],
  };
  const objects = await client.call('RetrieveProperties', host.service.refs.propertyCollector, { specSet: [spec] }) as any[];
  assert.deepEqual(objects.map((o) => o.obj.value).sort(), ['host-10', 'vm-100', 'vm-101', 'vm-102', 'vm-103', 'vm-104']);

  const undefinedName = await fault(client.call('RetrieveProperties', host.service.refs.propertyCollector, {
    specSet: [{ ...spec, objectSet: [{ obj: host.rootFolder, selectSet: [sel('nowhere')] }] }],
  }));
  assert.equal(undefinedName.faultType, 'InvalidArgument');
});

test('missing objects: ManagedObjectNotFound, or a missingSet entry when reportMissingObjectsInResults', async (t) => {
  const host = await startTestHost(t);
  buildInventory(host, 1);
  const client = new SoapTestClient(host);
  await client.login();
  const ghost = moref('VirtualMachine', 'vm-999');
  const spec = (report?: boolean) => ({
    propSet: [{ type: 'VirtualMachine', pathSet: ['name'] }],
    objectSet: [{ obj: moref('VirtualMachine', 'vm-100') }, { obj: ghost }],
    reportMissingObjectsInResults: report,
  });
  const refused = await fault(client.call('RetrievePropertiesEx', host.service.refs.propertyCollector, { specSet: [spec()], options: {} }));
  assert.equal(refused.faultType, 'ManagedObjectNotFound');
  assert.deepEqual(refused.fault.obj, ghost);
  assert.match(refused.faultString, /vim\.VirtualMachine:vm-999/);
  const reported = await client.call('RetrievePropertiesEx', host.service.refs.propertyCollector, { specSet: [spec(true)], options: {} }) as any;
  assert.equal(reported.objects.length, 2);
  assert.equal(reported.objects[1].missingSet[0].fault.fault._type, 'ManagedObjectNotFound');
  const none = await client.call('RetrievePropertiesEx', host.service.refs.propertyCollector, {
    specSet: [{ propSet: [{ type: 'HostSystem', pathSet: ['name'] }], objectSet: [{ obj: moref('VirtualMachine', 'vm-100') }] }], options: {},
  });
  assert.equal(none, undefined, 'no PropertySpec for the type: an empty RetrievePropertiesExResponse');
});

test('WaitForUpdatesEx: initial state, wakes on a task finishing, maxWaitSeconds 0 answers at once, Cancel', async (t) => {
  const host = await startTestHost(t);
  const client = new SoapTestClient(host);
  await client.login();
  const vm = moref('VirtualMachine', 'vm-16');
  host.directory.add(new FakeObject(vm, { name: 'web01' }, host.rootFolder));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const call: SoapCall = { methodName: 'CreateSnapshot_Task', target: vm, args: {}, session: { key: 'k', userName: 'backup' } };
  const task = host.service.tasks.start(call, vm, 'VirtualMachine.createSnapshot', async () => {
    await gate;
    return moref('VirtualMachineSnapshot', 'snapshot-1');
  });
  const pc = await client.call('CreatePropertyCollector', host.service.refs.propertyCollector) as ManagedObjectReference;
  const filter = await client.call('CreateFilter', pc, {
    spec: { propSet: [{ type: 'Task', pathSet: ['info.state', 'info.result'] }], objectSet: [{ obj: task }] }, partialUpdates: false,
  }) as ManagedObjectReference;
  await new Promise((r) => setTimeout(r, 20));
  const initial = await client.call('WaitForUpdatesEx', pc, { version: '', options: { maxWaitSeconds: 5 } }) as any;
  assert.equal(initial.filterSet[0].filter.value, filter.value);
  const enter = initial.filterSet[0].objectSet[0];
  assert.equal(enter.kind, 'enter');
  assert.deepEqual(enter.changeSet.map((c: any) => [c.name, c.op, c.val?.value]), [['info.state', 'assign', 'running']]);

  const nothing = await client.call('WaitForUpdatesEx', pc, { version: initial.version, options: { maxWaitSeconds: 0 } });
  assert.equal(nothing, undefined);

  const waiting = client.call('WaitForUpdatesEx', pc, { version: initial.version, options: { maxWaitSeconds: 20 } });
  setTimeout(() => release(), 50);
  const update = await waiting as any;
  const modify = update.filterSet[0].objectSet[0];
  assert.equal(modify.kind, 'modify');
  const changes = Object.fromEntries(modify.changeSet.map((c: any) => [c.name, c.val]));
  assert.equal(changes['info.state'].value, 'success');
  assert.deepEqual(changes['info.result'], moref('VirtualMachineSnapshot', 'snapshot-1'));
  assert.notEqual(update.version, initial.version);

  const stale = await fault(client.call('WaitForUpdatesEx', pc, { version: initial.version, options: { maxWaitSeconds: 0 } }));
  assert.equal(stale.faultType, 'InvalidCollectorVersion');

  // A second connection of the same session cancels the wait.
  const second = new SoapTestClient(host);
  second.cookie = client.cookie;
  const cancelled = fault(client.call('WaitForUpdatesEx', pc, { version: update.version, options: { maxWaitSeconds: 20 } }));
  // The wait may reach the host after a first cancel on a loaded machine: cancel until it ends.
  let ended = false;
  void cancelled.finally(() => { ended = true; });
  while (!ended) {
    await second.call('CancelWaitForUpdates', pc);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await cancelled).faultType, 'RequestCanceled');
  await client.call('DestroyPropertyFilter', filter);
  await client.call('DestroyPropertyCollector', pc);
  assert.equal((await fault(client.call('WaitForUpdatesEx', pc, { options: { maxWaitSeconds: 0 } }))).faultType, 'ManagedObjectNotFound');
});

test('nested paths typed by the managed-type registry; unknown paths are InvalidProperty; all:true', async (t) => {
  const host = await startTestHost(t);
  buildInventory(host, 1);
  const vm = moref('VirtualMachine', 'vm-100');
  const object = host.directory.lookup(vm) as FakeObject;
  object.props.runtime = {
    _type: 'VirtualMachineRuntimeInfo', host: moref('HostSystem', 'host-10'), connectionState: 'connected', powerState: 'poweredOn',
    faultToleranceState: 'notConfigured', toolsInstallerMounted: false, numMksConnections: 0,
  };
  const client = new SoapTestClient(host);
  await client.login();
  const result = await client.retrieve(vm, ['runtime.powerState', 'runtime.host', 'runtime.bootTime', 'name']) as any;
  const props = Object.fromEntries(result.objects[0].propSet.map((p: any) => [p.name, p.val]));
  assert.deepEqual(props['runtime.powerState'], { _type: 'VirtualMachinePowerState', value: 'poweredOn' });
  assert.deepEqual(props['runtime.host'], moref('HostSystem', 'host-10'));
  assert.equal('runtime.bootTime' in props, false, 'an unset property is left out');
  assert.match(client.lastBody, /<val xsi:type="VirtualMachinePowerState">poweredOn<\/val>/);
  assert.match(client.lastBody, /<val type="HostSystem" xsi:type="ManagedObjectReference">host-10<\/val>/);

  const invalid = await fault(client.retrieve(vm, ['name', 'runtime.noSuchField']));
  assert.equal(invalid.faultType, 'InvalidProperty');
  assert.equal(invalid.fault.name, 'runtime.noSuchField');

  const all = await client.call('RetrievePropertiesEx', host.service.refs.propertyCollector, {
    specSet: [{ propSet: [{ type: 'Folder', all: true }], objectSet: [{ obj: moref('Folder', 'group-v3') }] }], options: {},
  }) as any;
  const names = all.objects[0].propSet.map((p: any) => p.name);
  assert.deepEqual(names.sort(), ['childEntity', 'name']);
  assert.match(client.lastBody, /<val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="VirtualMachine">vm-100<\/ManagedObjectReference><\/val>/);
});

test('WaitForUpdatesEx: maxObjectUpdates truncates and the rest follows; a logout takes the session\'s views and filters', async (t) => {
  const host = await startTestHost(t);
  buildInventory(host, 5);
  const client = new SoapTestClient(host);
  await client.login();
  const view = await client.call('CreateContainerView', host.service.refs.viewManager, {
    container: host.rootFolder, type: ['VirtualMachine'], recursive: true,
  }) as ManagedObjectReference;
  const pc = host.service.refs.propertyCollector;
  const filter = await client.call('CreateFilter', pc, { spec: containerViewSpec(view, 'VirtualMachine', ['name']), partialUpdates: false }) as ManagedObjectReference;
  const first = await client.call('WaitForUpdatesEx', pc, { version: '', options: { maxWaitSeconds: 0, maxObjectUpdates: 3 } }) as any;
  assert.equal(first.truncated, true);
  assert.equal(first.filterSet[0].objectSet.length, 3);
  const rest = await client.call('WaitForUpdatesEx', pc, { version: first.version, options: { maxWaitSeconds: 0, maxObjectUpdates: 3 } }) as any;
  assert.equal(rest.truncated, undefined);
  assert.deepEqual(rest.filterSet[0].objectSet.map((o: any) => [o.kind, o.obj.value]), [['enter', 'vm-103'], ['enter', 'vm-104']]);

  // A VM renamed and one removed from its folder: modify and leave.
  const renamed = host.directory.lookup(moref('VirtualMachine', 'vm-100')) as FakeObject;
  renamed.props = { ...renamed.props, name: 'renamed' };
  const folder = host.directory.lookup(moref('Folder', 'group-v3')) as FakeObject;
  folder.props = { ...folder.props, childEntity: (folder.props.childEntity as ManagedObjectReference[]).filter((r) => r.value !== 'vm-104') };
  host.service.notifier.notify(folder.ref);
  const changed = await client.call('WaitForUpdatesEx', pc, { version: rest.version, options: { maxWaitSeconds: 5 } }) as any;
  assert.deepEqual(changed.filterSet[0].objectSet.map((o: any) => [o.kind, o.obj.value]), [['modify', 'vm-100'], ['leave', 'vm-104']]);
  assert.deepEqual(changed.filterSet[0].objectSet[0].changeSet, [{ _type: 'PropertyChange', name: 'name', op: 'assign', val: { _type: 'string', value: 'renamed' } }]);

  await client.call('Logout', host.service.refs.sessionManager);
  const again = new SoapTestClient(host);
  await again.login();
  assert.equal((await fault(again.retrieve(view, ['view']))).faultType, 'ManagedObjectNotFound');
  assert.equal((await fault(again.call('DestroyPropertyFilter', filter))).faultType, 'ManagedObjectNotFound');
});
