import type { FileHandle } from 'node:fs/promises';
import { readAt, writeAt } from '../block/file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_CANTREPAIR, VIX_E_FILE_NOT_FOUND } from '../errors/error-codes.js';
import { checkDisk, type CheckReport } from './check.js';
import type { Confinement } from './confinement.js';
import { readLinkFiles, saveLinkDescriptor, type LinkFiles } from './link-files.js';
import { withLinkWriterLock } from './link-lock.js';
import { removeStaleAsideFiles } from './replace-file.js';
import {
  decodeSparseHeader, FLAG_COMPRESSED, FLAG_REDUNDANT_GD, FLAG_ZEROED_GTE, gdEntryCount, gdSizeSectors, gtSizeSectors,
  SECTOR, type SparseHeader,
} from './sparse-header.js';

// The repair half of VixDiskLib_CheckRepair, for one link (the one named; its parents are not
// touched). It works on the raw structures, so it repairs files that opening refuses:
//
//  - hosted sparse extents: the grain directory and its redundant copy, each grain table and its
//    redundant copy are compared. An entry is kept from the primary copy when it points where a
//    grain can be (past the metadata, before the end of the file, within the capacity, not over a
//    table or another grain), else from the redundant copy when that one can; what neither copy
//    can give is dropped and reported as a lost grain (its sectors read from the parent, or as
//    zeros). The result is written to both copies; a table or directory whose location is unusable
//    is rebuilt at the end of the file (the header is switched to a rebuilt directory last). So
//    written data that is readable is never dropped: a grain whose entry reached only the
//    redundant table (a write cut short) is kept.
//  - the unclean-shutdown flag is cleared once the extent has been through all of the above.
//  - flat extent files shorter than their extent are extended (the missing part read as zeros).
//  - descriptor extent sizes that disagree with a sparse header where that is unambiguous: a
//    single-extent link takes its header's capacity (QEMU reads that one; an interrupted grow
//    leaves the header ahead); in a split link only the last extent, when its header is smaller.
//
// Unrepairable (VIX_E_DISK_CANTREPAIR, 16062): a header that cannot be decoded, a directory and
// redundant directory that both lie outside the file, a descriptor that cannot be read.
// streamOptimized extents are checked, not rewritten.

export interface LostGrain {
  /** The extent file. */
  file: string;
  /** Grain index within the extent. */
  grain: number;
  /** Byte offset of the grain in the disk. */
  offset: number;
  reason: string;
}

export interface RepairReport {
  /** What was changed, one line each; empty when nothing needed repair. */
  actions: string[];
  /** Grain entries dropped because no copy pointed where a grain can be. */
  lostGrains: LostGrain[];
  /** Problems found and left alone (ambiguous); the check below still lists them. */
  unrepaired: string[];
  /** checkDisk of the disk after the repair. */
  check: CheckReport;
}

export interface RepairOptions {
  allowOutsidePaths?: boolean;
}

export async function repairDisk(path: string, options: RepairOptions = {}): Promise<RepairReport> {
  const report = await withLinkWriterLock(path, options, () => repairLocked(path, options));
  // Checked once the writer lock is released: the check opens the chain as a reader.
  const check = await checkDisk(path, { allowOutsidePaths: options.allowOutsidePaths });
  return { ...report, check };
}

