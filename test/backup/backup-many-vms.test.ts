import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callAdmin } from '../../src/host/admin-endpoint.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { findVm, flattenSnapshots, snapshotTree, vmDisks } from '../../src/vsphere/vm-operations.js';
import { Repository } from '../../src/restic/repository.js';
import { assertResticCheck, needRestic, resticOk } from '../restic/restic-peer.js';
import { runVixdisk } from '../support/run-cli.js';
import { prng, randomBytesOf, REPO_PASSWORD, startBackupWorld, type BackupWorld } from './backup-support.js';
import { tarFiles } from './tar-files.js';

// The round-trip property of issue 13 over several VMs: the embedded default's web (a thick and a thin
// disk, on the VMFS6 datastore: seSparse snapshot deltas) and app (a snapshot of its own, on the VMFS5
// datastore: vmfsSparse deltas), plus disks of odd sizes added through the host: web gets a thin
// 5 MiB + 3 sectors, and a new VM odd1 on the VMFS5 datastore has a thin disk of 1 sector past a
// chunk (nearly empty) and a thick 3 MiB + 7 sectors written whole. A full backup, then N incrementals with random guest writes between them
// (random offsets and lengths, the last sector, writes straddling chunk boundaries), two `vixdisk
// backup` processes at a time into one repository. The test keeps a byte model of every disk; every
// restore point, restored by `vixdisk restore --all` and dumped by `restic dump`, equals the model at
// its snapshot; `restic check --read-data` is clean after every run; an incremental reads at most
// the chunks the guest touched (CBT blocks lie inside chunks), and the ratio is printed.
// VIXDISK_BACKUP_ROUNDS=N runs N incrementals (default 1: the file stays short; test/backup/backup-roundtrip
// chains two incrementals of one VM).

const CHUNK = 256 * 1024;
const SECTOR = 512;
const ROUNDS = Math.max(1, Number(process.env.VIXDISK_BACKUP_ROUNDS ?? 1) || 1);
const PARALLEL = 2;

interface ModelDisk {
  vm: string;
  /** Its index among the VM's disks in device order (what the host's guest-write takes). */
  index: number;
  label: string;
  model: Buffer;
  /** Chunks the guest wrote since the last backup. */
  touched: Set<number>;
  written: number;
}

interface DiskSummary { file: string; label: string; kind: string; reason: string | null; capacityBytes: number; bytesRead: number }
interface BackupJson { snapshotId: string; vm: string; kind: string; disks: DiskSummary[]; leftoversRemoved: string[] }

