import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyDevice } from '../../src/block/copy.js';
import {
  VIX_E_DISK_CANTREPAIR, VIX_E_DISK_CANTSHRINK, VIX_E_DISK_INVAL, VIX_E_DISK_KEY_NOTFOUND, VIX_E_DISK_NEEDSREPAIR,
  VIX_E_DISK_NOTSUPPORTED, VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_ALREADY_LOCKED, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED,
} from '../../src/errors/error-codes.js';
import { checkDisk } from '../../src/vmdk/check.js';
import { createChild, createDisk, createDiskDevice, type DiskType } from '../../src/vmdk/create.js';
import { defragmentDisk } from '../../src/vmdk/defragment.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { growDisk } from '../../src/vmdk/grow.js';
import { listMetadataKeys, readMetadata, writeMetadata } from '../../src/vmdk/metadata.js';
import { renameDisk } from '../../src/vmdk/rename.js';
import { repairDisk } from '../../src/vmdk/repair.js';
import { shrinkDisk } from '../../src/vmdk/shrink.js';
import { spaceNeededForClone } from '../../src/vmdk/space-needed.js';
import { SparseExtent } from '../../src/vmdk/sparse-extent.js';
import { unlinkDisk } from '../../src/vmdk/unlink.js';
import { optionalPeer, run } from '../interop/peers.js';
import { runAndKill } from '../support/kill-after.js';
import { tempDir } from '../support/temp-dir.js';
import { random01 } from '../support/xorshift.js';
import { rejectsWith } from '../support/rejects-with.js';

// Disk maintenance (grow, shrink, defragment, rename, unlink, repair, metadata, space needed for a
// clone) on real files: what the disk reads never changes, the files pass our check, every refusal
// carries its VIX code and leaves the files as they were, and a process killed in the middle of
// grow, shrink or defragment leaves a disk that opens with all its data.

const MiB = 1 << 20;
const GRAIN = 64 << 10;
const SECTOR = 512;
const WORKER = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'support', 'maintenance-worker.js');
const ITERATIONS = Number(process.env.VIXDISK_CRASH_ITERATIONS ?? 5);


/** Deterministic non-zero bytes for write number `seed`. */
function pattern(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    b.writeUInt32LE((s | 0x01010101) >>> 0, i);
  }
  return b;
}

async function writeAll(path: string, writes: Array<[number, Uint8Array]>): Promise<void> {
  const d = await VmdkDisk.open(path);
  try {
    for (const [off, data] of writes) await d.write(off, data);
  } finally {
    await d.close();
  }
}

async function readAll(path: string, length?: number): Promise<Buffer> {
  const d = await VmdkDisk.open(path, { readOnly: true });
  try {
    const b = Buffer.alloc(length ?? d.capacity);
    await d.read(0, b);
    return b;
  } finally {
    await d.close();
  }
}

async function capacityOf(path: string): Promise<number> {
  const d = await VmdkDisk.open(path, { readOnly: true });
  try {
    return d.capacity;
  } finally {
    await d.close();
  }
}


