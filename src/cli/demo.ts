import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createDiskDevice } from '../vmdk/create.js';
import { checkDisk } from '../vmdk/check.js';
import { formatCheck } from './check.js';
import { compareDisks, formatCompare } from './compare.js';
import { convertDisk } from './convert.js';
import { formatInfo, gatherInfo } from './info.js';
import { formatSize } from './size.js';
import { runAction } from './run-action.js';

// vixdisk demo (what `npm start` runs): a short tour on local files. Create a sparse disk, write
// recognisable blocks, convert it to streamOptimized and raw, check, describe and compare them.

const CAPACITY = 64 << 20;

/** Where the demo writes, and what: each block names its own offset so a dump shows where it is. */
const WRITES = [0, 1 << 20, (17 << 20) + 512, CAPACITY - (64 << 10)];

function block(offset: number): Uint8Array {
  const text = `vixdisk demo block at byte offset ${offset}\n`;
  return new Uint8Array(Buffer.alloc(4096, text));
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n') + '\n';
}

export async function runDemo(dir: string | undefined, out: (text: string) => void): Promise<void> {
  const keep = dir !== undefined;
  const folder = keep ? resolve(dir) : await mkdtemp(join(tmpdir(), 'vixdisk-demo-'));
  if (keep) await mkdir(folder, { recursive: true });
  try {
    const sparse = join(folder, 'demo.vmdk');
    const stream = join(folder, 'demo-stream.vmdk');
    const raw = join(folder, 'demo.img');
    out(`vixdisk demo in ${folder}\n\n`);

    out(`1. create ${sparse}: monolithicSparse, ${formatSize(CAPACITY)}, adapter lsilogic\n`);
    const dev = await createDiskDevice(sparse, { capacity: CAPACITY, type: 'monolithicSparse', adapterType: 'lsilogic', overwrite: keep });
    try {
      for (const offset of WRITES) {
        await dev.write(offset, block(offset));
        out(`   wrote 4 KiB at byte ${offset} ("vixdisk demo block at byte offset ${offset}")\n`);
      }
    } finally {
      await dev.close();
    }

    for (const [dst, type] of [[stream, 'streamOptimized'], [raw, 'raw']] as const) {
      const r = await convertDisk(sparse, dst, { type, overwrite: keep });
      out(`2. convert to ${type} ${dst}: read ${formatSize(r.bytesRead)}, wrote ${formatSize(r.bytesWritten)} ` +
        `in ${r.seconds.toFixed(3)} s (holes are skipped)\n`);
    }

    for (const path of [sparse, stream]) {
      const report = await checkDisk(path);
      out(`3. check ${path}: ${report.ok ? 'consistent' : 'PROBLEMS FOUND'}\n`);
      out(indent(formatCheck(path, report)));
      if (!report.ok) throw new Error(`the demo disk ${path} failed its check`);
    }

    for (const path of [sparse, stream, raw]) {
      out(`4. info ${path}\n`);
      out(indent(formatInfo(await gatherInfo(path))));
    }

    for (const [a, b] of [[sparse, stream], [sparse, raw], [stream, raw]] as const) {
      const r = await compareDisks(a, b);
      out(`5. compare ${a} ${b}: ${formatCompare(r).trim()}\n`);
      if (!r.identical) throw new Error(`the demo copies ${a} and ${b} differ at byte ${r.firstDifference}`);
    }
    out(keep ? `\ndone; the disks are in ${folder}\n` : `\ndone; removing ${folder}\n`);
  } finally {
    if (!keep) await rm(folder, { recursive: true, force: true });
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('a short end-to-end demonstration on local files: create, write, convert, check, info, compare')
    .argument('[dir]', 'folder to work in and keep (default: a temporary folder, removed at the end)')
    .addHelpText('after', `
Creates a 64 MiB monolithicSparse disk, writes a few recognisable blocks, converts it to
streamOptimized and to raw, checks both VMDKs, prints the info of each disk and compares them.`)
    .action(runAction(async (dir: string | undefined) => {
      await runDemo(dir, (t) => process.stdout.write(t));
    }));
}
