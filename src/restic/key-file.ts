// Key files (keys/<id>, design.rst "Keys, Encryption and MAC"): plain JSON holding scrypt
// parameters, a salt, and the master key sealed with the key scrypt derives from a password. Each
// password of a repository has its own key file; all wrap the same master key.

import { hostname, userInfo } from 'node:os';
import { randomBytes, scrypt } from 'node:crypto';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import type { Backend } from './backend.js';
import { keyFromBytes, keyFromJson, keyToJson, open, seal, verify, type ResticKey } from './crypto.js';
import { hashId } from './id.js';
import { parseJson } from './unpacked.js';

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Parameters for new keys. restic calibrates p for ~0.5 s with N=32768, r=8; p=1 is as strong per
 * guess and restic opens such keys (reference E3).
 */
export const DEFAULT_KDF: KdfParams = { N: 32768, r: 8, p: 1 };

const SALT_SIZE = 64;
const MAX_KEY_FILE = 64 * 1024;
/**
 * Bounds on what a key file may ask of us: scrypt needs 128*N*r bytes and N*r*p work. restic's own
 * calibration stays under 60 MiB; we allow 256 MiB and 2^25 (about 30 s here) so that a forged key
 * file cannot exhaust memory or hang the open.
 */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MAX_SCRYPT_WORK = 2 ** 25;

interface KeyFileJson {
  created: string;
  username: string;
  hostname: string;
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: string;
  data: string;
}

function checkParams(k: KdfParams, what: string): void {
  const { N, r, p } = k;
  const ok = Number.isSafeInteger(N) && Number.isSafeInteger(r) && Number.isSafeInteger(p)
    && N > 1 && (N & (N - 1)) === 0 && N <= 2 ** 30 && r >= 1 && p >= 1 && r * p < 2 ** 30;
  if (!ok) throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid scrypt parameters N=${N} r=${r} p=${p}`);
  if (128 * N * r > MAX_SCRYPT_MEMORY || N * r * p > MAX_SCRYPT_WORK) {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: scrypt parameters N=${N} r=${r} p=${p} exceed the limits (memory ${MAX_SCRYPT_MEMORY >> 20} MiB, N*r*p ${MAX_SCRYPT_WORK})`);
  }
}

function deriveUserKey(password: string, salt: Buffer, k: KdfParams): Promise<ResticKey> {
  return new Promise((resolve, reject) => {
    // Node's default maxmem (32 MiB) is below what N=32768, r=8 needs.
    scrypt(Buffer.from(password, 'utf8'), salt, 64, { N: k.N, r: k.r, p: k.p, maxmem: MAX_SCRYPT_MEMORY + (1 << 20) }, (err, out) => {
      if (err) reject(new VixError(VIX_E_FILE_ERROR, `scrypt failed: ${err.message}`));
      else resolve(keyFromBytes(out));
    });
  });
}

/** Write a new key file wrapping `master` under `password`; returns its ID. */
export async function addKey(backend: Backend, master: ResticKey, password: string, params: KdfParams = DEFAULT_KDF): Promise<string> {
  checkParams(params, 'new key');
  const salt = randomBytes(SALT_SIZE);
  const user = await deriveUserKey(password, salt, params);
  let username = '';
  try {
    username = userInfo().username;
  } catch {
    // no passwd entry for this uid: restic leaves the field empty too
  }
  const file: KeyFileJson = {
    created: new Date().toISOString(),
    username,
    hostname: hostname(),
    kdf: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString('base64'),
    data: seal(user, Buffer.from(keyToJson(master))).toString('base64'),
  };
  const bytes = Buffer.from(JSON.stringify(file));
  const id = hashId(bytes);
  await backend.save('key', id, bytes);
  return id;
}

/** Parse and check a key file; the parameters are bounded before any scrypt runs. */
function parseKeyFile(bytes: Buffer, what: string): { salt: Buffer; params: KdfParams; data: Buffer } {
  if (bytes.length > MAX_KEY_FILE) throw new VixError(VIX_E_FILE_ERROR, `${what}: key file is too large`);
  const o = parseJson(bytes.toString('utf8'), what) as Partial<KeyFileJson> | null;
  if (!o || typeof o !== 'object' || o.kdf !== 'scrypt' || typeof o.salt !== 'string' || typeof o.data !== 'string') {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: not a restic scrypt key file`);
  }
  const params = { N: Number(o.N), r: Number(o.r), p: Number(o.p) };
  checkParams(params, what);
  const salt = Buffer.from(o.salt, 'base64');
  if (salt.length !== SALT_SIZE) throw new VixError(VIX_E_FILE_ERROR, `${what}: salt must be ${SALT_SIZE} bytes`);
  return { salt, params, data: Buffer.from(o.data, 'base64') };
}

/**
 * Find the key file `password` opens and return the master key it wraps. A MAC failure means "not
 * this key" (restic SearchKey); when none opens, one line says the password is wrong.
 */
export async function searchKey(backend: Backend, password: string): Promise<{ keyId: string; master: ResticKey }> {
  const keys = await backend.list('key');
  let firstError: VixError | undefined;
  for (const { name } of keys) {
    const what = `key ${name.slice(0, 8)}`;
    try {
      const k = parseKeyFile(await backend.load('key', name), what);
      const user = await deriveUserKey(password, k.salt, k.params);
      if (!verify(user, k.data)) continue;
      return { keyId: name, master: keyFromJson(open(user, k.data, what).toString('utf8'), what) };
    } catch (e) {
      if (!(e instanceof VixError)) throw e;
      firstError ??= e;
    }
  }
  if (keys.length === 0) throw new VixError(VIX_E_FILE_ERROR, `${backend.location}: no key files found: is this a restic repository?`);
  if (firstError) throw firstError;
  throw new VixError(VIX_E_AUTHENTICATION_FAIL, `${backend.location}: wrong password or no key found`);
}
