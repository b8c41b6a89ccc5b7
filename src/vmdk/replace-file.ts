import { link, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { identifierBytes } from './identifier-bytes.js';
import { writeAt } from '../block/file-io.js';

// Replacing files so that a process killed at any moment leaves either the old file or the new
// one: the new content is written aside (a temporary name in the same folder, so the rename stays
// on one file system), synced, renamed over the old name, and the folder is synced so the rename
// itself is durable.

/** A temporary name beside `path`, hidden, unique to this process and call. */
export function asidePath(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}.${process.pid}.${identifierBytes(4).toString('hex')}.tmp`);
}

/** What asidePath names look like: the file's name, a tag, the process id, a random part. */
const ASIDE_NAME = /^\.(.+)\.([a-z]+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The files asidePath made for `path` whose process no longer runs (on this machine): what a
 * rewrite (shrink, defragment, grow, rename) killed before its switch left behind. The disk never
 * refers to them; each holds a partial copy.
 */
export async function staleAsideFiles(path: string): Promise<string[]> {
  const folder = dirname(path);
  const name = basename(path);
  const entries = await readdir(folder).catch(() => [] as string[]);
  const stale: string[] = [];
  for (const entry of entries) {
    const m = ASIDE_NAME.exec(entry);
    if (!m || m[1] !== name) continue;
    const pid = Number(m[3]);
    if (pid !== process.pid && !processRuns(pid)) stale.push(join(folder, entry));
  }
  return stale;
}

/** Remove the leftovers staleAsideFiles finds for `path`; returns what was removed. */
export async function removeStaleAsideFiles(path: string): Promise<string[]> {
  const stale = await staleAsideFiles(path);
  for (const f of stale) await rm(f, { force: true });
  return stale;
}

/** Make a rename or unlink in `folder` durable. Some file systems refuse fsync on folders: ignored. */
export async function syncFolder(folder: string): Promise<void> {
  let fh;
  try {
    fh = await open(folder, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Rename `tmp` over `path` and make it durable. */
export async function replaceFile(tmp: string, path: string): Promise<void> {
  await rename(tmp, path);
  await syncFolder(dirname(path));
}

/**
 * Write `bytes` (or text) as the whole content of `path`, atomically (aside, sync, rename, sync
 * folder). The file keeps its mode; `mode` is the one a new file gets (0644 by default), set at
 * creation so a secret is never readable by others, even for a moment.
 */
export async function writeFileReplacing(path: string, bytes: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
  const tmp = asidePath(path, 'new');
  const mode = (await stat(path).catch(() => null))?.mode ?? options.mode ?? 0o644;
  const fh = await open(tmp, 'wx', mode & 0o7777);
  try {
    await fh.chmod(mode & 0o7777);
    await writeAt(fh, typeof bytes === 'string' ? Buffer.from(bytes) : bytes, 0);
    await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await replaceFile(tmp, path);
}

/**
 * Give the finished file `tmp` its final name `path`, refusing (with `tmp` removed) when `path`
 * exists: a hard link creates the name only if it is free; file systems without hard links fall
 * back to a rename after a check.
 */
export async function publishNewFile(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
    await rm(tmp, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await rm(tmp, { force: true });
      throw err;
    }
    if (await stat(path).then(() => true, () => false)) {
      await rm(tmp, { force: true });
      throw Object.assign(new Error(`${path} already exists`), { code: 'EEXIST' });
    }
    await rename(tmp, path);
  }
  await syncFolder(dirname(path));
}
