import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeResponse, encodeResponse } from '../../src/vsphere/soap-codec.js';
import { managedTypes, propertyType } from '../../src/vsphere/vim-managed-types.js';
import { anyValue, plainValue } from '../../src/vsphere/vim-value-codec.js';
import { moref, PRIMITIVE_TYPES, vimTypes } from '../../src/vsphere/vim-types.js';
import { readXml } from '../../src/vsphere/xml-reader.js';

function known(type: string): boolean {
  return (PRIMITIVE_TYPES as readonly string[]).includes(type) || type === 'anyType'
    || type === 'ManagedObjectReference' || vimTypes.get(type) !== undefined;
}

/** A RetrievePropertiesEx answer carrying `name` = `value` of managed type `type`, through the codec. */
function retrieveThroughWire(type: string, name: string, value: unknown): { val: unknown; xsiType: string | undefined } {
  const field = propertyType(type, name);
  assert.ok(field, `${type}.${name} is a property path`);
  const result = {
    _type: 'RetrieveResult',
    objects: [{
      _type: 'ObjectContent', obj: moref(type, 'obj-1'),
      propSet: [{ _type: 'DynamicProperty', name, val: anyValue(field, value) }],
    }],
  };
  const xml = encodeResponse('RetrievePropertiesEx', result);
  const decoded = decodeResponse('RetrievePropertiesEx', xml) as typeof result;
  const valEl = readXml(xml).children[0]!.children[0]!.children[0]!.children[0]!.children[1]!.children[1]!;
  assert.equal(valEl.name, 'val');
  return { val: plainValue(decoded.objects[0]!.propSet[0]!.val), xsiType: valEl.xsiType?.name };
}

