import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { DiskLock } from '../block/disk-lock.js';
import { identifierBytes } from './identifier-bytes.js';
import { readAt, writeAt } from '../block/file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import {
  VIX_E_DISK_INVAL, VIX_E_DISK_INVALIDDISK, VIX_E_DISK_NEEDSREPAIR,
  VIX_E_DISK_UNSUPPORTEDDEVICE, VIX_E_FILE_ACCESS_ERROR, VIX_E_FILE_READ_ONLY,
} from '../errors/error-codes.js';
import { Confinement } from './confinement.js';
import { writeFileReplacing } from './replace-file.js';
import { Descriptor, formatCid, MAX_DESCRIPTOR_BYTES, type ExtentLine } from './descriptor.js';
import { ChainBudget } from './chain-budget.js';
import type { AbsentRange, BackingReader, ExtentIo, ExtentRun } from './extent.js';
import { FlatExtent } from './flat-extent.js';
import { hasExtentVolumes, openVolumeExtent, type VolumeExtent } from './extent-volume.js';
import { SparseExtent } from './sparse-extent.js';
import { decodeSparseHeader, SECTOR, SPARSE_MAGIC } from './sparse-header.js';
import { ZeroExtent } from './zero-extent.js';

// One link of a disk chain: a descriptor and the extents it lists, concatenated in order.

export interface LinkOpenOptions {
  readOnly?: boolean;
  /**
   * 'writeback' (default): flush and close make data durable. 'unsafe': they do not sync to the
   * disk (qemu-img convert's default for new output): for scratch output that a crash would make
   * worthless anyway. Metadata is still ordered after data, so a killed process leaves a
   * consistent file either way.
   */
  cache?: 'writeback' | 'unsafe';
  /** Allow extent files named by absolute paths or paths that climb out of the disk's folder. */
  allowOutsidePaths?: boolean;
  /** What the whole chain may still cost (VmdkDisk.open passes one for all its links). */
  chainBudget?: ChainBudget;
  /**
   * Take the link's lock (default): exclusive when writable, shared when read-only. false only
   * where the caller already holds the writer lock of these files (a maintenance operation).
   */
  lock?: boolean;
}

export interface LinkExtent {
  line: ExtentLine;
  /** Resolved path of the extent's file (absent for ZERO extents). */
  path?: string;
  startByte: number;
  io: ExtentIo;
}

type DescriptorStore =
  | { kind: 'file' }
  | { kind: 'embedded'; fh: FileHandle; offsetBytes: number; sizeBytes: number }
  | { kind: 'none' };

const COWD_MAGIC = 0x44574f43;
const SESPARSE_MAGIC = 0xcafebaben;

export class VmdkLink {
  private cidUpdate: Promise<void> | null = null;
  private lock: DiskLock | null = null;

  private constructor(
    readonly path: string,
    readonly descriptor: Descriptor,
    readonly extents: LinkExtent[],
    readonly readOnly: boolean,
    private readonly store: DescriptorStore,
    private readonly handles: FileHandle[],
  ) {}

  get capacity(): number {
    const last = this.extents[this.extents.length - 1];
    return last ? last.startByte + last.io.sizeBytes : 0;
  }

  get folder(): string {
    return dirname(this.path);
  }

  /** Where this link's descriptor lives: its own file, embedded in a sparse extent, or nowhere (a bare extent). */
  get descriptorStorage(): 'file' | 'embedded' | 'none' {
    return this.store.kind;
  }

