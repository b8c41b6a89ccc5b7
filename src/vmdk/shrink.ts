import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_CANTSHRINK } from '../errors/error-codes.js';
import { findChildren } from './children.js';
import { Confinement } from './confinement.js';
import { VmdkLink } from './link.js';
import { withLinkWriterLock } from './link-lock.js';
import { SparseExtent } from './sparse-extent.js';
import { rewriteLinkExtents, type RewriteResult } from './sparse-rewrite.js';

// VixDiskLib_Shrink: give back the space of a hosted sparse disk. Grains that hold only zeros
// become unallocated, and each extent file is rewritten (aside, then renamed over; see
// sparse-rewrite.ts) in guest order with no unreferenced or dead space.
//
// Refused with VIX_E_DISK_CANTSHRINK (16009, "cannot be shrunk because it is not the parent disk"):
//  - a disk that is not hosted sparse (flat, VMFS, ...) or is streamOptimized (already compact);
//  - a link with a parent: a zero grain there hides the parent's data, so dropping it would change
//    what the disk reads (VDDK shrinks only the base of a chain);
//  - a disk that has children among `childrenIn`: a file cannot know its children, so the caller
//    names folders (every .vmdk in them) or descriptor files to look in; any link there whose
//    parentFileNameHint resolves to this disk refuses the shrink (VDDK refuses disks with children).

export interface ShrinkOptions {
  onProgress?: (percent: number) => void;
  /** Folders and/or files where children of this disk may be; a child found refuses the shrink. */
  childrenIn?: string | string[];
  allowOutsidePaths?: boolean;
}

export type ShrinkResult = RewriteResult;

export async function shrinkDisk(path: string, options: ShrinkOptions = {}): Promise<ShrinkResult> {
  return withLinkWriterLock(path, options, () => shrinkLocked(path, options));
}

async function shrinkLocked(path: string, options: ShrinkOptions): Promise<ShrinkResult> {
  const link = await VmdkLink.open(path, { readOnly: true, lock: false, allowOutsidePaths: options.allowOutsidePaths });
  try {
    const extents = sparseExtentsOf(link, (why) => new VixError(VIX_E_DISK_CANTSHRINK, `${link.path} cannot be shrunk: ${why}`));
    const hint = link.descriptor.parentFileNameHint;
    if (hint) {
      throw new VixError(VIX_E_DISK_CANTSHRINK,
        `${link.path} cannot be shrunk: it is a child of "${hint}" (only the base disk of a chain can be shrunk; zero grains there hide the parent's data)`);
    }
    if (options.childrenIn !== undefined) {
      const children = await findChildren(link.path, options.childrenIn);
      if (children.length) {
        throw new VixError(VIX_E_DISK_CANTSHRINK,
          `${link.path} cannot be shrunk: it has ${children.length === 1 ? 'a child' : 'children'} (${children.map((c) => c.link.path).join(', ')})`);
      }
    }
    const confinement = await Confinement.of(link.path, options.allowOutsidePaths);
    return await rewriteLinkExtents(extents, confinement, true, options.onProgress);
  } finally {
    await link.close();
  }
}

/** The sparse extents of a link; `refuse(why)` makes the error when the link is not hosted sparse. */
export function sparseExtentsOf(link: VmdkLink, refuse: (why: string) => VixError): Array<{ path: string; io: SparseExtent }> {
  const out: Array<{ path: string; io: SparseExtent }> = [];
  for (const e of link.extents) {
    if (e.line.type === 'ZERO') continue;
    if (e.line.type !== 'SPARSE' || !(e.io instanceof SparseExtent) || !e.path) {
      throw refuse(`it is not a hosted sparse disk (${link.descriptor.createType}, ${e.line.type} extent)`);
    }
    if (e.io.isCompressed) throw refuse('it is streamOptimized (compressed grains are already compact)');
    out.push({ path: e.path, io: e.io });
  }
  if (out.length === 0) throw refuse('it has no sparse extent');
  return out;
}