async function repairLocked(path: string, options: RepairOptions): Promise<Omit<RepairReport, 'check'>> {
  let lf: LinkFiles;
  try {
    lf = await readLinkFiles(path, { allowOutsidePaths: options.allowOutsidePaths });
  } catch (err) {
    const e = toVixError(err, path);
    if (e.code === VIX_E_FILE_NOT_FOUND) throw e;
    throw new VixError(VIX_E_DISK_CANTREPAIR, `${path}: the descriptor cannot be read: ${e.message}`, { cause: e });
  }
  const report: Omit<RepairReport, 'check'> = { actions: [], lostGrains: [], unrepaired: [] };
  for (const file of new Set([lf.path, ...lf.extents.flatMap((e) => (e.path ? [e.path] : []))])) {
    for (const left of await removeStaleAsideFiles(file)) report.actions.push(`${left}: removed (a partial copy of ${file} left by an interrupted rewrite)`);
  }
  const capacities = new Map<number, { capacitySectors: number; grainSizeSectors: number }>();
  let start = 0;
  for (let k = 0; k < lf.extents.length; k++) {
    const e = lf.extents[k]!;
    if (e.path && e.line.type === 'SPARSE') {
      capacities.set(k, await repairSparseFile(e.path, lf.confinement, start * SECTOR, report));
    } else if (e.path && (e.line.type === 'FLAT' || e.line.type === 'VMFS')) {
      await repairFlatFile(e.path, lf.confinement, (e.line.offsetSectors ?? 0) + e.line.sizeSectors, report);
    }
    start += e.line.sizeSectors;
  }
  // Descriptor extent sizes against the headers.
  if (lf.descriptor) {
    const lines = lf.descriptor.extents;
    let changed = false;
    for (const [k, h] of capacities) {
      const line = lines[k]!;
      const s = line.sizeSectors;
      const rounded = Math.ceil(s / Math.max(h.grainSizeSectors, 128)) * Math.max(h.grainSizeSectors, 128);
      const single = lines.length === 1;
      const fix = h.capacitySectors < s ? single || k === lines.length - 1 : single && h.capacitySectors > rounded;
      if (fix) {
        report.actions.push(`${lf.path}: extent ${k + 1} size set from ${s} to ${h.capacitySectors} sectors, the capacity its sparse header gives`);
        lines[k] = { ...line, sizeSectors: h.capacitySectors };
        changed = true;
      } else if (h.capacitySectors < s) {
        report.unrepaired.push(`${lf.path}: extent ${k + 1} holds ${h.capacitySectors} sectors but the descriptor gives it ${s}; shrinking a middle extent would move every later sector, so it is left alone`);
      }
    }
    if (changed) {
      lf.descriptor.extents = lines;
      await saveLinkDescriptor(lf, lf.descriptor);
    }
  }
  return report;
}

async function repairFlatFile(path: string, confinement: Confinement, endSectors: number, report: Omit<RepairReport, 'check'>): Promise<void> {
  const fh = await confinement.open(path, 'r+').catch((err) => { throw toVixError(err, path); });
  try {
    const { size } = await fh.stat();
    if (size < endSectors * SECTOR) {
      await fh.truncate(endSectors * SECTOR);
      await fh.datasync();
      report.actions.push(`${path}: flat extent file extended from ${size} to ${endSectors * SECTOR} bytes (the missing part reads as zeros, as before)`);
    }
  } finally {
    await fh.close();
  }
}

interface Region { start: number; end: number }

function overlaps(a: Region, b: Region): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Repair one hosted sparse extent file; returns its (repaired) header's capacity and grain size. */
async function repairSparseFile(file: string, confinement: Confinement, startByte: number, report: Omit<RepairReport, 'check'>): Promise<{ capacitySectors: number; grainSizeSectors: number }> {
  const fh = await confinement.open(file, 'r+').catch((err) => { throw toVixError(err, file); });
  try {
    return await repairSparse(fh, file, startByte, report);
  } finally {
    await fh.close();
  }
}

