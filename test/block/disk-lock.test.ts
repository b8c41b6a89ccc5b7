import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openDevice } from '../../src/device/open-device.js';
import {
  VIX_E_DISK_CID_MISMATCH, VIX_E_DISK_NEEDSREPAIR, VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_ALREADY_LOCKED, VIX_E_FILE_NOT_FOUND,
  VIX_E_INVALID_ARG,
} from '../../src/errors/error-codes.js';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { checkDisk } from '../../src/vmdk/check.js';
import { createChild, createDisk, createDiskDevice } from '../../src/vmdk/create.js';
import { defragmentDisk } from '../../src/vmdk/defragment.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { growDisk } from '../../src/vmdk/grow.js';
import { writeMetadata } from '../../src/vmdk/metadata.js';
import { renameDisk } from '../../src/vmdk/rename.js';
import { unlinkDisk } from '../../src/vmdk/unlink.js';
import { createVixDiskLib, VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/index.js';
import { LockHolder } from '../support/lock-process.js';
import { rejectsWith } from '../support/rejects-with.js';
import { startServe } from '../support/serve-process.js';
import { runVixdisk } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

// Locks between processes (block/disk-lock.ts): VMware's NAME.lck directories, taken by every open
// and every maintenance operation, released on close and on every error.

const MiB = 1 << 20;

/** Every lock directory left in `dir` (and one level below). */
async function lockDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.endsWith('.lck')) out.push(e.name);
    else if (e.isDirectory()) out.push(...(await readdir(join(dir, e.name))).filter((n) => n.endsWith('.lck')).map((n) => `${e.name}/${n}`));
  }
  return out;
}

async function sparseDisk(dir: string, name = 'd.vmdk'): Promise<string> {
  const path = join(dir, name);
  await createDisk(path, { capacity: 4 * MiB });
  return path;
}

/** The member files of a lock directory and their texts. */
async function members(lockDir: string): Promise<string[]> {
  const names = (await readdir(lockDir)).filter((n) => n.startsWith('M'));
  return Promise.all(names.map(async (n) => (await readFile(join(lockDir, n))).toString('utf8').replace(/\0+$/, '')));
}

/** A member file as VMware (or vixdisk on another host) writes it: 512 bytes, NUL padded. */
async function plantMember(lockDir: string, name: string, text: string): Promise<void> {
  await mkdir(lockDir, { recursive: true });
  const bytes = Buffer.alloc(512);
  bytes.write(text);
  await writeFile(join(lockDir, name), bytes);
}

test('two processes open one disk for writing through VixDiskLib: the second gets 15 naming pid, host and since', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const disk = await sparseDisk(dir);
  const { holder, line } = await LockHolder.start(t, disk, 'rw');
  assert.equal(line, 'open');

  // Another process: refused, with a line that names the holder.
  const second = await LockHolder.start(t, disk, 'rw');
  assert.match(second.line, /^error 15 /);
  assert.match(second.line, new RegExp(`pid ${holder.pid} on host ${hostname()} since \\d{4}-\\d\\d-\\d\\dT`));
  await second.holder.exited;

  // This process too, through the API, for writing and for reading (a writer excludes readers).
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  for (const flags of [0, VIXDISKLIB_FLAG_OPEN_READ_ONLY]) {
    const err = await rejectsWith(lib.Open(conn, disk, flags), VIX_E_FILE_ALREADY_LOCKED, /is locked for writing by pid \d+ on host /);
    assert.ok(!err.message.includes('\n'), 'one line');
  }
  await rejectsWith(lib.Unlink(conn, disk), VIX_E_FILE_ALREADY_LOCKED);
  await rejectsWith(lib.Rename(disk, join(dir, 'e.vmdk')), VIX_E_FILE_ALREADY_LOCKED);

  await holder.close();
  assert.deepEqual(await lockDirs(dir), [], 'a clean close leaves no .lck');
  const h = await lib.Open(conn, disk, 0);
  await lib.Write(h, 0, 1, new Uint8Array(512).fill(9));
  await lib.Close(h);
  await lib.Disconnect(conn);
  lib.Exit();
  assert.deepEqual(await lockDirs(dir), []);
});

