import { managedTypes } from '../../vsphere/vim-managed-types.js';
import type { DeclaredType } from './property-value.js';

/**
 * What the SOAP side asks the managed-type registry (src/vsphere/vim-managed-types.ts):
 * inheritance between managed types (a TraversalSpec on `ManagedEntity` applies to a Folder), the
 * declared type of a property path (to type DynamicProperty.val and refuse unknown paths with
 * InvalidProperty) and the property names of a type (PropertySpec.all).
 */

export function managedIsA(type: string, ancestor: string): boolean {
  return type === ancestor || managedTypes.isA(type, ancestor);
}

/**
 * The declared type of `path` on `type`; 'invalid' when the registry knows the type and the path
 * names nothing on it; undefined for a type the registry does not know (its value's own shape
 * types it then).
 */
export function declaredPropertyType(type: string, path: string): DeclaredType | undefined | 'invalid' {
  if (!managedTypes.get(type)) return undefined;
  return managedTypes.propertyType(type, path) ?? 'invalid';
}

/** Undefined: the registry does not know the type. */
export function propertyNames(type: string): string[] | undefined {
  return managedTypes.propertyNames(type);
}
