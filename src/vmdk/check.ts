import { stat } from 'node:fs/promises';
import { toVixError } from '../errors/vix-error.js';
import { VIX_E_DISK_NEEDSREPAIR } from '../errors/error-codes.js';
import { CowdExtent } from './cowd-extent.js';
import { VmdkDisk } from './disk.js';
import { reportOverlaps } from './extent-regions.js';
import { staleAsideFiles } from './replace-file.js';
import { FlatExtent } from './flat-extent.js';
import { SeSparseExtent } from './sesparse-extent.js';
import { SparseExtent } from './sparse-extent.js';
import { FLAG_ZEROED_GTE, gdSizeSectors, gtSizeSectors, SECTOR } from './sparse-header.js';

// Consistency check of a disk chain: everything the engine can name. Opening already refuses what
// makes a disk unusable (bad headers, tables outside the file, CID mismatches); the check goes on
// to read every table and find what opening does not look at.

export interface CheckProblem {
  code: number;
  message: string;
}

export interface CheckReport {
  ok: boolean;
  problems: CheckProblem[];
  warnings: string[];
}

/** Problems past this many are summarised, so a badly damaged file still gives a short report. */
const MAX_PROBLEMS = 100;

export async function checkDisk(path: string, options: { allowOutsidePaths?: boolean } = {}): Promise<CheckReport> {
  const report: CheckReport = { ok: true, problems: [], warnings: [] };
  let disk: VmdkDisk;
  try {
    disk = await VmdkDisk.open(path, { readOnly: true, allowOutsidePaths: options.allowOutsidePaths });
  } catch (err) {
    const e = toVixError(err, path);
    return { ok: false, problems: [{ code: e.code, message: e.message }], warnings: [] };
  }
  const problem = (message: string) => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push({ code: VIX_E_DISK_NEEDSREPAIR, message });
    else if (report.problems.length === MAX_PROBLEMS) report.problems.push({ code: VIX_E_DISK_NEEDSREPAIR, message: 'more problems were found; not listed' });
  };
  try {
    for (const link of disk.links) {
      for (const file of new Set([link.path, ...link.extents.flatMap((e) => (e.path ? [e.path] : []))])) {
        for (const left of await staleAsideFiles(file)) {
          report.warnings.push(`${left}: a partial copy of ${file} left by an interrupted rewrite (its process no longer runs); check --repair removes it`);
        }
      }
      for (const ext of link.extents) {
        const where = ext.path ?? link.path;
        if (ext.io instanceof SparseExtent) {
          await checkSparse(ext.io, where, problem, report.warnings);
        } else if (ext.io instanceof CowdExtent || ext.io instanceof SeSparseExtent) {
          await ext.io.check(problem, (w) => report.warnings.push(w));
        } else if (ext.io instanceof FlatExtent && ext.path) {
          const need = ((ext.line.offsetSectors ?? 0) + ext.line.sizeSectors) * SECTOR;
          const { size } = await stat(ext.path);
          if (size < need) problem(`${where}: flat extent file is ${size} bytes, shorter than the ${need} bytes its extent needs`);
        }
      }
    }
  } catch (err) {
    const e = toVixError(err, path);
    report.problems.push({ code: e.code, message: e.message });
  } finally {
    await disk.close();
  }
  report.ok = report.problems.length === 0;
  return report;
}

async function checkSparse(ext: SparseExtent, where: string, problem: (m: string) => void, warnings: string[]): Promise<void> {
  const h = ext.header;
  if (h.uncleanShutdown) warnings.push(`${where}: the unclean-shutdown flag is set (the disk was not closed cleanly); its tables are checked below`);
  if (ext.layout.gdSource === 'scan') warnings.push(`${where}: stream has no usable footer; its grains were found by scanning`);
  const grainSectors = h.grainSizeSectors;
  const gtSectors = gtSizeSectors(h);
  // Every region of the file that something points to: [start, end) in sectors, and who owns it.
  const regions: Array<{ start: number; end: number; what: string }> = [];
  if (ext.layout.gdSource !== 'scan') {
    regions.push({ start: ext.layout.gdOffsetSectors, end: ext.layout.gdOffsetSectors + gdSizeSectors(h), what: 'grain directory' });
    if (ext.rgd) regions.push({ start: h.rgdOffsetSectors, end: h.rgdOffsetSectors + gdSizeSectors(h), what: 'redundant grain directory' });
  }
  for (let i = 0; i < ext.gd.length; i++) {
    const gde = ext.gd[i]!;
    const rge = ext.rgd?.[i] ?? 0;
    if (ext.rgd && (gde === 0) !== (rge === 0)) {
      problem(`${where}: grain directory entry ${i} is ${gde} but its redundant copy is ${rge}`);
    }
    if (gde === 0) continue;
    let table: Uint32Array | null;
    try {
      table = await ext.table(i);
    } catch (err) {
      problem(toVixError(err).message);
      continue;
    }
    if (!table) continue;
    if (ext.layout.gdSource !== 'scan') regions.push({ start: gde, end: gde + gtSectors, what: `grain table ${i}` });
    if (ext.rgd && rge !== 0) {
      regions.push({ start: rge, end: rge + gtSectors, what: `redundant grain table ${i}` });
      const rt = await ext.redundantTable(i);
      if (rt) {
        const d = compareCopies(table, rt);
        // A copy that is only behind (empty where the other has an entry) is what a process killed
        // between writing the two copies leaves: the primary is whole and readers use it.
        if (d.conflicting) problem(`${where}: grain table ${i} and its redundant copy differ in ${d.conflicting} entries`);
        else if (d.lagging) warnings.push(`${where}: grain table ${i} and its redundant copy differ in ${d.lagging} entries one copy has not got yet (an interrupted write); check --repair brings them in step`);
      }
    }
    for (let j = 0; j < table.length; j++) {
      const e = table[j]!;
      if (e === 0 || (e === 1 && (h.flags & FLAG_ZEROED_GTE))) continue;
      const grain = i * h.numGTEsPerGT + j;
      if (grain * grainSectors >= h.capacitySectors) {
        problem(`${where}: grain table ${i} has an entry for grain ${grain}, past the extent's capacity`);
        continue;
      }
      let sectors = grainSectors;
      if (ext.isCompressed) {
        const r = await ext.recordSectors(grain, e);
        if (typeof r === 'string') {
          problem(`${where}: ${r}`);
          continue;
        }
        sectors = r;
        // Compressed grains are inflated too: damaged deflate data is found here, not by a later read.
        const grainBytes = grainSectors * SECTOR;
        const inExtent = Math.min(grainBytes, ext.sizeBytes - grain * grainBytes);
        if (inExtent > 0) {
          try {
            await ext.read(grain * grainBytes, new Uint8Array(inExtent));
          } catch (err) {
            problem(toVixError(err).message);
          }
        }
      }
      regions.push({ start: e, end: e + sectors, what: `grain ${grain}` });
    }
  }
  reportOverlaps(regions, where, problem);
}

/** Entries where the copies disagree: `lagging` when one side is empty, `conflicting` otherwise. */
function compareCopies(a: Uint32Array, b: Uint32Array): { lagging: number; conflicting: number } {
  let lagging = 0;
  let conflicting = 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x === y) continue;
    if (x === 0 || y === 0) lagging++;
    else conflicting++;
  }
  return { lagging, conflicting };
}
