// The tests' one deterministic generator: xorshift32 (Marsaglia), so a seed always gives the same
// data, offsets and mutations.

/** Unsigned 32-bit values from `seed` (0 counts as 1). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** The same sequence as fractions in [0, 1). */
export function random01(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
}

/** `length` bytes of the sequence, 32-bit little-endian words (a tail under 4 bytes stays zero). */
export function seededBytes(length: number, seed: number): Buffer {
  const next = xorshift32(seed);
  const b = Buffer.alloc(length);
  for (let i = 0; i + 4 <= length; i += 4) b.writeUInt32LE(next(), i);
  return b;
}
