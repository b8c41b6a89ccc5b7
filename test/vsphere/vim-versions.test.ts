import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiVersionOfSoapAction, decodeResponse, encodeFault, encodeResponse } from '../../src/vsphere/soap-codec.js';
import { compareApiVersions, typeForClient } from '../../src/vsphere/vim-value-codec.js';
import { moref, parseField, vimTypes } from '../../src/vsphere/vim-types.js';
import { readXml, type XmlElement } from '../../src/vsphere/xml-reader.js';

/** The <val> of the one property in a RetrievePropertiesEx answer. */
function valOf(xml: string): XmlElement {
  return readXml(xml).children[0]!.children[0]!.children[0]!.children[0]!.children[1]!.children[1]!;
}

function retrieveResult(val: unknown, apiVersion?: string): string {
  return encodeResponse('RetrievePropertiesEx', {
    _type: 'RetrieveResult',
    objects: [{ _type: 'ObjectContent', obj: moref('VirtualMachine', 'vm-16'), propSet: [{ _type: 'DynamicProperty', name: 'p', val }] }],
  }, apiVersion === undefined ? {} : { apiVersion });
}

const DISK = {
  _type: 'VirtualDisk', key: 2000, controllerKey: 1000, unitNumber: 0, capacityInKB: 1024, capacityInBytes: 1048576,
  nativeUnmanagedLinkedClone: false, vDiskVersion: 2, guestReadOnly: false,
  backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore1] web/web.vmdk', diskMode: 'persistent' },
};

