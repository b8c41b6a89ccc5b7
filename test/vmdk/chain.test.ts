import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createChild, createDisk, createDiskDevice } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { tempDir } from '../support/temp-dir.js';
import { rejectsWith } from '../support/rejects-with.js';

const MiB = 1 << 20;



test('a child reads through to its parent, writes stay in the child, partial grains copy the parent', async (t) => {
  const dir = await tempDir(t, 'vixdisk-chain-');
  const base = join(dir, 'base.vmdk');
  await createDisk(base, { capacity: 8 * MiB, type: 'monolithicFlat' });
  const b = await VmdkDisk.open(base);
  await b.write(0, new Uint8Array(2 * MiB).fill(0xaa));
  await b.close();
  await mkdir(join(dir, 'snap'));
  const child = join(dir, 'snap', 'child.vmdk');
  await createChild(child, base);

  const c = await VmdkDisk.open(child);
  assert.equal(c.links.length, 2);
  await c.write(1000 * 512, new Uint8Array(512).fill(0x11)); // inside grain 7: copy-on-write of the rest
  const got = new Uint8Array(2 * MiB + 4096);
  await c.read(0, got);
  assert.equal(got[1000 * 512 - 1], 0xaa);
  assert.equal(got[1000 * 512], 0x11);
  assert.equal(got[1001 * 512], 0xaa);
  assert.equal(got[2 * MiB], 0);
  const status = await c.blockStatus(0, 8 * MiB);
  assert.deepEqual(status, [{ offset: 0, length: 8 * MiB, allocated: true, zero: false }], 'a flat base is data everywhere');
  await c.close();

  const single = await VmdkDisk.open(child, { singleLink: true, readOnly: true });
  assert.equal(single.links.length, 1);
  const one = await single.blockStatus(0, 8 * MiB);
  assert.deepEqual(one.filter((e) => e.allocated), [{ offset: 7 * 65536, length: 64 * 1024, allocated: true, zero: false }]);
  const buf = new Uint8Array(512);
  await single.read(0, buf);
  assert.equal(buf[0], 0, 'holes of a single link read as zeros');
  await single.close();

  const b2 = await VmdkDisk.open(base, { readOnly: true });
  const baseByte = new Uint8Array(512);
  await b2.read(1000 * 512, baseByte);
  assert.equal(baseByte[0], 0xaa, 'the parent is untouched');
  await b2.close();
});

test('the CID changes on the first write after open, and children of the old content are refused', async (t) => {
  const dir = await tempDir(t, 'vixdisk-chain-');
  const base = join(dir, 'base.vmdk');
  await createDisk(base, { capacity: 4 * MiB });
  const child = join(dir, 'child.vmdk');
  await createChild(child, base);
  const before = (await VmdkDisk.open(base, { readOnly: true }));
  const cid0 = before.info().cid;
  await before.close();

  const d = await VmdkDisk.open(base);
  await d.write(0, new Uint8Array(512).fill(1));
  const cid1 = d.info().cid;
  await d.write(512, new Uint8Array(512).fill(2));
  assert.equal(d.info().cid, cid1, 'only the first write changes it');
  await d.close();
  assert.notEqual(cid1, cid0);
  assert.match((await readFile(base)).toString('latin1'), new RegExp(`CID=${cid1}`));
  await rejectsWith(VmdkDisk.open(child), 16008);
});

test('read-only handles, closed handles, ranges and streamOptimized writes fail with VMware codes', async (t) => {
  const dir = await tempDir(t, 'vixdisk-chain-');
  const p = join(dir, 'd.vmdk');
  await createDisk(p, { capacity: MiB });
  const ro = await VmdkDisk.open(p, { readOnly: true });
  await rejectsWith(ro.write(0, new Uint8Array(512)), 11);
  await rejectsWith(ro.read(MiB - 512, new Uint8Array(1024)), 16007);
  await ro.close();
  await rejectsWith(ro.read(0, new Uint8Array(512)), 3);

  const s = join(dir, 's.vmdk');
  const w = await createDiskDevice(s, { capacity: MiB, type: 'streamOptimized' });
  await w.write(0, new Uint8Array(65536).fill(7));
  await w.close();
  const before = await readFile(s);
  const sd = await VmdkDisk.open(s);
  const buf = new Uint8Array(65536);
  await sd.read(0, buf);
  assert.equal(buf[65535], 7);
  await rejectsWith(sd.write(0, new Uint8Array(512)), 6);
  await sd.close();
  assert.ok(before.equals(await readFile(s)), 'a refused write changes nothing, not even the CID');
});

test('zero() of whole grains in a zeroed-grain child hides the parent without allocating', async (t) => {
  const dir = await tempDir(t, 'vixdisk-chain-');
  const base = join(dir, 'base.vmdk');
  await createDisk(base, { capacity: 4 * MiB });
  const b = await VmdkDisk.open(base);
  await b.write(0, new Uint8Array(4 * MiB).fill(9));
  await b.close();
  const child = join(dir, 'child.vmdk');
  await createChild(child, base);
  const c = await VmdkDisk.open(child);
  await c.zero(65536, 3 * 65536 + 100);
  const buf = new Uint8Array(5 * 65536);
  await c.read(0, buf);
  assert.equal(buf[65535], 9);
  assert.ok(buf.subarray(65536, 4 * 65536 + 100).every((x) => x === 0));
  assert.equal(buf[4 * 65536 + 100], 9);
  await c.close();
});
