import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  VIX_E_AUTHENTICATION_FAIL, VIX_E_FAIL, VIX_E_HOST_USER_PERMISSIONS, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND,
} from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { decodeRequest, decodeResponse, encodeFault, encodeRequest, encodeResponse } from '../../src/vsphere/soap-codec.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { moref } from '../../src/vsphere/vim-types.js';

const ENVELOPE = '<?xml version="1.0" encoding="UTF-8"?>'
  + '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
  + ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">';
const envelope = (body: string, header = ''): string => `${ENVELOPE}${header}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

function fails(fn: () => unknown, code: number, pattern: RegExp): VixError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof VixError, `not a VixError: ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
    return err;
  }
  assert.fail('expected a failure');
}

const PC = moref('PropertyCollector', 'propertyCollector');

describe('soap-codec: requests, client to host', () => {
  it('round-trips every starter method with its arguments in declared order', () => {
    const calls: Array<[string, ReturnType<typeof moref>, Record<string, unknown>]> = [
      ['RetrieveServiceContent', moref('ServiceInstance', 'ServiceInstance'), {}],
      ['CurrentTime', moref('ServiceInstance', 'ServiceInstance'), {}],
      ['Login', moref('SessionManager', 'SessionManager'), { userName: 'backup', password: 'p<&>"\'', locale: 'en' }],
      ['Logout', moref('SessionManager', 'ha-sessionmgr'), {}],
      ['SessionIsActive', moref('SessionManager', 'SessionManager'), { sessionID: '52a1', userName: 'backup' }],
      ['RetrievePropertiesEx', PC, {
        specSet: [{
          _type: 'PropertyFilterSpec',
          propSet: [{ _type: 'PropertySpec', type: 'VirtualMachine', all: false, pathSet: ['config.hardware.device', 'runtime.powerState'] }],
          objectSet: [{
            _type: 'ObjectSpec', obj: moref('ContainerView', 'session[52]5'), skip: true,
            selectSet: [{ _type: 'TraversalSpec', name: 'traverseEntities', type: 'ContainerView', path: 'view', skip: false }],
          }],
        }],
        options: { _type: 'RetrieveOptions', maxObjects: 100 },
      }],
      ['ContinueRetrievePropertiesEx', PC, { token: '1' }],
      ['CancelRetrievePropertiesEx', PC, { token: '1' }],
      ['CreateContainerView', moref('ViewManager', 'ViewManager'), { container: moref('Folder', 'group-d1'), type: ['VirtualMachine'], recursive: true }],
      ['DestroyView', moref('ContainerView', 'session[52]5'), {}],
    ];
    for (const [name, target, args] of calls) {
      const xml = encodeRequest(name, target, args);
      const request = decodeRequest(xml);
      assert.equal(request.method.name, name);
      assert.deepStrictEqual(request.this, target);
      assert.deepStrictEqual(request.args, args, name);
    }
    assert.match(encodeRequest('Login', moref('SessionManager', 'SessionManager'), { locale: 'en', password: 'p', userName: 'u' }),
      /<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager<\/_this><userName>u<\/userName><password>p<\/password><locale>en<\/locale><\/Login>/);
  });

  it('decodes a request as govmomi writes it (header, ObjectSpec.selectSet with xsi:type)', () => {
    const xml = envelope('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this>'
      + '<specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet></propSet>'
      + '<objectSet><obj type="ContainerView">session[52b]1</obj><skip>true</skip>'
      + '<selectSet xsi:type="TraversalSpec"><name>traverseEntities</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>'
      + '</objectSet></specSet><options></options></RetrievePropertiesEx>',
    '<soapenv:Header><operationID>d8e1-00ab</operationID></soapenv:Header>');
    const request = decodeRequest(xml);
    assert.deepStrictEqual(request.args, {
      specSet: [{
        _type: 'PropertyFilterSpec',
        propSet: [{ _type: 'PropertySpec', type: 'VirtualMachine', pathSet: ['name'] }],
        objectSet: [{
          _type: 'ObjectSpec', obj: moref('ContainerView', 'session[52b]1'), skip: true,
          selectSet: [{ _type: 'TraversalSpec', name: 'traverseEntities', type: 'ContainerView', path: 'view', skip: false }],
        }],
      }],
      options: { _type: 'RetrieveOptions' },
    });
  });

  it('decodes requests as pyVmomi writes them (its prefix order, newlines, versionId on each parameter)', () => {
    // pyVmomi SoapAdapter.SerializeRequest: envelope with soapenc, soapenv, xsi, xsd, a newline,
    // then each parameter serialized on its own, the first element carrying versionId.
    const pyvmomi = (body: string): string => '<?xml version="1.0" encoding="UTF-8"?>\n'
      + '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
      + ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
      + `<soapenv:Body>${body}</soapenv:Body>\n</soapenv:Envelope>`;
    const login = decodeRequest(pyvmomi('<Login xmlns="urn:vim25"><_this versionId="8.0.1.0" type="SessionManager">ha-sessionmgr</_this>'
      + '<userName versionId="8.0.1.0">backup</userName><password versionId="8.0.1.0">s3cret</password></Login>'));
    assert.deepStrictEqual(login.this, moref('SessionManager', 'ha-sessionmgr'));
    assert.deepStrictEqual(login.args, { userName: 'backup', password: 's3cret' });
    const rpe = decodeRequest(pyvmomi('<RetrievePropertiesEx xmlns="urn:vim25"><_this versionId="8.0.1.0" type="PropertyCollector">ha-property-collector</_this>'
      + '<specSet><propSet><type>VirtualMachine</type><all>false</all><pathSet>name</pathSet><pathSet>runtime.powerState</pathSet></propSet>'
      + '<objectSet><obj type="ContainerView">session[52c]2</obj><skip>true</skip>'
      + '<selectSet xsi:type="TraversalSpec"><name>traverseEntities</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>'
      + '</objectSet></specSet><options versionId="8.0.1.0"></options></RetrievePropertiesEx>'));
    assert.deepStrictEqual(rpe.args.options, { _type: 'RetrieveOptions' });
    assert.deepStrictEqual((rpe.args.specSet as Array<{ objectSet: unknown[] }>)[0]!.objectSet[0], {
      _type: 'ObjectSpec', obj: moref('ContainerView', 'session[52c]2'), skip: true,
      selectSet: [{ _type: 'TraversalSpec', name: 'traverseEntities', type: 'ContainerView', path: 'view', skip: false }],
    });
  });

  it('accepts other prefixes, indentation and prefixed xsi:type values', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n'
      + '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"\n'
      + '  xmlns:xs="http://www.w3.org/2001/XMLSchema"\n'
      + '  xmlns:i="http://www.w3.org/2001/XMLSchema-instance">\n'
      + '<S:Header><operationID>op-1</operationID></S:Header>\n'
      + '<S:Body>\n'
      + '<v:CreateContainerView xmlns:v="urn:vim25">\n'
      + '  <v:_this type="ViewManager">ViewManager</v:_this>\n'
      + '  <v:container type="Folder" i:type="v:ManagedObjectReference">group-d1</v:container>\n'
      + '  <v:type i:type="xs:string">VirtualMachine</v:type>\n'
      + '  <v:type>HostSystem</v:type>\n'
      + '  <v:recursive>1</v:recursive>\n'
      + '</v:CreateContainerView>\n'
      + '</S:Body>\n</S:Envelope>';
    const request = decodeRequest(xml);
    assert.equal(request.method.name, 'CreateContainerView');
    assert.deepStrictEqual(request.args, { container: moref('Folder', 'group-d1'), type: ['VirtualMachine', 'HostSystem'], recursive: true });
  });

  it('refuses an unknown method, wrong namespaces and a missing _this, each precisely', () => {
    fails(() => decodeRequest(envelope('<FormatDisk xmlns="urn:vim25"><_this type="X">x</_this></FormatDisk>')),
      VIX_E_INVALID_ARG, /SOAP: FormatDisk: unknown method 'FormatDisk'/);
    fails(() => decodeRequest(envelope('<Logout xmlns="urn:evil"><_this type="SessionManager">s</_this></Logout>')),
      VIX_E_INVALID_ARG, /method element in namespace 'urn:evil', not urn:vim25/);
    fails(() => decodeRequest('<Envelope xmlns="urn:vim25"><Body/></Envelope>'),
      VIX_E_INVALID_ARG, /root element <Envelope> in 'urn:vim25' is not a SOAP 1.1 Envelope/);
    fails(() => decodeRequest(envelope('')), VIX_E_INVALID_ARG, /0 elements in Body \(want exactly one\)/);
    fails(() => decodeRequest(envelope('<Logout xmlns="urn:vim25"/>')), VIX_E_INVALID_ARG, /Logout: _this must come first/);
    fails(() => decodeRequest(envelope('<Logout xmlns="urn:vim25"><_this>s</_this></Logout>')),
      VIX_E_INVALID_ARG, /Logout._this: ManagedObjectReference without its type attribute/);
  });

  it('refuses wrong types, missing, repeated and unknown parameters', () => {
    const rpe = (options: string, specSet = '<specSet><propSet><type>VirtualMachine</type></propSet><objectSet><obj type="VirtualMachine">vm-1</obj></objectSet></specSet>'): string =>
      envelope(`<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">pc</_this>${specSet}${options}</RetrievePropertiesEx>`);
    fails(() => decodeRequest(rpe('<options><maxObjects>ten</maxObjects></options>')),
      VIX_E_INVALID_ARG, /RetrievePropertiesEx\.options\.maxObjects: 'ten' is not an xsd:int/);
    fails(() => decodeRequest(rpe('<options><maxObjects>4294967296</maxObjects></options>')),
      VIX_E_INVALID_ARG, /maxObjects: 4294967296 is out of range for xsd:int/);
    fails(() => decodeRequest(rpe('<options/>', '<specSet><propSet><type>VirtualMachine</type><all>yes</all></propSet><objectSet><obj type="VirtualMachine">vm-1</obj></objectSet></specSet>')),
      VIX_E_INVALID_ARG, /specSet\[0\]\.propSet\[0\]\.all: 'yes' is not an xsd:boolean/);
    fails(() => decodeRequest(rpe('<options/>', '<specSet><propSet><type>VirtualMachine</type></propSet><objectSet><obj type="VirtualMachine">vm-1</obj><selectSet xsi:type="PropertySpec"><type>x</type></selectSet></objectSet></specSet>')),
      VIX_E_INVALID_ARG, /objectSet\[0\]\.selectSet\[0\]: PropertySpec is not a SelectionSpec/);
    fails(() => decodeRequest(rpe('<options/>', '<specSet><propSet><type>VirtualMachine</type></propSet><objectSet><obj type="VirtualMachine">vm-1</obj><selectSet xsi:type="Bogus"/></objectSet></specSet>')),
      VIX_E_INVALID_ARG, /selectSet\[0\]: unknown data object type Bogus/);
    fails(() => decodeRequest(rpe('')), VIX_E_INVALID_ARG, /RetrievePropertiesEx\.options: required RetrieveOptions is missing/);
    fails(() => decodeRequest(rpe('<options/><options/>')), VIX_E_INVALID_ARG, /RetrievePropertiesEx\.options: appears more than once/);
    fails(() => decodeRequest(rpe('<options/><force>true</force>')), VIX_E_INVALID_ARG, /RetrievePropertiesEx: unknown element <force>/);
    fails(() => decodeRequest(envelope('<Login xmlns="urn:vim25"><_this type="SessionManager">s</_this><userName>u</userName></Login>')),
      VIX_E_INVALID_ARG, /Login\.password: required string is missing/);
    fails(() => decodeRequest(envelope('<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">x<a/></_this></CurrentTime>')),
      VIX_E_INVALID_ARG, /ManagedObjectReference holds elements/);
    fails(() => decodeRequest(envelope('<Login xmlns="urn:vim25"><_this type="SessionManager">s</_this><userName>u<b>old</b></userName><password>p</password></Login>')),
      VIX_E_INVALID_ARG, /Login\.userName: string holds elements \(<b>\)/);
    fails(() => decodeResponse('RetrievePropertiesEx', envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-1</obj>'
      + '<propSet><name>n</name><val><x/></val></propSet></objects></returnval></RetrievePropertiesExResponse>')),
    VIX_E_INVALID_ARG, /objects\[0\]\.propSet\[0\]\.val: an anyType value without xsi:type holds elements \(<x>\)/);
  });

  it('refuses hostile XML in a request within its limits (DOCTYPE, depth, size)', () => {
    fails(() => decodeRequest('<!DOCTYPE x [<!ENTITY a "aaaa">]>' + envelope('<Logout xmlns="urn:vim25"><_this type="S">&a;</_this></Logout>')),
      VIX_E_INVALID_ARG, /DOCTYPE is not allowed/);
    fails(() => decodeRequest(envelope(`<Logout xmlns="urn:vim25"><_this type="S">s</_this>${'<a>'.repeat(100)}</Logout>`)),
      VIX_E_INVALID_ARG, /nesting deeper than 64/);
    fails(() => decodeRequest(envelope(`<Login xmlns="urn:vim25"><_this type="S">s</_this><userName>${'u'.repeat(70000)}</userName></Login>`), { maxBytes: 65536 }),
      VIX_E_INVALID_ARG, /document larger than 65536 bytes/);
    // A host's defaults are tighter than a client's: 5 MB or 1e6 elements are refused early.
    fails(() => decodeRequest(envelope(`<Login xmlns="urn:vim25"><_this type="S">s</_this><userName>${'u'.repeat(5_000_000)}</userName></Login>`)),
      VIX_E_INVALID_ARG, /document larger than 4194304 bytes/);
    fails(() => decodeRequest(envelope(`<Logout xmlns="urn:vim25"><_this type="S">s</_this>${'<a/>'.repeat(1_000_000)}</Logout>`)),
      VIX_E_INVALID_ARG, /more than 50000 elements/);
  });

  it('refuses to encode what the wire cannot carry', () => {
    const sm = moref('SessionManager', 'SessionManager');
    fails(() => encodeRequest('Login', sm, { userName: 'u' }), VIX_E_INVALID_ARG, /Login\.password: required string is missing/);
    fails(() => encodeRequest('Login', sm, { userName: 'u\u0000', password: 'p' }), VIX_E_INVALID_ARG, /<userName> holds a character XML cannot carry/);
    fails(() => encodeRequest('Login', sm, { userName: 'u', password: 'p', pin: '1' }), VIX_E_INVALID_ARG, /Login: unknown parameter 'pin'/);
    fails(() => encodeRequest('Nope', sm), VIX_E_INVALID_ARG, /unknown method 'Nope'/);
    fails(() => encodeRequest('RetrievePropertiesEx', PC, { specSet: [], options: { maxObjects: 2 ** 31 } }),
      VIX_E_INVALID_ARG, /options\.maxObjects: 2147483648 is not an xsd:int/);
    fails(() => encodeRequest('RetrievePropertiesEx', PC, { specSet: [], options: { _type: 'PropertySpec', type: 'x' } }),
      VIX_E_INVALID_ARG, /options: PropertySpec is not a RetrieveOptions/);
  });
});

