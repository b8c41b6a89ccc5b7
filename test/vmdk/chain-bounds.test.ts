import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VIX_E_DISK_INVALIDDISK } from '../../src/errors/error-codes.js';
import { MAX_CHAIN_DESCRIPTOR_BYTES, MAX_CHAIN_EXTENTS, MAX_CHAIN_METADATA_BYTES } from '../../src/vmdk/chain-budget.js';
import { MAX_DESCRIPTOR_BYTES } from '../../src/vmdk/descriptor.js';
import { MAX_CHAIN_DEPTH, VmdkDisk } from '../../src/vmdk/disk.js';
import {
  deepChainByte, DEEP_CHAIN_STRIDE, HOSTILE_GD_BYTES_PER_LINK, writeDeepChain, writeHostileChain, writeHostileSparseChain,
} from '../support/deep-chain.js';
import { runVixdisk } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

// Whole-chain bounds (issue 9, part 4): a chain whose every link is inside the per-link limits is
// refused in bounded memory once all its links together pass a bound; a chain of real depth
// (VMware's 255 links) opens and reads.

const MiB = 1 << 20;
const DISK_JS = fileURLToPath(new URL('../../src/vmdk/disk.js', import.meta.url));

interface ChildResult { code: number | null; message: string; maxRssMiB: number; stderr: string }

/**
 * Open `path` in a fresh process (heap capped at 1 GiB, so an unbounded open dies quickly instead
 * of taking the machine) and report the VIX code, the message and the process's peak RSS.
 */
function openInChild(path: string): Promise<ChildResult> {
  const script = `
    const { VmdkDisk } = await import(${JSON.stringify(DISK_JS)});
    let code = null, message = 'opened';
    try { await (await VmdkDisk.open(process.argv[1], { readOnly: true })).close(); }
    catch (e) { code = e.code ?? null; message = e.message; }
    process.stdout.write(JSON.stringify({ code, message, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--max-old-space-size=1024', '--input-type=module', '-e', script, path],
      { maxBuffer: 16 * MiB }, (_err, stdout, stderr) => {
        const r = stdout ? JSON.parse(stdout) as Omit<ChildResult, 'stderr'> : { code: null, message: 'no result', maxRssMiB: NaN };
        resolve({ ...r, stderr });
      });
  });
}

test(`255 links of 65536 ZERO extents: refused with 16063 past ${MAX_CHAIN_EXTENTS} extents, in bounded memory, one line`, async (t) => {
  const dir = await tempDir(t, 'vixdisk-hostile-chain-');
  const top = await writeHostileChain(dir, MAX_CHAIN_DEPTH);
  const r = await openInChild(top);
  assert.equal(r.stderr, '', 'nothing on stderr (no V8 out-of-memory dump)');
  assert.equal(r.code, VIX_E_DISK_INVALIDDISK, r.message);
  assert.match(r.message, new RegExp(`more than ${MAX_CHAIN_EXTENTS} extents`));
  assert.doesNotMatch(r.message, /\n/);
  assert.ok(r.maxRssMiB < 400, `peak RSS ${r.maxRssMiB.toFixed(0)} MiB stays under 400 MiB`);
  t.diagnostic(`refused at peak RSS ${r.maxRssMiB.toFixed(0)} MiB: ${r.message}`);
});

test('the hostile chain through the CLI: one line on stderr, exit 1, no V8 dump', async (t) => {
  const dir = await tempDir(t, 'vixdisk-hostile-chain-');
  const top = await writeHostileChain(dir, MAX_CHAIN_DEPTH);
  const { code: exit, stdout, stderr } = await runVixdisk(['info', top], { nodeArgs: ['--max-old-space-size=1024'] });
  assert.equal(exit, 1);
  assert.equal(stdout, '');
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /more than \d+ extents.*16063/);
});

test(`links of 1 MiB descriptors: refused with 16063 past ${MAX_CHAIN_DESCRIPTOR_BYTES} descriptor bytes`, async (t) => {
  const dir = await tempDir(t, 'vixdisk-hostile-chain-');
  // Comment lines up to the per-link limit: no extents at all but one, so only the bytes bound applies.
  const body = 'RW 1 ZERO\n' + '#\n'.repeat((MAX_DESCRIPTOR_BYTES - 200) / 2);
  const top = await writeHostileChain(dir, MAX_CHAIN_DEPTH, body);
  const r = await openInChild(top);
  assert.equal(r.stderr, '');
  assert.equal(r.code, VIX_E_DISK_INVALIDDISK, r.message);
  assert.match(r.message, new RegExp(`descriptors hold more than ${MAX_CHAIN_DESCRIPTOR_BYTES} bytes`));
  assert.ok(r.maxRssMiB < 400, `peak RSS ${r.maxRssMiB.toFixed(0)} MiB stays under 400 MiB`);
});

test(`links whose sparse headers claim 128 MiB grain directories: refused with 16063 past ${MAX_CHAIN_METADATA_BYTES} bytes of directories`, async (t) => {
  const dir = await tempDir(t, 'vixdisk-hostile-chain-');
  const top = await writeHostileSparseChain(dir, MAX_CHAIN_DEPTH);
  const r = await openInChild(top);
  assert.equal(r.stderr, '');
  assert.equal(r.code, VIX_E_DISK_INVALIDDISK, r.message);
  assert.match(r.message, /more than \d+ bytes of directories in memory/);
  assert.doesNotMatch(r.message, /\n/);
  // The bound, one extent's overshoot and the process itself; 255 links would have wanted 32 GiB.
  const limitMiB = (MAX_CHAIN_METADATA_BYTES + HOSTILE_GD_BYTES_PER_LINK) / MiB + 300;
  assert.ok(r.maxRssMiB < limitMiB, `peak RSS ${r.maxRssMiB.toFixed(0)} MiB stays under ${limitMiB} MiB`);
  t.diagnostic(`refused at peak RSS ${r.maxRssMiB.toFixed(0)} MiB: ${r.message}`);
});

for (const type of ['monolithicSparse', 'vmfsSparse', 'seSparse'] as const) {
  test(`a chain of ${MAX_CHAIN_DEPTH} links (${type} children) opens and reads every link's data`, async (t) => {
    const dir = await tempDir(t, 'vixdisk-deep-chain-');
    const top = await writeDeepChain(dir, type, MAX_CHAIN_DEPTH);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const disk = await VmdkDisk.open(top, { readOnly: true });
    const openMs = Date.now() - started;
    try {
      assert.equal(disk.links.length, MAX_CHAIN_DEPTH);
      const all = new Uint8Array(disk.capacity);
      await disk.read(0, all);
      for (let i = 0; i < MAX_CHAIN_DEPTH; i++) {
        const at = i * DEEP_CHAIN_STRIDE;
        assert.equal(all[at], deepChainByte(i), `link ${i}'s first byte`);
        assert.equal(all[at + DEEP_CHAIN_STRIDE - 1], deepChainByte(i), `link ${i}'s last byte`);
      }
    } finally {
      await disk.close();
    }
    t.diagnostic(`${type}: ${MAX_CHAIN_DEPTH} links open in ${openMs} ms, RSS +${((process.memoryUsage().rss - rssBefore) / MiB).toFixed(0)} MiB`);
  });
}
