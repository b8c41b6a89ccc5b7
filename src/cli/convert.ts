import { realpath, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { BlockDevice } from '../block/block-device.js';
import { copyDevice } from '../block/copy.js';
import { createDevice, openDevice, type DeviceFormat } from '../device/open-device.js';
import { isVixUri } from '../device/vix-uri.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import { VIX_E_CANCELLED, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { diskFiles, DISK_TYPES, type DiskType } from '../vmdk/create.js';
import { VmdkDisk } from '../vmdk/disk.js';
import { ADAPTER_TYPES, type AdapterType } from '../vmdk/geometry.js';
import { SECTOR } from '../vmdk/sparse-header.js';
import { parseAdapter, parseDiskType } from './create.js';
import { createDestination, destinationType } from './destination.js';
import { formatOption, parseFormat } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { createProgress, progressShow } from './progress.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk convert: copy any disk into a new disk of any type through the one copy loop.

export interface ConvertOptions {
  /** Read the source as this format whatever its name says (qemu-img's -f). */
  format?: DeviceFormat;
  /** Write the destination in this format whatever its name says (qemu-img's -O). */
  outputFormat?: DeviceFormat;
  /** VMDK subformat of the destination (default monolithicSparse); 'raw' is the same as outputFormat 'raw'. */
  type?: DiskType | 'raw';
  /** Adapter of a VMDK destination; a VMDK source's adapter is kept by default. */
  adapterType?: AdapterType;
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Checked between requests; a true value stops the copy with VIX_E_CANCELLED. */
  cancelled?: () => boolean;
}

export interface ConvertResult {
  source: string;
  destination: string;
  /** "raw" or the VMDK createType of the destination. */
  destinationType: DiskType | 'raw';
  capacity: number;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([realpath(a).catch(() => resolve(a)), realpath(b).catch(() => resolve(b))]);
  return ra === rb;
}

/** An NBD export as destination: written in place (holes as WRITE_ZEROES), nothing created or removed. */
async function convertToNbd(source: string, destination: string, options: ConvertOptions, started: bigint): Promise<ConvertResult> {
  const src = await openDevice(source, { readOnly: true, format: options.format });
  try {
    const dst = await openDevice(destination, { readOnly: false });
    try {
      const r = await copyDevice(src, dst, {
        destinationIsZero: false,
        onProgress: (done, total) => {
          if (options.cancelled?.()) throw new VixError(VIX_E_CANCELLED, 'the conversion was cancelled');
          options.onProgress?.(done, total);
        },
      });
      await dst.flush();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return {
        source: isRemoteSource(source) ? source : resolve(source), destination, destinationType: 'raw', capacity: src.capacity,
        bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, seconds,
      };
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}

export async function convertDisk(source: string, destination: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const type = destinationType(destination, options.outputFormat, options.type, '-O');
  if (isNbdUri(destination)) return convertToNbd(source, destination, options, process.hrtime.bigint());
  const dstPath = resolve(destination);
  if (type === 'raw' && options.adapterType !== undefined) throw new UsageError('a raw destination has no adapter type');
  const started = process.hrtime.bigint();
  const src = await openDevice(source, { readOnly: true, format: options.format });
  let dst: BlockDevice | null = null;
  try {
    const srcFiles = src instanceof VmdkDisk ? src.links.flatMap((l) => l.files) : isRemoteSource(source) ? [] : [resolve(source)];
    const capacitySectors = Math.ceil(src.capacity / SECTOR);
    const dstFiles = type === 'raw' ? [dstPath] : diskFiles(dstPath, type, capacitySectors);
    for (const s of srcFiles) {
      for (const d of dstFiles) {
        if (await sameFile(s, d)) throw new VixError(VIX_E_INVALID_ARG, `the destination ${d} is a file of the source disk`);
      }
    }
    let adapterType = options.adapterType;
    if (adapterType === undefined && src instanceof VmdkDisk) {
      const a = src.info().adapterType;
      if (a && (ADAPTER_TYPES as readonly string[]).includes(a)) adapterType = a as AdapterType;
    }
    dst = await createDestination(dstPath, () => createDevice(dstPath, type === 'raw'
      ? { format: 'raw', capacity: src.capacity, overwrite: options.overwrite }
      : { format: 'vmdk', capacity: src.capacity, type, adapterType, overwrite: options.overwrite, cache: 'unsafe' }));
    // From here on the destination files are ours: any failure removes them.
    try {
      const r = await copyDevice(src, dst, {
        destinationIsZero: true,
        onProgress: (done, total) => {
          if (options.cancelled?.()) throw new VixError(VIX_E_CANCELLED, 'the conversion was cancelled');
          options.onProgress?.(done, total);
        },
      });
      const d = dst;
      dst = null;
      await d.close();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return {
        source: isRemoteSource(source) ? source : resolve(source), destination: dstPath, destinationType: type, capacity: src.capacity,
        bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, seconds,
      };
    } catch (err) {
      await dst?.close().catch(() => undefined);
      await Promise.all(dstFiles.map((f) => rm(f, { force: true }).catch(() => undefined)));
      throw toVixError(err, dstPath);
    }
  } finally {
    await src.close();
  }
}

export interface ConvertCommandOptions {
  format?: DeviceFormat;
  outputFormat?: DeviceFormat;
  type?: string;
  adapter?: string;
  force?: boolean;
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

export function convertCommand(): Command {
  return addJsonOutput(new Command('convert')
    .description('copy a disk (VMDK of any type, raw, or an NBD export) into a new disk of any type')
    .argument('<source>', 'disk to read (opened read-only): *.vmdk is a VMDK, an NBD URI an export, anything else raw')
    .argument('<destination>', 'disk to create: *.vmdk makes a VMDK, any other name a raw image')
    .addOption(formatOption('-f, --format <format>', 'the source'))
    .addOption(new Option('-O, --output-format <format>', 'write the destination as vmdk or raw whatever its name says (default: by its name)')
      .argParser(parseFormat))
    .option('-t, --type <type>', `VMDK subformat of the destination: ${DISK_TYPES.join(', ')} (default monolithicSparse); raw is the same as -O raw`)
    .option('-a, --adapter <adapter>', `adapter type of a VMDK destination: ${ADAPTER_TYPES.join(', ')} (default: the source's, else ide)`)
    .option('--force', 'replace an existing destination')
    .option('-p, --progress', 'show progress even when stderr is not a terminal (then one line per percent)')
    .option('-q, --quiet', 'print nothing but errors: no progress, no summary'), 'print {bytesRead, bytesWritten, seconds} as JSON')
    .addHelpText('after', `
Holes and zero blocks of the source are not written. A progress bar is shown when stderr is a
terminal (-p: always, -q: never). If the conversion fails or is interrupted, the partly written
destination is removed. The options map qemu-img convert's: -f for the source's format, -O for the
destination's (vmdk or raw; --type picks the VMDK subformat, as qemu-img's -o subformat=).

Examples:
  vixdisk convert disk.vmdk disk.img
  vixdisk convert --type streamOptimized disk.img disk-stream.vmdk
  vixdisk convert -p -f vmdk -O raw disk.vmdk disk.raw`)
    .action(runAction(async (source: string, destination: string, opts: ConvertCommandOptions) => {
      const type = parseDiskType(opts.type);
      const adapterType = parseAdapter(opts.adapter);
      const progress = createProgress('converting', process.stderr, progressShow(opts));
      let interrupted = false;
      const onSigint = () => { interrupted = true; };
      process.on('SIGINT', onSigint);
      try {
        const r = await convertDisk(source, destination, {
          format: opts.format, outputFormat: opts.outputFormat, type, adapterType, overwrite: opts.force,
          onProgress: (done, total) => progress.update(done, total),
          cancelled: () => interrupted,
        });
        progress.stop();
        if (opts.json) {
          process.stdout.write(JSON.stringify({ bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, seconds: r.seconds }) + '\n');
        } else if (!opts.quiet) {
          process.stdout.write(`converted ${r.source} to ${r.destination} (${r.destinationType}, ${formatSize(r.capacity)}): ` +
            `read ${formatSize(r.bytesRead)}, wrote ${formatSize(r.bytesWritten)} in ${r.seconds.toFixed(2)} s\n`);
        }
      } finally {
        progress.stop();
        process.off('SIGINT', onSigint);
      }
    }));
}

/** An NBD export or a disk on a vSphere host: no local file behind it. */
function isRemoteSource(name: string): boolean {
  return isNbdUri(name) || isVixUri(name);
}
