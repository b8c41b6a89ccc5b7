import { createHash } from 'node:crypto';
import { checkRange, mergeExtents, type BlockDevice, type BlockStatusExtent } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR, VIX_E_FILE_READ_ONLY, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import type { Repository } from '../restic/repository.js';
import type { Node } from '../restic/tree.js';
import { chunkDigest, type DiskManifest } from './manifest.js';
import type { RestorePoint } from './restore-point.js';

// One disk of a restore point as a read-only BlockDevice, so restore is the one copy loop
// (block/copy.ts) from this device into any destination, and `serve`/`compare` could take it too.
//
// The disk is the restic file <vm>/<disk>.raw: fixed-size aligned chunks, one data blob each
// (manifest.ts). Before anything is read, the file's blob list is checked against the manifest:
// chunk count for the capacity, and chunkDigest() equal to the manifest's digest. Every blob
// loaded is authenticated and re-hashed against its ID by the repository, and its length checked
// against the chunk's. So a restore gives the backed-up bytes or fails; never other bytes.
//
// A chunk whose blob is the all-zero blob of its length is a hole: blockStatus reports it
// unallocated and zero, so the copy loop neither loads it nor writes it to a sparse destination.

/** SHA-256 of `length` zero bytes, hashed in pieces (a hostile manifest's chunk size allocates nothing). */
function zeroBlobId(length: number): string {
  const h = createHash('sha256');
  const piece = Buffer.alloc(Math.min(length, 1 << 20));
  for (let left = length; left > 0; left -= piece.length) h.update(left >= piece.length ? piece : piece.subarray(0, left));
  return h.digest('hex');
}

export interface BackedUpDiskStats {
  /** Data blobs loaded (each decrypted, authenticated and hashed). */
  blobsLoaded: number;
  bytesLoaded: number;
}

export class BackedUpDisk implements BlockDevice {
  readonly readOnly = true;
  readonly canZero = false;
  readonly capacity: number;
  readonly stats: BackedUpDiskStats = { blobsLoaded: 0, bytesLoaded: 0 };
  private readonly chunkSize: number;
  private readonly content: readonly string[];
  /** Per chunk: its blob is the zero blob of its length. */
  private readonly hole: Uint8Array;

  private constructor(private readonly repo: Repository, readonly disk: DiskManifest, readonly node: Node, readonly path: string) {
    this.capacity = disk.capacityBytes;
    this.chunkSize = disk.chunkSize;
    this.content = node.content ?? [];
    const n = this.content.length;
    const full = zeroBlobId(this.chunkSize);
    const tail = n > 0 ? zeroBlobId(this.chunkLength(n - 1)) : full;
    this.hole = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.hole[i] = this.content[i] === (i === n - 1 ? tail : full) ? 1 : 0;
  }

