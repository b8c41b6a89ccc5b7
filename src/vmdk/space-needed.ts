import { basename } from 'node:path';
import { allocationMap } from '../block/allocation-map.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { DISK_TYPES, layOutSparseExtent, SPLIT_EXTENT_SECTORS, type DiskType } from './create.js';
import { Descriptor, type ExtentLine } from './descriptor.js';
import { VmdkDisk } from './disk.js';
import { FLAG_REDUNDANT_GD, FLAG_VALID_NEWLINE, SECTOR, type SparseHeader } from './sparse-header.js';

// VixDiskLib_SpaceNeededForClone: the bytes a clone of the whole chain into `targetType` takes,
// computed from the chain's allocation map, the way our own writers lay the files out:
//
//   G  = grain size (64 KiB by default), A = grains of the chain that hold data (a grain counts when
//        any byte of it is allocated in some link; holes and zeroed grains do not; allocated grains
//        that happen to hold zeros are counted, as the map cannot tell them apart without reading)
//   monolithicSparse       overHead(capacity, 20-sector descriptor) × 512 + A × G
//   twoGbMaxExtentSparse   Σ over the 2047 MiB extents: overHead(extent, no descriptor) × 512
//                          + A(extent) × G; plus the descriptor file
//   monolithicFlat, vmfs, vmfsThin, twoGbMaxExtentFlat
//                          capacity (the flat files are created full size) + the descriptor file
//   streamOptimized        an upper bound, compression not being known in advance: 128 sectors
//                          (header, descriptor, padding) + A × ceil((12 + deflateBound(G)) / 512)
//                          × 512 + per grain table holding data (1 + 4) × 512 + (1 + GD sectors) × 512
//                          + 3 × 512 (footer marker, footer, end-of-stream)
//
// overHead is the metadata before the first grain (header, descriptor area, redundant directory
// and all its tables, directory and all its tables, rounded up to a grain; layOutSparseExtent).
// The descriptor file's size is that of the descriptor our writer would make for the clone, named
// after the source (a clone's name changes it by a few bytes per extent line).

export interface SpaceNeededOptions {
  /** Grain size of a sparse target in sectors; 128 (64 KiB) by default. */
  grainSizeSectors?: number;
  allowOutsidePaths?: boolean;
}

