// The repository's chunker polynomial (config "chunker_polynomial"): a random irreducible
// polynomial of degree 53 over GF(2). restic refuses to open a repository whose polynomial is
// reducible, even though our fixed-size chunks never use it; restic itself chunks with it when it
// backs up into our repository. Polynomials are BigInts (bit i = coefficient of x^i): 54 bits do
// not fit a JS number exactly.

import { randomBytes } from 'node:crypto';

const DEGREE = 53;

function degree(p: bigint): number {
  return p === 0n ? -1 : p.toString(2).length - 1;
}

/** a mod m over GF(2). */
function polyMod(a: bigint, m: bigint): bigint {
  const dm = degree(m);
  for (let d = degree(a); d >= dm; d = degree(a)) a ^= m << BigInt(d - dm);
  return a;
}

/** a * b mod m over GF(2) (a, b already reduced). */
function mulMod(a: bigint, b: bigint, m: bigint): bigint {
  const top = 1n << BigInt(degree(m));
  let res = 0n;
  while (b > 0n) {
    if (b & 1n) res ^= a;
    b >>= 1n;
    a <<= 1n;
    if (a & top) a ^= m;
  }
  return res;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, polyMod(a, b)];
  return a;
}

/** Ben-Or's test: f of degree n is irreducible iff gcd(f, x^(2^i) - x mod f) = 1 for i = 1..n/2. */
export function isIrreducible(f: bigint): boolean {
  const n = degree(f);
  if (n < 1) return false;
  let xp = 2n; // x
  for (let i = 1; i <= n >> 1; i++) {
    xp = mulMod(xp, xp, f); // x^(2^i) mod f
    if (gcd(f, xp ^ 2n) !== 1n) return false;
  }
  return true;
}

/** A random irreducible polynomial of degree 53, as restic's chunker.RandomPolynomial makes. */
export function randomPolynomial(): bigint {
  for (;;) {
    let f = randomBytes(8).readBigUInt64LE() & ((1n << BigInt(DEGREE + 1)) - 1n);
    f |= (1n << BigInt(DEGREE)) | 1n;
    if (isIrreducible(f)) return f;
  }
}

/** Whether a config's polynomial (lowercase hex, no 0x) is one restic accepts. */
export function validPolynomialHex(hex: string): boolean {
  if (!/^[0-9a-f]{1,16}$/.test(hex)) return false;
  const f = BigInt('0x' + hex);
  return isIrreducible(f);
}
