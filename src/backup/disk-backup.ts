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
//   - a chunk touched by `areas` is read (many reads in flight) and stored unless known; in an
//     incremental, a chunk whose changed areas cover less than half of it starts from its previous
//     blob, loaded from the repository (local, and cheaper than a read from the host), and only
//     the changed areas are read from the host: an incremental reads about what changed, not
//     whole chunks (if the previous blob cannot be loaded, the whole chunk is read instead);
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
  /** Called after each chunk read: bytes of chunks done so far of the bytes of chunks to read. */
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

/** Per chunk, the byte ranges inside it that `areas` touch, sorted and merged (offsets from the chunk's start). */
export function rangesInChunks(areas: readonly ChangedArea[], capacityBytes: number, chunkSize: number): Map<number, Array<[number, number]>> {
  const byChunk = new Map<number, Array<[number, number]>>();
  for (const a of areas) {
    const end = Math.min(a.start + a.length, capacityBytes);
    for (let at = a.start; at < end;) {
      const i = Math.floor(at / chunkSize);
      const stop = Math.min(end, (i + 1) * chunkSize);
      let list = byChunk.get(i);
      if (!list) byChunk.set(i, list = []);
      list.push([at - i * chunkSize, stop - i * chunkSize]);
      at = stop;
    }
  }
  for (const [i, list] of byChunk) {
    list.sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const r of list) {
      const last = merged.at(-1);
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    byChunk.set(i, merged);
  }
  return byChunk;
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
  const partial = input.previous ? rangesInChunks(input.areas, capacityBytes, chunkSize) : null;
  /** Fill `buf` with chunk i: its previous blob patched with the changed areas, or one whole read. */
  const fill = async (i: number, buf: Buffer): Promise<void> => {
    const ranges = partial?.get(i);
    const changed = ranges?.reduce((n, [a, b]) => n + b - a, 0) ?? buf.length;
    const earlier = input.previous?.[i];
    if (ranges && earlier && changed * 2 < buf.length && repo.blobLength('data', earlier) === buf.length) {
      let loaded = true;
      try {
        await repo.loadBlobInto('data', earlier, buf);
      } catch {
        loaded = false; // unreadable in the repository: this chunk is read whole below
      }
      if (loaded) {
        // Sector-aligned (change tracking's areas are), so each range is one read of its own.
        await Promise.all(ranges.map(([a, b]) => {
          const from = Math.floor(a / SECTOR) * SECTOR;
          const to = Math.min(Math.ceil(b / SECTOR) * SECTOR, buf.length);
          return readChunk(lib, handle, i * chunkSize + from, buf.subarray(from, to)).then(() => { result.bytesRead += to - from; });
        }));
        return;
      }
    }
    await readChunk(lib, handle, i * chunkSize, buf);
    result.bytesRead += buf.length;
  };
  let chunkBytesDone = 0; // progress counts chunks done, whatever part of them was read from the host
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
        await fill(i, buf);
        result.chunksRead++;
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
        chunkBytesDone += length;
        input.onProgress?.(chunkBytesDone, bytesToRead);
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