  static async open(path: string, openOptions: LinkOpenOptions = {}): Promise<VmdkLink> {
    // A link opened on its own is bounded as a chain of one.
    const options = { ...openOptions, chainBudget: openOptions.chainBudget ?? new ChainBudget() };
    const readOnly = options.readOnly ?? false;
    const abs = resolve(path);
    // Locked before anything is read (block/disk-lock.ts): the descriptor's file first, so no
    // writer changes what is read; its extent files once the descriptor has named them.
    const lock = new DiskLock(readOnly ? 'shared' : 'exclusive');
    const locking = options.lock ?? true;
    let fh: FileHandle;
    try {
      // Look before opening: opening a FIFO blocks until a writer comes (forever, with a pool thread).
      if (!(await stat(abs)).isFile()) throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs} is not a file`);
      if (locking) await lock.add(abs);
      fh = withCache(await open(abs, readOnly ? 'r' : 'r+'), options.cache);
    } catch (err) {
      await lock.release();
      throw toVixError(err, abs);
    }
    const handles: FileHandle[] = [fh];
    try {
      const link = await VmdkLink.openWith(abs, fh, handles, readOnly, options);
      link.lock = lock;
      if (locking) await lock.add(...link.files.slice(1));
      return link;
    } catch (err) {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
      await lock.release();
      throw err;
    }
  }

  private static async openWith(abs: string, fh: FileHandle, handles: FileHandle[], readOnly: boolean, options: LinkOpenOptions): Promise<VmdkLink> {
    const { size } = await fh.stat();
    if (!(await fh.stat()).isFile()) throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs} is not a file`);
    const head = new Uint8Array(Math.min(size, SECTOR));
    await readAt(fh, head, 0);
    const magic = head.length >= 4 ? new DataView(head.buffer).getUint32(0, true) : 0;
    if (magic === SPARSE_MAGIC) {
      const header = decodeSparseHeader(head, abs);
      let descriptor: Descriptor | null = null;
      if (header.descriptorOffsetSectors > 0 && header.descriptorSizeSectors > 0) {
        const offsetBytes = header.descriptorOffsetSectors * SECTOR;
        const sizeBytes = header.descriptorSizeSectors * SECTOR;
        if (sizeBytes > MAX_DESCRIPTOR_BYTES) {
          throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs}: embedded descriptor of ${header.descriptorSizeSectors} sectors is larger than any disk has`);
        }
        if (offsetBytes + sizeBytes > size) {
          throw new VixError(VIX_E_DISK_NEEDSREPAIR, `${abs}: embedded descriptor lies past the end of the file`);
        }
        const text = new Uint8Array(sizeBytes);
        await readAt(fh, text, offsetBytes);
        // Split extents carry an all-zero descriptor area (QEMU): only trust real text.
        if (Descriptor.looksLikeDescriptor(text)) {
          descriptor = Descriptor.parse(text, options.chainBudget);
          const store: DescriptorStore = { kind: 'embedded', fh, offsetBytes, sizeBytes };
          if (header.capacitySectors === 0) {
            // A binary header that only carries a descriptor of other extents (vmdk-format 2.8).
            return VmdkLink.fromDescriptor(abs, descriptor, store, handles, readOnly, options);
          }
          const lines = descriptor.extents;
          if (lines.length !== 1 || lines[0]!.type !== 'SPARSE') {
            throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs}: embedded descriptor must describe exactly this one sparse extent`);
          }
          // A monolithic file's extent line names the file itself; the name goes stale on rename,
          // so the file actually opened is used.
          const io = charged(await SparseExtent.open(fh, abs, lines[0]!.sizeSectors, !readOnly && lines[0]!.access === 'RW'), options.chainBudget, abs);
          return new VmdkLink(abs, descriptor, [{ line: lines[0]!, path: abs, startByte: 0, io }], readOnly, store, handles);
        }
      }
      // A bare sparse extent with no descriptor: expose it as a monolithicSparse link.
      const line: ExtentLine = { access: 'RW', sizeSectors: header.capacitySectors, type: 'SPARSE', fileName: basename(abs) };
      descriptor = Descriptor.create({ cid: 0xfffffffe, createType: 'monolithicSparse', extents: [line], ddb: [] });
      const io = charged(await SparseExtent.open(fh, abs, header.capacitySectors, !readOnly), options.chainBudget, abs);
      return new VmdkLink(abs, descriptor, [{ line, path: abs, startByte: 0, io }], readOnly, { kind: 'none' }, handles);
    }
    if (magic === COWD_MAGIC || (head.length >= 8 && new DataView(head.buffer).getBigUint64(0, true) === SESPARSE_MAGIC)) {
      throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs} is a VMFS snapshot extent; open the descriptor (.vmdk) that names it`);
    }
    if (!Descriptor.looksLikeDescriptor(head)) {
      throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs} is not a virtual disk (no sparse header and no descriptor)`);
    }
    if (size > MAX_DESCRIPTOR_BYTES) {
      throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs}: descriptor file is ${size} bytes, more than the ${MAX_DESCRIPTOR_BYTES} a descriptor may have`);
    }
    const text = new Uint8Array(size);
    await readAt(fh, text, 0);
    const descriptor = Descriptor.parse(text, options.chainBudget);
    return VmdkLink.fromDescriptor(abs, descriptor, { kind: 'file' }, handles, readOnly, options);
  }

  private static async fromDescriptor(abs: string, descriptor: Descriptor, store: DescriptorStore, handles: FileHandle[],
    readOnly: boolean, options: LinkOpenOptions): Promise<VmdkLink> {
    const lines = descriptor.extents;
    if (lines.length === 0) throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs}: descriptor lists no extents`);
    const confinement = await Confinement.of(abs, options.allowOutsidePaths ?? false);
    const self = await handles[0]!.stat();
    const sharedFlat = new Map<string, { path: string; fh: FileHandle; stats: Stats }>();
    const extents: LinkExtent[] = [];
    let start = 0;
    for (const line of lines) {
      // Byte offsets are plain numbers: the disk and every file offset must stay below 2^53.
      if (!Number.isSafeInteger(start + line.sizeSectors * SECTOR) || !Number.isSafeInteger(((line.offsetSectors ?? 0) + line.sizeSectors) * SECTOR)) {
        throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs}: extent ${extents.length + 1} reaches past 2^53 bytes (its size or file offset is too large)`);
      }
      const writable = !readOnly && line.access === 'RW';
      let io: ExtentIo;
      let path: string | undefined;
      if (line.type === 'ZERO') {
        io = new ZeroExtent(line.sizeSectors * SECTOR);
      } else {
        if (line.type === 'VMFSRDM' || line.type === 'VMFSRAW') {
          await confinement.extentPath(line.fileName!);
          throw new VixError(VIX_E_DISK_UNSUPPORTEDDEVICE, `${abs}: raw device mappings (${line.type}) cannot be opened as files`);
        }
        const flat = line.type !== 'SPARSE' && line.type !== 'VMFSSPARSE' && line.type !== 'SESPARSE';
        // A flat extent a mounted volume holds (a LUN-backed datastore, docs/san.md) is read there.
        const onVolume = flat && hasExtentVolumes() ? await volumeExtent(confinement, line, writable, abs) : undefined;
        if (onVolume) {
          handles.push(onVolume.fh);
          io = new FlatExtent(withCache(onVolume.fh, options.cache), line.sizeSectors * SECTOR,
            onVolume.offsetBytes + (line.offsetSectors ?? 0) * SECTOR, writable, false);
          if (line.access === 'NOACCESS') io = new NoAccessExtent(io.sizeBytes, onVolume.path);
          extents.push({ line, path: onVolume.path, startByte: start, io });
          start += line.sizeSectors * SECTOR;
          continue;
        }
        const key = `${writable ? 'r+' : 'r'} ${line.fileName}`;
        // Flat extents that name the same file share one handle (a descriptor may cut one file in many).
        let opened = flat ? sharedFlat.get(key) : undefined;
        if (!opened) {
          try {
            // Confined on its real path, non-blocking (a FIFO cannot block the open), regular files only.
            opened = await confinement.openExtent(line.fileName!, writable ? 'r+' : 'r');
          } catch (err) {
            throw toVixError(err, `extent ${line.fileName} of ${abs}`);
          }
          handles.push(opened.fh);
          if (flat) sharedFlat.set(key, opened);
        }
        const fh = withCache(opened.fh, options.cache);
        path = opened.path;
        const st = opened.stats;
        if (st.dev === self.dev && st.ino === self.ino) throw selfExtent(abs, line);
        // The ESXi delta formats load with the first such extent: most processes never open one.
        if (line.type === 'SESPARSE') {
          const { SeSparseExtent } = await import('./sesparse-extent.js');
          io = charged(await SeSparseExtent.open(fh, path, line.sizeSectors, writable), options.chainBudget, path);
        } else if (line.type === 'SPARSE' || line.type === 'VMFSSPARSE') {
          // Chosen by the file's magic, as QEMU does: VMFSSPARSE names a COWD redo log, and old
          // descriptors name COWD files SPARSE too.
          const magic = new Uint8Array(4);
          await readAt(fh, magic, 0);
          io = new DataView(magic.buffer).getUint32(0, true) === COWD_MAGIC
            ? charged(await (await import('./cowd-extent.js')).CowdExtent.open(fh, path, line.sizeSectors, writable), options.chainBudget, path)
            : charged(await SparseExtent.open(fh, path, line.sizeSectors, writable), options.chainBudget, path);
        } else {
          io = new FlatExtent(fh, line.sizeSectors * SECTOR, (line.offsetSectors ?? 0) * SECTOR, writable, false);
        }
      }
      if (line.access === 'NOACCESS') io = new NoAccessExtent(io.sizeBytes, path ?? '(zero extent)');
      extents.push({ line, path, startByte: start, io });
      start += line.sizeSectors * SECTOR;
    }
    return new VmdkLink(abs, descriptor, extents, readOnly, store, handles);
  }

  /** Files this link is made of: the descriptor (or monolithic file) and each extent file. */
  get files(): string[] {
    const out = [this.path];
    for (const e of this.extents) if (e.path && !out.includes(e.path)) out.push(e.path);
    return out;
  }

  /** Split [offset, offset+length) over the extents, calling fn for each piece. */
  private async each<T>(offset: number, length: number, fn: (e: LinkExtent, extOff: number, bufOff: number, n: number) => Promise<T>): Promise<T[]> {
    const work: Array<Promise<T>> = [];
    const end = offset + length;
    let i = this.findExtent(offset);
    for (let pos = offset; pos < end; i++) {
      const e = this.extents[i]!;
      const extOff = pos - e.startByte;
      const n = Math.min(e.io.sizeBytes - extOff, end - pos);
      work.push(fn(e, extOff, pos - offset, n));
      pos += n;
    }
    return Promise.all(work);
  }

  private findExtent(offset: number): number {
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.extents[mid]!.startByte <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async read(offset: number, buffer: Uint8Array): Promise<AbsentRange[]> {
    const parts = await this.each(offset, buffer.length, async (e, extOff, bufOff, n) => {
      const absent = await e.io.read(extOff, buffer.subarray(bufOff, bufOff + n));
      return absent.map((a) => ({ offset: a.offset + bufOff, length: a.length }));
    });
    return parts.flat();
  }

  /** Throw the error a write to [offset, offset+length) would get, before anything is changed. */
  assertWritable(offset: number, length: number): void {
    this.checkWritable();
    const end = offset + length;
    for (let i = this.findExtent(offset); i < this.extents.length && this.extents[i]!.startByte < end; i++) {
      const e = this.extents[i]!;
      if (e.io.writeRefusal) throw e.io.writeRefusal;
      if (!e.io.writable && e.line.type !== 'ZERO') {
        throw new VixError(VIX_E_FILE_READ_ONLY, `extent ${e.path ?? e.line.type} of ${this.path} is not writable (${e.line.access})`);
      }
      if (e.line.type === 'ZERO' && length > 0) {
        throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path}: a ZERO extent cannot be written`);
      }
    }
  }

  async write(offset: number, data: Uint8Array, backing: BackingReader): Promise<void> {
    this.assertWritable(offset, data.length);
    await this.each(offset, data.length, (e, extOff, bufOff, n) =>
      e.io.write(extOff, data.subarray(bufOff, bufOff + n), (o, b) => backing(e.startByte + o, b)));
  }

  async zero(offset: number, length: number, hasBacking: boolean, backing: BackingReader): Promise<void> {
    this.checkWritable();
    await this.each(offset, length, (e, extOff, _bufOff, n) => {
      if (e.line.type === 'ZERO') return Promise.resolve();
      if (e.io.writeRefusal) throw e.io.writeRefusal;
      if (!e.io.writable) throw new VixError(VIX_E_FILE_READ_ONLY, `extent ${e.path} of ${this.path} is not writable (${e.line.access})`);
      return e.io.zero(extOff, n, hasBacking, (o, b) => backing(e.startByte + o, b));
    });
  }

  async status(offset: number, length: number): Promise<ExtentRun[]> {
    const parts = await this.each(offset, length, async (e, extOff) => {
      const runs = await e.io.status(extOff, Math.min(e.io.sizeBytes - extOff, offset + length - (e.startByte + extOff)));
      return runs.map((r) => ({ ...r, offset: r.offset + e.startByte }));
    });
    const out: ExtentRun[] = [];
    for (const r of parts.flat()) {
      const last = out[out.length - 1];
      if (last && last.state === r.state && last.offset + last.length === r.offset) last.length += r.length;
      else out.push({ ...r });
    }
    return out;
  }

  /**
   * VMware changes a link's CID the first time its content changes after it is opened, so children
   * made before the change see a mismatch. Runs once per open, before the first write.
   */
  beforeFirstWrite(offset: number, length: number): Promise<void> {
    if (!this.cidUpdate) {
      this.cidUpdate = (async () => {
        // Load and validate the metadata the write will use first: a write refused for a damaged
        // table must not have changed the descriptor either.
        await this.status(offset, length);
        if (this.store.kind === 'none') return;
        this.descriptor.cid = newCid();
        // ddb.longContentID ends with the CID (96 random bits, then the CID): keep them in step.
        const lcid = this.descriptor.getDdb('ddb.longContentID');
        if (lcid && /^[0-9a-f]{32}$/i.test(lcid)) this.descriptor.setDdb('ddb.longContentID', lcid.slice(0, 24) + formatCid(this.descriptor.cid));
        await this.saveDescriptor();
      })();
      this.cidUpdate.catch(() => { this.cidUpdate = null; });
    }
    return this.cidUpdate;
  }

  /** Write the descriptor back where it came from: in place when embedded, atomically when a file. */
  async saveDescriptor(): Promise<void> {
    this.checkWritable();
    const bytes = this.descriptor.toBytes();
    if (this.store.kind === 'embedded') {
      if (bytes.length >= this.store.sizeBytes) {
        throw new VixError(VIX_E_DISK_INVAL, `${this.path}: the descriptor (${bytes.length} bytes) no longer fits in its ${this.store.sizeBytes}-byte area`);
      }
      const area = new Uint8Array(this.store.sizeBytes);
      area.set(bytes);
      await writeAt(this.store.fh, area, this.store.offsetBytes);
      await this.store.fh.datasync();
    } else if (this.store.kind === 'file') {
      await writeFileReplacing(this.path, bytes);
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.extents.map((e) => e.io.flush()));
  }

  async close(): Promise<void> {
    try {
      for (const e of this.extents) await e.io.close();
    } finally {
      await Promise.all(this.handles.map((h) => h.close().catch(() => undefined)));
      await this.lock?.release();
    }
  }

  private checkWritable(): void {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path} is open read-only`);
  }
}

/** Charge an opened extent's in-memory directories to the chain's budget (chain-budget.ts). */
function charged<T extends ExtentIo>(io: T, budget: ChainBudget | undefined, path: string): T {
  budget?.spendMetadata(io.metadataBytes ?? 0, path);
  return io;
}

/** In 'unsafe' cache mode a file's syncs do nothing; everything else passes through. */
function withCache(fh: FileHandle, cache: LinkOpenOptions['cache']): FileHandle {
  if (cache !== 'unsafe') return fh;
  const noSync = async (): Promise<void> => {};
  return new Proxy(fh, {
    get(target, prop) {
      if (prop === 'datasync' || prop === 'sync') return noSync;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Random CID as VMware makes them: never 0xffffffff or 0xfffffffe, which have meanings. */
export function newCid(): number {
  for (;;) {
    const v = identifierBytes(4).readUInt32LE(0);
    if (v < 0xfffffffe) return v;
  }
}

/** An extent naming the file that holds the descriptor: its writes would overwrite the descriptor. */
export function selfExtent(abs: string, line: ExtentLine): VixError {
  return new VixError(VIX_E_DISK_INVALIDDISK,
    `${abs}: extent "${line.fileName}" (${line.type}) is the descriptor's own file; refused (writes to it would overwrite the descriptor)`);
}

