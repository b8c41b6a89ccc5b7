// A restic repository (format version 2, also reads version 1): open with a password, store and
// load blobs with dedup against the index, trees and snapshots, under a lock.
//
// Write order is restic's (design.rst "Read and Write Ordering"): packs first, then an index file
// naming them, then the snapshot. A writer killed at any moment leaves at worst packs no index
// names (restic check: "not referenced in any index", prune deletes them) or indexed blobs no
// snapshot uses; never a snapshot pointing at something missing. Index files are also written
// every `indexIntervalMs` during a long run, so a killed run's uploaded blobs are found by the
// next run and not stored again.

import { hostname, userInfo } from 'node:os';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR, VIX_E_FILE_NOT_FOUND, VIX_E_INVALID_ARG, VIX_E_OBJECT_NOT_FOUND } from '../errors/error-codes.js';
import type { Backend, FileType } from './backend.js';
import { loadConfig, newConfig, saveConfig, type RepoConfig } from './config.js';
import { CRYPTO_OVERHEAD, IV_SIZE, MAC_SIZE, newRandomKey, open, openInto, seal, type ResticKey } from './crypto.js';
import { hashId, isId } from './id.js';
import { decodeIndex, encodeIndex, type IndexPack } from './index-file.js';
import { addKey, searchKey, type KdfParams } from './key-file.js';
import { LocalBackend } from './local-backend.js';
import { RepoLock, removeStaleLocks } from './lock.js';
import { MasterIndex } from './master-index.js';
import { DEFAULT_PACK_SIZE, Packer, type FinishedPack } from './packer.js';
import type { BlobType } from './pack.js';
import { decodeSnapshot, encodeSnapshot, type Snapshot, type StoredSnapshot } from './snapshot.js';
import { decodeTree, encodeTree, type Node } from './tree.js';
import { decodeUnpacked, MAX_UNPACKED_BYTES, parseJson } from './unpacked.js';
import { SealPool, type HashedBlob } from './seal-pool.js';
import { OpenPool } from './open-pool.js';
import { decompressExact } from './zstd.js';

export type LockMode = 'shared' | 'exclusive' | 'none';

export interface OpenOptions {
  /** Lock taken for the life of the object: 'shared' (default) for backups and reads. */
  lock?: LockMode;
  /** Target pack size in bytes (restic's default 16 MiB). */
  packSize?: number;
  /** Write an index file for completed packs at least this often (default 30 s). */
  indexIntervalMs?: number;
  /** Worker threads that seal blobs (default: one per CPU, at most 4); 0 seals inline. */
  sealWorkers?: number;
  /** Worker threads that open data blobs loaded into shared memory (default: one per CPU, at most 4); 0 opens inline. */
  openWorkers?: number;
}

export interface CreateOptions extends OpenOptions {
  kdf?: KdfParams;
  version?: 1 | 2;
}

/** Largest blob we load: restic's chunks are <= 8 MiB, a 4 TiB disk's tree at 1 MiB chunks ~ 290 MB. */
export const MAX_BLOB_BYTES = 512 * 1024 * 1024;
/** Blobs smaller than this are opened on the calling thread: posting them to a worker costs more. */
const OPEN_INLINE_BELOW = 64 << 10;
/** restic starts a new index file at this many blobs (index.go indexMaxBlobsCompressed). */
const INDEX_MAX_BLOBS = 150_000;
/** Packs being uploaded at once; more waits, which bounds the memory of a fast producer. */
const MAX_UPLOADS = 2;
/** Blobs being sealed at once, per sealing worker (bounds the memory of queued blobs). */
const SEALING_PER_WORKER = 2;

export interface WriteStats {
  /** Blobs stored by this object. */
  blobsStored: number;
  /** Plaintext bytes of those blobs. */
  bytesStored: number;
  /** saveBlob calls that found the blob already in the repository. */
  blobsKnown: number;
  packsWritten: number;
  indexFilesWritten: number;
}

