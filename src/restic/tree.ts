// Trees and nodes (design.rst "Trees and Data", restic internal/restic/node.go): a tree blob is
// {"nodes":[...]} + "\n", nodes sorted by the bytes of their UTF-8 names. Fields are written in the
// order of restic 0.14's Node struct, empty ones omitted as its omitempty tags say, so restic sees
// exactly the shape it writes itself. The tree ID is the SHA-256 of these bytes, so the encoding is
// deterministic: the same directory encodes to the same tree and dedups.

import { VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { goQuote, goUnquote } from './go-quote.js';
import { isId } from './id.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket';

/** One entry of a tree, in restic's words (times RFC 3339, ids as hex). */
export interface Node {
  name: string;
  type: NodeType;
  /** Go os.FileMode: permission bits plus Go's type flags (see MODE_DIR...). */
  mode?: number;
  mtime?: string;
  atime?: string;
  ctime?: string;
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  inode?: number;
  device_id?: number;
  size?: number;
  links?: number;
  linktarget?: string;
  extended_attributes?: Array<{ name: string; value: string }>;
  device?: number;
  /** Data blob IDs in file order; null for everything but files. */
  content: string[] | null;
  subtree?: string;
  error?: string;
}

// Go os.FileMode type bits (restic stores Go's mode, not POSIX st_mode).
export const MODE_DIR = 2 ** 31;
export const MODE_SYMLINK = 2 ** 27;
export const MODE_DEVICE = 2 ** 26;
export const MODE_NAMED_PIPE = 2 ** 25;
export const MODE_SOCKET = 2 ** 24;
export const MODE_CHAR_DEVICE = 2 ** 21;

/** Go's zero time, which restic writes for an unset timestamp. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const NODE_TYPES = new Set(['file', 'dir', 'symlink', 'dev', 'chardev', 'fifo', 'socket']);

function compareNames(a: Node, b: Node): number {
  return Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8'));
}

/** restic's field order and omitempty rules, so our JSON has restic's own shape. */
function nodeJson(n: Node): Record<string, unknown> {
  const o: Record<string, unknown> = { name: goQuote(n.name), type: n.type };
  if (n.mode) o.mode = n.mode;
  o.mtime = n.mtime ?? ZERO_TIME;
  o.atime = n.atime ?? ZERO_TIME;
  o.ctime = n.ctime ?? ZERO_TIME;
  o.uid = n.uid ?? 0;
  o.gid = n.gid ?? 0;
  if (n.user) o.user = n.user;
  if (n.group) o.group = n.group;
  if (n.inode) o.inode = n.inode;
  if (n.device_id) o.device_id = n.device_id;
  if (n.size) o.size = n.size;
  if (n.links) o.links = n.links;
  if (n.linktarget) o.linktarget = n.linktarget;
  if (n.extended_attributes?.length) o.extended_attributes = n.extended_attributes;
  if (n.device) o.device = n.device;
  o.content = n.type === 'file' ? (n.content ?? []) : n.content;
  if (n.subtree) o.subtree = n.subtree;
  if (n.error) o.error = n.error;
  return o;
}

/** The stored bytes of a tree holding `nodes` (sorted here; names must be unique and non-empty). */
export function encodeTree(nodes: Node[]): Buffer {
  const sorted = [...nodes].sort(compareNames);
  for (let i = 0; i < sorted.length; i++) {
    const n = sorted[i];
    if (!n.name || n.name.includes('/')) throw new VixError(VIX_E_INVALID_ARG, `invalid node name "${n.name}"`);
    if (i > 0 && sorted[i - 1].name === n.name) throw new VixError(VIX_E_INVALID_ARG, `duplicate node name "${n.name}"`);
    if (n.type === 'dir' && !(n.subtree && isId(n.subtree))) throw new VixError(VIX_E_INVALID_ARG, `directory "${n.name}" has no subtree`);
  }
  return Buffer.from(JSON.stringify({ nodes: sorted.map(nodeJson) }) + '\n');
}

/** Parse a tree blob's plaintext, undoing restic's name quoting. */
export function decodeTree(plain: Buffer, what: string): Node[] {
  let o: { nodes?: unknown };
  try {
    o = JSON.parse(plain.toString('utf8'));
  } catch (e) {
    throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid tree JSON (${(e as Error).message})`);
  }
  if (!o || !Array.isArray(o.nodes)) throw new VixError(VIX_E_FILE_ERROR, `${what}: not a tree`);
  return o.nodes.map((raw: Partial<Node>) => {
    if (!raw || typeof raw.name !== 'string' || !NODE_TYPES.has(raw.type as string)) {
      throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid node`);
    }
    let name: string;
    try {
      name = goUnquote(raw.name);
    } catch {
      throw new VixError(VIX_E_FILE_ERROR, `${what}: invalid node name`);
    }
    const content = raw.content === undefined ? null : raw.content;
    if (content !== null && (!Array.isArray(content) || !content.every((c) => typeof c === 'string' && isId(c)))) {
      throw new VixError(VIX_E_FILE_ERROR, `${what}: node "${name}" has an invalid content list`);
    }
    return { ...raw, name, content } as Node;
  });
}
