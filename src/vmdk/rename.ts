import { constants as fsConstants } from 'node:fs';
import { copyFile, link as hardLink, open, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ALREADY_EXISTS, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { findChildren, type FoundChild } from './children.js';
import type { ExtentLine } from './descriptor.js';
import { locateParent } from './disk.js';
import type { DiskLock } from '../block/disk-lock.js';
import { Confinement } from './confinement.js';
import { exists, readLinkFiles, saveLinkDescriptor, verifyExtentFiles } from './link-files.js';
import { withLinkWriterLock } from './link-lock.js';
import { asidePath, publishNewFile, syncFolder } from './replace-file.js';

// VixDiskLib_Rename: move every file of one link to a new name, and rewrite the descriptor's extent
// names (in a monolithic sparse file, the embedded descriptor's extent line too). Extent files
// named after the disk follow it (disk-s001.vmdk -> new-s001.vmdk); others keep their name and move
// to the new folder. An extent in a subfolder stays there when the disk stays in its folder, and
// moves beside the new descriptor when the disk moves to another folder (so its name stays inside).
// Only extents of the kind their line says, confined to the disk's folder, are moved. A relative
// parentFileNameHint is recomputed when the folder changes; children found in `updateChildrenIn`
// get their parentFileNameHint pointed at the new name (their CIDs and the disk's CID are
// unchanged, so the chain stays valid).
//
// Crash safety: the new names are made as hard links to the same files first (a copy when the
// file system cannot link), then the new descriptor is written, then the children's hints, and
// only then are the old names removed. Killed at any point, either the old descriptor and all its
// extents exist, or the new one and all of its, or both.

export interface RenameOptions {
  /** Folders and/or files to look in for children of this disk whose hint must follow the rename. */
  updateChildrenIn?: string | string[];
  allowOutsidePaths?: boolean;
}

export interface RenameResult {
  /** Each file moved, from and to (absolute paths). */
  moved: Array<{ from: string; to: string }>;
  /** Children whose parentFileNameHint was updated. */
  childrenUpdated: string[];
}

function stem(path: string): string {
  const b = basename(path);
  return b.toLowerCase().endsWith('.vmdk') ? b.slice(0, -5) : b;
}

export async function renameDisk(src: string, dst: string, options: RenameOptions = {}): Promise<RenameResult> {
  const srcAbs = resolve(src);
  const dstAbs = resolve(dst);
  if (srcAbs === dstAbs) throw new VixError(VIX_E_INVALID_ARG, `cannot rename ${srcAbs} to itself`);
  return withLinkWriterLock(srcAbs, options, (lock) => renameLocked(srcAbs, dstAbs, options, lock));
}

/** The rename, under the writer lock of the old names; the new names and the children join it. */
async function renameLocked(srcAbs: string, dstAbs: string, options: RenameOptions, lock: DiskLock): Promise<RenameResult> {
  const lf = await readLinkFiles(srcAbs, { allowOutsidePaths: options.allowOutsidePaths });
  await verifyExtentFiles(lf);
  const srcFolder = dirname(srcAbs);
  const dstFolder = dirname(dstAbs);
  // Extent paths are real paths (confinement.ts); their new places are judged on real folders too.
  const from = lf.confinement;
  const into = await Confinement.of(dstAbs, options.allowOutsidePaths);
  const sameFolder = from.realFolder === into.realFolder;
  const oldStem = stem(srcAbs);
  const newStem = stem(dstAbs);

  // Where each file goes, and what the descriptor calls it afterwards.
  const moves = new Map<string, string>([[srcAbs, dstAbs]]);
  const newLines: ExtentLine[] = [];
  for (const e of lf.extents) {
    if (!e.path) {
      newLines.push(e.line);
      continue;
    }
    if (e.path === srcAbs) {
      newLines.push({ ...e.line, fileName: basename(dstAbs) });
      continue;
    }
    // Beside the descriptor: follows it, renamed after it. In a subfolder: stays when the folder
    // does, else moves beside the new descriptor (a name climbing back with ../ would be refused).
    const beside = dirname(e.path) === from.realFolder || (from.holds(e.path) && !sameFolder);
    let to = moves.get(e.path);
    if (!to) {
      if (beside) {
        const b = basename(e.path);
        to = join(into.realFolder, b.startsWith(oldStem) ? newStem + b.slice(oldStem.length) : b);
      } else {
        to = e.path; // a subfolder extent of a rename in place, or an extent allowed outside the folder
      }
      if (to !== e.path) moves.set(e.path, to);
    }
    const fileName = beside ? basename(to)
      : from.holds(e.path) ? e.line.fileName!
      : isAbsolute(e.line.fileName!) ? e.path : relative(dstFolder, e.path);
    newLines.push({ ...e.line, fileName });
  }
  const targets = [...moves.values()];
  if (new Set(targets).size !== targets.length) {
    throw new VixError(VIX_E_INVALID_ARG, `renaming ${srcAbs} to ${dstAbs} would give two files the same name`);
  }
  await lock.add(...targets);
  for (const to of targets) {
    if (await exists(to)) throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${to} already exists`);
  }

  const d = lf.descriptor;
  if (d) {
    d.extents = newLines;
    const hint = d.parentFileNameHint;
    if (hint && !isAbsolute(hint.replace(/\\/g, '/')) && !/^[A-Za-z]:[\\/]/.test(hint) && srcFolder !== dstFolder) {
      const parent = await locateParent(srcFolder, hint);
      if (parent) d.set('parentFileNameHint', hintFor(dstFolder, parent, false));
    }
  }
  const children: FoundChild[] = options.updateChildrenIn !== undefined ? await findChildren(srcAbs, options.updateChildrenIn) : [];
  await lock.add(...children.map((c) => c.link.path));

  const made: string[] = [];
  try {
    // 1. New names for the extent files (and the monolithic file), same data.
    for (const [file, to] of moves) {
      if (file === srcAbs && lf.place.kind === 'file') continue;
      await from.recheck(file);
      await into.recheck(to);
      await linkOrCopy(file, to);
      made.push(to);
    }
    // 2. The new descriptor.
    if (d && lf.place.kind === 'file') {
      const tmp = asidePath(dstAbs, 'rename');
      const fh = await open(tmp, 'wx', (await stat(srcAbs)).mode & 0o7777);
      try {
        await fh.writeFile(d.toBytes());
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await publishNewFile(tmp, dstAbs).catch(async (err) => { await rm(tmp, { force: true }); throw err; });
      made.push(dstAbs);
    } else if (d && lf.place.kind === 'embedded') {
      await saveLinkDescriptor({ ...lf, path: dstAbs }, d);
    }
  } catch (err) {
    await Promise.all(made.map((p) => rm(p, { force: true })));
    throw toVixError(err, dstAbs);
  }
  // 3. Children follow.
  const childrenUpdated: string[] = [];
  for (const c of children) {
    const cd = c.link.descriptor!;
    const childFolder = dirname(c.link.path);
    cd.set('parentFileNameHint', hintFor(childFolder, dstAbs, isAbsolute(c.hint.replace(/\\/g, '/')) || /^[A-Za-z]:[\\/]/.test(c.hint)));
    await saveLinkDescriptor(c.link, cd);
    childrenUpdated.push(c.link.path);
  }
  // 4. The old names go, descriptor first.
  const old = [srcAbs, ...[...moves.keys()].filter((p) => p !== srcAbs)];
  for (const p of old) {
    await from.recheck(p);
    await rm(p, { force: true });
  }
  // A moved extent named through a symlink inside the folder: the name would now lead nowhere.
  for (const e of lf.extents) {
    if (!e.symlink || !e.path || !moves.has(e.path)) continue;
    await from.recheck(e.symlink);
    await rm(e.symlink, { force: true });
  }
  await syncFolder(srcFolder);
  return { moved: [...moves].map(([from, to]) => ({ from, to })), childrenUpdated };
}

/** A parent hint as createChild writes it: relative to the child's folder unless that climbs out. */
function hintFor(childFolder: string, parentPath: string, absolute: boolean): string {
  if (absolute) return parentPath;
  const rel = relative(childFolder, parentPath);
  return rel.startsWith('..') || isAbsolute(rel) ? parentPath : rel;
}

/** A second name for `from` (a hard link), or a synced copy where the file system has no links. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await hardLink(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${to} already exists`);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw toVixError(err, to);
    const tmp = asidePath(to, 'copy');
    try {
      await copyFile(from, tmp, fsConstants.COPYFILE_EXCL);
      const fh = await open(tmp, 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await publishNewFile(tmp, to);
    } catch (e) {
      await rm(tmp, { force: true });
      throw toVixError(e, to);
    }
  }
  await syncFolder(dirname(to));
}
