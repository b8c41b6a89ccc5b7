import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import { formatSize } from './size.js';

// A progress bar on stderr, shown by default only when stderr is a terminal: piped or redirected
// output (and tests) never see control characters. cli-progress is loaded only then (it costs
// ~13 ms to load). Asked for off a terminal (-p, as qemu-img's), progress is plain lines, one per
// whole percent; quiet (-q) shows none.

export interface Progress {
  /** Report `done` of `total` bytes. */
  update(done: number, total: number): void;
  /** Remove the bar (its last state stays on screen). */
  stop(): void;
}

const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;

const SILENT: Progress = { update() {}, stop() {} };
const SILENT_PERCENT = { update(_percent: number) {}, stop() {} };

/** auto: on a terminal only; always: -p; never: -q. */
export type ProgressShow = 'auto' | 'always' | 'never';

/** What -p (--progress) and -q (--quiet) ask for; quiet wins, as in qemu-img. */
export function progressShow(opts: { progress?: boolean; quiet?: boolean }): ProgressShow {
  return opts.quiet ? 'never' : opts.progress ? 'always' : 'auto';
}

/** `label: N%` lines (with `(done of total)` for bytes), one each time a whole percent is passed. */
function percentLines(label: string, stream: NodeJS.WritableStream, bytes = true, rate: (done: number) => string = () => ''): Progress {
  let shown = -1;
  return {
    update(done, total) {
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      if (percent <= shown) return;
      shown = percent;
      stream.write(`${label}: ${percent}%${bytes ? ` (${formatSize(done)} of ${formatSize(total)}${rate(done)})` : ''}\n`);
    },
    stop() {},
  };
}

export interface ProgressOptions {
  /** Also show the rate (bytes per second since the first update). */
  rate?: boolean;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr, show: ProgressShow = 'auto', options: ProgressOptions = {}): Progress {
  if (show === 'never') return SILENT;
  let since = 0;
  const rate = (done: number): string => {
    if (!options.rate) return '';
    const now = Date.now();
    since ||= now;
    const seconds = (now - since) / 1000;
    return seconds > 0 ? `, ${formatSize(done / seconds)}/s` : '';
  };
  if (!stream.isTTY) return show === 'always' ? percentLines(label, stream, true, rate) : SILENT;
  const bar = new (loadCliProgress().SingleBar)({
    stream,
    format: `${label} [{bar}] {percentage}% | {doneText} of {totalText}{rateText} | ETA {eta_formatted}`,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    etaBuffer: 50,
    fps: 10,
  });
  let started = false;
  return {
    update(done, total) {
      const payload = { doneText: formatSize(done), totalText: formatSize(total), rateText: rate(done) };
      if (!started) {
        started = true;
        bar.start(total, done, payload);
      } else {
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** A percentage bar for work measured in percent (grow, shrink, defragment); silent off a terminal. */
export function createPercentProgress(label: string, stream: NodeJS.WriteStream = process.stderr, show: ProgressShow = 'auto'): { update(percent: number): void; stop(): void } {
  if (show === 'never') return SILENT_PERCENT;
  if (!stream.isTTY) {
    if (show === 'auto') return SILENT_PERCENT;
    const lines = percentLines(label, stream, false);
    return { update: (percent) => lines.update(percent, 100), stop() {} };
  }
  const bar = new (loadCliProgress().SingleBar)({
    stream, format: `${label} [{bar}] {percentage}% | ETA {eta_formatted}`, barCompleteChar: '#', barIncompleteChar: '-', hideCursor: true, fps: 10,
  });
  let started = false;
  return {
    update(percent) {
      if (!started) { started = true; bar.start(100, percent); } else bar.update(percent);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
