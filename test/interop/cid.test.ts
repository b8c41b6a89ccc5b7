import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VIX_E_DISK_CID_MISMATCH } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { createChild, createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { cidHex, makeTempDir, qemuInfo, removeTempDir, requirePeer, run, runOk } from './peers.js';

// The CID changes on the first write after each open, as VMware and QEMU do (vmdk-format 4.6), and
// QEMU reads the same CID vixdisk wrote; a child made before the change no longer matches.

const SECTOR = 512;
const MiB = 1 << 20;

async function qemuCid(path: string): Promise<string> {
  const cid = (await qemuInfo(path))['format-specific']?.data.cid;
  assert.equal(typeof cid, 'number', `qemu-img info ${path} reports a cid`);
  return cidHex(cid!);
}

async function ourCid(path: string): Promise<string> {
  const d = await VmdkDisk.open(path, { readOnly: true });
  try {
    return d.info().cid;
  } finally {
    await d.close();
  }
}

describe('CID: changes on the first write after open, and QEMU agrees', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('cid');
  });
  after(() => removeTempDir(dir));

  for (const [origin, subformat] of [
    ['qemu', 'monolithicSparse'], ['qemu', 'twoGbMaxExtentSparse'], ['qemu', 'monolithicFlat'],
    ['vixdisk', 'monolithicSparse'], ['vixdisk', 'twoGbMaxExtentFlat'],
  ] as const) {
    test(`${subformat} made by ${origin}`, async (t) => {
      if (!await requirePeer(t, 'qemu-img')) return;
      const path = join(dir, `${origin}-${subformat}.vmdk`);
      if (origin === 'qemu') {
        await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', `subformat=${subformat}`, path, String(8 * MiB)]);
      } else {
        await createDisk(path, { capacity: 8 * MiB, type: subformat });
      }
      const first = await ourCid(path);
      assert.equal(first, await qemuCid(path), 'vixdisk and qemu-img read the same CID');

      const disk = await VmdkDisk.open(path);
      try {
        assert.equal(disk.info().cid, first, 'opening for writing does not change the CID');
        await disk.read(0, Buffer.alloc(SECTOR));
        await disk.flush();
        assert.equal(disk.info().cid, first, 'reads and flushes do not change the CID');
        await disk.write(SECTOR, Buffer.alloc(SECTOR, 0x5a));
        const second = disk.info().cid;
        assert.notEqual(second, first, 'the first write changes the CID');
        assert.ok(second !== 'ffffffff' && second !== 'fffffffe', `a new CID is never ${second}`);
        await disk.write(2 * SECTOR, Buffer.alloc(SECTOR, 0x5b));
        await disk.zero(0, SECTOR);
        assert.equal(disk.info().cid, second, 'later writes in the same open keep it');
        // Already on disk before close (what a crash would leave).
        assert.equal(await qemuCid(path), second, 'qemu-img info sees the new CID while the disk is open');
      } finally {
        await disk.close();
      }
      const afterClose = await ourCid(path);
      assert.equal(await qemuCid(path), afterClose, 'qemu-img info agrees after close');

      // Each open changes it again on its first write; zero() counts as a write.
      const again = await VmdkDisk.open(path);
      try {
        await again.zero(0, SECTOR);
        assert.notEqual(again.info().cid, afterClose);
      } finally {
        await again.close();
      }
      assert.equal(await qemuCid(path), await ourCid(path));
      const check = await run('qemu-img', ['check', path]);
      assert.ok(check.code === 0 || (subformat.endsWith('Flat') && check.code === 63),
        `qemu-img check: ${check.code}\n${check.stdout}${check.stderr}`);
      // QEMU keeps parsing the descriptor vixdisk rewrote.
      const r = await runOk('qemu-io', ['-f', 'vmdk', '-c', `read -P 0x5b ${2 * SECTOR} ${SECTOR}`, path]);
      assert.doesNotMatch(r.stdout + r.stderr, /Pattern verification failed/);
    });
  }

  test('a vixdisk write to a base invalidates a child qemu made over it, for vixdisk and for QEMU', async (t) => {
    if (!await requirePeer(t, ['qemu-img', 'qemu-io'])) return;
    await createDisk(join(dir, 'vb.vmdk'), { capacity: 4 * MiB, type: 'monolithicSparse' });
    await runOk('qemu-img', ['create', '-q', '-f', 'vmdk', '-b', 'vb.vmdk', '-F', 'vmdk', 'vc.vmdk'], { cwd: dir });
    const child = join(dir, 'vc.vmdk');
    const ok = await VmdkDisk.open(child, { readOnly: true });
    assert.equal(ok.info().parentCid, await ourCid(join(dir, 'vb.vmdk')));
    await ok.close();
    // Our child over the same base, made before the write, must go stale too.
    await createChild(join(dir, 'vc2.vmdk'), join(dir, 'vb.vmdk'));

    const base = await VmdkDisk.open(join(dir, 'vb.vmdk'));
    try {
      await base.write(0, Buffer.alloc(SECTOR, 1));
    } finally {
      await base.close();
    }
    for (const c of ['vc.vmdk', 'vc2.vmdk']) {
      await assert.rejects(VmdkDisk.open(join(dir, c), { readOnly: true }),
        (err: unknown) => err instanceof VixError && err.code === VIX_E_DISK_CID_MISMATCH, `${c} after the base changed`);
    }
    // QEMU sees the mismatch too when it reads through the child (vmdk-format 4.6: EINVAL).
    const r = await run('qemu-io', ['-f', 'vmdk', '-c', 'read 0 512', child]);
    assert.notEqual(r.code, 0, 'qemu-io fails to read through a stale child');
    assert.match(r.stdout + r.stderr, /Invalid argument/, `qemu-io read through a stale child:\n${r.stdout}${r.stderr}`);
    const text = await readFile(join(dir, 'vc2.vmdk'));
    assert.ok(text.includes(Buffer.from('parentCID=')), 'our child carries a parentCID');
  });
});
