import { vimTypes, type DataObject } from './vim-types.js';
import { arrayItemType } from './vim-value-codec.js';

/**
 * What a server answers a client of an older API version: data objects without the fields added
 * after that version (the `@since` of vim-types.ts), as vCenter and hostd serialise per the
 * version the client named in its SOAPAction (`urn:vim25/6.7.1`). An old client's parser refuses
 * an element it does not know: pyVmomi 6.7 fails on NoPermission.missingPrivileges (7.0.3.2).
 */

/** `urn:vim25/6.7.1` or `"urn:vim25/6.7.1"` -> `6.7.1`; undefined for anything else. */
export function versionOfSoapAction(header: string | undefined): string | undefined {
  const m = /^"?urn:vim25\/(\d+(?:\.\d+){0,3})"?$/.exec((header ?? '').trim());
  return m?.[1];
}

/** Compares dotted versions numerically (6.7.1 < 7.0 < 7.0.3.2); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const MAX_DEPTH = 64;

/**
 * `value` (declared as `declared`) with every field newer than `version` left out, recursively;
 * the value itself is not changed (values handed out are snapshots others may keep).
 */
export function pruneForVersion(value: unknown, declared: string, version: string, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => pruneForVersion(v, declared, version, depth + 1));
  const obj = value as DataObject;
  const typeName = obj._type ?? declared;
  if (typeName === 'ManagedObjectReference') return value;
  const itemType = arrayItemType(typeName);
  if (itemType !== undefined && 'value' in obj) {
    return { ...obj, value: pruneForVersion(obj.value, itemType, version, depth + 1) };
  }
  const type = vimTypes.dataObjectType(typeName);
  if (!type) return value;
  const out: DataObject = obj._type === undefined ? {} : { _type: obj._type };
  for (const field of type.fields) {
    if (!(field.name in obj)) continue;
    if (field.since !== undefined && compareVersions(field.since, version) > 0) continue;
    out[field.name] = pruneForVersion(obj[field.name], field.type, version, depth + 1);
  }
  return out;
}
