import { Command } from 'commander';
import { checkDisk, type CheckReport } from '../vmdk/check.js';
import { repairDisk } from '../vmdk/repair.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { runAction } from './run-action.js';
import { addJsonOutput } from './output-option.js';

// vixdisk check: is a VMDK chain consistent? Exit status 0 only when it is.

export function formatCheck(path: string, report: CheckReport): string {
  const lines: string[] = [];
  for (const p of report.problems) lines.push(`problem: ${p.message} (VIX error ${p.code})`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  const n = report.problems.length;
  lines.push(report.ok
    ? `${path}: no problems found${report.warnings.length ? ` (${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'})` : ''}`
    : `${path}: ${n} problem${n === 1 ? '' : 's'} found`);
  return lines.join('\n') + '\n';
}

export function checkCommand(): Command {
  return addJsonOutput(new Command('check')
    .description('check that a VMDK (and its parent chain) is consistent: headers, grain directories and tables, extents, CIDs')
    .argument('<disk>', 'the VMDK to check (opened read-only); a name other than *.vmdk needs --format vmdk')
    .addOption(formatOption())
    .option('--repair', 'repair what can be repaired without losing written data, report what was done, then check again')
    .option('--allow-outside-paths', 'accept extent files named by absolute paths or outside the disk\'s folder'),
  'print the report as JSON: {ok, problems: [{code, message}], warnings}')
    .addHelpText('after', `
Exit status: 0 when the disk is consistent (warnings allowed), 1 when a problem was found or the
disk could not be checked, 2 for a usage error (as every vixdisk command; qemu-img check's 2 and 3
for corruption and leaks are both 1 here, with the problems printed).`)
    .action(runAction(async (disk: string, opts: { json?: boolean; repair?: boolean; allowOutsidePaths?: boolean; format?: DeviceFormat }) => {
      requireVmdk(disk, opts.format, 'check');
      if (opts.repair) {
        const r = await repairDisk(disk, { allowOutsidePaths: opts.allowOutsidePaths });
        if (opts.json) {
          process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        } else {
          for (const a of r.actions) process.stdout.write(`repaired: ${a}\n`);
          for (const g of r.lostGrains) process.stdout.write(`lost: grain ${g.grain} of ${g.file} (${g.reason})\n`);
          for (const u of r.unrepaired) process.stdout.write(`not repaired: ${u}\n`);
          process.stdout.write(formatCheck(disk, r.check));
        }
        return r.check.ok ? 0 : 1;
      }
      const report = await checkDisk(disk, { allowOutsidePaths: opts.allowOutsidePaths });
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatCheck(disk, report));
      return report.ok ? 0 : 1;
    }));
}