function location(l: string | Backend): Backend {
  return typeof l === 'string' ? new LocalBackend(l) : l;
}

export class Repository {
  readonly index = new MasterIndex();
  readonly stats: WriteStats = { blobsStored: 0, bytesStored: 0, blobsKnown: 0, packsWritten: 0, indexFilesWritten: 0 };
  private readonly packers: Partial<Record<BlobType, Packer>> = {};
  /** Blobs accepted but not yet in an uploaded pack: "type:id" -> their sealed bytes. */
  private readonly pending = new Map<string, Promise<Buffer>>();
  private readonly hashing = new Set<Promise<void>>();
  private readonly sealing = new Set<Promise<void>>();
  private readonly uploads = new Set<Promise<void>>();
  private readonly sealer: SealPool;
  private readonly opener: OpenPool;
  private readonly maxSealing: number;
  private lastTree: { id: string; nodes: Node[] } | null = null;
  private unsaved: IndexPack[] = [];
  private unsavedBlobs = 0;
  private lastIndexSave = Date.now();
  private indexChain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  private constructor(
    readonly backend: Backend,
    private readonly key: ResticKey,
    readonly config: RepoConfig,
    private lock: RepoLock | undefined,
    private readonly packSize: number,
    private readonly indexIntervalMs: number,
    sealWorkers: number | undefined,
    openWorkers: number | undefined,
  ) {
    this.sealer = new SealPool(key, sealWorkers);
    this.opener = new OpenPool(key, openWorkers);
    this.maxSealing = SEALING_PER_WORKER * Math.max(1, this.sealer.workerCount);
  }

  /** Make a new repository, as `restic init` does, and open it. */
  static async create(where: string | Backend, password: string, opts: CreateOptions = {}): Promise<Repository> {
    const backend = location(where);
    await backend.create();
    const key = newRandomKey();
    const cfg = newConfig(opts.version ?? 2);
    // The key first: a config without a key would be a repository nobody can open.
    await addKey(backend, key, password, opts.kdf);
    await saveConfig(backend, key, cfg);
    return Repository.start(backend, key, cfg, opts);
  }

  /** Open an existing repository with a password (wrong password: VIX_E_AUTHENTICATION_FAIL). */
  static async open(where: string | Backend, password: string, opts: OpenOptions = {}): Promise<Repository> {
    const backend = location(where);
    try {
      await backend.stat('config', 'config');
    } catch (e) {
      if (e instanceof VixError && e.code === VIX_E_FILE_NOT_FOUND) {
        throw new VixError(VIX_E_FILE_NOT_FOUND, `${backend.location}: no restic repository there (no config file)`);
      }
      throw e;
    }
    const { master } = await searchKey(backend, password);
    const cfg = await loadConfig(backend, master);
    return Repository.start(backend, master, cfg, opts);
  }

  private static async start(backend: Backend, key: ResticKey, cfg: RepoConfig, opts: OpenOptions): Promise<Repository> {
    const mode = opts.lock ?? 'shared';
    // Lock before reading the index: a prune finishing between the two would leave us deduplicating
    // against blobs it deleted.
    const lock = mode === 'none' ? undefined : await RepoLock.acquire(backend, key, mode === 'exclusive');
    const repo = new Repository(backend, key, cfg, lock, opts.packSize ?? DEFAULT_PACK_SIZE, opts.indexIntervalMs ?? 30_000, opts.sealWorkers, opts.openWorkers);
    try {
      await repo.loadIndex();
    } catch (e) {
      await lock?.release().catch(() => undefined);
      throw e;
    }
    return repo;
  }

  /** Add another password to the repository; returns the new key file's ID. */
  addPassword(password: string, kdf?: KdfParams): Promise<string> {
    return addKey(this.backend, this.key, password, kdf);
  }

  /** Rewrite our lock file now (it is also rewritten every 5 minutes in the background). */
  async refreshLock(): Promise<void> {
    await this.lock?.refresh();
  }

