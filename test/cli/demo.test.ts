import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runVixdisk, VIXDISK_BIN } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

// `npm start` (vixdisk demo): the backup tour end to end, as a user runs it, and Ctrl-C in the
// middle of it removing everything it made (the host simulator stopped too).

test('demo: host, guest writes, full and incremental backups, a restore proved byte for byte; keeps its files in a given folder', { timeout: 240_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-demo-test-');
  const kept = join(dir, 'tour');
  const r = await runVixdisk(['demo', kept], { timeoutMs: 230_000 });
  assert.equal(r.code, 0, `demo failed: ${r.stderr}\n${r.stdout}`);
  assert.match(r.stdout, /full backup of web over nbdssl/);
  assert.match(r.stdout, /restic snapshot [0-9a-f]{8}, full, over nbdssl/);
  assert.match(r.stdout, /restic snapshot [0-9a-f]{8}, incremental, over nbdssl/);
  assert.match(r.stdout, /web\.raw: incremental: read \d/);
  assert.equal((r.stdout.match(/identical, byte for byte, to the disk the vSphere snapshot froze/g) ?? []).length, 2);
  assert.match(r.stdout, /restic check --read-data: no errors were found|restic is not installed/);
  assert.match(r.stdout, /done in [\d.]+ s/);
  assert.deepEqual((await readdir(kept)).filter((n) => !n.startsWith('.')).sort(), ['checkpoints', 'host', 'repo', 'restic-password', 'web.vmdk', 'web_1.vmdk']);
  assert.equal((await stat(join(kept, 'restic-password'))).mode & 0o777, 0o600);
});

test('demo: Ctrl-C stops the host and removes the temporary folder', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [VIXDISK_BIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^2\. /m.test(out)) resolve();
    });
    void exited.then(() => reject(new Error(`demo exited early: ${out}`)));
  });
  const folder = /vixdisk demo in (\S+)/.exec(out)![1]!;
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.match(out, /interrupted: cleaning up/);
  await assert.rejects(stat(folder), /ENOENT/, 'the temporary folder is removed');
});
