// The repository config (design.rst "Repository Layout", restic internal/restic/config.go): sealed
// with the master key and, even in v2, never compressed. {"version","id","chunker_polynomial"}.

import { randomBytes } from 'node:crypto';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR, VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import type { Backend } from './backend.js';
import { open, seal, type ResticKey } from './crypto.js';
import { randomPolynomial, validPolynomialHex } from './polynomial.js';
import { parseJson } from './unpacked.js';

export interface RepoConfig {
  version: number;
  id: string;
  chunker_polynomial: string;
}

export function newConfig(version = 2): RepoConfig {
  return { version, id: randomBytes(32).toString('hex'), chunker_polynomial: randomPolynomial().toString(16) };
}

export async function saveConfig(backend: Backend, key: ResticKey, cfg: RepoConfig): Promise<void> {
  const text = JSON.stringify({ version: cfg.version, id: cfg.id, chunker_polynomial: cfg.chunker_polynomial });
  await backend.save('config', 'config', seal(key, Buffer.from(text)));
}

export async function loadConfig(backend: Backend, key: ResticKey): Promise<RepoConfig> {
  const raw = await backend.load('config', 'config');
  if (raw.length > 64 * 1024) throw new VixError(VIX_E_FILE_ERROR, `${backend.location}: config file is too large`);
  const o = parseJson(open(key, raw, 'config').toString('utf8'), 'config') as Partial<RepoConfig> | null;
  if (!o || typeof o.version !== 'number' || typeof o.id !== 'string' || typeof o.chunker_polynomial !== 'string') {
    throw new VixError(VIX_E_FILE_ERROR, 'config: not a restic repository config');
  }
  if (o.version !== 1 && o.version !== 2) {
    throw new VixError(VIX_E_NOT_SUPPORTED, `config: repository version ${o.version} is not supported (1 and 2 are)`);
  }
  if (!validPolynomialHex(o.chunker_polynomial)) throw new VixError(VIX_E_FILE_ERROR, 'config: invalid chunker polynomial');
  return { version: o.version, id: o.id, chunker_polynomial: o.chunker_polynomial };
}
