import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';

// Sizes on the command line, as qemu-img takes them: a number with an optional binary suffix
// (K, M, G, T, P, E; "KiB" and "KB" mean the same 1024), plain digits meaning bytes.

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** Parse "10G", "512M", "1.5T", "100K" or "4096" into a number of bytes. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtpe]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) {
    throw new VixError(VIX_E_INVALID_ARG, `${what} "${text}" is not a size (bytes, or a number with K, M, G or T)`);
  }
  const bytes = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes)) {
    throw new VixError(VIX_E_INVALID_ARG, `${what} "${text}" is not a whole number of bytes below 2^53`);
  }
  return bytes;
}

/** A byte count for people: "64 MiB", "1.5 GiB", "512 bytes". */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  if (i === 0) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const text = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
  return `${text} ${units[i]}`;
}
