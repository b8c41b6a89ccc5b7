import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChangeTracker, MAX_AREAS_PER_PAGE, TrackedDevice, type ChangedAreas } from '../../src/host/cbt/change-tracker.js';
import { encodeHeader, HEADER_SIZE, MAX_BLOCKS, RECORD_SIZE } from '../../src/host/cbt/ctk-file.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_DISK_NEEDSREPAIR, VIX_E_DISK_OUTOFRANGE, VIX_E_FILE_ALREADY_LOCKED } from '../../src/errors/error-codes.js';
import { createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { tempDir } from '../support/temp-dir.js';
import { xorshift32 } from '../support/xorshift.js';
import { runAndKill } from '../support/kill-after.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const SOAK = process.env.VIXDISK_SOAK === '1';

/** Every page from `startOffset` 0 to the end, checked for the page rules on the way. */
async function allPages(t: ChangeTracker, since: string, until: string): Promise<ChangedAreas[]> {
  const pages: ChangedAreas[] = [];
  let offset = 0;
  do {
    const page = await t.changedAreas(since, until, offset);
    assert.equal(page.startOffset, offset);
    assert.ok(page.length > 0 || offset === t.capacity, 'a page makes progress');
    assert.ok(page.changedArea.length <= MAX_AREAS_PER_PAGE);
    let last = offset;
    for (const a of page.changedArea) {
      assert.ok(a.start >= last && a.length > 0 && a.start + a.length <= offset + page.length, 'areas ordered, inside the page');
      last = a.start + a.length;
    }
    pages.push(page);
    offset += page.length;
  } while (offset < t.capacity);
  return pages;
}

function assertCovers(pages: ChangedAreas[], writes: Array<[number, number]>, what: string): void {
  const areas = pages.flatMap((p) => p.changedArea);
  for (const [off, len] of writes) {
    let pos = off;
    // Areas are sorted and disjoint: walk the ones overlapping the write.
    for (const a of areas) {
      if (a.start + a.length <= pos) continue;
      if (a.start > pos) break;
      pos = a.start + a.length;
      if (pos >= off + len) break;
    }
    assert.ok(pos >= off + len, `${what}: bytes ${off}..${off + len} written but byte ${pos} not reported`);
  }
}

async function rejectsFault(p: Promise<unknown>, faultType: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SoapFault, `a SoapFault, got ${String(err)}`);
    assert.equal(err.faultType, faultType);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

async function rejectsDamaged(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof VixError, String(err));
    assert.equal(err.code, VIX_E_DISK_NEEDSREPAIR, err.message);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

test('changed areas between every pair of change ids cover every byte written between them', async (t) => {
  const dir = await tempDir(t);
  const rounds = SOAK ? 40 : 6;
  for (let round = 0; round < rounds; round++) {
    const next = xorshift32(1000 + round);
    const capacity = (1 + (next() % 64)) * MiB + (next() % 2) * 512 * (1 + (next() % 100));
    const path = join(dir, `r${round}-ctk.vmdk`);
    let tracker = await ChangeTracker.create(path, capacity);
    const ids: string[] = [];
    // Writes with the index into `ids` of the first freeze after them (ids.length while open).
    const writes: Array<{ off: number; len: number; epoch: number }> = [];
    const freezes = 3 + (next() % 5);
    for (let f = 0; f <= freezes; f++) {
      const n = next() % 40;
      await Promise.all(Array.from({ length: n }, async () => {
        const len = 1 + (next() % (next() % 4 === 0 ? 300 * KiB : 4 * KiB));
        const off = next() % (capacity - len + 1);
        writes.push({ off, len, epoch: ids.length });
        await tracker.record(off, len);
      }));
      if (next() % 3 === 0) {
        await tracker.close();
        tracker = await ChangeTracker.open(path);
      }
      if (f < freezes) ids.push(await tracker.freeze());
    }
    ids.push(tracker.changeId()); // "now"
    for (let s = 0; s < ids.length; s++) {
      for (let u = s; u < ids.length; u++) {
        const pages = await allPages(tracker, ids[s]!, ids[u]!);
        const wanted = writes.filter((w) => w.epoch > s && w.epoch <= u).map((w): [number, number] => [w.off, w.len]);
        assertCovers(pages, wanted, `round ${round} since ${s} until ${u}`);
        if (s === ids.length - 1) assert.deepEqual(pages.flatMap((p) => p.changedArea), [], 'nothing since now');
      }
    }
    await tracker.close();
  }
});

test('nothing written since a change id: no areas; areas are whole 64 KiB blocks clipped to the disk', async (t) => {
  const dir = await tempDir(t);
  const tracker = await ChangeTracker.create(join(dir, 'a-ctk.vmdk'), 10 * MiB + 512);
  t.after(() => tracker.close());
  assert.equal(tracker.lastFrozenChangeId(), undefined);
  assert.equal(tracker.blockSize, 64 * KiB);
  assert.match(tracker.changeId(), /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/0$/);
  const s0 = await tracker.freeze();
  assert.equal(tracker.changeId(), s0.replace(/\/0$/, '/1'));
  assert.equal(tracker.lastFrozenChangeId(), s0);
  assert.deepEqual(await tracker.changedAreas(s0, tracker.changeId(), 0), { startOffset: 0, length: 10 * MiB + 512, changedArea: [] });
  await tracker.record(70 * KiB, 1);
  await tracker.record(10 * MiB + 100, 1);
  const page = await tracker.changedAreas(s0, tracker.changeId(), 0);
  assert.deepEqual(page.changedArea, [{ start: 64 * KiB, length: 64 * KiB }, { start: 10 * MiB, length: 512 }]);
  const from = await tracker.changedAreas(s0, tracker.changeId(), 100 * KiB);
  assert.deepEqual(from, { startOffset: 100 * KiB, length: 10 * MiB + 512 - 100 * KiB,
    changedArea: [{ start: 100 * KiB, length: 28 * KiB }, { start: 10 * MiB, length: 512 }] });
  assert.deepEqual(await tracker.changedAreas(s0, tracker.changeId(), tracker.capacity), { startOffset: tracker.capacity, length: 0, changedArea: [] });
});

test('scattered changes come back in pages of at most MAX_AREAS_PER_PAGE areas', async (t) => {
  const dir = await tempDir(t);
  const tracker = await ChangeTracker.create(join(dir, 'p-ctk.vmdk'), 2 * GiB);
  t.after(() => tracker.close());
  const s0 = await tracker.freeze();
  const writes: Array<[number, number]> = [];
  for (let b = 0; b < 5000; b++) writes.push([b * 256 * KiB + 512 * (b % 7), 512]);
  await Promise.all(writes.map(([o, l]) => tracker.record(o, l)));
  const pages = await allPages(tracker, s0, tracker.changeId());
  assert.equal(pages.length, 3);
  assert.deepEqual(pages.map((p) => p.changedArea.length), [MAX_AREAS_PER_PAGE, MAX_AREAS_PER_PAGE, 5000 - 2 * MAX_AREAS_PER_PAGE]);
  assertCovers(pages, writes, 'paged');
});

test('change ids it cannot answer from get the faults a host gives', async (t) => {
  const dir = await tempDir(t);
  const tracker = await ChangeTracker.create(join(dir, 'f-ctk.vmdk'), 8 * MiB);
  t.after(() => tracker.close());
  tracker.faultFile = '[datastore1] vm1/vm1-ctk.vmdk';
  const s0 = await tracker.freeze();
  const s1 = await tracker.freeze();
  const now = tracker.changeId();
  const other = (await ChangeTracker.create(join(dir, 'g-ctk.vmdk'), 8 * MiB));
  const foreign = await other.freeze();
  await other.close();
  await rejectsFault(tracker.changedAreas(foreign, now, 0), 'FileFault');
  await assert.rejects(tracker.changedAreas(foreign, now, 0), (e: SoapFault) => e.fault['file'] === '[datastore1] vm1/vm1-ctk.vmdk' && !e.message.includes(dir));
  await rejectsFault(tracker.changedAreas(s0.replace(/\/0$/, '/9'), now, 0), 'FileFault'); // a future sequence
  await rejectsFault(tracker.changedAreas(s0, s0.replace(/\/0$/, '/3'), 0), 'FileFault'); // until in the future
  await rejectsFault(tracker.changedAreas(s1, s0, 0), 'FileFault'); // since after until
  for (const bad of ['*', '', 'nonsense/1', s0.replace('/0', '/-1'), s0.replace('/0', '/99999999999'), `${s0} `]) {
    await rejectsFault(tracker.changedAreas(bad, now, 0), 'InvalidArgument');
  }
  for (const off of [-1, 8 * MiB + 1, 0.5, Number.NaN]) await rejectsFault(tracker.changedAreas(s0, now, off), 'InvalidArgument');
  await assert.rejects(tracker.record(8 * MiB - 1, 2), (e: VixError) => e.code === VIX_E_DISK_OUTOFRANGE);
  // Open twice in one process: refused (two journals' batches would interleave).
  for (const again of [ChangeTracker.open(join(dir, 'f-ctk.vmdk')), ChangeTracker.create(join(dir, 'f-ctk.vmdk'), 8 * MiB)]) {
    await assert.rejects(again, (e: VixError) => e.code === VIX_E_FILE_ALREADY_LOCKED && /already open/.test(e.message));
  }
  await tracker.close();
  // A new generation at the same path: every old id is refused.
  const reset = await ChangeTracker.create(join(dir, 'f-ctk.vmdk'), 8 * MiB);
  await rejectsFault(reset.changedAreas(s0, reset.changeId(), 0), 'FileFault');
  await reset.close();
});

test('a damaged or hostile tracking file is refused with one line, and no aside file is left', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'd-ctk.vmdk');
  const make = async (): Promise<Buffer> => {
    const tr = await ChangeTracker.create(path, 4 * MiB);
    await tr.freeze();
    await tr.close();
    return readFile(path);
  };
  const good = await make();
  const damage = async (bytes: Buffer, pattern: RegExp): Promise<void> => {
    await writeFile(path, bytes);
    await rejectsDamaged(ChangeTracker.open(path), pattern);
    assert.deepEqual(await readFile(path), bytes, 'a refused file is left as it was');
  };
  await damage(Buffer.from('# Disk DescriptorFile\n'), /shorter than its header/);
  await damage(Buffer.concat([Buffer.from('KDMV'), good.subarray(4)]), /not a vixdisk change tracking file/);
  await damage(good.subarray(0, HEADER_SIZE + 10), /truncated block map/);
  const flipped = Buffer.from(good); flipped[20]! ^= 1;
  await damage(flipped, /header checksum/);
  const mapFlip = Buffer.from(good); mapFlip[HEADER_SIZE + 8]! ^= 1;
  await damage(mapFlip, /block map checksum/);
  // Consistent checksums, hostile sizes: refused before anything that size is allocated.
  const huge = encodeHeader({ uuid: '52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 01', capacity: 2 ** 52, blockSize: 64 * KiB, blockCount: 2 ** 32 - 1, sequence: 0, mapCrc: 0 });
  await damage(huge, /blocks do not fit/);
  const many = encodeHeader({ uuid: '52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 01', capacity: (MAX_BLOCKS + 1) * 64 * KiB, blockSize: 64 * KiB, blockCount: MAX_BLOCKS + 1, sequence: 0, mapCrc: 0 });
  await damage(many, /blocks do not fit/);
  const odd = encodeHeader({ uuid: '52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 01', capacity: 4 * MiB, blockSize: 3 * 64 * KiB, blockCount: 22, sequence: 0, mapCrc: 0 });
  await damage(odd, /block size/);
  // A journal far longer than any we write (the fold keeps it short): refused, not read into memory.
  await damage(Buffer.concat([good, Buffer.alloc(4 * 1024 * 1024)]), /journal of \d+ bytes is too long/);
  assert.deepEqual((await readdir(dir)).sort(), ['d-ctk.vmdk']);
});

