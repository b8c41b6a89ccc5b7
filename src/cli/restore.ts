import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { BackedUpDisk } from '../backup/backed-up-disk.js';
import type { DiskManifest } from '../backup/manifest.js';
import { findRestorePoint, readSmallFile, type RestorePoint } from '../backup/restore-point.js';
import type { BlockDevice } from '../block/block-device.js';
import { copyDevice } from '../block/copy.js';
import { createDevice, openDevice, type DeviceFormat } from '../device/open-device.js';
import { isVixUri } from '../device/vix-uri.js';
import { VIX_E_CANCELLED, VIX_E_FILE_ALREADY_EXISTS } from '../errors/error-codes.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import type { Repository } from '../restic/repository.js';
import { diskFiles, DISK_TYPES, type DiskType } from '../vmdk/create.js';
import { ADAPTER_TYPES, type AdapterType } from '../vmdk/geometry.js';
import { SECTOR } from '../vmdk/sparse-header.js';
import { parseAdapter, parseDiskType } from './create.js';
import { createDestination, destinationType } from './destination.js';
import { parseFormat } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { createProgress, progressShow } from './progress.js';
import { addRepositoryOptions, openRepository, type RepositoryOptionValues } from './repository-options.js';
import { prestartOpenWorkers } from '../restic/open-pool.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk restore: a disk of a restore point into a new local VMDK (any type, as convert makes
// them) or raw image, or written in place into an NBD export or a VM's disk on a host over NFC.
// The source is a BackedUpDisk (checked against the manifest's digest before anything is written,
// every blob authenticated and hashed as it is loaded), the copy the one copy loop: holes are
// neither loaded nor written to a new sparse destination; many blob loads in flight, memory
// bounded by them.

export interface RestoreOptions {
  outputFormat?: DeviceFormat;
  type?: DiskType | 'raw';
  adapterType?: AdapterType;
  overwrite?: boolean;
  /** Blob loads in flight (default 16). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  cancelled?: () => boolean;
}

export interface RestoredDisk {
  index: number;
  label: string;
  /** "<vm folder>/<disk file>" in the snapshot. */
  path: string;
  destination: string;
  destinationType: DiskType | 'raw';
  capacityBytes: number;
  blobsLoaded: number;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
}

/** VixDiskLib's adapter names a VMDK descriptor cannot carry, as VMware writes them into one. */
function vmdkAdapter(name: string): AdapterType | undefined {
  if ((ADAPTER_TYPES as readonly string[]).includes(name)) return name as AdapterType;
  if (name === 'lsisas1068') return 'lsilogic';
  if (name === 'sata' || name === 'nvme') return 'ide';
  return undefined;
}

/** Copy requests of one chunk each (aligned to the backup's chunks), within what a request may be. */
function copyChunk(disk: DiskManifest): number {
  return disk.chunkSize <= 16 << 20 ? disk.chunkSize : 2 << 20;
}

/** Restore disk `index` of `point` to `destination`. */
export async function restoreDisk(repo: Repository, point: RestorePoint, index: number, destination: string,
  options: RestoreOptions = {}): Promise<RestoredDisk> {
  const started = process.hrtime.bigint();
  const src = await BackedUpDisk.open(repo, point, index);
  const m = src.disk;
  const inPlace = isNbdUri(destination) || isVixUri(destination);
  const type = isVixUri(destination) ? 'raw' : destinationType(destination, options.outputFormat, options.type, '-O');
  if (inPlace && options.type !== undefined && options.type !== 'raw') throw new UsageError(`${destination.split('?')[0]} takes raw blocks; drop --type`);
  const onProgress = (done: number, total: number) => {
    if (options.cancelled?.()) throw new VixError(VIX_E_CANCELLED, 'the restore was cancelled');
    options.onProgress?.(done, total);
  };
  // Shared memory: the repository's worker threads open each blob straight into the buffer the
  // destination is then written from.
  const allocate = (n: number) => new Uint8Array(new SharedArrayBuffer(n));
  const copyOptions = { chunkSize: copyChunk(m), concurrency: options.concurrency ?? 16, onProgress, allocate };
  const finish = (dest: string, r: { bytesWritten: number }): RestoredDisk => ({
    index, label: m.label, path: src.path, destination: dest, destinationType: type, capacityBytes: m.capacityBytes,
    blobsLoaded: src.stats.blobsLoaded, bytesRead: src.stats.bytesLoaded, bytesWritten: r.bytesWritten,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  });

  if (inPlace) {
    // An existing disk is overwritten where it stands: holes become zeros, nothing is created or removed.
    const dst = await openDevice(destination, { readOnly: false });
    try {
      const r = await copyDevice(src, dst, { ...copyOptions, destinationIsZero: false }).catch((err) => {
        const e = toVixError(err);
        throw new VixError(e.code, `${e.message}; ${destination.split('?')[0]} is partly written`, { cause: err });
      });
      await dst.flush();
      return finish(destination.split('?')[0]!, r);
    } finally {
      await dst.close();
    }
  }

  const dstPath = resolve(destination);
  if (type === 'raw' && options.adapterType !== undefined) throw new UsageError('a raw destination has no adapter type');
  const dstFiles = type === 'raw' ? [dstPath] : diskFiles(dstPath, type, Math.ceil(m.capacityBytes / SECTOR));
  const adapterType = options.adapterType ?? vmdkAdapter(m.adapterType);
  let dst: BlockDevice | null = await createDestination(dstPath, () => createDevice(dstPath, type === 'raw'
    ? { format: 'raw', capacity: m.capacityBytes, overwrite: options.overwrite }
    : { format: 'vmdk', capacity: m.capacityBytes, type, adapterType, overwrite: options.overwrite, cache: 'unsafe' }));
  // From here on the destination files are ours: any failure removes them, so a failed restore
  // never leaves a disk that looks restored.
  try {
    const r = await copyDevice(src, dst, { ...copyOptions, destinationIsZero: true });
    const d = dst;
    dst = null;
    await d.flush();
    await d.close();
    return finish(dstPath, r);
  } catch (err) {
    await dst?.close().catch(() => undefined);
    await Promise.all(dstFiles.map((f) => rm(f, { force: true }).catch(() => undefined)));
    throw toVixError(err, dstPath);
  }
}

