// A table for people: a header row and columns padded to their widest cell, two spaces apart.
// Numbers are right-aligned, text left-aligned; the last column is not padded.

export function formatTable(headers: string[], rows: Array<Array<string | number>>): string[] {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const numeric = headers.map((_h, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const widths = headers.map((_h, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((cell, c) => {
    if (c === r.length - 1 && !numeric[c]) return cell;
    return numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!);
  }).join('  ').trimEnd());
}
