import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupVm } from '../../src/backup/vm-backup.js';
import { Repository } from '../../src/restic/repository.js';
import { createVixDiskLib } from '../../src/vix/vixdisklib.js';
import { findVm, flattenSnapshots, snapshotTree } from '../../src/vsphere/vm-operations.js';
import { assertResticCheck, needRestic, resticOk } from '../restic/restic-peer.js';
import { runVixdisk, VIXDISK_BIN } from '../support/run-cli.js';
import { prng, randomBytesOf, REPO_PASSWORD, startBackupWorld, type BackupWorld } from './backup-support.js';

// Crash safety and resumption of vixdisk backup against a running `vixdisk host`:
//  - a backup that dies half-way leaves a checkpoint; the next run takes the chunks it stored
//    (and that have not changed since) without reading them;
//  - SIGKILL at random moments (VIXDISK_SOAK=1: many rounds): the next run completes, removes the
//    killed run's vSphere snapshot, no restore point is lost, and restic check passes.

const CHUNK = 256 * 1024;
const ROUNDS = process.env.VIXDISK_SOAK === '1' ? 20 : 3;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('vixdisk backup: crashes and resumption (vCenter)', () => {
  let w: BackupWorld;
  before(async () => { w = await startBackupWorld('vcenter'); });
  after(async () => { await w?.close(); });

  test('a backup that failed half-way is resumed: its stored chunks are not read again', async () => {
    const lib = createVixDiskLib();
    await lib.InitEx(8, 0, null, null, null, null, null);
    const repo = await Repository.create(w.repoPath, REPO_PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
    const checkpointDir = join(w.dir, 'checkpoints');
    try {
      const base = { lib, connect: w.params(), modes: 'nbd', vm: 'web', repo, chunkSize: CHUNK, checkpointDir };
      // The second disk fails after a few chunks: the first one is complete and checkpointed.
      let reads = 0;
      const failed = await backupVm({
        ...base,
        progress: (label) => ({
          update: () => {
            if (label.startsWith('web_1') && ++reads > 8) throw new Error('simulated failure');
          },
          stop: () => undefined,
        }),
      }).then(() => null, (e: Error) => e);
      assert.match(failed?.message ?? '', /simulated failure/);
      const vim = await w.vim();
      const vm = (await findVm(vim, 'web')).ref;
      assert.equal(flattenSnapshots(await snapshotTree(vim, vm)).length, 0, 'the failed run removed its snapshot');

      await w.guestWrite('web', 0, 3 << 20, Buffer.alloc(8192, 0x5a));
      const logs: string[] = [];
      const r = await backupVm({ ...base, log: (l) => logs.push(l) });
      const [d0, d1] = r.disks;
      assert.equal(r.kind, 'full', 'no restore point yet: full');
      assert.ok(d0!.chunksResumed > 0, `disk 0 resumed ${d0!.chunksResumed} chunks`);
      assert.equal(d0!.chunksRead, 1, 'only the chunk the guest changed since is read on disk 0');
      assert.ok(logs.some((l) => /chunks stored by an interrupted backup are reused without reading/.test(l)));
      assert.ok(d1!.chunksRead > 0);
      // And the result is the disk as it is now.
      const snap = await repo.findSnapshot(r.snapshotId);
      const h = createHash('sha256');
      for await (const b of repo.readFile(await repo.findNode(snap.tree, ['web', 'web.raw']))) h.update(b);
      assert.equal(h.digest('hex'), sha(await w.readDisk('[datastore1] web/web.vmdk')));
    } finally {
      await repo.close();
      lib.Exit();
    }
  });

  test(`SIGKILL at random moments (${ROUNDS} rounds): the next run completes and cleans up, no restore point is lost`, async (t) => {
    const next = prng(99);
    const vim = await w.vim();
    const vm = (await findVm(vim, 'web')).ref;
    const points: Array<{ id: string; disk0: string }> = [];
    const completed = async () => {
      const r = await runVixdisk(['backup', '--vm', 'web', '--chunk-size', '256K', '--json'], { env: w.env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { snapshotId: string };
      points.push({ id: out.snapshotId, disk0: '' });
      return { out, stderr: r.stderr };
    };
    for (let round = 0; round < ROUNDS; round++) {
      await w.guestWrite('web', round % 2, 512 * Math.floor(next() * 100_000), randomBytesOf(100_000 + Math.floor(next() * 900_000), next));
      const child = spawn(process.execPath, [VIXDISK_BIN, 'backup', '--vm', 'web', '--chunk-size', '256K', ...(round % 2 ? ['--full'] : [])], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const delay = 800 + Math.floor(next() * 4000);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await exited;
      clearTimeout(timer);
      // What the host holds decides, not the killed run's last words: it may have been killed after the
      // host removed its snapshot but before it said so.
      // A removal the host had started still finishes: look again a moment later.
      const holds = async () => flattenSnapshots(await snapshotTree(vim, vm)).some((s) => s.name.startsWith('vixdisk-backup'));
      const tookSnapshot = await holds() && await new Promise((r) => setTimeout(r, 1500)).then(holds);
      const { stderr: after } = await completed();
      if (tookSnapshot) assert.match(after, /removing leftover snapshot \S+ "vixdisk-backup .*is no longer running/, `round ${round}: the killed run's snapshot is removed`);
      assert.equal(flattenSnapshots(await snapshotTree(vim, vm)).length, 0, `round ${round}: no vSphere snapshot is left`);
      t.diagnostic(`round ${round}: killed after ${delay} ms${tookSnapshot ? ' holding its snapshot' : ''}`);
    }
    // Every restore point is still there and reads back whole (each disk's blob list matches its manifest digest).
    const repo = await Repository.open(w.repoPath, REPO_PASSWORD, { lock: 'none' });
    const ids = new Set((await repo.listSnapshots()).map((s) => s.id));
    for (const p of points) assert.ok(ids.has(p.id), `restore point ${p.id.slice(0, 8)} is kept`);
    const latest = await repo.findSnapshot(points[points.length - 1]!.id);
    const h = createHash('sha256');
    for await (const b of repo.readFile(await repo.findNode(latest.tree, ['web', 'web_1.raw']))) h.update(b);
    assert.equal(h.digest('hex'), sha(await w.readDisk('[datastore1] web/web_1.vmdk')), 'the latest restore point is the disk now');
    await repo.close();
    if (await needRestic(t)) {
      // A killed run's lock is stale (its process is gone): `restic unlock` removes it, as a restic user does.
      await resticOk(w.repoPath, REPO_PASSWORD, ['unlock']);
      await assertResticCheck(w.repoPath, REPO_PASSWORD, false);
    }
  });
});