  /** Remove stale locks (older than 30 min, or of a dead process on this host), as `restic unlock`. */
  removeStaleLocks(): Promise<number> {
    return removeStaleLocks(this.backend, this.key);
  }

  // --- unpacked files ---------------------------------------------------------------------------

  /** Load, authenticate and decode an index, snapshot or lock file (its name must be its hash). */
  private async loadUnpacked(type: FileType, id: string): Promise<unknown> {
    const what = `${type} ${id.slice(0, 8)}`;
    const { size } = await this.backend.stat(type, id);
    if (size > MAX_UNPACKED_BYTES) throw new VixError(VIX_E_FILE_ERROR, `${what}: file is too large (${size} bytes)`);
    const raw = await this.backend.load(type, id);
    if (hashId(raw) !== id) throw new VixError(VIX_E_FILE_ERROR, `${what}: file content does not match its name (corrupted)`);
    return parseJson(decodeUnpacked(open(this.key, raw, what), what), what);
  }

  /** Seal and store raw JSON (legal in v1 and v2); returns the file's ID. */
  private async saveUnpacked(type: FileType, json: string): Promise<string> {
    const bytes = seal(this.key, Buffer.from(json));
    const id = hashId(bytes);
    await this.backend.save(type, id, bytes);
    return id;
  }

  private async loadIndex(): Promise<void> {
    for (const { name } of await this.backend.list('index')) {
      const parsed = await this.loadUnpacked('index', name);
      decodeIndex(parsed, `index ${name.slice(0, 8)}`, (packId, b) => this.index.add(packId, b));
    }
  }

  // --- blobs ------------------------------------------------------------------------------------

  private check(): void {
    if (this.closed) throw new VixError(VIX_E_INVALID_ARG, 'repository is closed');
    if (this.failure) throw this.failure;
  }

  hasBlob(type: BlobType, id: string): boolean {
    return this.index.has(type, id) || this.pending.has(`${type}:${id}`);
  }

  /**
   * Store a blob unless the repository has it already; returns its ID (SHA-256 of `data`). The
   * blob is sealed in the background (the caller may reuse `data` at once) and is durable after
   * the next flush(). Safe to call many times concurrently; a sequential caller still keeps the
   * sealing workers busy, because this returns once the blob is queued.
   */
  async saveBlob(type: BlobType, data: Uint8Array): Promise<string> {
    return (await this.storeBlob(type, data)).id;
  }

  /**
   * Start the sealing threads now rather than at the first blob: a writer that calls this before its
   * slow setup (login, a vSphere snapshot) has them booted when its first chunk arrives.
   */
  prepareWrites(): void {
    this.sealer.prestart();
  }

  /** A buffer of `length` bytes to fill and hand to storeBlob() with `giveUp` (recycled memory when there is some). */
  blobBuffer(length: number): Buffer {
    return this.sealer.buffer(length);
  }