  /**
   * Disk `index` of `point` (its position in the manifest), checked against the manifest; nothing
   * of its content is read yet.
   */
  static async open(repo: Repository, point: RestorePoint, index: number): Promise<BackedUpDisk> {
    const disks = point.manifest.disks;
    if (!Number.isInteger(index) || index < 0 || index >= disks.length) {
      throw new VixError(VIX_E_INVALID_ARG, `the backup of ${point.manifest.vm.name} has ${disks.length} disk(s); there is no disk ${index}`);
    }
    const disk = disks[index]!;
    const path = `${point.folder}/${disk.file}`;
    const node = (await repo.loadTree(point.folderTree)).find((n) => n.name === disk.file);
    if (!node) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `${path} is named by the manifest but is not in snapshot ${point.snapshot.id.slice(0, 8)}`);
    if (node.type !== 'file') throw new VixError(VIX_E_FILE_ERROR, `${path} is not a file in the snapshot`);
    const content = node.content ?? [];
    const want = Math.ceil(disk.capacityBytes / disk.chunkSize);
    const bad = (what: string): never => {
      throw new VixError(VIX_E_FILE_ERROR, `${path} in snapshot ${point.snapshot.id.slice(0, 8)} does not match its manifest: ${what}; refusing to restore it`);
    };
    if ((node.size ?? 0) !== disk.capacityBytes) bad(`${node.size ?? 0} bytes, the disk has ${disk.capacityBytes}`);
    if (content.length !== want) bad(`${content.length} chunks, ${want} expected of ${disk.chunkSize} bytes`);
    if (chunkDigest(content) !== disk.digest) bad('the digest of its chunks differs');
    return new BackedUpDisk(repo, disk, node, path);
  }

  private chunkLength(i: number): number {
    return Math.min(this.chunkSize, this.capacity - i * this.chunkSize);
  }

  /** The chunks' blob IDs in disk order. */
  get blobIds(): readonly string[] {
    return this.content;
  }

  isHole(chunk: number): boolean {
    return this.hole[chunk] === 1;
  }

  private wrongLength(i: number, length: number): VixError {
    return new VixError(VIX_E_FILE_ERROR, `${this.path}: chunk ${i} (blob ${this.content[i]!.slice(0, 8)}) holds ${length} bytes, not ${this.chunkLength(i)}`);
  }

  /** Chunk `i`'s bytes, authenticated, hashed against its ID and of the chunk's length. */
  async loadChunk(i: number): Promise<Buffer> {
    const b = await this.repo.loadBlob('data', this.content[i]!);
    if (b.length !== this.chunkLength(i)) throw this.wrongLength(i, b.length);
    this.stats.blobsLoaded++;
    this.stats.bytesLoaded += b.length;
    return b;
  }

  /**
   * loadChunk() into `dest` (the chunk's length): into shared memory the blob is opened on the
   * repository's worker threads and deciphered straight into `dest`.
   */
  async loadChunkInto(i: number, dest: Uint8Array): Promise<void> {
    const id = this.content[i]!;
    const length = this.repo.blobLength('data', id);
    if (length !== undefined && length !== this.chunkLength(i)) throw this.wrongLength(i, length);
    if (dest.length !== this.chunkLength(i)) throw new RangeError(`chunk ${i} is ${this.chunkLength(i)} bytes, not ${dest.length}`);
    await this.repo.loadBlobInto('data', id, dest);
    this.stats.blobsLoaded++;
    this.stats.bytesLoaded += dest.length;
  }

  async read(offset: number, buffer: Uint8Array): Promise<void> {
    checkRange(this.capacity, offset, buffer.length);
    const end = offset + buffer.length;
    const loads: Array<Promise<void>> = [];
    for (let i = Math.floor(offset / this.chunkSize); i * this.chunkSize < end; i++) {
      const start = i * this.chunkSize;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + this.chunkLength(i));
      const into = buffer.subarray(from - offset, to - offset);
      if (this.hole[i]) {
        into.fill(0);
        continue;
      }
      // A whole chunk is opened straight into the caller's buffer; part of one goes through a copy.
      if (from === start && to === start + this.chunkLength(i)) loads.push(this.loadChunkInto(i, into));
      else loads.push(this.loadChunk(i).then((b) => { into.set(b.subarray(from - start, to - start)); }));
    }
    const settled = await Promise.allSettled(loads);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
  }

  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    checkRange(this.capacity, offset, length);
    const out: BlockStatusExtent[] = [];
    const end = offset + length;
    for (let i = Math.floor(offset / this.chunkSize); i * this.chunkSize < end; i++) {
      const from = Math.max(offset, i * this.chunkSize);
      const to = Math.min(end, i * this.chunkSize + this.chunkLength(i));
      const hole = this.hole[i] === 1;
      const last = out[out.length - 1];
      if (last && last.zero === hole) last.length += to - from;
      else out.push({ offset: from, length: to - from, allocated: !hole, zero: hole });
    }
    return mergeExtents(out);
  }

  write(): Promise<void> {
    return Promise.reject(new VixError(VIX_E_FILE_READ_ONLY, `${this.path} is a backup: read-only`));
  }

  zero(): Promise<void> {
    return this.write();
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
