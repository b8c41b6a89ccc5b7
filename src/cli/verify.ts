import { Command } from 'commander';
import { findRestorePoint, listSnapshotEntries, type RestorePoint } from '../backup/restore-point.js';
import { verifyDisk, type VerifyDiskResult } from '../backup/verify-disk.js';
import { addJsonOutput } from './output-option.js';
import { createProgress, progressShow } from './progress.js';
import { addRepositoryOptions, openRepository, type RepositoryOptionValues } from './repository-options.js';
import { prestartOpenWorkers } from '../restic/open-pool.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk verify: re-read every blob of every disk of a restore point (or of all of them) and
// check the manifest's digest; one line per disk, exit 1 on any problem.

interface VerifyOptions extends RepositoryOptionValues {
  all?: boolean;
  vm?: string;
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description('re-read and check every blob of the disks of a vixdisk backup against the manifest')
    .argument('[snapshot]', 'restic snapshot ID (or unique prefix), or latest', 'latest')
    .option('--all', 'every restore point of the repository (of --vm only, when given)')
    .option('--vm <name>', 'with latest or --all: the backups of this VM (name or moref)')
    .option('-p, --progress', 'show progress even when stderr is not a terminal')
    .option('-q, --quiet', 'print only the disks that fail');
  addRepositoryOptions(cmd);
  addJsonOutput(cmd, 'print the result of each disk as JSON');
  return cmd.addHelpText('after', `
For each disk: the file's chunk list against the manifest (count and digest), then each distinct
blob read from its pack, decrypted, authenticated and hashed against its ID (blobs shared between
disks or restore points are read once). Exit status 1 when any disk fails. restic check --read-data
checks the whole repository the same way, without the manifests.`)
    .action(runAction(async (snapshot: string, opts: VerifyOptions) => {
      if (opts.all && snapshot !== 'latest') throw new UsageError('give a snapshot or --all, not both');
      prestartOpenWorkers(); // they load while the password's key is derived
      const repo = await openRepository(opts);
      const results: Array<VerifyDiskResult & { snapshot: string; vm: string }> = [];
      try {
        const points: RestorePoint[] = opts.all
          ? (await listSnapshotEntries(repo, opts.vm)).flatMap((e) => (e.point ? [e.point] : []))
          : [await findRestorePoint(repo, snapshot, opts.vm)];
        const verified = new Set<string>();
        const show = progressShow({ progress: opts.progress, quiet: opts.quiet || opts.json });
        for (const p of points) {
          for (let i = 0; i < p.manifest.disks.length; i++) {
            const progress = createProgress(`verifying ${p.snapshot.id.slice(0, 8)} ${p.manifest.disks[i]!.file}`, process.stderr, show);
            let r: VerifyDiskResult;
            try {
              r = await verifyDisk(repo, p, i, { verified, onProgress: (a, b) => progress.update(a, b) });
            } finally {
              progress.stop();
            }
            results.push({ ...r, snapshot: p.snapshot.id, vm: p.manifest.vm.name });
            if (opts.json) continue;
            const id = p.snapshot.id.slice(0, 8);
            if (r.error) process.stdout.write(`FAILED ${id} ${r.path}: ${r.error}${r.badChunks > 1 ? ` (${r.badChunks} of ${r.chunks} chunks bad)` : ''}\n`);
            else if (!opts.quiet) process.stdout.write(`ok     ${id} ${r.path} (${r.label}, ${formatSize(r.capacityBytes)}): ${r.chunks} chunks, ${r.blobsRead} blobs read (${formatSize(r.bytesRead)}), digest matches\n`);
          }
        }
        if (points.length === 0 && !opts.json) process.stdout.write('no vixdisk backups to verify\n');
      } finally {
        await repo.close();
      }
      if (opts.json) process.stdout.write(JSON.stringify(results) + '\n');
      return results.some((r) => r.error) ? 1 : 0;
    }));
}
