import { xorshift32 } from './xorshift.js';

// The deterministic list of writes the crash-safety test's writer makes, so the test can tell what
// the disk must hold after the writer is killed.

export interface PlannedWrite {
  offset: number;
  length: number;
  fill: number;
}

export function plannedWrite(seed: number, index: number, capacity: number): PlannedWrite {
  const next = xorshift32(seed * 2654435761 + index * 40503 + 1);
  // Mix of sector-sized, partial-grain, whole-grain and multi-grain writes at sector offsets.
  const sizes = [512, 4096, 12288, 65536, 131072, 200704, 1048576];
  const length = sizes[next() % sizes.length]!;
  const offset = (next() % Math.floor((capacity - length) / 512)) * 512;
  return { offset, length, fill: (next() % 255) + 1 };
}

export function fillFor(w: PlannedWrite, index: number): Uint8Array {
  const buf = new Uint8Array(w.length);
  for (let i = 0; i < buf.length; i += 512) {
    buf.fill(w.fill, i, i + 512);
    buf[i] = index & 0xff;
    buf[i + 1] = (index >> 8) & 0xff;
  }
  return buf;
}