test('many readers coexist (processes and this one); writers and maintenance get 15 while they read', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const base = await sparseDisk(dir, 'base.vmdk');
  const top = join(dir, 'top.vmdk');
  await createChild(top, base);
  const readers = await Promise.all([1, 2, 3].map(() => LockHolder.start(t, top, 'ro')));
  for (const r of readers) assert.equal(r.line, 'open');
  const here = await VmdkDisk.open(top, { readOnly: true });
  const lockDir = join(dir, 'top.vmdk.lck');
  assert.equal((await members(lockDir)).length, 4, 'four shared members');
  for (const m of await members(lockDir)) assert.match(m, /^\S+ \d+-\d+\(node\) \d+ S \[ lc=\d+ host=\S+$/);
  assert.equal((await members(join(dir, 'base.vmdk.lck'))).length, 4, 'the parent is locked shared by each reader');

  await rejectsWith(VmdkDisk.open(top), VIX_E_FILE_ALREADY_LOCKED, /is locked for reading by pid \d+/);
  await rejectsWith(VmdkDisk.open(base), VIX_E_FILE_ALREADY_LOCKED, /base\.vmdk is locked for reading/);
  await rejectsWith(growDisk(top, 8 * MiB), VIX_E_FILE_ALREADY_LOCKED);
  await rejectsWith(defragmentDisk(base), VIX_E_FILE_ALREADY_LOCKED);
  await rejectsWith(writeMetadata(top, 'comment', 'x'), VIX_E_FILE_ALREADY_LOCKED);

  await here.close();
  await Promise.all(readers.map((r) => r.holder.close()));
  assert.deepEqual(await lockDirs(dir), []);
  await growDisk(top, 4 * MiB + MiB);
  assert.deepEqual(await lockDirs(dir), []);
});

test('a holder killed with SIGKILL leaves its lock; the next opener finds it stale and takes it over', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const disk = await sparseDisk(dir);
  const { holder, line } = await LockHolder.start(t, disk, 'rw');
  assert.equal(line, 'open');
  await holder.kill();
  const lockDir = join(dir, 'd.vmdk.lck');
  const left = await members(lockDir);
  assert.equal(left.length, 1, 'the killed holder left its member');
  assert.match(left[0]!, new RegExp(` ${holder.pid}-\\d+\\(node\\) \\d+ X `));

  const d = await VmdkDisk.open(disk);
  const mine = await members(lockDir);
  assert.equal(mine.length, 1, 'the stale member is gone, ours is there');
  assert.doesNotMatch(mine[0]!, new RegExp(` ${holder.pid}-`));
  await d.write(0, new Uint8Array(512).fill(1));
  await d.close();
  assert.deepEqual(await lockDirs(dir), []);

  // A reused pid: this machine, a pid that runs (ours) but started at another time: stale too.
  const machineId = mine[0]!.split(' ')[0]!;
  await plantMember(lockDir, 'M00007.lck', `${machineId} ${process.pid}-1(node) 3 X [ lc=1 host=${hostname()}`);
  const again = await VmdkDisk.open(disk);
  await again.close();
  assert.deepEqual(await lockDirs(dir), []);

  // Killed while entering: its entry directory and entry file stay; the file names a dead process,
  // so the entry is removed at once rather than after VMware's 8 s without progress.
  await mkdir(join(lockDir, 'D00042.lck'), { recursive: true });
  await plantMember(lockDir, 'E00042.lck', `${machineId} ${holder.pid}-1(node) 1 X [ lc=1 host=${hostname()}`);
  const third = await VmdkDisk.open(disk);
  await third.close();
  assert.deepEqual(await lockDirs(dir), []);
});

