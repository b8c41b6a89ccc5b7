import { open, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { readAt, writeAt } from '../block/file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import {
  VIX_E_DISK_INVAL, VIX_E_DISK_NOTSUPPORTED, VIX_E_FILE_ALREADY_EXISTS, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED,
} from '../errors/error-codes.js';
import { SPLIT_EXTENT_SECTORS, writeSparseExtentFile } from './create.js';
import type { ExtentLine } from './descriptor.js';
import { ADAPTER_TYPES, computeGeometry, type AdapterType } from './geometry.js';
import type { Confinement } from './confinement.js';
import { withLinkWriterLock } from './link-lock.js';
import { exists, readLinkFiles, saveLinkDescriptor, verifyExtentFiles, type LinkFiles } from './link-files.js';
import { asidePath, publishNewFile } from './replace-file.js';
import {
  decodeSparseHeader, FLAG_COMPRESSED, FLAG_REDUNDANT_GD, FLAG_ZEROED_GTE, gdEntryCount,
  gdSizeSectors, gtSizeSectors, MAX_GD_ENTRIES, SECTOR, type SparseHeader,
} from './sparse-header.js';

// VixDiskLib_Grow: make a disk larger, in place, keeping every byte it holds.
//
// Order, so that a process killed at any moment leaves a disk that opens with all its data (at the
// old or, once the descriptor is written, the new capacity):
//   1. new extent files (split types) are written aside and given their names;
//   2. the last extent grows: a flat file is extended; a sparse extent gets its new grain tables and,
//      when the grain directory no longer fits its sectors, a new directory (and redundant copy)
//      appended at the end of the file, all synced before the header is switched to them;
//   3. the descriptor's extent lines (and ddb.geometry.* when asked) are written last, atomically
//      (a separate file is replaced; an embedded one is rewritten in place within its area).
// A sparse header that already says more than the descriptor is valid (readers take the
// descriptor's size), so a kill between 2 and 3 leaves the old capacity; repairDisk completes it.

export interface GrowOptions {
  /** Recompute ddb.geometry.cylinders for the new capacity (heads and sectors kept). */
  updateGeometry?: boolean;
  /** Called with 0..100 as the work proceeds. */
  onProgress?: (percent: number) => void;
  allowOutsidePaths?: boolean;
}

/** Sparse extents address grains with 32-bit sector numbers: the file must stay under 2 TiB. */
const MAX_SPARSE_EXTENT_BYTES = 2 ** 32 * SECTOR - 2 ** 30;

/** Grow the disk (one link) at `path` to `newCapacityBytes` (rounded up to a sector). */
export async function growDisk(path: string, newCapacityBytes: number, options: GrowOptions = {}): Promise<void> {
  return withLinkWriterLock(path, options, () => growLocked(path, newCapacityBytes, options));
}

