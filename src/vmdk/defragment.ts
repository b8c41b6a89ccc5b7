import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_NOTSUPPORTED } from '../errors/error-codes.js';
import { Confinement } from './confinement.js';
import { VmdkLink } from './link.js';
import { withLinkWriterLock } from './link-lock.js';
import { sparseExtentsOf } from './shrink.js';
import { rewriteLinkExtents, type RewriteResult } from './sparse-rewrite.js';

// VixDiskLib_Defragment: rewrite a hosted sparse disk so its grains lie in guest order, right after
// the metadata, with no dead space (see sparse-rewrite.ts for the aside-then-rename switch). What
// the disk reads is unchanged, holes and zeroed grains included, and so are its CID and
// descriptor: children stay valid, so any link of a chain can be defragmented.
// Refused with VIX_E_DISK_NOTSUPPORTED (16013) for disks that are not hosted sparse (a flat file
// has no grain order to fix) and for streamOptimized (compressed grains are written in order).

export interface DefragmentOptions {
  onProgress?: (percent: number) => void;
  allowOutsidePaths?: boolean;
}

export type DefragmentResult = RewriteResult;

export async function defragmentDisk(path: string, options: DefragmentOptions = {}): Promise<DefragmentResult> {
  return withLinkWriterLock(path, options, () => defragmentLocked(path, options));
}

async function defragmentLocked(path: string, options: DefragmentOptions): Promise<DefragmentResult> {
  const link = await VmdkLink.open(path, { readOnly: true, lock: false, allowOutsidePaths: options.allowOutsidePaths });
  try {
    const extents = sparseExtentsOf(link, (why) => new VixError(VIX_E_DISK_NOTSUPPORTED, `${link.path} cannot be defragmented: ${why}`));
    const confinement = await Confinement.of(link.path, options.allowOutsidePaths);
    return await rewriteLinkExtents(extents, confinement, false, options.onProgress);
  } finally {
    await link.close();
  }
}
