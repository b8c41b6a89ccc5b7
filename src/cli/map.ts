import { Command } from 'commander';
import { allocationMap } from '../block/allocation-map.js';
import type { BlockStatusExtent } from '../block/block-device.js';
import { openDevice, type DeviceFormat } from '../device/open-device.js';
import { formatOption } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { parseSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk map: the allocation map of a disk, printed as `nbdinfo --map` prints base:allocation.

/** NBD base:allocation state bits: NBD_STATE_HOLE = 1, NBD_STATE_ZERO = 2. */
export function nbdStateOf(e: BlockStatusExtent): number {
  return (e.allocated ? 0 : 1) | (e.zero ? 2 : 0);
}

const DESCRIPTIONS = ['data', 'hole', 'zero', 'hole,zero'];

/** One line per run: offset, length, type number, description (nbdinfo's columns). */
export function formatMap(extents: BlockStatusExtent[]): string {
  return extents.map((e) => {
    const t = nbdStateOf(e);
    return `${String(e.offset).padStart(10)}  ${String(e.length).padStart(10)}  ${String(t).padStart(3)}  ${DESCRIPTIONS[t]}\n`;
  }).join('');
}

export function mapCommand(): Command {
  return addJsonOutput(new Command('map')
    .description('print which parts of a disk hold data and which are holes or zeros (like nbdinfo --map)')
    .argument('<disk>', 'a VMDK (*.vmdk), a raw image (any other name) or an NBD URI')
    .addOption(formatOption())
    .option('-g, --granularity <bytes>', 'widen runs to whole blocks of this size (e.g. 64K, 1M): a block is data if any of it is')
    .option('--single-link', 'map only the named link; what its parents hold shows as holes'),
  'print a JSON array of {offset, length, allocated, zero}')
    .addHelpText('after', `
Columns: offset, length (bytes), type (0 data, 1 hole, 2 zero, 3 hole,zero), description.
A raw image shows holes where its file system can tell (see README: holes of raw files).

Examples:
  vixdisk map disk.vmdk
  vixdisk map --json --granularity 1M disk.vmdk`)
    .action(runAction(async (disk: string, opts: { json?: boolean; granularity?: string; singleLink?: boolean; format?: DeviceFormat }) => {
      let granularity: number | undefined;
      if (opts.granularity !== undefined) {
        try {
          granularity = parseSize(opts.granularity, 'granularity');
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        if (granularity < 512 || granularity % 512 !== 0) {
          throw new UsageError(`granularity ${opts.granularity} is not a positive multiple of 512 bytes`);
        }
      }
      const dev = await openDevice(disk, { readOnly: true, singleLink: opts.singleLink, format: opts.format });
      let extents: BlockStatusExtent[];
      try {
        extents = await allocationMap(dev, granularity);
      } finally {
        await dev.close();
      }
      process.stdout.write(opts.json ? JSON.stringify(extents) + '\n' : formatMap(extents));
    }));
}
