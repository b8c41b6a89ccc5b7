import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import type { VimClient } from '../vsphere/vim-client.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';

// A VM's small files (its .vmx) as vCenter and ESXi serve datastore files over HTTPS:
// GET /folder/<path in the datastore>?dcPath=<datacenter>&dsName=<datastore>, with the session
// cookie; the server checks Datastore.Browse on the datastore. Bounded: a .vmx is a few KiB.

const MAX_VM_FILE_BYTES = 4 << 20;

/** The inventory path of the datacenter holding `entity` (its `parent` chain, at most 64 steps). */
export async function datacenterPath(vim: VimClient, entity: ManagedObjectReference): Promise<string> {
  const names: string[] = [];
  let at: ManagedObjectReference | undefined = entity;
  let dc: string | null = null;
  for (let steps = 0; at && steps < 64; steps++) {
    const p = await vim.retrieveProperties(at, ['name', 'parent']) as { name?: string; parent?: ManagedObjectReference };
    if (dc !== null) names.unshift(p.name ?? '');
    if (at.type === 'Datacenter') dc = p.name ?? '';
    at = p.parent;
  }
  if (dc === null) throw new VixError(VIX_E_INVALID_ARG, `${entity.value} is in no datacenter`);
  // names: the folders above the datacenter, the root folder first (its name is not in the path).
  return [...names.slice(1), dc].join('/');
}

/** `[ds] dir/file.vmx` → the URL path and query of that file. */
export function datastoreFileUrl(datastorePath: string, dcPath: string): string {
  const m = /^\[([^\]]+)\]\s*(.+)$/.exec(datastorePath);
  if (!m) throw new VixError(VIX_E_INVALID_ARG, `"${datastorePath}" is not a datastore path`);
  const path = m[2]!.split('/').map(encodeURIComponent).join('/');
  return `/folder/${path}?dcPath=${encodeURIComponent(dcPath)}&dsName=${encodeURIComponent(m[1]!)}`;
}

export async function downloadDatastoreFile(vim: VimClient, datastorePath: string, entity: ManagedObjectReference): Promise<Buffer> {
  return vim.getFile(datastoreFileUrl(datastorePath, await datacenterPath(vim, entity)), MAX_VM_FILE_BYTES);
}
