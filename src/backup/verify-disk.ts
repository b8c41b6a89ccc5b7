import { toVixError } from '../errors/vix-error.js';
import type { Repository } from '../restic/repository.js';
import { BackedUpDisk } from './backed-up-disk.js';
import type { RestorePoint } from './restore-point.js';

// Verify one backed-up disk: its blob list against the manifest (chunk count and digest), then
// every distinct blob it names re-read from its pack: decrypted, authenticated (Poly1305-AES) and
// hashed against its ID, and its length checked against the chunk's. What restic check
// --read-data does for the whole repository, for one disk, with the manifest's digest on top.

export interface VerifyDiskResult {
  /** "<vm folder>/<disk file>". */
  path: string;
  label: string;
  capacityBytes: number;
  chunks: number;
  /** Distinct blobs read by this disk's check (those already checked in this run are not read again). */
  blobsRead: number;
  bytesRead: number;
  /** Chunks whose blob failed (0 when ok). */
  badChunks: number;
  /** The first problem found, one line; null when the disk is intact. */
  error: string | null;
}

export interface VerifyOptions {
  /** Blob IDs already verified in this run (shared between disks and snapshots): not read again. */
  verified?: Set<string>;
  /** Blob loads in flight (default 8). */
  concurrency?: number;
  onProgress?: (doneChunks: number, totalChunks: number) => void;
}

export async function verifyDisk(repo: Repository, point: RestorePoint, index: number, options: VerifyOptions = {}): Promise<VerifyDiskResult> {
  const m = point.manifest.disks[index]!;
  const result: VerifyDiskResult = {
    path: `${point.folder}/${m.file}`, label: m.label, capacityBytes: m.capacityBytes,
    chunks: 0, blobsRead: 0, bytesRead: 0, badChunks: 0, error: null,
  };
  let disk: BackedUpDisk;
  try {
    disk = await BackedUpDisk.open(repo, point, index);
  } catch (err) {
    result.error = toVixError(err).message;
    return result;
  }
  const ids = disk.blobIds;
  result.chunks = ids.length;
  const verified = options.verified ?? new Set<string>();
  const failed = new Map<string, string>();
  // Each distinct blob once, at the first chunk that names it; later chunks share its verdict.
  const firstChunk = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) if (!verified.has(ids[i]!) && !firstChunk.has(ids[i]!)) firstChunk.set(ids[i]!, i);
  const work = [...firstChunk.values()];
  let next = 0;
  let done = 0;
  const worker = async () => {
    // One buffer per loader, shared memory: the repository's worker threads open blobs into it.
    let buffer: Uint8Array | null = null;
    while (next < work.length) {
      const i = work[next++]!;
      const id = ids[i]!;
      try {
        const length = Math.min(m.chunkSize, m.capacityBytes - i * m.chunkSize);
        if (!buffer || buffer.length < length) buffer = new Uint8Array(new SharedArrayBuffer(length));
        await disk.loadChunkInto(i, buffer.subarray(0, length));
        result.blobsRead++;
        result.bytesRead += length;
        verified.add(id);
      } catch (err) {
        failed.set(id, toVixError(err).message);
      }
      options.onProgress?.(++done, work.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  for (let i = 0; i < ids.length; i++) {
    const problem = failed.get(ids[i]!);
    if (problem === undefined) continue;
    result.badChunks++;
    result.error ??= `chunk ${i} (blob ${ids[i]!.slice(0, 8)}) at byte ${i * m.chunkSize}: ${problem}`;
  }
  return result;
}
