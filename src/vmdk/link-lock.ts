import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DiskLock } from '../block/disk-lock.js';
import { readLinkFiles } from './link-files.js';

// The writer lock a maintenance operation (grow, shrink, defragment, rename, unlink, repair,
// metadata set) holds on one link for its whole run: every file of the link, the descriptor's
// first (block/disk-lock.ts). Taken here, at the entry of each operation, so VixDiskLib and the
// command line get it alike. Operations that open the link for I/O inside it pass lock: false.

/**
 * Run `fn` holding the exclusive lock on the link at `path`; `fn` may add more files to the lock
 * (rename locks the new names). A link whose descriptor cannot be read is locked by its one file,
 * and `fn` reports what is wrong with it.
 */
export async function withLinkWriterLock<T>(path: string, options: { allowOutsidePaths?: boolean },
  fn: (lock: DiskLock) => Promise<T>): Promise<T> {
  const abs = resolve(path);
  const files = await readLinkFiles(abs, options).then((lf) => lf.files,
    async () => (await stat(abs).then(() => true, () => false) ? [abs] : []));
  const lock = new DiskLock('exclusive');
  try {
    await lock.add(...files);
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
