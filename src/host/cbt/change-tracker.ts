import { open, rm, type FileHandle } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { VixError, toVixError } from '../../errors/vix-error.js';
import { VIX_E_FAIL, VIX_E_FILE_ALREADY_LOCKED, VIX_E_INVALID_ARG } from '../../errors/error-codes.js';
import { checkRange } from '../../block/block-device.js';
import { readAt, writeAt } from '../../block/file-io.js';
import { AsyncMutex } from '../../vmdk/async-mutex.js';
import { asidePath, removeStaleAsideFiles, replaceFile } from '../../vmdk/replace-file.js';
import { formatChangeId, MAX_SEQUENCE, newTrackingUuid, parseChangeId } from './change-id.js';
import { changeIdFileFault, invalidArgument } from './cbt-faults.js';
import { crc32 } from './crc32.js';
import { readMarks, replayJournal, type TrackingState as State } from './ctk-replay.js';
import {
  blockCountFor, blockSizeFor, ctkDamaged, decodeHeader, encodeHeader, encodeRecord, headerCrc,
  HEADER_SIZE, journalFoldBytes, journalLimitBytes, mapBytes, RECORD_SIZE, type CtkHeader, type JournalRecord,
} from './ctk-file.js';

export { TrackedDevice } from './tracked-device.js';

/** One changed run of the disk, in bytes (vim25 DiskChangeExtent). */
export interface ChangedArea { start: number; length: number }
/** One page of QueryChangedDiskAreas' answer (vim25 DiskChangeInfo): [startOffset, startOffset+length). */
export interface ChangedAreas { startOffset: number; length: number; changedArea: ChangedArea[] }

/**
 * At most this many areas in one page. ESXi documents that one answer may cover only part of the
 * disk and clients loop on startOffset + length; we end a page after this many areas so a SOAP
 * answer stays bounded (about 100 KiB of XML) however scattered the changes.
 */
export const MAX_AREAS_PER_PAGE = 2048;
/** Marks committed by one write + datasync at most (concurrent record() calls share it). */
const MAX_BATCH_RECORDS = 1024;

type Op =
  | { kind: 'mark'; offset: number; length: number; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'freeze'; resolve: (id: string) => void; reject: (e: unknown) => void }
  | { kind: 'resize'; capacity: number; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'close'; resolve: () => void; reject: (e: unknown) => void };

/**
 * The tracking files open in this process. Two trackers appending to one journal would interleave
 * batches and make the file unreadable, so a second create/open of an open path is refused.
 */
const openPaths = new Set<string>();

function claim(path: string): string {
  const key = resolve(path);
  if (openPaths.has(key)) throw new VixError(VIX_E_FILE_ALREADY_LOCKED, `${basename(path)}: change tracking is already open`);
  openPaths.add(key);
  return key;
}


/**
 * Changed-block tracking for one virtual disk, kept in its -ctk.vmdk (layout: ctk-file.ts,
 * docs/host-cbt.md). Sequence s is "open" while writes are marked with it; freeze() closes it and
 * the change id `<uuid>/<s>` then names the disk as it was when s closed. changedAreas(S, U)
 * reports every block whose last change was in a sequence after S: whatever was written after S
 * and up to U has a mark > S (marks only grow), so the answer is a superset of the changes in (S, U].
 *
 * Durability: a mark is applied in memory only after it is on disk (appended to the journal and
 * datasynced), so what record() acknowledged is never lost and "already marked" (the no-I/O fast
 * path) always means "already durable". Concurrent record() calls share one write + datasync.
 */
export class ChangeTracker {
  readonly path: string;
  /** The file name clients may see in faults (set it to the datastore path); the base name by default. */
  faultFile: string;
  private fh: FileHandle | undefined;
  private s: State;
  private seed = 0;
  private journalEnd = 0;
  private journalIndex = 0;
  private journalBatch = 0;
  private readonly queue: Op[] = [];
  private pumping = false;
  private failure: VixError | undefined;
  private closing = false;
  // freeze() and resize() wait for the writes TrackedDevice has in flight and hold new ones back.
  private readonly exclusiveLock = new AsyncMutex();
  private exclusive: Promise<void> | undefined;
  private inflight = 0;
  private drained: (() => void) | undefined;

