// Snapshots (design.rst "Snapshots", restic internal/restic/snapshot.go): compact JSON without a
// trailing newline, fields in restic 0.14's struct order, empty ones omitted. The ID (SHA-256 of
// the stored file) is not part of the JSON; `restic snapshots --json` adds it when printing.

import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import { isId } from './id.js';

export interface Snapshot {
  time: string;
  parent?: string;
  tree: string;
  paths: string[];
  hostname?: string;
  username?: string;
  uid?: number;
  gid?: number;
  excludes?: string[];
  tags?: string[];
  original?: string;
}

/** A snapshot as read back, with the ID of the file it came from. */
export interface StoredSnapshot extends Snapshot {
  id: string;
}

export function encodeSnapshot(s: Snapshot): string {
  const o: Record<string, unknown> = { time: s.time };
  if (s.parent) o.parent = s.parent;
  o.tree = s.tree;
  o.paths = s.paths;
  if (s.hostname) o.hostname = s.hostname;
  if (s.username) o.username = s.username;
  if (s.uid) o.uid = s.uid;
  if (s.gid) o.gid = s.gid;
  if (s.excludes?.length) o.excludes = s.excludes;
  if (s.tags?.length) o.tags = s.tags;
  if (s.original) o.original = s.original;
  return JSON.stringify(o);
}

export function decodeSnapshot(parsed: unknown, id: string): StoredSnapshot {
  const o = parsed as Partial<Snapshot> | null;
  if (!o || typeof o.time !== 'string' || typeof o.tree !== 'string' || !isId(o.tree) || !Array.isArray(o.paths)) {
    throw new VixError(VIX_E_FILE_ERROR, `snapshot ${id.slice(0, 8)}: invalid snapshot`);
  }
  return { ...o, id } as StoredSnapshot;
}
