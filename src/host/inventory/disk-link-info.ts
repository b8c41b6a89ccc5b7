import { resolve } from 'node:path';
import { locateParent } from '../../vmdk/disk.js';
import { readLinkFiles } from '../../vmdk/link-files.js';
import { SECTOR } from '../../vmdk/sparse-header.js';

/**
 * What the host's views need to know of one link of a disk chain without opening it for I/O: read
 * from its descriptor. The views are synchronous (ManagedObject.property), so the inventory keeps
 * these for every link its VMs use and refreshes them after each operation.
 */
export interface DiskLinkInfo {
  /** Absolute path of the descriptor. */
  path: string;
  createType: string;
  capacityBytes: number;
  /** The parent link's absolute path, null for a base disk. */
  parent: string | null;
  /** ddb.uuid as the descriptor writes it, if any. */
  uuid: string | undefined;
  /** ddb.longContentID, the content id vSphere reports. */
  contentId: string | undefined;
  thinProvisioned: boolean;
  /** Every file of the link, the descriptor first. */
  files: string[];
  /** ddb entries, for NFC's disk open reply. */
  ddb: Array<[string, string]>;
}

export async function readDiskLinkInfo(path: string): Promise<DiskLinkInfo> {
  const lf = await readLinkFiles(path);
  const d = lf.descriptor;
  if (!d) throw new Error(`${path} has no descriptor`);
  const hint = d.parentFileNameHint;
  let parent: string | null = null;
  if (hint) {
    parent = await locateParent(lf.confinement.folder, hint);
    if (!parent) throw new Error(`${path}: parent "${hint}" was not found`);
    parent = resolve(parent);
  }
  const ddb = d.ddbKeys().map((k): [string, string] => [k, d.getDdb(k) ?? '']);
  const createType = d.createType;
  return {
    path: lf.path,
    createType,
    capacityBytes: d.extents.reduce((sum, e) => sum + e.sizeSectors, 0) * SECTOR,
    parent,
    uuid: d.getDdb('ddb.uuid'),
    contentId: d.getDdb('ddb.longContentID'),
    thinProvisioned: d.getDdb('ddb.thinProvisioned') === '1' || !/flat|vmfs$|vmfsraw|vmfsrdm/i.test(createType) || createType === 'vmfsThin',
    files: lf.files,
    ddb,
  };
}