  private constructor(path: string, state: State) {
    this.path = path;
    this.faultFile = basename(path);
    this.s = state;
  }

  get capacity(): number {
    return this.s.capacity;
  }

  get uuid(): string {
    return this.s.uuid;
  }

  /** Tracking granularity in bytes: areas are reported in whole blocks. */
  get blockSize(): number {
    return this.s.blockSize;
  }

  /** The open sequence number (the number in changeId()). */
  get sequence(): number {
    return this.s.sequence;
  }

  static async create(ctkPath: string, capacityBytes: number): Promise<ChangeTracker> {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
      throw new VixError(VIX_E_INVALID_ARG, `change tracking for a disk of ${capacityBytes} bytes: not a capacity`);
    }
    const key = claim(ctkPath);
    const blockSize = blockSizeFor(capacityBytes);
    const tracker = new ChangeTracker(ctkPath, {
      uuid: newTrackingUuid(), capacity: capacityBytes, blockSize,
      marks: new Uint32Array(blockCountFor(capacityBytes, blockSize)), sequence: 0,
    });
    try {
      await tracker.writeWhole(tracker.s);
    } catch (err) {
      openPaths.delete(key);
      throw toVixError(err, `creating ${ctkPath}`);
    }
    return tracker;
  }

  static async open(ctkPath: string): Promise<ChangeTracker> {
    const name = basename(ctkPath);
    const key = claim(ctkPath);
    let fh: FileHandle | undefined;
    let tracker: ChangeTracker | undefined;
    try {
      // A rewrite killed before its rename left an aside copy: the file itself is intact.
      await removeStaleAsideFiles(ctkPath);
      fh = await open(ctkPath, 'r+');
      const size = (await fh.stat()).size;
      const headerBuf = Buffer.alloc(HEADER_SIZE);
      await readAt(fh, headerBuf, 0);
      const header = decodeHeader(headerBuf, size, name);
      const marks = await readMarks(fh, header, name);
      const state: State = { uuid: header.uuid, capacity: header.capacity, blockSize: header.blockSize, marks, sequence: header.sequence };
      const journalStart = HEADER_SIZE + mapBytes(header.blockCount);
      const journalBytes = size - journalStart;
      if (journalBytes > journalLimitBytes(header.blockCount)) throw ctkDamaged(name, `journal of ${journalBytes} bytes is too long`);
      tracker = new ChangeTracker(ctkPath, state);
      tracker.fh = fh;
      tracker.seed = headerCrc(headerBuf);
      tracker.journalEnd = journalStart;
      if (journalBytes > 0) {
        const journal = Buffer.alloc(journalBytes);
        await readAt(fh, journal, journalStart);
        replayJournal(journal, state, tracker.seed, name);
        // Fold what was replayed into a fresh file: the torn tail, if any, goes with the old one.
        await tracker.fold();
      }
      return tracker;
    } catch (err) {
      await (tracker?.fh ?? fh)?.close().catch(() => undefined);
      openPaths.delete(key);
      throw toVixError(err, `opening ${ctkPath}`);
    }
  }

  /** The change id a snapshot taken now would carry: `<uuid>/<open sequence>`. */
  changeId(): string {
    return formatChangeId(this.s.uuid, this.s.sequence);
  }

  /**
   * The change id the last freeze() returned (undefined before the first): a fixed point, safe to
   * show in the current disk's backing after a snapshot (the reference's model, §5.5, gives the
   * current disk the snapshot's id). changeId() instead names "now" and takes in every write until
   * the next freeze: right for `until`, but a client that kept it as `since` would miss the writes
   * made between reading it and the freeze.
   */
  lastFrozenChangeId(): string | undefined {
    return this.s.sequence > 0 ? formatChangeId(this.s.uuid, this.s.sequence - 1) : undefined;
  }

  record(offset: number, length: number): Promise<void> {
    const err = this.unusable() ?? this.rangeError(offset, length);
    if (err) return Promise.reject(err);
    if (length === 0 || this.allMarked(offset, length)) return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue({ kind: 'mark', offset, length, resolve, reject }));
  }

  /**
   * Run `io` (a write or zero reaching the tracked disk) after recording [offset, offset+length),
   * as one step freeze() and resize() do not cut in two: they wait until it finished. So the data
   * of a write acknowledged before a freeze is in the frozen sequence or marked later, never missed.
   */
  async tracked<T>(offset: number, length: number, io: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.inflight++;
    try {
      await this.record(offset, length);
      return await io();
    } finally {
      if (--this.inflight === 0) this.drained?.();
    }
  }

  freeze(): Promise<string> {
    return this.exclusively(() => new Promise<string>((resolve, reject) => this.enqueue({ kind: 'freeze', resolve, reject })));
  }

  /**
   * `diskCapacity` is the capacity of the disk asked about when it differs from the tracked one
   * (a snapshot's disk taken before a resize): the page ends there, and bytes the tracking does
   * not cover (a disk shrunk since) count as changed.
   */
  changedAreas(since: string, until: string, startOffset: number, diskCapacity = this.capacity): Promise<ChangedAreas> {
    try {
      return Promise.resolve(this.changedAreasNow(since, until, startOffset, diskCapacity));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  resize(capacityBytes: number): Promise<void> {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
      return Promise.reject(new VixError(VIX_E_INVALID_ARG, `${this.faultFile}: ${capacityBytes} is not a capacity`));
    }
    return this.exclusively(() => new Promise<void>((resolve, reject) => this.enqueue({ kind: 'resize', capacity: capacityBytes, resolve, reject })));
  }

  /** Waits for every pending record, freeze and resize, then closes the file. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'close', resolve, reject });
      void this.pump();
    });
  }

  // --- answering queries

  private changedAreasNow(since: string, until: string, startOffset: number, diskCapacity: number): ChangedAreas {
    const from = parseChangeId(since);
    if (!from) throw invalidArgument('changeId');
    const to = parseChangeId(until);
    if (!to) throw invalidArgument('snapshot');
    const { uuid, sequence, capacity, blockSize, marks } = this.s;
    if (from.uuid !== uuid) {
      throw changeIdFileFault(this.faultFile, `change id ${since} is from another change tracking generation (now ${uuid})`);
    }
    if (to.uuid !== uuid || to.sequence > sequence) {
      throw changeIdFileFault(this.faultFile, `change id ${until} names no point of the current change tracking`);
    }
    if (from.sequence > to.sequence) {
      throw changeIdFileFault(this.faultFile, `change id ${since} is later than ${until}`);
    }
    if (!Number.isSafeInteger(diskCapacity) || diskCapacity < 0) {
      throw new VixError(VIX_E_INVALID_ARG, `${this.faultFile}: ${diskCapacity} is not a disk capacity`);
    }
    if (!Number.isSafeInteger(startOffset) || startOffset < 0 || startOffset > diskCapacity) throw invalidArgument('startOffset');
    // Report blocks whose last mark is after `since`: encoded marks > since + 1.
    const threshold = from.sequence + 1;
    const tracked = Math.min(capacity, diskCapacity);
    const count = Math.min(marks.length, Math.ceil(tracked / blockSize));
    const areas: ChangedArea[] = [];
    // A start inside a block begins the page there; a start past what is tracked scans nothing.
    let b = startOffset >= tracked ? count : Math.floor(startOffset / blockSize);
    while (b < count) {
      if (marks[b]! <= threshold) { b++; continue; }
      if (areas.length === MAX_AREAS_PER_PAGE) return { startOffset, length: b * blockSize - startOffset, changedArea: areas };
      let e = b + 1;
      while (e < count && marks[e]! > threshold) e++;
      const start = Math.max(startOffset, b * blockSize);
      areas.push({ start, length: Math.min(tracked, e * blockSize) - start });
      b = e;
    }
    const untracked = Math.max(startOffset, tracked);
    if (untracked < diskCapacity) {
      const last = areas[areas.length - 1];
      if (last && last.start + last.length === untracked) last.length += diskCapacity - untracked;
      else if (areas.length === MAX_AREAS_PER_PAGE) return { startOffset, length: untracked - startOffset, changedArea: areas };
      else areas.push({ start: untracked, length: diskCapacity - untracked });
    }
    return { startOffset, length: diskCapacity - startOffset, changedArea: areas };
  }

  // --- the commit queue: one op at a time, consecutive marks in one batch

  private unusable(): VixError | undefined {
    if (this.failure) return this.failure;
    if (this.closing) return new VixError(VIX_E_FAIL, `${this.faultFile}: change tracking is closed`);
    return undefined;
  }

  private rangeError(offset: number, length: number): VixError | undefined {
    try {
      checkRange(this.s.capacity, offset, length);
      return undefined;
    } catch (err) {
      return toVixError(err);
    }
  }

  private blockRange(offset: number, length: number): [number, number] {
    const { blockSize, marks } = this.s;
    return [Math.floor(offset / blockSize), Math.min(marks.length, Math.ceil((offset + length) / blockSize))];
  }

  private allMarked(offset: number, length: number): boolean {
    const [first, end] = this.blockRange(offset, length);
    const current = this.s.sequence + 1;
    const marks = this.s.marks;
    for (let b = first; b < end; b++) if (marks[b] !== current) return false;
    return true;
  }

  private enqueue(op: Op): void {
    const err = op.kind === 'close' ? undefined : this.unusable();
    if (err) {
      op.reject(err);
      return;
    }
    this.queue.push(op);
    void this.pump();
  }

  private async exclusively<T>(step: () => Promise<T>): Promise<T> {
    const release = await this.exclusiveLock.lock();
    let reopen!: () => void;
    this.exclusive = new Promise<void>((r) => (reopen = r));
    try {
      while (this.inflight > 0) await new Promise<void>((r) => (this.drained = r));
      return await step();
    } finally {
      this.drained = undefined;
      this.exclusive = undefined;
      reopen();
      release();
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const op = this.queue[0]!;
        if (op.kind === 'mark') {
          let n = 0;
          while (n < this.queue.length && n < MAX_BATCH_RECORDS && this.queue[n]!.kind === 'mark') n++;
          const batch = this.queue.splice(0, n) as Array<Extract<Op, { kind: 'mark' }>>;
          await this.settle(batch, () => this.commitMarks(batch));
          continue;
        }
        this.queue.shift();
        if (op.kind === 'freeze') await this.settle([op], () => this.commitFreeze());
        else if (op.kind === 'resize') await this.settle([op], () => this.commitResize(op.capacity));
        else await this.settle([op], () => this.closeFile(), true);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Run one commit for `ops`: all resolve, or all reject and the tracker stops taking changes. */
  private async settle<T>(ops: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }>, commit: () => Promise<T>,
    isClose = false): Promise<void> {
    if (this.failure && !isClose) {
      for (const op of ops) op.reject(this.failure);
      return;
    }
    try {
      const v = await commit();
      for (const op of ops) op.resolve(v);
    } catch (e) {
      const vix = toVixError(e, `${this.faultFile}: change tracking`);
      // What reached the file is unknown now: refuse everything after, the caller resets tracking.
      if (!isClose) this.failure ??= vix;
      for (const op of ops) op.reject(vix);
    }
  }

  private async commitMarks(batch: Array<Extract<Op, { kind: 'mark' }>>): Promise<void> {
    const current = this.s.sequence + 1;
    const marks = this.s.marks;
    // Blocks not yet marked with the open sequence, merged into runs (concurrent records overlap).
    const ranges = batch.map((op) => this.blockRange(op.offset, op.length)).sort((a, b) => a[0] - b[0]);
    const runs: Array<[number, number]> = [];
    for (const [first, end] of ranges) {
      let f = first;
      while (f < end && marks[f] === current) f++;
      if (f >= end) continue;
      const last = runs[runs.length - 1];
      if (last && f <= last[1]) last[1] = Math.max(last[1], end);
      else runs.push([f, end]);
    }
    if (runs.length === 0) return;
    await this.append(runs.map(([f, e]) => ({ kind: 'mark', sequence: this.s.sequence, firstBlock: f, blockCount: e - f })));
    for (const [f, e] of runs) marks.fill(current, f, e);
    await this.foldIfLong();
  }

  private async commitFreeze(): Promise<string> {
    const frozen = this.s.sequence;
    if (frozen >= MAX_SEQUENCE) throw new VixError(VIX_E_FAIL, `${this.faultFile}: change tracking sequence exhausted; reset tracking`);
    await this.append([{ kind: 'freeze', sequence: frozen }]);
    this.s.sequence = frozen + 1;
    await this.foldIfLong();
    return formatChangeId(this.s.uuid, frozen);
  }

  private async commitResize(capacity: number): Promise<void> {
    const old = this.s;
    // Blocks never split: a grown disk may need larger blocks, a shrunk one keeps its size.
    const blockSize = blockSizeFor(capacity, old.blockSize);
    const factor = blockSize / old.blockSize;
    const marks = new Uint32Array(blockCountFor(capacity, blockSize));
    // A coarser block carries the latest mark of the blocks it merges: still a superset.
    for (let i = 0; i < marks.length; i++) {
      let m = 0;
      const end = Math.min(old.marks.length, (i + 1) * factor);
      for (let j = i * factor; j < end; j++) if (old.marks[j]! > m) m = old.marks[j]!;
      marks[i] = m;
    }
    // Grown bytes count as changed now (the block holding the old end included).
    if (capacity > old.capacity) marks.fill(old.sequence + 1, Math.floor(old.capacity / blockSize));
    await this.writeWhole({ ...old, capacity, blockSize, marks });
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    openPaths.delete(resolve(this.path));
    await fh?.close();
  }

  // --- the file

  /** Append records as one batch: one write, one datasync. */
  private async append(records: JournalRecord[]): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new VixError(VIX_E_FAIL, `${this.faultFile}: change tracking is closed`);
    const buf = Buffer.alloc(records.length * RECORD_SIZE);
    const batch = this.journalBatch;
    records.forEach((rec, i) => encodeRecord(buf, i * RECORD_SIZE, rec,
      { index: this.journalIndex + i, batch, batchEnd: i === records.length - 1 }, this.seed));
    await writeAt(fh, buf, this.journalEnd);
    await fh.datasync();
    this.journalEnd += buf.length;
    this.journalIndex += records.length;
    this.journalBatch++;
  }

  private async foldIfLong(): Promise<void> {
    const journalBytes = this.journalEnd - HEADER_SIZE - mapBytes(this.s.marks.length);
    if (journalBytes >= journalFoldBytes(this.s.marks.length)) await this.fold();
  }

  /** Rewrite the file whole from memory (map with the journal folded in, no journal). */
  private fold(): Promise<void> {
    return this.writeWhole(this.s);
  }

  /**
   * Write `state` as a new file aside, sync it, rename it over the tracking file and sync the
   * folder: a crash leaves the old file (with its journal) or the new one, both complete. Memory
   * takes the new state only once the rename is durable.
   */
  private async writeWhole(state: State): Promise<void> {
    const bytes = new Uint8Array(state.marks.buffer, state.marks.byteOffset, state.marks.byteLength);
    const header: CtkHeader = {
      uuid: state.uuid, capacity: state.capacity, blockSize: state.blockSize, blockCount: state.marks.length,
      sequence: state.sequence, mapCrc: crc32(bytes),
    };
    const headerBuf = encodeHeader(header);
    const tmp = asidePath(this.path, 'ctk');
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await writeAt(fh, headerBuf, 0);
      await writeAt(fh, bytes, HEADER_SIZE);
      await fh.datasync();
      await fh.close();
      await replaceFile(tmp, this.path);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    const old = this.fh;
    this.fh = await open(this.path, 'r+');
    await old?.close().catch(() => undefined);
    this.s = state;
    this.seed = headerCrc(headerBuf);
    this.journalEnd = HEADER_SIZE + bytes.length;
    this.journalIndex = 0;
    this.journalBatch = 0;
  }
}

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // The map is written straight from a Uint32Array: the file is little-endian only on such hosts.
  throw new Error('vixdisk change tracking needs a little-endian host');
}
