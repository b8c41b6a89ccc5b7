import { readFile } from 'node:fs/promises';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';

/**
 * A TLS pre-shared key file as GnuTLS's psktool writes it (and nbdkit, qemu and libnbd read it):
 * one `identity:hexkey` per line.
 */
export async function readPskFile(path: string): Promise<Map<string, Buffer>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw toVixError(err, path);
  }
  return parsePskFile(text, path);
}

export function parsePskFile(text: string, what = 'PSK file'): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.lastIndexOf(':');
    const hex = line.slice(colon + 1);
    if (colon <= 0 || !/^([0-9a-fA-F]{2})+$/.test(hex)) {
      throw new VixError(VIX_E_INVALID_ARG, `${what} line ${i + 1} is not "identity:hexkey"`);
    }
    keys.set(line.slice(0, colon), Buffer.from(hex, 'hex'));
  }
  if (keys.size === 0) throw new VixError(VIX_E_INVALID_ARG, `${what} holds no keys`);
  return keys;
}
