import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { BlockDevice } from '../block/block-device.js';
import { openDevice, type DeviceFormat } from '../device/open-device.js';
import { isNbdUri } from '../nbd/nbd-uri.js';
import { isVixUri } from '../device/vix-uri.js';
import { toVixError } from '../errors/vix-error.js';
import { VmdkDisk, type DiskInfo } from '../vmdk/disk.js';
import { formatOption } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { formatSize } from './size.js';

// vixdisk info: what a disk is (format, size, geometry, CIDs, extents, chain) and how much of it
// is stored.

/** Block status is asked for in windows of this size, bounding the extent list held at once. */
const STATUS_WINDOW = 1 << 30;

export interface UsageFigures {
  /** Bytes of the disk that some link stores (block status "allocated"). */
  allocatedBytes: number;
  /** Bytes the files of the disk occupy on the host file system (st_blocks * 512, summed). */
  fileBytes: number;
}

export type InfoReport =
  | ({ format: 'vmdk' } & DiskInfo & UsageFigures)
  | ({ format: 'raw'; path: string; capacity: number; capacitySectors: number } & UsageFigures)
  | { format: 'nbd' | 'vix'; path: string; capacity: number; capacitySectors: number; readOnly: boolean; allocatedBytes: number; fileBytes: null };

/** Sum of the allocated runs the device reports over its whole capacity. */
export async function allocatedBytes(dev: BlockDevice): Promise<number> {
  let total = 0;
  for (let off = 0; off < dev.capacity; off += STATUS_WINDOW) {
    for (const e of await dev.blockStatus(off, Math.min(STATUS_WINDOW, dev.capacity - off))) {
      if (e.allocated) total += e.length;
    }
  }
  return total;
}

async function fileBytes(paths: string[]): Promise<number> {
  let total = 0;
  for (const p of new Set(paths)) {
    try {
      total += (await stat(p)).blocks * 512;
    } catch (err) {
      throw toVixError(err, p);
    }
  }
  return total;
}

export async function gatherInfo(path: string, options: { singleLink?: boolean; format?: DeviceFormat } = {}): Promise<InfoReport> {
  const dev = await openDevice(path, { readOnly: true, singleLink: options.singleLink, format: options.format });
  try {
    const allocated = await allocatedBytes(dev);
    if (dev instanceof VmdkDisk) {
      const files = dev.links.flatMap((l) => l.files);
      return { format: 'vmdk', ...dev.info(), allocatedBytes: allocated, fileBytes: await fileBytes(files) };
    }
    if (isNbdUri(path) || isVixUri(path)) {
      return {
        format: isVixUri(path) ? 'vix' : 'nbd', path, capacity: dev.capacity, capacitySectors: Math.ceil(dev.capacity / 512), readOnly: dev.readOnly,
        allocatedBytes: allocated, fileBytes: null,
      };
    }
    const abs = resolve(path);
    return {
      format: 'raw', path: abs, capacity: dev.capacity, capacitySectors: Math.ceil(dev.capacity / 512),
      allocatedBytes: allocated, fileBytes: await fileBytes([abs]),
    };
  } finally {
    await dev.close();
  }
}

const chs = (g: { cylinders: number; heads: number; sectors: number }) => `${g.cylinders}/${g.heads}/${g.sectors} (C/H/S)`;

/** Aligned `key: value` lines. */
export function formatInfo(info: InfoReport): string {
  const rows: Array<[string, string]> = [['path', info.path], ['format', info.format]];
  if (info.format === 'vmdk') rows.push(['createType', info.createType]);
  rows.push(['capacity', `${info.capacity} bytes (${formatSize(info.capacity)})`]);
  rows.push(['sectors', String(info.capacitySectors)]);
  if (info.format === 'vmdk') {
    rows.push(['adapter', info.adapterType ?? '(none)']);
    rows.push(['geometry', info.geometry ? chs(info.geometry) : '(none)']);
    if (info.biosGeometry) rows.push(['biosGeometry', chs(info.biosGeometry)]);
    rows.push(['hwVersion', info.hwVersion ?? '(none)']);
    rows.push(['CID', info.cid]);
    rows.push(['parentCID', info.parentCid]);
    rows.push(['uuid', info.uuid ?? '(none)']);
    if (info.parentFileNameHint) rows.push(['parentFileNameHint', info.parentFileNameHint]);
    info.extents.forEach((e, i) => {
      const offset = e.offsetSectors !== null ? ` ${e.offsetSectors}` : '';
      const file = e.fileName !== null ? ` "${e.fileName}"` : '';
      rows.push([`extent ${i}`, `${e.access} ${e.sizeSectors} ${e.type}${file}${offset}`]);
    });
    info.chain.forEach((l, i) => {
      rows.push([`chain ${i}`, `${l.path} (${l.createType}, CID ${l.cid}, parentCID ${l.parentCid})`]);
    });
  }
  rows.push(['allocated', `${info.allocatedBytes} bytes (${formatSize(info.allocatedBytes)})`]);
  if (info.fileBytes !== null) rows.push(['fileBytes', `${info.fileBytes} bytes (${formatSize(info.fileBytes)})`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n') + '\n';
}

export function infoCommand(): Command {
  return addJsonOutput(new Command('info')
    .description('show what a disk is: format, capacity, adapter, geometry, CIDs, extents, parent chain and space used')
    .argument('<disk>', 'a VMDK (*.vmdk: descriptor or monolithic file), a raw image (any other name), or an NBD URI (nbd://host/export, nbd+unix:///export?socket=PATH)')
    .addOption(formatOption())
    .option('--single-link', 'describe only the named link, not its parents'), 'print one JSON object instead of key: value lines')
    .addHelpText('after', `
"format" is what the name says (*.vmdk a VMDK, anything else raw) or --format; a file that is not
what its name says is refused, never shown as the other format.
"allocated" is what the chain stores (block status); "fileBytes" is the space its files take on
the host (st_blocks * 512 of every file of every link).

Examples:
  vixdisk info disk.vmdk
  vixdisk info --json disk-000001.vmdk`)
    .action(runAction(async (disk: string, opts: { json?: boolean; singleLink?: boolean; format?: DeviceFormat }) => {
      const info = await gatherInfo(disk, { singleLink: opts.singleLink, format: opts.format });
      process.stdout.write(opts.json ? JSON.stringify(info, null, 2) + '\n' : formatInfo(info));
    }));
}
