#!/usr/bin/env node
// Builds the chain for bench/chain.mjs, once (the caller caches the folder):
//   node bench/chain-worker.mjs build DIR RAW SEED
// In DIR: base.vmdk (type vmfs: descriptor + base-flat.vmdk) holding RAW; delta1.vmdk, a vmfsSparse
// child of it (COWD extent delta1-delta.vmdk, 1-sector grains as ESXi writes them) with 10% of the
// disk written; top.vmdk, a seSparse child of delta1 (top-sesparse.vmdk) with another 10% written.
// The writes are pieces of 64 KiB .. 1 MiB (powers of two) at 4 KiB-aligned offsets, deterministic
// from SEED; each piece is random data (50%), text-like data (30%) or zeros (20%, zeros that hide
// the parent's data). Prints one JSON line: what was written to each delta.
// The timed side of the benchmark is bench/convert-worker.mjs (what `vixdisk convert` does).
import { join } from 'node:path';
import { convertDisk } from '../dist/src/cli/convert.js';
import { createChild } from '../dist/src/vmdk/create.js';
import { VmdkDisk } from '../dist/src/vmdk/disk.js';

const [mode, dir, raw, seedText = '1'] = process.argv.slice(2);
if (mode !== 'build' || !dir || !raw) {
  console.error('usage: chain-worker.mjs build DIR RAW [SEED]');
  process.exit(2);
}
const seed = Number(seedText);
const KiB = 1024;
const MIN_PIECE = 64 * KiB;
const PIECE_STEPS = 5; // 64 KiB * 2^0 .. 2^4 = 1 MiB
const ALIGN = 4 * KiB;
const WORDS = ['disk', 'sector', 'grain', 'table', 'delta', 'redo', 'snapshot', 'the', 'of', 'data', '\n', 'log:'];

function prng(s) {
  let state = (s * 2654435761 + 0x7f4a7c15) >>> 0 || 1;
  return () => { // xorshift32
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
}

/** Write `fraction` of the disk's capacity into the top of `path` in scattered pieces. */
async function scatterWrites(path, fraction, pieceSeed) {
  const next = prng(pieceSeed);
  const disk = await VmdkDisk.open(path, { readOnly: false });
  const stats = { pieces: 0, bytes: 0, zeroPieces: 0 };
  try {
    const goal = Math.floor(disk.capacity * fraction);
    const buf = Buffer.alloc(MIN_PIECE << (PIECE_STEPS - 1));
    while (stats.bytes < goal) {
      const length = MIN_PIECE << (next() % PIECE_STEPS);
      const slots = Math.floor((disk.capacity - length) / ALIGN) + 1;
      const offset = ((next() * 2 ** 20 + (next() >>> 12)) % slots) * ALIGN;
      const piece = buf.subarray(0, length);
      const kind = next() % 10;
      if (kind < 2) {
        piece.fill(0);
        stats.zeroPieces++;
      } else if (kind < 5) {
        let p = 0;
        while (p < length) p += piece.write(`${WORDS[next() % WORDS.length]} `, p);
      } else {
        for (let p = 0; p < length; p += 4) piece.writeUInt32LE(next(), p);
      }
      await disk.write(offset, piece);
      stats.pieces++;
      stats.bytes += length;
    }
  } finally {
    await disk.close();
  }
  return stats;
}

const base = join(dir, 'base.vmdk');
const delta1 = join(dir, 'delta1.vmdk');
const top = join(dir, 'top.vmdk');
await convertDisk(raw, base, { type: 'vmfs' });
await createChild(delta1, base, { type: 'vmfsSparse' });
const vmfsSparse = await scatterWrites(delta1, 0.1, seed * 2 + 1);
await createChild(top, delta1, { type: 'seSparse' });
const seSparse = await scatterWrites(top, 0.1, seed * 2 + 2);
console.log(JSON.stringify({ top, vmfsSparse, seSparse }));