describe('soap-codec: responses, host to client', () => {
  it('decodes the LoginResponse of the reference and round-trips it', () => {
    const xml = envelope('<LoginResponse xmlns="urn:vim25"><returnval><key>52a1</key><userName>VSPHERE.LOCAL\\Administrator</userName>'
      + '<fullName>Administrator vsphere.local</fullName><loginTime>2026-01-01T10:00:00.000Z</loginTime>'
      + '<lastActiveTime>2026-01-01T10:00:00.000Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale>'
      + '<extensionSession>false</extensionSession><ipAddress>192.0.2.10</ipAddress><userAgent>govmomi</userAgent>'
      + '<callCount>0</callCount></returnval></LoginResponse>');
    const session = decodeResponse('Login', xml);
    const expected = {
      _type: 'UserSession', key: '52a1', userName: 'VSPHERE.LOCAL\\Administrator', fullName: 'Administrator vsphere.local',
      loginTime: new Date('2026-01-01T10:00:00.000Z'), lastActiveTime: new Date('2026-01-01T10:00:00.000Z'), locale: 'en',
      messageLocale: 'en', extensionSession: false, ipAddress: '192.0.2.10', userAgent: 'govmomi', callCount: 0,
    };
    assert.deepStrictEqual(session, expected);
    assert.deepStrictEqual(decodeResponse('Login', encodeResponse('Login', expected)), expected);
  });

  it('decodes property values in anyType slots as hosts send them; skips fields it does not know', () => {
    const xml = envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects>'
      + '<obj type="VirtualMachine">vm-16</obj>'
      + '<propSet><name>config.changeTrackingEnabled</name><val xsi:type="xsd:boolean">true</val></propSet>'
      + '<propSet><name>runtime.host</name><val type="HostSystem" xsi:type="ManagedObjectReference">host-12</val></propSet>'
      + '<propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOn</val></propSet>'
      + '<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">datastore-11</ManagedObjectReference></val></propSet>'
      + '<propSet><name>summary.storage.committed</name><val xsi:type="xsd:long">10737418240</val></propSet>'
      + '<missingSet><path>bogus</path><fault><fault xsi:type="InvalidProperty"><name>bogus</name></fault><localizedMessage></localizedMessage></fault></missingSet>'
      + '<futureField>8.1</futureField>'
      + '</objects></returnval></RetrievePropertiesExResponse>');
    assert.deepStrictEqual(decodeResponse('RetrievePropertiesEx', xml), {
      _type: 'RetrieveResult',
      objects: [{
        _type: 'ObjectContent',
        obj: moref('VirtualMachine', 'vm-16'),
        propSet: [
          { _type: 'DynamicProperty', name: 'config.changeTrackingEnabled', val: { _type: 'boolean', value: true } },
          { _type: 'DynamicProperty', name: 'runtime.host', val: moref('HostSystem', 'host-12') },
          { _type: 'DynamicProperty', name: 'runtime.powerState', val: { _type: 'VirtualMachinePowerState', value: 'poweredOn' } },
          { _type: 'DynamicProperty', name: 'datastore', val: { _type: 'ArrayOfManagedObjectReference', value: [moref('Datastore', 'datastore-11')] } },
          { _type: 'DynamicProperty', name: 'summary.storage.committed', val: { _type: 'long', value: 10737418240 } },
        ],
        missingSet: [{ _type: 'MissingProperty', path: 'bogus', fault: { _type: 'LocalizedMethodFault', fault: { _type: 'InvalidProperty', name: 'bogus' }, localizedMessage: '' } }],
      }],
    });
  });

  it('void and absent results: empty <XResponse/>, optional returnval left out', () => {
    assert.match(encodeResponse('Logout'), /<LogoutResponse xmlns="urn:vim25"\/><\/soapenv:Body>/);
    assert.equal(decodeResponse('Logout', encodeResponse('Logout')), undefined);
    assert.equal(decodeResponse('RetrievePropertiesEx', encodeResponse('RetrievePropertiesEx')), undefined);
    assert.equal(decodeResponse('SessionIsActive', encodeResponse('SessionIsActive', true)), true);
    const now = new Date('2026-12-07T19:00:00.5Z');
    assert.deepStrictEqual(decodeResponse('CurrentTime', encodeResponse('CurrentTime', now)), now);
    fails(() => encodeResponse('CurrentTime'), VIX_E_INVALID_ARG, /CurrentTimeResponse: required dateTime is missing/);
    fails(() => decodeResponse('Login', envelope('<LogoutResponse xmlns="urn:vim25"/>')), VIX_E_INVALID_ARG, /expected <LoginResponse>, got <LogoutResponse>/);
  });

  it('reads dateTime as servers write it (no fraction, microseconds, offsets)', () => {
    const at = (text: string): unknown => decodeResponse('CurrentTime', envelope(`<CurrentTimeResponse xmlns="urn:vim25"><returnval>${text}</returnval></CurrentTimeResponse>`));
    assert.deepStrictEqual(at('2026-01-01T10:01:00Z'), new Date('2026-01-01T10:01:00Z'));
    assert.deepStrictEqual(at('2026-01-01T10:01:00.123456Z'), new Date('2026-01-01T10:01:00.123Z'));
    assert.deepStrictEqual(at('2026-01-01T12:01:00+02:00'), new Date('2026-01-01T10:01:00Z'));
    assert.deepStrictEqual(at('2026-01-01T10:01:00'), new Date('2026-01-01T10:01:00Z'));
    fails(() => at('yesterday'), VIX_E_INVALID_ARG, /CurrentTimeResponse\.returnval: 'yesterday' is not an xsd:dateTime/);
    fails(() => at('2026-13-45T10:01:00Z'), VIX_E_INVALID_ARG, /is not an xsd:dateTime/);
  });
});

