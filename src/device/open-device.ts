import { extname, resolve } from 'node:path';
import type { BlockDevice } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import type { CreateOptions } from '../vmdk/create.js';
import type { DiskOpenOptions } from '../vmdk/disk.js';

// Naming a disk: wherever vixdisk takes a disk, this turns the name into a BlockDevice. The name
// decides what the disk is, never its contents: a `.vmdk` name (any case) is a VMDK, an NBD URI an
// NBD export, a vix:// URI a disk on a vSphere host (src/device/vix-uri.ts), anything else a raw image; `format` overrides the name (as qemu-img's -f). Contents
// never decide, so a raw image whose guest wrote a VMDK header into its first sector stays raw (its
// "extents" are never followed), and a damaged `.vmdk` is refused with the engine's code instead
// of being read as raw bytes.
//
// The code behind each kind of name (the VMDK engine, raw files, the NBD client) is loaded when a
// name of that kind is first opened: `vixdisk convert nbd://… out.raw` never loads the VMDK engine,
// whose modules take longer to load (~25 ms) than a small NBD copy takes to start.

export type DeviceFormat = 'vmdk' | 'raw';

export const DEVICE_FORMATS: readonly DeviceFormat[] = ['vmdk', 'raw'];

/** The format a file name stands for: `.vmdk` (any case) a VMDK, anything else a raw image. */
export function formatOfName(path: string): DeviceFormat {
  return extname(path).toLowerCase() === '.vmdk' ? 'vmdk' : 'raw';
}

/** Opens a vix:// disk: the remote VixDiskLib (vix/vix-uri-device.ts), supplied from above. */
export type VixUriOpener = (uri: string, options: { readOnly?: boolean }) => Promise<BlockDevice>;

let vixUriOpener: (() => Promise<VixUriOpener>) | null = null;

/**
 * The layers above vix/ (the command line, the package's entry point) say how a vix:// name is
 * opened, so this layer, below vsphere/ and vix/, never imports them. `load` runs at the first
 * vix:// open only, keeping the remote code out of every other command's start-up.
 */
export function setVixUriOpener(load: () => Promise<VixUriOpener>): void {
  vixUriOpener = load;
}

export interface OpenDeviceOptions extends DiskOpenOptions {
  /** Open the file as this format whatever its name says. */
  format?: DeviceFormat;
}

export async function openDevice(path: string, options: OpenDeviceOptions = {}): Promise<BlockDevice> {
  if (/^vix:\/\//i.test(path)) {
    if (options.format === 'vmdk') throw new VixError(VIX_E_INVALID_ARG, `${path.split('?')[0]} is a disk on a host, read as raw blocks over NFC, not a VMDK file`);
    if (!vixUriOpener) throw new VixError(VIX_E_NOT_SUPPORTED, `${path.split('?')[0]}: vix:// disks need the remote VixDiskLib (import the vixdisk package, or run the vixdisk command)`);
    return (await vixUriOpener())(path, { readOnly: options.readOnly });
  }
  if (isNbdUri(path)) {
    if (options.format === 'vmdk') throw new VixError(VIX_E_INVALID_ARG, `${path} is an NBD export, which holds raw blocks, not a VMDK`);
    const { NbdClient } = await import('../nbd/client.js');
    return NbdClient.connect(path, { readOnly: options.readOnly });
  }
  if ((options.format ?? formatOfName(path)) === 'vmdk') {
    const { VmdkDisk } = await import('../vmdk/disk.js');
    return VmdkDisk.open(path, options);
  }
  const { RawFileDevice } = await import('../block/raw-file.js');
  return RawFileDevice.open(path, { readOnly: options.readOnly });
}

export interface CreateDeviceOptions extends CreateOptions {
  /** Create this format whatever the name says (a VMDK is of options.type). */
  format?: DeviceFormat;
}

/** Create a disk to write into: a `.vmdk` name makes a VMDK (of options.type), anything else a raw image. */
export async function createDevice(path: string, options: CreateDeviceOptions): Promise<BlockDevice> {
  if ((options.format ?? formatOfName(path)) === 'vmdk') {
    const { createDiskDevice } = await import('../vmdk/create.js');
    return createDiskDevice(path, options);
  }
  const { RawFileDevice } = await import('../block/raw-file.js');
  return RawFileDevice.create(resolve(path), options.capacity, { overwrite: options.overwrite });
}
