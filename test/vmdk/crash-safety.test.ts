import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDisk, createChild } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { crashLoop } from '../support/crash-loop.js';

// A process writing to a sparse disk is SIGKILLed at random moments, again and again. Each time
// the disk must open, pass `qemu-img check` and our check, and hold every write made before the
// last flush the writer reported. VIXDISK_CRASH_ITERATIONS sets how many kills (default 8).

const ITERATIONS = Number(process.env.VIXDISK_CRASH_ITERATIONS ?? 8);
const CAPACITY = 32 << 20;

for (const layout of ['monolithicSparse', 'child of a sparse base'] as const) {
  test(`killing a writer leaves a consistent ${layout} disk with every flushed write`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vixdisk-crash-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'disk.vmdk');
    const expected = new Uint8Array(CAPACITY);
    if (layout === 'monolithicSparse') {
      await createDisk(path, { capacity: CAPACITY });
    } else {
      const base = join(dir, 'base.vmdk');
      await createDisk(base, { capacity: CAPACITY });
      const b = await VmdkDisk.open(base);
      const pattern = new Uint8Array(CAPACITY / 2).fill(0x5a);
      await b.write(CAPACITY / 4, pattern);
      expected.set(pattern, CAPACITY / 4);
      await b.close();
      await createChild(path, base);
    }
    await crashLoop(t, path, expected, ITERATIONS, 1000 * layout.length);
  });
}
