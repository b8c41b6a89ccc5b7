import { Command } from 'commander';
import { backupKind, listSnapshotEntries, type SnapshotEntry } from '../backup/restore-point.js';
import { addJsonOutput } from './output-option.js';
import { addRepositoryOptions, openRepository, type RepositoryOptionValues } from './repository-options.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';

// vixdisk snapshots: the restore points of a restic repository (what `restic snapshots` lists,
// read through the manifests): ID, time, VM, kind, disks and sizes. Snapshots restic itself or
// another tool made are listed too, as "not a vixdisk backup".

interface SnapshotsOptions extends RepositoryOptionValues {
  vm?: string;
  json?: boolean;
}

/** One snapshot as --json prints it. */
export function snapshotJson(e: SnapshotEntry): Record<string, unknown> {
  const s = e.snapshot;
  const base = { id: s.id, shortId: s.id.slice(0, 8), time: s.time, hostname: s.hostname ?? null, tags: s.tags ?? [], paths: s.paths };
  if (!e.point) return { ...base, vixdisk: false, problem: e.problem };
  const m = e.point.manifest;
  return {
    ...base, vixdisk: true, vm: { name: m.vm.name, moref: m.vm.moref }, kind: backupKind(m), parent: m.parent,
    createdAt: m.createdAt, transportMode: m.transportMode,
    disks: m.disks.map((d, index) => ({
      index, label: d.label, file: d.file, datastorePath: d.datastorePath, capacityBytes: d.capacityBytes, chunkSize: d.chunkSize,
      backupKind: d.backupKind, fullReason: d.fullReason, bytesRead: d.bytesRead, bytesNew: d.bytesNew,
    })),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function formatSnapshots(entries: SnapshotEntry[]): string {
  if (entries.length === 0) return 'no snapshots\n';
  const rows = [['ID', 'Time', 'VM', 'Kind', 'Disks']];
  for (const e of entries) {
    const s = e.snapshot;
    const time = s.time.replace('T', ' ').replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '');
    if (!e.point) {
      rows.push([s.id.slice(0, 8), time, '-', e.problem, s.paths.join(' ')]);
      continue;
    }
    const m = e.point.manifest;
    const disks = m.disks.map((d, i) => `${i}: ${d.file} ${formatSize(d.capacityBytes)}` +
      (d.backupKind === 'full' ? '' : ` (+${formatSize(d.bytesNew)})`)).join(', ');
    const reasons = [...new Set(m.disks.map((d) => d.fullReason).filter((r): r is string => !!r))];
    rows.push([s.id.slice(0, 8), time, m.vm.name, backupKind(m) + (reasons.length ? ` (${reasons.join('; ')})` : ''), disks]);
  }
  const points = entries.filter((e) => e.point).length;
  return table(rows) + `${points} restore point${points === 1 ? '' : 's'}, ${entries.length - points} other snapshot${entries.length - points === 1 ? '' : 's'}\n`;
}

export function snapshotsCommand(): Command {
  const cmd = new Command('snapshots')
    .description('list the restore points (vixdisk backups) of a restic repository')
    .option('--vm <name>', 'only the backups of this VM (name or moref)');
  addRepositoryOptions(cmd);
  addJsonOutput(cmd, 'print the snapshots as a JSON array');
  return cmd.addHelpText('after', `
Each restore point: its restic snapshot ID, time, VM, kind (full, or incremental and what it
added) and disks (the number --disk takes, the file, the capacity). Snapshots made by restic or
another tool are listed as "not a vixdisk backup". The repository and its password are named as
restic names them: --repo or RESTIC_REPOSITORY, --password-file or RESTIC_PASSWORD_FILE, RESTIC_PASSWORD.`)
    .action(runAction(async (opts: SnapshotsOptions) => {
      const repo = await openRepository(opts);
      try {
        const entries = await listSnapshotEntries(repo, opts.vm);
        process.stdout.write(opts.json ? JSON.stringify(entries.map(snapshotJson)) + '\n' : formatSnapshots(entries));
      } finally {
        await repo.close();
      }
    }));
}
