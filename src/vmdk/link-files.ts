import { lstat, open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { readAt, writeAt } from '../block/file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVAL, VIX_E_DISK_INVALIDDISK } from '../errors/error-codes.js';
import { Descriptor, MAX_DESCRIPTOR_BYTES, type ExtentLine } from './descriptor.js';
import { Confinement } from './confinement.js';
import { selfExtent } from './link.js';
import { writeFileReplacing } from './replace-file.js';
import { COWD_MAGIC } from './cowd-header.js';
import { SESPARSE_MAGIC } from './sesparse-header.js';
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
  /** Real path of the extent's file (symlinks resolved, confined); absent for ZERO extents. */
  path?: string;
  /** The name the descriptor gives, when it is a symlink (inside the folder) to `path`. */
  symlink?: string;
}

export interface LinkFiles {
  /** Absolute path of the link (its descriptor file, or its monolithic sparse file). */
  path: string;
  /** The disk's folder, which every extent path was confined to; maintenance rechecks through it. */
  confinement: Confinement;
  /** The descriptor; null for a bare sparse extent that carries none. */
  descriptor: Descriptor | null;
  place: DescriptorPlace;
  extents: LinkFileExtent[];
  /** Every file of the link, the descriptor first, each once. */
  files: string[];
}

export async function readLinkFiles(path: string, options: { allowOutsidePaths?: boolean } = {}): Promise<LinkFiles> {
  const abs = resolve(path);
  const confinement = await Confinement.of(abs, options.allowOutsidePaths ?? false);
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
        return { path: abs, confinement, descriptor, place, extents: [{ line, path: abs }], files: [abs] };
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
    const extents: LinkFileExtent[] = [];
    for (const line of descriptor.extents) {
      if (line.type === 'ZERO' || line.fileName === undefined) {
        extents.push({ line });
        continue;
      }
      const extentPath = await confinement.extentPath(line.fileName);
      const es = await stat(extentPath).catch(() => null);
      if (es && es.dev === st.dev && es.ino === st.ino) throw selfExtent(abs, line);
      const named = resolve(confinement.folder, line.fileName.replace(/\\/g, '/'));
      const isLink = named !== extentPath && (await lstat(named).catch(() => null))?.isSymbolicLink();
      extents.push({ line, path: extentPath, ...(isLink ? { symlink: named } : {}) });
    }
    const files = [abs];
    for (const e of extents) if (e.path && !files.includes(e.path)) files.push(e.path);
    return { path: abs, confinement, descriptor, place, extents, files };
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

/**
 * Make sure each extent file of `link` is what its descriptor line says, before maintenance acts
 * on it: SPARSE a hosted sparse ('KDMV', or 'COWD' in old descriptors), VMFSSPARSE a redo log
 * ('COWD', or 'KDMV' as QEMU accepts), SESPARSE a seSparse header, FLAT and VMFS a file at least as
 * long as the line claims. Anything else (a sibling the descriptor happens to name) is refused
 * with VIX_E_DISK_INVALIDDISK, nothing touched. Each file is rechecked against the confinement
 * on the way. A missing extent is left to the operation (rm tolerates it, others fail on it).
 */
export async function verifyExtentFiles(link: LinkFiles): Promise<void> {
  for (const e of link.extents) {
    if (!e.path || e.path === link.path) continue;
    if (!(await exists(e.path))) continue;
    const fh = await link.confinement.open(e.path, 'r').catch((err) => { throw toVixError(err, e.path); });
    try {
      const st = await fh.stat();
      const head = new Uint8Array(8);
      const n = await readAt(fh, head, 0);
      const view = new DataView(head.buffer);
      const magic = n >= 4 ? view.getUint32(0, true) : 0;
      const type = e.line.type;
      let expected: string | null = null;
      if (type === 'SPARSE' || type === 'VMFSSPARSE') {
        if (magic !== SPARSE_MAGIC && magic !== COWD_MAGIC) expected = 'a sparse extent (no \'KDMV\' or \'COWD\' header)';
      } else if (type === 'SESPARSE') {
        if (n < 8 || view.getBigUint64(0, true) !== SESPARSE_MAGIC) expected = 'a seSparse extent (no seSparse header)';
      } else if (type === 'FLAT' || type === 'VMFS') {
        const need = ((e.line.offsetSectors ?? 0) + e.line.sizeSectors) * SECTOR;
        if (st.size < need) expected = `a flat extent of ${need} bytes (the file has ${st.size})`;
      }
      if (expected) {
        throw new VixError(VIX_E_DISK_INVALIDDISK, `${link.path}: ${e.path} is not ${expected}, as its ${type} extent line says; refused, nothing changed`);
      }
    } finally {
      await fh.close();
    }
  }
}
