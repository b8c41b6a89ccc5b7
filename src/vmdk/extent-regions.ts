// Helpers shared by the sparse extent kinds for laying out file I/O and checking file regions.

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