test('a torn journal tail is dropped; a hole in acknowledged history is refused', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'j-ctk.vmdk');
  const tr = await ChangeTracker.create(path, 4 * MiB);
  const base = await tr.freeze();
  // The journal stays unfolded while the tracker is open: three batches of one mark each.
  await tr.record(0, 1);
  await tr.record(1 * MiB, 1);
  await tr.record(2 * MiB, 1);
  const bytes = await readFile(path);
  const journalStart = HEADER_SIZE + 4 * 64;
  assert.equal(bytes.length, journalStart + 4 * RECORD_SIZE, 'freeze + three marks, appended');
  // Simulate a crash: the process dies (no close), leaving the file as it is.
  const copy = join(dir, 'copy-ctk.vmdk');
  // A torn last batch: garbage where a fourth record was being written.
  await writeFile(copy, Buffer.concat([bytes, Buffer.alloc(RECORD_SIZE, 0xab), Buffer.alloc(7)]));
  const reopened = await ChangeTracker.open(copy);
  assert.deepEqual((await reopened.changedAreas(base, reopened.changeId(), 0)).changedArea,
    [{ start: 0, length: 64 * KiB }, { start: 1 * MiB, length: 64 * KiB }, { start: 2 * MiB, length: 64 * KiB }]);
  await reopened.close();
  assert.equal((await stat(copy)).size, journalStart, 'the journal was folded into the map at open');
  // Damage in the middle of the journal, acknowledged batches after it: refuse, never under-report.
  const hole = Buffer.from(bytes); hole[journalStart + 2 * RECORD_SIZE + 20]! ^= 1;
  await writeFile(copy, hole);
  await rejectsDamaged(ChangeTracker.open(copy), /journal damaged/);
  await tr.close();
});

