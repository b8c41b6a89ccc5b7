import { InvalidArgumentError, Option } from 'commander';
import { DEVICE_FORMATS, formatOfName, type DeviceFormat } from '../device/open-device.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import { UsageError } from './usage-error.js';

// The format options, as qemu-img's: -f (the disk read), -F (compare's second disk), -O (convert's
// output). The name decides a disk's format (*.vmdk a VMDK, anything else raw); these override it.

/** Formats qemu-img knows that vixdisk does not: named in the refusal so a user knows where to go. */
const QEMU_ONLY_FORMATS = new Set(['qcow', 'qcow2', 'qed', 'vdi', 'vhdx', 'vpc', 'vhd', 'dmg', 'parallels', 'cloop', 'bochs', 'luks', 'iso']);

/** A format argument: vmdk or raw (any case). */
export function parseFormat(text: string): DeviceFormat {
  const f = text.toLowerCase();
  const known = DEVICE_FORMATS.find((d) => d === f);
  if (known) return known;
  throw new InvalidArgumentError(`vixdisk reads and writes ${DEVICE_FORMATS.join(' and ')} only` +
    (QEMU_ONLY_FORMATS.has(f) ? ` (${f} is a qemu-img format: convert with qemu-img)` : ''));
}

/** `-f, --format <format>` (or other flags, as compare's -F) overriding what the name says. */
export function formatOption(flags = '-f, --format <format>', what = 'the disk'): Option {
  return new Option(flags, `read ${what} as vmdk or raw whatever its name says (default: *.vmdk is a VMDK, anything else raw)`)
    .argParser(parseFormat);
}

/**
 * Commands that work on VMDKs only (check, grow, shrink, metadata, ...): a name that does not say
 * VMDK is refused before anything is opened, unless --format vmdk says it is one.
 */
export function requireVmdk(disk: string, format: DeviceFormat | undefined, command: string): void {
  if (isNbdUri(disk)) throw new UsageError(`${command} works on VMDK files; ${disk} is an NBD export`);
  if ((format ?? formatOfName(disk)) !== 'vmdk') {
    throw new UsageError(format === 'raw'
      ? `${command} works on VMDKs only, not raw images`
      : `${disk} is a raw image by its name; ${command} works on VMDKs (name it *.vmdk, or add --format vmdk)`);
  }
}