  /**
   * saveBlob(), also saying whether this call added the blob (false: the repository had it). With
   * `giveUp`, `data` is handed over to the hashing thread without a copy (it must be a whole
   * ArrayBuffer of its own, e.g. from Buffer.allocUnsafeSlow()) and the caller must not touch it
   * again.
   */
  async storeBlob(type: BlobType, data: Uint8Array, giveUp = false): Promise<{ id: string; added: boolean }> {
    this.check();
    if (data.length > MAX_BLOB_BYTES) throw new VixError(VIX_E_INVALID_ARG, `blob of ${data.length} bytes exceeds ${MAX_BLOB_BYTES}`);
    const length = data.length;
    // Until this blob is known or queued for sealing, flush() waits for it too.
    let queued!: () => void;
    const hashing = new Promise<void>((resolve) => { queued = resolve; });
    this.hashing.add(hashing);
    let blob: HashedBlob;
    try {
      blob = await this.sealer.hash(data, giveUp);
    } finally {
      this.hashing.delete(hashing);
      queued();
    }
    const { id } = blob;
    // From here to the pending mark nothing awaits: two equal blobs hashed at once store one.
    if (this.closed || this.failure || this.hasBlob(type, id)) {
      blob.drop();
      this.check();
      this.stats.blobsKnown++;
      return { id, added: false };
    }
    const sealed = blob.seal();
    sealed.catch(() => undefined); // reported through `work` below
    this.pending.set(`${type}:${id}`, sealed);
    this.stats.blobsStored++;
    this.stats.bytesStored += length;
    const work: Promise<void> = sealed.then((b) => {
      let packer = this.packers[type];
      if (!packer) packer = this.packers[type] = new Packer(type, this.packSize);
      if (packer.add(id, b, 0)) this.startUpload(type);
    }).catch((e) => {
      this.failure ??= e;
    }).finally(() => this.sealing.delete(work));
    this.sealing.add(work);
    while (this.sealing.size >= this.maxSealing || this.uploads.size >= MAX_UPLOADS) {
      await Promise.race([...this.sealing, ...this.uploads]);
    }
    this.check();
    return { id, added: true };
  }

  private startUpload(type: BlobType): void {
    const packer = this.packers[type];
    if (!packer || packer.count === 0) return;
    delete this.packers[type];
    const pack = packer.finish(this.key);
    const p = this.upload(pack).catch((e) => {
      this.failure ??= e;
    }).finally(() => this.uploads.delete(p));
    this.uploads.add(p);
  }

  private async upload(pack: FinishedPack): Promise<void> {
    await this.backend.save('data', pack.id, pack.parts);
    this.stats.packsWritten++;
    for (const b of pack.blobs) {
      this.index.add(pack.id, b);
      this.pending.delete(`${b.type}:${b.id}`);
    }
    this.unsaved.push({ id: pack.id, blobs: pack.blobs });
    this.unsavedBlobs += pack.blobs.length;
    if (this.unsavedBlobs >= INDEX_MAX_BLOBS || Date.now() - this.lastIndexSave >= this.indexIntervalMs) {
      await this.saveIndex();
    }
  }

  /** Write one index file for every uploaded pack no index names yet. */
  private saveIndex(): Promise<void> {
    const next = this.indexChain.then(async () => {
      if (this.unsaved.length === 0) return;
      const packs = this.unsaved;
      this.unsaved = [];
      this.unsavedBlobs = 0;
      this.lastIndexSave = Date.now();
      try {
        await this.saveUnpacked('index', encodeIndex(packs));
        this.stats.indexFilesWritten++;
      } catch (e) {
        this.unsaved.unshift(...packs);
        throw e;
      }
    });
    this.indexChain = next.catch(() => undefined);
    return next;
  }

  /** Upload every pending blob, then write the index for them: after this they are durable. */
  async flush(): Promise<void> {
    this.check();
    while (this.hashing.size > 0 || this.sealing.size > 0) await Promise.all([...this.hashing, ...this.sealing]);
    if (this.failure) throw this.failure;
    this.startUpload('data');
    this.startUpload('tree');
    while (this.uploads.size > 0) await Promise.all([...this.uploads]);
    if (this.failure) throw this.failure;
    await this.saveIndex();
  }

