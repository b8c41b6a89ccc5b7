import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes as the host keeps them in its config: scrypt with a per-user salt, the cost
 * parameters stored with the hash so they can be raised later without breaking old entries:
 *
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>
 *
 * A clear password is never written; verification compares in constant time.
 */

const PREFIX = 'scrypt';
// N = 2^15, r = 8, p = 1: the interactive-login parameters of scrypt's paper and RFC 7914's
// guidance; 32 MiB and ~100 ms per hash on a quiet small machine (0.3-0.5 s on the loaded 2-CPU
// test machine). Repeated logins do not pay it (verified-logins.ts); older hashes keep their own.
const DEFAULT_LOG2_N = 15;
const DEFAULT_R = 8;
const DEFAULT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds on parameters read from a config: a hostile hash must not make Login take minutes or gigabytes.
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

export interface ScryptHash {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const N = 2 ** log2N;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, DEFAULT_LOG2_N, DEFAULT_R, DEFAULT_P, KEY_BYTES);
  return [PREFIX, DEFAULT_LOG2_N, DEFAULT_R, DEFAULT_P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Parses a stored hash; throws an Error naming what is wrong (never echoing the hash). */
export function parsePasswordHash(text: string): ScryptHash {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) throw new Error(`not a hash of the form scrypt$log2N$r$p$salt$key`);
  const [log2N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,3}$/.test(s!) ? Number(s) : NaN)) as [number, number, number];
  if (!(log2N >= 10 && log2N <= MAX_LOG2_N)) throw new Error(`scrypt log2 N must be 10..${MAX_LOG2_N}`);
  if (!(r >= 1 && r <= MAX_R)) throw new Error(`scrypt r must be 1..${MAX_R}`);
  if (!(p >= 1 && p <= MAX_P)) throw new Error(`scrypt p must be 1..${MAX_P}`);
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!base64.test(parts[4]!) || !base64.test(parts[5]!)) throw new Error('salt and key must be base64');
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || salt.length > 64) throw new Error('salt must be 8..64 bytes');
  if (key.length < 16 || key.length > 64) throw new Error('key must be 16..64 bytes');
  return { log2N, r, p, salt, key };
}

export async function verifyPassword(password: string, hash: ScryptHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.log2N, hash.r, hash.p, hash.key.length);
  return timingSafeEqual(key, hash.key);
}

// Used when the user does not exist, so that a wrong name costs as long as a wrong password.
let decoy: ScryptHash | undefined;
export async function burnVerifyTime(password: string): Promise<void> {
  decoy ??= { log2N: DEFAULT_LOG2_N, r: DEFAULT_R, p: DEFAULT_P, salt: randomBytes(SALT_BYTES), key: randomBytes(KEY_BYTES) };
  await verifyPassword(password, decoy);
}

/** A generated password: 20 characters from a set without look-alikes (~115 bits). */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  while (out.length < 20) {
    for (const byte of randomBytes(32)) {
      if (byte < 256 - (256 % alphabet.length) && out.length < 20) out.push(alphabet[byte % alphabet.length]!);
    }
  }
  return out.join('');
}
