import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import type { Descriptor } from './descriptor.js';
import { VmdkDisk } from './disk.js';
import { readLinkFiles } from './link-files.js';
import { writeFileReplacing } from './replace-file.js';
import { relative, dirname } from 'node:path';

// Committing a delta link into its parent (what a snapshot consolidation does): every run the
// child stores — data, and zeroed grains, which hide the parent — is written into the parent, so
// the parent alone then reads as the child's chain did. The child is only read; the parent's CID
// changes with the first write, so callers relink the child's own children afterwards (relinkChild).
// Running the same commit again gives the same parent: a commit killed half way is finished by
// running it again (the child is untouched until the caller removes it).

/** Bytes copied per read/write step: bounded memory whatever the disk's size. */
const COMMIT_CHUNK = 1 << 20;
/** Window of status queries: keeps one answer's run list small on fragmented deltas. */
const STATUS_WINDOW = 256 << 20;

export interface CommitResult {
  bytesCopied: number;
  bytesZeroed: number;
}

/**
 * Write every run `childPath` stores (in that link alone) into `parentPath`'s chain top.
 * `progress` gets fractions 0..1 as the copy advances.
 */
export async function commitChild(childPath: string, parentPath: string, progress?: (fraction: number) => void): Promise<CommitResult> {
  const child = await VmdkDisk.open(childPath, { readOnly: true, singleLink: true });
  try {
    // A repeated commit (a journal replayed after a crash) may find the parent's own parent
    // already holding what a later step committed into it, with a new CID: the chain reads the
    // same data where this commit needs it (the parent's own grains first), so it is accepted.
    const parent = await VmdkDisk.open(parentPath, { acceptCidMismatch: true });
    try {
      if (parent.capacity < child.capacity) {
        throw new VixError(VIX_E_INVALID_ARG, `${childPath} (${child.capacity} bytes) is larger than its parent ${parentPath} (${parent.capacity} bytes)`);
      }
      const result: CommitResult = { bytesCopied: 0, bytesZeroed: 0 };
      const buffer = new Uint8Array(COMMIT_CHUNK);
      for (let at = 0; at < child.capacity; at += STATUS_WINDOW) {
        const length = Math.min(STATUS_WINDOW, child.capacity - at);
        for (const run of await child.linkStatus(0, at, length)) {
          if (run.state === 'absent') continue;
          if (run.state === 'zero') {
            await parent.zero(run.offset, run.length);
            result.bytesZeroed += run.length;
            continue;
          }
          for (let o = run.offset; o < run.offset + run.length; o += COMMIT_CHUNK) {
            const part = buffer.subarray(0, Math.min(COMMIT_CHUNK, run.offset + run.length - o));
            await child.read(o, part);
            await parent.write(o, part);
            result.bytesCopied += part.length;
          }
        }
        progress?.(Math.min(1, (at + length) / child.capacity));
      }
      await parent.flush();
      return result;
    } finally {
      await parent.close();
    }
  } finally {
    await child.close();
  }
}

/**
 * Point the delta link `childPath` at `parentPath`: parentFileNameHint (relative when the parent
 * is beside or below it, as ESXi writes it) and parentCID = the parent's CID now. The descriptor
 * is replaced atomically; a child with an embedded descriptor is refused (snapshot deltas on ESXi
 * always have a descriptor file).
 */
export async function relinkChild(childPath: string, parentPath: string): Promise<void> {
  const parent = await readLinkFiles(parentPath);
  if (!parent.descriptor) throw new VixError(VIX_E_INVALID_ARG, `${parentPath} has no descriptor`);
  const child = await readLinkFiles(childPath);
  if (!child.descriptor || child.place.kind !== 'file') {
    throw new VixError(VIX_E_INVALID_ARG, `${childPath} has no descriptor file to relink`);
  }
  const rel = relative(dirname(child.path), parent.path);
  const hint = rel.startsWith('..') ? parent.path : rel;
  const d: Descriptor = child.descriptor;
  if (d.parentFileNameHint === hint && d.parentCid === parent.descriptor.cid) return;
  d.set('parentFileNameHint', hint);
  d.parentCid = parent.descriptor.cid;
  await writeFileReplacing(child.path, d.toBytes());
}
