import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createChild, createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { DataGenerator, firstDifference, requirePeer, runOk } from '../interop/peers.js';
import { startServe } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';
import { MiB } from './nbd-support.js';

// `vixdisk serve` as a user runs it: its own process, an ESXi snapshot chain (flat base, vmfsSparse
// delta, seSparse delta) exported read-only on a Unix socket, read by nbdinfo and nbdcopy, and
// stopped by SIGTERM.

const SIZE = 16 * MiB;

async function writeAt(path: string, offset: number, data: Uint8Array): Promise<void> {
  const d = await VmdkDisk.open(path);
  try {
    await d.write(offset, data);
  } finally {
    await d.close();
  }
}

test('vixdisk serve exports an ESXi snapshot chain: nbdinfo maps it, nbdcopy reads what qemu-img reads; SIGTERM stops it', { timeout: 60_000 }, async (t) => {
  if (!(await requirePeer(t, ['qemu-img', 'nbdinfo', 'nbdcopy']))) return;
  const dir = await tempDir(t, 'vixdisk-serve-');
  const gen = new DataGenerator(11);
  const base = join(dir, 'vm.vmdk');
  await createDisk(base, { capacity: SIZE, type: 'vmfs' });
  await writeAt(base, 0, gen.mixed(4 * MiB));
  const snap1 = join(dir, 'vm-000001.vmdk');
  await createChild(snap1, base, { type: 'vmfsSparse' });
  await writeAt(snap1, 3 * MiB + 512, gen.mixed(2 * MiB));
  const snap2 = join(dir, 'vm-000002.vmdk');
  await createChild(snap2, snap1, { type: 'seSparse' });
  await writeAt(snap2, 10 * MiB, gen.mixed(MiB));
  const expected = join(dir, 'expected.raw');
  await runOk('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', snap2, expected]);

  const sock = join(dir, 'serve.sock');
  const serve = await startServe(t, ['--read-only', '--socket', sock, snap2]);
  const { uri } = serve;
  assert.match(uri, /^nbd\+unix:\/\/\/.*socket=/);

  // The map covers the disk; only the flat base stands behind the deltas' holes, so all of it is data.
  const extents = JSON.parse((await runOk('nbdinfo', ['--map', '--json', uri])).stdout) as Array<{ offset: number; length: number; type: number }>;
  assert.equal(extents.reduce((n, e) => n + e.length, 0), SIZE);
  const copy = join(dir, 'copy.raw');
  await runOk('nbdcopy', [uri, copy]);
  assert.equal(firstDifference(await readFile(copy), await readFile(expected)), -1, 'nbdcopy reads what qemu-img reads');

  assert.equal(await serve.stop(), 0, `serve exit status (stderr: ${serve.stderr()})`);
  assert.equal(serve.stderr(), '');
});