/** Every file of the folder and its bytes, to prove a refused operation changed nothing. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) {
    const st = await stat(join(dir, name));
    if (!st.isFile()) continue;
    // Huge (flat) files by size and time of last change; the rest byte for byte.
    out.set(name, st.size > 64 * MiB ? Buffer.from(`${st.size} ${st.mtimeMs}`) : await readFile(join(dir, name)));
  }
  return out;
}

async function assertClean(path: string): Promise<void> {
  const r = await checkDisk(path);
  assert.deepEqual(r.problems, [], `check of ${path}`);
  assert.deepEqual(r.warnings, [], `check warnings of ${path}`);
}

async function sparseEntries(path: string): Promise<number[]> {
  const d = await VmdkDisk.open(path, { readOnly: true, singleLink: true });
  try {
    const ext = d.top.extents[0]!.io as SparseExtent;
    const out: number[] = [];
    for (let g = 0; g * GRAIN < ext.sizeBytes; g++) out.push(await ext.entry(g));
    return out;
  } finally {
    await d.close();
  }
}

describe('growDisk', () => {
  test('monolithicSparse: grows in place (directory in place, then moved), data kept, new space writable', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const p = join(dir, 'g.vmdk');
    // 1 000 000 bytes: the last grain is only partly inside the disk (QEMU makes such disks).
    await createDisk(p, { capacity: 1_000_000, adapterType: 'lsilogic' });
    const cap = 1954 * SECTOR; // rounded up to a sector
    await writeAll(p, [[0, pattern(3 * GRAIN + 1000, 1)], [cap - 1536, pattern(1536, 2)]]);
    // Garbage past the capacity inside the last grain: growing must not let it show.
    const lastGrainEntry = (await sparseEntries(p))[Math.floor(cap / GRAIN)]!;
    const fh = await open(p, 'r+');
    await fh.write(Buffer.alloc(GRAIN - (cap % GRAIN), 0xee), 0, undefined, lastGrainEntry * SECTOR + (cap % GRAIN));
    await fh.close();
    const before = await readAll(p);

    const progress: number[] = [];
    await growDisk(p, 100 * MiB, { onProgress: (x) => progress.push(x) });
    assert.equal(progress[0], 0);
    assert.equal(progress[progress.length - 1], 100);
    assert.equal(await capacityOf(p), 100 * MiB);
    let after = await readAll(p);
    assert.ok(after.subarray(0, before.length).equals(before), 'old content kept');
    assert.ok(after.subarray(before.length).every((x) => x === 0), 'new space reads as zeros');
    await assertClean(p);

    // Past 4 GiB the one-sector directory no longer fits: it moves to the end of the file.
    await growDisk(p, 5 * 2 ** 30, { updateGeometry: true });
    const d = await VmdkDisk.open(p);
    assert.equal(d.capacity, 5 * 2 ** 30);
    assert.equal(d.info().geometry?.cylinders, Math.floor(5 * 2 ** 30 / (255 * 63 * 512)));
    await d.write(5 * 2 ** 30 - GRAIN, pattern(GRAIN, 3));
    await d.write(70 * MiB, pattern(GRAIN, 4));
    await d.close();
    after = await readAll(p, 100 * MiB);
    assert.ok(after.subarray(0, before.length).equals(before));
    assert.ok(after.subarray(70 * MiB, 70 * MiB + GRAIN).equals(pattern(GRAIN, 4)));
    const tail = Buffer.alloc(GRAIN);
    const d2 = await VmdkDisk.open(p, { readOnly: true });
    await d2.read(5 * 2 ** 30 - GRAIN, tail);
    await d2.close();
    assert.ok(tail.equals(pattern(GRAIN, 3)));
    await assertClean(p);
  });

  test('monolithicFlat and a child link grow; refusals leave the files alone', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const flat = join(dir, 'f.vmdk');
    await createDisk(flat, { capacity: 4 * MiB, type: 'monolithicFlat' });
    await writeAll(flat, [[MiB, pattern(5000, 5)]]);
    const before = await readAll(flat);
    await growDisk(flat, 9 * MiB);
    assert.equal((await stat(join(dir, 'f-flat.vmdk'))).size, 9 * MiB);
    const after = await readAll(flat);
    assert.equal(after.length, 9 * MiB);
    assert.ok(after.subarray(0, before.length).equals(before));
    await assertClean(flat);

    const base = join(dir, 'base.vmdk');
    const child = join(dir, 'child.vmdk');
    await createDisk(base, { capacity: 2 * MiB });
    await writeAll(base, [[0, pattern(2 * MiB, 6)]]);
    await createChild(child, base);
    await writeAll(child, [[GRAIN, pattern(GRAIN, 7)]]);
    const chain = await readAll(child);
    await growDisk(child, 3 * MiB);
    const grown = await readAll(child);
    assert.ok(grown.subarray(0, 2 * MiB).equals(chain));
    assert.ok(grown.subarray(2 * MiB).every((x) => x === 0), 'past the parent: zeros');
    await assertClean(child);

    const snap = await snapshot(dir);
    await rejectsWith(growDisk(flat, 8 * MiB), VIX_E_INVALID_ARG);
    await rejectsWith(growDisk(flat, -1), VIX_E_INVALID_ARG);
    const stream = join(dir, 's.vmdk');
    const sd = await createDiskDevice(stream, { capacity: MiB, type: 'streamOptimized' });
    await sd.close();
    const snap2 = await snapshot(dir);
    await rejectsWith(growDisk(stream, 2 * MiB), VIX_E_NOT_SUPPORTED);
    assert.deepEqual(await snapshot(dir), snap2);
    snap2.delete('s.vmdk');
    assert.deepEqual(snap2, snap);
  });

  for (const type of ['twoGbMaxExtentFlat', 'twoGbMaxExtentSparse'] as const) {
    test(`${type}: growing across the 2047 MiB split fills the last extent, then adds extent files`, async (t) => {
      const dir = await tempDir(t, 'vixdisk-maint-');
      const p = join(dir, 'split.vmdk');
      const start = 2040 * MiB;
      await createDisk(p, { capacity: start, type });
      const letter = type.endsWith('Flat') ? 'f' : 's';
      assert.deepEqual((await readdir(dir)).sort(), [`split-${letter}001.vmdk`, 'split.vmdk']);
      await writeAll(p, [[0, pattern(GRAIN, 8)], [start - GRAIN, pattern(GRAIN, 9)]]);
      const newCap = type.endsWith('Flat') ? 2100 * MiB : 4200 * MiB;
      await growDisk(p, newCap);
      const files = (await readdir(dir)).sort();
      const expected = type.endsWith('Flat')
        ? ['split-f001.vmdk', 'split-f002.vmdk', 'split.vmdk']
        : ['split-s001.vmdk', 'split-s002.vmdk', 'split-s003.vmdk', 'split.vmdk'];
      assert.deepEqual(files, expected);
      const d = await VmdkDisk.open(p);
      assert.equal(d.capacity, newCap);
      assert.deepEqual(d.info().extents.map((e) => e.sizeSectors),
        type.endsWith('Flat') ? [4192256, newCap / SECTOR - 4192256] : [4192256, 4192256, newCap / SECTOR - 2 * 4192256]);
      const b = Buffer.alloc(GRAIN);
      await d.read(0, b);
      assert.ok(b.equals(pattern(GRAIN, 8)));
      await d.read(start - GRAIN, b);
      assert.ok(b.equals(pattern(GRAIN, 9)));
      const across = Buffer.alloc(2 * GRAIN);
      await d.read(2047 * MiB - GRAIN, across);
      assert.ok(across.every((x) => x === 0));
      // The new space is writable, across the extent boundary too.
      await d.write(2047 * MiB - 512, pattern(1024, 10));
      await d.write(newCap - GRAIN, pattern(GRAIN, 11));
      await d.close();
      const d2 = await VmdkDisk.open(p, { readOnly: true });
      const c = Buffer.alloc(1024);
      await d2.read(2047 * MiB - 512, c);
      assert.ok(c.equals(pattern(1024, 10)));
      await d2.close();
      await assertClean(p);

      // A name the next extent would take already exists: refused, nothing changed.
      const next = join(dir, expected[expected.length - 2]!.replace(/\d{3}/, (m) => String(Number(m) + 1).padStart(3, '0')));
      await writeFile(next, 'in the way');
      const snap = await snapshot(dir);
      await rejectsWith(growDisk(p, newCap + 2048 * MiB), VIX_E_FILE_ALREADY_EXISTS);
      assert.deepEqual(await snapshot(dir), snap);
    });
  }
});

describe('shrinkDisk and defragmentDisk', () => {
  test('shrink drops zero grains and dead space; data identical; refusals keep files', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const p = join(dir, 'sh.vmdk');
    await createDisk(p, { capacity: 16 * MiB });
    // Data, then whole zero grains written over some of it and on their own, and a grow that
    // leaves dead space (the old directory) behind.
    await writeAll(p, [[0, pattern(8 * GRAIN, 12)], [2 * GRAIN, Buffer.alloc(3 * GRAIN)], [10 * MiB, Buffer.alloc(4 * GRAIN)],
      [12 * MiB + 100, pattern(3000, 13)]]);
    await growDisk(p, 6 * 2 ** 30);
    const before = await readAll(p, 16 * MiB);
    const sizeBefore = (await stat(p)).size;
    const progress: number[] = [];
    const r = await shrinkDisk(p, { onProgress: (x) => progress.push(x) });
    assert.equal(progress[0], 0);
    assert.equal(progress[progress.length - 1], 100);
    assert.equal(r.grainsDropped, 7);
    assert.equal(r.grainsKept, 6);
    const sizeAfter = (await stat(p)).size;
    assert.equal(r.bytesBefore, sizeBefore);
    assert.equal(r.bytesAfter, sizeAfter);
    assert.ok(sizeAfter < sizeBefore, `file went from ${sizeBefore} to ${sizeAfter} bytes`);
    const overhead = Number((await readFile(p)).readBigUInt64LE(64));
    assert.equal(sizeAfter, overhead * SECTOR + 6 * GRAIN, 'metadata and the kept grains, nothing else');
    assert.ok((await readAll(p, 16 * MiB)).equals(before));
    assert.equal(await capacityOf(p), 6 * 2 ** 30);
    await assertClean(p);
    const entries = await sparseEntries(p);
    assert.equal(entries[2], 0, 'a zero grain is now a hole');
    assert.equal(entries[160], 0);

    // Refusals: a child, a base with a child in the named folder, a flat disk.
    const child = join(dir, 'child.vmdk');
    await createChild(child, p);
    const flat = join(dir, 'flat.vmdk');
    await createDisk(flat, { capacity: MiB, type: 'monolithicFlat' });
    const snap = await snapshot(dir);
    let e = await rejectsWith(shrinkDisk(child), VIX_E_DISK_CANTSHRINK);
    assert.match(e.message, /child of/);
    e = await rejectsWith(shrinkDisk(p, { childrenIn: dir }), VIX_E_DISK_CANTSHRINK);
    assert.match(e.message, /child\.vmdk/);
    await rejectsWith(shrinkDisk(flat), VIX_E_DISK_CANTSHRINK);
    await rejectsWith(defragmentDisk(flat), VIX_E_DISK_NOTSUPPORTED);
    assert.deepEqual(await snapshot(dir), snap);
    // Without being told where children are, a base with children shrinks (content unchanged).
    await shrinkDisk(p, { childrenIn: join(dir, 'nowhere') });
    assert.ok((await readAll(child, 16 * MiB)).equals(before), 'the child still reads through its parent');
  });

  test('twoGbMaxExtentSparse shrinks each extent', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const p = join(dir, 'split.vmdk');
    await createDisk(p, { capacity: 2050 * MiB, type: 'twoGbMaxExtentSparse' });
    await writeAll(p, [[0, Buffer.alloc(4 * GRAIN)], [GRAIN * 8, pattern(GRAIN, 14)], [2048 * MiB, Buffer.alloc(2 * GRAIN)],
      [2049 * MiB, pattern(GRAIN, 15)]]);
    const s1 = (await stat(join(dir, 'split-s001.vmdk'))).size;
    const s2 = (await stat(join(dir, 'split-s002.vmdk'))).size;
    const r = await shrinkDisk(p);
    assert.equal(r.grainsDropped, 6);
    assert.equal((await stat(join(dir, 'split-s001.vmdk'))).size, s1 - 4 * GRAIN);
    assert.equal((await stat(join(dir, 'split-s002.vmdk'))).size, s2 - 2 * GRAIN);
    const d = await VmdkDisk.open(p, { readOnly: true });
    const b = Buffer.alloc(GRAIN);
    await d.read(2049 * MiB, b);
    assert.ok(b.equals(pattern(GRAIN, 15)));
    await d.read(GRAIN * 8, b);
    assert.ok(b.equals(pattern(GRAIN, 14)));
    await d.close();
    await assertClean(p);
  });

  test('defragment puts grains in guest order with no dead space, for a base and for a child', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const base = join(dir, 'base.vmdk');
    await createDisk(base, { capacity: 8 * MiB });
    // Written back to front: the file holds the grains in reverse order.
    const writes: Array<[number, Uint8Array]> = [];
    for (let g = 20; g >= 0; g -= 2) writes.push([g * GRAIN, pattern(GRAIN, 100 + g)]);
    writes.push([5 * GRAIN, Buffer.alloc(GRAIN)]);
    await writeAll(base, writes);
    const before = await readAll(base);
    const entriesBefore = (await sparseEntries(base)).filter((x) => x > 1);
    assert.ok(entriesBefore[0]! > entriesBefore[1]!, 'reverse order before');
    const r = await defragmentDisk(base);
    assert.equal(r.grainsDropped, 0);
    const entries = (await sparseEntries(base)).filter((x) => x > 1);
    assert.equal(entries.length, 12, 'zero grains stay allocated (defragment is not shrink)');
    for (let i = 1; i < entries.length; i++) assert.equal(entries[i], entries[i - 1]! + 128, 'contiguous, in guest order');
    assert.equal((await stat(base)).size, (entries[entries.length - 1]! + 128) * SECTOR, 'no space after the last grain');
    assert.ok((await readAll(base)).equals(before));
    await assertClean(base);

    // A child: holes stay holes (the parent shows through), its CID is unchanged.
    const child = join(dir, 'child.vmdk');
    await createChild(child, base);
    await writeAll(child, [[7 * GRAIN, pattern(GRAIN, 200)], [GRAIN, pattern(100, 201)]]);
    const cidBefore = (await VmdkDisk.open(child, { readOnly: true }).then(async (d) => { const c = d.info().cid; await d.close(); return c; }));
    const chain = await readAll(child);
    await defragmentDisk(child);
    assert.ok((await readAll(child)).equals(chain));
    const d = await VmdkDisk.open(child, { readOnly: true });
    assert.equal(d.info().cid, cidBefore);
    await d.close();
    await assertClean(child);
  });
});

test('leftovers of a killed rewrite: check names them, the next shrink or check --repair removes them, a running process keeps its own', async (t) => {
  const dir = await tempDir(t, 'vixdisk-maint-');
  const p = join(dir, 'k.vmdk');
  await createDisk(p, { capacity: 16 * MiB });
  await writeAll(p, [[0, pattern(4 * GRAIN, 3)], [GRAIN, Buffer.alloc(GRAIN)]]);
  const content = await readAll(p);
  // A process that has ended (its id not reused within the test), and one that is still running.
  const ended = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => ended.on('exit', r));
  const running = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  t.after(() => { running.kill('SIGKILL'); });
  const dead = `.k.vmdk.rewrite.${ended.pid}.0123abcd.tmp`;
  const live = `.k.vmdk.rewrite.${running.pid}.89abcdef.tmp`;
  const other = `.other.vmdk.rewrite.${ended.pid}.00000000.tmp`;
  for (const f of [dead, live, other]) await writeFile(join(dir, f), Buffer.alloc(8192, 7));

  const report = await checkDisk(p);
  assert.deepEqual(report.problems, []);
  assert.equal(report.warnings.length, 1, report.warnings.join('\n'));
  assert.match(report.warnings[0]!, new RegExp(`${dead.replace(/\./g, '\\.')}: a partial copy of .*k\\.vmdk left by an interrupted rewrite`));

  await shrinkDisk(p);
  assert.deepEqual((await readdir(dir)).sort(), [live, other, 'k.vmdk'].sort());
  assert.ok((await readAll(p)).equals(content));

  await writeFile(join(dir, dead), Buffer.alloc(100));
  const r = await repairDisk(p);
  assert.deepEqual(r.actions.filter((a) => a.includes(dead)).length, 1, r.actions.join('\n'));
  assert.deepEqual((await readdir(dir)).sort(), [live, other, 'k.vmdk'].sort());
  assert.deepEqual(r.check.warnings, []);
});

describe('renameDisk and unlinkDisk', () => {
  test('monolithicSparse rename: one file moves, the embedded extent line follows', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const p = join(dir, 'old.vmdk');
    await createDisk(p, { capacity: 2 * MiB });
    await writeAll(p, [[0, pattern(GRAIN, 20)]]);
    const before = await readAll(p);
    const r = await renameDisk(p, join(dir, 'new.vmdk'));
    assert.deepEqual(r.moved, [{ from: p, to: join(dir, 'new.vmdk') }]);
    assert.deepEqual(await readdir(dir), ['new.vmdk']);
    const d = await VmdkDisk.open(join(dir, 'new.vmdk'), { readOnly: true });
    assert.equal(d.info().extents[0]!.fileName, 'new.vmdk');
    await d.close();
    assert.ok((await readAll(join(dir, 'new.vmdk'))).equals(before));
    await assertClean(join(dir, 'new.vmdk'));
  });

  test('split rename with children updated; refusal when a destination exists; unlink removes one link', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const base = join(dir, 'base.vmdk');
    await createDisk(base, { capacity: 2050 * MiB, type: 'twoGbMaxExtentSparse' });
    await writeAll(base, [[0, pattern(GRAIN, 21)], [2049 * MiB, pattern(GRAIN, 22)]]);
    await mkdir(join(dir, 'snap'));
    const child = join(dir, 'child.vmdk');
    await createChild(child, base);
    await writeAll(child, [[GRAIN, pattern(GRAIN, 23)]]);
    const expected = Buffer.concat([pattern(GRAIN, 21), pattern(GRAIN, 23)]);
    // A destination file exists: refused, nothing changed.
    await writeFile(join(dir, 'moved-s002.vmdk'), 'x');
    const snap = await snapshot(dir);
    await rejectsWith(renameDisk(base, join(dir, 'moved.vmdk'), { updateChildrenIn: dir }), VIX_E_FILE_ALREADY_EXISTS);
    assert.deepEqual(await snapshot(dir), snap);
    await rm(join(dir, 'moved-s002.vmdk'));

    const r = await renameDisk(base, join(dir, 'moved.vmdk'), { updateChildrenIn: dir });
    assert.deepEqual(r.childrenUpdated, [child]);
    assert.deepEqual((await readdir(dir)).sort(), ['child.vmdk', 'moved-s001.vmdk', 'moved-s002.vmdk', 'moved.vmdk', 'snap']);
    const d = await VmdkDisk.open(child, { readOnly: true });
    assert.equal(d.info().parentFileNameHint, 'moved.vmdk');
    assert.equal(d.links.length, 2);
    const b = Buffer.alloc(2 * GRAIN);
    await d.read(0, b);
    assert.ok(b.equals(expected));
    await d.close();
    await assertClean(child);

    // The child moves into a subfolder: its relative parent hint is recomputed.
    await renameDisk(child, join(dir, 'snap', 'child.vmdk'));
    const d2 = await VmdkDisk.open(join(dir, 'snap', 'child.vmdk'), { readOnly: true });
    await d2.read(0, b);
    assert.ok(b.equals(expected));
    await d2.close();

    // Unlink the child: only its file goes; the parent stays whole.
    assert.deepEqual(await unlinkDisk(join(dir, 'snap', 'child.vmdk')), [join(dir, 'snap', 'child.vmdk')]);
    assert.deepEqual(await readdir(join(dir, 'snap')), []);
    assert.deepEqual(await unlinkDisk(join(dir, 'moved.vmdk')),
      [join(dir, 'moved.vmdk'), join(dir, 'moved-s001.vmdk'), join(dir, 'moved-s002.vmdk')]);
    assert.deepEqual((await readdir(dir)).sort(), ['snap']);
  });
});

describe('metadata', () => {
  test('list, read and write the DDB by VixDiskLib key names; unknown keys and overflow refused', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const mono = join(dir, 'm.vmdk');
    await createDisk(mono, { capacity: MiB, adapterType: 'buslogic' });
    const keys = await listMetadataKeys(mono);
    for (const k of ['adapterType', 'geometry.cylinders', 'geometry.heads', 'geometry.sectors', 'uuid', 'virtualHWVersion', 'longContentID']) {
      assert.ok(keys.includes(k), `${k} listed`);
    }
    assert.equal(await readMetadata(mono, 'adapterType'), 'buslogic');
    assert.equal(await readMetadata(mono, 'ADAPTERTYPE'), 'buslogic');
    await rejectsWith(readMetadata(mono, 'noSuchKey'), VIX_E_DISK_KEY_NOTFOUND);
    await rejectsWith(readMetadata(mono, 'ddb.adapterType'), VIX_E_DISK_KEY_NOTFOUND);

    await writeMetadata(mono, 'toolsVersion', '12345');
    await writeMetadata(mono, 'adapterType', 'lsilogic');
    await writeMetadata(mono, 'empty', '');
    assert.equal(await readMetadata(mono, 'toolsVersion'), '12345');
    assert.equal(await readMetadata(mono, 'adapterType'), 'lsilogic');
    assert.equal(await readMetadata(mono, 'empty'), '');
    const d = await VmdkDisk.open(mono);
    assert.equal(d.info().adapterType, 'lsilogic');
    // Through an open disk, as a VixDiskLib handle does; the handle's descriptor stays in step.
    await writeMetadata(d, 'comment', 'written through a handle');
    assert.equal(await readMetadata(d, 'comment'), 'written through a handle');
    // A value that overflows the 10 KiB embedded area: refused, nothing written, handle unchanged.
    const snap = await snapshot(dir);
    await rejectsWith(writeMetadata(d, 'huge', 'x'.repeat(12000)), VIX_E_DISK_INVAL);
    await rejectsWith(readMetadata(d, 'huge'), VIX_E_DISK_KEY_NOTFOUND);
    // By name while the disk is open for writing: refused, the open disk holds the writer lock.
    await rejectsWith(writeMetadata(mono, 'other', 'v'), VIX_E_FILE_ALREADY_LOCKED);
    assert.deepEqual(await snapshot(dir), snap);
    await d.write(0, pattern(512, 30)); // a write rewrites the descriptor (new CID): the key survives
    await d.close();
    const closed = await snapshot(dir);
    await rejectsWith(writeMetadata(mono, 'huge', 'x'.repeat(12000)), VIX_E_DISK_INVAL);
    await rejectsWith(writeMetadata(mono, 'bad key', 'v'), VIX_E_INVALID_ARG);
    await rejectsWith(writeMetadata(mono, 'k', 'a "quoted" value'), VIX_E_INVALID_ARG);
    assert.deepEqual(await snapshot(dir), closed);
    assert.equal(await readMetadata(mono, 'comment'), 'written through a handle');
    await assertClean(mono);

    // A separate descriptor file is replaced atomically and may grow freely.
    const flat = join(dir, 'f.vmdk');
    await createDisk(flat, { capacity: MiB, type: 'monolithicFlat' });
    await writeMetadata(flat, 'huge', 'y'.repeat(12000));
    assert.equal((await readMetadata(flat, 'huge')).length, 12000);
    assert.ok((await listMetadataKeys(flat)).includes('huge'));
    assert.equal(await capacityOf(flat), MiB);
  });
});

describe('repairDisk', () => {
  async function damaged(t: TestContext): Promise<{ dir: string; p: string; content: Buffer }> {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const p = join(dir, 'r.vmdk');
    await createDisk(p, { capacity: 40 * MiB });
    await writeAll(p, [[0, pattern(4 * GRAIN, 40)], [33 * MiB, pattern(2 * GRAIN, 41)], [20 * MiB + 512, pattern(700, 42)]]);
    return { dir, p, content: await readAll(p) };
  }

  async function header(p: string): Promise<{ gd: number; rgd: number }> {
    const b = await readFile(p);
    return { rgd: Number(b.readBigUInt64LE(48)), gd: Number(b.readBigUInt64LE(56)) };
  }

  async function poke(p: string, byteOffset: number, value: number): Promise<void> {
    const fh = await open(p, 'r+');
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    await fh.write(b, 0, 4, byteOffset);
    await fh.close();
  }

  async function peek(p: string, byteOffset: number): Promise<number> {
    return (await readFile(p)).readUInt32LE(byteOffset);
  }

  test('damaged redundant tables and directory entry are rebuilt from the primary', async (t) => {
    const { p, content } = await damaged(t);
    const h = await header(p);
    const rgt0 = await peek(p, h.rgd * SECTOR);
    await poke(p, rgt0 * SECTOR + 4, 0xdeadbeef); // redundant entry of grain 1: garbage
    await poke(p, rgt0 * SECTOR + 8, 0); // grain 2: missing from the redundant table
    await poke(p, h.rgd * SECTOR + 4, 0); // redundant directory entry 1: gone
    const check = await checkDisk(p);
    assert.equal(check.ok, false);
    const r = await repairDisk(p);
    assert.deepEqual(r.lostGrains, []);
    assert.ok(r.actions.length > 0);
    assert.ok(r.check.ok, JSON.stringify(r.check));
    assert.ok((await readAll(p)).equals(content));
    await assertClean(p);
    const again = await repairDisk(p);
    assert.deepEqual(again.actions, [], 'a second repair finds nothing to do');
  });

  test('a broken primary directory and table are rebuilt from the redundant copies', async (t) => {
    const { p, content } = await damaged(t);
    const h = await header(p);
    await poke(p, h.gd * SECTOR + 4, 0x7fffffff); // primary GD entry 1 points far past the end
    const gt0 = await peek(p, h.gd * SECTOR);
    await poke(p, gt0 * SECTOR + 4, 0); // primary entry of grain 1 lost: the redundant copy has it
    await rejectsWith(VmdkDisk.open(p), VIX_E_DISK_NEEDSREPAIR);
    const r = await repairDisk(p);
    assert.deepEqual(r.lostGrains, []);
    assert.ok(r.check.ok, JSON.stringify(r.check));
    assert.ok((await readAll(p)).equals(content));
  });

  test('grain entries past the end of the file are dropped and reported; the unclean flag is cleared', async (t) => {
    const { p, content } = await damaged(t);
    const h = await header(p);
    const gt1 = await peek(p, h.gd * SECTOR + 4);
    const rgt1 = await peek(p, h.rgd * SECTOR + 4);
    const lostGrain = 512 + 7; // in table 1, where no grain was written
    for (const t0 of [gt1, rgt1]) await poke(p, t0 * SECTOR + (lostGrain - 512) * 4, 0x00ffffff);
    const fh = await open(p, 'r+');
    await fh.write(Buffer.of(1), 0, 1, 72);
    await fh.close();
    assert.equal((await checkDisk(p)).ok, false);
    const r = await repairDisk(p);
    assert.equal(r.lostGrains.length, 1);
    assert.equal(r.lostGrains[0]!.grain, lostGrain);
    assert.equal(r.lostGrains[0]!.offset, lostGrain * GRAIN);
    assert.match(r.lostGrains[0]!.reason, /past the end of the file/);
    assert.ok(r.actions.some((a) => /unclean-shutdown flag cleared/.test(a)));
    assert.ok(r.check.ok, JSON.stringify(r.check));
    assert.deepEqual(r.check.warnings, []);
    assert.equal((await readFile(p))[72], 0);
    assert.ok((await readAll(p)).equals(content), 'every other byte is still there');
  });

  test('descriptor extent size that disagrees with the header is fixed; hopeless files are refused', async (t) => {
    const { dir, p, content } = await damaged(t);
    // The embedded extent line claims more than the header holds.
    const b = await readFile(p);
    const text = b.subarray(512, 512 * 21).toString('latin1');
    const patched = text.replace(/RW 81920 SPARSE/, 'RW 90000 SPARSE');
    assert.notEqual(patched, text);
    const fh = await open(p, 'r+');
    await fh.write(Buffer.from(patched, 'latin1'), 0, undefined, 512);
    await fh.close();
    await rejectsWith(VmdkDisk.open(p), VIX_E_DISK_NEEDSREPAIR);
    const r = await repairDisk(p);
    assert.ok(r.actions.some((a) => /size set from 90000 to 81920/.test(a)), r.actions.join('\n'));
    assert.ok(r.check.ok);
    assert.ok((await readAll(p)).equals(content));

    const junk = join(dir, 'junk.vmdk');
    const j = Buffer.alloc(4096);
    j.write('KDMV');
    j.writeUInt32LE(7, 4); // version 7: unknown
    await writeFile(junk, j);
    await rejectsWith(repairDisk(junk), VIX_E_DISK_CANTREPAIR);
    assert.ok((await readFile(junk)).equals(j));
  });
});

describe('spaceNeededForClone', () => {
  test('computed from the allocation map: equals the size of the clone our writer makes', async (t) => {
    const dir = await tempDir(t, 'vixdisk-maint-');
    const src = join(dir, 'src.vmdk');
    await createDisk(src, { capacity: 100 * MiB });
    await writeAll(src, [[0, pattern(10 * GRAIN, 50)], [50 * MiB + 1000, pattern(GRAIN, 51)], [100 * MiB - 512, pattern(512, 52)]]);
    // 10 + 2 (the unaligned write spans two grains) + 1 grains allocated.
    const need = await spaceNeededForClone(src, 'monolithicSparse');
    assert.equal(need, 128 * SECTOR + 13 * GRAIN);
    assert.equal(await spaceNeededForClone(src), need, 'same type by default');
    const sizeOf = async (type: DiskType, name: string) => {
      const p = join(dir, `${name}.vmdk`);
      const sd = await VmdkDisk.open(src, { readOnly: true });
      const dd = await createDiskDevice(p, { capacity: sd.capacity, type });
      await copyDevice(sd, dd, { destinationIsZero: true });
      await dd.close();
      await sd.close();
      let total = 0;
      for (const f of await readdir(dir)) if (f.startsWith(name)) total += (await stat(join(dir, f))).size;
      return total;
    };
    assert.equal(await sizeOf('monolithicSparse', 'c1'), need);
    const flatNeed = await spaceNeededForClone(src, 'monolithicFlat');
    const flatActual = await sizeOf('monolithicFlat', 'c2');
    assert.ok(Math.abs(flatNeed - flatActual) < 64, `flat: ${flatNeed} computed, ${flatActual} made`);
    const streamNeed = await spaceNeededForClone(src, 'streamOptimized');
    assert.ok(streamNeed >= await sizeOf('streamOptimized', 'c3'), 'stream: an upper bound');
    assert.ok(streamNeed < 100 * MiB);
    const splitNeed = await spaceNeededForClone(src, 'twoGbMaxExtentSparse');
    const splitActual = await sizeOf('twoGbMaxExtentSparse', 'c4');
    assert.ok(Math.abs(splitNeed - splitActual) < 64, `split: ${splitNeed} computed, ${splitActual} made`);
  });
});

describe('killed in the middle', () => {
  /** Run the worker until `ms` after it opened the disk, then SIGKILL it; returns the last "done" value. */
  async function killAfter(args: string[], ms: number): Promise<{ last: number | null }> {
    let last: number | null = null;
    await runAndKill(WORKER, args, ms, (l) => {
      const m = /^done (\d+)$/.exec(l);
      if (m) last = Number(m[1]);
    });
    return { last };
  }


  /**
   * What a killed rewrite left aside: check names each file as a warning, check --repair removes
   * them (the disk checks clean either way). Returns how many there were.
   */
  async function clearLeftovers(dir: string, p: string): Promise<number> {
    const left = (await readdir(dir)).filter((f) => f.startsWith('.') && f.endsWith('.tmp'));
    if (left.length === 0) return 0;
    const before = await checkDisk(p);
    for (const f of left) assert.ok(before.warnings.some((w) => w.includes(f)), `check names ${f}: ${before.warnings.join('; ')}`);
    const r = await repairDisk(p);
    for (const f of left) assert.ok(r.actions.some((a) => a.includes(f)), `repair removes ${f}: ${r.actions.join('; ')}`);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
    return left.length;
  }

  for (const op of ['shrink', 'defragment', 'grow'] as const) {
    test(`SIGKILL during ${op}: the disk opens, checks clean and holds all its data`, async (t) => {
      const dir = await tempDir(t, 'vixdisk-maint-');
      const p = join(dir, 'k.vmdk');
      const capacity = 24 * MiB;
      await createDisk(p, { capacity });
      const writes: Array<[number, Uint8Array]> = [];
      for (let g = 0; g < 300; g += 3) writes.push([((g * 37) % 384) * GRAIN, g % 9 === 0 ? Buffer.alloc(GRAIN) : pattern(GRAIN, g)]);
      await writeAll(p, writes);
      const content = await readAll(p);
      const qemu = await optionalPeer(t, 'qemu-img');
      const random = random01(op.length * 7919);
      const pristine = join(dir, 'pristine.bin');
      await copyFile(p, pristine);
      // Grow: from the pristine disk each time, a few steps of 640 MiB (the directory moves past
      // 4 GiB); the kill lands in one of them.
      const STEP = 640 * MiB;
      const STEPS = 8;
      let midway = 0;
      for (let iter = 0; iter < ITERATIONS; iter++) {
        if (op === 'grow') await copyFile(pristine, p);
        const args = op === 'grow' ? [op, p, String(STEP), String(capacity), String(STEPS)] : [op, p];
        const { last } = await killAfter(args, op === 'grow' ? Math.floor(random() * 40) : 5 + Math.floor(random() * 120));
        if (await clearLeftovers(dir, p)) midway++;
        const report = await checkDisk(p);
        assert.deepEqual(report.problems, [], `iteration ${iter}: our check`);
        if (qemu) {
          const r = await run('qemu-img', ['check', '-f', 'vmdk', p]);
          assert.equal(r.code, 0, `iteration ${iter}: qemu-img check:\n${r.stdout}${r.stderr}`);
        }
        const d = await VmdkDisk.open(p, { readOnly: true });
        try {
          if (op === 'grow') {
            // Either the last completed capacity or the one being reached when killed.
            const done = last ?? capacity;
            assert.ok(d.capacity === done || (d.capacity === done + STEP && done < capacity + STEPS * STEP),
              `iteration ${iter}: capacity ${d.capacity}, last done ${done}`);
            // The header switched, the descriptor not yet: the kill landed inside a grow.
            if (Number((await readFile(p)).readBigUInt64LE(12)) * SECTOR > d.capacity) midway++;
            const status = await d.blockStatus(capacity, d.capacity - capacity);
            assert.ok(status.every((s) => !s.allocated), 'grown space is unallocated');
          } else {
            assert.equal(d.capacity, capacity);
          }
          const b = Buffer.alloc(capacity);
          await d.read(0, b);
          assert.ok(b.equals(content), `iteration ${iter}: data changed`);
        } finally {
          await d.close();
        }
        if (op === 'grow') {
          // Running the operation again finishes what the kill interrupted.
          await growDisk(p, capacity + STEPS * STEP + STEP);
          assert.equal(await capacityOf(p), capacity + STEPS * STEP + STEP);
        }
      }
      await rm(pristine);
      t.diagnostic(`${midway} of ${ITERATIONS} kills landed in the middle of the operation${op === 'grow' ? ' (between header and descriptor)' : ''}`);
      assert.deepEqual((await readdir(dir)).filter((f) => f !== 'k.vmdk'), []);
    });
  }
});
