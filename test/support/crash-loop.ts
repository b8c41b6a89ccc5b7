import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { checkDisk } from '../../src/vmdk/check.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { onPath, run } from '../interop/peers.js';
import { fillFor, plannedWrite } from './crash-plan.js';

// The SIGKILL loop of test/vmdk/crash-safety.test.ts, for any disk made by the caller: a writer
// process (crash-writer.js) is killed at random moments; after each kill the disk must pass our
// check and `qemu-img check`, and hold every write made before the writer's last reported flush.

const WRITER = join(fileURLToPath(new URL('.', import.meta.url)), 'crash-writer.js');

async function writeAndKill(path: string, seed: number, ms: number): Promise<number> {
  const child = spawn(process.execPath, [WRITER, path, String(seed), '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let flushed = 0;
  let out = '';
  let err = '';
  let opened!: () => void;
  const openedP = new Promise<void>((r) => (opened = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const l of lines) {
      if (l === 'open') opened();
      const m = /^flushed (\d+)$/.exec(l);
      if (m) flushed = Number(m[1]);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  await Promise.race([openedP, exited]);
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
  assert.equal(err, '', `writer failed: ${err}`);
  return flushed;
}

/**
 * Kill a writer of `path` `iterations` times. `expected` holds what the disk reads before the first
 * kill (the parent's bytes) and is updated as writes become durable.
 */
export async function crashLoop(t: TestContext, path: string, expected: Uint8Array, iterations: number, seedBase: number): Promise<void> {
  const capacity = expected.length;
  const qemu = await onPath('qemu-img');
  if (!qemu) {
    assert.notEqual(process.env.VIXDISK_REQUIRE_PEERS, '1', 'qemu-img is required (VIXDISK_REQUIRE_PEERS=1) but not installed');
    t.diagnostic('qemu-img not installed: checking with vixdisk only');
  }
  let s = seedBase >>> 0 || 1;
  const random = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
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
