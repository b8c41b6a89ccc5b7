// Poly1305 one-time authenticator (RFC 8439 section 2.5). Node has no Poly1305, and it is the one
// primitive of restic's MAC (crypto.ts) that OpenSSL does not do for us, so every byte a backup
// stores or a restore reads goes through this loop.
//
// The block loop is WebAssembly (assembled at load time from the code below by src/wasm/
// assembler.ts) for its 64-bit integer multiplies, as poly1305-donna-32 does it: h and r in five
// 26-bit limbs, a block costs 25 multiplies of at most 2^27 x 2^29 (r limbs < 2^26, 5*r < 2^29,
// h limbs < 2^27 after adding a message limb), so a row of five products is < 2^58 and fits an
// unsigned 64-bit lane. One carry pass brings each limb back under 2^26 (limb 1 under 2^26 + 2^9);
// 2^130 = 5 (mod p) folds the top carry into limb 0. About twice the speed of the best plain-JS
// form (six 22-bit limbs in doubles) on the machine this was written on.
//
// A message outside WebAssembly memory is copied into it in 64 KiB pieces (cache-hot, a small
// fraction of the MAC's cost); poly1305Memory() hands out a region inside it, so bytes read
// straight into that region (a blob from its pack) are authenticated without any copy.

import { assembleModule, block, br, brIf, i32, i64, loop, type Code } from '../wasm/assembler.js';

