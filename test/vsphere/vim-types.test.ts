import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeResponse, encodeResponse } from '../../src/vsphere/soap-codec.js';
import { vimMethods } from '../../src/vsphere/vim-methods.js';
import { moref, PRIMITIVE_TYPES, vimTypes, type DataObject, type FieldDef } from '../../src/vsphere/vim-types.js';
import { readXml, type XmlElement } from '../../src/vsphere/xml-reader.js';

const SAMPLE_PRIMITIVES: Record<string, unknown> = {
  string: 'a <b> & "c" \'d\' é\r\n',
  int: -2147483648,
  long: 2 ** 53 - 1,
  short: -32768,
  byte: 127,
  boolean: false,
  double: -1.5e300,
  float: 0.25,
  dateTime: new Date('2026-01-01T10:00:00.123Z'),
  base64Binary: Buffer.from([0, 1, 2, 254, 255]),
};

/** Subtypes to use where a field declares a base type, so xsi:type is exercised. */
const SUBTYPE_FOR: Record<string, string> = { SelectionSpec: 'TraversalSpec', MethodFault: 'InvalidArgument' };

/** A value of `type` with every field set (optional ones too, down to a depth), arrays of two. */
function sample(type: string, depth: number): unknown {
  if (type in SAMPLE_PRIMITIVES) return SAMPLE_PRIMITIVES[type];
  if (type === 'ManagedObjectReference') return moref('VirtualMachine', `vm-${depth}`);
  if (type === 'anyType') {
    return [
      { _type: 'int', value: 7 },
      moref('HostSystem', 'host-12'),
      { _type: 'ArrayOfString', value: ['a', 'b'] },
      { _type: 'VirtualMachinePowerState', value: 'poweredOn' },
    ][depth % 4];
  }
  const def = vimTypes.get(type);
  assert.ok(def, `type ${type} defined`);
  if (def.kind === 'enum') return def.values[0];
  const runtime = depth > 0 && SUBTYPE_FOR[type] ? SUBTYPE_FOR[type]! : type;
  const value: DataObject = { _type: runtime };
  for (const field of vimTypes.dataObjectType(runtime)!.fields) {
    if (field.optional && depth >= 3) continue;
    value[field.name] = field.array
      ? [sample(field.type, depth + 1), sample(field.type, depth + 2)]
      : sample(field.type, depth + 1);
  }
  return value;
}

/** Through the whole codec: a RetrieveResult whose one property holds `value` in an anyType slot. */
function roundTrip(value: unknown): { decoded: unknown; val: XmlElement } {
  const result = {
    _type: 'RetrieveResult',
    objects: [{ _type: 'ObjectContent', obj: moref('VirtualMachine', 'vm-16'), propSet: [{ _type: 'DynamicProperty', name: 'p', val: value }] }],
  };
  const xml = encodeResponse('RetrievePropertiesEx', result);
  const decoded = decodeResponse('RetrievePropertiesEx', xml) as typeof result;
  const body = readXml(xml).children[0]!.children[0]!;
  const val = body.children[0]!.children[0]!.children[1]!.children[1]!;
  assert.equal(val.name, 'val');
  return { decoded: decoded.objects[0]!.propSet[0]!.val, val };
}

/** Children appear in the type's field order (arrays as runs of one name), nothing else. */
function assertWsdlOrder(el: XmlElement, typeName: string): void {
  const fields: FieldDef[] = vimTypes.dataObjectType(typeName)!.fields;
  let at = 0;
  for (const child of el.children) {
    const index = fields.findIndex((f) => f.name === child.name);
    assert.ok(index >= 0, `${typeName}: unexpected <${child.name}>`);
    assert.ok(index >= at, `${typeName}: <${child.name}> out of WSDL order`);
    if (index > at) at = index;
    const field = fields[index]!;
    const childType = child.xsiType?.name ?? field.type;
    if (vimTypes.dataObjectType(childType)) assertWsdlOrder(child, childType);
  }
}

