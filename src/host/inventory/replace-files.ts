import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeAt } from '../../block/file-io.js';
import { asidePath, syncFolder } from '../../vmdk/replace-file.js';

/**
 * Several whole-file replacements made durable together: every new content written aside and
 * synced at once (the syncs overlap instead of queuing one behind the other), then the renames,
 * then each folder synced once. A process killed part way leaves each file old or new, never
 * half: callers that need all-or-none (a VM's .vmx/.vmsd/.vmsn) hold the list in a roll-forward
 * journal, which rewrites every file again (vm-journal.ts). Each file keeps its mode; a new one
 * gets 0644.
 */
export async function writeFilesReplacing(files: ReadonlyArray<{ file: string; bytes: Uint8Array }>): Promise<void> {
  const asides = await Promise.all(files.map(({ file, bytes }) => writeAside(file, bytes).then(
    (tmp) => ({ ok: true as const, tmp, file }),
    (err: unknown) => ({ ok: false as const, err }),
  )));
  const failed = asides.find((a) => !a.ok);
  if (failed && !failed.ok) {
    await Promise.all(asides.map((a) => (a.ok ? rm(a.tmp, { force: true }) : undefined)));
    throw failed.err;
  }
  for (const a of asides) if (a.ok) await rename(a.tmp, a.file);
  await Promise.all([...new Set(files.map((f) => dirname(f.file)))].map(syncFolder));
}

async function writeAside(path: string, bytes: Uint8Array): Promise<string> {
  const tmp = asidePath(path, 'new');
  const mode = ((await stat(path).catch(() => null))?.mode ?? 0o644) & 0o7777;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.chmod(mode);
    await writeAt(fh, bytes, 0);
    await fh.datasync();
    await fh.close();
    return tmp;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
