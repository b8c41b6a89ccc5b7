import { NfcProtocolError } from './nfc-protocol-error.js';

// FastLZ blocks both ways (NFC compression type 2, vsphere-remote.md §4.6): a raw FastLZ block
// with no length prefix; the level is in the top 3 bits of the first byte (level 2 sets bit 5).
// The block format is FastLZ's own (public, Ariya Hidayat's fastlz.c, MIT): a stream of
// instructions, each a control byte then
//   ctrl < 32:  a literal run of ctrl + 1 bytes;
//   ctrl >= 32: a match of (ctrl >> 5) + 2 bytes at distance ((ctrl & 31) << 8) + next byte + 1,
//               where a length field of 7 continues in one more byte (level 1) or in bytes while
//               they are 255 (level 2), and level 2 marks a far match (distance byte 255 with high
//               bits 31) followed by a 16-bit big-endian distance added to 8191.
// The first instruction is always a literal run, whose control byte carries the level. Every
// length and distance is checked against the output (the fragment's uncompressed length) before a
// byte is copied: a hostile block fails as a request error, never writes outside the fragment.
// The encoder writes level 1 (VDDK uses level 2 for whole 64 KiB fragments, 1 for smaller ones;
// every decoder reads the level from the block): greedy matches found by a hash of 3 bytes.

const MAX_L2_DISTANCE = 8191;

/** Decompress `block` into `target`, which it must fill exactly. */
export function decodeFastlz(block: Uint8Array, target: Uint8Array): void {
  const bad = (why: string) => new NfcProtocolError(`FastLZ fragment ${why}`, false);
  if (block.length === 0) throw bad('is empty');
  const level = (block[0]! >>> 5) + 1;
  if (level !== 1 && level !== 2) throw bad(`has level ${level} (1 or 2 expected)`);
  let ip = 0;
  let op = 0;
  let ctrl = block[ip++]! & 31;
  for (;;) {
    if (ctrl >= 32) {
      let len = (ctrl >>> 5) - 1;
      const hi = (ctrl & 31) << 8;
      let distance = hi + 1; // ref = op - distance, before the low byte is subtracted
      if (len === 6) {
        if (level === 1) {
          if (ip >= block.length) throw bad('ends inside a match length');
          len += block[ip++]!;
        } else {
          let code: number;
          do {
            if (ip >= block.length) throw bad('ends inside a match length');
            code = block[ip++]!;
            len += code;
            if (len > target.length) throw bad('has a match longer than the fragment');
          } while (code === 255);
        }
      }
      if (ip >= block.length) throw bad('ends inside a match distance');
      const low = block[ip++]!;
      distance += low;
      len += 3;
      if (level === 2 && low === 255 && hi === 31 << 8) {
        if (ip + 2 > block.length) throw bad('ends inside a far match distance');
        distance = ((block[ip]! << 8) | block[ip + 1]!) + MAX_L2_DISTANCE + 1;
        ip += 2;
      }
      if (distance > op) throw bad(`has a match ${distance} bytes back at output byte ${op}`);
      if (len > target.length - op) throw bad('decodes past the fragment length');
      let ref = op - distance;
      // Byte by byte: a match may overlap the bytes it produces (runs).
      for (let i = 0; i < len; i++) target[op++] = target[ref++]!;
    } else {
      const run = ctrl + 1;
      if (run > block.length - ip) throw bad('ends inside a literal run');
      if (run > target.length - op) throw bad('decodes past the fragment length');
      target.set(block.subarray(ip, ip + run), op);
      ip += run;
      op += run;
    }
    if (ip >= block.length) break;
    ctrl = block[ip++]!;
  }
  if (op !== target.length) throw bad(`decodes to ${op} bytes, not the ${target.length} announced`);
}

const MAX_L1_DISTANCE = 8192;
const MAX_L1_MATCH = 264; // 2 + 7 + 255
const MAX_LITERAL_RUN = 32;
const HASH_BITS = 13;
/** Where each 3-byte hash was last seen; one table reused by every call (filled with -1 first). */
const hashTable = new Int32Array(1 << HASH_BITS);

/**
 * `data` as one level-1 FastLZ block, or null when that would not be smaller than the data (the
 * sender then sends the fragment uncompressed, §4.6).
 */
export function encodeFastlz(data: Uint8Array): Buffer | null {
  const n = data.length;
  if (n < 16) return null;
  const out = Buffer.allocUnsafe(n + Math.ceil(n / MAX_LITERAL_RUN) + 8);
  let op = 0;
  let anchor = 0;
  const literals = (end: number): void => {
    while (anchor < end) {
      const run = Math.min(MAX_LITERAL_RUN, end - anchor);
      out[op++] = run - 1;
      out.set(data.subarray(anchor, anchor + run), op);
      op += run;
      anchor += run;
    }
  };
  hashTable.fill(-1);
  let ip = 0;
  while (ip + 3 <= n) {
    const h = Math.imul(data[ip]! | (data[ip + 1]! << 8) | (data[ip + 2]! << 16), 2654435761) >>> (32 - HASH_BITS);
    const ref = hashTable[h]!;
    hashTable[h] = ip;
    const distance = ip - ref;
    if (ref < 0 || distance > MAX_L1_DISTANCE || data[ref] !== data[ip] || data[ref + 1] !== data[ip + 1] || data[ref + 2] !== data[ip + 2]) {
      ip++;
      continue;
    }
    let len = 3;
    const max = Math.min(MAX_L1_MATCH, n - ip);
    while (len < max && data[ref + len] === data[ip + len]) len++;
    literals(ip); // ip > 0 here, so the block starts with a literal run whose control byte says level 1
    const code = len - 2;
    const d = distance - 1;
    if (code < 7) {
      out[op++] = (code << 5) | (d >>> 8);
    } else {
      out[op++] = (7 << 5) | (d >>> 8);
      out[op++] = code - 7;
    }
    out[op++] = d & 255;
    ip += len;
    anchor = ip;
    if (op >= n) return null;
  }
  literals(n);
  return op < n ? out.subarray(0, op) : null;
}