describe(`vixdisk backup: full + ${ROUNDS} incrementals of several VMs and odd disks, every point restored`, () => {
  let w: BackupWorld;
  const disks: ModelDisk[] = [];
  const vms = ['web', 'app', 'odd1'];
  const next = prng(1313);

  before(async () => {
    w = await startBackupWorld('vcenter');
    const hostDir = join(w.dir, 'host');
    const vim = await w.vim();
    await callAdmin(hostDir, { op: 'create-vms', prefix: 'odd', count: 1, first: 1, datastore: 'datastore2', host: 'esx1.local', diskCapacity: CHUNK + SECTOR });
    const addDisk = async (vm: ManagedObjectReference, fileName: string, capacityInBytes: number, thin: boolean) => {
      const task = await vim.call('ReconfigVM_Task', vm, {
        spec: {
          _type: 'VirtualMachineConfigSpec',
          deviceChange: [{
            _type: 'VirtualDeviceConfigSpec', operation: 'add', fileOperation: 'create',
            device: {
              _type: 'VirtualDisk', key: -100, controllerKey: 1000, capacityInBytes, capacityInKB: Math.ceil(capacityInBytes / 1024),
              backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName, diskMode: 'persistent', thinProvisioned: thin },
            },
          }],
        },
      }) as ManagedObjectReference;
      await vim.waitForTask(task);
    };
    const odd = (await findVm(vim, 'odd1')).ref;
    await addDisk(odd, '[datastore2] odd1/odd1_thick.vmdk', (3 << 20) + 7 * SECTOR, false);
    await addDisk((await findVm(vim, 'web')).ref, '[datastore1] web/web_odd.vmdk', (5 << 20) + 3 * SECTOR, true);
    for (const vm of ['app', 'odd1']) await callAdmin(hostDir, { op: 'power', vm, state: 'on' });
    // The model starts as each disk is now (its whole chain, read with our engine).
    for (const name of vms) {
      const ref = (await findVm(vim, name)).ref;
      for (const [index, d] of (await vmDisks(vim, ref)).entries()) {
        assert.ok(d.capacityBytes > 0);
        disks.push({ vm: name, index, label: d.label, model: await w.readDisk(d.fileName), touched: new Set(), written: 0 });
      }
    }
    const capacities = disks.map((d) => d.model.length);
    assert.ok(capacities.includes(CHUNK + SECTOR) && capacities.includes((3 << 20) + 7 * SECTOR) && capacities.includes((5 << 20) + 3 * SECTOR), `${capacities}`);
    // The thick odd disk is written whole (a full disk), in pieces a guest write carries.
    const thick = disks.find((d) => d.model.length === (3 << 20) + 7 * SECTOR)!;
    await guestWrite(thick, 0, randomBytesOf(thick.model.length, next));
    const repo = await Repository.create(w.repoPath, REPO_PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
    await repo.close();
  });
  after(async () => { await w?.close(); });

  async function guestWrite(d: ModelDisk, offset: number, data: Buffer): Promise<void> {
    await w.guestWrite(d.vm, d.index, offset, data);
    data.copy(d.model, offset);
    d.written += data.length;
    for (let c = Math.floor(offset / CHUNK); c * CHUNK < offset + data.length; c++) d.touched.add(c);
  }

  /** A few random guest writes into a disk: anywhere, over a chunk boundary, into the last sector; sometimes none. */
  async function randomWrites(d: ModelDisk): Promise<void> {
    if (next() < 0.2) return;
    const sectors = d.model.length / SECTOR;
    const kinds = ['anywhere', 'straddle', 'last'].filter(() => next() < 0.7);
    for (const kind of kinds.length ? kinds : ['anywhere']) {
      let first: number;
      let count: number;
      if (kind === 'last') {
        count = 1 + Math.floor(next() * Math.min(8, sectors));
        first = sectors - count;
      } else if (kind === 'straddle' && d.model.length > CHUNK) {
        const boundary = (1 + Math.floor(next() * Math.floor((d.model.length - 1) / CHUNK))) * CHUNK / SECTOR;
        first = boundary - 1 - Math.floor(next() * 16);
        count = Math.min(sectors - first, boundary - first + 1 + Math.floor(next() * 300));
      } else {
        count = 1 + Math.floor(next() * Math.min(400, sectors));
        first = Math.floor(next() * (sectors - count + 1));
      }
      await guestWrite(d, first * SECTOR, randomBytesOf(count * SECTOR, next));
    }
  }

  async function backupAll(): Promise<Map<string, BackupJson>> {
    const out = new Map<string, BackupJson>();
    const queue = [...vms];
    const lane = async () => {
      for (let vm = queue.shift(); vm; vm = queue.shift()) {
        const r = await runVixdisk(['backup', '--vm', vm, '--chunk-size', '256K', '--json'], { env: w.env, timeoutMs: 180_000 });
        assert.equal(r.code, 0, `backup of ${vm}: ${r.stderr}`);
        out.set(vm, JSON.parse(r.stdout) as BackupJson);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
    return out;
  }

  /** Every disk of the VM's restore point equals the model: through `vixdisk restore --all` and `restic dump`. */
  async function assertRestores(vm: string, point: BackupJson, tag: string, withRestic: boolean): Promise<void> {
    const mine = disks.filter((d) => d.vm === vm);
    assert.equal(point.disks.length, mine.length, `${tag}: disks`);
    const dir = join(w.dir, `restore-${tag}`);
    const [r, tar] = await Promise.all([
      runVixdisk(['restore', point.snapshotId.slice(0, 12), '--vm', vm, '--all', '-t', 'raw', '--to', dir, '-q'], { env: w.env, timeoutMs: 180_000 }),
      withRestic ? resticOk(w.repoPath, REPO_PASSWORD, ['dump', point.snapshotId, `/${vm}`]) : null,
    ]);
    assert.equal(r.code, 0, `restore of ${tag}: ${r.stderr}`);
    const dumped = tar ? tarFiles(tar) : null;
    for (const s of point.disks) {
      const d = mine.find((m) => m.label === s.label)!;
      assert.ok(d, `${tag}: ${s.label} is one of the VM's disks`);
      const restored = await readFile(join(dir, s.file));
      assert.ok(restored.equals(d.model), `${tag} ${s.file}: vixdisk restore gives the disk as it was at the snapshot`);
      if (dumped) {
        const file = dumped.get(`${vm}/${s.file}`);
        assert.ok(file, `${tag}: restic dump holds ${vm}/${s.file} (has ${[...dumped.keys()].join(', ')})`);
        assert.ok(file.equals(d.model), `${tag} ${s.file}: restic dump gives the disk as it was at the snapshot`);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }

  test('every restore point restores byte for byte; restic check --read-data after every run; incrementals read what changed', async (t) => {
    const withRestic = await needRestic(t);
    const vim = await w.vim();
    for (let run = 0; run <= ROUNDS; run++) {
      if (run > 0) for (const d of disks) await randomWrites(d);
      const points = await backupAll();
      for (const vm of vms) {
        const p = points.get(vm)!;
        assert.equal(p.kind, run === 0 ? 'full' : 'incremental', `${vm} run ${run}: ${JSON.stringify(p.disks.map((d) => d.reason))}`);
        assert.equal(flattenSnapshots(await snapshotTree(vim, (await findVm(vim, vm)).ref)).filter((s) => s.name.startsWith('vixdisk-backup')).length, 0,
          `${vm} run ${run}: the backup snapshot is removed`);
        if (run === 0) continue;
        for (const s of p.disks) {
          const d = disks.find((m) => m.vm === vm && m.label === s.label)!;
          // The bound: every chunk the guest touched, read whole (the last one only up to the capacity).
          const bound = [...d.touched].reduce((sum, c) => sum + Math.min(CHUNK, d.model.length - c * CHUNK), 0);
          assert.ok(s.bytesRead <= bound, `${vm} ${s.file} run ${run}: read ${s.bytesRead} bytes, over the ${d.touched.size} chunks touched (${bound})`);
          if (d.written > 0) assert.ok(s.bytesRead > 0, `${vm} ${s.file} run ${run}: the change is read`);
          t.diagnostic(`run ${run} ${vm}/${s.file} (${d.model.length} bytes): guest wrote ${d.written}, backup read ${s.bytesRead}` +
            (d.written ? ` (${(s.bytesRead / d.written).toFixed(1)}x; bound ${d.touched.size} chunks of ${CHUNK})` : ''));
        }
      }
      const queue = [...vms];
      await Promise.all(Array.from({ length: PARALLEL }, async () => {
        for (let vm = queue.shift(); vm; vm = queue.shift()) await assertRestores(vm, points.get(vm)!, `${vm}-${run}`, withRestic);
      }));
      for (const d of disks) {
        d.touched.clear();
        d.written = 0;
      }
      if (withRestic) await assertResticCheck(w.repoPath, REPO_PASSWORD);
    }
  });
});
