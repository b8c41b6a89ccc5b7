import { open, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { BlockDevice } from '../block/block-device.js';
import { readAt } from '../block/file-io.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_INCORRECT_FILE_TYPE } from '../errors/error-codes.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import type { CreateOptions } from '../vmdk/create.js';
import type { DiskOpenOptions } from '../vmdk/disk.js';

// Naming a disk: wherever vixdisk takes a disk, this turns the name into a BlockDevice. The code
// behind each kind of name (the VMDK engine, raw files, the NBD client) is loaded when a name of
// that kind is first opened: `vixdisk convert nbd://… out.raw` never loads the VMDK engine, whose
// modules take longer to load (~25 ms) than a small NBD copy takes to start.

export type DeviceFormat = 'vmdk' | 'raw';

/** What a file holds: a VMDK (sparse header or descriptor text) or a raw image. */
export async function probeFormat(path: string): Promise<DeviceFormat> {
  // Only files and block devices hold disks; opening a FIFO would block forever.
  const st = await stat(path).catch((err) => { throw toVixError(err, path); });
  if (!st.isFile() && !st.isBlockDevice()) {
    throw new VixError(VIX_E_INCORRECT_FILE_TYPE, `${path} is ${st.isDirectory() ? 'a directory' : 'not a file or block device'}`);
  }
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw toVixError(err, path);
  }
  try {
    const head = new Uint8Array(4096);
    const n = await readAt(fh, head, 0);
    const [{ SPARSE_MAGIC }, { Descriptor }] = await Promise.all([import('../vmdk/sparse-header.js'), import('../vmdk/descriptor.js')]);
    if (n >= 4 && new DataView(head.buffer).getUint32(0, true) === SPARSE_MAGIC) return 'vmdk';
    const { size } = await fh.stat();
    if (size <= 1 << 20 && Descriptor.looksLikeDescriptor(head.subarray(0, n))) return 'vmdk';
    if (extname(path).toLowerCase() === '.vmdk' && n >= 8) {
      // COWD / seSparse extents and other VMDK-named binaries are still VMDK: let the engine say why.
      const magic = new DataView(head.buffer).getUint32(0, true);
      if (magic === 0x44574f43 || magic === 0xcafebabe) return 'vmdk';
    }
    return 'raw';
  } finally {
    await fh.close();
  }
}

export interface OpenDeviceOptions extends DiskOpenOptions {
  /** Force a format instead of probing. */
  format?: DeviceFormat;
}

export async function openDevice(path: string, options: OpenDeviceOptions = {}): Promise<BlockDevice> {
  if (isNbdUri(path)) {
    const { NbdClient } = await import('../nbd/client.js');
    return NbdClient.connect(path, { readOnly: options.readOnly });
  }
  const format = options.format ?? await probeFormat(path);
  if (format === 'vmdk') {
    const { VmdkDisk } = await import('../vmdk/disk.js');
    return VmdkDisk.open(path, options);
  }
  const { RawFileDevice } = await import('../block/raw-file.js');
  return RawFileDevice.open(path, { readOnly: options.readOnly });
}

/** Create a disk to write into: a `.vmdk` name makes a VMDK (of options.type), anything else a raw image. */
export async function createDevice(path: string, options: CreateOptions): Promise<BlockDevice> {
  if (extname(path).toLowerCase() === '.vmdk') {
    const { createDiskDevice } = await import('../vmdk/create.js');
    return createDiskDevice(path, options);
  }
  const { RawFileDevice } = await import('../block/raw-file.js');
  return RawFileDevice.create(resolve(path), options.capacity, { overwrite: options.overwrite });
}
