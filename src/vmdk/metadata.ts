import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_KEY_NOTFOUND, VIX_E_DISK_NOTSUPPORTED, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import type { Descriptor } from './descriptor.js';
import type { VmdkDisk } from './disk.js';
import { readLinkFiles, saveLinkDescriptor } from './link-files.js';
import { withLinkWriterLock } from './link-lock.js';

// The disk database (DDB) as VixDiskLib_GetMetadataKeys / ReadMetadata / WriteMetadata see it
// (vixdisklib-api 4.8): the top link's `ddb.*` entries, named without the `ddb.` prefix
// (adapterType, geometry.cylinders, uuid, virtualHWVersion, longContentID, ...). Keys are matched
// case-insensitively, as the descriptor's are; a key given with the prefix is not special (it is
// looked up as "ddb.ddb.…"). Writing adds or replaces (a key cannot be removed, only emptied) and
// writes the descriptor back: in place within its reserved area when embedded (a value that would
// overflow the area fails with VIX_E_DISK_INVAL, 16000, and nothing is changed), atomically when
// a separate file.
//
// Each function takes an open disk (what a VixDiskLib handle holds; its in-memory descriptor stays
// the one written) or a path (the link is read and written without opening its extents).

export type MetadataTarget = string | VmdkDisk;

const PREFIX = 'ddb.';
const KEY = /^[A-Za-z0-9_.\-:]+$/;

function keysOf(d: Descriptor): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const k of d.ddbKeys()) {
    const name = k.slice(PREFIX.length);
    if (seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    out.push(name);
  }
  return out;
}

/** The DDB's key names (without `ddb.`), in file order. */
export async function listMetadataKeys(target: MetadataTarget): Promise<string[]> {
  const d = await descriptorOf(target);
  return d ? keysOf(d) : [];
}

/** The value of one key; VIX_E_DISK_KEY_NOTFOUND (16052) when the DDB has no such key. */
export async function readMetadata(target: MetadataTarget, key: string): Promise<string> {
  const d = await descriptorOf(target);
  const v = d?.getDdb(PREFIX + key);
  if (v === undefined) throw new VixError(VIX_E_DISK_KEY_NOTFOUND, `the disk database has no key "${key}"`);
  return v;
}

/** Add or replace one key and write the descriptor back. */
export async function writeMetadata(target: MetadataTarget, key: string, value: string): Promise<void> {
  if (!KEY.test(key)) throw new VixError(VIX_E_INVALID_ARG, `"${key}" is not a valid disk database key`);
  if (/["\r\n\0]/.test(value)) {
    throw new VixError(VIX_E_INVALID_ARG, `the value for "${key}" may not hold quotes, line breaks or NUL characters`);
  }
  const full = PREFIX + key;
  if (typeof target === 'string') {
    await withLinkWriterLock(target, {}, async () => {
      const lf = await readLinkFiles(target);
      if (!lf.descriptor) throw noDescriptor(lf.path);
      lf.descriptor.setDdb(full, value);
      await saveLinkDescriptor(lf, lf.descriptor);
    });
    return;
  }
  const link = target.top;
  if (link.descriptorStorage === 'none') throw noDescriptor(link.path);
  const d = link.descriptor;
  const before = d.getDdb(full);
  d.setDdb(full, value);
  try {
    await link.saveDescriptor();
  } catch (err) {
    // Nothing was written: the in-memory descriptor goes back to what the file holds.
    if (before === undefined) d.deleteDdb(full);
    else d.setDdb(full, before);
    throw err;
  }
}

function noDescriptor(path: string): VixError {
  return new VixError(VIX_E_DISK_NOTSUPPORTED, `${path} is a bare sparse extent with no descriptor to hold metadata`);
}

async function descriptorOf(target: MetadataTarget): Promise<Descriptor | null> {
  if (typeof target !== 'string') return target.top.descriptorStorage === 'none' ? null : target.top.descriptor;
  return (await readLinkFiles(target)).descriptor;
}
