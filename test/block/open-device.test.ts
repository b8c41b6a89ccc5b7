import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDevice, probeFormat } from '../../src/device/open-device.js';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { VixError } from '../../src/errors/vix-error.js';

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof VixError, String(err));
    return err.code;
  }
  return 0;
}

test('a name becomes the right device; folders and FIFOs are refused without blocking', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-open-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vmdk = join(dir, 'd.vmdk');
  await createDisk(vmdk, { capacity: 1 << 20 });
  const raw = join(dir, 'd.img');
  await writeFile(raw, new Uint8Array(4096).fill(3));
  assert.equal(await probeFormat(vmdk), 'vmdk');
  assert.equal(await probeFormat(raw), 'raw');
  const a = await openDevice(vmdk, { readOnly: true });
  assert.ok(a instanceof VmdkDisk);
  await a.close();
  const b = await openDevice(raw, { readOnly: true });
  assert.ok(b instanceof RawFileDevice);
  assert.equal(b.capacity, 4096);
  await b.close();
  assert.equal(await code(openDevice(dir)), 9, 'a folder');
  assert.equal(await code(openDevice(join(dir, 'missing'))), 4);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.equal(await code(openDevice(fifo)), 9, 'a FIFO is refused, not opened (which would block)');
  assert.equal(await code(openDevice(fifo, { format: 'raw' })), 9);
  assert.equal(await code(openDevice(fifo, { format: 'vmdk' })), 16063);
});
