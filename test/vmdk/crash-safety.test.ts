import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDisk, createChild } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { checkDisk } from '../../src/vmdk/check.js';
import { fillFor, plannedWrite } from '../support/crash-plan.js';
import { onPath, run } from '../interop/peers.js';

// A process writing to a sparse disk is SIGKILLed at random moments, again and again. Each time
// the disk must open, pass `qemu-img check` and our check, and hold every write made before the
// last flush the writer reported. VIXDISK_CRASH_ITERATIONS sets how many kills (default 8).

const ITERATIONS = Number(process.env.VIXDISK_CRASH_ITERATIONS ?? 8);
const CAPACITY = 32 << 20;
const WRITER = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'support', 'crash-writer.js');

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Run the writer, kill it after `ms`, return how many writes it reported durable and how many it started. */
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

for (const layout of ['monolithicSparse', 'child of a sparse base'] as const) {
  test(`killing a writer leaves a consistent ${layout} disk with every flushed write`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vixdisk-crash-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'disk.vmdk');
    // Expected content as the test knows it, and which bytes a killed write may have left either way.
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
    const qemu = await onPath('qemu-img');
    if (!qemu) {
      assert.notEqual(process.env.VIXDISK_REQUIRE_PEERS, '1', 'qemu-img is required (VIXDISK_REQUIRE_PEERS=1) but not installed');
      t.diagnostic('qemu-img not installed: checking with vixdisk only');
    }
    const random = rng(layout.length);
    let seed = 1000 * layout.length;
    for (let iter = 0; iter < ITERATIONS; iter++) {
      seed++;
      const flushed = await writeAndKill(path, seed, 30 + Math.floor(random() * 250));
      // What the writer may have started after its last flush is uncertain: up to the next few writes.
      const uncertain = new Uint8Array(CAPACITY);
      for (let i = 0; i < flushed; i++) {
        const w = plannedWrite(seed, i, CAPACITY);
        expected.set(fillFor(w, i), w.offset);
      }
      for (let i = flushed; i < flushed + 4; i++) {
        const w = plannedWrite(seed, i, CAPACITY);
        uncertain.fill(1, w.offset, w.offset + w.length);
      }
      const report = await checkDisk(path);
      assert.deepEqual(report.problems, [], `iteration ${iter}: our check found problems`);
      if (qemu) {
        const r = await run('qemu-img', ['check', '-f', 'vmdk', path]);
        assert.equal(r.code, 0, `iteration ${iter}: qemu-img check failed:\n${r.stdout}${r.stderr}`);
      }
      const disk = await VmdkDisk.open(path, { readOnly: true });
      const actual = new Uint8Array(CAPACITY);
      await disk.read(0, actual);
      await disk.close();
      for (let i = 0; i < CAPACITY; i++) {
        if (uncertain[i]) {
          expected[i] = actual[i]!; // either outcome is allowed; carry on from what landed
        } else if (actual[i] !== expected[i]) {
          assert.fail(`iteration ${iter}: byte ${i} is ${actual[i]}, expected ${expected[i]} (flushed ${flushed} writes)`);
        }
      }
    }
  });
}
