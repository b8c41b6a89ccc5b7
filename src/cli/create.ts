import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { RawFileDevice } from '../block/raw-file.js';
import { VIX_E_DISK_CAPACITY_MISMATCH } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import { CHILD_TYPES, createChild, createDisk, diskFiles, DISK_TYPES, type ChildType, type DiskType } from '../vmdk/create.js';
import type { DeviceFormat } from '../device/open-device.js';
import { VmdkDisk } from '../vmdk/disk.js';
import { ADAPTER_TYPES, type AdapterType } from '../vmdk/geometry.js';
import { SECTOR } from '../vmdk/sparse-header.js';
import { createDestination, destinationType } from './destination.js';
import { parseFormat, requireVmdk } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { formatSize, parseSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk create: a new empty disk of any hosted type, or a child (delta) link of an existing disk.

export interface CreateCommandOptions {
  /** Make this format whatever the name says. */
  format?: DeviceFormat;
  type?: string;
  adapter?: string;
  hwversion?: string;
  parent?: string;
  force?: boolean;
  json?: boolean;
}

export interface CreateReport {
  path: string;
  type: DiskType | ChildType | 'raw';
  capacity: number;
  adapterType: AdapterType | null;
  parent: string | null;
  files: string[];
}

/** `--type` as the library knows it; "raw" makes a plain image. */
export function parseDiskType(text: string | undefined): DiskType | 'raw' | undefined {
  if (text === undefined) return undefined;
  if (text === 'raw') return 'raw';
  const t = DISK_TYPES.find((d) => d.toLowerCase() === text.toLowerCase());
  if (!t) throw new UsageError(`unknown disk type "${text}" (one of ${DISK_TYPES.join(', ')}, raw)`);
  return t;
}

export function parseAdapter(text: string | undefined): AdapterType | undefined {
  if (text === undefined) return undefined;
  const a = ADAPTER_TYPES.find((d) => d.toLowerCase() === text.toLowerCase());
  if (!a) throw new UsageError(`unknown adapter type "${text}" (one of ${ADAPTER_TYPES.join(', ')})`);
  return a;
}

function parseSizeArgument(text: string): number {
  try {
    return parseSize(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function createCommandAction(disk: string, size: string | undefined, opts: CreateCommandOptions): Promise<CreateReport> {
  const adapterType = parseAdapter(opts.adapter);
  const abs = resolve(disk);
  if (opts.parent !== undefined) {
    requireVmdk(disk, opts.format, 'create --parent');
    const childType = opts.type === undefined ? 'monolithicSparse' : CHILD_TYPES.find((c) => c.toLowerCase() === opts.type!.toLowerCase());
    if (!childType) {
      throw new UsageError(`a child disk is one of ${CHILD_TYPES.join(', ')}; --type ${opts.type} cannot be combined with --parent`);
    }
    if (adapterType !== undefined || opts.hwversion !== undefined) {
      throw new UsageError('a child disk takes its adapter and hardware version from its parent; drop --adapter/--hwversion');
    }
    if (size !== undefined) {
      const wanted = Math.ceil(parseSizeArgument(size) / SECTOR) * SECTOR;
      const parent = await VmdkDisk.open(opts.parent, { readOnly: true });
      const capacity = parent.capacity;
      await parent.close();
      if (wanted !== capacity) {
        throw new VixError(VIX_E_DISK_CAPACITY_MISMATCH,
          `size ${size} (${wanted} bytes) does not match the parent's capacity of ${capacity} bytes; omit SIZE with --parent`);
      }
    }
    await createDestination(abs, () => createChild(abs, opts.parent!, { overwrite: opts.force, type: childType }));
    const child = await VmdkDisk.open(abs, { readOnly: true });
    try {
      const info = child.info();
      return {
        path: abs, type: childType, capacity: info.capacity,
        adapterType: (ADAPTER_TYPES as readonly string[]).includes(info.adapterType ?? '') ? info.adapterType as AdapterType : null,
        parent: child.links[1]?.path ?? null, files: child.top.files,
      };
    } finally {
      await child.close();
    }
  }
  const type = destinationType(disk, opts.format, parseDiskType(opts.type), '--format');
  if (size === undefined) throw new UsageError('SIZE is required (only a child disk made with --parent takes its size from its parent)');
  const capacity = parseSizeArgument(size);
  if (capacity <= 0) throw new UsageError(`size ${size} is not a positive number of bytes`);
  if (type === 'raw') {
    if (adapterType !== undefined || opts.hwversion !== undefined) throw new UsageError('a raw image has no adapter or hardware version');
    const dev = await createDestination(abs, () => RawFileDevice.create(abs, capacity, { overwrite: opts.force }));
    await dev.close();
    return { path: abs, type: 'raw', capacity, adapterType: null, parent: null, files: [abs] };
  }
  if (opts.hwversion !== undefined && !/^\d+$/.test(opts.hwversion)) {
    throw new UsageError(`hardware version "${opts.hwversion}" is not a number`);
  }
  const adapter = adapterType ?? 'ide';
  await createDestination(abs, () => createDisk(abs, { capacity, type, adapterType: adapter, hwVersion: opts.hwversion, overwrite: opts.force }));
  const sectors = Math.ceil(capacity / SECTOR);
  return { path: abs, type, capacity: sectors * SECTOR, adapterType: adapter, parent: null, files: diskFiles(abs, type, sectors) };
}

export function createCommand(): Command {
  return addJsonOutput(new Command('create')
    .description('create an empty disk, or a child (delta) disk over an existing one')
    .argument('<disk>', 'file to create (the descriptor, for multi-file types): *.vmdk makes a VMDK, any other name a raw image')
    .addOption(new Option('-f, --format <format>', 'make a vmdk or a raw image whatever the name says (as qemu-img create -f)').argParser(parseFormat))
    .argument('[size]', 'capacity: bytes or a number with K, M, G, T (binary units), e.g. 10G; optional with --parent')
    .option('-t, --type <type>', `VMDK subformat: ${DISK_TYPES.join(', ')} (default monolithicSparse); raw is the same as --format raw`)
    .option('-a, --adapter <adapter>', `adapter type: ${ADAPTER_TYPES.join(', ')}`)
    .option('--hwversion <n>', 'virtual hardware version written to ddb.virtualHWVersion (default 4)')
    .option('-p, --parent <disk>', 'make a child (delta) of this disk (its CID becomes the parentCID); --type then picks monolithicSparse, twoGbMaxExtentSparse, vmfsSparse or seSparse')
    .option('--force', 'replace existing files'), 'print what was created as JSON')
    .addHelpText('after', `
The default adapter is ide. Geometry is computed from the capacity and adapter (16 heads for ide,
255 for SCSI adapters, 63 sectors per track).

Examples:
  vixdisk create disk.vmdk 10G
  vixdisk create --type streamOptimized --adapter lsilogic disk.vmdk 20G
  vixdisk create --parent base.vmdk delta.vmdk
  vixdisk create --parent vm.vmdk --type seSparse vm-000001.vmdk`)
    .action(runAction(async (disk: string, size: string | undefined, opts: CreateCommandOptions) => {
      const r = await createCommandAction(disk, size, opts);
      if (opts.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      } else {
        const how = r.parent ? `child of ${r.parent}` : `${r.type}${r.adapterType ? `, adapter ${r.adapterType}` : ''}`;
        process.stdout.write(`created ${r.path}: ${r.capacity} bytes (${formatSize(r.capacity)}), ${how}\n`);
      }
    }));
}
