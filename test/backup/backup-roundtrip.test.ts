import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { backupVm, type VmBackupResult } from '../../src/backup/vm-backup.js';
import { MANIFEST_FILE, parseManifest } from '../../src/backup/manifest.js';
import { Repository } from '../../src/restic/repository.js';
import { createVixDiskLib } from '../../src/vix/vixdisklib.js';
import { assertResticCheck, needRestic, resticOk } from '../restic/restic-peer.js';
import { prng, randomBytesOf, REPO_PASSWORD, startBackupWorld, type BackupWorld } from './backup-support.js';

// vixdisk backup against a running `vixdisk host`: a full backup, then incrementals with random
// guest writes between them; every restore point, dumped by restic itself, is the VM's disk as the
// vSphere snapshot froze it (read with our engine before the snapshot was removed); restic check
// --read-data is clean; an incremental reads within a small factor of what the guest changed.

const CHUNK = 256 * 1024; // smaller than the default, so a 64 MiB test disk has 256 chunks
const CBT_BLOCK = 64 * 1024;

interface Point {
  result: VmBackupResult;
  /** SHA-256 of each disk at the snapshot, by tree file name. */
  disks: Map<string, string>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('vixdisk backup: full, then incrementals (vCenter)', () => {
  let w: BackupWorld;
  let repo: Repository;
  const lib = createVixDiskLib();
  const points: Point[] = [];

  before(async () => {
    w = await startBackupWorld('vcenter');
    await lib.InitEx(8, 0, () => undefined, () => undefined, () => undefined, null, null);
    repo = await Repository.create(w.repoPath, REPO_PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  });
  after(async () => {
    await repo?.close();
    lib.Exit();
    await w?.close();
  });

  async function backup(extra: { full?: boolean } = {}): Promise<Point> {
    const disks = new Map<string, string>();
    const logs: string[] = [];
    const result = await backupVm({
      lib, connect: w.params(), modes: 'nbdssl:nbd', vm: 'web', repo, chunkSize: CHUNK, checkpointDir: null, ...extra,
      log: (l) => logs.push(l),
      onSnapshot: async (_snapshot, ds) => {
        // The frozen disks as the host holds them, before anything is read or the snapshot removed.
        const names = ds.map((d) => d.baseFileName.split('/').pop()!.replace(/\.vmdk$/, '.raw'));
        for (let i = 0; i < ds.length; i++) disks.set(names[i]!, sha(await w.readDisk(ds[i]!.fileName)));
      },
    });
    const p = { result, disks };
    points.push(p);
    return p;
  }

  test('the first backup is full (CBT was off), the next ones incremental and reading only what changed', async () => {
    const first = await backup();
    assert.equal(first.result.kind, 'full');
    assert.equal(first.result.disks.length, 2);
    for (const d of first.result.disks) assert.match(d.reason ?? '', /change tracking was off/);
    assert.equal(first.result.parent, null);

    const next = prng(13);
    for (let round = 0; round < 2; round++) {
      // Random guest writes into both disks: a few small ones, one larger, at odd offsets.
      const touched = [new Set<number>(), new Set<number>()];
      const blocks = [new Set<number>(), new Set<number>()]; // CBT blocks written
      let written = 0;
      for (let k = 0; k < 4; k++) {
        const disk = k % 2;
        const length = k === 3 ? 700_000 : 512 * (1 + Math.floor(next() * 16));
        const offset = 512 * Math.floor(next() * ((64 << 20) - length) / 512);
        await w.guestWrite('web', disk, offset, randomBytesOf(length, next));
        written += length;
        for (let b = Math.floor(offset / CBT_BLOCK); b * CBT_BLOCK < offset + length; b++) {
          touched[disk]!.add(Math.floor((b * CBT_BLOCK) / CHUNK));
          blocks[disk]!.add(b);
        }
      }
      const p = await backup();
      assert.equal(p.result.kind, 'incremental', `round ${round}`);
      assert.equal(p.result.parent, points[points.length - 2]!.result.snapshotId);
      const read = p.result.disks.reduce((s, d) => s + d.bytesRead, 0);
      const chunksChanged = touched[0]!.size + touched[1]!.size;
      // CBT reports 64 KiB blocks; each touched block costs at most its chunk.
      assert.ok(read <= chunksChanged * CHUNK, `round ${round}: read ${read} bytes for ${chunksChanged} changed chunks`);
      assert.ok(read > 0);
      // Only the changed blocks of a chunk are read from the host (the rest is its previous blob),
      // unless they cover half the chunk or more.
      let partial = 0;
      for (const disk of [0, 1]) {
        const perChunk = new Map<number, number>();
        for (const b of blocks[disk]!) perChunk.set(Math.floor((b * CBT_BLOCK) / CHUNK), (perChunk.get(Math.floor((b * CBT_BLOCK) / CHUNK)) ?? 0) + CBT_BLOCK);
        for (const bytes of perChunk.values()) partial += bytes * 2 < CHUNK ? bytes : CHUNK;
      }
      assert.ok(read <= partial, `round ${round}: read ${read} bytes, but the changed blocks need only ${partial}`);
      process.stdout.write(`# incremental ${round}: guest wrote ${written} bytes, backup read ${read} (${(read / written).toFixed(1)}x, ${chunksChanged} chunks of ${CHUNK})\n`);
    }
  });

  test('every restore point reads back as the disk was at its snapshot (restic dump too); restic check --read-data is clean', async (t) => {
    for (const p of points) {
      const snap = await repo.findSnapshot(p.result.snapshotId);
      for (const [file, want] of p.disks) {
        const h = createHash('sha256');
        for await (const b of repo.readFile(await repo.findNode(snap.tree, ['web', file]))) h.update(b);
        assert.equal(h.digest('hex'), want, `${file} of ${p.result.kind} ${p.result.snapshotId.slice(0, 8)}`);
      }
    }
    // The .vmx came over GET /folder as the host holds it.
    const last = await repo.findSnapshot(points[points.length - 1]!.result.snapshotId);
    const parts: Buffer[] = [];
    for await (const b of repo.readFile(await repo.findNode(last.tree, ['web', 'web.vmx']))) parts.push(b);
    const vmx = Buffer.concat(parts);
    assert.match(vmx.toString(), /displayName = "web"/);
    if (!(await needRestic(t))) return;
    await repo.close(); // restic check takes an exclusive lock
    try {
      for (const p of [points[points.length - 1]!]) {
        for (const [file, want] of p.disks) {
          const dumped = await resticOk(w.repoPath, REPO_PASSWORD, ['dump', p.result.snapshotId.slice(0, 8), `/web/${file}`]);
          assert.equal(sha(dumped), want, `restic dump of ${file} of ${p.result.kind} ${p.result.snapshotId.slice(0, 8)}`);
        }
        const manifest = parseManifest((await resticOk(w.repoPath, REPO_PASSWORD, ['dump', p.result.snapshotId.slice(0, 8), `/web/${MANIFEST_FILE}`])).toString());
        assert.equal(manifest.disks.length, 2);
        assert.ok(manifest.disks.every((d) => d.changeId && d.chunkSize === CHUNK));
      }
      await assertResticCheck(w.repoPath, REPO_PASSWORD);
    } finally {
      repo = await Repository.open(w.repoPath, REPO_PASSWORD);
    }
  });

});
