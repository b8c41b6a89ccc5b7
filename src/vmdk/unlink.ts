import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toVixError } from '../errors/vix-error.js';
import { readLinkFiles, verifyExtentFiles } from './link-files.js';
import { withLinkWriterLock } from './link-lock.js';
import { syncFolder } from './replace-file.js';

// VixDiskLib_Unlink: delete every file of one link, its descriptor and its extents, and nothing
// else: a parent stays (a child deleted leaves its parent intact), children are orphaned (deleting
// a parent is the caller's decision). The descriptor goes first, so a process killed half way
// leaves stray extent files, never a descriptor naming missing ones. Extents already missing are
// not an error; the descriptor must be readable (it is what says which files belong to the link).
// Only files that are extents of the kind the descriptor says, inside the disk's folder (real
// paths, see confinement.ts), are removed; anything else refuses the whole rm before it starts.

export interface UnlinkOptions {
  allowOutsidePaths?: boolean;
}

/** Delete the link at `path`; returns the files removed, descriptor first. */
export async function unlinkDisk(path: string, options: UnlinkOptions = {}): Promise<string[]> {
  return withLinkWriterLock(path, options, () => unlinkLocked(path, options));
}

async function unlinkLocked(path: string, options: UnlinkOptions): Promise<string[]> {
  const lf = await readLinkFiles(path, { allowOutsidePaths: options.allowOutsidePaths });
  await verifyExtentFiles(lf);
  const removed: string[] = [];
  const folders = new Set<string>();
  for (const f of lf.files) {
    try {
      if (f !== lf.path) await lf.confinement.recheck(f);
      await rm(f);
      removed.push(f);
      folders.add(dirname(f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && f !== lf.path) continue;
      throw toVixError(err, f);
    }
  }
  // An extent named through a symlink inside the folder: the name goes too, once its file is gone.
  for (const e of lf.extents) {
    if (!e.symlink) continue;
    await lf.confinement.recheck(e.symlink);
    await rm(e.symlink, { force: true });
    removed.push(e.symlink);
    folders.add(dirname(e.symlink));
  }
  for (const folder of folders) await syncFolder(folder);
  return removed;
}
