import { open, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { readAt, writeAt } from '../block/file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVAL, VIX_E_DISK_INVALIDDISK } from '../errors/error-codes.js';
import { Descriptor, MAX_DESCRIPTOR_BYTES, type ExtentLine } from './descriptor.js';
import { resolveExtentPath } from './link.js';
import { writeFileReplacing } from './replace-file.js';
import { decodeSparseHeader, SECTOR, SPARSE_MAGIC } from './sparse-header.js';

// The files of one link and its descriptor, read without opening (or validating) its extents:
// what the maintenance functions need to rename, delete, repair or edit a link whose extents may be
// damaged or missing. Opening for I/O stays VmdkLink's job.

export type DescriptorPlace =
  | { kind: 'file' }
  | { kind: 'embedded'; offsetBytes: number; sizeBytes: number }
  | { kind: 'none' };

export interface LinkFileExtent {
  line: ExtentLine;
  /** Resolved path of the extent's file; absent for ZERO extents. */
  path?: string;
}

export interface LinkFiles {
  /** Absolute path of the link (its descriptor file, or its monolithic sparse file). */
  path: string;
  /** The descriptor; null for a bare sparse extent that carries none. */
  descriptor: Descriptor | null;
  place: DescriptorPlace;
  extents: LinkFileExtent[];
  /** Every file of the link, the descriptor first, each once. */
  files: string[];
}

export async function readLinkFiles(path: string, options: { allowOutsidePaths?: boolean } = {}): Promise<LinkFiles> {
  const abs = resolve(path);
  let fh;
  try {
    fh = await open(abs, 'r');
  } catch (err) {
    throw toVixError(err, abs);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs} is not a file`);
    const head = new Uint8Array(Math.min(st.size, SECTOR));
    await readAt(fh, head, 0);
    const magic = head.length >= 4 ? new DataView(head.buffer).getUint32(0, true) : 0;
    let descriptor: Descriptor | null = null;
    let place: DescriptorPlace = { kind: 'none' };
    if (magic === SPARSE_MAGIC) {
      const header = decodeSparseHeader(head, abs);
      const offsetBytes = header.descriptorOffsetSectors * SECTOR;
      const sizeBytes = header.descriptorSizeSectors * SECTOR;
      if (offsetBytes > 0 && sizeBytes > 0 && sizeBytes <= MAX_DESCRIPTOR_BYTES && offsetBytes + sizeBytes <= st.size) {
        const text = new Uint8Array(sizeBytes);
        await readAt(fh, text, offsetBytes);
        if (Descriptor.looksLikeDescriptor(text)) {
          descriptor = Descriptor.parse(text);
          place = { kind: 'embedded', offsetBytes, sizeBytes };
        }
      }
      if (!descriptor || (header.capacitySectors > 0 && descriptor.extents.length === 1 && descriptor.extents[0]!.type === 'SPARSE')) {
        // A monolithic file: its extent is the file itself, whatever name the embedded line gives.
        const line: ExtentLine = descriptor?.extents[0] ?? { access: 'RW', sizeSectors: header.capacitySectors, type: 'SPARSE', fileName: basename(abs) };
        return { path: abs, descriptor, place, extents: [{ line, path: abs }], files: [abs] };
      }
    } else {
      if (st.size > MAX_DESCRIPTOR_BYTES || !Descriptor.looksLikeDescriptor(head)) {
        throw new VixError(VIX_E_DISK_INVALIDDISK, `${abs} is not a virtual disk (no sparse header and no descriptor)`);
      }
      const text = new Uint8Array(st.size);
      await readAt(fh, text, 0);
      descriptor = Descriptor.parse(text);
      place = { kind: 'file' };
    }
    const folder = dirname(abs);
    const extents: LinkFileExtent[] = descriptor.extents.map((line) => line.type === 'ZERO' || line.fileName === undefined
      ? { line }
      : { line, path: resolveExtentPath(folder, line.fileName, options.allowOutsidePaths ?? false, abs) });
    const files = [abs];
    for (const e of extents) if (e.path && !files.includes(e.path)) files.push(e.path);
    return { path: abs, descriptor, place, extents, files };
  } finally {
    await fh.close();
  }
}

/**
 * Write `descriptor` back where the link keeps it: in place within its reserved area when embedded
 * (refused, with nothing written, when the text no longer fits), atomically when a separate file.
 */
export async function saveLinkDescriptor(link: LinkFiles, descriptor: Descriptor): Promise<void> {
  const bytes = descriptor.toBytes();
  if (link.place.kind === 'file') {
    await writeFileReplacing(link.path, bytes);
  } else if (link.place.kind === 'embedded') {
    const { offsetBytes, sizeBytes } = link.place;
    // One byte at least stays NUL: QEMU and our reader stop at the first NUL.
    if (bytes.length >= sizeBytes) {
      throw new VixError(VIX_E_DISK_INVAL,
        `${link.path}: the descriptor (${bytes.length} bytes) would not fit in its embedded ${sizeBytes}-byte area`);
    }
    const area = new Uint8Array(sizeBytes);
    area.set(bytes);
    const fh = await open(link.path, 'r+');
    try {
      await writeAt(fh, area, offsetBytes);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } else {
    throw new VixError(VIX_E_DISK_INVAL, `${link.path} is a bare sparse extent with no descriptor to write`);
  }
}

/** Whether `path` exists (any kind of file). */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