/** Bytes needed to clone the chain at `target` into `targetType` (the top link's type when omitted). */
export async function spaceNeededForClone(target: string | VmdkDisk, targetType?: DiskType, options: SpaceNeededOptions = {}): Promise<number> {
  const disk = typeof target === 'string'
    ? await VmdkDisk.open(target, { readOnly: true, allowOutsidePaths: options.allowOutsidePaths })
    : target;
  try {
    const sourceType = disk.top.descriptor.createType;
    const type: DiskType = targetType ?? (DISK_TYPES.includes(sourceType as DiskType) ? sourceType as DiskType : 'monolithicSparse');
    if (!DISK_TYPES.includes(type)) throw new VixError(VIX_E_INVALID_ARG, `unknown disk type "${type}" (one of ${DISK_TYPES.join(', ')})`);
    const grain = options.grainSizeSectors ?? 128;
    if (!Number.isInteger(grain) || grain < 1 || (grain & (grain - 1)) !== 0) {
      throw new VixError(VIX_E_INVALID_ARG, `grain size ${grain} sectors is not a power of two`);
    }
    const capacitySectors = Math.ceil(disk.capacity / SECTOR);
    const grainBytes = grain * SECTOR;
    const needMap = type === 'monolithicSparse' || type === 'twoGbMaxExtentSparse' || type === 'streamOptimized';
    const map = needMap ? await allocationMap(disk, (type === 'streamOptimized' ? 128 : grain) * SECTOR) : [];
    /** Allocated grains in [startSector, endSector). */
    const allocatedGrains = (startSector: number, endSector: number, g: number) => {
      let n = 0;
      for (const r of map) {
        if (!r.allocated) continue;
        const s = Math.max(r.offset, startSector * SECTOR);
        const e = Math.min(r.offset + r.length, endSector * SECTOR);
        if (e > s) n += Math.ceil(e / (g * SECTOR)) - Math.floor(s / (g * SECTOR));
      }
      return n;
    };
    const name = basename(disk.path);
    const stem = name.toLowerCase().endsWith('.vmdk') ? name.slice(0, -5) : name;
    const splitSizes: number[] = [];
    for (let done = 0; done < capacitySectors;) {
      const n = Math.min(SPLIT_EXTENT_SECTORS, capacitySectors - done);
      splitSizes.push(n);
      done += n;
    }
    const descriptorBytes = (lines: ExtentLine[]) => Descriptor.create({
      cid: 0, createType: type, extents: lines,
      ddb: disk.top.descriptor.ddbKeys().map((k) => [k, disk.top.descriptor.getDdb(k)!] as [string, string]),
    }).toBytes().length;

    switch (type) {
      case 'monolithicSparse':
        return overheadSectors(capacitySectors, grain, 20) * SECTOR + allocatedGrains(0, capacitySectors, grain) * grainBytes;
      case 'twoGbMaxExtentSparse': {
        let total = 0;
        let start = 0;
        const lines: ExtentLine[] = [];
        splitSizes.forEach((n, i) => {
          total += overheadSectors(n, grain, 0) * SECTOR + allocatedGrains(start, start + n, grain) * grainBytes;
          lines.push({ access: 'RW', sizeSectors: n, type: 'SPARSE', fileName: `${stem}-s${String(i + 1).padStart(3, '0')}.vmdk` });
          start += n;
        });
        return total + descriptorBytes(lines);
      }
      case 'twoGbMaxExtentFlat':
        return capacitySectors * SECTOR + descriptorBytes(splitSizes.map((n, i) => ({
          access: 'RW', sizeSectors: n, type: 'FLAT', fileName: `${stem}-f${String(i + 1).padStart(3, '0')}.vmdk`, offsetSectors: 0,
        })));
      case 'monolithicFlat':
      case 'vmfs':
      case 'vmfsThin':
        return capacitySectors * SECTOR + descriptorBytes([{
          access: 'RW', sizeSectors: capacitySectors, type: type === 'monolithicFlat' ? 'FLAT' : 'VMFS', fileName: `${stem}-flat.vmdk`,
          ...(type === 'monolithicFlat' ? { offsetSectors: 0 } : {}),
        }]);
      case 'streamOptimized': {
        const g = 128;
        const a = allocatedGrains(0, capacitySectors, g);
        const recordSectors = Math.ceil((12 + deflateBound(g * SECTOR)) / SECTOR);
        const gtes = 512;
        const tablesWithData = new Set<number>();
        for (const r of map) {
          if (!r.allocated) continue;
          const first = Math.floor(r.offset / (g * SECTOR));
          const last = Math.ceil((r.offset + r.length) / (g * SECTOR)) - 1;
          for (let t = Math.floor(first / gtes); t <= Math.floor(last / gtes); t++) tablesWithData.add(t);
        }
        const gdSectors = Math.ceil((Math.ceil(capacitySectors / (gtes * g)) * 4) / SECTOR);
        return (128 + a * recordSectors + tablesWithData.size * (1 + 4) + 1 + gdSectors + 3) * SECTOR;
      }
    }
    throw new VixError(VIX_E_INVALID_ARG, `unknown disk type "${type as string}"`);
  } finally {
    if (typeof target === 'string') await disk.close();
  }
}

/** Sectors before the first grain of a new sparse extent of `capacitySectors` (vmdk-format 2.6). */
function overheadSectors(capacitySectors: number, grainSizeSectors: number, descriptorSectors: number): number {
  const h: SparseHeader = {
    version: 1, flags: FLAG_VALID_NEWLINE | FLAG_REDUNDANT_GD, capacitySectors, grainSizeSectors,
    descriptorOffsetSectors: descriptorSectors ? 1 : 0, descriptorSizeSectors: descriptorSectors, numGTEsPerGT: 512,
    rgdOffsetSectors: 0, gdOffsetSectors: 0, overheadSectors: 0, uncleanShutdown: false, compressAlgorithm: 0,
  };
  return layOutSparseExtent(h).overheadSectors;
}

/** zlib's deflateBound for a zlib-wrapped stream of `n` bytes (header 2 + adler 4). */
function deflateBound(n: number): number {
  return n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 6;
}
