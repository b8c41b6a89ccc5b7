import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDevice } from '../../src/device/open-device.js';
import { VIX_E_FILE_ALREADY_LOCKED } from '../../src/errors/error-codes.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { growDisk } from '../../src/vmdk/grow.js';
import { createVixDiskLib } from '../../src/index.js';
import { rejectsWith } from '../support/rejects-with.js';
import { tempDir } from '../support/temp-dir.js';
import { requirePeer, runOk } from './peers.js';

// QEMU's image locks (OFD byte-range locks, read from /proc/locks on Linux): a disk qemu-nbd holds
// for writing is not written by vixdisk; where qemu shares reading, vixdisk may read it.

const MiB = 1 << 20;

/** Start qemu-nbd on `file` (format `fmt`, writable) and wait until its socket exists. */
async function startQemuNbd(t: TestContext, dir: string, file: string, fmt: string): Promise<void> {
  const sock = join(dir, `${fmt}.sock`);
  const child = spawn('qemu-nbd', ['-f', fmt, '-k', sock, '--persistent', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  t.after(async () => { child.kill('SIGTERM'); await exited; });
  for (;;) {
    if (await access(sock).then(() => true, () => false)) break;
    if (child.exitCode !== null) assert.fail(`qemu-nbd exited: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The socket is made after the image is opened (and locked).
}

async function haveProcLocks(t: TestContext): Promise<boolean> {
  if (await readFile('/proc/locks').then(() => true, () => false)) return true;
  t.skip('no /proc/locks (not Linux): qemu\'s locks cannot be seen');
  return false;
}

test('a .vmdk qemu-nbd holds for writing: our writers and maintenance get 15, our readers may read', async (t) => {
  if (!(await requirePeer(t, ['qemu-img', 'qemu-nbd'])) || !(await haveProcLocks(t))) return;
  const dir = await tempDir(t, 'vixdisk-qemu-lock-');
  const disk = join(dir, 'q.vmdk');
  await runOk('qemu-img', ['create', '-f', 'vmdk', disk, '4M']);
  await startQemuNbd(t, dir, disk, 'vmdk');

  const err = await rejectsWith(VmdkDisk.open(disk), VIX_E_FILE_ALREADY_LOCKED, /q\.vmdk is locked: qemu has it open for writing/);
  assert.ok(!err.message.includes('\n'));
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
  const conn = await lib.Connect(null);
  await rejectsWith(lib.Open(conn, disk, 0), VIX_E_FILE_ALREADY_LOCKED, /qemu/);
  await lib.Disconnect(conn);
  lib.Exit();
  await rejectsWith(growDisk(disk, 8 * MiB), VIX_E_FILE_ALREADY_LOCKED, /qemu/);

  // qemu-nbd shares reading: a read-only open works.
  const reader = await VmdkDisk.open(disk, { readOnly: true });
  assert.equal(reader.capacity, 4 * MiB);
  await reader.close();
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.lck')), []);
});

test('a raw image qemu-nbd holds for writing: our write open gets 15, a read-only open works', async (t) => {
  if (!(await requirePeer(t, ['qemu-img', 'qemu-nbd'])) || !(await haveProcLocks(t))) return;
  const dir = await tempDir(t, 'vixdisk-qemu-lock-');
  const raw = join(dir, 'q.raw');
  await runOk('qemu-img', ['create', '-f', 'raw', raw, '4M']);
  await startQemuNbd(t, dir, raw, 'raw');

  await rejectsWith(openDevice(raw, { format: 'raw' }), VIX_E_FILE_ALREADY_LOCKED, /q\.raw is locked: qemu has it open for writing/);
  const reader = await openDevice(raw, { format: 'raw', readOnly: true });
  assert.equal(reader.capacity, 4 * MiB);
  await reader.close();
});
