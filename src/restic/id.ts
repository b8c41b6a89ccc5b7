// restic IDs: 32-byte SHA-256 values, written as 64 lowercase hex characters (design.rst "Terminology").

import { createHash } from 'node:crypto';

export const ID_SIZE = 32;

/** SHA-256 of `data` as restic writes IDs: 64 lowercase hex characters. */
export function hashId(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether `s` is a full ID (64 lowercase hex characters); file listings skip every other name. */
export function isId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}

/** The 8-character short form restic prints. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
