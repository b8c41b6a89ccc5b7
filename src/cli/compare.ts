import { Command } from 'commander';
import type { BlockDevice, BlockStatusExtent } from '../block/block-device.js';
import { openDevice, type DeviceFormat } from '../device/open-device.js';
import { formatOption } from './format-option.js';
import { addJsonOutput } from './output-option.js';
import { runAction } from './run-action.js';

// vixdisk compare: do two disks read the same? As qemu-img compare (non-strict): with different
// capacities the common part is compared and the longer disk's tail must read as zeros.

const BLOCK = 4 << 20;
const IN_FLIGHT = 4;
/** Block status is asked for in windows of this size. */
const STATUS_WINDOW = 1 << 30;

export interface CompareResult {
  identical: boolean;
  /** Byte offset of the first difference, when there is one. */
  firstDifference: number | null;
  capacityA: number;
  capacityB: number;
}

/** Zero runs of a device, fetched window by window as the scan moves forward. */
class ZeroRuns {
  private runs: BlockStatusExtent[] = [];
  private windowEnd = 0;
  /** Calls overlap (several blocks in flight); they run one after another, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly dev: BlockDevice, private readonly limit: number) {}

  /** True when [offset, offset+length) is known to read as zeros. Calls come in ascending order. */
  allZero(offset: number, length: number): Promise<boolean> {
    const run = this.queue.then(() => this.covered(offset, length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async covered(offset: number, length: number): Promise<boolean> {
    const end = offset + length;
    while (this.windowEnd < end && this.windowEnd < this.limit) {
      const start = this.windowEnd;
      const n = Math.min(STATUS_WINDOW, this.limit - start);
      this.runs = this.runs.filter((r) => r.offset + r.length > offset);
      for (const e of await this.dev.blockStatus(start, n)) if (e.zero) this.runs.push(e);
      this.windowEnd = start + n;
    }
    this.runs = this.runs.filter((r) => r.offset + r.length > offset);
    // Runs are sorted and merged per window; walk them to see if they cover the range.
    let pos = offset;
    for (const r of this.runs) {
      if (r.offset > pos) break;
      pos = Math.max(pos, r.offset + r.length);
      if (pos >= end) return true;
    }
    return pos >= end;
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const ba = Buffer.from(a.buffer, a.byteOffset, a.length);
  const bb = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (ba.equals(bb)) return -1;
  // Narrow down with memcmp on halving spans, then bytes.
  let lo = 0;
  let hi = a.length;
  while (hi - lo > 64) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (ba.compare(bb, lo, mid, lo, mid) !== 0) hi = mid;
    else lo = mid;
  }
  for (let i = lo; i < hi; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function firstNonZero(buf: Uint8Array): number {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return i;
  return -1;
}

/**
 * Scan [start, end) in blocks with IN_FLIGHT requests at once; `check` returns the first differing
 * offset in a block or -1. Returns the lowest difference found (blocks before it were all done).
 */
async function scan(start: number, end: number, check: (offset: number, length: number) => Promise<number>): Promise<number> {
  let found = Infinity;
  const running = new Set<Promise<void>>();
  let failure: unknown = null;
  for (let off = start; off < end && off < found && !failure; off += BLOCK) {
    const n = Math.min(BLOCK, end - off);
    const p: Promise<void> = check(off, n).then((d) => {
      if (d >= 0) found = Math.min(found, d);
    }, (err) => { failure ??= err; }).finally(() => running.delete(p));
    running.add(p);
    if (running.size >= IN_FLIGHT) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure;
  return found === Infinity ? -1 : found;
}

export async function compareDevices(a: BlockDevice, b: BlockDevice): Promise<CompareResult> {
  const common = Math.min(a.capacity, b.capacity);
  const zerosA = new ZeroRuns(a, a.capacity);
  const zerosB = new ZeroRuns(b, b.capacity);
  const pool: Uint8Array[] = [];
  const take = () => pool.pop() ?? new Uint8Array(BLOCK);

  let diff = await scan(0, common, async (offset, length) => {
    // Status is asked in order; the scan issues blocks in order, so these calls stay ascending.
    const [za, zb] = await Promise.all([zerosA.allZero(offset, length), zerosB.allZero(offset, length)]);
    if (za && zb) return -1;
    const ba = take();
    const bb = take();
    try {
      const va = ba.subarray(0, length);
      const vb = bb.subarray(0, length);
      await Promise.all([a.read(offset, va), b.read(offset, vb)]);
      const d = firstDifference(va, vb);
      return d < 0 ? -1 : offset + d;
    } finally {
      pool.push(ba, bb);
    }
  });
  if (diff < 0 && a.capacity !== b.capacity) {
    const longer = a.capacity > b.capacity ? a : b;
    const zeros = longer === a ? zerosA : zerosB;
    diff = await scan(common, longer.capacity, async (offset, length) => {
      if (await zeros.allZero(offset, length)) return -1;
      const buf = take();
      try {
        const v = buf.subarray(0, length);
        await longer.read(offset, v);
        const d = firstNonZero(v);
        return d < 0 ? -1 : offset + d;
      } finally {
        pool.push(buf);
      }
    });
  }
  return { identical: diff < 0, firstDifference: diff < 0 ? null : diff, capacityA: a.capacity, capacityB: b.capacity };
}

export async function compareDisks(pathA: string, pathB: string,
  formats: { formatA?: DeviceFormat; formatB?: DeviceFormat } = {}): Promise<CompareResult> {
  const a = await openDevice(pathA, { readOnly: true, format: formats.formatA });
  try {
    const b = await openDevice(pathB, { readOnly: true, format: formats.formatB });
    try {
      return await compareDevices(a, b);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

export function formatCompare(r: CompareResult): string {
  const lines: string[] = [];
  if (r.capacityA !== r.capacityB) lines.push(`Warning: image size mismatch (${r.capacityA} and ${r.capacityB} bytes); the longer tail must read as zeros`);
  if (r.identical) lines.push('Images are identical.');
  else lines.push(`Content mismatch at offset ${r.firstDifference}!`);
  return lines.join('\n') + '\n';
}

export function compareCommand(): Command {
  return addJsonOutput(new Command('compare')
    .description('compare the contents of two disks (any mix of VMDK types, raw images and NBD exports)')
    .argument('<a>', 'first disk')
    .argument('<b>', 'second disk')
    .addOption(formatOption('-f, --format <format>', 'the first disk'))
    .addOption(formatOption('-F, --format-b <format>', 'the second disk'))
    .option('-q, --quiet', 'print nothing: the exit status says it'), 'print {identical, firstDifference, capacityA, capacityB} as JSON')
    .addHelpText('after', `
Exit status, as cmp and qemu-img compare: 0 when the disks read the same, 1 when they differ (the
first differing byte offset is printed), 2 on error (usage errors too). With different capacities
the common part is compared and the longer disk's tail must read as zeros, as qemu-img compare does.`)
    .action(runAction(async (a: string, b: string, opts: { json?: boolean; quiet?: boolean; format?: DeviceFormat; formatB?: DeviceFormat }) => {
      const r = await compareDisks(a, b, { formatA: opts.format, formatB: opts.formatB });
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else if (!opts.quiet) process.stdout.write(formatCompare(r));
      return r.identical ? 0 : 1;
    }, { errorExitCode: 2 }));
}