describe('vim versions: a host writes for the API version its client declared', () => {
  it('field and type versions come from govmomi (7.0 on) and pyVmomi 6.7.1 (before)', () => {
    const field = (type: string, name: string): string | undefined => vimTypes.dataObjectType(type)!.fields.find((f) => f.name === name)!.since;
    assert.equal(field('VirtualDisk', 'capacityInKB'), undefined);
    assert.equal(field('VirtualDisk', 'capacityInBytes'), '5.5');
    assert.equal(field('VirtualDisk', 'nativeUnmanagedLinkedClone'), '6.7');
    assert.equal(field('VirtualDisk', 'vDiskVersion'), '8.0.1.0');
    assert.equal(field('VirtualDisk', 'guestReadOnly'), '8.0.2.0');
    assert.equal(field('TaskInfo', 'progressDetails'), '8.0.1.0');
    assert.equal(field('HostServiceTicket', 'sslCertificate'), '9.0.0.0');
    assert.equal(vimTypes.dataObjectType('RetrieveResult')!.since, '4.0');
    assert.equal(vimTypes.dataObjectType('VirtualMachineConfigInfo')!.since, undefined);
    assert.deepEqual(parseField('a:string?@8.0.1.0'), { name: 'a', type: 'string', array: false, optional: true, since: '8.0.1.0' });
    assert.throws(() => parseField('a:string@8.x'), /bad field spec/);
  });

  it('compares versions numerically and reads SOAPAction as clients send it', () => {
    assert.ok(compareApiVersions('6.7.1', '7.0') < 0);
    assert.equal(compareApiVersions('7.0', '7.0.0.0'), 0);
    assert.ok(compareApiVersions('8.0.10.0', '8.0.2.0') > 0);
    assert.equal(apiVersionOfSoapAction('urn:vim25/6.7.1'), '6.7.1');
    assert.equal(apiVersionOfSoapAction('"urn:vim25/8.0.1.0"'), '8.0.1.0');
    assert.equal(apiVersionOfSoapAction('urn:vim25/7.0'), '7.0');
    assert.equal(apiVersionOfSoapAction('urn:internalvim25/8.0.1.0'), '8.0.1.0');
    for (const bad of [undefined, '', 'urn:vim25', 'urn:vim25/', 'urn:sms/6.0', 'urn:vim25/8.0.1.0.1', 'urn:vim25/x']) {
      assert.equal(apiVersionOfSoapAction(bad), undefined, String(bad));
    }
  });

  it('leaves out fields newer than the client, and nothing without a version', () => {
    const names = (xml: string): string[] => valOf(xml).children.map((c) => c.name);
    assert.ok(names(retrieveResult(DISK)).includes('vDiskVersion'));
    const for671 = names(retrieveResult(DISK, '6.7.1'));
    assert.ok(for671.includes('nativeUnmanagedLinkedClone') && for671.includes('capacityInBytes'));
    assert.ok(!for671.includes('vDiskVersion') && !for671.includes('guestReadOnly'));
    const for801 = names(retrieveResult(DISK, '8.0.1.0'));
    assert.ok(for801.includes('vDiskVersion') && !for801.includes('guestReadOnly'));
    assert.ok(!names(retrieveResult(DISK, '5.1')).includes('capacityInBytes'));
    // What a 6.7.1 client reads back is the disk without the newer fields.
    const back = decodeResponse('RetrievePropertiesEx', retrieveResult(DISK, '6.7.1')) as { objects: Array<{ propSet: Array<{ val: unknown }> }> };
    const { vDiskVersion: _v, guestReadOnly: _g, ...older } = DISK;
    assert.deepEqual(back.objects[0]!.propSet[0]!.val, older);
  });

  it('narrows a type newer than the client to the nearest ancestor it knows, in anyType slots and arrays', () => {
    const dpu = { _type: 'DpuStatusInfo', name: 'dpu0', status: { _type: 'ElementDescription', label: 'Green', summary: 'ok', key: 'green' }, dpuId: 'd0' };
    assert.equal(typeForClient('DpuStatusInfo', 'DynamicData', { apiVersion: '7.0.3.0' }), 'HostHardwareElementInfo');
    assert.equal(typeForClient('DpuStatusInfo', 'DynamicData', { apiVersion: '8.0.0.1' }), 'DpuStatusInfo');
    assert.equal(typeForClient('DpuStatusInfo', 'DynamicData'), 'DpuStatusInfo');
    assert.equal(typeForClient('DpuStatusInfo', 'DpuStatusInfo', { apiVersion: '6.0' }), 'DpuStatusInfo', 'never above the declared type');
    const old = valOf(retrieveResult(dpu, '7.0.3.0'));
    assert.equal(old.xsiType?.name, 'HostHardwareElementInfo');
    assert.deepEqual(old.children.map((c) => c.name), ['name', 'status']);
    assert.equal(valOf(retrieveResult(dpu, '8.0.3.0')).xsiType?.name, 'DpuStatusInfo');
    const list = valOf(retrieveResult({ _type: 'ArrayOfDpuStatusInfo', value: [dpu] }, '7.0.3.0'));
    assert.equal(list.xsiType?.name, 'ArrayOfHostHardwareElementInfo');
    assert.equal(list.children[0]!.name, 'HostHardwareElementInfo');
  });

  it('a fault detail names a type the client knows, and leaves out newer fields', () => {
    const fault = {
      _type: 'NoPermission', object: moref('VirtualMachine', 'vm-16'), privilegeId: 'VirtualMachine.State.CreateSnapshot',
      missingPrivileges: [{ _type: 'NoPermissionEntityPrivileges', entity: moref('VirtualMachine', 'vm-16'), privilegeIds: ['VirtualMachine.State.CreateSnapshot'] }],
    };
    const detail = (xml: string): XmlElement => readXml(xml).children[0]!.children[0]!.children[2]!.children[0]!;
    const now = detail(encodeFault(fault, 'Permission to perform this operation was denied.'));
    assert.deepEqual(now.children.map((c) => c.name), ['object', 'privilegeId', 'missingPrivileges']);
    const old = detail(encodeFault(fault, 'Permission to perform this operation was denied.', 'ServerFaultCode', { apiVersion: '6.7.1' }));
    assert.equal(old.name, 'NoPermissionFault');
    assert.deepEqual(old.children.map((c) => c.name), ['object', 'privilegeId']);
  });
});