describe('vim-types: the registry, written once for both sides', () => {
  it('every field names a defined type; bases come first', () => {
    for (const name of vimTypes.names()) {
      const def = vimTypes.dataObjectType(name);
      if (!def) continue;
      for (const field of def.fields) {
        const known = (PRIMITIVE_TYPES as readonly string[]).includes(field.type)
          || field.type === 'anyType' || field.type === 'ManagedObjectReference' || vimTypes.get(field.type);
        assert.ok(known, `${name}.${field.name}: unknown type ${field.type}`);
      }
      if (def.base) assert.deepEqual(def.fields.slice(0, vimTypes.dataObjectType(def.base)!.fields.length), vimTypes.dataObjectType(def.base)!.fields);
    }
    for (const method of vimMethods.values()) {
      for (const field of [...method.params, ...(method.returns ? [method.returns] : [])]) {
        assert.ok(vimTypes.get(field.type) || field.type === 'ManagedObjectReference'
          || (PRIMITIVE_TYPES as readonly string[]).includes(field.type), `${method.name}.${field.name}`);
      }
    }
  });

  it('field orders follow the WSDL for the types the first calls read', () => {
    const order = (name: string): string[] => vimTypes.dataObjectType(name)!.fields.map((f) => f.name);
    assert.deepEqual(order('UserSession'), ['key', 'userName', 'fullName', 'loginTime', 'lastActiveTime', 'locale',
      'messageLocale', 'extensionSession', 'ipAddress', 'userAgent', 'callCount']);
    assert.deepEqual(order('ServiceContent').slice(0, 10), ['rootFolder', 'propertyCollector', 'viewManager', 'about',
      'setting', 'userDirectory', 'sessionManager', 'authorizationManager', 'serviceManager', 'perfManager']);
    assert.deepEqual(order('TraversalSpec'), ['name', 'type', 'path', 'skip', 'selectSet']);
    assert.deepEqual(order('PropertyFilterSpec'), ['propSet', 'objectSet', 'reportMissingObjectsInResults']);
    assert.deepEqual(order('ObjectContent'), ['obj', 'propSet', 'missingSet']);
    assert.deepEqual(order('NotAuthenticated'), ['faultCause', 'faultMessage', 'object', 'privilegeId', 'missingPrivileges']);
    assert.deepEqual(order('InvalidArgument'), ['faultCause', 'faultMessage', 'invalidProperty']);
    assert.equal(order('ServiceContent').length, 51);
    assert.equal(order('ServiceContent').at(-1), 'directPathProfileManager');
    // Bases as the WSDL has them: InvalidArgument is a RuntimeFault, not an InvalidRequest.
    assert.ok(vimTypes.isA('InvalidArgument', 'RuntimeFault') && !vimTypes.isA('InvalidArgument', 'InvalidRequest'));
    assert.ok(vimTypes.isA('NotAuthenticated', 'NoPermission') && vimTypes.isA('NoPermission', 'SecurityError'));
    assert.ok(vimTypes.isA('FileNotFound', 'FileFault') && vimTypes.isA('FileFault', 'VimFault'));
    // Fields 5.1 added to UserSession are optional, as in govmomi (omitempty): vcsim and older
    // hosts leave them out of Login's answer.
    assert.deepEqual(vimTypes.dataObjectType('UserSession')!.fields.filter((f) => f.optional).map((f) => f.name), ['ipAddress', 'userAgent', 'callCount']);
  });

  for (const name of vimTypes.names()) {
    if (vimTypes.get(name)!.kind !== 'data') continue;
    it(`${name}: encode -> parse -> decode equals the input, fields in WSDL order`, () => {
      const full = sample(name, 0);
      const { decoded, val } = roundTrip(full);
      assert.deepStrictEqual(decoded, full);
      assert.equal(val.xsiType?.name, name, 'an anyType slot names the runtime type');
      assertWsdlOrder(val, name);
      // With only the required fields, too.
      const bare: DataObject = { _type: name };
      for (const field of vimTypes.dataObjectType(name)!.fields) {
        if (field.array && !field.optional) bare[field.name] = [];
        else if (!field.optional) bare[field.name] = sample(field.type, 3);
      }
      assert.deepStrictEqual(roundTrip(bare).decoded, bare);
    });
  }

  it('every primitive, enum, moref and ArrayOf round-trips in an anyType slot with its xsi:type', () => {
    for (const [type, value] of Object.entries(SAMPLE_PRIMITIVES)) {
      const { decoded, val } = roundTrip({ _type: type, value });
      assert.deepStrictEqual(decoded, { _type: type, value }, type);
      assert.deepEqual(val.xsiType, { ns: 'http://www.w3.org/2001/XMLSchema', name: type });
    }
    for (const value of [
      moref('HostSystem', 'host-12'),
      { _type: 'VirtualMachinePowerState', value: 'suspended' },
      { _type: 'ArrayOfManagedObjectReference', value: [moref('VirtualMachine', 'vm-1'), moref('Folder', 'group-d1')] },
      { _type: 'ArrayOfInt', value: [1, -2] },
      { _type: 'ArrayOfLong', value: [] },
      { _type: 'ArrayOfSelectionSpec', value: [{ _type: 'SelectionSpec', name: 'a' }, { _type: 'TraversalSpec', type: 'Folder', path: 'childEntity' }] },
      { _type: 'double', value: Infinity },
      { _type: 'double', value: NaN },
    ]) {
      assert.deepStrictEqual(roundTrip(value).decoded, value);
    }
  });

  it('xsi:type appears only where the runtime type differs from the declared one', () => {
    const xml = encodeResponse('RetrievePropertiesEx', {
      objects: [{
        obj: moref('VirtualMachine', 'vm-16'),
        propSet: [{ name: 'snap', val: { _type: 'DynamicProperty', name: 'n', val: { _type: 'string', value: 'x' } } }],
        missingSet: [{ path: 'a.b', fault: { fault: { _type: 'InvalidProperty', name: 'a.b' }, localizedMessage: 'bad' } }],
      }],
    });
    assert.match(xml, /<returnval><objects><obj type="VirtualMachine">vm-16<\/obj><propSet><name>snap<\/name><val xsi:type="DynamicProperty"><name>n<\/name><val xsi:type="xsd:string">x<\/val><\/val><\/propSet>/);
    assert.match(xml, /<missingSet><path>a.b<\/path><fault><fault xsi:type="InvalidProperty"><name>a.b<\/name><\/fault><localizedMessage>bad<\/localizedMessage><\/fault><\/missingSet>/);
    assert.equal((xml.match(/xsi:type=/g) ?? []).length, 3);
  });
});
