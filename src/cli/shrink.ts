import { Command } from 'commander';
import { defragmentDisk } from '../vmdk/defragment.js';
import { shrinkDisk } from '../vmdk/shrink.js';
import { createPercentProgress } from './progress.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';

// vixdisk shrink / defrag: rewrite a sparse disk beside itself and switch (crash-safe).

interface RewriteSummary { bytesBefore: number; bytesAfter: number; grainsKept: number; grainsDropped: number }

function summary(disk: string, verb: string, r: RewriteSummary, json: boolean): string {
  if (json) return JSON.stringify(r) + '\n';
  return `${disk}: ${verb}: ${formatSize(r.bytesBefore)} -> ${formatSize(r.bytesAfter)} (${r.grainsKept} grains kept, ${r.grainsDropped} given back)\n`;
}

export function shrinkCommand(): Command {
  return addJsonOutput(new Command('shrink')
    .description('give back the space of grains that hold only zeros and of dead space in a sparse disk')
    .argument('<disk>', 'a hosted sparse VMDK without a parent')
    .addOption(formatOption())
    .option('--children <dirOrFile...>', 'folders or descriptors to search for children: a disk with children is refused'),
  'print {bytesBefore, bytesAfter, grainsKept, grainsDropped}')
    .action(runAction(async (disk: string, opts: { children?: string[]; json?: boolean; format?: DeviceFormat }) => {
      requireVmdk(disk, opts.format, 'shrink');
      const bar = createPercentProgress('shrink');
      try {
        const r = await shrinkDisk(disk, { childrenIn: opts.children, onProgress: (p) => bar.update(p) });
        bar.stop();
        process.stdout.write(summary(disk, 'shrunk', r, Boolean(opts.json)));
      } finally {
        bar.stop();
      }
    }));
}

export function defragCommand(): Command {
  return addJsonOutput(new Command('defrag')
    .description('rewrite a sparse disk so its grains lie in guest order with no dead space')
    .argument('<disk>', 'a hosted sparse VMDK')
    .addOption(formatOption()), 'print {bytesBefore, bytesAfter, grainsKept, grainsDropped}')
    .action(runAction(async (disk: string, opts: { json?: boolean; format?: DeviceFormat }) => {
      requireVmdk(disk, opts.format, 'defrag');
      const bar = createPercentProgress('defrag');
      try {
        const r = await defragmentDisk(disk, { onProgress: (p) => bar.update(p) });
        bar.stop();
        process.stdout.write(summary(disk, 'defragmented', r, Boolean(opts.json)));
      } finally {
        bar.stop();
      }
    }));
}
