import { Command } from 'commander';
import { spaceNeededForClone } from '../vmdk/space-needed.js';
import { parseDiskType } from './create.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk space-needed: bytes a clone of the chain into a type would take (from the allocation map).

export function spaceNeededCommand(): Command {
  return addJsonOutput(new Command('space-needed')
    .description('bytes needed to clone a disk (its whole chain) into a type, computed from its allocation map')
    .argument('<disk>', 'the VMDK')
    .addOption(formatOption())
    .option('--type <type>', 'target type (default: the disk\'s own)'), 'print {bytes}')
    .action(runAction(async (disk: string, opts: { type?: string; json?: boolean; format?: DeviceFormat }) => {
      requireVmdk(disk, opts.format, 'space-needed');
      const type = parseDiskType(opts.type);
      if (type === 'raw') throw new UsageError('space-needed is for VMDK types; a raw clone needs the capacity');
      const bytes = await spaceNeededForClone(disk, type);
      process.stdout.write(opts.json ? JSON.stringify({ bytes }) + '\n' : `${bytes} bytes (${formatSize(bytes)})\n`);
    }));
}
