import { Command } from 'commander';
import { defaultCheckpointDir } from '../backup/backup-checkpoint.js';
import { backupVm, type VmBackupResult } from '../backup/vm-backup.js';
import { VIX_E_FILE_NOT_FOUND } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import { Repository } from '../restic/repository.js';
import { createVixDiskLib } from '../vix/vixdisklib.js';
import { addJsonOutput } from './output-option.js';
import { createProgress, progressShow } from './progress.js';
import { addRemoteOptions, remoteConnection, type RemoteOptionValues } from './remote-options.js';
import { addRepositoryOptions, repositoryPassword, type RepositoryOptionValues } from './repository-options.js';
import { runAction } from './run-action.js';
import { formatSize, parseSize } from './size.js';
import { UsageError } from './usage-error.js';

// `vixdisk backup`: one VM into a restic repository (src/backup/vm-backup.ts does the work). The
// repository is named as restic names it; like `restic backup`, a missing repository is an error
// that says how to make one (`restic init`, or --init here), never created by surprise.

interface BackupOptions extends RemoteOptionValues, RepositoryOptionValues {
  vm: string;
  full?: boolean;
  init?: boolean;
  chunkSize: string;
  quiesce?: boolean;
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

function chunkSizeOf(text: string): number {
  let n: number;
  try {
    n = parseSize(text);
  } catch {
    throw new UsageError(`--chunk-size "${text}" is not a size`);
  }
  if (!Number.isSafeInteger(n) || n < 64 * 1024 || n > 8 * 1024 * 1024 || n % (64 * 1024) !== 0) {
    throw new UsageError(`--chunk-size ${text}: must be a multiple of 64 KiB from 64 KiB to 8 MiB (change tracking's granularity; restic's largest chunk)`);
  }
  return n;
}

async function openOrCreate(repoPath: string, password: string, init: boolean): Promise<Repository> {
  // Index files every 10 s rather than 30: a killed run's blobs are found sooner by the next one.
  const opts = { indexIntervalMs: 10_000 };
  try {
    return await Repository.open(repoPath, password, opts);
  } catch (e) {
    if (!(e instanceof VixError) || e.code !== VIX_E_FILE_NOT_FOUND) throw e;
    if (!init) throw new VixError(VIX_E_FILE_NOT_FOUND, `${e.message}: create one with "restic init --repo ${repoPath}" or give --init`);
    return Repository.create(repoPath, password, opts);
  }
}

function summaryLines(r: VmBackupResult): string {
  const lines = [`${r.vm} (${r.moref}): ${r.kind} backup, restic snapshot ${r.snapshotId.slice(0, 8)}${r.parent ? ` (parent ${r.parent.slice(0, 8)})` : ''} over ${r.transportMode}, ${r.seconds.toFixed(1)} s`];
  for (const id of r.leftoversRemoved) lines.push(`  removed leftover vSphere snapshot ${id}`);
  for (const d of r.disks) {
    const rate = d.seconds > 0 ? ` (${formatSize(d.bytesRead / d.seconds)}/s)` : '';
    lines.push(`  ${d.file}: ${d.kind}${d.reason ? ` (${d.reason})` : ''}: ${formatSize(d.capacityBytes)} disk, ${formatSize(d.bytesRead)} read${rate}, ${formatSize(d.bytesNew)} new, ${d.seconds.toFixed(1)} s${d.chunksResumed ? `, ${d.chunksResumed} chunks resumed` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export function backupCommand(): Command {
  const cmd = new Command('backup')
    .description('back up a VM into a restic repository: full the first time, then only what changed (CBT)')
    .requiredOption('--vm <vm>', 'the VM: its name or moref=vm-N')
    .option('--full', 'read every allocated block even when an incremental is possible')
    .option('--init', 'create the repository if there is none (restic init)')
    .option('--chunk-size <size>', 'bytes per restic blob, aligned (multiple of 64 KiB)', '1M')
    .option('--quiesce', 'ask VMware Tools to quiesce the guest for the snapshot')
    .option('-p, --progress', 'show progress also when stderr is not a terminal')
    .option('-q, --quiet', 'no progress');
  addRemoteOptions(cmd, 'nbdssl:nbd');
  addRepositoryOptions(cmd);
  addJsonOutput(cmd, 'print the summary as JSON');
  cmd.addHelpText('after', `
The host password comes from VIXDISK_PASSWORD, VIXDISK_PASSWORD_FILE or a prompt; the repository
password from --password-file, RESTIC_PASSWORD_FILE, RESTIC_PASSWORD or a prompt (as restic).
Example:
  RESTIC_REPOSITORY=/backups/vms RESTIC_PASSWORD_FILE=~/.restic-pw VIXDISK_PASSWORD_FILE=~/.vc-pw \\
    vixdisk backup --host vc.example --user backup --thumbprint AA:BB:… --vm web`);
  cmd.action(runAction(async (opts: BackupOptions) => {
    if (!opts.repo) throw new UsageError('no repository: give --repo or set RESTIC_REPOSITORY');
    const chunkSize = chunkSizeOf(opts.chunkSize ?? '1M');
    const remote = await remoteConnection(opts);
    const repo = await openOrCreate(opts.repo, await repositoryPassword(opts), opts.init === true);
    const lib = createVixDiskLib();
    const show = progressShow(opts);
    let result: VmBackupResult;
    try {
      await lib.InitEx(8, 0, null, (m) => process.stderr.write(`vixdisk: warning: ${m}\n`), (m) => process.stderr.write(`vixdisk: ${m}\n`), null, null);
      result = await backupVm({
        lib, connect: remote.params, modes: remote.modes, vm: opts.vm, repo, full: opts.full === true, chunkSize,
        ...(opts.quiesce ? { quiesce: true } : {}),
        checkpointDir: defaultCheckpointDir(),
        log: opts.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
        progress: (label) => createProgress(label, process.stderr, show, { rate: true }),
      });
    } finally {
      lib.Exit();
      await repo.close();
    }
    process.stdout.write(opts.json ? `${JSON.stringify({ ...result, manifest: undefined }, null, 2)}\n` : summaryLines(result));
  }));
  return cmd;
}


