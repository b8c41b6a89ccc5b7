import { Command } from 'commander';
import { growDisk } from '../vmdk/grow.js';
import { createPercentProgress, progressShow } from './progress.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { runAction } from './run-action.js';
import { formatSize, parseSize } from './size.js';

// vixdisk grow: enlarge a disk (sparse: grain directory and tables; flat: the file; split: new extents).

export function growCommand(): Command {
  return new Command('grow')
    .description('enlarge a disk to SIZE (any type but streamOptimized); the disk must not be in use')
    .argument('<disk>', 'the VMDK to grow')
    .addOption(formatOption())
    .argument('<size>', 'new capacity, e.g. 20G')
    .option('--update-geometry', 'recompute ddb.geometry.cylinders for the new size')
    .option('-p, --progress', 'show progress even when stderr is not a terminal (then one line per percent)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(runAction(async (disk: string, size: string, opts: { updateGeometry?: boolean; format?: DeviceFormat; progress?: boolean; quiet?: boolean }) => {
      requireVmdk(disk, opts.format, 'grow');
      const bytes = parseSize(size, 'SIZE');
      const bar = createPercentProgress('grow', process.stderr, progressShow(opts));
      try {
        await growDisk(disk, bytes, { updateGeometry: opts.updateGeometry, onProgress: (p) => bar.update(p) });
      } finally {
        bar.stop();
      }
      if (!opts.quiet) process.stdout.write(`${disk}: grown to ${formatSize(bytes)}\n`);
    }));
}
