import { lstat, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { DiskLock } from '../block/disk-lock.js';
import { identifierBytes } from './identifier-bytes.js';
import { writeAt } from '../block/file-io.js';
import type { BlockDevice } from '../block/block-device.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVAL, VIX_E_FILE_ALREADY_EXISTS, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { Confinement } from './confinement.js';
import { Descriptor, type ExtentLine } from './descriptor.js';
import { VmdkDisk } from './disk.js';
import { ADAPTER_TYPES, computeGeometry, type AdapterType } from './geometry.js';
import { newCid } from './link.js';
import {
  encodeSparseHeader, FLAG_REDUNDANT_GD, FLAG_VALID_NEWLINE, FLAG_ZEROED_GTE, gdSizeSectors, gtSizeSectors,
  SECTOR, gdEntryCount, type SparseHeader,
} from './sparse-header.js';
import { SESPARSE_GRAIN_SECTORS, SESPARSE_MAX_CAPACITY_SECTORS } from './sesparse-header.js';

export const DISK_TYPES = [
  'monolithicSparse', 'twoGbMaxExtentSparse', 'monolithicFlat', 'twoGbMaxExtentFlat', 'streamOptimized', 'vmfs', 'vmfsThin',
] as const;
export type DiskType = typeof DISK_TYPES[number];

/** VMware's split size: 2047 MiB per extent (the technote's example; VirtualBox agrees). */
export const SPLIT_EXTENT_SECTORS = 4192256;
/** Descriptor area reserved in monolithic sparse files: 20 sectors, as QEMU and VirtualBox do. */
const EMBEDDED_DESCRIPTOR_SECTORS = 20;
/** Sparse capacities are limited by 32-bit grain entries: the file must stay under 2 TiB. */
const MAX_SPARSE_CAPACITY = 2 ** 32 * SECTOR - 2 ** 30;

export interface CreateOptions {
  /** Capacity in bytes; rounded up to a whole sector. */
  capacity: number;
  type?: DiskType;
  adapterType?: AdapterType;
  /** ddb.virtualHWVersion; 4 (what QEMU, open-vmdk and VirtualBox write) by default. */
  hwVersion?: number | string;
  /** Grain size in sectors for sparse types (power of two); 128 (64 KiB) by default. */
  grainSizeSectors?: number;
  /** Allow zeroed-grain entries (header version 2), as qemu-img's zeroed_grain=on. */
  zeroedGrain?: boolean;
  overwrite?: boolean;
  /**
   * How the returned open disk syncs (see LinkOpenOptions.cache); 'writeback' by default. With
   * 'unsafe' the new files are not synced while they are made either (qemu-img convert does not
   * sync its output; what a conversion makes is removed if it fails).
   */
  cache?: 'writeback' | 'unsafe';
}

export interface ChildOptions {
  overwrite?: boolean;
  allowOutsidePaths?: boolean;
  /**
   * monolithicSparse (default): one hosted sparse file. vmfsSparse / seSparse: an ESXi snapshot
   * delta, a descriptor plus `<child>-delta.vmdk` (COWD) or `<child>-sesparse.vmdk` as ESXi names them.
   */
  type?: ChildType;
  /** vmfsSparse only: grain size in sectors, a power of two up to 2048; 1 (as ESXi writes) by default. */
  grainSizeSectors?: number;
}

export const CHILD_TYPES = ['monolithicSparse', 'twoGbMaxExtentSparse', 'vmfsSparse', 'seSparse'] as const;
export type ChildType = typeof CHILD_TYPES[number];

/** The files a disk of `type` named `path` is made of, in the order they are created. */
export function diskFiles(path: string, type: DiskType, capacitySectors: number): string[] {
  const extents = extentFiles(path, type, capacitySectors).map((e) => join(dirname(path), e.fileName));
  return [path, ...extents.filter((p) => p !== path)];
}

function stem(path: string): string {
  const b = basename(path);
  return extname(b).toLowerCase() === '.vmdk' ? b.slice(0, -5) : b;
}

function extentFiles(path: string, type: DiskType, capacitySectors: number): Array<{ fileName: string; sizeSectors: number }> {
  const name = basename(path);
  const s = stem(path);
  const split = (suffix: string) => {
    const out: Array<{ fileName: string; sizeSectors: number }> = [];
    for (let i = 0, done = 0; done < capacitySectors || i === 0; i++) {
      const n = Math.min(SPLIT_EXTENT_SECTORS, capacitySectors - done);
      out.push({ fileName: `${s}-${suffix}${String(i + 1).padStart(3, '0')}.vmdk`, sizeSectors: n });
      done += n;
      if (n === 0) break;
    }
    return out;
  };
  switch (type) {
    case 'monolithicSparse':
    case 'streamOptimized':
      return [{ fileName: name, sizeSectors: capacitySectors }];
    case 'twoGbMaxExtentSparse':
      return split('s');
    case 'twoGbMaxExtentFlat':
      return split('f');
    case 'monolithicFlat':
    case 'vmfs':
    case 'vmfsThin':
      return [{ fileName: `${s}-flat.vmdk`, sizeSectors: capacitySectors }];
  }
}

/** ddb.uuid as VMware writes it: 16 hex bytes, space separated, '-' between the 8th and 9th. */
export function newDiskUuid(): string {
  const b = [...identifierBytes(16)].map((x) => x.toString(16).padStart(2, '0'));
  return `${b.slice(0, 8).join(' ')}-${b.slice(8).join(' ')}`;
}

function ddbFor(capacityBytes: number, adapter: AdapterType, hwVersion: string, cid: number, extra: Array<[string, string]> = []): Array<[string, string]> {
  const g = computeGeometry(capacityBytes, adapter);
  return [
    ['ddb.adapterType', adapter],
    ['ddb.geometry.cylinders', String(g.cylinders)],
    ['ddb.geometry.heads', String(g.heads)],
    ['ddb.geometry.sectors', String(g.sectors)],
    ['ddb.longContentID', identifierBytes(12).toString('hex') + cid.toString(16).padStart(8, '0')],
    ['ddb.uuid', newDiskUuid()],
    ['ddb.virtualHWVersion', hwVersion],
    ...extra,
  ];
}

function validate(options: CreateOptions): { capacitySectors: number; type: DiskType; adapter: AdapterType; hwVersion: string; grain: number } {
  const type = options.type ?? 'monolithicSparse';
  if (!DISK_TYPES.includes(type)) throw new VixError(VIX_E_INVALID_ARG, `unknown disk type "${type}" (one of ${DISK_TYPES.join(', ')})`);
  const adapter = options.adapterType ?? 'ide';
  if (!ADAPTER_TYPES.includes(adapter)) throw new VixError(VIX_E_INVALID_ARG, `unknown adapter type "${adapter}" (one of ${ADAPTER_TYPES.join(', ')})`);
  if (!Number.isSafeInteger(options.capacity) || options.capacity <= 0) {
    throw new VixError(VIX_E_INVALID_ARG, `capacity ${options.capacity} is not a positive number of bytes`);
  }
  const capacitySectors = Math.ceil(options.capacity / SECTOR);
  const grain = options.grainSizeSectors ?? 128;
  // The technote wants grains of more than 8 sectors; libvmdk refuses smaller ones.
  if (!Number.isInteger(grain) || grain < 16 || grain > 0x200000 || (grain & (grain - 1)) !== 0) {
    throw new VixError(VIX_E_INVALID_ARG, `grain size ${grain} sectors is not a power of two from 16 to ${0x200000}`);
  }
  const sparse = type === 'monolithicSparse' || type === 'streamOptimized' || type === 'twoGbMaxExtentSparse';
  if (sparse && type !== 'twoGbMaxExtentSparse' && capacitySectors * SECTOR > MAX_SPARSE_CAPACITY) {
    throw new VixError(VIX_E_DISK_INVAL, `a ${type} disk can hold at most ${MAX_SPARSE_CAPACITY} bytes`);
  }
  if (options.zeroedGrain && !sparse) throw new VixError(VIX_E_INVALID_ARG, `zeroed grains need a sparse disk type, not ${type}`);
  const hwVersion = String(options.hwVersion ?? 4);
  if (!/^\d+$/.test(hwVersion)) throw new VixError(VIX_E_INVALID_ARG, `hardware version "${hwVersion}" is not a number`);
  return { capacitySectors, type, adapter, hwVersion, grain };
}

/** Create a disk and return it open for writing (a VmdkDisk, or a stream writer for streamOptimized). */
export async function createDiskDevice(path: string, options: CreateOptions): Promise<BlockDevice> {
  const { capacitySectors, type, adapter, hwVersion, grain } = validate(options);
  const abs = resolve(path);
  const cid = newCid();
  const files = extentFiles(abs, type, capacitySectors);
  const extents: ExtentLine[] = files.map((f) => ({
    access: 'RW',
    sizeSectors: f.sizeSectors,
    type: type === 'vmfs' || type === 'vmfsThin' ? 'VMFS' : type.endsWith('Flat') ? 'FLAT' : 'SPARSE',
    fileName: f.fileName,
    ...(type.endsWith('Flat') ? { offsetSectors: 0 } : {}),
  }));
  const extra: Array<[string, string]> = type === 'vmfsThin' ? [['ddb.thinProvisioned', '1']] : [];
  const descriptor = Descriptor.create({ cid, createType: type, extents, ddb: ddbFor(capacitySectors * SECTOR, adapter, hwVersion, cid, extra) });
  const allPaths = diskFiles(abs, type, capacitySectors);
  if (type === 'streamOptimized') {
    // The stream writer holds its file's writer lock from creation to close.
    await claimNames(abs, allPaths, options.overwrite ?? false);
    // Loaded only for this type: it brings node:zlib, which no other creation needs.
    const { StreamOptimizedWriter } = await import('./stream-writer.js');
    return StreamOptimizedWriter.create(abs, capacitySectors * SECTOR, descriptor, { overwrite: options.overwrite });
  }
  // The new files are made under their writer lock: a disk someone holds is never overwritten.
  const lock = new DiskLock('exclusive');
  try {
    await lock.add(...allPaths);
    await claimNames(abs, allPaths, options.overwrite ?? false);
    await writeDiskFiles(abs, type, files, capacitySectors, grain, options, descriptor);
  } finally {
    await lock.release();
  }
  return VmdkDisk.open(abs, { cache: options.cache });
}

/** The files of a new disk, the descriptor last; on a failure the ones made are removed. */
async function writeDiskFiles(abs: string, type: DiskType, files: Array<{ fileName: string; sizeSectors: number }>, capacitySectors: number,
  grain: number, options: CreateOptions, descriptor: Descriptor): Promise<void> {
  const created: string[] = [];
  const durable = options.cache !== 'unsafe';
  try {
    if (type === 'monolithicSparse') {
      created.push(abs);
      await writeSparseExtentFile(abs, capacitySectors, grain, options.zeroedGrain ?? false, descriptor, durable);
    } else {
      for (const f of files) {
        const p = join(dirname(abs), f.fileName);
        created.push(p);
        if (type === 'twoGbMaxExtentSparse') {
          await writeSparseExtentFile(p, f.sizeSectors, grain, options.zeroedGrain ?? false, null, durable);
        } else {
          const fh = await open(p, 'w');
          try {
            await fh.truncate(f.sizeSectors * SECTOR);
          } finally {
            await fh.close();
          }
        }
      }
      created.push(abs);
      await writeNewFile(abs, descriptor.toBytes(), durable);
    }
  } catch (err) {
    await Promise.all(created.map((p) => rm(p, { force: true })));
    throw toVixError(err, abs);
  }
}

export async function createDisk(path: string, options: CreateOptions): Promise<void> {
  const dev = await createDiskDevice(path, options);
  await dev.close();
}

/**
 * Create a delta (child) link of any VMDK disk, whose holes show the parent, with parentCID = the
 * parent's CID now and parentFileNameHint naming the parent: a monolithicSparse file, or an ESXi
 * snapshot delta (vmfsSparse: descriptor + COWD redo log; seSparse: descriptor + seSparse extent).
 */
export async function createChild(childPath: string, parentPath: string | VmdkDisk, options: ChildOptions = {}): Promise<void> {
  const abs = resolve(childPath);
  const type = options.type ?? 'monolithicSparse';
  if (!CHILD_TYPES.includes(type)) throw new VixError(VIX_E_INVALID_ARG, `unknown child type "${type}" (one of ${CHILD_TYPES.join(', ')})`);
  const grain = options.grainSizeSectors ?? 1;
  if (type === 'vmfsSparse' && (!Number.isInteger(grain) || grain < 1 || grain > 2048 || (grain & (grain - 1)) !== 0)) {
    throw new VixError(VIX_E_INVALID_ARG, `grain size ${grain} sectors is not a power of two from 1 to 2048`);
  }
  const lock = new DiskLock('exclusive');
  // A parent already open (a VixDiskLib handle, which holds its lock) is used as it is.
  const parent = typeof parentPath === 'string' ? await VmdkDisk.open(parentPath, { readOnly: true, allowOutsidePaths: options.allowOutsidePaths }) : parentPath;
  try {
    const deltaName = type === 'vmfsSparse' ? `${stem(abs)}-delta.vmdk` : type === 'seSparse' ? `${stem(abs)}-sesparse.vmdk` : null;
    const deltaPath = deltaName ? join(dirname(abs), deltaName) : null;
    const pd = parent.top.descriptor;
    const capacitySectors = parent.capacity / SECTOR;
    const splitFiles = type === 'twoGbMaxExtentSparse' ? extentFiles(abs, 'twoGbMaxExtentSparse', capacitySectors) : [];
    const targets = [abs, ...(deltaPath ? [deltaPath] : []), ...splitFiles.map((f) => join(dirname(abs), f.fileName))];
    await lock.add(...targets); // made under their writer lock: a child someone holds is never overwritten
    await claimNames(abs, targets, options.overwrite ?? false);
    if (type === 'vmfsSparse' && capacitySectors > 0xffffffff) {
      throw new VixError(VIX_E_DISK_INVAL, `a vmfsSparse delta holds at most 2 TiB; the parent has ${parent.capacity} bytes (use seSparse)`);
    }
    if (type === 'seSparse' && capacitySectors > SESPARSE_MAX_CAPACITY_SECTORS) {
      throw new VixError(VIX_E_DISK_INVAL, `a seSparse delta holds at most 64 TiB; the parent has ${parent.capacity} bytes`);
    }
    const rel = relative(dirname(abs), parent.path);
    const hint = rel.startsWith('..') ? parent.path : rel;
    const cid = newCid();
    const ddb: Array<[string, string]> = [];
    for (const key of parent.top.descriptor.ddbKeys()) {
      const k = key.toLowerCase();
      if (k === 'ddb.adaptertype' || k.startsWith('ddb.geometry.') || k === 'ddb.virtualhwversion') ddb.push([key, pd.getDdb(key)!]);
    }
    if (type === 'seSparse') ddb.push(['ddb.grain', String(SESPARSE_GRAIN_SECTORS)]); // as ESXi writes it
    ddb.push(['ddb.longContentID', identifierBytes(12).toString('hex') + cid.toString(16).padStart(8, '0')]);
    ddb.push(['ddb.uuid', pd.getDdb('ddb.uuid') ?? newDiskUuid()]);
    const descriptor = Descriptor.create({
      cid,
      parentCid: pd.cid,
      createType: type,
      parentFileNameHint: hint,
      extents: splitFiles.length
        ? splitFiles.map((f) => ({ access: 'RW' as const, sizeSectors: f.sizeSectors, type: 'SPARSE' as const, fileName: f.fileName }))
        : [{
          access: 'RW',
          sizeSectors: capacitySectors,
          type: type === 'vmfsSparse' ? 'VMFSSPARSE' : type === 'seSparse' ? 'SESPARSE' : 'SPARSE',
          fileName: deltaName ?? basename(abs),
        }],
      ddb,
    });
    const created: string[] = [];
    try {
      if (deltaPath) {
        // The extent first, then the descriptor that names it.
        if (options.overwrite) await rm(deltaPath, { force: true });
        created.push(deltaPath);
        if (type === 'vmfsSparse') await (await import('./cowd-extent.js')).CowdExtent.createFile(deltaPath, capacitySectors, grain);
        else await (await import('./sesparse-extent.js')).SeSparseExtent.createFile(deltaPath, capacitySectors);
        created.push(abs);
        await writeNewFile(abs, descriptor.toBytes());
      } else if (splitFiles.length) {
        for (const f of splitFiles) {
          const p = join(dirname(abs), f.fileName);
          if (options.overwrite) await rm(p, { force: true });
          created.push(p);
          await writeSparseExtentFile(p, f.sizeSectors, 128, false, null);
        }
        created.push(abs);
        await writeNewFile(abs, descriptor.toBytes());
      } else {
        created.push(abs);
        await writeSparseExtentFile(abs, capacitySectors, 128, false, descriptor);
      }
    } catch (err) {
      await Promise.all(created.map((p) => rm(p, { force: true })));
      throw toVixError(err, abs);
    }
  } finally {
    await lock.release();
    if (parent !== parentPath) await parent.close();
  }
}

/**
 * The name ESXi gives the next snapshot delta of `parentPath`: `<base>-000001.vmdk` for a base
 * disk, the number after the parent's for a delta (`vm-000001.vmdk` -> `vm-000002.vmdk`), skipping
 * names already taken in the folder.
 */
export async function nextSnapshotPath(parentPath: string): Promise<string> {
  const abs = resolve(parentPath);
  const m = /^(.*)-(\d{6})$/.exec(stem(abs));
  const base = m ? m[1]! : stem(abs);
  for (let n = m ? Number(m[2]) + 1 : 1; n <= 999999; n++) {
    const candidate = join(dirname(abs), `${base}-${String(n).padStart(6, '0')}.vmdk`);
    if (!(await stat(candidate).then(() => true, () => false))) return candidate;
  }
  throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${abs}: every snapshot name ${base}-NNNNNN.vmdk is taken`);
}

/**
 * Claim the names a new disk `abs` needs: each must stay in the disk's folder once symlinks are
 * resolved (a symlink left where an extent will be, even a dangling one, must not lead the new
 * file out), and, unless overwriting, be free (a dangling symlink takes its name).
 */
async function claimNames(abs: string, paths: string[], overwrite: boolean): Promise<void> {
  const confinement = await Confinement.of(abs);
  for (const p of paths) {
    await confinement.recheck(p);
    if (!overwrite && await lstat(p).then(() => true, () => false)) {
      throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${p} already exists`);
    }
  }
}

