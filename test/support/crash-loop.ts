import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { checkDisk } from '../../src/vmdk/check.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { optionalPeer, run } from '../interop/peers.js';
import { fillFor, plannedWrite } from './crash-plan.js';
import { runAndKill } from './kill-after.js';
import { random01 } from './xorshift.js';

// The SIGKILL loop of test/vmdk/crash-safety.test.ts, for any disk made by the caller: a writer
// process (crash-writer.js) is killed at random moments; after each kill the disk must pass our
// check and `qemu-img check`, and hold every write made before the writer's last reported flush.

const WRITER = join(fileURLToPath(new URL('.', import.meta.url)), 'crash-writer.js');

async function writeAndKill(path: string, seed: number, ms: number): Promise<number> {
  let flushed = 0;
  await runAndKill(WRITER, [path, String(seed), '3'], ms, (l) => {
    const m = /^flushed (\d+)$/.exec(l);
    if (m) flushed = Number(m[1]);
  });
  return flushed;
}

/**
 * Kill a writer of `path` `iterations` times. `expected` holds what the disk reads before the first
 * kill (the parent's bytes) and is updated as writes become durable.
 */
export async function crashLoop(t: TestContext, path: string, expected: Uint8Array, iterations: number, seedBase: number): Promise<void> {
  const capacity = expected.length;
  const qemu = await optionalPeer(t, 'qemu-img');
  const random = random01(seedBase);
  const actual = new Uint8Array(capacity);
  for (let iter = 0; iter < iterations; iter++) {
    const seed = seedBase + iter + 1;
    const flushed = await writeAndKill(path, seed, 30 + Math.floor(random() * 200));
    const uncertain = new Uint8Array(capacity);
    for (let i = 0; i < flushed; i++) {
      const w = plannedWrite(seed, i, capacity);
      expected.set(fillFor(w, i), w.offset);
    }
    for (let i = flushed; i < flushed + 4; i++) {
      const w = plannedWrite(seed, i, capacity);
      uncertain.fill(1, w.offset, w.offset + w.length);
    }
    const report = await checkDisk(path);
    assert.deepEqual(report.problems, [], `iteration ${iter}: our check found problems`);
    if (qemu) {
      const r = await run('qemu-img', ['check', '-f', 'vmdk', path]);
      assert.equal(r.code, 0, `iteration ${iter}: qemu-img check failed:\n${r.stdout}${r.stderr}`);
    }
    const disk = await VmdkDisk.open(path, { readOnly: true });
    await disk.read(0, actual);
    await disk.close();
    for (let i = 0; i < capacity; i++) {
      if (uncertain[i]) {
        expected[i] = actual[i]!; // either outcome is allowed; carry on from what landed
      } else if (actual[i] !== expected[i]) {
        assert.fail(`iteration ${iter}: byte ${i} is ${actual[i]}, expected ${expected[i]} (flushed ${flushed} writes)`);
      }
    }
  }
}