test('a lock of another host is respected, never judged by its pid; a shared one admits readers', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const disk = await sparseDisk(dir);
  const lockDir = join(dir, 'd.vmdk.lck');
  // pid 4242 runs on that host, not here: its member must stay.
  await plantMember(lockDir, 'M31337.lck', 'Zm9yZWlnbi1tYWNoaW5l 4242-1234(vmware-vmx) 1 X [ lc=99 host=esx-lab-7');
  const before = await readdir(lockDir);
  await rejectsWith(VmdkDisk.open(disk), VIX_E_FILE_ALREADY_LOCKED, /locked for writing by pid 4242 on host esx-lab-7 since \d{4}-/);
  await rejectsWith(VmdkDisk.open(disk, { readOnly: true }), VIX_E_FILE_ALREADY_LOCKED, /esx-lab-7/);
  await rejectsWith(unlinkDisk(disk), VIX_E_FILE_ALREADY_LOCKED);
  assert.deepEqual(await readdir(lockDir), before, 'the foreign member is untouched');

  // As VMware writes it: no host property; the machine is named instead.
  await plantMember(lockDir, 'M31337.lck', 'Zm9yZWlnbi1tYWNoaW5l 4242-1234(vmware-vmx) 1 S [ lc=99');
  const reader = await VmdkDisk.open(disk, { readOnly: true });
  await reader.close();
  await rejectsWith(VmdkDisk.open(disk), VIX_E_FILE_ALREADY_LOCKED, /locked for reading by machine Zm9yZWlnbi1tYWNoaW5l \(process 4242-1234\(vmware-vmx\)\)/);
  assert.deepEqual(await readdir(lockDir), before);
});

test('in one process: a writer excludes every other open, readers share; raw images are locked too', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const disk = await sparseDisk(dir);
  const w = await VmdkDisk.open(disk);
  await rejectsWith(VmdkDisk.open(disk), VIX_E_FILE_ALREADY_LOCKED, /\(this process\)/);
  await rejectsWith(VmdkDisk.open(disk, { readOnly: true }), VIX_E_FILE_ALREADY_LOCKED);
  await w.close();
  const r1 = await VmdkDisk.open(disk, { readOnly: true });
  const r2 = await openDevice(disk, { readOnly: true });
  await rejectsWith(VmdkDisk.open(disk), VIX_E_FILE_ALREADY_LOCKED);
  await r1.close();
  await r2.close();

  const raw = join(dir, 'r.raw');
  const rw = await RawFileDevice.create(raw, MiB);
  await rejectsWith(openDevice(raw, { format: 'raw' }), VIX_E_FILE_ALREADY_LOCKED);
  await rejectsWith(openDevice(raw, { format: 'raw', readOnly: true }), VIX_E_FILE_ALREADY_LOCKED);
  await rw.close();
  const rr1 = await openDevice(raw, { format: 'raw', readOnly: true });
  const rr2 = await openDevice(raw, { format: 'raw', readOnly: true });
  await rejectsWith(openDevice(raw, { format: 'raw' }), VIX_E_FILE_ALREADY_LOCKED);
  await rr1.close();
  await rr2.close();
  assert.deepEqual(await lockDirs(dir), []);
});

test('no .lck is left when an open or a maintenance operation fails', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  // A sparse extent whose grain directory lies past the end of its file.
  const bad = await sparseDisk(dir, 'bad.vmdk');
  const bytes = await readFile(bad);
  bytes.writeBigUInt64LE(1n << 30n, 56); // gdOffset
  await writeFile(bad, bytes);
  await rejectsWith(VmdkDisk.open(bad), VIX_E_DISK_NEEDSREPAIR);
  // A descriptor naming an extent file that is missing.
  const flat = join(dir, 'flat.vmdk');
  await createDisk(flat, { capacity: MiB, type: 'monolithicFlat' });
  await writeFile(join(dir, 'flat-flat.vmdk'), '');
  await import('node:fs/promises').then((fs) => fs.rm(join(dir, 'flat-flat.vmdk')));
  await rejectsWith(VmdkDisk.open(flat), VIX_E_FILE_NOT_FOUND);
  // A chain whose child no longer matches its parent (parents are locked while the walk goes on).
  const base = await sparseDisk(dir, 'base.vmdk');
  const child = join(dir, 'child.vmdk');
  await createChild(child, base);
  const b = await VmdkDisk.open(base);
  await b.write(0, new Uint8Array(512).fill(3)); // new CID for the base
  await b.close();
  await rejectsWith(VmdkDisk.open(child, { readOnly: true }), VIX_E_DISK_CID_MISMATCH);
  // Maintenance refused on its arguments, after taking the lock.
  await rejectsWith(growDisk(base, MiB), VIX_E_INVALID_ARG);
  await rejectsWith(renameDisk(base, child), VIX_E_FILE_ALREADY_EXISTS);
  assert.deepEqual(await lockDirs(dir), []);
});