describe('soap-codec: faults, both ways', () => {
  it('encodes the reference shape of InvalidLogin and decodes it as a SoapFault with a VIX code', () => {
    const xml = encodeFault({ _type: 'InvalidLogin' }, 'Cannot complete login due to an incorrect user name or password.');
    assert.match(xml, /<soapenv:Fault><faultcode>ServerFaultCode<\/faultcode><faultstring>Cannot complete login due to an incorrect user name or password.<\/faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"><\/InvalidLoginFault><\/detail><\/soapenv:Fault>/);
    const fault = fails(() => decodeResponse('Login', xml), VIX_E_AUTHENTICATION_FAIL, /^InvalidLogin: Cannot complete login/) as SoapFault;
    assert.ok(fault instanceof SoapFault);
    assert.equal(fault.faultCode, 'ServerFaultCode');
    assert.deepStrictEqual(fault.fault, { _type: 'InvalidLogin' });
  });

  it('round-trips typed fault details (NoPermission, NotAuthenticated, ManagedObjectNotFound, InvalidArgument...)', () => {
    const cases: Array<[Record<string, unknown> & { _type: string }, number]> = [
      [{
        _type: 'NoPermission', object: moref('VirtualMachine', 'vm-16'), privilegeId: 'VirtualMachine.State.CreateSnapshot',
        missingPrivileges: [{ _type: 'NoPermissionEntityPrivileges', entity: moref('VirtualMachine', 'vm-16'), privilegeIds: ['VirtualMachine.State.CreateSnapshot'] }],
      }, VIX_E_HOST_USER_PERMISSIONS],
      [{ _type: 'NotAuthenticated', object: moref('Folder', 'group-d1'), privilegeId: 'System.View' }, VIX_E_HOST_USER_PERMISSIONS],
      [{ _type: 'ManagedObjectNotFound', obj: moref('VirtualMachine', 'vm-999') }, VIX_E_OBJECT_NOT_FOUND],
      [{ _type: 'InvalidArgument', invalidProperty: 'hostForAccess' }, VIX_E_INVALID_ARG],
      [{ _type: 'InvalidPowerState', requestedState: 'poweredOn', existingState: 'poweredOff' }, VIX_E_FAIL],
      [{ _type: 'TaskInProgress', task: moref('Task', 'task-7') }, 5],
      [{ _type: 'FileNotFound', file: '[datastore1] web/web-ctk.vmdk' }, 4],
      [{ _type: 'MethodDisabled', source: 'vixdisk-backup' }, 6],
      [{ _type: 'InvalidState', faultCause: { _type: 'LocalizedMethodFault', fault: { _type: 'SystemError', reason: 'disk busy' }, localizedMessage: 'busy' } }, VIX_E_FAIL],
    ];
    for (const [detail, code] of cases) {
      const xml = encodeFault(new SoapFault(detail, `${detail._type} happened\non two lines`));
      const fault = fails(() => decodeResponse('RetrievePropertiesEx', xml), code, new RegExp(`^${detail._type}: ${detail._type} happened on two lines$`)) as SoapFault;
      assert.deepStrictEqual(fault.fault, detail);
      assert.equal(fault.faultString, `${detail._type} happened\non two lines`);
    }
  });

  it('reads faults it does not define, and faults without a detail, without failing', () => {
    const future = envelope('<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>new in 9.0</faultstring>'
      + '<detail><QuantumFault xmlns="urn:vim25" xsi:type="QuantumFault"><entangled>yes</entangled></QuantumFault></detail></soapenv:Fault>');
    const f1 = fails(() => decodeResponse('Logout', future), VIX_E_FAIL, /^QuantumFault: new in 9.0$/) as SoapFault;
    assert.equal(f1.faultType, 'QuantumFault');
    const bare = envelope('<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>Unable to parse</faultstring></soapenv:Fault>');
    const f2 = fails(() => decodeResponse('Logout', bare), VIX_E_FAIL, /^MethodFault: Unable to parse$/) as SoapFault;
    assert.equal(f2.faultCode, 'soapenv:Client');
  });

  it('a request cannot be a fault; a fault detail must be a MethodFault', () => {
    fails(() => decodeRequest(encodeFault({ _type: 'InvalidLogin' }, 'x')), VIX_E_INVALID_ARG, /a request cannot be a Fault/);
    fails(() => encodeFault({ _type: 'UserSession' }, 'x'), VIX_E_INVALID_ARG, /UserSession is not a MethodFault/);
    fails(() => encodeFault({ _type: 'ClientFault' }, 'x', 'ClientFaultCode'), VIX_E_INVALID_ARG, /ClientFault is not a MethodFault/);
  });
});