test('a journal cut at any byte, with or without garbage after the cut, keeps every batch written before it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'cut-ctk.vmdk');
  const tr = await ChangeTracker.create(path, 8 * MiB);
  const base = await tr.freeze();
  const journalStart = HEADER_SIZE + 4 * 128;
  // Batches of 1..3 records (concurrent records share a batch); remember where each batch ends.
  const batches: Array<{ end: number; blocks: number[] }> = [];
  let block = 0;
  for (let i = 0; i < 12; i++) {
    const blocks = Array.from({ length: 1 + (i % 3) }, () => (block += 2));
    await Promise.all(blocks.map((b) => tr.record(b * 64 * KiB, 1)));
    batches.push({ end: (await stat(path)).size, blocks });
    if (i === 6) await tr.freeze();
  }
  const bytes = await readFile(path);
  await tr.close();
  const copy = join(dir, 'copy-ctk.vmdk');
  const garbage = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
  // From just after the base freeze's record (before it, `base` names a sequence not yet closed).
  // Every record boundary, and one offset inside each record (a different one each time).
  const cuts: number[] = [];
  for (let at = journalStart + RECORD_SIZE; at <= bytes.length; at += RECORD_SIZE) cuts.push(at, at + 1 + ((at / RECORD_SIZE) * 7) % 31);
  for (const [i, cut] of cuts.filter((c) => c <= bytes.length).entries()) {
    for (const tail of [i % 3 === 0 ? garbage : Buffer.alloc(0)]) {
      await writeFile(copy, Buffer.concat([bytes.subarray(0, cut), tail]));
      const back = await ChangeTracker.open(copy);
      const areas = (await back.changedAreas(base, back.changeId(), 0)).changedArea;
      const reported = new Set(areas.flatMap((a) => Array.from({ length: a.length / (64 * KiB) }, (_, k) => a.start / (64 * KiB) + k)));
      for (const b of batches.filter((x) => x.end <= cut)) {
        for (const blk of b.blocks) assert.ok(reported.has(blk), `cut at ${cut}: block ${blk} of a durable batch lost`);
      }
      assert.ok(back.sequence >= (cut >= batches[6]!.end + RECORD_SIZE ? 2 : 1), `cut at ${cut}: a durable freeze lost`);
      await back.close();
    }
  }
});

