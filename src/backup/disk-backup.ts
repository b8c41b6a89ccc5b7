import { isZero } from '../block/is-zero.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL, VIX_E_INVALID_ARG, VIX_OK } from '../errors/error-codes.js';
import type { Repository } from '../restic/repository.js';
import { hashId } from '../restic/id.js';
import type { VixDiskLibHandle } from '../vix/disk-handle.js';
import type { VixDiskLibApi } from '../vix/vixdisklib.js';
import type { ChangedArea } from './backup-vm.js';

// The backup of one disk of one vSphere snapshot into restic data blobs: the unit of work a job
// queue hands to a worker. Its input names everything it depends on (the open snapshot disk, the
// chunk size, the areas to read, the previous backup's blob list), its output is the disk's blob
// list; running it twice gives the same list and stores nothing the second time (blobs are
// content-addressed and deduplicated against the repository's index), so a killed or repeated
// run is harmless.
//
// Chunks are fixed-size and aligned to the disk (every chunk but the last is `chunkSize` bytes), so
// a chunk's place never moves between backups and an unchanged chunk keeps its blob:
//   - a chunk touched by `areas` is read (many reads in flight) and stored unless known;
//   - any other chunk is the previous backup's blob (incremental) or the zero blob (full: not
//     allocated), both without a read.
// A chunk read as all zeros becomes the zero blob without hashing it again.

export interface DiskBackupInput {
  lib: VixDiskLibApi;
  handle: VixDiskLibHandle;
  repo: Repository;
  capacityBytes: number;
  chunkSize: number;
  /** Byte areas to read: allocated (full) or changed (incremental); any order, may overlap. */
  areas: readonly ChangedArea[];
  /** The previous backup's blob ids of this disk (same capacity and chunk size), or null for a full. */
  previous: readonly string[] | null;
  /**
   * Blobs an interrupted attempt already stored for chunks that have not changed since (chunk
   * index -> blob id): taken without reading when the repository's index has them.
   */
  resumed?: ReadonlyMap<number, string>;
  /** Reads in flight (default 16). */
  inFlight?: number;
  /** Called after each chunk read: bytes read so far of the bytes to read. */
  onProgress?: (bytesRead: number, bytesToRead: number) => void;
  /** Called when a chunk's blob has been handed to the repository (for a checkpoint). */
  onChunk?: (index: number, blobId: string) => void;
}

export interface DiskBackupResult {
  /** The disk's blob ids in order: the restic file node's content. */
  content: string[];
  bytesRead: number;
  /** Plaintext bytes of blobs this backup added to the repository. */
  bytesNew: number;
  chunksRead: number;
  chunksReused: number;
  chunksZero: number;
  chunksResumed: number;
}

const SECTOR = 512;

export function chunkCount(capacityBytes: number, chunkSize: number): number {
  return Math.ceil(capacityBytes / chunkSize);
}

/** A 0/1 mark per chunk: 1 when an area touches it. */
export function chunksTouched(areas: readonly ChangedArea[], capacityBytes: number, chunkSize: number): Uint8Array {
  const marks = new Uint8Array(chunkCount(capacityBytes, chunkSize));
  for (const a of areas) {
    if (a.length <= 0) continue;
    const first = Math.floor(a.start / chunkSize);
    const end = Math.min(Math.ceil(Math.min(a.start + a.length, capacityBytes) / chunkSize), marks.length);
    marks.fill(1, first, end);
  }
  return marks;
}

/** One ReadAsync as a promise (the callback gives only a code; the message names the sectors). */
function readChunk(lib: VixDiskLibApi, h: VixDiskLibHandle, offset: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    lib.ReadAsync(h, offset / SECTOR, buf.length / SECTOR, buf, (_data, result) => {
      if (result === VIX_OK) resolve();
      else reject(new VixError(result, `read of ${buf.length} bytes at offset ${offset} of ${h.path} failed`));
    }, null);
  });
}

export async function backupDisk(input: DiskBackupInput): Promise<DiskBackupResult> {
  const { lib, handle, repo, capacityBytes, chunkSize } = input;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0 || chunkSize % SECTOR !== 0) throw new VixError(VIX_E_INVALID_ARG, `chunk size ${chunkSize} is not a positive multiple of 512`);
  if (capacityBytes % SECTOR !== 0) throw new VixError(VIX_E_INVALID_ARG, `capacity ${capacityBytes} is not whole sectors`);
  const n = chunkCount(capacityBytes, chunkSize);
  if (input.previous && input.previous.length !== n) {
    throw new VixError(VIX_E_INVALID_ARG, `the previous backup has ${input.previous.length} chunks, this disk ${n}`);
  }
  const touched = chunksTouched(input.areas, capacityBytes, chunkSize);
  const lengthOf = (i: number) => Math.min(chunkSize, capacityBytes - i * chunkSize);

  // Zero blobs: one per length (the whole chunk, and a shorter last chunk), stored once if used.
  const zeroIds = new Map<number, string>();
  const zeroId = async (length: number): Promise<string> => {
    let id = zeroIds.get(length);
    if (!id) {
      const stored = await repo.storeBlob('data', Buffer.alloc(length));
      if (stored.added) result.bytesNew += length;
      id = stored.id;
      zeroIds.set(length, id);
    }
    return id;
  };

  const content: string[] = new Array<string>(n);
  const result: DiskBackupResult = { content, bytesRead: 0, bytesNew: 0, chunksRead: 0, chunksReused: 0, chunksZero: 0, chunksResumed: 0 };
  let bytesToRead = 0;
  const toRead: number[] = [];
  for (let i = 0; i < n; i++) {
    if (touched[i]) {
      const earlier = input.resumed?.get(i);
      if (earlier && repo.index.has('data', earlier)) {
        content[i] = earlier;
        result.chunksResumed++;
        continue;
      }
      toRead.push(i);
      bytesToRead += lengthOf(i);
    } else if (input.previous) {
      content[i] = input.previous[i]!;
      result.chunksReused++;
    } else {
      content[i] = await zeroId(lengthOf(i));
      result.chunksZero++;
    }
  }
  input.onProgress?.(0, bytesToRead);

  // Reads in flight, each into a buffer of its own that is handed over, not copied, to the thread
  // that hashes and seals it (a chunk read as zeros is simply dropped).
  const depth = Math.max(1, Math.min(input.inFlight ?? 16, toRead.length || 1));
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    let spare: Buffer | undefined; // a buffer read as zeros, still ours
    while (failure === undefined && next < toRead.length) {
      const i = toRead[next++]!;
      const length = lengthOf(i);
      const buf = spare?.length === length ? spare : repo.blobBuffer(length);
      spare = undefined;
      try {
        await readChunk(lib, handle, i * chunkSize, buf);
        result.chunksRead++;
        result.bytesRead += length;
        let id: string;
        if (isZero(buf)) {
          spare = buf;
          id = await zeroId(length);
        } else {
          const stored = await repo.storeBlob('data', buf, true);
          if (stored.added) result.bytesNew += length;
          id = stored.id;
        }
        content[i] = id;
        input.onChunk?.(i, id);
        input.onProgress?.(result.bytesRead, bytesToRead);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: depth }, worker));
  if (failure !== undefined) throw failure;
  for (let i = 0; i < n; i++) if (!content[i]) throw new VixError(VIX_E_FAIL, `chunk ${i} of ${handle.path} has no blob`);
  return result;
}

/** The blob ID restic would give `length` zero bytes (for tests and plans; nothing is stored). */
export function zeroBlobId(length: number): string {
  return hashId(Buffer.alloc(length));
}
