// restic's authenticated encryption (design.rst "Keys, Encryption and MAC"): every stored object is
// IV(16) || AES-256-CTR(encrypt key, IV)(plaintext) || MAC(16), the MAC being Poly1305-AES over the
// ciphertext only: Poly1305 with key r || AES-128(k, IV). The MAC is checked before anything is
// decrypted, and an all-zero IV is refused on both sides as restic does.

import { createCipheriv, randomBytes, timingSafeEqual, type Hash } from 'node:crypto';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import { poly1305 } from './poly1305.js';

export const IV_SIZE = 16;
export const MAC_SIZE = 16;
/** Bytes Seal adds to a plaintext. */
export const CRYPTO_OVERHEAD = IV_SIZE + MAC_SIZE;

/** A restic key: the AES-256 encryption key and the Poly1305-AES key (k for AES-128, r for Poly1305). */
export interface ResticKey {
  encrypt: Buffer; // 32 bytes
  macK: Buffer; // 16 bytes
  macR: Buffer; // 16 bytes, stored masked
}

/** restic's mask of r (crypto.go poly1305KeyMask): the Poly1305 clamp, applied when a key is made. */
export function maskR(r: Uint8Array): Buffer {
  const m = Buffer.from(r);
  m[3] &= 15; m[7] &= 15; m[11] &= 15; m[15] &= 15;
  m[4] &= 252; m[8] &= 252; m[12] &= 252;
  return m;
}

/** A fresh random master key (64 bytes of randomness, r masked). */
export function newRandomKey(): ResticKey {
  const b = randomBytes(64);
  return { encrypt: b.subarray(0, 32), macK: b.subarray(32, 48), macR: maskR(b.subarray(48, 64)) };
}

/** Split 64 bytes of key material (scrypt output) the way restic's KDF does. */
export function keyFromBytes(b: Uint8Array): ResticKey {
  if (b.length !== 64) throw new RangeError('key material must be 64 bytes');
  return { encrypt: Buffer.from(b.subarray(0, 32)), macK: Buffer.from(b.subarray(32, 48)), macR: maskR(b.subarray(48, 64)) };
}

/** Poly1305-AES of `ciphertext` with `iv` as the nonce. */
export function mac(key: ResticKey, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const aes = createCipheriv('aes-128-ecb', key.macK, null);
  aes.setAutoPadding(false);
  const s = aes.update(iv);
  const oneTime = new Uint8Array(32);
  oneTime.set(key.macR, 0);
  oneTime.set(s, 16);
  return poly1305(oneTime, ciphertext);
}

function validIv(iv: Uint8Array): boolean {
  for (let i = 0; i < iv.length; i++) if (iv[i] !== 0) return true;
  return false;
}

/** Encrypt and authenticate: IV || ciphertext || MAC, in one new buffer. */
export function seal(key: ResticKey, plaintext: Uint8Array): Buffer {
  // Never from Node's shared pool: a sealed buffer may be transferred to or from a worker thread.
  const out = Buffer.allocUnsafeSlow(plaintext.length + CRYPTO_OVERHEAD);
  let iv: Buffer;
  do iv = randomBytes(IV_SIZE); while (!validIv(iv));
  iv.copy(out, 0);
  const cipher = createCipheriv('aes-256-ctr', key.encrypt, iv);
  const ct = cipher.update(plaintext);
  ct.copy(out, IV_SIZE);
  Buffer.from(mac(key, iv, ct)).copy(out, IV_SIZE + ct.length);
  return out;
}

/** Whether `data` (IV || ciphertext || MAC) carries a valid MAC under `key`. */
export function verify(key: ResticKey, data: Uint8Array): boolean {
  if (data.length < CRYPTO_OVERHEAD) return false;
  const iv = data.subarray(0, IV_SIZE);
  if (!validIv(iv)) return false;
  const ct = data.subarray(IV_SIZE, data.length - MAC_SIZE);
  const tag = mac(key, iv, ct);
  return timingSafeEqual(tag, data.subarray(data.length - MAC_SIZE));
}

/**
 * Check the MAC, then decrypt. A failed check throws "ciphertext verification failed" naming
 * `what` (the file or blob), as restic reports it; nothing is decrypted in that case.
 */
export function open(key: ResticKey, data: Uint8Array, what: string): Buffer {
  checkMac(key, data, what);
  const iv = data.subarray(0, IV_SIZE);
  const decipher = createCipheriv('aes-256-ctr', key.encrypt, iv);
  return decipher.update(data.subarray(IV_SIZE, data.length - MAC_SIZE));
}

/** Refuse sealed bytes whose MAC is wrong, naming `what` as restic does; nothing is decrypted then. */
function checkMac(key: ResticKey, data: Uint8Array, what: string): void {
  if (!verify(key, data)) {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: ciphertext verification failed (corrupted data or wrong key)`);
  }
}

/**
 * Bytes deciphered per step. Node allocates (and zero-fills) a new buffer for each step's output;
 * below glibc's 64 KiB consolidation threshold a freed one is reused as it is, while larger ones
 * are handed back to the kernel and fault in fresh pages every time (3x slower at 64 KiB, 6x at
 * 1 MiB, measured in a worker thread).
 */
const DECIPHER_STEP = 32 << 10;

/**
 * open() into a buffer the caller gives (`dest.length` must be the plaintext's length): the MAC
 * checked, then the ciphertext deciphered piece by piece straight into `dest`. A restore decrypts
 * into the buffer the destination is written from, so no plaintext buffer is allocated per blob.
 * `hash`, if given, is fed the plaintext piece by piece as it is deciphered. `dest` may be the
 * ciphertext's own place in `data` (each step's input is consumed before its output is written).
 */
export function openInto(key: ResticKey, data: Uint8Array, dest: Uint8Array, what: string, hash?: Hash): void {
  if (data.length - CRYPTO_OVERHEAD !== dest.length) throw new RangeError(`${what}: ${data.length} sealed bytes do not open into ${dest.length}`);
  checkMac(key, data, what);
  const decipher = createCipheriv('aes-256-ctr', key.encrypt, data.subarray(0, IV_SIZE));
  for (let at = 0; at < dest.length; at += DECIPHER_STEP) {
    const end = Math.min(dest.length, at + DECIPHER_STEP);
    dest.set(decipher.update(data.subarray(IV_SIZE + at, IV_SIZE + end)), at);
    // Hashed while the piece is still in the cache.
    hash?.update(dest.subarray(at, end));
  }
}

/** The master key as restic stores it inside a key file: {"mac":{"k","r"},"encrypt"} in base64. */
export function keyToJson(key: ResticKey): string {
  return JSON.stringify({ mac: { k: key.macK.toString('base64'), r: key.macR.toString('base64') }, encrypt: key.encrypt.toString('base64') });
}

/** Parse the JSON form of a master key; lengths are checked so a forged key file cannot mislead us. */
export function keyFromJson(text: string, what: string): ResticKey {
  const bad = () => new VixError(VIX_E_FILE_ERROR, `${what}: invalid master key`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad();
  }
  const o = v as { mac?: { k?: unknown; r?: unknown }; encrypt?: unknown } | null;
  if (!o || typeof o.encrypt !== 'string' || !o.mac || typeof o.mac.k !== 'string' || typeof o.mac.r !== 'string') throw bad();
  const encrypt = Buffer.from(o.encrypt, 'base64');
  const macK = Buffer.from(o.mac.k, 'base64');
  const macR = Buffer.from(o.mac.r, 'base64');
  if (encrypt.length !== 32 || macK.length !== 16 || macR.length !== 16) throw bad();
  return { encrypt, macK, macR: maskR(macR) };
}
