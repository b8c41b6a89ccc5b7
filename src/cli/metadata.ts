import { Command } from 'commander';
import { VmdkDisk } from '../vmdk/disk.js';
import { listMetadataKeys, readMetadata, writeMetadata } from '../vmdk/metadata.js';
import type { DeviceFormat } from '../device/open-device.js';
import { formatOption, requireVmdk } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';
import { UsageError } from './usage-error.js';

// vixdisk metadata: the disk data base (ddb) with VixDiskLib's key names (no "ddb." prefix).

export function metadataCommand(): Command {
  return addJsonOutput(new Command('metadata')
    .description('list, get or set the disk data base (VixDiskLib metadata: ddb keys without "ddb.")')
    .argument('<disk>', 'the VMDK')
    .argument('<action>', 'list | get KEY | set KEY VALUE')
    .argument('[args...]')
    .addOption(formatOption()), 'list as a JSON object')
    .action(runAction(async (disk: string, action: string, args: string[], opts: { json?: boolean; format?: DeviceFormat }) => {
      requireVmdk(disk, opts.format, 'metadata');
      switch (action) {
        case 'list': {
          const d = await VmdkDisk.open(disk, { readOnly: true });
          try {
            const entries: Record<string, string> = {};
            for (const k of await listMetadataKeys(d)) entries[k] = await readMetadata(d, k);
            process.stdout.write(opts.json ? JSON.stringify(entries, null, 2) + '\n'
              : Object.entries(entries).map(([k, v]) => `${k} = ${v}\n`).join(''));
          } finally {
            await d.close();
          }
          return;
        }
        case 'get':
          if (args.length !== 1) throw new UsageError('metadata get takes one KEY');
          process.stdout.write(`${await readMetadata(disk, args[0]!)}\n`);
          return;
        case 'set':
          if (args.length !== 2) throw new UsageError('metadata set takes KEY VALUE');
          await writeMetadata(disk, args[0]!, args[1]!);
          return;
        default:
          throw new UsageError(`unknown metadata action "${action}" (list, get or set)`);
      }
    }));
}
