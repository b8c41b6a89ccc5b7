import { once } from 'node:events';
import { Command } from 'commander';
import { openDevice, type DeviceFormat } from '../device/open-device.js';
import { formatOption } from './format-option.js';
import { VIX_E_DISK_OUTOFRANGE } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import { SECTOR } from '../vmdk/sparse-header.js';
import { runAction } from './run-action.js';
import { UsageError } from './usage-error.js';

// vixdisk dump: sectors of a disk as a hex dump, as VixDiskLib's sample program does with -dump.

const BYTES_PER_LINE = 16;
/** Sectors read per request. */
const CHUNK_SECTORS = 2048;

/** Hex dump lines of `buf`, whose first byte is at disk offset `offset`: offset, 16 bytes, ASCII. */
export function hexDump(buf: Uint8Array, offset: number, offsetDigits = 8): string {
  let out = '';
  for (let i = 0; i < buf.length; i += BYTES_PER_LINE) {
    const line = buf.subarray(i, i + BYTES_PER_LINE);
    let hex = '';
    let ascii = '';
    for (let j = 0; j < BYTES_PER_LINE; j++) {
      if (j === 8) hex += ' ';
      if (j < line.length) {
        const b = line[j]!;
        hex += b.toString(16).padStart(2, '0') + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hex += '   ';
      }
    }
    out += `${(offset + i).toString(16).padStart(offsetDigits, '0')}: ${hex} ${ascii}\n`;
  }
  return out;
}

function parseCount(text: string, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} "${text}" is not a whole number of sectors`);
  return n;
}

async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

export function dumpCommand(): Command {
  return new Command('dump')
    .description('print sectors of a disk as a hex dump (byte offset, 16 bytes in hex, ASCII)')
    .argument('<disk>', 'a VMDK (*.vmdk), a raw image (any other name) or an NBD URI')
    .addOption(formatOption())
    .option('-s, --start <sector>', 'first sector to dump (decimal or 0x hex)', '0')
    .option('-c, --count <n>', 'number of sectors to dump', '1')
    .option('--single-link', 'read only the named link; what its parents hold reads as zeros')
    .addHelpText('after', `
Sectors are 512 bytes; offsets printed are byte offsets in the disk.

Example:
  vixdisk dump --start 2048 --count 2 disk.vmdk`)
    .action(runAction(async (disk: string, opts: { start: string; count: string; singleLink?: boolean; format?: DeviceFormat }) => {
      const start = parseCount(opts.start, '--start');
      const count = parseCount(opts.count, '--count');
      const dev = await openDevice(disk, { readOnly: true, singleLink: opts.singleLink, format: opts.format });
      try {
        // A raw image may end in a partial sector; it is dumped as far as it goes.
        const capacitySectors = Math.ceil(dev.capacity / SECTOR);
        if (start + count > capacitySectors) {
          throw new VixError(VIX_E_DISK_OUTOFRANGE,
            `sectors ${start}..${start + count - 1} are past the end of the disk (${capacitySectors} sectors)`);
        }
        const digits = Math.max(8, ((start + count) * SECTOR).toString(16).length);
        const buf = new Uint8Array(Math.min(count, CHUNK_SECTORS) * SECTOR);
        for (let s = start; s < start + count; s += CHUNK_SECTORS) {
          const n = Math.min(CHUNK_SECTORS, start + count - s);
          const view = buf.subarray(0, Math.min(n * SECTOR, dev.capacity - s * SECTOR));
          await dev.read(s * SECTOR, view);
          await writeOut(hexDump(view, s * SECTOR, digits));
        }
      } finally {
        await dev.close();
      }
    }));
}
