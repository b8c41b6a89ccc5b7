// Poly1305 one-time authenticator (RFC 8439 section 2.5), written by hand because Node has no
// Poly1305. restic's MAC (crypto.ts) is Poly1305-AES built on this.
//
// The accumulator h and the key r are held as six 22-bit limbs (132 bits) in plain JS numbers, so a
// block costs 36 multiplies. Limb i weighs 2^(22i); 2^132 = 4 * 2^130 = 20 (mod p), so the high
// half of the product folds back through the precomputed 20*r limbs (s1..s5).
//
// Exactness (a double holds integers below 2^53 exactly): limbs are signed. After a block's two
// carry rounds every h limb has |h_i| <= 2^21 + 2^12; adding a message limb (< 2^22) leaves
// |h_i| < 2^22.6. Clamped r has limbs r0..r4 < 2^22 and r5 < 2^14 (r < 2^124), so 20*r_j < 2^26.33,
// each of the six products in a row is < 2^48.9 and a row sums to < 2^51.5. The first carry round
// leaves limbs below 2^21 + 2^29.5 (limb 0: 2^21 + 20 * 2^29.5 < 2^34), the second below
// 2^21 + 2^12 again. Every intermediate is an integer below 2^53; scaling by 2^-22 is exact.
// The multiply is written out in full because V8 keeps the locals in registers.

const P = (1n << 130n) - 5n;
const MASK128 = (1n << 128n) - 1n;
const LIMB = 4194304; // 2^22
const INV_LIMB = 1 / LIMB; // exactly 2^-22
const M22 = 0x3fffff;
const FOLD = 20 * INV_LIMB; // a carry out of limb 5, 2^132, is 20 (mod p)
// Adding then subtracting 1.5 * 2^74 rounds any |d| < 2^73 to a multiple of 2^22: in
// [2^74, 2^75) a double's unit in the last place is exactly 2^22.
const ROUND = 1.5 * 2 ** 74;

function u32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/** The tag of `msg` under the 32-byte one-time key `key` = r (clamped here) || s. */
export function poly1305(key: Uint8Array, msg: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('poly1305 key must be 32 bytes');
  // r, clamped as RFC 8439 2.5.1 requires, split into 22-bit limbs.
  const k0 = u32(key, 0) & 0x0fffffff, k1 = u32(key, 4) & 0x0ffffffc;
  const k2 = u32(key, 8) & 0x0ffffffc, k3 = u32(key, 12) & 0x0ffffffc;
  const r0 = k0 & M22;
  const r1 = ((k0 >>> 22) | (k1 << 10)) & M22;
  const r2 = (k1 >>> 12) | ((k2 & 3) << 20);
  const r3 = (k2 >>> 2) & M22;
  const r4 = (k2 >>> 24) | ((k3 & 0x3fff) << 8);
  const r5 = k3 >>> 14;
  const s1 = r1 * 20, s2 = r2 * 20, s3 = r3 * 20, s4 = r4 * 20, s5 = r5 * 20;

  let h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0;
  const last = new Uint8Array(16);
  const full = msg.length - (msg.length % 16);
  for (let pos = 0; pos < msg.length; pos += 16) {
    // Each block is a little-endian number with a 1 bit appended just above its last byte: bit
    // 128 (limb 5, bit 18) for full blocks, after the 0x01 byte written into `last` otherwise.
    let b = msg;
    let o = pos;
    let hibit = 1 << 18;
    if (pos >= full) {
      last.fill(0);
      last.set(msg.subarray(pos));
      last[msg.length - pos] = 1;
      b = last;
      o = 0;
      hibit = 0;
    }
    const w0 = u32(b, o), w1 = u32(b, o + 4), w2 = u32(b, o + 8), w3 = u32(b, o + 12);
    h0 += w0 & M22;
    h1 += ((w0 >>> 22) | (w1 << 10)) & M22;
    h2 += (w1 >>> 12) | ((w2 & 3) << 20);
    h3 += (w2 >>> 2) & M22;
    h4 += (w2 >>> 24) | ((w3 & 0x3fff) << 8);
    h5 += (w3 >>> 14) | hibit;

    let d0 = h0 * r0 + h1 * s5 + h2 * s4 + h3 * s3 + h4 * s2 + h5 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s5 + h3 * s4 + h4 * s3 + h5 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s5 + h4 * s4 + h5 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s5 + h5 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s5;
    let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;

    // Two rounds of carries taken from all six limbs at once (a short dependency chain, unlike a
    // ripple): t = (d + ROUND) - ROUND rounds d to the nearest multiple of 2^22, so each limb keeps
    // d - t in [-2^21, 2^21] and passes t / 2^22 up; what leaves limb 5 re-enters limb 0 times 20.
    let t0 = (d0 + ROUND) - ROUND, t1 = (d1 + ROUND) - ROUND, t2 = (d2 + ROUND) - ROUND;
    let t3 = (d3 + ROUND) - ROUND, t4 = (d4 + ROUND) - ROUND, t5 = (d5 + ROUND) - ROUND;
    d0 = d0 - t0 + t5 * FOLD; d1 = d1 - t1 + t0 * INV_LIMB; d2 = d2 - t2 + t1 * INV_LIMB;
    d3 = d3 - t3 + t2 * INV_LIMB; d4 = d4 - t4 + t3 * INV_LIMB; d5 = d5 - t5 + t4 * INV_LIMB;
    t0 = (d0 + ROUND) - ROUND; t1 = (d1 + ROUND) - ROUND; t2 = (d2 + ROUND) - ROUND;
    t3 = (d3 + ROUND) - ROUND; t4 = (d4 + ROUND) - ROUND; t5 = (d5 + ROUND) - ROUND;
    h0 = d0 - t0 + t5 * FOLD; h1 = d1 - t1 + t0 * INV_LIMB; h2 = d2 - t2 + t1 * INV_LIMB;
    h3 = d3 - t3 + t2 * INV_LIMB; h4 = d4 - t4 + t3 * INV_LIMB; h5 = d5 - t5 + t4 * INV_LIMB;
  }

  // Once per message: the final reduction mod p and the addition of s, simplest in BigInt.
  // Limbs are signed, so h may be negative: bring it into [0, p).
  let h = 0n;
  for (const limb of [h5, h4, h3, h2, h1, h0]) h = (h << 22n) + BigInt(limb);
  h = ((h % P) + P) % P;
  let s = 0n;
  for (let i = 31; i >= 16; i--) s = (s << 8n) | BigInt(key[i]);
  let tag = (h + s) & MASK128;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}
