import { Command } from 'commander';
import { defragmentDisk } from '../vmdk/defragment.js';
import { shrinkDisk } from '../vmdk/shrink.js';
import { createPercentProgress, progressShow } from './progress.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';

// vixdisk shrink / defrag: rewrite a sparse disk beside itself and switch (crash-safe).

interface RewriteSummary { bytesBefore: number; bytesAfter: number; grainsKept: number; grainsDropped: number }

function summary(disk: string, verb: string, r: RewriteSummary, opts: { json?: boolean; quiet?: boolean }): string {
  if (opts.json) return JSON.stringify(r) + '\n';
  if (opts.quiet) return '';
  return `${disk}: ${verb}: ${formatSize(r.bytesBefore)} -> ${formatSize(r.bytesAfter)} (${r.grainsKept} grains kept, ${r.grainsDropped} given back)\n`;
}

export function shrinkCommand(): Command {
  return addJsonOutput(new Command('shrink')
    .description('give back the space of grains that hold only zeros and of dead space in a sparse disk')
    .argument('<disk>', 'a hosted sparse VMDK without a parent')
    .option('-p, --progress', 'show progress even when stderr is not a terminal (then one line per percent)')
    .option('-q, --quiet', 'print nothing but errors')
    .addOption(formatOption())
    .option('--children <dirOrFile...>', 'folders or descriptors to search for children: a disk with children is refused'),
  'print {bytesBefore, bytesAfter, grainsKept, grainsDropped}')
    .action(runAction(async (disk: string, opts: { children?: string[]; json?: boolean; format?: DeviceFormat; progress?: boolean; quiet?: boolean }) => {
      requireVmdk(disk, opts.format, 'shrink');
      const bar = createPercentProgress('shrink', process.stderr, progressShow(opts));
      try {
        const r = await shrinkDisk(disk, { childrenIn: opts.children, onProgress: (p) => bar.update(p) });
        bar.stop();
        process.stdout.write(summary(disk, 'shrunk', r, opts));
      } finally {
        bar.stop();
      }
    }));
}

export function defragCommand(): Command {
  return addJsonOutput(new Command('defrag')
    .description('rewrite a sparse disk so its grains lie in guest order with no dead space')
    .argument('<disk>', 'a hosted sparse VMDK')
    .option('-p, --progress', 'show progress even when stderr is not a terminal (then one line per percent)')
    .option('-q, --quiet', 'print nothing but errors')
    .addOption(formatOption()), 'print {bytesBefore, bytesAfter, grainsKept, grainsDropped}')
    .action(runAction(async (disk: string, opts: { json?: boolean; format?: DeviceFormat; progress?: boolean; quiet?: boolean }) => {
      requireVmdk(disk, opts.format, 'defrag');
      const bar = createPercentProgress('defrag', process.stderr, progressShow(opts));
      try {
        const r = await defragmentDisk(disk, { onProgress: (p) => bar.update(p) });
        bar.stop();
        process.stdout.write(summary(disk, 'defragmented', r, opts));
      } finally {
        bar.stop();
      }
    }));
}
