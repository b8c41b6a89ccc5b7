import { moref, type ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ObjectDirectory } from '../managed-object.js';

// The properties through which an inventory path descends (as SearchIndex.FindByInventoryPath
// walks: folders by childEntity, a datacenter by its four folders, compute resources by their
// hosts and root pool, pools by their pools and VMs).
const CHILD_PROPERTIES: Record<string, readonly string[]> = {
  Folder: ['childEntity'],
  Datacenter: ['vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'],
  ComputeResource: ['host', 'resourcePool'],
  ClusterComputeResource: ['host', 'resourcePool'],
  ResourcePool: ['resourcePool', 'vm'],
};

function refs(value: unknown): ManagedObjectReference[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is ManagedObjectReference => typeof v === 'object' && v !== null && (v as { _type?: string })._type === 'ManagedObjectReference');
}

function nameOf(directory: ObjectDirectory, ref: ManagedObjectReference): string | undefined {
  const name = directory.lookup(ref)?.property('name');
  return typeof name === 'string' ? name : undefined;
}

/**
 * The entity a permission names: `/` is the root folder; `/dc1/vm/web` an inventory path of names
 * from the root (a datacenter's folders are `vm`, `host`, `datastore`, `network`); `Type:value` a
 * moref. Undefined when nothing matches (the caller names the config key).
 */
export function resolveEntity(spec: string, directory: ObjectDirectory, rootFolder: ManagedObjectReference): ManagedObjectReference | undefined {
  if (!spec.startsWith('/')) {
    const colon = spec.indexOf(':');
    const ref = moref(spec.slice(0, colon), spec.slice(colon + 1));
    return directory.lookup(ref) ? ref : undefined;
  }
  let at = rootFolder;
  for (const part of spec.split('/').filter((p) => p.length > 0)) {
    const object = directory.lookup(at);
    if (!object) return undefined;
    const children = (CHILD_PROPERTIES[at.type] ?? []).flatMap((p) => refs(object.property(p)));
    const next = children.find((c) => nameOf(directory, c) === part);
    if (!next) return undefined;
    at = next;
  }
  return at;
}