test('resize: grown bytes count as changed, blocks coarsen for big disks, the map stays bounded', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'g-ctk.vmdk');
  const tr = await ChangeTracker.create(path, 100 * MiB);
  const s0 = await tr.freeze();
  await tr.record(5 * MiB, 10);
  await tr.resize(300 * GiB);
  assert.equal(tr.capacity, 300 * GiB);
  assert.equal(tr.blockSize, 128 * KiB, '300 GiB needs 128 KiB blocks to stay within 4 Mi blocks');
  const areas = (await allPages(tr, s0, tr.changeId())).flatMap((p) => p.changedArea);
  assert.deepEqual(areas, [{ start: 5 * MiB, length: 128 * KiB }, { start: 100 * MiB - 64 * KiB * 0, length: 300 * GiB - 100 * MiB }]);
  await tr.close();
  assert.ok((await stat(path)).size <= HEADER_SIZE + 4 * MAX_BLOCKS);
  const again = await ChangeTracker.open(path);
  await again.resize(50 * MiB);
  const s1 = await again.freeze();
  await again.resize(60 * MiB);
  assert.deepEqual((await again.changedAreas(s1, again.changeId(), 0)).changedArea, [{ start: 50 * MiB, length: 10 * MiB }]);
  // A snapshot's disk of another size: the page ends at its capacity; what tracking does not
  // cover (the disk was larger then) counts as changed.
  assert.deepEqual(await again.changedAreas(s1, again.changeId(), 0, 55 * MiB), { startOffset: 0, length: 55 * MiB, changedArea: [{ start: 50 * MiB, length: 5 * MiB }] });
  assert.deepEqual(await again.changedAreas(s1, again.changeId(), 0, 70 * MiB), { startOffset: 0, length: 70 * MiB, changedArea: [{ start: 50 * MiB, length: 20 * MiB }] });
  assert.deepEqual(await again.changedAreas(s1, again.changeId(), 65 * MiB, 70 * MiB), { startOffset: 65 * MiB, length: 5 * MiB, changedArea: [{ start: 65 * MiB, length: 5 * MiB }] });
  await rejectsFault(again.changedAreas(s1, again.changeId(), 56 * MiB, 55 * MiB), 'InvalidArgument');
  await again.close();
  const big = await ChangeTracker.create(join(dir, 'big-ctk.vmdk'), 64 * 1024 * GiB);
  assert.equal(big.blockSize, 16 * MiB);
  await big.close();
  assert.equal((await stat(join(dir, 'big-ctk.vmdk'))).size, HEADER_SIZE + 4 * MAX_BLOCKS);
});

