// One benchmark's result (medians of ours and the peer) and the table they are printed in.
import { median } from './paired-runs.mjs';

/**
 * Reduce paired samples to a result row. `bytes` is what MB/s is computed over (MB = 10^6 bytes);
 * `target` is the largest ours/peer time ratio that counts as meeting the goal.
 */
export function resultRow({ id, name, peerName, bytes, samples, target }) {
  const side = (list) => ({
    seconds: median(list.map((s) => s.seconds)),
    cpuSeconds: median(list.map((s) => s.cpuSeconds)),
    outputBytes: median(list.map((s) => s.outputBytes)),
    all: list.map((s) => s.seconds),
  });
  const ours = side(samples.ours);
  const peer = side(samples.peer);
  const ratio = ours.seconds / peer.seconds;
  return { id, name, peerName, bytes, ours, peer, ratio, target, met: target == null || ratio <= target, samples };
}

const fmt = (v, digits) => (v === null || v === undefined ? '-' : v.toFixed(digits));

export function formatTable(rows) {
  const header = ['bench', 'ours s', 'peer s', 'ours MB/s', 'peer MB/s', 'ours/peer', 'target', 'ours cpu s', 'peer cpu s', 'peer'];
  const body = rows.map((r) => [
    `(${r.id}) ${r.name}`,
    fmt(r.ours.seconds, 3),
    fmt(r.peer.seconds, 3),
    fmt(r.bytes / 1e6 / r.ours.seconds, 1),
    fmt(r.bytes / 1e6 / r.peer.seconds, 1),
    fmt(r.ratio, 2),
    r.target == null ? '-' : `<= ${r.target.toFixed(2)} ${r.met ? 'met' : 'MISSED'}`,
    fmt(r.ours.cpuSeconds, 2),
    fmt(r.peer.cpuSeconds, 2),
    r.peerName,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Every run's time, for the record under the table. */
export function formatRuns(rows) {
  return rows.map((r) => {
    const extra = [];
    if (r.ours.outputBytes != null) extra.push(`output ours ${(r.ours.outputBytes / 1e6).toFixed(1)} MB, peer ${(r.peer.outputBytes / 1e6).toFixed(1)} MB`);
    if (r.detail) extra.push(r.detail);
    return `(${r.id}) runs ours [${r.ours.all.map((s) => s.toFixed(3)).join(', ')}] peer [${r.peer.all.map((s) => s.toFixed(3)).join(', ')}]` +
      (extra.length ? `\n    ${extra.join('\n    ')}` : '');
  }).join('\n');
}

export function printResults(title, config, rows) {
  const out = [
    '',
    `${title}: ${config.sizeText} image (make-image.mjs seed ${config.seed}), ${config.runs} runs each, medians; ` +
      'wall time of the whole process; MB = 10^6 bytes of virtual disk (or of data read, for random reads)',
    formatTable(rows),
    '',
    formatRuns(rows),
    '',
  ];
  process.stdout.write(out.join('\n'));
}