async function growLocked(path: string, newCapacityBytes: number, options: GrowOptions): Promise<void> {
  const progress = options.onProgress ?? (() => undefined);
  if (!Number.isSafeInteger(newCapacityBytes) || newCapacityBytes <= 0) {
    throw new VixError(VIX_E_INVALID_ARG, `new capacity ${newCapacityBytes} is not a positive number of bytes`);
  }
  const newSectors = Math.ceil(newCapacityBytes / SECTOR);
  const link = await readLinkFiles(path, { allowOutsidePaths: options.allowOutsidePaths });
  await verifyExtentFiles(link);
  const createType = link.descriptor?.createType ?? 'monolithicSparse';
  const lines = link.extents.map((e) => e.line);
  const current = lines.reduce((s, l) => s + l.sizeSectors, 0);
  if (newSectors < current) {
    throw new VixError(VIX_E_INVALID_ARG,
      `${link.path}: cannot grow to ${newSectors * SECTOR} bytes, it already holds ${current * SECTOR} (disks cannot be made smaller)`);
  }
  progress(0);
  if (newSectors === current) {
    progress(100);
    return;
  }
  if (createType.toLowerCase() === 'streamoptimized') {
    throw new VixError(VIX_E_NOT_SUPPORTED, `${link.path}: a streamOptimized disk cannot be grown in place; convert it to another type first`);
  }
  const last = link.extents[link.extents.length - 1]!;
  const kind = last.line.type === 'SPARSE' ? 'sparse' : last.line.type === 'FLAT' || last.line.type === 'VMFS' ? 'flat' : null;
  if (!kind || !last.path) {
    throw new VixError(VIX_E_DISK_NOTSUPPORTED, `${link.path}: growing a disk whose last extent is ${last.line.type} is not supported`);
  }
  const lastHeader = kind === 'sparse' ? await readHeader(last.path, link.confinement) : null;
  if (lastHeader && (lastHeader.flags & FLAG_COMPRESSED)) {
    throw new VixError(VIX_E_NOT_SUPPORTED, `${last.path}: a compressed (streamOptimized) extent cannot be grown in place`);
  }

  // The plan: how far the last extent grows, and the new extents after it (split types only).
  const split = /^twoGbMaxExtent(Sparse|Flat)$/i.test(createType);
  const splitLimit = Math.max(SPLIT_EXTENT_SECTORS, ...lines.filter((l) => l !== last.line).map((l) => l.sizeSectors));
  let add = newSectors - current;
  const lastTo = split ? Math.max(last.line.sizeSectors, Math.min(splitLimit, last.line.sizeSectors + add)) : last.line.sizeSectors + add;
  add -= lastTo - last.line.sizeSectors;
  const added: ExtentLine[] = [];
  for (let k = 1; add > 0; k++) {
    const n = Math.min(splitLimit, add);
    added.push({
      access: 'RW', sizeSectors: n, type: last.line.type, fileName: nextExtentName(last.line.fileName!, k, link, kind),
      ...(kind === 'flat' ? { offsetSectors: 0 } : {}),
    });
    add -= n;
  }
  if (kind === 'sparse' && lastTo * SECTOR > MAX_SPARSE_EXTENT_BYTES) {
    throw new VixError(VIX_E_DISK_INVAL, `${last.path}: a sparse extent can hold at most ${MAX_SPARSE_EXTENT_BYTES} bytes`);
  }
  if (kind === 'sparse' && lastHeader && Math.ceil(lastTo / (lastHeader.numGTEsPerGT * lastHeader.grainSizeSectors)) > MAX_GD_ENTRIES) {
    throw new VixError(VIX_E_DISK_INVAL, `${last.path}: ${lastTo} sectors need more grain directory entries than a sparse extent may have`);
  }
  const newPaths: string[] = [];
  for (const l of added) newPaths.push(await link.confinement.extentPath(l.fileName!));
  for (const p of newPaths) {
    if (await exists(p)) throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${p} already exists; growing ${link.path} would need that name`);
  }

  const steps = added.length + 2;
  let done = 0;
  const step = () => progress(Math.min(99, Math.round((++done / steps) * 100)));
  // 1. New extent files, complete before they are named.
  for (let k = 0; k < added.length; k++) {
    const line = added[k]!;
    const p = newPaths[k]!;
    const tmp = asidePath(p, 'grow');
    try {
      if (kind === 'sparse') {
        await writeSparseExtentFile(tmp, line.sizeSectors, lastHeader!.grainSizeSectors, (lastHeader!.flags & FLAG_ZEROED_GTE) !== 0, null);
      } else {
        const fh = await open(tmp, 'wx');
        try {
          await fh.truncate(line.sizeSectors * SECTOR);
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }
      await link.confinement.recheck(p);
      await publishNewFile(tmp, p);
    } catch (err) {
      await rm(tmp, { force: true });
      throw toVixError(err, p);
    }
    step();
  }
  // 2. The last extent.
  if (lastTo > last.line.sizeSectors) {
    if (kind === 'sparse') await growSparseExtentFile(last.path, lastTo, link.confinement);
    else await growFlatFile(last.path, (last.line.offsetSectors ?? 0) + lastTo, link.confinement);
  }
  step();
  // 3. The descriptor, last.
  if (link.descriptor) {
    const d = link.descriptor;
    d.extents = [...lines.slice(0, -1), { ...last.line, sizeSectors: lastTo }, ...added];
    if (options.updateGeometry) updateGeometry(link, newSectors * SECTOR);
    await saveLinkDescriptor(link, d);
  }
  progress(100);
}

/** Extent names continue the last one's numbering: disk-s002.vmdk after disk-s001.vmdk. */
function nextExtentName(lastName: string, k: number, link: LinkFiles, kind: 'sparse' | 'flat'): string {
  const m = /^(.*-[sf])(\d+)(\.vmdk)$/i.exec(lastName);
  if (m) return `${m[1]}${String(Number(m[2]) + k).padStart(Math.max(3, m[2]!.length), '0')}${m[3]}`;
  const b = basename(link.path);
  const stem = b.toLowerCase().endsWith('.vmdk') ? b.slice(0, -5) : b;
  return `${stem}-${kind === 'sparse' ? 's' : 'f'}${String(link.extents.length + k).padStart(3, '0')}.vmdk`;
}

function updateGeometry(link: LinkFiles, capacityBytes: number): void {
  const d = link.descriptor!;
  const num = (k: string) => {
    const v = d.getDdb(k);
    return v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : null;
  };
  const heads = num('ddb.geometry.heads');
  const sectors = num('ddb.geometry.sectors');
  if (heads !== null && sectors !== null) {
    d.setDdb('ddb.geometry.cylinders', String(Math.floor(capacityBytes / (heads * sectors * SECTOR))));
    return;
  }
  const adapter = d.getDdb('ddb.adapterType');
  const g = computeGeometry(capacityBytes, ADAPTER_TYPES.includes(adapter as AdapterType) ? adapter as AdapterType : 'ide');
  d.setDdb('ddb.geometry.cylinders', String(g.cylinders));
  d.setDdb('ddb.geometry.heads', String(g.heads));
  d.setDdb('ddb.geometry.sectors', String(g.sectors));
}

async function readHeader(path: string, confinement: Confinement): Promise<SparseHeader> {
  const fh = await confinement.open(path, 'r').catch((err) => { throw toVixError(err, path); });
  try {
    const b = new Uint8Array(SECTOR);
    await readAt(fh, b, 0);
    return decodeSparseHeader(b, path);
  } finally {
    await fh.close();
  }
}

async function growFlatFile(path: string, endSectors: number, confinement: Confinement): Promise<void> {
  const fh = await confinement.open(path, 'r+').catch((err) => { throw toVixError(err, path); });
  try {
    const { size } = await fh.stat();
    if (size < endSectors * SECTOR) {
      await fh.truncate(endSectors * SECTOR);
      await fh.datasync();
    }
  } finally {
    await fh.close();
  }
}

/**
 * Grow one hosted sparse extent file to `newCapacitySectors` (vmdk-format 2.4): every new grain
 * directory entry gets a grain table (and a redundant one), preallocated as QEMU expects; the
 * tables are appended (as zeros) at the end of the file. When the directory still fits its sectors
 * the new entries go into its padding (readers of the old header never look there); otherwise a
 * new directory and redundant directory are appended too. The header is switched last.
 */
export async function growSparseExtentFile(path: string, newCapacitySectors: number, confinement: Confinement): Promise<void> {
  const fh = await confinement.open(path, 'r+').catch((err) => { throw toVixError(err, path); });
  try {
    const first = new Uint8Array(SECTOR);
    await readAt(fh, first, 0);
    const header = decodeSparseHeader(first, path);
    if (header.flags & FLAG_COMPRESSED) {
      throw new VixError(VIX_E_NOT_SUPPORTED, `${path}: a compressed (streamOptimized) extent cannot be grown in place`);
    }
    if (newCapacitySectors <= header.capacitySectors) return; // already large enough (or grown before a crash)
    const { size } = await fh.stat();
    let endSector = Math.ceil(size / SECTOR);
    const grown: SparseHeader = { ...header, capacitySectors: newCapacitySectors };
    const oldCount = gdEntryCount(header);
    const newCount = gdEntryCount(grown);
    const redundant = (header.flags & FLAG_REDUNDANT_GD) !== 0 && header.rgdOffsetSectors !== 0 &&
      header.rgdOffsetSectors !== header.gdOffsetSectors;
    const gd = await readDirectory(fh, header.gdOffsetSectors, oldCount);
    const rgd = redundant ? await readDirectory(fh, header.rgdOffsetSectors, oldCount) : null;

    // The last grain of an extent whose capacity is not a whole number of grains becomes fully
    // visible: its tail (never guest data) is zeroed first.
    const g = header.grainSizeSectors;
    const tailSectors = header.capacitySectors % g;
    if (tailSectors !== 0) {
      const lastGrain = Math.floor(header.capacitySectors / g);
      const gde = gd[Math.floor(lastGrain / header.numGTEsPerGT)] ?? 0;
      if (gde !== 0) {
        const entry = new Uint8Array(4);
        await readAt(fh, entry, gde * SECTOR + (lastGrain % header.numGTEsPerGT) * 4);
        const e = new DataView(entry.buffer).getUint32(0, true);
        const zeroedMark = e === 1 && (header.flags & FLAG_ZEROED_GTE) !== 0;
        if (e !== 0 && !zeroedMark && e >= header.overheadSectors && e < endSector) {
          const from = (e + tailSectors) * SECTOR;
          const to = Math.min((e + g) * SECTOR, size);
          if (to > from) await writeAt(fh, new Uint8Array(to - from), from);
        }
      }
    }

    if (newCount > oldCount) {
      const gtSectors = gtSizeSectors(header);
      const newGd = new Uint32Array(newCount);
      newGd.set(gd);
      const newRgd = rgd ? new Uint32Array(newCount) : null;
      newRgd?.set(rgd!);
      for (let i = oldCount; i < newCount; i++) {
        newGd[i] = endSector;
        endSector += gtSectors;
        if (newRgd) {
          newRgd[i] = endSector;
          endSector += gtSectors;
        }
      }
      const dirSectors = gdSizeSectors(grown);
      if (dirSectors !== gdSizeSectors(header)) {
        grown.gdOffsetSectors = endSector;
        endSector += dirSectors;
        if (newRgd) {
          grown.rgdOffsetSectors = endSector;
          endSector += dirSectors;
        }
      }
      if (endSector >= 2 ** 32) {
        throw new VixError(VIX_E_DISK_INVAL, `${path}: the grown metadata would pass the 2 TB limit of sparse extents`);
      }
      // The new tables are zeros: extending the file makes them (as holes where the file system can).
      await fh.truncate(endSector * SECTOR);
      const writeDir = async (dir: Uint32Array, atSector: number, moved: boolean) => {
        const from = moved ? 0 : oldCount;
        const bytes = new Uint8Array(dir.buffer, from * 4, (newCount - from) * 4);
        await writeAt(fh, bytes, atSector * SECTOR + from * 4);
      };
      const moved = grown.gdOffsetSectors !== header.gdOffsetSectors;
      await writeDir(newGd, grown.gdOffsetSectors, moved);
      if (newRgd) await writeDir(newRgd, grown.rgdOffsetSectors, moved);
      await fh.datasync();
    }
    // The header as it was, with only capacity and the directory offsets changed.
    const view = new DataView(first.buffer);
    view.setBigUint64(12, BigInt(grown.capacitySectors), true);
    view.setBigUint64(48, BigInt(grown.rgdOffsetSectors), true);
    view.setBigUint64(56, BigInt(grown.gdOffsetSectors), true);
    await writeAt(fh, first, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

async function readDirectory(fh: Awaited<ReturnType<typeof open>>, offsetSectors: number, entries: number): Promise<Uint32Array> {
  const bytes = new Uint8Array(entries * 4);
  await readAt(fh, bytes, offsetSectors * SECTOR);
  return new Uint32Array(bytes.buffer, 0, entries);
}