  /** A blob's plaintext, authenticated, decompressed if needed, and checked against its ID. */
  async loadBlob(type: BlobType, id: string): Promise<Buffer> {
    if (!isId(id)) throw new VixError(VIX_E_INVALID_ARG, `invalid blob ID "${id}"`);
    const what = `${type} blob ${id.slice(0, 8)}`;
    let plain: Buffer;
    const loc = this.index.lookup(type, id);
    if (loc) {
      if (loc.length > MAX_BLOB_BYTES + CRYPTO_OVERHEAD || loc.uncompressedLength > MAX_BLOB_BYTES) {
        throw new VixError(VIX_E_FILE_ERROR, `${what}: size in the index exceeds ${MAX_BLOB_BYTES} bytes`);
      }
      const raw = await this.backend.load('data', loc.packId, loc.offset, loc.length);
      // Deciphered step by step in place (a large tree's blob is tens of megabytes: no second copy).
      plain = raw.subarray(IV_SIZE, raw.length - MAC_SIZE);
      openInto(this.key, raw, plain, `${what} in pack ${loc.packId.slice(0, 8)}`);
      if (loc.uncompressedLength > 0) plain = decompressExact(plain, loc.uncompressedLength, what);
    } else {
      const p = this.pending.get(`${type}:${id}`);
      if (!p) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `${what} is not in the repository index`);
      plain = open(this.key, await p, what);
    }
    if (hashId(plain) !== id) throw new VixError(VIX_E_FILE_ERROR, `${what}: content does not match its ID (corrupted)`);
    return plain;
  }

  /** A blob's plaintext length as the index records it; undefined when the index has no such blob. */
  blobLength(type: BlobType, id: string): number | undefined {
    const loc = this.index.lookup(type, id);
    if (!loc) return undefined;
    return loc.uncompressedLength > 0 ? loc.uncompressedLength : loc.length - CRYPTO_OVERHEAD;
  }

  /**
   * loadBlob() into `dest`, which must be exactly the blob's length (blobLength()). Into shared
   * memory (a SharedArrayBuffer view) a blob is opened on the pool's worker threads, which read its
   * pack themselves and decipher straight into `dest`; so a restore's plaintext is written once,
   * into the buffer the destination is written from, and the main thread stays free to write it.
   */
  async loadBlobInto(type: BlobType, id: string, dest: Uint8Array): Promise<void> {
    if (!isId(id)) throw new VixError(VIX_E_INVALID_ARG, `invalid blob ID "${id}"`);
    const loc = this.index.lookup(type, id);
    if (!loc || loc.uncompressedLength > 0) {
      // Not yet uploaded (a writer's pending blob), or compressed: the general path, then a copy.
      const b = await this.loadBlob(type, id);
      if (b.length !== dest.length) throw new VixError(VIX_E_FILE_ERROR, `${type} blob ${id.slice(0, 8)} holds ${b.length} bytes, not ${dest.length}`);
      dest.set(b);
      return;
    }
    const what = `${type} blob ${id.slice(0, 8)} in pack ${loc.packId.slice(0, 8)}`;
    if (loc.length - CRYPTO_OVERHEAD !== dest.length) {
      throw new VixError(VIX_E_FILE_ERROR, `${what} holds ${loc.length - CRYPTO_OVERHEAD} bytes, not ${dest.length}`);
    }
    if (this.opener.workerCount > 0 && dest.buffer instanceof SharedArrayBuffer && dest.length >= OPEN_INLINE_BELOW) {
      const path = this.backend.localPath?.('data', loc.packId);
      const bytes = path === undefined ? await this.backend.load('data', loc.packId, loc.offset, loc.length) : undefined;
      await this.opener.open({ path, bytes, offset: loc.offset, length: loc.length, dest, id, what, fileWhat: `data file ${loc.packId}` });
      return;
    }
    openInto(this.key, await this.backend.load('data', loc.packId, loc.offset, loc.length), dest, what);
    if (hashId(dest) !== id) throw new VixError(VIX_E_FILE_ERROR, `${what}: content does not match its ID (corrupted)`);
  }

  // --- trees, files and snapshots ---------------------------------------------------------------

  saveTree(nodes: Node[]): Promise<string> {
    return this.saveBlob('tree', encodeTree(nodes));
  }

  /**
   * A tree's nodes. The last tree loaded is kept and handed out again (restore and verify look at
   * a VM folder's tree, which holds a large disk's whole chunk list, several times): treat the
   * nodes as read-only.
   */
  async loadTree(id: string): Promise<Node[]> {
    if (this.lastTree?.id === id) return this.lastTree.nodes;
    const nodes = decodeTree(await this.loadBlob('tree', id), `tree ${id.slice(0, 8)}`);
    this.lastTree = { id, nodes };
    return nodes;
  }

  /** The node at `path` (names from the snapshot's root tree, e.g. ["vm", "disk-0.raw"]). */
  async findNode(treeId: string, path: string[]): Promise<Node> {
    let tree = treeId;
    for (let i = 0; i < path.length; i++) {
      const node = (await this.loadTree(tree)).find((n) => n.name === path[i]);
      if (!node) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `"${path.slice(0, i + 1).join('/')}" not found in the snapshot`);
      if (i === path.length - 1) return node;
      if (node.type !== 'dir' || !node.subtree) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `"${path.slice(0, i + 1).join('/')}" is not a directory`);
      tree = node.subtree;
    }
    throw new VixError(VIX_E_INVALID_ARG, 'empty path');
  }

  /**
   * A file node's content, blob by blob in file order, with `readAhead` blobs loading ahead.
   * Memory stays at about readAhead blobs whatever the file's size.
   */
  async *readFile(node: Node, readAhead = 4): AsyncGenerator<Buffer> {
    if (node.type !== 'file') throw new VixError(VIX_E_INVALID_ARG, `"${node.name}" is not a file`);
    const ids = node.content ?? [];
    const queue: Array<Promise<Buffer>> = [];
    let next = 0;
    const fill = () => {
      while (queue.length < Math.max(1, readAhead) && next < ids.length) {
        const p = this.loadBlob('data', ids[next++]);
        p.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
        queue.push(p);
      }
    };
    fill();
    while (queue.length > 0) {
      const b = await queue.shift()!;
      fill();
      yield b;
    }
  }

  /**
   * Store a snapshot of the tree `tree`, after flushing every pending pack and index (so the
   * snapshot never names a blob the repository cannot find). Returns the snapshot's ID.
   */
  async saveSnapshot(s: Omit<Snapshot, 'time'> & { time?: string }): Promise<string> {
    await this.flush();
    let username = '';
    try {
      username = userInfo().username;
    } catch {
      // no passwd entry
    }
    const snap: Snapshot = { hostname: hostname(), username, ...s, time: s.time ?? new Date().toISOString() };
    return this.saveUnpacked('snapshot', encodeSnapshot(snap));
  }

  /** Every snapshot, oldest first (restic's order). */
  async listSnapshots(): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    for (const { name } of await this.backend.list('snapshot')) {
      out.push(decodeSnapshot(await this.loadUnpacked('snapshot', name), name));
    }
    return out.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  /** A snapshot by ID or unique ID prefix, or "latest" (optionally among those `filter` keeps). */
  async findSnapshot(ref: string, filter?: (s: StoredSnapshot) => boolean): Promise<StoredSnapshot> {
    const all = (await this.listSnapshots()).filter((s) => !filter || filter(s));
    if (ref === 'latest') {
      const last = all.at(-1);
      if (!last) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `${this.backend.location}: no snapshot found`);
      return last;
    }
    if (!/^[0-9a-f]{1,64}$/.test(ref)) throw new VixError(VIX_E_INVALID_ARG, `invalid snapshot ID "${ref}"`);
    const matches = all.filter((s) => s.id.startsWith(ref));
    if (matches.length === 0) throw new VixError(VIX_E_OBJECT_NOT_FOUND, `snapshot ${ref} not found`);
    if (matches.length > 1) throw new VixError(VIX_E_INVALID_ARG, `snapshot prefix ${ref} is ambiguous (${matches.length} snapshots)`);
    return matches[0];
  }

  /** Flush what is pending and release the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.failure) await this.flush();
    } finally {
      this.closed = true;
      await this.sealer.close();
      await this.opener.close();
      await this.lock?.release();
      this.lock = undefined;
    }
  }
}
