import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import {
  PRIMITIVE_TYPES, vimTypes, type DataObject, type FieldDef, type ManagedObjectReference, type PrimitiveTypeName,
  type TypedValue,
} from './vim-types.js';
import { XSD_NS, type XmlElement } from './xml-reader.js';
import type { XmlWriter } from './xml-writer.js';

/**
 * Typed values to XML elements and back, driven by the type registry (vim-types.ts): the one
 * mechanism behind requests, responses and fault details on both sides of the wire.
 *
 * JS shapes: string; number (int, short, byte, long — safe integers only — double, float);
 * boolean; Date (dateTime); Uint8Array (base64Binary); enum values as strings; morefs as
 * `{ _type: 'ManagedObjectReference', type, value }`; data objects as plain objects whose `_type`
 * names the runtime type; `anyType` slots hold a data object, a moref, or a TypedValue.
 */

export const VIM25_NS = 'urn:vim25';
export const INTERNAL_VIM25_NS = 'urn:internalvim25';

export function codecError(path: string, what: string): VixError {
  return new VixError(VIX_E_INVALID_ARG, `SOAP: ${path}: ${what}`);
}

const INTEGER_RANGES: Partial<Record<PrimitiveTypeName, [number, number]>> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  int: [-2147483648, 2147483647],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function isPrimitive(type: string): type is PrimitiveTypeName {
  return (PRIMITIVE_TYPES as readonly string[]).includes(type);
}

/** `ArrayOfVirtualDevice` -> `VirtualDevice`; `ArrayOfString` -> `string`; otherwise undefined. */
export function arrayItemType(arrayType: string): string | undefined {
  if (!arrayType.startsWith('ArrayOf')) return undefined;
  const item = arrayType.slice('ArrayOf'.length);
  if (vimTypes.get(item) || item === 'ManagedObjectReference') return item;
  const primitive = item.charAt(0).toLowerCase() + item.slice(1);
  if (isPrimitive(primitive) || primitive === 'anyType') return primitive;
  return undefined;
}

/** The wire name of an array of `itemType` in an anyType slot: ArrayOfVirtualDevice, ArrayOfString, ArrayOfInt. */
export function arrayTypeName(itemType: string): string {
  return `ArrayOf${itemType.charAt(0).toUpperCase()}${itemType.slice(1)}`;
}

/**
 * What an anyType slot (DynamicProperty.val, PropertyChange.val, TaskInfo.result) holds for
 * `value` declared as `field` (from managedTypes.propertyType or a data object's field): arrays as
 * `ArrayOfX`, primitives and enum values tagged with their type, morefs and data objects as they
 * are (a data object without `_type` gets the declared one). The one place that decision is made.
 */
export function anyValue(field: Pick<FieldDef, 'type' | 'array'>, value: unknown): unknown {
  if (field.array) return { _type: arrayTypeName(field.type), value } satisfies TypedValue;
  if (field.type === 'ManagedObjectReference' || field.type === 'anyType') return value;
  if (vimTypes.dataObjectType(field.type)) {
    return isObject(value) && typeof value._type !== 'string' ? { ...value, _type: field.type } : value;
  }
  return { _type: field.type, value } satisfies TypedValue;
}

