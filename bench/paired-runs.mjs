// Timing one command, and running ours and the peer alternately on the same data.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// NODE_EXTRA_CA_CERTS makes every Node process parse that CA bundle as it starts (Node 20 reads it
// eagerly: 40-70 ms per start on the 2-CPU test machine, whose sandbox sets it to the whole system
// store for all processes): a cost of the environment that our timed Node processes would pay and
// the C peers do not. Nothing timed uses the system store (the NBD TLS runs trust the bench's own
// CA), so every benchmark (they all import this module) leaves it out of the environment of what
// it starts, unless BENCH_KEEP_NODE_ENV=1.
if (process.env.NODE_EXTRA_CA_CERTS && process.env.BENCH_KEEP_NODE_ENV !== '1') {
  process.stderr.write('bench: NODE_EXTRA_CA_CERTS left out of the timed processes\' environment (BENCH_KEEP_NODE_ENV=1 keeps it)\n');
  delete process.env.NODE_EXTRA_CA_CERTS;
}

/** GNU time gives each child's CPU seconds and peak memory; without it only wall time is measured. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function spawnCollect(cmd, args, { captureStdout = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout?.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({
      code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(),
    }));
  });
}

function failure(cmd, args, r) {
  const shown = [cmd, ...args].map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a));
  const argsShown = shown.length > 12 ? [...shown.slice(0, 12), `... (${shown.length - 12} more)`] : shown;
  return new Error(`${argsShown.join(' ')} failed (${r.signal ?? `exit ${r.code}`}): ${r.stderr.trim().slice(-2000)}`);
}

/** Run a command (untimed) and fail loudly if it fails. Returns its stdout. */
export async function runChecked(cmd, args) {
  const r = await spawnCollect(cmd, args, { captureStdout: true });
  if (r.code !== 0) throw failure(cmd, args, r);
  return r.stdout;
}

let timeFileCounter = 0;

/**
 * Run a command and time it: wall seconds from spawn to exit (process start-up included), and,
 * with GNU time, user + system CPU seconds of the process (all its threads) and peak RSS.
 */
export async function timeProcess(cmd, args, { captureStdout = false } = {}) {
  const timeFile = join(tmpdir(), `vixdisk-bench-time-${process.pid}-${++timeFileCounter}`);
  const [c, a] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = await spawnCollect(c, a, { captureStdout });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let cpuSeconds = null;
  let maxRssKiB = null;
  if (GNU_TIME) {
    const text = await readFile(timeFile, 'utf8').catch(() => '');
    await rm(timeFile, { force: true });
    const last = text.trim().split('\n').pop() ?? '';
    const m = /^([\d.]+) ([\d.]+) (\d+)$/.exec(last);
    if (m) {
      cpuSeconds = Number(m[1]) + Number(m[2]);
      maxRssKiB = Number(m[3]);
    }
  }
  if (r.code !== 0) throw failure(cmd, args, r);
  return { seconds, cpuSeconds, maxRssKiB, stdout: r.stdout };
}

/** Flush dirty pages so the previous run's writeback does not land on the next run. */
export function syncDisks() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

export function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Run each of `sides` (name -> () => sample) `runs` times, taking turns, in the opposite order on
 * every other run (so no side always runs after another), with `sync` before every run. A sample
 * is { seconds, cpuSeconds?, maxRssKiB?, ... }; the result maps each side to its samples.
 */
export async function runSides({ name, runs, sides, log = (s) => process.stderr.write(`${s}\n`) }) {
  const names = Object.keys(sides);
  const width = Math.max(...names.map((n) => n.length));
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? names : [...names].reverse();
    for (const side of order) {
      syncDisks();
      const s = await sides[side](i);
      samples[side].push(s);
      log(`  ${name} run ${i + 1}/${runs} ${side.padEnd(width)} ${s.seconds.toFixed(3)} s` +
        (s.cpuSeconds != null ? `  (cpu ${s.cpuSeconds.toFixed(2)} s)` : '') +
        (s.maxRssKiB ? `  (max RSS ${(s.maxRssKiB / 1024).toFixed(0)} MiB)` : ''));
    }
  }
  syncDisks();
  return samples;
}

/** `runSides` for the usual pair: ours and one peer. */
export function runPaired({ name, runs, ours, peer, log }) {
  return runSides({ name, runs, sides: { ours, peer }, log });
}
