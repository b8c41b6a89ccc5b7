import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Repository } from '../../src/restic/repository.js';
import { runAndKill } from '../support/kill-after.js';
import { random01 } from '../support/xorshift.js';
import { tempDir } from '../support/temp-dir.js';
import { crashData } from './crash-writer.js';
import { assertResticCheck, needRestic, resticOk } from './restic-peer.js';

const PASSWORD = 'crash';
const WRITER = join(fileURLToPath(new URL('.', import.meta.url)), 'crash-writer.js');
const ROUNDS = Number(process.env.VIXDISK_RESTIC_CRASH_ROUNDS ?? 3);
const CHUNKS = 24;
const SEED = 7;

function runWriter(repoPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, repoPath, String(SEED), String(CHUNKS)], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIXDISK_TEST_PASSWORD: PASSWORD },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

test('a writer killed at random moments leaves a repository restic checks clean, and the next run reuses its blobs', async (t) => {
  if (!(await needRestic(t))) return;
  const dir = await tempDir(t, 'vixdisk-restic-');
  const repoPath = join(dir, 'repo');
  await (await Repository.create(repoPath, PASSWORD)).close();
  process.env.VIXDISK_TEST_PASSWORD = PASSWORD;
  const random = random01(99);
  for (let round = 0; round < ROUNDS; round++) {
    let finished = false;
    await runAndKill(WRITER, [repoPath, String(SEED), String(CHUNKS)], 50 + Math.floor(random() * 1200), (l) => {
      if (l.startsWith('snapshot ')) finished = true;
    });
    // The killed writer's lock is stale (its PID is gone): remove it as `restic unlock` would.
    const repo = await Repository.open(repoPath, PASSWORD, { lock: 'none' });
    const removed = await repo.removeStaleLocks();
    await repo.close();
    assert.ok(finished || removed <= 1, `round ${round}: ${removed} stale locks`);
    assert.deepEqual(await readdir(join(repoPath, 'locks')), [], `round ${round}: locks left`);
    const check = await assertResticCheck(repoPath, PASSWORD, round === ROUNDS - 1);
    const packs = (await readdir(join(repoPath, 'data'), { recursive: true })).filter((f) => /[0-9a-f]{64}$/.test(f)).length;
    const indexes = (await readdir(join(repoPath, 'index'))).length;
    t.diagnostic(`round ${round}: ${finished ? 'finished before the kill' : 'killed'}; ${packs} packs, ${indexes} index files; check: ${/not referenced in any index/.test(check) ? 'unindexed packs reported' : 'clean'}`);
  }

  const indexFiles = (await readdir(join(repoPath, 'index'))).length;
  const out = await runWriter(repoPath);
  const m = /snapshot ([0-9a-f]{64}) stored (\d+) known (\d+)/.exec(out);
  assert.ok(m, out);
  const [, id, stored, known] = m;
  t.diagnostic(`final run: ${stored} blobs stored, ${known} found in the repository (${indexFiles} index files left by killed runs)`);
  if (indexFiles > 0) assert.ok(Number(known) > 0, 'blobs indexed by killed runs are reused');
  await assertResticCheck(repoPath, PASSWORD);
  const dumped = await resticOk(repoPath, PASSWORD, ['dump', id.slice(0, 8), '/disk.raw']);
  assert.ok(dumped.equals(crashData(SEED, CHUNKS)));
});
