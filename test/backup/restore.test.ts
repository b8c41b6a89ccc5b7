import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDevice } from '../../src/device/open-device.js';
import { Repository } from '../../src/restic/repository.js';
import { writeOtherSnapshot, writeTestBackup } from '../support/backup-repo.js';
import { assertOneLineError, runVixdisk, type CliRun } from '../support/run-cli.js';
import { xorshift32 } from '../support/xorshift.js';
import { startServe } from '../support/serve-process.js';

// vixdisk snapshots and restore on a repository holding vixdisk backups laid out as manifest.ts
// says (two VMs, a full and an incremental, disks of odd sizes with holes) and a snapshot of
// another tool.

const MiB = 1 << 20;
const PASSWORD = 'restore test password';
let dir: string;
let repoPath: string;
const ids: Record<string, string> = {};
let webFull: Buffer[];
let webIncr: Buffer[];
let db: Buffer;

function random(length: number, seed: number): Buffer {
  const next = xorshift32(seed);
  const b = Buffer.alloc(length);
  for (let i = 0; i + 4 <= length; i += 4) b.writeUInt32LE(next(), i);
  return b;
}

function vixdisk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runVixdisk(args, { cwd: dir, env: { ...process.env, RESTIC_PASSWORD: PASSWORD, ...env }, timeoutMs: 60_000 });
}

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const r = await vixdisk(args, env);
  assert.equal(r.code, 0, `vixdisk ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '', `vixdisk ${args.join(' ')} wrote to stderr`);
  return r;
}

async function readDisk(path: string): Promise<Buffer> {
  const dev = await openDevice(path, { readOnly: true });
  try {
    const b = Buffer.alloc(dev.capacity);
    await dev.read(0, b);
    return b;
  } finally {
    await dev.close();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vixdisk-restore-'));
  repoPath = join(dir, 'repo');
  // Disk 0: 5 MiB + 1536 bytes (the last chunk short), data in chunks 0 and 3 and the tail, holes between.
  const d0 = Buffer.alloc(5 * MiB + 1536);
  random(MiB, 1).copy(d0, 0);
  random(300_000, 2).copy(d0, 3 * MiB + 4096);
  random(1536, 3).copy(d0, 5 * MiB);
  const d1 = random(2 * MiB + 4096, 4);
  webFull = [d0, d1];
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  try {
    ids.webFull = await writeTestBackup(repo, { vm: 'web', disks: [{ file: 'web.raw', data: d0 }, { file: 'web_1.raw', data: d1, chunkSize: 256 << 10 }], time: '2026-12-01T10:00:00Z' });
    ids.other = await writeOtherSnapshot(repo, { 'notes.txt': Buffer.from('not a disk\n') });
    const i0 = Buffer.from(d0);
    random(MiB, 5).copy(i0, 2 * MiB);
    i0.fill(0, 0, 4096);
    webIncr = [i0, d1];
    ids.webIncr = await writeTestBackup(repo, {
      vm: 'web', kind: 'incremental', parent: ids.webFull, time: '2026-12-02T10:00:00Z',
      disks: [{ file: 'web.raw', data: i0 }, { file: 'web_1.raw', data: d1, chunkSize: 256 << 10 }],
    });
    db = random(3 * MiB, 6);
    ids.db = await writeTestBackup(repo, { vm: 'db', moref: 'vm-17', disks: [{ file: 'db.raw', data: db, adapterType: 'pvscsi' }], time: '2026-12-03T10:00:00Z' });
    ids.badDigest = await writeTestBackup(repo, {
      vm: 'bad', disks: [{ file: 'bad.raw', data: random(MiB, 7) }], time: '2026-11-01T10:00:00Z', digestOverride: () => 'ab'.repeat(32),
    });
  } finally {
    await repo.close();
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('snapshots lists each restore point with VM, kind and disks, and others as not vixdisk backups', async () => {
  const r = await ok(['snapshots', '--repo', repoPath]);
  assert.match(r.stdout, new RegExp(`${ids.webFull!.slice(0, 8)} .* web .* full .*0: web.raw 5 MiB.*1: web_1.raw 2 MiB`));
  assert.match(r.stdout, new RegExp(`${ids.webIncr!.slice(0, 8)} .* web .* incremental`));
  assert.match(r.stdout, new RegExp(`${ids.other!.slice(0, 8)} .* not a vixdisk backup`));
  assert.match(r.stdout, /4 restore points, 1 other snapshot/);
  const json = JSON.parse((await ok(['snapshots', '--repo', repoPath, '--vm', 'web', '--json'])).stdout) as Array<Record<string, any>>;
  assert.deepEqual(json.map((s) => s.id), [ids.webFull, ids.webIncr]);
  assert.equal(json[1]!.kind, 'incremental');
  assert.equal(json[1]!.parent, ids.webFull);
  assert.equal(json[0]!.disks[0].capacityBytes, 5 * MiB + 1536);
  // By moref, and through restic's environment variables only.
  const pwFile = join(dir, 'pw');
  await writeFile(pwFile, `${PASSWORD}\n`);
  const byMoref = JSON.parse((await ok(['snapshots', '--vm', 'vm-17', '--json'], { RESTIC_REPOSITORY: repoPath, RESTIC_PASSWORD: '', RESTIC_PASSWORD_FILE: pwFile })).stdout) as unknown[];
  assert.equal(byMoref.length, 1);
});

test('restore latest of a VM into a raw image: byte-exact, holes stay holes', async () => {
  const out = join(dir, 'web.img');
  const r = await ok(['restore', '--repo', repoPath, 'latest', '--vm', 'web', '--disk', '0', '--to', out]);
  assert.match(r.stdout, new RegExp(`snapshot ${ids.webIncr!.slice(0, 8)} of VM web`));
  assert.match(r.stdout, /digest verified/);
  const got = await readFile(out);
  assert.ok(got.equals(webIncr[0]!), 'restored bytes equal the incremental point');
  const st = await stat(out);
  assert.ok(st.blocks * 512 < 4 * MiB, `the two hole chunks are not written (${st.blocks * 512} bytes allocated)`);
});

test('restore an earlier point by ID prefix into VMDKs of several types; disk by file name', async () => {
  for (const type of ['monolithicSparse', 'streamOptimized', 'monolithicFlat']) {
    const out = join(dir, `full-${type}.vmdk`);
    const r = await ok(['restore', '-r', repoPath, ids.webFull!.slice(0, 10), '--disk', 'web.raw', '--to', out, '--type', type, '--json']);
    const j = JSON.parse(r.stdout) as { snapshot: string; disks: Array<{ destinationType: string; capacityBytes: number }> };
    assert.equal(j.snapshot, ids.webFull);
    assert.equal(j.disks[0]!.destinationType, type);
    assert.ok((await readDisk(out)).equals(webFull[0]!), `${type}: byte-exact`);
  }
  const out = join(dir, 'web_1.vmdk');
  await ok(['restore', '-r', repoPath, ids.webFull!, '--disk', '1', '--to', out, '-q']);
  assert.ok((await readDisk(out)).equals(webFull[1]!));
});

test('restore latest without --vm takes the newest restore point; a one-disk VM needs no --disk', async () => {
  const out = join(dir, 'db.vmdk');
  await ok(['restore', '-r', repoPath, '--to', out, '-q']);
  assert.ok((await readDisk(out)).equals(db));
  assert.match(await readFile(out, 'latin1').then((t) => t.slice(0, 4096)), /ddb.adapterType = "pvscsi"/);
});

test('restore --all writes every disk named as on the datastore, and the .vmx', async () => {
  const folder = join(dir, 'all');
  await ok(['restore', '-r', repoPath, 'latest', '--vm', 'web', '--all', '--to', folder, '-q']);
  assert.deepEqual((await readdir(folder)).sort(), ['web.vmdk', 'web.vmx', 'web_1.vmdk']);
  assert.ok((await readDisk(join(folder, 'web.vmdk'))).equals(webIncr[0]!));
  assert.ok((await readDisk(join(folder, 'web_1.vmdk'))).equals(webIncr[1]!));
  assert.match(await readFile(join(folder, 'web.vmx'), 'utf8'), /scsi0:1.fileName = "web_1.vmdk"/);
});

test('refusals: one line each, nothing written', async () => {
  const out = join(dir, 'refused.img');
  assertOneLineError(await vixdisk(['restore', '-r', repoPath, 'latest', '--vm', 'web', '--to', out]), 3, 'two disks, none picked', 2);
  assertOneLineError(await vixdisk(['restore', '-r', repoPath, ids.other!.slice(0, 8), '--to', out]), 3, 'not a vixdisk backup', 1);
  const line = assertOneLineError(await vixdisk(['restore', '-r', repoPath, ids.badDigest!, '--to', out]), 7, 'digest mismatch', 1);
  assert.match(line, /digest/);
  assertOneLineError(await vixdisk(['restore', '-r', repoPath, 'latest', '--to', out], { RESTIC_PASSWORD: 'wrong' }), 35, 'wrong password', 1);
  assertOneLineError(await vixdisk(['restore', '-r', repoPath, 'latest', '--vm', 'nosuchvm', '--to', out]), 25, 'no such VM', 1);
  assertOneLineError(await vixdisk(['restore', '-r', join(dir, 'nothing'), 'latest', '--to', out]), 4, 'no repository', 1);
  assertOneLineError(await vixdisk(['restore', '--to', out], { RESTIC_REPOSITORY: '' }), 3, 'no --repo', 2);
  await assert.rejects(stat(out), /ENOENT/);
  const existing = join(dir, 'existing.img');
  await writeFile(existing, 'keep me');
  assert.match(assertOneLineError(await vixdisk(['restore', '-r', repoPath, '--to', existing]), 12, 'existing destination', 1), /--force/);
  assert.equal(await readFile(existing, 'utf8'), 'keep me');
  await ok(['restore', '-r', repoPath, '--to', existing, '--force', '-q']);
  assert.ok((await readFile(existing)).equals(db));
});

test('restore into an NBD export: written in place, holes as zeros over what was there', async (t) => {
  const target = join(dir, 'export.img');
  await writeFile(target, Buffer.alloc(webIncr[0]!.length, 0xee));
  const sock = join(dir, 'restore.sock');
  const serve = await startServe(t, ['--socket', sock, target]);
  const r = await ok(['restore', '-r', repoPath, ids.webIncr!, '--disk', '0', '--to', serve.uri, '--json']);
  assert.equal((JSON.parse(r.stdout) as { disks: Array<{ destinationType: string }> }).disks[0]!.destinationType, 'raw');
  assert.equal(await serve.stop(), 0);
  assert.ok((await readFile(target)).equals(webIncr[0]!), 'the export holds the restore point, its holes zeroed');
  assertOneLineError(await vixdisk(['restore', '-r', repoPath, '--to', 'nbd+unix:///?socket=' + sock, '--type', 'streamOptimized']), 3, 'NBD with a VMDK type', 2);
});
