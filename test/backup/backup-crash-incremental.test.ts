import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Repository } from '../../src/restic/repository.js';
import { findVm, flattenSnapshots, snapshotTree, vmDisks } from '../../src/vsphere/vm-operations.js';
import { assertResticCheck, needRestic, resticOk } from '../restic/restic-peer.js';
import { runVixdisk, VIXDISK_BIN } from '../support/run-cli.js';
import { prng, randomBytesOf, REPO_PASSWORD, startBackupWorld, type BackupWorld } from './backup-support.js';

// SIGKILL during an INCREMENTAL backup of a two-disk VM (web), at moments spread over the whole run:
// the kill comes a random few milliseconds after the run's Nth log line (the snapshot taken, a disk
// done, the restic snapshot saved, the vSphere snapshot removed), so every phase is hit, not only the
// first seconds. After each kill: the next run completes and is still an incremental (a killed run
// never costs a full), removes the killed run's vSphere snapshot, and its restore point is the VM's
// disks as they are; at the end every completed point is kept and restic check --read-data is clean.
// VIXDISK_SOAK=1: 20 rounds (default 2).

const ROUNDS = process.env.VIXDISK_SOAK === '1' ? 20 : 2;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('vixdisk backup: SIGKILL during incrementals of a two-disk VM (vCenter)', () => {
  let w: BackupWorld;
  before(async () => { w = await startBackupWorld('vcenter'); });
  after(async () => { await w?.close(); });

  test(`${ROUNDS} killed incrementals: the next run is an incremental that completes, cleans up and equals the disks`, async (t) => {
    const backup = (extra: string[] = []) => runVixdisk(['backup', '--vm', 'web', '--chunk-size', '256K', '--json', ...extra], { env: w.env, timeoutMs: 180_000 });
    const first = await backup(['--init']);
    assert.equal(first.code, 0, first.stderr);
    const vim = await w.vim();
    const vm = (await findVm(vim, 'web')).ref;
    const disks = await vmDisks(vim, vm);
    assert.equal(disks.length, 2);
    const next = prng(4242);
    const points = [(JSON.parse(first.stdout) as { snapshotId: string }).snapshotId];

    for (let round = 0; round < ROUNDS; round++) {
      // Enough change on both disks that the incremental reads for a while: a few scattered MiB.
      for (let k = 0; k < 6; k++) {
        const length = 512 * (64 + Math.floor(next() * 1024));
        await w.guestWrite('web', k % 2, 512 * Math.floor(next() * (((64 << 20) - length) / 512)), randomBytesOf(length, next));
      }
      const afterLine = 1 + Math.floor(next() * 5);
      const delay = Math.floor(next() * 150);
      const child = spawn(process.execPath, [VIXDISK_BIN, 'backup', '--vm', 'web', '--chunk-size', '256K'], { env: w.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let lines = 0;
      let log = '';
      child.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        const before = lines;
        lines = log.split('\n').length - 1;
        if (before < afterLine && lines >= afterLine) setTimeout(() => child.kill('SIGKILL'), delay);
      });
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, s) => resolve(s)));
      const lastLine = log.trim().split('\n').pop() ?? '';
      t.diagnostic(`round ${round}: ${signal ? `killed ${delay} ms after line ${afterLine} ("${lastLine.slice(0, 80)}")` : 'finished before the kill'}`);

      const r = await backup();
      assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as { snapshotId: string; kind: string; disks: Array<{ file: string; reason: string | null }> };
      assert.equal(out.kind, 'incremental', `round ${round}: the run after a kill is still incremental (${out.disks.map((d) => d.reason).join('; ')})`);
      assert.equal(flattenSnapshots(await snapshotTree(vim, vm)).length, 0, `round ${round}: no vSphere snapshot is left`);
      points.push(out.snapshotId);

      // The restore point is the disks as they are now (no guest write since).
      const repo = await Repository.open(w.repoPath, REPO_PASSWORD, { lock: 'none' });
      try {
        const snap = await repo.findSnapshot(out.snapshotId);
        for (const [i, d] of disks.entries()) {
          const h = createHash('sha256');
          for await (const b of repo.readFile(await repo.findNode(snap.tree, ['web', `web${i ? `_${i}` : ''}.raw`]))) h.update(b);
          assert.equal(h.digest('hex'), sha(await w.readDisk(d.fileName)), `round ${round}: disk ${i} of the restore point`);
        }
      } finally {
        await repo.close();
      }
    }
    const repo = await Repository.open(w.repoPath, REPO_PASSWORD, { lock: 'none' });
    const ids = new Set((await repo.listSnapshots()).map((s) => s.id));
    await repo.close();
    for (const p of points) assert.ok(ids.has(p), `restore point ${p.slice(0, 8)} is kept`);
    if (await needRestic(t)) {
      await resticOk(w.repoPath, REPO_PASSWORD, ['unlock']);
      await assertResticCheck(w.repoPath, REPO_PASSWORD);
    }
  });
});