// Node's types leave WebAssembly to the DOM library; the few members used here.
declare const WebAssembly: {
  Memory: new (size: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

const PAGE = 64 << 10;
// Memory layout: r limbs (5 x u32), h limbs (5 x u32), the padded last block, a staging area for
// messages outside memory, then the caller's region (poly1305Memory).
const R_AT = 0;
const H_AT = 20;
const LAST_AT = 48;
const STAGE_AT = 64;
const STAGE = 64 << 10;
const REGION_AT = STAGE_AT + STAGE + 64;
const LIMB_MASK = 0x3ffffff;
const HIBIT = 1 << 24; // the 2^128 bit of a full block, in limb 4

/** blocks(ptr, len, hibit): h = (h + block) * r for each 16-byte block of [ptr, ptr + len). */
function blocksFunction(): Parameters<typeof assembleModule>[0][0] {
  const limbs = [0, 1, 2, 3, 4];
  const r = limbs.map((i) => `r${i}`);
  const s = limbs.map((i) => `s${i}`); // s_i = 5 * r_i, for the products that wrap past 2^130
  const h = limbs.map((i) => `h${i}`);
  const d = limbs.map((i) => `d${i}`);
  return {
    name: 'blocks',
    params: [['ptr', 'i32'], ['len', 'i32'], ['hibit', 'i32']],
    locals: [...[...r, ...s.slice(1), ...h, ...d, 'c', 'top'].map((n): [string, 'i64'] => [n, 'i64'])],
    body: ({ get, set }) => {
      const mask = (v: Code) => i64.and(v, i64.const(LIMB_MASK));
      const shr = (v: Code, n: number) => i64.shr_u(v, i64.const(n));
      // Message limb i: 26 bits from byte 3i + (bit 2i), read as an unaligned 32-bit word.
      const word = (byteOffset: number) => i64.load32_u(get('ptr'), byteOffset);
      // d_k = sum over i + j = k of h_i * r_j, and over i + j = k + 5 of h_i * 5 r_j.
      const row = (k: number) => limbs.map((i) => {
        const j = (k - i + 5) % 5;
        return i64.mul(get(h[i]!), get(i <= k ? r[j]! : s[j]!));
      }).reduce((a, b) => i64.add(a, b));
      return [
        ...limbs.map((i) => set(r[i]!, i64.load32_u(i32.const(R_AT + 4 * i)))),
        ...limbs.slice(1).map((i) => set(s[i]!, i64.mul(get(r[i]!), i64.const(5)))),
        ...limbs.map((i) => set(h[i]!, i64.load32_u(i32.const(H_AT + 4 * i)))),
        set('top', i64.extend_i32_u(get('hibit'))),
        block(loop(
          brIf(1, i32.lt_u(get('len'), i32.const(16))),
          set('h0', i64.add(get('h0'), mask(word(0)))),
          set('h1', i64.add(get('h1'), mask(shr(word(3), 2)))),
          set('h2', i64.add(get('h2'), mask(shr(word(6), 4)))),
          set('h3', i64.add(get('h3'), mask(shr(word(9), 6)))),
          set('h4', i64.add(get('h4'), i64.or(shr(word(12), 8), get('top')))),
          ...limbs.map((k) => set(d[k]!, row(k))),
          // One carry pass; what leaves limb 4 is worth 5 in limb 0.
          set('c', shr(get('d0'), 26)), set('h0', mask(get('d0'))),
          ...[1, 2, 3, 4].flatMap((k) => [
            set(d[k]!, i64.add(get(d[k]!), get('c'))), set('c', shr(get(d[k]!), 26)), set(h[k]!, mask(get(d[k]!))),
          ]),
          set('h0', i64.add(get('h0'), i64.mul(get('c'), i64.const(5)))),
          set('c', shr(get('h0'), 26)), set('h0', mask(get('h0'))),
          set('h1', i64.add(get('h1'), get('c'))),
          set('ptr', i32.add(get('ptr'), i32.const(16))),
          set('len', i32.sub(get('len'), i32.const(16))),
          br(0), // the next block
        )),
        ...limbs.map((i) => i64.store32(i32.const(H_AT + 4 * i), 0, get(h[i]!))),
      ];
    },
  };
}

const memory = new WebAssembly.Memory({ initial: Math.ceil((REGION_AT + (1 << 20)) / PAGE) });
const blocks = new WebAssembly.Instance(new WebAssembly.Module(assembleModule([blocksFunction()])), { env: { memory } })
  .exports.blocks as (ptr: number, len: number, hibit: number) => void;

function bytes(): Uint8Array {
  return new Uint8Array(memory.buffer);
}

/**
 * A region of `length` bytes inside Poly1305's memory: a message put there (read into it) is
 * authenticated by poly1305() without being copied. Valid until the next call, which may move it.
 */
export function poly1305Memory(length: number): Uint8Array {
  const need = REGION_AT + length;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  return new Uint8Array(memory.buffer, REGION_AT, length);
}

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** The tag of `msg` under the 32-byte one-time key `key` = r (clamped here) || s. */
export function poly1305(key: Uint8Array, msg: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('poly1305 key must be 32 bytes');
  const words = new Uint32Array(memory.buffer, 0, (LAST_AT) / 4);
  // r clamped (RFC 8439 2.5.1: top four bits of bytes 3, 7, 11, 15 and low two of 4, 8, 12 clear)
  // and cut into 26-bit limbs.
  const k0 = u32(key, 0) & 0x0fffffff, k1 = u32(key, 4) & 0x0ffffffc;
  const k2 = u32(key, 8) & 0x0ffffffc, k3 = u32(key, 12) & 0x0ffffffc;
  words[R_AT / 4] = k0 & LIMB_MASK;
  words[R_AT / 4 + 1] = ((k0 >>> 26) | (k1 << 6)) & LIMB_MASK;
  words[R_AT / 4 + 2] = ((k1 >>> 20) | (k2 << 12)) & LIMB_MASK;
  words[R_AT / 4 + 3] = ((k2 >>> 14) | (k3 << 18)) & LIMB_MASK;
  words[R_AT / 4 + 4] = k3 >>> 8;
  for (let i = 0; i < 5; i++) words[H_AT / 4 + i] = 0;

  const full = msg.length - (msg.length % 16);
  if (msg.buffer === memory.buffer) {
    blocks(msg.byteOffset, full, HIBIT);
  } else {
    const mem = bytes();
    for (let at = 0; at < full; at += STAGE) {
      const n = Math.min(STAGE, full - at);
      mem.set(msg.subarray(at, at + n), STAGE_AT);
      blocks(STAGE_AT, n, HIBIT);
    }
  }
  if (full < msg.length) {
    // The last partial block: its bytes, then a 1 byte, then zeros (no 2^128 bit).
    const mem = bytes();
    mem.fill(0, LAST_AT, LAST_AT + 16);
    mem.set(msg.subarray(full), LAST_AT);
    mem[LAST_AT + msg.length - full] = 1;
    blocks(LAST_AT, 16, 0);
  }

  // Once per message: h fully reduced mod p, plus s, mod 2^128; simplest in BigInt.
  const hw = new Uint32Array(memory.buffer, H_AT, 5);
  let h = 0n;
  for (let i = 4; i >= 0; i--) h = (h << 26n) + BigInt(hw[i]!);
  h %= (1n << 130n) - 5n;
  let s = 0n;
  for (let i = 31; i >= 16; i--) s = (s << 8n) | BigInt(key[i]!);
  let tag = (h + s) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}
