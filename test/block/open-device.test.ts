import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice, formatOfName, openDevice } from '../../src/device/open-device.js';
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

/** A descriptor naming `extent` as its one flat extent of `sectors` sectors: what a guest could write into its own disk. */
function hostileDescriptor(extent: string, sectors: number): Buffer {
  return Buffer.from(`# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n` +
    `RW ${sectors} FLAT "${extent}" 0\n`);
}

test('a name becomes the right device; folders and FIFOs are refused without blocking', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-open-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vmdk = join(dir, 'd.vmdk');
  await createDisk(vmdk, { capacity: 1 << 20 });
  const raw = join(dir, 'd.img');
  await writeFile(raw, new Uint8Array(4096).fill(3));
  assert.equal(formatOfName(vmdk), 'vmdk');
  assert.equal(formatOfName(join(dir, 'D.VMDK')), 'vmdk', 'the extension in any case');
  assert.equal(formatOfName(raw), 'raw');
  assert.equal(formatOfName(join(dir, 'vmdk')), 'raw');
  const a = await openDevice(vmdk, { readOnly: true });
  assert.ok(a instanceof VmdkDisk);
  await a.close();
  const b = await openDevice(raw, { readOnly: true });
  assert.ok(b instanceof RawFileDevice);
  assert.equal(b.capacity, 4096);
  await b.close();
  assert.equal(await code(openDevice(dir)), 9, 'a folder');
  assert.equal(await code(openDevice(join(dir, 'missing'))), 4);
  assert.equal(await code(openDevice(join(dir, 'missing.vmdk'))), 4);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.equal(await code(openDevice(fifo)), 9, 'a FIFO is refused, not opened (which would block)');
  assert.equal(await code(openDevice(fifo, { format: 'raw' })), 9);
  assert.equal(await code(openDevice(fifo, { format: 'vmdk' })), 16063);
  assert.equal(await code(openDevice('nbd://127.0.0.1:1/x', { format: 'vmdk' })), 3, 'an NBD export is raw blocks');
});

test('the name decides the format, never the contents; format overrides the name', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-open-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A .vmdk that is not a VMDK is refused with the engine's code, never read as raw bytes.
  const junk = join(dir, 'junk.vmdk');
  await writeFile(junk, Buffer.alloc(64 << 10, 'not a disk '));
  assert.equal(await code(openDevice(junk, { readOnly: true })), 16063);
  const forcedRaw = await openDevice(junk, { readOnly: true, format: 'raw' });
  assert.ok(forcedRaw instanceof RawFileDevice, 'format raw reads it as raw');
  await forcedRaw.close();

  // A raw image whose guest wrote a descriptor naming its sibling into sector 0 stays raw: its own
  // bytes are read and written, the sibling is never opened.
  const sibling = join(dir, 'vm2.img');
  await writeFile(sibling, Buffer.alloc(1 << 20, 0x22));
  const vm1 = join(dir, 'vm1.img');
  const image = Buffer.alloc(1 << 20);
  hostileDescriptor('vm2.img', 2048).copy(image);
  await writeFile(vm1, image);
  const dev = await openDevice(vm1);
  try {
    assert.ok(dev instanceof RawFileDevice);
    const head = Buffer.alloc(512);
    await dev.read(0, head);
    assert.deepEqual(head, image.subarray(0, 512), 'its own first sector');
    await dev.write(4096, Buffer.alloc(512, 0x77));
    await dev.flush();
  } finally {
    await dev.close();
  }
  assert.deepEqual(await readFile(sibling), Buffer.alloc(1 << 20, 0x22), 'the sibling is untouched');
  assert.deepEqual((await readFile(vm1)).subarray(4096, 4608), Buffer.alloc(512, 0x77), 'the write landed in vm1.img');

  // format vmdk opens a VMDK whatever its name.
  const named = join(dir, 'disk.bin');
  await createDisk(join(dir, 'real.vmdk'), { capacity: 1 << 20 });
  await copyFile(join(dir, 'real.vmdk'), named);
  const asRaw = await openDevice(named, { readOnly: true });
  assert.ok(asRaw instanceof RawFileDevice, 'by its name, raw');
  await asRaw.close();
  const asVmdk = await openDevice(named, { readOnly: true, format: 'vmdk' });
  assert.ok(asVmdk instanceof VmdkDisk);
  assert.equal(asVmdk.capacity, 1 << 20);
  await asVmdk.close();

  // createDevice follows the same rule, and the same override.
  const made = await createDevice(join(dir, 'new.raw'), { capacity: 1 << 20, format: 'vmdk' });
  await made.close();
  const back = await openDevice(join(dir, 'new.raw'), { readOnly: true, format: 'vmdk' });
  assert.ok(back instanceof VmdkDisk);
  await back.close();
});
