import assert from 'node:assert/strict';
import { mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDefaultConfig } from '../../src/host/default-config.js';
import { HostRuntime } from '../../src/host/host-runtime.js';
import { DEFAULT_DATA_LENGTH, DEFAULT_DATA_OFFSETS, defaultDiskData } from '../../src/host/inventory/default-inventory.js';
import { LUN_BLOCK, LUN_DATA_START, LunVolume } from '../../src/host/san/lun-volume.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { tempDir } from '../support/temp-dir.js';

// The simulator's LUN (docs/san.md): its metadata slots and allocator, and the host moving thick
// disks into it crash-safely.

test('LUN metadata: the newest valid slot wins, a torn one falls back to the other; first-fit allocation', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lun-');
  const path = join(dir, 'ds.lun');
  const lun = await LunVolume.create(path, 64 << 20);
  assert.match(lun.naa, /^naa\.6000c29[0-9a-f]{25}$/);
  assert.equal((await stat(path)).size, 64 << 20);
  const a = lun.allocate(1.5 * LUN_BLOCK);
  assert.equal(a, LUN_DATA_START);
  await lun.commit('vm/a-flat.vmdk', { offsetBytes: a, lengthBytes: 1.5 * LUN_BLOCK });
  const b = lun.allocate(LUN_BLOCK);
  assert.equal(b, LUN_DATA_START + 2 * LUN_BLOCK, 'a range is whole 1 MiB blocks');
  await lun.commit('vm/b-flat.vmdk', { offsetBytes: b, lengthBytes: LUN_BLOCK });
  await lun.commit('vm/a-flat.vmdk', undefined);
  assert.equal(lun.allocate(2 * LUN_BLOCK), LUN_DATA_START, 'a freed range is reused');
  assert.equal(lun.allocate(3 * LUN_BLOCK), LUN_DATA_START + 3 * LUN_BLOCK, 'too big for the hole: after b');
  assert.throws(() => lun.allocate(64 << 20), /no 67108864 contiguous free bytes/);
  await lun.close();

  const again = await LunVolume.open(path);
  assert.equal(again.naa, lun.naa);
  assert.deepEqual(again.entries, [['vm/b-flat.vmdk', { offsetBytes: b, lengthBytes: LUN_BLOCK }]]);
  await again.close();

  // Tear the newest copy (sequence 4, slot 0): the previous table (sequence 3) is read.
  const fh = await open(path, 'r+');
  await fh.write(Buffer.from('garbage'), 0, 7, 40);
  await fh.close();
  const fallback = await LunVolume.open(path);
  assert.deepEqual(fallback.entries.map(([k]) => k).sort(), ['vm/a-flat.vmdk', 'vm/b-flat.vmdk']);
  await fallback.close();

  const notLun = join(dir, 'not.lun');
  await writeFile(notLun, Buffer.alloc(2 << 20));
  await assert.rejects(LunVolume.open(notLun), /is not a vixdisk LUN \(no valid metadata slot\)/);
});

async function sanDataDir(dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  await createDefaultConfig(join(dir, 'host.json'), join(dir, 'passwords.json'), 'vcenter');
  const config = JSON.parse(await readFile(join(dir, 'host.json'), 'utf8')) as Record<string, unknown>;
  config.san = { luns: [{ datastore: 'datastore1', sizeMiB: 128 }], ...extra };
  await writeFile(join(dir, 'host.json'), JSON.stringify(config));
}

async function webDiskReadsDefault(dir: string): Promise<void> {
  const disk = await VmdkDisk.open(join(dir, 'datastores', 'datastore1', 'web', 'web.vmdk'), { readOnly: true });
  try {
    for (const offset of DEFAULT_DATA_OFFSETS) {
      const got = Buffer.alloc(DEFAULT_DATA_LENGTH);
      await disk.read(offset, got);
      assert.ok(got.equals(defaultDiskData('web/web.vmdk', offset, DEFAULT_DATA_LENGTH)), `web.vmdk at ${offset}`);
    }
    const gap = Buffer.alloc(1 << 20);
    await disk.read(8 << 20, gap);
    assert.ok(gap.every((x) => x === 0), 'bytes the disk never held read as zeros, not as an earlier copy\'s');
  } finally {
    await disk.close();
  }
}

