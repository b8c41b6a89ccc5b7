// Poly1305 one-time authenticator (RFC 8439 section 2.5), written by hand because Node has no
// Poly1305. restic's MAC (crypto.ts) is Poly1305-AES built on this.
//
// The accumulator h and the key r are held as ten 13-bit limbs (130 bits) in plain JS numbers: a
// limb product is < 2^31 and a row of ten products < 2^35, far inside the 2^53 a double holds
// exactly, so no BigInt is needed on the hot path. 2^130 = 5 (mod p) folds the high half of the
// product back with the precomputed 5*r limbs (s1..s9). The multiply is written out in full
// because V8 keeps the 30 locals in registers; a loop over arrays ran several times slower.

const P = (1n << 130n) - 5n;
const MASK128 = (1n << 128n) - 1n;

function u16(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}

/** The tag of `msg` under the 32-byte one-time key `key` = r (clamped here) || s. */
export function poly1305(key: Uint8Array, msg: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('poly1305 key must be 32 bytes');
  // r, clamped as RFC 8439 2.5.1 requires, split into 13-bit limbs.
  const rb = Uint8Array.from(key.subarray(0, 16));
  rb[3] &= 15; rb[7] &= 15; rb[11] &= 15; rb[15] &= 15;
  rb[4] &= 252; rb[8] &= 252; rb[12] &= 252;
  const t0 = u16(rb, 0), t1 = u16(rb, 2), t2 = u16(rb, 4), t3 = u16(rb, 6);
  const t4 = u16(rb, 8), t5 = u16(rb, 10), t6 = u16(rb, 12), t7 = u16(rb, 14);
  const r0 = t0 & 0x1fff;
  const r1 = ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
  const r2 = ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
  const r3 = ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
  const r4 = ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
  const r5 = (t4 >>> 1) & 0x1fff;
  const r6 = ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
  const r7 = ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
  const r8 = ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
  const r9 = (t7 >>> 5) & 0x1fff;
  const s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5, s5 = r5 * 5;
  const s6 = r6 * 5, s7 = r7 * 5, s8 = r8 * 5, s9 = r9 * 5;

  let h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0, h6 = 0, h7 = 0, h8 = 0, h9 = 0;
  const last = new Uint8Array(16);
  const full = msg.length - (msg.length % 16);
  for (let pos = 0; pos < msg.length; pos += 16) {
    // Each block is a little-endian number with a 1 bit appended just above its last byte: bit
    // 128 (limb 9, bit 11) for full blocks, after the 0x01 byte written into `last` otherwise.
    let b = msg;
    let o = pos;
    let hibit = 1 << 11;
    if (pos >= full) {
      last.fill(0);
      last.set(msg.subarray(pos));
      last[msg.length - pos] = 1;
      b = last;
      o = 0;
      hibit = 0;
    }
    const m0 = u16(b, o), m1 = u16(b, o + 2), m2 = u16(b, o + 4), m3 = u16(b, o + 6);
    const m4 = u16(b, o + 8), m5 = u16(b, o + 10), m6 = u16(b, o + 12), m7 = u16(b, o + 14);
    h0 += m0 & 0x1fff;
    h1 += ((m0 >>> 13) | (m1 << 3)) & 0x1fff;
    h2 += ((m1 >>> 10) | (m2 << 6)) & 0x1fff;
    h3 += ((m2 >>> 7) | (m3 << 9)) & 0x1fff;
    h4 += ((m3 >>> 4) | (m4 << 12)) & 0x1fff;
    h5 += (m4 >>> 1) & 0x1fff;
    h6 += ((m4 >>> 14) | (m5 << 2)) & 0x1fff;
    h7 += ((m5 >>> 11) | (m6 << 5)) & 0x1fff;
    h8 += ((m6 >>> 8) | (m7 << 8)) & 0x1fff;
    h9 += (m7 >>> 5) | hibit;

    let d0 = h0 * r0 + h1 * s9 + h2 * s8 + h3 * s7 + h4 * s6 + h5 * s5 + h6 * s4 + h7 * s3 + h8 * s2 + h9 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s9 + h3 * s8 + h4 * s7 + h5 * s6 + h6 * s5 + h7 * s4 + h8 * s3 + h9 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s9 + h4 * s8 + h5 * s7 + h6 * s6 + h7 * s5 + h8 * s4 + h9 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s9 + h5 * s8 + h6 * s7 + h7 * s6 + h8 * s5 + h9 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s9 + h6 * s8 + h7 * s7 + h8 * s6 + h9 * s5;
    let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * s9 + h7 * s8 + h8 * s7 + h9 * s6;
    let d6 = h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * s9 + h8 * s8 + h9 * s7;
    let d7 = h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * s9 + h9 * s8;
    let d8 = h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * s9;
    let d9 = h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;

    // Carry propagation: d / 8192 stays below 2^31 so "| 0" floors it, and "& 0x1fff" on a double
    // integer keeps its low 13 bits exactly (ToInt32 is taken modulo 2^32).
    let c = (d0 / 8192) | 0; d0 &= 0x1fff;
    d1 += c; c = (d1 / 8192) | 0; d1 &= 0x1fff;
    d2 += c; c = (d2 / 8192) | 0; d2 &= 0x1fff;
    d3 += c; c = (d3 / 8192) | 0; d3 &= 0x1fff;
    d4 += c; c = (d4 / 8192) | 0; d4 &= 0x1fff;
    d5 += c; c = (d5 / 8192) | 0; d5 &= 0x1fff;
    d6 += c; c = (d6 / 8192) | 0; d6 &= 0x1fff;
    d7 += c; c = (d7 / 8192) | 0; d7 &= 0x1fff;
    d8 += c; c = (d8 / 8192) | 0; d8 &= 0x1fff;
    d9 += c; c = (d9 / 8192) | 0; d9 &= 0x1fff;
    d0 += c * 5; c = d0 >>> 13; d0 &= 0x1fff;
    d1 += c;
    h0 = d0; h1 = d1; h2 = d2; h3 = d3; h4 = d4; h5 = d5; h6 = d6; h7 = d7; h8 = d8; h9 = d9;
  }

  // Once per message: the final reduction mod p and the addition of s, simplest in BigInt.
  const limbs = [h0, h1, h2, h3, h4, h5, h6, h7, h8, h9];
  let h = 0n;
  for (let i = 9; i >= 0; i--) h = (h << 13n) + BigInt(limbs[i]);
  h %= P;
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
