import { open, rm, type FileHandle } from 'node:fs/promises';
import { readAt, writeAt } from '../block/file-io.js';
import { isZero } from '../block/is-zero.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import type { Confinement } from './confinement.js';
import { layOutSparseExtent } from './create.js';
import { asidePath, removeStaleAsideFiles, replaceFile } from './replace-file.js';
import type { SparseExtent } from './sparse-extent.js';
import {
  FLAG_REDUNDANT_GD, FLAG_ZEROED_GTE, gdEntryCount, gdSizeSectors, gtSizeSectors, SECTOR, type SparseHeader,
} from './sparse-header.js';

// The rewrite behind shrink and defragment: a hosted sparse extent is written anew beside itself in
// the canonical layout (header, descriptor area, redundant GD and tables, GD and tables, grains),
// its grains in guest order right after the metadata, nothing unreferenced in between; then the
// new file is synced and renamed over the old one. A process killed before the rename leaves the
// old file untouched (and a hidden temporary file), after it the new one.
//
// This is a grain-level copy, not the device copy loop (block/copy.ts): it must keep what a
// device cannot express: which grains are holes (the parent shows through) and which are zeroed
// grain entries (zeros that hide the parent), the CID, and the embedded descriptor byte for byte.

export interface RewriteOptions {
  /** Grains that hold only zeros become unallocated (only for a link without a parent). */
  dropZeroGrains: boolean;
  /** Called after each grain table is done. */
  onTable?: () => void;
}

export interface RewriteResult {
  bytesBefore: number;
  bytesAfter: number;
  grainsKept: number;
  /** Zero grains that became unallocated. */
  grainsDropped: number;
}

/** Grains read from the old file at once when they lie next to each other. */
const BATCH_BYTES = 4 << 20;
/** Bytes written between writeback starts (an unawaited datasync) during a rewrite. */
const WRITEBACK_BYTES = 64 << 20;

/**
 * Rewrite the sparse extent file `path`, whose tables `ext` (opened on that file) reads and
 * validates. The header keeps capacity, grain size, table size, flags and version; the
 * redundant directory is always written; the unclean-shutdown flag is cleared.
 */
