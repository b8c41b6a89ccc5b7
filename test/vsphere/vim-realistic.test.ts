import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/vsphere/soap-codec.js';
import { managedTypes } from '../../src/vsphere/vim-managed-types.js';
import { vimMethods } from '../../src/vsphere/vim-methods.js';
import { anyValue, plainValue } from '../../src/vsphere/vim-value-codec.js';
import { moref, vimTypes, type DataObject } from '../../src/vsphere/vim-types.js';
import { readXml, type XmlElement } from '../../src/vsphere/xml-reader.js';

// The values a backup reads, shaped as a vCenter 8 sends them, through the whole codec.

const ENVELOPE = '<?xml version="1.0" encoding="UTF-8"?>'
  + '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
  + ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">';
const envelope = (body: string): string => `${ENVELOPE}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const DS = moref('Datastore', 'datastore-11');
const VM = moref('VirtualMachine', 'vm-16');

/** web: disk 1 on VMFS6 (a seSparse delta over a thin base), disk 2 an SE sparse disk with its own parent. */
const CONFIG: DataObject = {
  _type: 'VirtualMachineConfigInfo',
  changeVersion: '2026-01-01T10:01:00.000000Z', modified: new Date('2026-01-01T10:01:00.000Z'), name: 'web',
  guestFullName: 'Debian GNU/Linux 12 (64-bit)', version: 'vmx-20', uuid: '4216a1b2-0c3d-4e5f-8a9b-0c1d2e3f4a5b',
  instanceUuid: '5016a1b2-0c3d-4e5f-8a9b-0c1d2e3f4a5b', changeTrackingEnabled: true, template: false,
  guestId: 'debian12_64Guest', alternateGuestName: '',
  files: { _type: 'VirtualMachineFileInfo', vmPathName: '[datastore1] web/web.vmx', snapshotDirectory: '[datastore1] web/', logDirectory: '[datastore1] web/' },
  flags: { _type: 'VirtualMachineFlagInfo', diskUuidEnabled: true, snapshotPowerOffBehavior: 'powerOff' },
  defaultPowerOps: { _type: 'VirtualMachineDefaultPowerOpInfo', powerOffType: 'soft', defaultPowerOffType: 'soft' },
  hardware: {
    _type: 'VirtualHardware', numCPU: 2, numCoresPerSocket: 1, memoryMB: 2048,
    device: [
      { _type: 'ParaVirtualSCSIController', key: 1000, deviceInfo: { _type: 'Description', label: 'SCSI controller 0', summary: 'VMware paravirtual SCSI' },
        controllerKey: 100, unitNumber: 3, busNumber: 0, device: [2000, 2001], hotAddRemove: true, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 },
      {
        _type: 'VirtualDisk', key: 2000, deviceInfo: { _type: 'Description', label: 'Hard disk 1', summary: '10,485,760 KB' },
        backing: {
          _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore1] web/web-000001.vmdk', datastore: DS, diskMode: 'persistent',
          split: false, writeThrough: false, thinProvisioned: true, uuid: '6000C29a-1111-2222-3333-444455556666',
          contentId: '8d6c0f5e4a2b1c3d9e8f7a6b5c4d3e2f', changeId: '52 f3 b6 37 30 8d ea 3e-58 70 c0 fd 61 44 26 62/4',
          parent: {
            _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '[datastore1] web/web.vmdk', datastore: DS, diskMode: 'persistent',
            thinProvisioned: true, uuid: '6000C29a-1111-2222-3333-444455556666', contentId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
          },
          deltaDiskFormat: 'seSparseFormat', digestEnabled: false, deltaGrainSize: 8, sharing: 'sharingNone',
        },
        controllerKey: 1000, unitNumber: 0, capacityInKB: 10485760, capacityInBytes: 10737418240,
        storageIOAllocation: { _type: 'StorageIOAllocationInfo', limit: -1, shares: { _type: 'SharesInfo', shares: 1000, level: 'normal' }, reservation: 0 },
      },
      {
        _type: 'VirtualDisk', key: 2001, deviceInfo: { _type: 'Description', label: 'Hard disk 2', summary: '1,048,576 KB' },
        backing: {
          _type: 'VirtualDiskSeSparseBackingInfo', fileName: '[datastore1] web/web_1-000001.vmdk', datastore: DS, diskMode: 'persistent',
          writeThrough: false, uuid: '6000C29b-7777-8888-9999-aaaabbbbcccc', changeId: '52 0a 1b 2c 3d 4e 5f 60-71 82 93 a4 b5 c6 d7 e8/9',
          parent: { _type: 'VirtualDiskSeSparseBackingInfo', fileName: '[datastore1] web/web_1.vmdk', datastore: DS, diskMode: 'persistent', grainSize: 4 },
          deltaDiskFormat: 'seSparseFormat', digestEnabled: false, grainSize: 4,
        },
        controllerKey: 1000, unitNumber: 1, capacityInKB: 1048576, capacityInBytes: 1073741824,
      },
    ],
  },
  cpuAllocation: { _type: 'ResourceAllocationInfo', reservation: 0, expandableReservation: false, limit: -1, shares: { _type: 'SharesInfo', shares: 2000, level: 'normal' } },
  extraConfig: [
    { _type: 'OptionValue', key: 'ctkEnabled', value: { _type: 'string', value: 'TRUE' } },
    { _type: 'OptionValue', key: 'scsi0:0.ctkEnabled', value: { _type: 'string', value: 'TRUE' } },
  ],
  latencySensitivity: { _type: 'LatencySensitivity', level: 'normal' },
};

function throughWire(type: string, path: string, value: unknown): unknown {
  const field = managedTypes.propertyType(type, path)!;
  const xml = encodeResponse('RetrievePropertiesEx', {
    _type: 'RetrieveResult', objects: [{ _type: 'ObjectContent', obj: VM, propSet: [{ _type: 'DynamicProperty', name: path, val: anyValue(field, value) }] }],
  });
  const result = decodeResponse('RetrievePropertiesEx', xml) as { objects: Array<{ propSet: Array<{ val: unknown }> }> };
  return plainValue(result.objects[0]!.propSet[0]!.val);
}

/** Children of `el` in declared field order (the WSDL's), recursively. */
function assertFieldOrder(el: XmlElement, typeName: string): void {
  const fields = vimTypes.dataObjectType(typeName)!.fields;
  let at = 0;
  for (const child of el.children) {
    const index = fields.findIndex((f) => f.name === child.name);
    assert.ok(index >= at, `${typeName}: <${child.name}> out of order`);
    at = index;
    const childType = child.xsiType?.name ?? fields[index]!.type;
    if (vimTypes.dataObjectType(childType)) assertFieldOrder(child, childType);
  }
}

describe('vim25 values a backup reads, end to end', () => {
  it('a VirtualMachineConfigInfo with a seSparse-delta disk and an SE sparse disk round-trips, in WSDL order', () => {
    assert.deepStrictEqual(throughWire('VirtualMachine', 'config', CONFIG), CONFIG);
    const xml = encodeResponse('RetrievePropertiesEx', {
      _type: 'RetrieveResult', objects: [{ _type: 'ObjectContent', obj: VM, propSet: [{ _type: 'DynamicProperty', name: 'config', val: CONFIG }] }],
    });
    const val = readXml(xml).children[0]!.children[0]!.children[0]!.children[0]!.children[1]!.children[1]!;
    assert.equal(val.xsiType?.name, 'VirtualMachineConfigInfo');
    assertFieldOrder(val, 'VirtualMachineConfigInfo');
    // Backings carry xsi:type (the declared type is the VirtualDeviceBackingInfo base); a parent does not need it.
    assert.match(xml, /<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>\[datastore1\] web\/web-000001\.vmdk<\/fileName><datastore type="Datastore">datastore-11<\/datastore><diskMode>persistent<\/diskMode>/);
    assert.match(xml, /<parent><fileName>\[datastore1\] web\/web\.vmdk<\/fileName>/);
    assert.match(xml, /<device xsi:type="VirtualDisk"><key>2001<\/key>/);
    // The same devices as `config.hardware.device`, typed ArrayOfVirtualDevice.
    const devices = (CONFIG.hardware as DataObject).device;
    assert.deepStrictEqual(throughWire('VirtualMachineSnapshot', 'config.hardware.device', devices), devices);
  });

  it('a TaskInfo that failed, with its LocalizedMethodFault, and one that returned a snapshot moref', () => {
    const failed = {
      _type: 'TaskInfo', key: 'task-1234', task: moref('Task', 'task-1234'), name: 'CreateSnapshot_Task',
      descriptionId: 'VirtualMachine.createSnapshot', entity: VM, entityName: 'web', state: 'error', cancelled: false, cancelable: false,
      error: {
        _type: 'LocalizedMethodFault',
        fault: { _type: 'InvalidPowerState', requestedState: 'poweredOn', existingState: 'poweredOff' },
        localizedMessage: 'The attempted operation cannot be performed in the current state (Powered off).',
      },
      reason: { _type: 'TaskReasonUser', userName: 'VSPHERE.LOCAL\\backup' },
      queueTime: new Date('2026-01-01T10:01:00.000Z'), startTime: new Date('2026-01-01T10:01:00.010Z'),
      completeTime: new Date('2026-01-01T10:01:00.500Z'), eventChainId: 987,
    };
    assert.deepStrictEqual(throughWire('Task', 'info', failed), failed);
    const done = { ...failed, state: 'success', error: undefined, result: moref('VirtualMachineSnapshot', 'snapshot-45'), progress: 100 };
    delete (done as Partial<typeof done>).error;
    assert.deepStrictEqual(throughWire('Task', 'info', done), done);
    assert.deepStrictEqual(throughWire('Task', 'info.state', 'success'), 'success');
    assert.deepStrictEqual(throughWire('Task', 'info.error', failed.error), failed.error);
  });

  it('an UpdateSet from WaitForUpdatesEx: modify with assign and unset, enter, leave, a missing object', () => {
    const update = {
      _type: 'UpdateSet', version: '3',
      filterSet: [{
        _type: 'PropertyFilterUpdate', filter: moref('PropertyFilter', 'session[52]filter-1'),
        objectSet: [
          {
            _type: 'ObjectUpdate', kind: 'modify', obj: moref('Task', 'task-1234'),
            changeSet: [
              { _type: 'PropertyChange', name: 'info.state', op: 'assign', val: anyValue(managedTypes.propertyType('Task', 'info.state')!, 'running') },
              { _type: 'PropertyChange', name: 'info.progress', op: 'assign', val: { _type: 'int', value: 40 } },
              { _type: 'PropertyChange', name: 'info.error', op: 'assign' },
            ],
          },
          {
            _type: 'ObjectUpdate', kind: 'enter', obj: VM,
            changeSet: [{ _type: 'PropertyChange', name: 'snapshot', op: 'assign', val: {
              _type: 'VirtualMachineSnapshotInfo', currentSnapshot: moref('VirtualMachineSnapshot', 'snapshot-45'),
              rootSnapshotList: [{
                _type: 'VirtualMachineSnapshotTree', snapshot: moref('VirtualMachineSnapshot', 'snapshot-45'), vm: VM, name: 'backup',
                description: '', id: 3, createTime: new Date('2026-01-01T10:01:00.000Z'), state: 'poweredOff', quiesced: true,
                replaySupported: false,
              }],
            } }],
          },
          { _type: 'ObjectUpdate', kind: 'leave', obj: moref('VirtualMachine', 'vm-17') },
        ],
        missingSet: [{
          _type: 'MissingObject', obj: moref('VirtualMachine', 'vm-999'),
          fault: { _type: 'LocalizedMethodFault', fault: { _type: 'ManagedObjectNotFound', obj: moref('VirtualMachine', 'vm-999') } },
        }],
      }],
      truncated: false,
    };
    const xml = encodeResponse('WaitForUpdatesEx', update);
    assert.deepStrictEqual(decodeResponse('WaitForUpdatesEx', xml), update);
    assert.match(xml, /<val xsi:type="TaskInfoState">running<\/val>/);
    assert.match(xml, /<changeSet><name>info\.error<\/name><op>assign<\/op><\/changeSet>/);
    assert.equal(decodeResponse('WaitForUpdatesEx', encodeResponse('WaitForUpdatesEx')), undefined, 'a timed-out wait returns nothing');
  });

  it('DiskChangeInfo, HostServiceTicket and the internal content decode as the reference shows them', () => {
    const changes = decodeResponse('QueryChangedDiskAreas', envelope('<QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval>'
      + '<startOffset>0</startOffset><length>10737418240</length>'
      + '<changedArea><start>3932160</start><length>65536</length></changedArea>'
      + '<changedArea><start>51183616</start><length>4259840</length></changedArea></returnval></QueryChangedDiskAreasResponse>'));
    assert.deepStrictEqual(changes, {
      _type: 'DiskChangeInfo', startOffset: 0, length: 10737418240,
      changedArea: [{ _type: 'DiskChangeExtent', start: 3932160, length: 65536 }, { _type: 'DiskChangeExtent', start: 51183616, length: 4259840 }],
    });
    const ticket = decodeResponse('NfcGetVmFiles', envelope('<NfcGetVmFilesResponse xmlns="urn:vim25"><returnval>'
      + '<host>10.11.12.13</host><port>902</port><sslThumbprint>BE:22:58</sslThumbprint><service>vpxa-nfc</service>'
      + '<serviceVersion>1.1</serviceVersion><sessionId>52cdebc5-b7ee-359a-1dec-76f0bc105ac5</sessionId></returnval></NfcGetVmFilesResponse>'));
    assert.deepStrictEqual(ticket, {
      _type: 'HostServiceTicket', host: '10.11.12.13', port: 902, sslThumbprint: 'BE:22:58', service: 'vpxa-nfc',
      serviceVersion: '1.1', sessionId: '52cdebc5-b7ee-359a-1dec-76f0bc105ac5',
    });
    assert.deepStrictEqual(decodeResponse('RetrieveInternalContent', envelope('<RetrieveInternalContentResponse xmlns="urn:vim25"><returnval>'
      + '<nfcService type="NfcService">nfcService</nfcService></returnval></RetrieveInternalContentResponse>')),
    { _type: 'InternalServiceInstanceContent', nfcService: moref('NfcService', 'nfcService') });
  });

  it('the internal methods: namespaces as clients send them, parameters as the reference shows them', () => {
    const am = moref('AuthorizationManager', 'AuthorizationManager');
    const disable = encodeRequest('DisableMethods', am, {
      entity: [VM], method: [{ _type: 'DisabledMethodRequest', method: 'RelocateVM_Task', reasonId: 'vixdisk backup' }], sourceId: 'vixdisk',
    });
    assert.match(disable, /<DisableMethods xmlns="urn:internalvim25"><_this type="AuthorizationManager">AuthorizationManager<\/_this><entity type="VirtualMachine">vm-16<\/entity><method><method>RelocateVM_Task<\/method><reasonId>vixdisk backup<\/reasonId><\/method><sourceId>vixdisk<\/sourceId><\/DisableMethods>/);
    assert.deepStrictEqual(decodeRequest(disable).args.method, [{ _type: 'DisabledMethodRequest', method: 'RelocateVM_Task', reasonId: 'vixdisk backup' }]);
    const enable = decodeRequest(envelope('<EnableMethods xmlns="urn:internalvim25"><_this type="AuthorizationManager">AuthorizationManager</_this>'
      + '<entity type="VirtualMachine">vm-16</entity><method>RelocateVM_Task</method><sourceId>vixdisk</sourceId></EnableMethods>'));
    assert.deepStrictEqual(enable.args, { entity: [VM], method: ['RelocateVM_Task'], sourceId: 'vixdisk' });
    // NfcService calls: VDDK sends urn:vim25; urn:nfc is accepted for them and for nothing else.
    const open = (ns: string, name = 'NfcRandomAccessOpenDisk'): string => envelope(`<${name} xmlns="${ns}"><_this type="NfcService">nfcService</_this>`
      + `<vm type="VirtualMachine">vm-13098</vm><diskDeviceKey>2000</diskDeviceKey><hostForAccess type="HostSystem">host-13001</hostForAccess></${name}>`);
    for (const ns of ['urn:vim25', 'urn:nfc']) {
      assert.deepStrictEqual(decodeRequest(open(ns)).args, { vm: moref('VirtualMachine', 'vm-13098'), diskDeviceKey: 2000, hostForAccess: moref('HostSystem', 'host-13001') });
    }
    assert.match(encodeRequest('NfcGetVmFiles', moref('NfcService', 'nfcService'), { vm: VM }), /<NfcGetVmFiles xmlns="urn:vim25">/);
    assert.throws(() => decodeRequest(envelope('<Logout xmlns="urn:nfc"><_this type="SessionManager">SessionManager</_this></Logout>')), /namespace 'urn:nfc'/);
    assert.deepStrictEqual(decodeRequest(envelope('<NfcGetServerNfcLibVersion xmlns="urn:vim25"><_this type="NfcService">nfcService</_this></NfcGetServerNfcLibVersion>')).args, {},
      'hostForAccess absent reaches the handler, which answers InvalidArgument');
  });

  it('every method the host serves is defined, with a receiver the managed types know', () => {
    for (const name of [
      'RetrieveServiceContent', 'CurrentTime', 'Login', 'Logout', 'SessionIsActive', 'AcquireCloneTicket', 'CloneSession',
      'AcquireGenericServiceTicket', 'RetrieveProperties', 'RetrievePropertiesEx', 'ContinueRetrievePropertiesEx',
      'CancelRetrievePropertiesEx', 'CreateFilter', 'DestroyPropertyFilter', 'WaitForUpdatesEx', 'WaitForUpdates', 'CheckForUpdates',
      'CreatePropertyCollector', 'DestroyPropertyCollector', 'CreateContainerView', 'CreateListView', 'DestroyView', 'FindByUuid',
      'FindByInventoryPath', 'FindChild', 'CreateSnapshot_Task', 'CreateSnapshotEx_Task', 'RemoveSnapshot_Task', 'RemoveAllSnapshots_Task',
      'RevertToSnapshot_Task', 'RevertToCurrentSnapshot_Task', 'ReconfigVM_Task', 'PowerOnVM_Task', 'PowerOffVM_Task',
      'QueryChangedDiskAreas', 'RetrieveInternalContent', 'NfcGetVmFiles', 'NfcRandomAccessOpenDisk', 'NfcRandomAccessOpenReadonly',
      'DisableMethods', 'EnableMethods', 'RetrieveRolePermissions', 'RetrieveEntityPermissions', 'HasPrivilegeOnEntity',
      'FetchUserPrivilegeOnEntities', 'CancelTask',
    ]) {
      const method = vimMethods.get(name);
      assert.ok(method, name);
      assert.ok(managedTypes.get(method.receiver), `${name}: receiver ${method.receiver}`);
    }
    for (const method of vimMethods.values()) assert.ok(managedTypes.get(method.receiver), `${method.name}: receiver ${method.receiver}`);
  });
});