async function writeNewFile(path: string, bytes: Uint8Array, durable = true): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await writeAt(fh, bytes, 0);
    if (durable) await fh.datasync();
  } finally {
    await fh.close();
  }
}

/**
 * Where the structures of a new hosted sparse extent go (vmdk-format 2.6): header, descriptor area
 * (descriptorOffsetSectors/descriptorSizeSectors as given), redundant GD and all its tables, GD and
 * all its tables, padding to a grain. Sets rgdOffsetSectors, gdOffsetSectors and overheadSectors
 * of `header` (and returns it). Shared by creation and the maintenance rewrites (shrink, defragment).
 */
export function layOutSparseExtent(header: SparseHeader): SparseHeader {
  const numGts = gdEntryCount(header);
  const gdSectors = gdSizeSectors(header);
  const gtSectors = gtSizeSectors(header);
  const descEnd = header.descriptorOffsetSectors > 0 ? header.descriptorOffsetSectors + header.descriptorSizeSectors : 1;
  header.rgdOffsetSectors = Math.max(1, descEnd);
  header.gdOffsetSectors = header.rgdOffsetSectors + gdSectors + numGts * gtSectors;
  const end = header.gdOffsetSectors + gdSectors + numGts * gtSectors;
  header.overheadSectors = Math.ceil(end / header.grainSizeSectors) * header.grainSizeSectors;
  return header;
}

