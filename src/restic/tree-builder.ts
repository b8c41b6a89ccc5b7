// Build the nested trees of a snapshot from the paths of its files: ["vm", "disk-0.raw"] gives a
// root tree holding dir "vm" whose subtree holds the file node. Children are saved before their
// parents, so every tree saved names only trees that exist.

import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import type { Repository } from './repository.js';
import { MODE_DIR, type Node } from './tree.js';

export interface TreeEntry {
  /** Path components from the snapshot root; the last one is the node's name. */
  path: string[];
  /** The node (its name is taken from the path). */
  node: Omit<Node, 'name'>;
}

interface Dir {
  files: Node[];
  dirs: Map<string, Dir>;
}

/** Metadata for the directories the builder makes: mode 0755, times of `time`. */
function dirNode(name: string, subtree: string, time: string): Node {
  return { name, type: 'dir', mode: MODE_DIR + 0o755, mtime: time, atime: time, ctime: time, content: null, subtree };
}

/** Save the trees holding `entries`; returns the root tree's ID. */
export async function saveTreeOf(repo: Repository, entries: TreeEntry[], time = new Date().toISOString()): Promise<string> {
  const root: Dir = { files: [], dirs: new Map() };
  for (const e of entries) {
    if (e.path.length === 0) throw new VixError(VIX_E_INVALID_ARG, 'empty path in snapshot tree');
    let d = root;
    for (const part of e.path.slice(0, -1)) {
      let sub = d.dirs.get(part);
      if (!sub) d.dirs.set(part, (sub = { files: [], dirs: new Map() }));
      d = sub;
    }
    d.files.push({ ...e.node, name: e.path[e.path.length - 1] } as Node);
  }
  const save = async (d: Dir): Promise<string> => {
    const nodes = [...d.files];
    for (const [name, sub] of d.dirs) nodes.push(dirNode(name, await save(sub), time));
    return repo.saveTree(nodes);
  };
  return save(root);
}