test('killed while recording: every acknowledged record and freeze is there after reopen', async (t) => {
  const dir = await tempDir(t);
  const script = fileURLToPath(new URL('../support/cbt-crash-recorder.js', import.meta.url));
  const rounds = SOAK ? 20 : 4;
  for (let round = 0; round < rounds; round++) {
    const path = join(dir, `c${round}-ctk.vmdk`);
    await (await ChangeTracker.create(path, 256 * MiB)).close();
    const acked: Array<[number, number]> = [];
    let base = '';
    let lastFrozen = -1;
    await runAndKill(script, [path, String(round + 1)], 150 + (round * 97) % 400, (line) => {
      const [kind, a, b] = line.split(' ');
      if (kind === 'rec') acked.push([Number(a), Number(b)]);
      else if (kind === 'base') base = line.slice(5);
      else if (kind === 'frozen') lastFrozen = Number(line.split('/')[1]);
    });
    assert.ok(acked.length > 0, 'the child acknowledged records before it was killed');
    const tr = await ChangeTracker.open(path);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no aside file left after open');
    assert.ok(tr.sequence > lastFrozen, `sequence ${tr.sequence} after acknowledged freeze ${lastFrozen}`);
    assertCovers(await allPages(tr, base, tr.changeId()), acked, `round ${round}`);
    await tr.close();
  }
});

