import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invalidState } from '../../src/host/soap/faults.js';
import type { SoapCall } from '../../src/host/soap/method-handler.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { FakeObject, SoapTestClient, startTestHost } from '../support/soap-test-host.js';

async function taskInfo(client: SoapTestClient, task: ManagedObjectReference): Promise<Record<string, any>> {
  const result = await client.retrieve(task, ['info']) as Record<string, any>;
  return result.objects[0].propSet[0].val;
}

test('tasks: queued/running with progress, then success with the result, visible in recentTask (vCenter task-N)', async (t) => {
  const host = await startTestHost(t);
  const client = new SoapTestClient(host);
  await client.login();
  const vm = moref('VirtualMachine', 'vm-16');
  host.directory.add(new FakeObject(vm, { name: 'web01' }, host.rootFolder));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const call: SoapCall = { methodName: 'CreateSnapshot_Task', target: vm, args: {}, session: { key: 'k', userName: 'backup' } };
  const task = host.service.tasks.start(call, vm, 'VirtualMachine.createSnapshot', async (progress) => {
    progress(40);
    await gate;
    return moref('VirtualMachineSnapshot', 'snapshot-45');
  });
  assert.match(task.value, /^task-\d+$/);
  await new Promise((r) => setTimeout(r, 20));
  const running = await taskInfo(client, task);
  assert.equal(running.state, 'running');
  assert.equal(running.progress, 40);
  assert.equal(running.entityName, 'web01');
  assert.equal(running.descriptionId, 'VirtualMachine.createSnapshot');
  assert.deepEqual(running.reason, { _type: 'TaskReasonUser', userName: 'backup' });
  assert.ok(running.queueTime instanceof Date && running.startTime instanceof Date);
  const cancel = await client.call('CancelTask', task).catch((e: unknown) => e) as SoapFault;
  assert.equal(cancel.faultType, 'NotSupported');

  release();
  await new Promise((r) => setTimeout(r, 20));
  const done = await taskInfo(client, task);
  assert.equal(done.state, 'success');
  assert.deepEqual(done.result, moref('VirtualMachineSnapshot', 'snapshot-45'));
  assert.ok(done.completeTime instanceof Date);
  const recent = await client.retrieve(host.service.tasks.ref, ['recentTask']) as Record<string, any>;
  assert.deepEqual(recent.objects[0].propSet[0].val.value, [task]);
});

test('tasks: a SoapFault becomes info.error, anything else SystemError; ESXi task morefs; finished tasks expire', async (t) => {
  let now = Date.now();
  const host = await startTestHost(t, { personality: 'esxi', task: { retentionMs: 60_000, now: () => now } });
  const client = new SoapTestClient(host);
  await client.login();
  const vm = moref('VirtualMachine', '2');
  host.directory.add(new FakeObject(vm, { name: 'db01' }));
  const call: SoapCall = { methodName: 'CreateSnapshot_Task', target: vm, args: {}, session: { key: 'k', userName: 'backup' } };
  const failed = host.service.tasks.start(call, vm, 'VirtualMachine.createSnapshot', async () => { throw invalidState(); });
  const crashed = host.service.tasks.start(call, vm, 'VirtualMachine.createSnapshot', async () => { throw new Error('disk\nexploded'); });
  assert.match(failed.value, /^haTask-2-vim\.VirtualMachine\.createSnapshot-\d+$/);
  await new Promise((r) => setTimeout(r, 20));
  const one = await taskInfo(client, failed);
  assert.equal(one.state, 'error');
  assert.equal(one.error.fault._type, 'InvalidState');
  assert.equal(one.error.localizedMessage, 'The operation is not allowed in the current state.');
  const two = await taskInfo(client, crashed);
  assert.equal(two.error.fault._type, 'SystemError');
  assert.equal(two.error.fault.reason, 'disk exploded');

  now += 61_000;
  host.service.tasks.start(call, vm, 'VirtualMachine.createSnapshot', async () => undefined);
  const gone = await client.retrieve(failed, ['info']).catch((e: unknown) => e) as SoapFault;
  assert.equal(gone.faultType, 'ManagedObjectNotFound');
});
