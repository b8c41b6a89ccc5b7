import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { locateParent } from './disk.js';
import { readLinkFiles, type LinkFiles } from './link-files.js';

// A disk does not know its children: a child names its parent (parentFileNameHint), never the other
// way round. The maintenance functions that must know (shrink refuses a disk with children; rename
// updates the children's hints) look for them where the caller says: folders to scan (every .vmdk
// file in them, not recursively) or descriptor files.

export interface FoundChild {
  /** The child link's own files and descriptor. */
  link: LinkFiles;
  /** Its parentFileNameHint as written. */
  hint: string;
}

/** Links among `where` (folders and/or files) whose parentFileNameHint resolves to `diskPath`. */
export async function findChildren(diskPath: string, where: string | string[]): Promise<FoundChild[]> {
  const target = await realpath(resolve(diskPath));
  const candidates: string[] = [];
  for (const w of Array.isArray(where) ? where : [where]) {
    const abs = resolve(w);
    const st = await stat(abs).catch(() => null);
    if (!st) continue;
    if (st.isDirectory()) {
      for (const name of await readdir(abs)) {
        if (name.toLowerCase().endsWith('.vmdk') && !name.startsWith('.')) candidates.push(join(abs, name));
      }
    } else {
      candidates.push(abs);
    }
  }
  const out: FoundChild[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const real = await realpath(c).catch(() => null);
    if (!real || real === target || seen.has(real)) continue;
    seen.add(real);
    let link: LinkFiles;
    try {
      link = await readLinkFiles(c);
    } catch {
      continue; // an extent file or something that is not a disk
    }
    const hint = link.descriptor?.parentFileNameHint;
    if (!hint) continue;
    const parent = await locateParent(resolve(c, '..'), hint);
    if (!parent) continue;
    if (await realpath(parent).catch(() => null) === target) out.push({ link, hint });
  }
  return out;
}