test('TrackedDevice over a VMDK records writes and zeroes before they reach the disk', async (t) => {
  const dir = await tempDir(t);
  const disk = join(dir, 'vm.vmdk');
  await createDisk(disk, { capacity: 16 * MiB, type: 'monolithicSparse' });
  const tracker = await ChangeTracker.create(join(dir, 'vm-ctk.vmdk'), 16 * MiB);
  const s0 = await tracker.freeze();
  const dev = new TrackedDevice(await VmdkDisk.open(disk), tracker);
  const data = Buffer.alloc(8 * KiB, 0x5a);
  await dev.write(3 * MiB + 100, data);
  await dev.zero(9 * MiB, 200 * KiB);
  const back = Buffer.alloc(data.length);
  await dev.read(3 * MiB + 100, back);
  assert.deepEqual(back, data);
  const s1 = await tracker.freeze();
  await dev.write(0, data);
  await Promise.all([dev.write(15 * MiB, data), tracker.freeze(), dev.write(14 * MiB, data)]);
  await dev.close();
  // Until s1 the answer is a superset (later writes may show), but it holds the write and the zero.
  assertCovers(await allPages(tracker, s0, s1), [[3 * MiB + 100, data.length], [9 * MiB, 200 * KiB]], 'until s1');
  assertCovers(await allPages(tracker, s1, tracker.changeId()), [[0, data.length], [14 * MiB, data.length], [15 * MiB, data.length]], 'after s1');
  await assert.rejects(dev.write(16 * MiB, data), (e: VixError) => e.code === VIX_E_DISK_OUTOFRANGE);
  await tracker.close();
  const ro = new TrackedDevice(await VmdkDisk.open(disk, { readOnly: true }), await ChangeTracker.open(join(dir, 'vm-ctk.vmdk')));
  const before = await ro.tracker.changedAreas(s1, ro.tracker.changeId(), 0);
  await assert.rejects(ro.write(5 * MiB, data));
  assert.deepEqual(await ro.tracker.changedAreas(s1, ro.tracker.changeId(), 0), before, 'a refused write records nothing');
  await ro.close();
  await ro.tracker.close();
});

test('a freeze waits for tracked writes in flight and holds new ones back until it is durable', async (t) => {
  const dir = await tempDir(t);
  const disk = join(dir, 'g.vmdk');
  await createDisk(disk, { capacity: 4 * MiB, type: 'monolithicSparse' });
  const tracker = await ChangeTracker.create(join(dir, 'g-ctk.vmdk'), 4 * MiB);
  t.after(() => tracker.close());
  const s0 = await tracker.freeze();
  const vmdk = await VmdkDisk.open(disk);
  t.after(() => vmdk.close());
  // A device whose first write stalls until released: a write in flight across the freeze.
  let release!: () => void;
  const stalled = new Promise<void>((r) => (release = r));
  let first = true;
  const slow: typeof vmdk = Object.create(vmdk, {
    write: { value: async (off: number, data: Uint8Array) => { if (first) { first = false; await stalled; } return vmdk.write(off, data); } },
  });
  const dev = new TrackedDevice(slow, tracker);
  const events: string[] = [];
  const w1 = dev.write(0, Buffer.alloc(512, 1)).then(() => events.push('w1'));
  await new Promise((r) => setTimeout(r, 20));
  const f = tracker.freeze().then((id) => { events.push('freeze'); return id; });
  await new Promise((r) => setTimeout(r, 20));
  const w2 = dev.write(1 * MiB, Buffer.alloc(512, 2)).then(() => events.push('w2'));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(events, [], 'the freeze waits for w1; w2 waits for the freeze');
  release();
  const s1 = await f;
  await Promise.all([w1, w2]);
  assert.deepEqual(events, ['w1', 'freeze', 'w2']);
  assertCovers(await allPages(tracker, s0, s1), [[0, 512]], 'w1 before s1');
  assert.deepEqual((await tracker.changedAreas(s1, tracker.changeId(), 0)).changedArea, [{ start: 1 * MiB, length: 64 * KiB }], 'only w2 after s1');
});

test('record() of blocks already marked in the open sequence does no I/O; concurrent records share a sync', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 's-ctk.vmdk');
  const tracker = await ChangeTracker.create(path, 1 * GiB);
  t.after(() => tracker.close());
  await tracker.freeze();
  const n = 2000;
  let next = 0;
  let t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < n) { const i = next++; await tracker.record(i * 192 * KiB, 4096); }
  }));
  const fresh = n / ((performance.now() - t0) / 1000);
  const size = (await stat(path)).size;
  next = 0;
  t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < 20 * n) { const i = next++ % n; await tracker.record(i * 192 * KiB + 512, 1024); }
  }));
  const marked = (20 * n) / ((performance.now() - t0) / 1000);
  assert.equal((await stat(path)).size, size, 'no journal record for blocks already marked');
  t.diagnostic(`records/s with concurrency 16: ${Math.round(fresh)} new blocks, ${Math.round(marked)} already marked`);
});
