import { createDiskDevice } from '../../vmdk/create.js';
import { writeMetadata } from '../../vmdk/metadata.js';

/**
 * A new virtual disk as ESXi makes one on a VMFS datastore: createType "vmfs", a descriptor and
 * a `-flat.vmdk` extent; a thin disk says so with ddb.thinProvisioned = "1" (what ESXi writes, and
 * what QEMU and our engine read), a thick one is the same without it. Our datastores are folders
 * of a host file system, so both extents are sparse files; the difference is what the disk
 * reports (VirtualDiskFlatVer2BackingInfo.thinProvisioned) and how allocated areas are counted.
 * The files are synced before this returns (the caller records the disk only after).
 */
export async function createVmDisk(path: string, capacity: number, thin: boolean): Promise<void> {
  const dev = await createDiskDevice(path, { capacity, type: 'vmfs', adapterType: 'lsilogic', hwVersion: 20 });
  await dev.close();
  if (thin) await writeMetadata(path, 'thinProvisioned', '1');
}
