import { Command } from 'commander';
import { renameDisk } from '../vmdk/rename.js';
import { unlinkDisk } from '../vmdk/unlink.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';

// vixdisk rename / rm: move every file of a link (rewriting extent names), or remove them.

export function renameCommand(): Command {
  return addJsonOutput(new Command('rename')
    .description('move a disk: every extent file, with the descriptor\'s extent names rewritten')
    .argument('<src>', 'the VMDK to move')
    .argument('<dst>', 'its new name')
    .addOption(formatOption('-f, --format <format>', 'SRC and DST'))
    .option('--update-children <dir...>', 'folders (or descriptors) whose children of SRC get their parentFileNameHint updated'),
  'print what moved as JSON')
    .action(runAction(async (src: string, dst: string, opts: { updateChildren?: string[]; json?: boolean; format?: DeviceFormat }) => {
      requireVmdk(src, opts.format, 'rename');
      requireVmdk(dst, opts.format, 'rename');
      const r = await renameDisk(src, dst, { updateChildrenIn: opts.updateChildren });
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        for (const m of r.moved) process.stdout.write(`${m.from} -> ${m.to}\n`);
        for (const c of r.childrenUpdated) process.stdout.write(`updated child ${c}\n`);
      }
    }));
}

export function rmCommand(): Command {
  return new Command('rm')
    .description('remove every file of one link (descriptor and extents); parents and children are left alone')
    .argument('<disk>', 'the VMDK to remove')
    .addOption(formatOption())
    .action(runAction(async (disk: string, opts: { format?: DeviceFormat }) => {
      requireVmdk(disk, opts.format, 'rm');
      for (const f of await unlinkDisk(disk)) process.stdout.write(`removed ${f}\n`);
    }));
}
