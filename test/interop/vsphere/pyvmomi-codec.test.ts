import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeRequest, encodeFault, encodeResponse } from '../../../src/vsphere/soap-codec.js';
import { typeForClient, type WriteOptions } from '../../../src/vsphere/vim-value-codec.js';
import { moref, vimTypes, type DataObject } from '../../../src/vsphere/vim-types.js';

// pyVmomi 6.7.1 (Debian python3-pyvmomi) judges what the codec writes: every data object type, at
// full size, written for a client that declared urn:vim25/6.7.1, must be read by pyVmomi's own
// deserializer, which refuses any field or type its tables do not hold; and real pyVmomi requests
// must decode. The script lives next to this file (the .ts is compiled to dist/, the .py is not).

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../../test/interop/vsphere/pyvmomi-codec.py', import.meta.url));
const PYVMOMI_VERSION: WriteOptions = { apiVersion: '6.7.1' };

interface Answer { ok: boolean; type?: string; error?: string; requests?: Record<string, string>; name?: string }

/** One long-lived python process answering one JSON line per request, in order. */
class PyVmomi {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(a: Answer) => void> = [];

  constructor() {
    this.child = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as Answer));
  }

  ask(request: Record<string, unknown>): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

async function pyVmomiPresent(t: TestContext): Promise<boolean> {
  const present = await access(PYTHON).then(() => new Promise<boolean>((resolve) => {
    const probe = spawn(PYTHON, ['-c', 'import pyVmomi'], { stdio: 'ignore' });
    probe.on('exit', (code) => resolve(code === 0)).on('error', () => resolve(false));
  }), () => false);
  if (present) return true;
  if (process.env.VIXDISK_REQUIRE_PEERS === '1') assert.fail('pyVmomi is required (VIXDISK_REQUIRE_PEERS=1): install python3-pyvmomi');
  t.skip('pyVmomi not installed: install python3-pyvmomi (Debian) to run this interop test');
  return false;
}

// Sample values pyVmomi accepts for any declared type: a string that is also a valid type name and
// property path, small numbers, one item per array; optional fields down to depth 3.
const PRIMITIVE_SAMPLES: Record<string, unknown> = {
  string: 'VirtualMachine', int: 1, long: 2 ** 40, short: 3, byte: -4, boolean: true, double: 1.5, float: 0.5,
  dateTime: new Date('2026-01-01T10:00:00.000Z'), base64Binary: Buffer.from([1, 2, 255]),
};

function sample(type: string, depth: number): unknown {
  if (type in PRIMITIVE_SAMPLES) return PRIMITIVE_SAMPLES[type];
  if (type === 'ManagedObjectReference') return moref('VirtualMachine', 'vm-1');
  if (type === 'anyType') return { _type: 'int', value: 7 };
  const def = vimTypes.get(type)!;
  if (def.kind === 'enum') return def.values[0];
  const value: DataObject = { _type: type };
  for (const field of vimTypes.dataObjectType(type)!.fields) {
    if (field.optional && depth >= 3) continue;
    // A fault inside a data object goes through LocalizedMethodFault, which pyVmomi reads specially.
    const fieldType = vimTypes.isA(field.type, 'MethodFault') ? 'InvalidArgument' : field.type;
    value[field.name] = field.array ? [sample(fieldType, depth + 1)] : sample(fieldType, depth + 1);
  }
  return value;
}

function inRetrieveResult(value: unknown, options: WriteOptions): string {
  return encodeResponse('RetrievePropertiesEx', {
    _type: 'RetrieveResult',
    objects: [{ _type: 'ObjectContent', obj: moref('VirtualMachine', 'vm-1'), propSet: [{ _type: 'DynamicProperty', name: 'p', val: value }] }],
  }, options);
}