/** A NOACCESS extent: present in the layout, never readable or writable. */
class NoAccessExtent implements ExtentIo {
  readonly writable = false;
  constructor(readonly sizeBytes: number, private readonly what: string) {}
  private fail(): never {
    throw new VixError(VIX_E_FILE_ACCESS_ERROR, `extent ${this.what} is marked NOACCESS`);
  }
  async read(): Promise<AbsentRange[]> { this.fail(); }
  async write(): Promise<void> { this.fail(); }
  async zero(): Promise<void> { this.fail(); }
  async status(offset: number, length: number): Promise<ExtentRun[]> {
    return [{ offset, length, state: 'data' }];
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The volume extent of a flat extent line, checked to hold the whole line; undefined when no volume holds it. */
async function volumeExtent(confinement: Confinement, line: ExtentLine, writable: boolean, abs: string): Promise<(VolumeExtent & { path: string }) | undefined> {
  let found: VolumeExtent | undefined;
  let path: string;
  try {
    path = await confinement.extentPath(line.fileName!);
    found = await openVolumeExtent(path, writable);
  } catch (err) {
    throw toVixError(err, `extent ${line.fileName} of ${abs}`);
  }
  if (!found) return undefined;
  const end = ((line.offsetSectors ?? 0) + line.sizeSectors) * SECTOR;
  if (end > found.lengthBytes) {
    await found.fh.close();
    throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs}: extent ${line.fileName} needs ${end} bytes but its volume holds ${found.lengthBytes} for it`);
  }
  return { ...found, path };
}
