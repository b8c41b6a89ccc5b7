import type { FileHandle } from 'node:fs/promises';
import { readAt, readvAt } from '../block/file-io.js';
import type { AbsentRange, ExtentRun } from './extent.js';

// Helpers shared by the sparse extent kinds (hosted sparse, vmfsSparse, seSparse) for laying out
// file I/O and checking file regions.

/** Bytes [bufOff, bufOff + length) of a caller's buffer that live at fileOff in the extent file. */
export interface FileRun {
  bufOff: number;
  fileOff: number;
  length: number;
}

/** Append a piece to `runs`, joined to the last run when it follows it both in the buffer and in the file. */
export function addFileRun(runs: FileRun[], bufOff: number, fileOff: number, length: number): void {
  const last = runs[runs.length - 1];
  if (last && last.bufOff + last.length === bufOff && last.fileOff + last.length === fileOff) last.length += length;
  else runs.push({ bufOff, fileOff, length });
}

/** Append an absent range (relative to the read), joined to the last one when adjacent. */
export function addAbsent(absent: AbsentRange[], offset: number, length: number): void {
  const last = absent[absent.length - 1];
  if (last && last.offset + last.length === offset) last.length += length;
  else absent.push({ offset, length });
}

/** Append a status run, joined to the last one when it has the same state. */
export function addStatus(runs: ExtentRun[], offset: number, length: number, state: ExtentRun['state']): void {
  const last = runs[runs.length - 1];
  if (last && last.state === state) last.length += length;
  else runs.push({ offset, length, state });
}

/** Buffers one vectored read takes at most (Linux's IOV_MAX is 1024). */
const MAX_IOVECS = 256;

/**
 * Read every run into `buffer`, all at once. Runs that follow each other in the file (grains
 * allocated one after another, with holes between them in the disk) go as one vectored read.
 */
export async function readRuns(fh: FileHandle, buffer: Uint8Array, runs: FileRun[]): Promise<void> {
  const reads: Array<Promise<unknown>> = [];
  for (let i = 0; i < runs.length;) {
    const first = runs[i]!;
    let end = first.fileOff + first.length;
    let j = i + 1;
    while (j < runs.length && j - i < MAX_IOVECS && runs[j]!.fileOff === end) end += runs[j++]!.length;
    if (j === i + 1) {
      reads.push(readAt(fh, buffer.subarray(first.bufOff, first.bufOff + first.length), first.fileOff));
    } else {
      reads.push(readvAt(fh, runs.slice(i, j).map((r) => buffer.subarray(r.bufOff, r.bufOff + r.length)), first.fileOff));
    }
    i = j;
  }
  await Promise.all(reads);
}

/** Gather writes that are adjacent in the file into one write when their bytes are adjacent too. */
export function coalesceWrites(writes: Array<{ fileOff: number; bytes: Uint8Array }>): Array<{ fileOff: number; bytes: Uint8Array }> {
  const out: Array<{ fileOff: number; bytes: Uint8Array }> = [];
  for (const w of writes) {
    const last = out[out.length - 1];
    if (last && last.fileOff + last.bytes.length === w.fileOff && last.bytes.buffer === w.bytes.buffer &&
        last.bytes.byteOffset + last.bytes.length === w.bytes.byteOffset) {
      last.bytes = new Uint8Array(w.bytes.buffer, last.bytes.byteOffset, last.bytes.length + w.bytes.length);
    } else {
      out.push({ ...w });
    }
  }
  return out;
}

/** Sort regions ([start, end) in sectors) and report every one that starts inside an earlier one. */
export function reportOverlaps(regions: Array<{ start: number; end: number; what: string }>, where: string, problem: (m: string) => void): void {
  regions.sort((a, b) => a.start - b.start || a.end - b.end);
  let widest = regions[0];
  for (let k = 1; k < regions.length; k++) {
    const b = regions[k]!;
    if (widest && b.start < widest.end) {
      problem(`${where}: ${b.what} (sectors ${b.start}..${b.end}) overlaps ${widest.what} (sectors ${widest.start}..${widest.end})`);
    }
    if (!widest || b.end > widest.end) widest = b;
  }
}
