#!/usr/bin/env node
// (d) Random reads from the monolithicSparse disk (made by qemu-img from the raw source):
// BENCH_READS requests (2000 by default) of 4 KiB .. 1 MiB (powers of two) at 4 KiB-aligned offsets,
// from a fixed seed. Ours: VmdkDisk.read in a fresh node process (bench/read-worker.mjs), timing
// the request loop only. Peer: one qemu-io run with a `-c 'read OFF LEN'` per request, timed whole,
// minus the median time of qemu-io runs with no command (start-up, open and close); CPU likewise.
//   node bench/random-read.mjs
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchConfig, benchDir, sourceImage, sparseSourceImage } from './bench-data.mjs';
import { median, runChecked, runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';

const worker = join(benchDir, 'read-worker.mjs');
const MIN_READ = 4096;
const SIZE_STEPS = 9; // 4 KiB * 2^0 .. 2^8 = 1 MiB
const EMPTY_RUNS = 5;

/** The request list: [offset, length] pairs, the same for a given seed, count and capacity. */
export function readRequests(capacity, count, seed) {
  let state = (seed * 2654435761 + 0x9e3779b9) >>> 0 || 1;
  const next = () => { // xorshift32
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const out = [];
  for (let i = 0; i < count; i++) {
    const length = MIN_READ * 2 ** (next() % SIZE_STEPS);
    const slots = Math.floor((capacity - length) / MIN_READ) + 1;
    // Two draws make offsets uniform over disks larger than 2^32 slots too.
    const slot = (next() * 2 ** 20 + (next() >>> 12)) % slots;
    out.push([slot * MIN_READ, length]);
  }
  return out;
}

export async function runRandomReadBenchmark(config) {
  const count = Number(process.env.BENCH_READS || '2000');
  const raw = await sourceImage(config);
  const img = await sparseSourceImage(config);
  const requests = readRequests(config.size, count, config.seed);
  const totalBytes = requests.reduce((n, [, len]) => n + len, 0);
  await mkdir(config.dataDir, { recursive: true });
  const listPath = join(config.dataDir, `reads-${config.sizeText}-seed${config.seed}-${count}.txt`);
  await writeFile(listPath, requests.map(([o, l]) => `${o} ${l}`).join('\n') + '\n');
  process.stderr.write(`bench (d) random reads: ${count} requests, ${(totalBytes / 1e6).toFixed(1)} MB, from ${img}\n`);

  if (process.env.BENCH_VERIFY !== '0') {
    // Untimed: our reads return the source's bytes.
    await runChecked(process.execPath, [worker, img, listPath, '--verify', raw]);
  }
  const qemuIo = (commands) => ['-f', 'vmdk', '-r', ...commands.flatMap((c) => ['-c', c]), img];
  const empty = [];
  for (let i = 0; i < EMPTY_RUNS; i++) empty.push(await timeProcess('qemu-io', qemuIo([])));
  const emptySeconds = median(empty.map((e) => e.seconds));
  const emptyCpu = median(empty.map((e) => e.cpuSeconds));
  const peerArgs = qemuIo(requests.map(([o, l]) => `read ${o} ${l}`));

  const ours = async () => {
    const r = await timeProcess(process.execPath, [worker, img, listPath], { captureStdout: true });
    const detail = JSON.parse(r.stdout.trim().split('\n').pop());
    return { seconds: detail.readMs / 1000, cpuSeconds: detail.readCpuMs / 1000, detail, wholeSeconds: r.seconds };
  };
  const peer = async () => {
    const r = await timeProcess('qemu-io', peerArgs);
    return {
      seconds: r.seconds - emptySeconds,
      cpuSeconds: r.cpuSeconds != null && emptyCpu != null ? r.cpuSeconds - emptyCpu : null,
      wholeSeconds: r.seconds,
    };
  };
  const samples = await runPaired({ name: '(d)', runs: config.runs, ours, peer });
  const row = resultRow({
    id: 'd', name: `random reads x${count}`, peerName: 'qemu-io read', bytes: totalBytes, samples, target: 1.0,
  });
  const wholeOurs = median(samples.ours.map((s) => s.wholeSeconds));
  const wholePeer = median(samples.peer.map((s) => s.wholeSeconds));
  row.detail = `request loop only: ${(totalBytes / 1e6).toFixed(1)} MB in ${count} requests; ` +
    `qemu-io with no command ${emptySeconds.toFixed(3)} s (subtracted); whole processes: ours ${wholeOurs.toFixed(3)} s, qemu-io ${wholePeer.toFixed(3)} s; ` +
    'cpu: ours = the request loop (process.cpuUsage), qemu-io = the run minus the median no-command run';
  return row;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = benchConfig();
  const row = await runRandomReadBenchmark(config);
  printResults('random-read', config, [row]);
}
