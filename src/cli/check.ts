import { Command } from 'commander';
import { checkDisk, type CheckReport } from '../vmdk/check.js';
import { runAction } from './run-action.js';

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
  return new Command('check')
    .description('check that a VMDK (and its parent chain) is consistent: headers, grain directories and tables, extents, CIDs')
    .argument('<disk>', 'the VMDK to check (opened read-only)')
    .option('--json', 'print the report as JSON: {ok, problems: [{code, message}], warnings}')
    .option('--allow-outside-paths', 'accept extent files named by absolute paths or outside the disk\'s folder')
    .addHelpText('after', `
Exit status: 0 when the disk is consistent (warnings allowed), 1 when a problem was found or the
disk could not be checked.`)
    .action(runAction(async (disk: string, opts: { json?: boolean; allowOutsidePaths?: boolean }) => {
      const report = await checkDisk(disk, { allowOutsidePaths: opts.allowOutsidePaths });
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatCheck(disk, report));
      return report.ok ? 0 : 1;
    }));
}
