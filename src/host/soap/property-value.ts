import { anyValue, arrayTypeName } from '../../vsphere/vim-value-codec.js';
import { vimTypes } from '../../vsphere/vim-types.js';
import type { ManagedObject } from '../managed-object.js';
import type { HostSession } from './method-handler.js';
import { propertyAs } from './session-view.js';

/**
 * Property paths and the values an `anyType` slot carries (DynamicProperty.val, PropertyChange.val):
 * walk `config.hardware.device` through the data objects a ManagedObject returns, and tag the value
 * with the xsi:type a real host writes — the declared type of the path when the managed-type
 * registry knows it (so an enum is `VirtualMachinePowerState`, not a string, and an array is
 * `ArrayOfVirtualDevice`), else the type the value itself shows.
 */

/** The declared type of a property path: a type name and whether it is an array. */
export interface DeclaredType {
  type: string;
  array: boolean;
}

/**
 * Reads a property path of an object as `session` sees it; undefined when unset anywhere along the
 * way. `topLevel` keeps the object's top-level values for the paths of one ObjectContent: a VM's
 * `config` is built once for `config.hardware.device`, `config.uuid`, `config.changeTrackingEnabled`.
 */
export function readPath(object: ManagedObject, path: string, session: HostSession | undefined, topLevel?: Map<string, unknown>): unknown {
  const [first, ...rest] = path.split('.');
  let value: unknown;
  if (topLevel?.has(first!)) {
    value = topLevel.get(first!);
  } else {
    value = propertyAs(object, first!, session);
    topLevel?.set(first!, value);
  }
  for (const field of rest) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) return undefined;
    value = (value as Record<string, unknown>)[field];
  }
  return value;
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

/**
 * The value as an anyType slot holds it (vim-value-codec's shapes): by its declared type through
 * the codec's `anyValue` when the registry declares one; else morefs and data objects as they are,
 * primitives as `{ _type, value }` of the type they show, arrays as `{ _type: 'ArrayOfX', value }`
 * of their items' common type.
 */
export function toAnyValue(value: unknown, declared?: DeclaredType): unknown {
  if (value === undefined || value === null) return undefined;
  if (declared && declared.type !== 'anyType' && Array.isArray(value) === declared.array) return anyValue(declared, value);
  if (Array.isArray(value)) {
    const itemType = inferItemType(value);
    return { _type: arrayTypeName(itemType), value: value.map((item) => itemValue(item, itemType)) };
  }
  if (isRecord(value) && typeof value._type === 'string') return value;
  return { _type: inferPrimitive(value), value };
}

/** An array item in the shape writeElement expects for the array's item type. */
function itemValue(item: unknown, itemType: string): unknown {
  if (isRecord(item) && item._type === undefined && vimTypes.dataObjectType(itemType)) return { ...item, _type: itemType };
  return item;
}

function inferPrimitive(value: unknown): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (value instanceof Date) return 'dateTime';
  if (value instanceof Uint8Array) return 'base64Binary';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'double';
    return value >= INT_MIN && value <= INT_MAX ? 'int' : 'long';
  }
  return 'string';
}

/** The item type of an untyped array: the common base of its data objects, or its primitive. */
function inferItemType(items: unknown[]): string {
  if (items.length === 0) return 'anyType';
  const first = items[0];
  if (isRecord(first) && first._type === 'ManagedObjectReference') return 'ManagedObjectReference';
  if (isRecord(first) && typeof first._type === 'string') {
    let common = first._type;
    for (const item of items) {
      const type = isRecord(item) && typeof item._type === 'string' ? item._type : common;
      while (!vimTypes.isA(type, common)) {
        const base = vimTypes.dataObjectType(common)?.base;
        if (base === undefined) return 'anyType';
        common = base;
      }
    }
    return common;
  }
  if (items.every((item) => typeof item === 'number')) {
    return items.every((n) => Number.isInteger(n) && (n as number) >= INT_MIN && (n as number) <= INT_MAX) ? 'int' : 'long';
  }
  return inferPrimitive(first);
}
