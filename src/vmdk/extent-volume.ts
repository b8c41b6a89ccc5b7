import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';

// Flat extents whose bytes live on a block volume instead of in a file of the disk's folder: the
// simulator's LUN-backed datastores (docs/san.md). A datastore on a LUN keeps its descriptors,
// .vmx and deltas as files, but the data of its thick base disks sits inside the LUN at offsets a
// table on the LUN records, as VMFS keeps a file's blocks on its volume. Whoever owns such a
// volume mounts it here under the datastore's folder (real path); the engine then opens a flat
// extent named in that folder through the volume when the volume holds it, and as a file otherwise.

/** Where one flat extent file's bytes are on a volume. */
export interface VolumeExtent {
  /** A handle of the volume, opened for this caller (it closes it). */
  fh: FileHandle;
  /** Byte offset of the extent file's first byte on the volume. */
  offsetBytes: number;
  /** Bytes the volume reserves for the file: reads and writes stay below this. */
  lengthBytes: number;
}

export interface ExtentVolume {
  /** The extent file `relativePath` (`/`-separated, inside the mount folder), or undefined when the volume does not hold it. */
  openExtent(relativePath: string, writable: boolean): Promise<VolumeExtent | undefined>;
}

const mounts = new Map<string, ExtentVolume>();

/** Mount `volume` under the real folder `root`; the function returned unmounts it. */
export function mountExtentVolume(root: string, volume: ExtentVolume): () => void {
  if (mounts.has(root)) throw new Error(`an extent volume is already mounted at ${root}`);
  mounts.set(root, volume);
  return () => {
    if (mounts.get(root) === volume) mounts.delete(root);
  };
}

/** Whether any volume is mounted (the engine skips the lookup entirely when none is). */
export function hasExtentVolumes(): boolean {
  return mounts.size > 0;
}

/** The volume extent for the real path of an extent file, or undefined when no mounted volume holds it. */
export async function openVolumeExtent(realPath: string, writable: boolean): Promise<VolumeExtent | undefined> {
  for (const [root, volume] of mounts) {
    const rel = relative(root, realPath);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue;
    return volume.openExtent(rel.split(sep).join('/'), writable);
  }
  return undefined;
}