/**
 * Lay out a hosted sparse extent as QEMU and VirtualBox do (vmdk-format 2.6): header, descriptor
 * area, redundant GD and its tables, GD and its tables, padding to a grain; every table preallocated.
 */
export async function writeSparseExtentFile(path: string, capacitySectors: number, grainSizeSectors: number,
  zeroedGrain: boolean, descriptor: Descriptor | null, durable = true): Promise<void> {
  const descSectors = descriptor ? EMBEDDED_DESCRIPTOR_SECTORS : 0;
  const header: SparseHeader = {
    version: zeroedGrain ? 2 : 1,
    flags: FLAG_VALID_NEWLINE | FLAG_REDUNDANT_GD | (zeroedGrain ? FLAG_ZEROED_GTE : 0),
    capacitySectors,
    grainSizeSectors,
    descriptorOffsetSectors: descriptor ? 1 : 0,
    descriptorSizeSectors: descSectors,
    numGTEsPerGT: 512,
    rgdOffsetSectors: 0,
    gdOffsetSectors: 0,
    overheadSectors: 0,
    uncleanShutdown: false,
    compressAlgorithm: 0,
  };
  layOutSparseExtent(header);
  const numGts = gdEntryCount(header);
  const gdSectors = gdSizeSectors(header);
  const gtSectors = gtSizeSectors(header);

  const dirFor = (dirSector: number) => {
    const bytes = new Uint8Array(gdSectors * SECTOR);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < numGts; i++) view.setUint32(i * 4, dirSector + gdSectors + i * gtSectors, true);
    return bytes;
  };
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'w');
    // Tables are all zeros: truncate makes them (as holes); only header, descriptor and GDs are written.
    await fh.truncate(header.overheadSectors * SECTOR);
    if (descriptor) {
      const text = descriptor.toBytes();
      if (text.length >= descSectors * SECTOR) {
        throw new VixError(VIX_E_DISK_INVAL, `descriptor (${text.length} bytes) does not fit in ${descSectors} sectors`);
      }
      await writeAt(fh, text, SECTOR);
    }
    await writeAt(fh, dirFor(header.rgdOffsetSectors), header.rgdOffsetSectors * SECTOR);
    await writeAt(fh, dirFor(header.gdOffsetSectors), header.gdOffsetSectors * SECTOR);
    if (durable) await fh.datasync();
    // The header last, so a file cut short by a crash is never taken for a valid disk.
    await writeAt(fh, encodeSparseHeader(header), 0);
    if (durable) await fh.datasync();
  } finally {
    await fh?.close();
  }
}