/** Which disk --disk names: its index in the manifest, its file name or its label. */
export function pickDisk(point: RestorePoint, which: string | undefined): number {
  const disks = point.manifest.disks;
  const list = disks.map((d, i) => `${i}: ${d.label} (${d.file}, ${formatSize(d.capacityBytes)})`).join('; ');
  if (which === undefined) {
    if (disks.length === 1) return 0;
    throw new UsageError(`the backup of ${point.manifest.vm.name} has ${disks.length} disks; pick one with --disk N or restore them all with --all (${list})`);
  }
  const i = /^\d+$/.test(which) ? Number(which) : disks.findIndex((d) => d.file === which || d.label === which);
  if (i < 0 || i >= disks.length) throw new UsageError(`no disk "${which}" in the backup of ${point.manifest.vm.name} (${list})`);
  return i;
}

interface RestoreCommandOptions extends RepositoryOptionValues {
  to: string;
  disk?: string;
  all?: boolean;
  vm?: string;
  outputFormat?: DeviceFormat;
  type?: string;
  adapter?: string;
  force?: boolean;
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

/** --all: every disk into the folder `dir`, named as on the datastore (VMDK) or as in the snapshot (raw), with the .vmx. */
async function restoreAll(repo: Repository, point: RestorePoint, dir: string, opts: RestoreOptions, show: ReturnType<typeof progressShow>): Promise<{ disks: RestoredDisk[]; vmx: string | null }> {
  if (isNbdUri(dir) || isVixUri(dir)) throw new UsageError('--all restores into a folder; name one disk with --disk N to write an NBD export or a VM disk');
  const folder = resolve(dir);
  await mkdir(folder, { recursive: true });
  const raw = opts.outputFormat === 'raw' || opts.type === 'raw';
  const disks: RestoredDisk[] = [];
  for (let i = 0; i < point.manifest.disks.length; i++) {
    const d = point.manifest.disks[i]!;
    const name = raw ? d.file : basename(d.datastorePath.replace(/^\[[^\]]*\]\s*/, '')) || d.file.replace(/\.raw$/, '.vmdk');
    const progress = createProgress(`restoring ${d.label}`, process.stderr, show);
    try {
      disks.push(await restoreDisk(repo, point, i, join(folder, name), {
        ...opts, outputFormat: raw ? 'raw' : 'vmdk', onProgress: (a, b) => { progress.update(a, b); opts.onProgress?.(a, b); },
      }));
    } finally {
      progress.stop();
    }
  }
  // The VM's configuration beside its disks (it names them as restored); kept as the host held it.
  let vmx: string | null = null;
  const vmxNode = (await repo.loadTree(point.folderTree)).find((n) => n.name === point.manifest.vm.vmxFile && n.type === 'file');
  if (vmxNode && !raw) {
    vmx = join(folder, basename(point.manifest.vm.vmxFile));
    try {
      await writeFile(vmx, await readSmallFile(repo, vmxNode), { flag: opts.overwrite ? 'w' : 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${vmx} exists; add --force to replace it`);
      throw toVixError(err, vmx);
    }
  }
  return { disks, vmx };
}

function describe(d: RestoredDisk): string {
  const rate = d.seconds > 0 ? `${formatSize(Math.round(d.bytesRead / d.seconds))}/s` : '-';
  return `restored ${d.path} (${d.label}, ${formatSize(d.capacityBytes)}) to ${d.destination} (${d.destinationType}): ` +
    `${d.blobsLoaded} blobs, read ${formatSize(d.bytesRead)}, wrote ${formatSize(d.bytesWritten)} in ${d.seconds.toFixed(2)} s (${rate}); digest verified\n`;
}

export function restoreCommand(): Command {
  const cmd = new Command('restore')
    .description('restore a disk of a vixdisk backup from a restic repository into a new VMDK or raw image, an NBD export, or a VM disk on a host')
    .argument('[snapshot]', 'restic snapshot ID (or unique prefix), or latest', 'latest')
    .requiredOption('--to <destination>', 'new *.vmdk or raw image, a folder with --all, an nbd:// URI, or a vix:// URI of a VM disk (written over NFC)')
    .option('--disk <n>', 'the disk: its number as `vixdisk snapshots` lists it, its file name or its label (default: the only disk)')
    .option('--all', 'every disk of the VM into the folder --to, with the .vmx')
    .option('--vm <name>', 'with latest: the latest backup of this VM (name or moref); else check the snapshot is of it')
    .addOption(new Option('-O, --output-format <format>', 'write vmdk or raw whatever the name says').argParser(parseFormat))
    .option('-t, --type <type>', `VMDK subformat: ${DISK_TYPES.join(', ')} (default monolithicSparse); raw is the same as -O raw`)
    .option('-a, --adapter <adapter>', `adapter type of a VMDK: ${ADAPTER_TYPES.join(', ')} (default: the backed-up disk's)`)
    .option('--force', 'replace existing destination files')
    .option('-p, --progress', 'show progress even when stderr is not a terminal')
    .option('-q, --quiet', 'print nothing but errors');
  addRepositoryOptions(cmd);
  addJsonOutput(cmd, 'print the restored disks as JSON');
  return cmd.addHelpText('after', `
The disk's chunk list is checked against the backup's manifest (its digest) before anything is
written, and every blob is authenticated and hashed as it is read: a damaged repository fails the
restore with one line, never restores other bytes. A new local destination that fails is removed;
an NBD export or a VM disk is written in place (the VM must be powered off, as a host requires).

Examples:
  RESTIC_PASSWORD_FILE=pw vixdisk restore --repo /backups latest --vm web --to web.vmdk
  vixdisk restore -r /backups 1a2b3c4d --disk 1 --to data.img
  vixdisk restore -r /backups latest --vm web --all --to ./web-restored
  VIXDISK_PASSWORD_FILE=hostpw vixdisk restore -r /backups latest --vm web \\
      --to 'vix://administrator@esx1/?vm=moref=vm-12&disk=[datastore1] web/web.vmdk&thumbprint=…'`)
    .action(runAction(async (snapshot: string, opts: RestoreCommandOptions) => {
      if (opts.all && opts.disk !== undefined) throw new UsageError('--disk and --all exclude each other');
      const type = parseDiskType(opts.type);
      const adapterType = parseAdapter(opts.adapter);
      const show = progressShow({ progress: opts.progress, quiet: opts.quiet || opts.json });
      let interrupted = false;
      const onSigint = () => { interrupted = true; };
      process.on('SIGINT', onSigint);
      prestartOpenWorkers(); // they load while the password's key is derived
      const repo = await openRepository(opts);
      try {
        const point = await findRestorePoint(repo, snapshot, opts.vm);
        const options: RestoreOptions = { outputFormat: opts.outputFormat, type, adapterType, overwrite: opts.force, cancelled: () => interrupted };
        let disks: RestoredDisk[];
        let vmx: string | null = null;
        if (opts.all) {
          ({ disks, vmx } = await restoreAll(repo, point, opts.to, options, show));
        } else {
          const index = pickDisk(point, opts.disk);
          const progress = createProgress(`restoring ${point.manifest.disks[index]!.label}`, process.stderr, show);
          try {
            disks = [await restoreDisk(repo, point, index, opts.to, { ...options, onProgress: (a, b) => progress.update(a, b) })];
          } finally {
            progress.stop();
          }
        }
        const s = point.snapshot;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ snapshot: s.id, time: s.time, vm: point.manifest.vm.name, disks, vmx }) + '\n');
        } else if (!opts.quiet) {
          process.stdout.write(`snapshot ${s.id.slice(0, 8)} of VM ${point.manifest.vm.name} (${s.time})\n`);
          for (const d of disks) process.stdout.write(describe(d));
          if (vmx) process.stdout.write(`wrote ${vmx}\n`);
        }
      } finally {
        process.off('SIGINT', onSigint);
        await repo.close();
      }
    }));
}