async function repairSparse(fh: FileHandle, file: string, startByte: number, report: Omit<RepairReport, 'check'>): Promise<{ capacitySectors: number; grainSizeSectors: number }> {
  const first = new Uint8Array(SECTOR);
  let size = (await fh.stat()).size;
  if (await readAt(fh, first, 0) < SECTOR) throw new VixError(VIX_E_DISK_CANTREPAIR, `${file}: too short for a sparse extent header`);
  let h: SparseHeader;
  try {
    h = decodeSparseHeader(first, file);
  } catch (err) {
    throw new VixError(VIX_E_DISK_CANTREPAIR, `${file}: the sparse header cannot be repaired: ${toVixError(err).message}`, { cause: err });
  }
  const result = { capacitySectors: h.capacitySectors, grainSizeSectors: h.grainSizeSectors };
  if (h.flags & FLAG_COMPRESSED) {
    return result; // streamOptimized: checked by checkDisk, never rewritten in place
  }
  const actions = report.actions;
  if (h.overheadSectors * SECTOR > size) {
    await fh.truncate(h.overheadSectors * SECTOR);
    actions.push(`${file}: file was shorter (${size} bytes) than its metadata; extended to ${h.overheadSectors * SECTOR} bytes`);
    size = h.overheadSectors * SECTOR;
  }
  const fileSectors = Math.floor(size / SECTOR);
  const n = gdEntryCount(h);
  const gdSectors = gdSizeSectors(h);
  const gtSectors = gtSizeSectors(h);
  const gtes = h.numGTEsPerGT;
  const g = h.grainSizeSectors;
  const zeroed = (h.flags & FLAG_ZEROED_GTE) !== 0;
  const descEnd = h.descriptorOffsetSectors > 0 && h.descriptorSizeSectors > 0 ? h.descriptorOffsetSectors + h.descriptorSizeSectors : 1;
  const fixed: Region[] = [{ start: 0, end: descEnd }];
  const dirFits = (off: number) => off >= 1 && off + gdSectors <= fileSectors && !fixed.some((r) => overlaps(r, { start: off, end: off + gdSectors }));
  const redundant = (h.flags & FLAG_REDUNDANT_GD) !== 0 && h.rgdOffsetSectors !== 0 && h.rgdOffsetSectors !== h.gdOffsetSectors;
  const gdOk = h.gdOffsetSectors > 0 && dirFits(h.gdOffsetSectors);
  const gdRegion: Region = { start: h.gdOffsetSectors, end: h.gdOffsetSectors + gdSectors };
  const rgdRegion: Region = { start: h.rgdOffsetSectors, end: h.rgdOffsetSectors + gdSectors };
  const rgdOk = redundant && dirFits(h.rgdOffsetSectors) && !(gdOk && overlaps(gdRegion, rgdRegion));
  if (!gdOk && !rgdOk) {
    throw new VixError(VIX_E_DISK_CANTREPAIR, `${file}: neither the grain directory (sector ${h.gdOffsetSectors}) nor a redundant copy lies inside the file`);
  }
  if (gdOk) fixed.push(gdRegion);
  if (rgdOk) fixed.push(rgdRegion);
  const readDir = async (off: number) => {
    const b = new Uint8Array(n * 4);
    await readAt(fh, b, off * SECTOR);
    return new Uint32Array(b.buffer, 0, n);
  };
  const gd = gdOk ? await readDir(h.gdOffsetSectors) : null;
  const rgd = rgdOk ? await readDir(h.rgdOffsetSectors) : null;

  // Table locations: inside the file, clear of header, descriptor and directories, not shared.
  const locs: Array<{ sector: number; i: number; copy: 'p' | 'r' }> = [];
  for (let i = 0; i < n; i++) {
    if (gd && gd[i]) locs.push({ sector: gd[i]!, i, copy: 'p' });
    if (rgd && rgd[i]) locs.push({ sector: rgd[i]!, i, copy: 'r' });
  }
  const pLoc = new Uint32Array(n);
  const rLoc = new Uint32Array(n);
  let badLocations = 0;
  const candidates = locs.filter((l) => {
    const r: Region = { start: l.sector, end: l.sector + gtSectors };
    const ok = l.sector >= 1 && r.end <= fileSectors && !fixed.some((f) => overlaps(f, r));
    if (!ok) badLocations++;
    return ok;
  }).sort((a, b) => a.sector - b.sector);
  // Tables sharing sectors: a primary wins over a redundant copy, else the first one keeps them.
  const accepted: Array<{ sector: number; i: number; copy: 'p' | 'r' }> = [];
  for (const c of candidates) {
    const last = accepted[accepted.length - 1];
    if (last && c.sector < last.sector + gtSectors) {
      badLocations++;
      if (last.copy === 'r' && c.copy === 'p') accepted[accepted.length - 1] = c;
      continue;
    }
    accepted.push(c);
  }
  for (const l of accepted) (l.copy === 'p' ? pLoc : rLoc)[l.i] = l.sector;
  const tableRegions: Region[] = accepted.map((l) => ({ start: l.sector, end: l.sector + gtSectors }));
  if (badLocations) actions.push(`${file}: ${badLocations} grain table ${badLocations === 1 ? 'entry points' : 'entries point'} outside the file or over other metadata; rebuilt from the other copy`);

  const readTable = async (sector: number) => {
    const b = new Uint8Array(gtes * 4);
    await readAt(fh, b, sector * SECTOR);
    return new Uint32Array(b.buffer, 0, gtes);
  };
  const metadata = [...fixed, ...tableRegions].sort((x, y) => x.start - y.start);
  const grainReason = (e: number, grain: number): string | null => {
    if (grain * g >= h.capacitySectors) return 'past capacity';
    if (e < h.overheadSectors) return `points to sector ${e}, inside the metadata`;
    if (e >= fileSectors) return `points to sector ${e}, past the end of the file (${fileSectors} sectors)`;
    if (clashes(metadata, { start: e, end: e + g })) return `points to sector ${e}, over a grain table`;
    return null;
  };

  // Merge each table pair.
  const merged: Array<Uint32Array | null> = new Array(n).fill(null);
  const primaryOld: Array<Uint32Array | null> = new Array(n).fill(null);
  const redundantOld: Array<Uint32Array | null> = new Array(n).fill(null);
  let fromRedundant = 0;
  let pastCapacity = 0;
  let redundantOnly = 0;
  const lostHere: Array<{ i: number; j: number; reason: string }> = [];
  for (let i = 0; i < n; i++) {
    const p = pLoc[i] ? await readTable(pLoc[i]!) : null;
    const r = rLoc[i] ? await readTable(rLoc[i]!) : null;
    primaryOld[i] = p;
    redundantOld[i] = r;
    if (!p && !r) {
      // The directory named a table neither copy can give: an empty one takes its place (QEMU
      // expects every table present); the grains it held cannot be known.
      if ((gd?.[i] ?? 0) !== 0 || (rgd?.[i] ?? 0) !== 0) merged[i] = new Uint32Array(gtes);
      continue;
    }
    const m = new Uint32Array(gtes);
    for (let j = 0; j < gtes; j++) {
      const grain = i * gtes + j;
      const pe = p?.[j] ?? 0;
      const re = r?.[j] ?? 0;
      const usable = (e: number) => e !== 0 && ((e === 1 && zeroed) || grainReason(e, grain) === null);
      if (usable(pe)) {
        m[j] = pe;
      } else if (usable(re)) {
        m[j] = re;
        fromRedundant++;
      } else {
        // Lost is what readers saw (the primary entry; the redundant one when the primary table
        // is gone). A bad entry only in the redundant copy is just overwritten.
        const e = p ? pe : re;
        if (e === 0) {
          if (re !== 0) redundantOnly++;
          continue;
        }
        const reason = grainReason(e, grain)!;
        if (reason === 'past capacity') pastCapacity++;
        else lostHere.push({ i, j, reason });
      }
    }
    merged[i] = m;
  }
  // Two entries sharing sectors: the first (in guest order) keeps them.
  const grains: Array<{ e: number; i: number; j: number }> = [];
  for (let i = 0; i < n; i++) {
    const m = merged[i];
    if (!m) continue;
    for (let j = 0; j < gtes; j++) if (m[j]! > 1 || (m[j] === 1 && !zeroed)) grains.push({ e: m[j]!, i, j });
  }
  grains.sort((a, b) => a.e - b.e || a.i - b.i || a.j - b.j);
  let reachedEnd = 0;
  let owner = '';
  for (const x of grains) {
    if (x.e < reachedEnd) {
      lostHere.push({ i: x.i, j: x.j, reason: `shares sector ${x.e} with ${owner}` });
      merged[x.i]![x.j] = 0;
      continue;
    }
    reachedEnd = x.e + g;
    owner = `grain ${x.i * gtes + x.j}`;
  }
  for (const l of lostHere) {
    const grain = l.i * gtes + l.j;
    report.lostGrains.push({ file, grain, offset: startByte + grain * g * SECTOR, reason: l.reason });
  }
  if (lostHere.length) actions.push(`${file}: ${lostHere.length} grain ${lostHere.length === 1 ? 'entry' : 'entries'} pointing where no grain can be dropped (data lost there; see lostGrains)`);
  if (fromRedundant) actions.push(`${file}: ${fromRedundant} grain ${fromRedundant === 1 ? 'entry' : 'entries'} restored from the redundant grain tables`);
  if (redundantOnly) actions.push(`${file}: ${redundantOnly} bad ${redundantOnly === 1 ? 'entry' : 'entries'} of the redundant grain tables replaced by the primary's`);
  if (pastCapacity) actions.push(`${file}: ${pastCapacity} grain ${pastCapacity === 1 ? 'entry' : 'entries'} past the extent's capacity cleared`);

  // Where every table goes: kept where its location is usable, else appended.
  let end = Math.ceil(size / SECTOR);
  const appended: Array<{ sector: number; bytes: Uint8Array }> = [];
  const allocate = (sectors: number) => {
    const s = end;
    end += sectors;
    return s;
  };
  const newGd = new Uint32Array(n);
  const newRgd = redundant ? new Uint32Array(n) : null;
  const inPlace: Array<{ sector: number; bytes: Uint8Array }> = [];
  let rebuiltTables = 0;
  let rewrittenTables = 0;
  for (let i = 0; i < n; i++) {
    const m = merged[i];
    if (!m) continue;
    const bytes = new Uint8Array(m.buffer);
    const place = (loc: number, old: Uint32Array | null): number => {
      if (loc) {
        if (!old || !sameEntries(old, m)) {
          inPlace.push({ sector: loc, bytes });
          rewrittenTables++;
        }
        return loc;
      }
      const s = allocate(gtSectors);
      appended.push({ sector: s, bytes });
      rebuiltTables++;
      return s;
    };
    newGd[i] = place(pLoc[i]!, primaryOld[i]!);
    if (newRgd) newRgd[i] = place(rLoc[i]!, redundantOld[i]!);
  }
  if (rebuiltTables) actions.push(`${file}: ${rebuiltTables} grain ${rebuiltTables === 1 ? 'table' : 'tables'} rebuilt at the end of the file`);
  if (rewrittenTables) actions.push(`${file}: ${rewrittenTables} grain ${rewrittenTables === 1 ? 'table' : 'tables'} rewritten so the primary and redundant copies agree`);

  const newHeader: SparseHeader = { ...h };
  const dirBytes = (d: Uint32Array) => {
    const b = new Uint8Array(gdSectors * SECTOR);
    b.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    return b;
  };
  const dirWrites: Array<{ sector: number; bytes: Uint8Array }> = [];
  if (gdOk && sameEntries(gd!, newGd)) {
    // unchanged
  } else if (gdOk) {
    dirWrites.push({ sector: h.gdOffsetSectors, bytes: new Uint8Array(newGd.buffer) });
    actions.push(`${file}: grain directory entries updated`);
  } else {
    newHeader.gdOffsetSectors = allocate(gdSectors);
    appended.push({ sector: newHeader.gdOffsetSectors, bytes: dirBytes(newGd) });
    actions.push(`${file}: grain directory rebuilt at sector ${newHeader.gdOffsetSectors} from its redundant copy`);
  }
  if (newRgd) {
    if (rgdOk && sameEntries(rgd!, newRgd)) {
      // unchanged
    } else if (rgdOk) {
      dirWrites.push({ sector: h.rgdOffsetSectors, bytes: new Uint8Array(newRgd.buffer) });
      actions.push(`${file}: redundant grain directory entries updated`);
    } else {
      newHeader.rgdOffsetSectors = allocate(gdSectors);
      appended.push({ sector: newHeader.rgdOffsetSectors, bytes: dirBytes(newRgd) });
      actions.push(`${file}: redundant grain directory rebuilt at sector ${newHeader.rgdOffsetSectors}`);
    }
  }
  // 1. New structures at the end; 2. tables in place; 3. directory entries; 4. header. Synced between.
  if (appended.length) {
    if (end >= 2 ** 32) throw new VixError(VIX_E_DISK_CANTREPAIR, `${file}: rebuilt metadata would pass the 2 TB limit of sparse extents`);
    await fh.truncate(end * SECTOR);
    for (const a of appended) await writeAt(fh, a.bytes, a.sector * SECTOR);
    await fh.datasync();
  }
  if (inPlace.length) {
    for (const w of inPlace) await writeAt(fh, w.bytes, w.sector * SECTOR);
    await fh.datasync();
  }
  if (dirWrites.length) {
    for (const w of dirWrites) await writeAt(fh, w.bytes, w.sector * SECTOR);
    await fh.datasync();
  }
  const headerChanged = newHeader.gdOffsetSectors !== h.gdOffsetSectors || newHeader.rgdOffsetSectors !== h.rgdOffsetSectors;
  if (headerChanged || h.uncleanShutdown) {
    const view = new DataView(first.buffer);
    view.setBigUint64(48, BigInt(newHeader.rgdOffsetSectors), true);
    view.setBigUint64(56, BigInt(newHeader.gdOffsetSectors), true);
    first[72] = 0;
    await writeAt(fh, first, 0);
    await fh.datasync();
    if (h.uncleanShutdown) actions.push(`${file}: unclean-shutdown flag cleared`);
  }
  return result;
}

function sameEntries(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `r` overlaps one of `sorted` (non-overlapping regions sorted by start). */
function clashes(sorted: Region[], r: Region): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.start < r.end) lo = mid + 1;
    else hi = mid;
  }
  // sorted[lo - 1] is the last region starting before r ends; being disjoint and sorted, the
  // regions end in order too, so only it can reach past r's start.
  return lo > 0 && sorted[lo - 1]!.end > r.start;
}
