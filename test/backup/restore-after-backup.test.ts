import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runVixdisk, type CliRun } from '../support/run-cli.js';
import { prng, randomBytesOf, startBackupWorld, type BackupWorld } from './backup-support.js';

// End to end through the CLI only, as a user runs it: `vixdisk backup` of the running VM web
// (full, then incremental after guest writes), then `vixdisk snapshots`, `vixdisk restore` of each
// restore point and `vixdisk verify --all`. The VM's disks are read (with our engine, from the
// host's files) right after each backup: the guest is idle meanwhile, so that is the disk the
// snapshot froze.

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let w: BackupWorld;
before(async () => { w = await startBackupWorld('vcenter'); });
after(async () => { await w?.close(); });

function vixdisk(args: string[]): Promise<CliRun> {
  return runVixdisk(args, { env: w.env, cwd: w.dir, timeoutMs: 120_000 });
}

test('vixdisk backup twice, then restore of each point and verify, all from the command line', { timeout: 300_000 }, async () => {
  const next = prng(77);
  const points: Array<{ id: string; disks: string[] }> = [];
  for (let round = 0; round < 2; round++) {
    for (let k = 0; k < 3; k++) {
      const length = 512 * (1 + Math.floor(next() * 600));
      await w.guestWrite('web', k % 2, 512 * Math.floor(next() * ((64 << 20) - length) / 512), randomBytesOf(length, next));
    }
    const b = await vixdisk(['backup', '--vm', 'web', '--init', '-q', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const id = (JSON.parse(b.stdout) as { snapshotId: string }).snapshotId;
    points.push({ id, disks: [sha(await w.readDisk('[datastore1] web/web.vmdk')), sha(await w.readDisk('[datastore1] web/web_1.vmdk'))] });
  }
  const list = JSON.parse((await vixdisk(['snapshots', '--json'])).stdout) as Array<{ id: string; kind: string; disks: unknown[] }>;
  assert.deepEqual(list.map((s) => [s.id, s.kind, s.disks.length]), [[points[0]!.id, 'full', 2], [points[1]!.id, 'incremental', 2]]);
  // The full's first disk by ID prefix, the incremental's second disk by label.
  const cases = [{ ref: points[0]!.id.slice(0, 8), disk: '0', want: points[0]!.disks[0] }, { ref: 'latest', disk: 'Hard disk 2', want: points[1]!.disks[1] }];
  for (const [i, c] of cases.entries()) {
    const out = join(w.dir, `restored-${i}.img`);
    const r = await vixdisk(['restore', c.ref, '--vm', 'web', '--disk', c.disk, '--to', out, '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(await readFile(out)), c.want, `${c.ref} disk ${c.disk}: byte for byte`);
  }
  const v = await vixdisk(['verify', '--all']);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(v.stdout.trim().split('\n').filter((l) => l.startsWith('ok')).length, 4);
});