test('moving a thick disk into the LUN survives a kill before the commit and after it', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lun-host-');
  await sanDataDir(dir);
  // Killed before the commit: the LUN exists and an unrecorded copy left bytes in its first range.
  await mkdir(join(dir, 'luns'), { recursive: true });
  const lun = await LunVolume.create(join(dir, 'luns', 'datastore1.lun'), 128 << 20);
  await lun.writeAt(Buffer.alloc(64 << 20, 0xee), LUN_DATA_START);
  await lun.close();

  let host = await HostRuntime.start({ dataDir: dir, port: 0, nfcPort: 0 });
  try {
    assert.ok(!(await readdir(join(dir, 'datastores', 'datastore1', 'web'))).includes('web-flat.vmdk'));
    await webDiskReadsDefault(dir); // through the mounted volume, in this process
  } finally {
    await host.stop();
  }
  await assert.rejects(VmdkDisk.open(join(dir, 'datastores', 'datastore1', 'web', 'web.vmdk'), { readOnly: true }),
    /web-flat\.vmdk/, 'unmounted, the extent is nowhere: a loud failure, not zeros');

  // Killed after the commit: the table holds the extent and a stale file is still in the folder.
  await writeFile(join(dir, 'datastores', 'datastore1', 'web', 'web-flat.vmdk'), Buffer.alloc(1 << 20, 0x77));
  host = await HostRuntime.start({ dataDir: dir, port: 0, nfcPort: 0 });
  try {
    assert.ok(!(await readdir(join(dir, 'datastores', 'datastore1', 'web'))).includes('web-flat.vmdk'), 'the stale file is removed');
    await webDiskReadsDefault(dir);
  } finally {
    await host.stop();
  }
});

test('the san config is checked: sizes, unknown keys, a LUN for a datastore the inventory lacks', async (t) => {
  const dir = await tempDir(t, 'vixdisk-lun-config-');
  await createDefaultConfig(join(dir, 'host.json'), join(dir, 'passwords.json'), 'vcenter');
  const base = JSON.parse(await readFile(join(dir, 'host.json'), 'utf8')) as Record<string, unknown>;
  const start = async (san: unknown) => {
    await writeFile(join(dir, 'host.json'), JSON.stringify({ ...base, san }));
    return HostRuntime.start({ dataDir: dir, port: 0, nfcPort: 0 });
  };
  await assert.rejects(start({ luns: [{ datastore: 'datastore1', sizeMiB: 1 }] }), /san\.luns\[0\]\.sizeMiB: must be an integer 16\.\./);
  await assert.rejects(start({ luns: [{ datastore: 'datastore1' }], fabric: 'x' }), /san\.fabric: unknown key/);
  await assert.rejects(start({ luns: [{ datastore: 'datastore1' }, { datastore: 'datastore1' }] }), /'datastore1' is named twice/);
  await assert.rejects(start({ luns: [{ datastore: 'nosuch', sizeMiB: 16 }] }), /san\.luns\[0\]\.datastore: the inventory has no datastore 'nosuch'/);
  assert.deepEqual(await readdir(join(dir, 'luns')).catch(() => []), [], 'no LUN is made for it');
  // A LUN file for a datastore the inventory lacks (its data would be lost): refused at start.
  await mkdir(join(dir, 'luns'));
  await (await LunVolume.create(join(dir, 'luns', 'gone.lun'), 16 << 20)).close();
  await assert.rejects(start(undefined), /san: luns\/gone\.lun is for datastore 'gone', which the inventory does not have/);
});