/** The plain value of an anyType slot: a TypedValue's `value`; a moref or data object as it is. */
export function plainValue(any: unknown): unknown {
  if (!isObject(any) || typeof any._type !== 'string') return any;
  if (any._type === 'ManagedObjectReference' || vimTypes.dataObjectType(any._type)) return any;
  return any.value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- API versions

/**
 * How a value is written for one client. `apiVersion` is the version the client declared
 * (SOAPAction `urn:vim25/6.7.1`): fields added after it are left out, and a data object of a type
 * added after it goes out as its nearest ancestor the client knows, as real hosts do: a client's
 * type tables stop at its version, and pyVmomi, for one, refuses what they do not hold.
 * Without `apiVersion` everything is written.
 */
export interface WriteOptions {
  apiVersion?: string;
}

/** Compare dotted API versions numerically (`6.7.1` < `7.0` = `7.0.0.0` < `8.0.1.0`); <0, 0 or >0. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// (since, client version) -> known: a handful of distinct pairs, asked once per field written.
const knownCache = new Map<string, boolean>();

function known(since: string | undefined, options: WriteOptions): boolean {
  if (since === undefined || options.apiVersion === undefined) return true;
  const key = `${since}|${options.apiVersion}`;
  let answer = knownCache.get(key);
  if (answer === undefined) {
    answer = compareApiVersions(since, options.apiVersion) <= 0;
    if (knownCache.size < 1024) knownCache.set(key, answer);
  }
  return answer;
}

/**
 * The type a client of `options.apiVersion` is sent for a data object of runtime type `typeName`
 * declared as `declared`: the type itself or its nearest ancestor (down to `declared`) the client knows.
 */
export function typeForClient(typeName: string, declared: string, options: WriteOptions = {}): string {
  let name = typeName;
  for (let t = vimTypes.dataObjectType(name); t && !known(t.since, options) && name !== declared && t.base !== undefined;) {
    name = t.base;
    t = vimTypes.dataObjectType(name);
  }
  return name;
}

// ---------------------------------------------------------------- encoding

/** Write one field of a data object or one method parameter (arrays as repeated elements). */
export function writeField(w: XmlWriter, field: FieldDef, value: unknown, path: string, options: WriteOptions = {}): void {
  if (!known(field.since, options)) return;
  if (value === undefined || value === null) {
    if (field.optional || field.array) return;
    throw codecError(path, `required ${field.type} is missing`);
  }
  if (field.array) {
    if (!Array.isArray(value)) throw codecError(path, `expected an array of ${field.type}`);
    value.forEach((item, i) => writeElement(w, field.name, field.type, item, `${path}[${i}]`, options));
    return;
  }
  writeElement(w, field.name, field.type, value, path, options);
}

/** Write `<name>` holding `value` of declared type `declared`, with xsi:type only where needed. */
export function writeElement(
  w: XmlWriter, name: string, declared: string, value: unknown, path: string, options: WriteOptions = {},
): void {
  if (declared === 'anyType') return writeAny(w, name, value, path, options);
  if (isPrimitive(declared)) return void w.leaf(name, formatPrimitive(declared, value, path));
  if (declared === 'ManagedObjectReference') {
    const ref = checkMoref(value, path);
    return void w.leaf(name, ref.value, { type: ref.type });
  }
  const type = vimTypes.get(declared);
  if (!type) throw codecError(path, `unknown type ${declared}`);
  if (type.kind === 'enum') {
    if (typeof value !== 'string') throw codecError(path, `expected a ${declared} value (a string)`);
    return void w.leaf(name, value);
  }
  writeDataObject(w, name, declared, value, path, false, undefined, options);
}

/** Write a data object; `forceXsiType` for anyType slots and fault details; `xmlns` to set the default namespace. */
export function writeDataObject(
  w: XmlWriter, name: string, declared: string, value: unknown, path: string, forceXsiType: boolean, xmlns?: string,
  options: WriteOptions = {},
): void {
  if (!isObject(value)) throw codecError(path, `expected a ${declared} object`);
  const given = typeof value._type === 'string' ? value._type : declared;
  if (!vimTypes.dataObjectType(given)) throw codecError(path, `unknown data object type ${given}`);
  if (!vimTypes.isA(given, declared)) throw codecError(path, `${given} is not a ${declared}`);
  const runtime = typeForClient(given, declared, options);
  const type = vimTypes.dataObjectType(runtime)!;
  w.open(name, { xmlns, 'xsi:type': forceXsiType || runtime !== declared ? runtime : undefined });
  for (const field of type.fields) writeField(w, field, value[field.name], `${path}.${field.name}`, options);
  w.close(name);
}

function writeAny(w: XmlWriter, name: string, value: unknown, path: string, options: WriteOptions): void {
  if (!isObject(value) || typeof value._type !== 'string') {
    throw codecError(path, 'an anyType value needs its _type');
  }
  const typeName = value._type;
  if (typeName === 'ManagedObjectReference') {
    const ref = checkMoref(value, path);
    return void w.leaf(name, ref.value, { type: ref.type, 'xsi:type': 'ManagedObjectReference' });
  }
  if (vimTypes.dataObjectType(typeName)) {
    return writeDataObject(w, name, typeForClient(typeName, 'DynamicData', options), value, path, true, undefined, options);
  }
  const inner = (value as unknown as TypedValue).value;
  if (isPrimitive(typeName)) {
    return void w.leaf(name, formatPrimitive(typeName, inner, path), { 'xsi:type': `xsd:${typeName}` });
  }
  if (vimTypes.get(typeName)?.kind === 'enum') {
    if (typeof inner !== 'string') throw codecError(path, `expected a ${typeName} value (a string)`);
    return void w.leaf(name, inner, { 'xsi:type': typeName });
  }
  const item = arrayItemType(typeName);
  if (item === undefined) throw codecError(path, `unknown type ${typeName}`);
  if (!Array.isArray(inner)) throw codecError(path, `expected an array for ${typeName}`);
  // An array of a type the client does not know goes out as an array of the ancestor it does.
  const itemForClient = vimTypes.dataObjectType(item) ? typeForClient(item, 'DynamicData', options) : item;
  w.open(name, { 'xsi:type': itemForClient === item ? typeName : arrayTypeName(itemForClient) });
  inner.forEach((v, i) => writeElement(w, itemForClient, itemForClient, v, `${path}[${i}]`, options));
  w.close(name);
}

function checkMoref(value: unknown, path: string): ManagedObjectReference {
  if (!isObject(value) || typeof value.type !== 'string' || typeof value.value !== 'string' || value.type === '') {
    throw codecError(path, 'expected a ManagedObjectReference { type, value }');
  }
  return value as unknown as ManagedObjectReference;
}

function formatPrimitive(type: PrimitiveTypeName, value: unknown, path: string): string {
  const bad = (): never => { throw codecError(path, `${describe(value)} is not an xsd:${type}`); };
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : bad();
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : bad();
    case 'double':
    case 'float':
      if (typeof value !== 'number') return bad();
      return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'INF' : value === -Infinity ? '-INF' : String(value);
    case 'dateTime':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : bad();
    case 'base64Binary':
      return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : bad();
    default: {
      const [min, max] = INTEGER_RANGES[type]!;
      return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? String(value) : bad();
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (value instanceof Date) return 'an invalid date';
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : String(value);
}

// ---------------------------------------------------------------- decoding

/** Read the value of element `el`, declared as `declared` (its xsi:type, if any, may refine it). */
export function readElement(el: XmlElement, declared: string, path: string): unknown {
  if (declared === 'anyType') return readAny(el, path);
  if (isPrimitive(declared)) return parsePrimitive(declared, leafText(el, declared, path), path);
  if (declared === 'ManagedObjectReference') return readMoref(el, path);
  const type = vimTypes.get(declared);
  if (!type) throw codecError(path, `unknown type ${declared}`);
  if (type.kind === 'enum') return leafText(el, declared, path);
  let runtime = declared;
  if (el.xsiType) {
    runtime = vimTypeName(el, path);
    if (!vimTypes.dataObjectType(runtime)) throw codecError(path, `unknown data object type ${runtime}`);
    if (!vimTypes.isA(runtime, declared)) throw codecError(path, `${runtime} is not a ${declared}`);
  }
  return readDataObject(el, runtime, path);
}

/** Read a data object of (runtime) type `typeName`: known fields by name, unknown ones skipped. */
export function readDataObject(el: XmlElement, typeName: string, path: string): DataObject {
  const type = vimTypes.dataObjectType(typeName);
  if (!type) throw codecError(path, `unknown data object type ${typeName}`);
  return { _type: typeName, ...readFields(el.children, type.fields, path, false) };
}

/**
 * Read `children` as the fields (or parameters) `fields`, in declared order in the result.
 * Unknown children are skipped when `strict` is false (a newer server's extra fields) and refused
 * when it is true (a request's parameters).
 */
export function readFields(children: XmlElement[], fields: FieldDef[], path: string, strict: boolean): Record<string, unknown> {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const found = new Map<string, unknown>();
  for (const child of children) {
    const field = byName.get(child.name);
    if (!field) {
      if (strict) throw codecError(path, `unknown element <${child.name}>`);
      continue;
    }
    const childPath = `${path}.${field.name}`;
    if (field.array) {
      const list = (found.get(field.name) as unknown[] | undefined) ?? [];
      list.push(readElement(child, field.type, `${childPath}[${list.length}]`));
      found.set(field.name, list);
    } else {
      if (found.has(field.name)) throw codecError(childPath, 'appears more than once');
      found.set(field.name, readElement(child, field.type, childPath));
    }
  }
  const result: Record<string, unknown> = {};
  for (const field of fields) {
    if (found.has(field.name)) result[field.name] = found.get(field.name);
    else if (field.array && !field.optional) result[field.name] = [];
    else if (!field.optional) throw codecError(`${path}.${field.name}`, `required ${field.type} is missing`);
  }
  return result;
}

/** The text of an element that must hold text only (a primitive or an enum value). */
function leafText(el: XmlElement, type: string, path: string): string {
  if (el.children.length > 0) throw codecError(path, `${type} holds elements (<${el.children[0]!.name}>)`);
  return el.text;
}

function readAny(el: XmlElement, path: string): unknown {
  // An untyped anyType value is text (xsd's default); one holding elements must say its type.
  if (!el.xsiType) return { _type: 'string', value: leafText(el, 'an anyType value without xsi:type', path) };
  if (el.xsiType.ns === XSD_NS) {
    const name = el.xsiType.name;
    if (!isPrimitive(name)) throw codecError(path, `unsupported xsd:${name}`);
    return { _type: name, value: parsePrimitive(name, leafText(el, name, path), path) };
  }
  const typeName = vimTypeName(el, path);
  if (typeName === 'ManagedObjectReference') return readMoref(el, path);
  const type = vimTypes.get(typeName);
  if (type?.kind === 'data') return readDataObject(el, typeName, path);
  if (type?.kind === 'enum') return { _type: typeName, value: leafText(el, typeName, path) };
  const item = arrayItemType(typeName);
  if (item === undefined) throw codecError(path, `unknown type ${typeName}`);
  return { _type: typeName, value: el.children.map((child, i) => readElement(child, item, `${path}[${i}]`)) };
}

function vimTypeName(el: XmlElement, path: string): string {
  const { ns, name } = el.xsiType!;
  if (ns === XSD_NS && isPrimitive(name)) return name;
  if (ns !== VIM25_NS && ns !== INTERNAL_VIM25_NS) throw codecError(path, `xsi:type ${name} is in namespace '${ns}', not urn:vim25`);
  return name;
}

function readMoref(el: XmlElement, path: string): ManagedObjectReference {
  const type = el.attributes.type;
  if (!type) throw codecError(path, 'ManagedObjectReference without its type attribute');
  if (el.children.length > 0) throw codecError(path, 'ManagedObjectReference holds elements');
  return { _type: 'ManagedObjectReference', type, value: el.text };
}

const INTEGER_TEXT = /^[+-]?\d{1,20}$/;
const DATE_TIME_TEXT = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const BASE64_TEXT = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

export function parsePrimitive(type: PrimitiveTypeName, raw: string, path: string): unknown {
  if (type === 'string') return raw;
  const text = raw.trim();
  const bad = (): never => { throw codecError(path, `${describe(text)} is not an xsd:${type}`); };
  switch (type) {
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : bad();
    case 'double':
    case 'float': {
      if (text === 'INF') return Infinity;
      if (text === '-INF') return -Infinity;
      if (text === 'NaN') return NaN;
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
      return Number.isNaN(n) ? bad() : n;
    }
    case 'dateTime': {
      const date = DATE_TIME_TEXT.test(text) ? new Date(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`) : undefined;
      return date && !Number.isNaN(date.getTime()) ? date : bad();
    }
    case 'base64Binary':
      return BASE64_TEXT.test(text) ? Buffer.from(text, 'base64') : bad();
    default: {
      if (!INTEGER_TEXT.test(text)) return bad();
      const n = Number(text);
      const [min, max] = INTEGER_RANGES[type]!;
      if (n < min || n > max || !Number.isSafeInteger(n)) {
        throw codecError(path, `${text} is out of range for xsd:${type}${type === 'long' ? ' (beyond 2^53)' : ''}`);
      }
      return n;
    }
  }
}
