// Index files (design.rst "Indexing"): which blobs each pack holds and where. JSON, one compact
// line plus "\n" as Go's json.Encoder writes it; sealed like every unpacked file.
// {"supersedes":[...],"packs":[{"id","blobs":[{"id","type","offset","length","uncompressed_length"}]}]}

import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import { isId } from './id.js';
import type { BlobType, PackedBlob } from './pack.js';

export interface IndexPack {
  id: string;
  blobs: PackedBlob[];
}

export function encodeIndex(packs: IndexPack[]): string {
  return JSON.stringify({
    packs: packs.map((p) => ({
      id: p.id,
      blobs: p.blobs.map((b) => (b.uncompressedLength > 0
        ? { id: b.id, type: b.type, offset: b.offset, length: b.length, uncompressed_length: b.uncompressedLength }
        : { id: b.id, type: b.type, offset: b.offset, length: b.length })),
    })),
  }) + '\n';
}

function u32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/**
 * Parse an index (also the pre-0.8 form, a bare array of packs) and call `onBlob` for each entry,
 * so the caller can store entries compactly without building objects for them all.
 */
export function decodeIndex(parsed: unknown, what: string, onBlob: (packId: string, b: PackedBlob) => void): { supersedes: string[] } {
  const bad = (why: string) => new VixError(VIX_E_FILE_ERROR, `${what}: invalid index (${why})`);
  const o = parsed as { packs?: unknown; supersedes?: unknown } | unknown[] | null;
  const packs = Array.isArray(o) ? o : o && typeof o === 'object' ? o.packs : undefined;
  if (!Array.isArray(packs)) throw bad('no pack list');
  for (const p of packs as Array<{ id?: unknown; blobs?: unknown }>) {
    if (!p || typeof p.id !== 'string' || !isId(p.id) || !Array.isArray(p.blobs)) throw bad('pack entry');
    for (const b of p.blobs as Array<Record<string, unknown>>) {
      const ulen = b?.uncompressed_length ?? 0;
      if (!b || typeof b.id !== 'string' || !isId(b.id) || (b.type !== 'data' && b.type !== 'tree')
        || !u32(b.offset) || !u32(b.length) || !u32(ulen)) throw bad('blob entry');
      onBlob(p.id, { type: b.type as BlobType, id: b.id, offset: b.offset, length: b.length, uncompressedLength: ulen });
    }
  }
  const sup = !Array.isArray(o) && o && Array.isArray(o.supersedes) ? o.supersedes.filter((s): s is string => typeof s === 'string') : [];
  return { supersedes: sup };
}