export async function rewriteSparseExtent(path: string, ext: SparseExtent, confinement: Confinement, options: RewriteOptions): Promise<RewriteResult> {
  const h = ext.header;
  if (ext.isCompressed) {
    throw new VixError(VIX_E_NOT_SUPPORTED, `${path}: a compressed (streamOptimized) extent is already compact and cannot be rewritten in place`);
  }
  const src = await confinement.open(path, 'r').catch((err) => { throw toVixError(err, path); });
  // A rewrite of this file killed earlier left its partial copy; this one needs that space.
  await removeStaleAsideFiles(path);
  const tmp = asidePath(path, 'rewrite');
  let dst: FileHandle | undefined;
  try {
    const st = await src.stat();
    const hasDescriptor = h.descriptorOffsetSectors > 0 && h.descriptorSizeSectors > 0;
    const nh: SparseHeader = layOutSparseExtent({
      ...h,
      flags: h.flags | FLAG_REDUNDANT_GD,
      descriptorOffsetSectors: hasDescriptor ? 1 : 0,
      descriptorSizeSectors: hasDescriptor ? h.descriptorSizeSectors : 0,
      uncleanShutdown: false,
    });
    const count = gdEntryCount(h);
    const gdSectors = gdSizeSectors(h);
    const gtSectors = gtSizeSectors(h);
    const gtes = h.numGTEsPerGT;
    const g = h.grainSizeSectors;
    const grainBytes = g * SECTOR;
    const zeroedGtes = (h.flags & FLAG_ZEROED_GTE) !== 0;

    dst = await open(tmp, 'wx', st.mode & 0o7777);
    // Metadata region as zeros first (empty tables stay holes); then descriptor and directories.
    await dst.truncate(nh.overheadSectors * SECTOR);
    if (hasDescriptor) {
      const area = new Uint8Array(h.descriptorSizeSectors * SECTOR);
      await readAt(src, area, h.descriptorOffsetSectors * SECTOR);
      await writeAt(dst, area, nh.descriptorOffsetSectors * SECTOR);
    }
    const dirFor = (dirSector: number) => {
      const bytes = new Uint8Array(gdSectors * SECTOR);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < count; i++) view.setUint32(i * 4, dirSector + gdSectors + i * gtSectors, true);
      return bytes;
    };
    await writeAt(dst, dirFor(nh.rgdOffsetSectors), nh.rgdOffsetSectors * SECTOR);
    await writeAt(dst, dirFor(nh.gdOffsetSectors), nh.gdOffsetSectors * SECTOR);

    const batchGrains = Math.max(1, Math.floor(BATCH_BYTES / grainBytes));
    const batch = new Uint8Array(batchGrains * grainBytes);
    let next = nh.overheadSectors;
    let unsynced = 0;
    const writeback: Array<Promise<void>> = [];
    let kept = 0;
    let dropped = 0;
    const table = new Uint32Array(gtes);
    const tableBytes = new Uint8Array(table.buffer);
    for (let i = 0; i < count; i++) {
      const t = await ext.table(i);
      if (!t) {
        options.onTable?.();
        continue;
      }
      table.fill(0);
      // Runs of grains stored next to each other in the old file are read at once.
      for (let j = 0; j < gtes;) {
        const e = t[j]!;
        if (e === 0) { j++; continue; }
        if (e === 1 && zeroedGtes) { table[j] = 1; j++; continue; }
        if ((i * gtes + j) * g >= h.capacitySectors) { j++; continue; } // an entry past the capacity holds nothing
        let n = 1;
        while (n < batchGrains && j + n < gtes && t[j + n] === e + n * g && (i * gtes + j + n) * g < h.capacitySectors) n++;
        const run = batch.subarray(0, n * grainBytes);
        await readAt(src, run, e * SECTOR);
        // Kept grains of the run are contiguous in the batch and in the new file: one write each.
        let pendFrom = -1;
        const flush = async (upTo: number) => {
          if (pendFrom < 0) return;
          const bytes = run.subarray(pendFrom * grainBytes, upTo * grainBytes);
          await writeAt(dst!, bytes, (next - (upTo - pendFrom) * g) * SECTOR);
          pendFrom = -1;
          // Start writeback as we go, so the final sync does not find a whole disk's worth waiting.
          unsynced += bytes.length;
          if (unsynced >= WRITEBACK_BYTES) {
            unsynced = 0;
            const sync = dst!.datasync();
            sync.catch(() => undefined); // its failure is raised where all are awaited, below
            writeback.push(sync);
          }
        };
        for (let k = 0; k < n; k++) {
          const grain = run.subarray(k * grainBytes, (k + 1) * grainBytes);
          const zero = isZero(grain);
          if (options.dropZeroGrains && zero) {
            await flush(k);
            dropped++;
            continue;
          }
          if (zero) {
            // A kept grain of zeros keeps its place but is not written: in the new file it is a
            // hole, which reads as zeros (the file is truncated to its full length below).
            await flush(k);
          } else if (pendFrom < 0) {
            pendFrom = k;
          }
          table[j + k] = next;
          next += g;
          kept++;
        }
        await flush(n);
        j += n;
      }
      if (table.some((v) => v !== 0)) {
        await writeAt(dst, tableBytes, (nh.gdOffsetSectors + gdSectors + i * gtSectors) * SECTOR);
        await writeAt(dst, tableBytes, (nh.rgdOffsetSectors + gdSectors + i * gtSectors) * SECTOR);
      }
      options.onTable?.();
    }
    // The file ends with its last grain (or its metadata when no grain is kept).
    await dst.truncate(Math.max(next, nh.overheadSectors) * SECTOR);
    await Promise.all(writeback);
    await dst.datasync();
    // The header last, from the old one (bytes no field names are kept), with the new layout.
    const first = new Uint8Array(SECTOR);
    await readAt(src, first, 0);
    const view = new DataView(first.buffer);
    view.setUint32(8, nh.flags, true);
    view.setBigUint64(28, BigInt(nh.descriptorOffsetSectors), true);
    view.setBigUint64(36, BigInt(nh.descriptorSizeSectors), true);
    view.setBigUint64(48, BigInt(nh.rgdOffsetSectors), true);
    view.setBigUint64(56, BigInt(nh.gdOffsetSectors), true);
    view.setBigUint64(64, BigInt(nh.overheadSectors), true);
    first[72] = 0;
    first.set([0x0a, 0x20, 0x0d, 0x0a], 73);
    await writeAt(dst, first, 0);
    await dst.datasync();
    await dst.close();
    dst = undefined;
    await confinement.recheck(path);
    await replaceFile(tmp, path);
    return { bytesBefore: st.size, bytesAfter: Math.max(next, nh.overheadSectors) * SECTOR, grainsKept: kept, grainsDropped: dropped };
  } catch (err) {
    await dst?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw toVixError(err, path);
  } finally {
    await src.close();
  }
}

/**
 * Rewrite every sparse extent of a link, one file after another (each switch is atomic on its own;
 * a split disk killed half way holds some rewritten extents and some old ones, all valid).
 * `percent` reports 0..100 over all grain tables.
 */
export async function rewriteLinkExtents(extents: Array<{ path: string; io: SparseExtent }>, confinement: Confinement,
  dropZeroGrains: boolean, onProgress?: (percent: number) => void): Promise<RewriteResult> {
  const total = extents.reduce((s, e) => s + e.io.gd.length, 0) || 1;
  let done = 0;
  let lastReported = -1;
  const report = (p: number) => {
    if (p !== lastReported) {
      lastReported = p;
      onProgress?.(p);
    }
  };
  report(0);
  const sum: RewriteResult = { bytesBefore: 0, bytesAfter: 0, grainsKept: 0, grainsDropped: 0 };
  for (const e of extents) {
    const r = await rewriteSparseExtent(e.path, e.io, confinement, {
      dropZeroGrains,
      onTable: () => report(Math.min(99, Math.floor((++done / total) * 100))),
    });
    sum.bytesBefore += r.bytesBefore;
    sum.bytesAfter += r.bytesAfter;
    sum.grainsKept += r.grainsKept;
    sum.grainsDropped += r.grainsDropped;
  }
  report(100);
  return sum;
}