test('vixdisk serve holds the writer lock: vixdisk defrag is refused with 15 and the disk stays intact', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const disk = await sparseDisk(dir);
  const data = Buffer.alloc(MiB);
  for (let i = 0; i < data.length; i += 4096) data.fill((i >> 12) & 0xff, i, i + 4096);
  const d = await VmdkDisk.open(disk);
  await d.write(2 * MiB, data);
  await d.write(0, data.subarray(0, 64 << 10));
  await d.close();

  const sock = join(dir, 'serve.sock');
  const serve = await startServe(t, ['--socket', sock, disk]);

  const defrag = await runVixdisk(['defrag', disk]);
  assert.notEqual(defrag.code, 0, 'defrag refused');
  assert.match(defrag.stderr, new RegExp(`locked for writing by pid ${serve.child.pid} on host .* since .*\\(VIX error 15\\)`));
  assert.equal(defrag.stderr.trim().split('\n').length, 1, 'one line');

  assert.equal(await serve.stop(), 0, serve.stderr());
  assert.deepEqual(await lockDirs(dir), []);
  assert.equal((await checkDisk(disk)).ok, true);
  const after = await VmdkDisk.open(disk, { readOnly: true });
  const back = new Uint8Array(MiB);
  await after.read(2 * MiB, back);
  assert.ok(Buffer.from(back).equals(data), 'the data is intact');
  await after.close();
});

test('creating over a disk someone holds is refused with 15 and leaves it intact', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const disk = await sparseDisk(dir);
  const parent = await sparseDisk(dir, 'p.vmdk');
  const { holder, line } = await LockHolder.start(t, disk, 'rw');
  assert.equal(line, 'open');
  const before = await readFile(disk);
  await rejectsWith(createDisk(disk, { capacity: MiB, overwrite: true }), VIX_E_FILE_ALREADY_LOCKED);
  await rejectsWith(createDisk(disk, { capacity: MiB, type: 'streamOptimized', overwrite: true }), VIX_E_FILE_ALREADY_LOCKED);
  await rejectsWith(createChild(disk, parent, { overwrite: true }), VIX_E_FILE_ALREADY_LOCKED);
  assert.ok((await readFile(disk)).equals(before), 'the held disk is unchanged');
  await holder.close();
  await createDisk(disk, { capacity: MiB, overwrite: true });
  assert.deepEqual(await lockDirs(dir), []);

  // A streamOptimized writer holds its file's lock until it closes.
  const stream = join(dir, 's.vmdk');
  const writer = await createDiskDevice(stream, { capacity: MiB, type: 'streamOptimized' });
  await writer.write(0, new Uint8Array(64 << 10).fill(5));
  await rejectsWith(VmdkDisk.open(stream, { readOnly: true }), VIX_E_FILE_ALREADY_LOCKED, /\(this process\)/);
  await writer.close();
  const back = await VmdkDisk.open(stream, { readOnly: true });
  await back.close();
  assert.deepEqual(await lockDirs(dir), []);
});

test('readers in many processes taking and releasing one file\'s lock at once never fail (the lock folder comes and goes between them)', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lock-');
  const file = join(dir, 'r.img');
  await writeFile(file, Buffer.alloc(4096));
  const lockJs = new URL('../../src/block/disk-lock.js', import.meta.url).href;
  const script = `
    const { DiskLock } = await import(${JSON.stringify(lockJs)});
    const errors = [];
    for (let i = 0; i < 150; i++) {
      const l = new DiskLock('shared');
      try { await l.add(process.argv[1]); } catch (e) { errors.push(e.message); }
      await l.release();
    }
    process.stdout.write(JSON.stringify(errors));`;
  const runs = await Promise.all(Array.from({ length: 5 }, () => new Promise<string[]>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script, file], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as string[])));
  })));
  assert.deepEqual(runs.flat(), [], 'no reader was refused or failed');
  assert.deepEqual(await lockDirs(dir), []);
});
