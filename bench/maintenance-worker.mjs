#!/usr/bin/env node
// Our side of bench/maintenance.mjs, one fresh process per run, and the builder of its disk:
//   node bench/maintenance-worker.mjs shrink DISK        shrinkDisk(DISK)
//   node bench/maintenance-worker.mjs defrag DISK        defragmentDisk(DISK)
//   node bench/maintenance-worker.mjs build RAW OUT SEED
// build: a monolithicSparse OUT with every 64 KiB grain allocated, zero grains too (RAW written
// whole, in 1 MiB requests, all-zero ones included), then half of the grains (chosen from SEED,
// exactly half) overwritten with zeros: they stay allocated and hold zeros.
// Prints one JSON line (timings in ms and the engine's result).
import { open } from 'node:fs/promises';
import { createDiskDevice } from '../dist/src/vmdk/create.js';
import { defragmentDisk } from '../dist/src/vmdk/defragment.js';
import { shrinkDisk } from '../dist/src/vmdk/shrink.js';

const [mode, ...args] = process.argv.slice(2);
const GRAIN = 64 << 10;
const REQUEST = 1 << 20;

async function build(raw, out, seed) {
  const src = await open(raw, 'r');
  const { size } = await src.stat();
  const disk = await createDiskDevice(out, { capacity: size, type: 'monolithicSparse', cache: 'unsafe' });
  let zeroed = 0;
  try {
    const buf = new Uint8Array(REQUEST);
    for (let off = 0; off < size; off += REQUEST) {
      const view = buf.subarray(0, Math.min(REQUEST, size - off));
      const { bytesRead } = await src.read(view, 0, view.length, off);
      view.fill(0, bytesRead);
      await disk.write(off, view); // zeros too: every grain allocated
    }
    // Exactly half of the grains, from a seeded shuffle, overwritten with zeros.
    const grains = Math.floor(size / GRAIN);
    const order = new Uint32Array(grains).map((_, i) => i);
    let state = (seed * 2654435761 + 0x51ed27) >>> 0 || 1;
    const next = () => { // xorshift32
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      return state;
    };
    for (let i = grains - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const chosen = order.subarray(0, grains >> 1).sort();
    const zeros = new Uint8Array(GRAIN);
    for (const g of chosen) {
      await disk.write(g * GRAIN, zeros);
      zeroed++;
    }
  } finally {
    await disk.close();
    await src.close();
  }
  return { grainsZeroed: zeroed };
}

const t0 = performance.now();
let result;
if (mode === 'shrink' && args[0]) result = await shrinkDisk(args[0]);
else if (mode === 'defrag' && args[0]) result = await defragmentDisk(args[0]);
else if (mode === 'build' && args[1]) result = await build(args[0], args[1], Number(args[2] ?? '1'));
else {
  console.error('usage: maintenance-worker.mjs shrink DISK | defrag DISK | build RAW OUT [SEED]');
  process.exit(2);
}
const cpu = process.cpuUsage();
console.log(JSON.stringify({
  mode, ms: performance.now() - t0, sinceProcessStartMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, ...result,
}));