describe('vim-managed-types: managed objects and their properties', () => {
  it('every managed type has a defined base and every property a defined type', () => {
    assert.ok(managedTypes.names().length >= 35);
    for (const name of managedTypes.names()) {
      const type = managedTypes.get(name)!;
      if (type.base !== undefined) assert.ok(managedTypes.get(type.base), `${name}: base ${type.base}`);
      const names = type.properties.map((p) => p.name);
      assert.equal(new Set(names).size, names.length, `${name}: a property declared twice`);
      for (const p of type.properties) assert.ok(known(p.type), `${name}.${p.name}: unknown type ${p.type}`);
    }
  });

  it('inheritance: ManagedEntity properties reach every entity; isA follows bases', () => {
    for (const entity of ['Folder', 'Datacenter', 'ClusterComputeResource', 'HostSystem', 'Datastore', 'VirtualMachine', 'ResourcePool', 'Network']) {
      assert.ok(managedTypes.isA(entity, 'ManagedEntity'), entity);
      for (const p of ['name', 'parent', 'overallStatus', 'disabledMethod', 'effectiveRole', 'availableField']) {
        assert.ok(managedTypes.propertyNames(entity)!.includes(p), `${entity}.${p}`);
      }
    }
    assert.ok(managedTypes.isA('ClusterComputeResource', 'ComputeResource'));
    assert.ok(managedTypes.isA('ContainerView', 'View') && managedTypes.isA('ContainerView', 'ManagedObjectView'));
    assert.ok(managedTypes.isA('Task', 'ExtensibleManagedObject') && !managedTypes.isA('Task', 'ManagedEntity'));
    assert.ok(!managedTypes.isA('Nonexistent', 'ManagedEntity'));
    assert.equal(managedTypes.propertyNames('Nonexistent'), undefined);
    assert.deepEqual(managedTypes.propertyNames('VirtualMachine')!.slice(-17, -12),
      ['capability', 'config', 'layout', 'layoutEx', 'storage']);
    assert.deepEqual(managedTypes.propertyNames('NfcService'), []);
  });

  it('propertyType walks nested paths through data object fields', () => {
    const t = (type: string, path: string): string | undefined => {
      const f = propertyType(type, path);
      return f && `${f.type}${f.array ? '[]' : ''}${f.optional ? '?' : ''}`;
    };
    assert.equal(t('VirtualMachine', 'config.hardware.device'), 'VirtualDevice[]?');
    assert.equal(t('VirtualMachine', 'config.changeTrackingEnabled'), 'boolean?');
    assert.equal(t('VirtualMachine', 'config.uuid'), 'string');
    assert.equal(t('VirtualMachine', 'capability.changeTrackingSupported'), 'boolean');
    assert.equal(t('VirtualMachine', 'runtime.powerState'), 'VirtualMachinePowerState');
    assert.equal(t('VirtualMachine', 'runtime.host'), 'ManagedObjectReference?');
    assert.equal(t('VirtualMachine', 'snapshot'), 'VirtualMachineSnapshotInfo?');
    assert.equal(t('VirtualMachine', 'snapshot.rootSnapshotList'), 'VirtualMachineSnapshotTree[]');
    assert.equal(t('VirtualMachine', 'layoutEx.disk'), 'VirtualMachineFileLayoutExDiskLayout[]?');
    assert.equal(t('VirtualMachine', 'summary.config.name'), 'string');
    assert.equal(t('VirtualMachine', 'name'), 'string');
    assert.equal(t('VirtualMachineSnapshot', 'config.hardware.device'), 'VirtualDevice[]?');
    assert.equal(t('Task', 'info.state'), 'TaskInfoState');
    assert.equal(t('Task', 'info.result'), 'anyType?');
    assert.equal(t('HostSystem', 'config.certificate'), 'byte[]?');
    assert.equal(t('HostSystem', 'summary.config.sslThumbprint'), 'string?');
    assert.equal(t('Datastore', 'summary.url'), 'string');
    // A field only a subtype has: Datastore.info is a DatastoreInfo, `vmfs` is VmfsDatastoreInfo's.
    assert.equal(t('Datastore', 'info.vmfs'), 'HostVmfsVolume?');
    assert.equal(t('ContainerView', 'view'), 'ManagedObjectReference[]?');
    assert.equal(t('Folder', 'childEntity'), 'ManagedObjectReference[]?');
  });

  it('propertyType answers undefined for paths that name nothing (the collector says InvalidProperty)', () => {
    for (const [type, path] of [
      ['VirtualMachine', 'bogus'], ['VirtualMachine', 'config.bogus'], ['VirtualMachine', 'config.hardware.device.key'],
      ['VirtualMachine', 'name.length'], ['VirtualMachine', 'config..uuid'], ['VirtualMachine', ''],
      ['VirtualMachine', 'config.'], ['Nonexistent', 'name'], ['Task', 'info.result.value'],
    ] as const) {
      assert.equal(propertyType(type, path), undefined, `${type} ${path}`);
    }
  });

  it('DynamicProperty.val typed from the declared type: ArrayOfVirtualDevice, enums, primitives, byte arrays', () => {
    const devices = [
      { _type: 'ParaVirtualSCSIController', key: 1000, controllerKey: 100, busNumber: 0, device: [2000], sharedBus: 'noSharing', hotAddRemove: true, scsiCtlrUnitNumber: 7 },
      {
        _type: 'VirtualDisk', key: 2000, controllerKey: 1000, unitNumber: 0, capacityInKB: 1024, capacityInBytes: 1048576,
        backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore1] web/web.vmdk', diskMode: 'persistent' },
      },
    ];
    const read = retrieveThroughWire('VirtualMachine', 'config.hardware.device', devices);
    assert.equal(read.xsiType, 'ArrayOfVirtualDevice');
    assert.deepEqual(read.val, devices);
    assert.deepEqual(retrieveThroughWire('VirtualMachine', 'runtime.powerState', 'poweredOn'),
      { val: 'poweredOn', xsiType: 'VirtualMachinePowerState' });
    assert.deepEqual(retrieveThroughWire('VirtualMachine', 'config.changeTrackingEnabled', true), { val: true, xsiType: 'boolean' });
    assert.deepEqual(retrieveThroughWire('VirtualMachine', 'name', 'web'), { val: 'web', xsiType: 'string' });
    const host = moref('HostSystem', 'host-12');
    assert.deepEqual(retrieveThroughWire('VirtualMachine', 'runtime.host', host), { val: host, xsiType: 'ManagedObjectReference' });
    assert.deepEqual(retrieveThroughWire('Folder', 'childEntity', [host]), { val: [host], xsiType: 'ArrayOfManagedObjectReference' });
    assert.deepEqual(retrieveThroughWire('HostSystem', 'config.certificate', [45, 45, -1, 127]),
      { val: [45, 45, -1, 127], xsiType: 'ArrayOfByte' });
    assert.deepEqual(retrieveThroughWire('HostSystem', 'effectiveRole', [-1, 3]), { val: [-1, 3], xsiType: 'ArrayOfInt' });
    // A data object without _type gets the declared one.
    const read2 = retrieveThroughWire('VirtualMachine', 'summary.quickStats', { overallCpuUsage: 5, guestHeartbeatStatus: 'green' });
    assert.equal(read2.xsiType, 'VirtualMachineQuickStats');
    assert.deepEqual(read2.val, { _type: 'VirtualMachineQuickStats', overallCpuUsage: 5, guestHeartbeatStatus: 'green' });
  });
});
