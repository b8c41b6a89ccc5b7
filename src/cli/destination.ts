import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatOfName, type DeviceFormat } from '../device/open-device.js';
import { VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_NOT_FOUND } from '../errors/error-codes.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import type { DiskType } from '../vmdk/create.js';
import { UsageError } from './usage-error.js';

// Making a new disk from the command line (create, convert): the two ways that fails for a new
// user, said in words that tell the way out.

/**
 * What a new disk will be: its name decides (*.vmdk a VMDK, anything else raw, an NBD URI raw
 * blocks) unless the format option (`formatFlag`: convert's -O, create's --format) says otherwise;
 * --type names the VMDK subformat ("raw" meaning a raw image) and must agree, so that the disk
 * made reads back as what it is.
 */
export function destinationType(destination: string, format: DeviceFormat | undefined, type: DiskType | 'raw' | undefined,
  formatFlag: string): DiskType | 'raw' {
  const typeFormat: DeviceFormat | undefined = type === undefined ? undefined : type === 'raw' ? 'raw' : 'vmdk';
  if (isNbdUri(destination)) {
    if (format === 'vmdk' || typeFormat === 'vmdk') throw new UsageError(`an NBD destination takes raw blocks; drop ${formatFlag} vmdk and --type`);
    return 'raw';
  }
  if (format !== undefined && typeFormat !== undefined && format !== typeFormat) {
    throw new UsageError(`${formatFlag} ${format} and --type ${type} disagree`);
  }
  const resolved = format ?? formatOfName(destination);
  if (typeFormat !== undefined && typeFormat !== resolved) {
    throw new UsageError(typeFormat === 'vmdk'
      ? `a ${type} disk is a VMDK: name it *.vmdk, or add ${formatFlag} vmdk (got ${destination})`
      : `${destination} is named as a VMDK: name a raw image otherwise, or add ${formatFlag} raw`);
  }
  return resolved === 'raw' ? 'raw' : type === undefined || type === 'raw' ? 'monolithicSparse' : type;
}

/**
 * Run `make` (which creates the disk at `path`) after checking that its folder exists; a
 * destination that already exists is refused with a message naming --force.
 */
export async function createDestination<T>(path: string, make: () => Promise<T>): Promise<T> {
  const folder = dirname(resolve(path));
  const st = await stat(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw new VixError(VIX_E_FILE_NOT_FOUND, `the destination folder ${folder} does not exist`);
    }
    throw toVixError(err, folder);
  });
  if (!st.isDirectory()) throw new VixError(VIX_E_FILE_NOT_FOUND, `the destination folder ${folder} is not a folder`);
  try {
    return await make();
  } catch (err) {
    const e = toVixError(err, path);
    if (e.code === VIX_E_FILE_ALREADY_EXISTS) throw new VixError(e.code, `${e.message}; add --force to replace it`, { cause: err });
    throw e;
  }
}