describe('pyVmomi 6.7.1 reads what the codec writes for it, and its requests decode', () => {
  let py: PyVmomi | undefined;
  let present = false;
  before(async () => {
    present = await access(PYTHON).then(() => true, () => false);
    if (present) py = new PyVmomi();
  });
  after(() => py?.close());

  it('every data object type at full size, written for urn:vim25/6.7.1, is read by pyVmomi as the type it knows', async (t) => {
    if (!present || !(await pyVmomiPresent(t))) return;
    const names = vimTypes.names().filter((n) => vimTypes.get(n)!.kind === 'data' && !vimTypes.isA(n, 'MethodFault'));
    const failures: string[] = [];
    let narrowed = 0;
    for (const name of names) {
      // Not in any WSDL; and pyVmomi reads a LocalizedMethodFault as the fault it carries.
      if (['InternalServiceInstanceContent', 'DisabledMethodRequest', 'LocalizedMethodFault'].includes(name)) continue;
      const expected = typeForClient(name, 'DynamicData', PYVMOMI_VERSION);
      if (expected !== name) narrowed++;
      if (expected === 'DynamicData') continue; // a 7.0+ type with no ancestor an old client knows
      const answer = await py!.ask({ kind: 'val', name, xml: inRetrieveResult(sample(name, 0), PYVMOMI_VERSION) });
      if (!answer.ok) failures.push(`${name}: ${answer.error}`);
      else if (answer.type !== expected) failures.push(`${name}: pyVmomi read a ${answer.type}, expected ${expected}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(names.length > 400 && narrowed > 0, `${names.length} types, ${narrowed} narrowed`);
  });

  it('without the client version, fields pyVmomi 6.7.1 does not know make it fail (why the filter exists)', async (t) => {
    if (!present || !(await pyVmomiPresent(t))) return;
    const disk = { _type: 'VirtualDisk', key: 2000, controllerKey: 1000, unitNumber: 0, capacityInKB: 1024, vDiskVersion: 2 };
    const all = await py!.ask({ kind: 'val', name: 'VirtualDisk', xml: inRetrieveResult(disk, {}) });
    assert.equal(all.ok, false);
    assert.match(all.error!, /vDiskVersion/);
    const filtered = await py!.ask({ kind: 'val', name: 'VirtualDisk', xml: inRetrieveResult(disk, PYVMOMI_VERSION) });
    assert.deepEqual([filtered.ok, filtered.type], [true, 'VirtualDisk']);
  });

  it('every fault type, as a SOAP fault for urn:vim25/6.7.1, is raised by pyVmomi as the fault it knows', async (t) => {
    if (!present || !(await pyVmomiPresent(t))) return;
    const failures: string[] = [];
    const faults = vimTypes.names().filter((n) => vimTypes.isA(n, 'MethodFault'));
    for (const name of faults) {
      const expected = typeForClient(name, 'MethodFault', PYVMOMI_VERSION);
      const xml = encodeFault(sample(name, 1) as DataObject & { _type: string }, 'a fault', 'ServerFaultCode', PYVMOMI_VERSION);
      const answer = await py!.ask({ kind: 'fault', name, xml });
      if (!answer.ok) failures.push(`${name}: ${answer.error}`);
      else if (answer.type !== expected) failures.push(`${name}: pyVmomi raised ${answer.type}, expected ${expected}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(faults.length > 100);
  });

  it('requests exactly as pyVmomi 6.7.1 serializes them decode with their arguments typed', async (t) => {
    if (!present || !(await pyVmomiPresent(t))) return;
    const answer = await py!.ask({ kind: 'requests' });
    assert.ok(answer.ok, answer.error);
    const r = answer.requests!;
    const snapshot = decodeRequest(r.CreateSnapshot_Task!);
    assert.deepEqual([snapshot.method.name, snapshot.this, snapshot.args],
      ['CreateSnapshot_Task', moref('VirtualMachine', 'vm-16'), { name: 'backup-1', description: 'vixdisk backup', memory: false, quiesce: true }]);
    assert.deepEqual(decodeRequest(r.QueryChangedDiskAreas!).args, {
      snapshot: moref('VirtualMachineSnapshot', 'snapshot-45'), deviceKey: 2000, startOffset: 0,
      changeId: '52 f3 b6 37 30 8d ea 3e-58 70 c0 fd 61 44 26 62/4',
    });
    assert.deepEqual(decodeRequest(r.RemoveSnapshot_Task!).args, { removeChildren: false, consolidate: true });
    const reconfig = decodeRequest(r.ReconfigVM_Task!).args.spec as DataObject;
    assert.equal(reconfig.changeTrackingEnabled, true);
    assert.deepEqual(reconfig.deviceChange, [{
      _type: 'VirtualDeviceConfigSpec', operation: 'add',
      device: {
        _type: 'VirtualDisk', key: -201, controllerKey: 1000, unitNumber: 1, capacityInKB: 10485760,
        deviceInfo: { _type: 'Description', label: 'vixdisk-hotadd', summary: '[datastore1] web/web-000001.vmdk' },
        backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore1] web/web-000001.vmdk', diskMode: 'independent_nonpersistent' },
      },
    }]);
    const spec = {
      _type: 'PropertyFilterSpec',
      propSet: [{ _type: 'PropertySpec', type: 'VirtualMachine', pathSet: ['name', 'config.hardware.device', 'snapshot'] }],
      objectSet: [{
        _type: 'ObjectSpec', obj: moref('ContainerView', 'session[52]view-1'), skip: true,
        selectSet: [{ _type: 'TraversalSpec', name: 'traverseEntities', type: 'ContainerView', path: 'view', skip: false }],
      }],
    };
    assert.deepEqual(decodeRequest(r.RetrieveProperties!).args, { specSet: [spec] });
    assert.deepEqual(decodeRequest(r.RetrievePropertiesEx!).args, { specSet: [spec], options: { _type: 'RetrieveOptions', maxObjects: 100 } });
    assert.deepEqual(decodeRequest(r.WaitForUpdatesEx!).args, { version: '1', options: { _type: 'WaitOptions', maxWaitSeconds: 30 } });
  });
});
