import type { DeclaredType } from './property-value.js';

/**
 * What the SOAP side needs from the managed-type registry: inheritance between managed types
 * (a TraversalSpec on `ManagedEntity` applies to a Folder), the declared type of a property path
 * (to type DynamicProperty.val and refuse unknown paths with InvalidProperty) and the property
 * names of a type (PropertySpec.all).
 */

// Inheritance of the managed types the host serves, until the full registry is wired here.
const BASE: Record<string, string> = {
  Folder: 'ManagedEntity', Datacenter: 'ManagedEntity', ComputeResource: 'ManagedEntity',
  ClusterComputeResource: 'ComputeResource', HostSystem: 'ManagedEntity', ResourcePool: 'ManagedEntity',
  VirtualApp: 'ResourcePool', VirtualMachine: 'ManagedEntity', Datastore: 'ManagedEntity', Network: 'ManagedEntity',
  DistributedVirtualPortgroup: 'Network', ContainerView: 'ManagedObjectView', ListView: 'ManagedObjectView',
  InventoryView: 'ManagedObjectView', ManagedObjectView: 'View',
};

export function managedIsA(type: string, ancestor: string): boolean {
  for (let t: string | undefined = type; t !== undefined; t = BASE[t]) if (t === ancestor) return true;
  return false;
}

/** Undefined: the registry does not know the type or path (the value's own shape types it). */
export function declaredPropertyType(_type: string, _path: string): DeclaredType | undefined | 'invalid' {
  return undefined;
}

/** Undefined: the registry does not know the type. */
export function propertyNames(_type: string): string[] | undefined {
  return undefined;
}
