import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { StreamOptimizedWriter } from '../../src/vmdk/stream-writer.js';
import { Descriptor } from '../../src/vmdk/descriptor.js';
import { requirePeer } from '../interop/peers.js';
import { VixError } from '../../src/errors/vix-error.js';
import {
  VIX_E_DISK_INVAL, VIX_E_DISK_NOIO, VIX_E_FILE_ALREADY_EXISTS, VIX_E_NOT_SUPPORTED,
} from '../../src/errors/error-codes.js';
import { xorshift32 } from '../support/xorshift.js';

const run = promisify(execFile);
const SECTOR = 512;
const GRAIN = 64 * 1024;
const GT_COVERAGE = 512 * GRAIN; // 32 MiB per grain table

// ---- helpers --------------------------------------------------------------------------------

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-stream-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function streamDescriptor(capacityBytes: number, fileName: string, ddb: Array<[string, string]> = []): Descriptor {
  const sectors = capacityBytes / SECTOR;
  return Descriptor.create({
    cid: 0x1234abcd,
    createType: 'streamOptimized',
    extents: [{ access: 'RW', sizeSectors: sectors, type: 'SPARSE', fileName }],
    ddb: [
      ['ddb.virtualHWVersion', '4'],
      ['ddb.geometry.cylinders', String(Math.min(16383, Math.floor(sectors / (16 * 63))))],
      ['ddb.geometry.heads', '16'],
      ['ddb.geometry.sectors', '63'],
      ['ddb.adapterType', 'ide'],
      ...ddb,
    ],
  });
}

const rng = xorshift32;

const WORDS = ['disk', 'sector', 'grain', 'table', 'virtual', 'machine', 'the', 'of', 'data', '\n', 'log:', 'ok'];
function fillText(buf: Buffer, next: () => number): void {
  let p = 0;
  while (p < buf.length) p += buf.write(WORDS[next() % WORDS.length]! + ' ', p);
}
function fillRandom(buf: Buffer, next: () => number): void {
  for (let p = 0; p + 4 <= buf.length; p += 4) buf.writeUInt32LE(next(), p);
  for (let p = buf.length & ~3; p < buf.length; p++) buf[p] = next() & 0xff;
}

/**
 * A mixed image across four grain-table regions: region 0 starts with 6 MiB of zero, text and
 * random 64 KiB chunks plus unaligned runs, region 1 is empty (its GD entry must stay 0), region 2
 * holds 1 MiB of chunks, region 3 is data up to the very end, whose last grain is short.
 */
function mixedImage(): Buffer {
  const capacity = 3 * GT_COVERAGE + 3 * GRAIN + 7 * SECTOR;
  const img = Buffer.alloc(capacity);
  const next = rng(42);
  const chunks = (start: number, count: number): void => {
    for (let i = 0; i < count; i++) {
      const chunk = img.subarray(start + i * GRAIN, start + (i + 1) * GRAIN);
      const r = next() % 10;
      if (r < 4) continue;
      if (r < 7) fillText(chunk, next);
      else fillRandom(chunk, next);
    }
  };
  chunks(0, 96);
  fillRandom(img.subarray(7 * 1024 * 1024 + 1234, 7 * 1024 * 1024 + 4234), next);
  fillText(img.subarray(8 * 1024 * 1024 - 1000, 8 * 1024 * 1024 + 5000), next);
  chunks(2 * GT_COVERAGE + 6 * 1024 * 1024, 16);
  fillText(img.subarray(3 * GT_COVERAGE + GRAIN, capacity - 100), next);
  fillRandom(img.subarray(capacity - 100), next);
  return img;
}

/**
 * Feed `img` to the writer in uneven pieces through one reused buffer (scribbled over after each
 * write resolves, so a writer that keeps the caller's memory is caught). All-zero pieces are sent
 * in turn as zero(), skipped altogether, or written as zeros.
 */
async function feed(writer: StreamOptimizedWriter, img: Buffer): Promise<void> {
  const sizes = [1 << 20, 4097, 512, 70001, 131072, 333, 3 * GRAIN + 17, 8 << 20];
  const scratch = Buffer.alloc(Math.max(...sizes));
  let zeroTurn = 0;
  let i = 0;
  for (let pos = 0; pos < img.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, img.length - pos);
    const piece = img.subarray(pos, pos + n);
    const zeroPiece = allZero(piece);
    if (zeroPiece && zeroTurn % 3 !== 2) {
      if (zeroTurn % 3 === 0) await writer.zero(pos, n); // else: a gap nobody writes
      zeroTurn++;
    } else {
      if (zeroPiece) zeroTurn++;
      piece.copy(scratch);
      await writer.write(pos, scratch.subarray(0, n));
      scratch.fill(0xa5);
    }
    pos += n;
  }
}

interface ParsedStream {
  capacitySectors: number;
  gdOffsetSectors: number;
  grains: Map<number, Buffer>; // grain index -> inflated bytes
}

const ZEROS = Buffer.alloc(8 << 20);
function allZero(buf: Buffer): boolean {
  for (let off = 0; off < buf.length; off += ZEROS.length) {
    const n = Math.min(ZEROS.length, buf.length - off);
    if (buf.compare(ZEROS, 0, n, off, off + n) !== 0) return false;
  }
  return true;
}

function u64(buf: Buffer, off: number): number {
  return Number(buf.readBigUInt64LE(off));
}

/**
 * Walk a streamOptimized file and assert the canonical layout (reference section 3.4) byte by
 * byte; return the inflated grains.
 */
function parseCanonicalStream(file: Buffer, descriptor: Descriptor, capacityBytes: number): ParsedStream {
  assert.equal(file.length % SECTOR, 0, 'file is a whole number of sectors');
  const header = file.subarray(0, SECTOR);
  // 3.1 header values.
  assert.equal(header.toString('latin1', 0, 4), 'KDMV', 'magic');
  assert.equal(header.readUInt32LE(4), 3, 'version');
  assert.equal(header.readUInt32LE(8), 0x30001, 'flags');
  const capacitySectors = u64(header, 12);
  assert.equal(capacitySectors, capacityBytes / SECTOR, 'capacity is not rounded');
  assert.equal(u64(header, 20), 128, 'grainSize');
  assert.equal(u64(header, 28), 1, 'descriptorOffset');
  assert.equal(u64(header, 36), 20, 'descriptorSize');
  assert.equal(header.readUInt32LE(44), 512, 'numGTEsPerGT');
  assert.equal(u64(header, 48), 0, 'rgdOffset');
  assert.equal(header.readBigUInt64LE(56), 0xffffffffffffffffn, 'gdOffset is GD_AT_END in the header');
  assert.equal(u64(header, 64), 128, 'overHead');
  assert.equal(header[72], 0, 'uncleanShutdown');
  assert.deepEqual([...header.subarray(73, 77)], [0x0a, 0x20, 0x0d, 0x0a], 'newline check bytes');
  assert.equal(header.readUInt16LE(77), 1, 'compressAlgorithm');
  assert.ok(allZero(header.subarray(79)), 'header padding is zero');

  // Descriptor at sector 1, NUL-padded over 20 sectors, then zeros up to overHead.
  const text = descriptor.toBytes();
  assert.ok(file.subarray(SECTOR, SECTOR + text.length).equals(text), 'embedded descriptor text');
  assert.ok(allZero(file.subarray(SECTOR + text.length, 128 * SECTOR)), 'descriptor padding');

  // Tail: FOOTER marker at EOF-1536, footer at EOF-1024, EOS at EOF-512.
  const eof = file.length;
  assert.ok(allZero(file.subarray(eof - SECTOR)), 'EOS marker is the last sector');
  const footerMarker = file.subarray(eof - 3 * SECTOR, eof - 2 * SECTOR);
  assert.equal(u64(footerMarker, 0), 1, 'footer marker val');
  assert.equal(footerMarker.readUInt32LE(8), 0, 'footer marker size');
  assert.equal(footerMarker.readUInt32LE(12), 3, 'footer marker type');
  assert.ok(allZero(footerMarker.subarray(16)), 'footer marker padding');
  const footer = file.subarray(eof - 2 * SECTOR, eof - SECTOR);
  assert.ok(footer.subarray(0, 56).equals(header.subarray(0, 56)), 'footer matches header before gdOffset');
  assert.ok(footer.subarray(64).equals(header.subarray(64)), 'footer matches header after gdOffset');
  const gdOffsetSectors = u64(footer, 56);

  const numGTs = Math.ceil(capacitySectors / (512 * 128));
  const gdSectors = Math.ceil((numGTs * 4) / SECTOR);
  assert.equal(gdOffsetSectors + gdSectors, eof / SECTOR - 3, 'GD ends where the footer marker starts');
  const gdMarker = file.subarray((gdOffsetSectors - 1) * SECTOR, gdOffsetSectors * SECTOR);
  assert.equal(u64(gdMarker, 0), gdSectors, 'GD marker val');
  assert.equal(gdMarker.readUInt32LE(8), 0, 'GD marker size');
  assert.equal(gdMarker.readUInt32LE(12), 2, 'GD marker type');
  assert.ok(allZero(gdMarker.subarray(16)), 'GD marker padding');
  const gd = file.subarray(gdOffsetSectors * SECTOR, (gdOffsetSectors + gdSectors) * SECTOR);
  assert.ok(allZero(gd.subarray(numGTs * 4)), 'GD padding');

  // Walk everything between overHead and the GD marker.
  const grains = new Map<number, Buffer>();
  const seenGDEntries = new Map<number, number>();
  let lastGrain = -1;
  let regionRecords = new Map<number, number>(); // grain index -> record sector, since the last GT
  let lastTableRegion = -1;
  let sector = 128;
  while (sector < gdOffsetSectors - 1) {
    const at = sector * SECTOR;
    const size = file.readUInt32LE(at + 8);
    if (size !== 0) {
      // 3.2 grain record.
      const lba = u64(file, at);
      assert.equal(lba % 128, 0, `record at sector ${sector}: lba ${lba} is grain-aligned`);
      const grainIndex = lba / 128;
      assert.ok(grainIndex > lastGrain, `record at sector ${sector}: lba ascends`);
      assert.ok(Math.floor(grainIndex / 512) > lastTableRegion, `grain ${grainIndex} comes after its region's table`);
      for (const g of regionRecords.keys()) {
        assert.equal(Math.floor(g / 512), Math.floor(grainIndex / 512),
          `grain ${grainIndex} starts a new region before the table of grain ${g}'s region`);
      }
      assert.ok(size < 2 * GRAIN, 'compressed size < 2 grains');
      const payload = file.subarray(at + 12, at + 12 + size);
      assert.equal(payload[0], 0x78, 'zlib-wrapped stream (CMF 0x78)');
      const inflated = inflateSync(payload);
      assert.equal(inflated.length, GRAIN, 'every grain inflates to a full grain');
      const recordSectors = Math.ceil((12 + size) / SECTOR);
      assert.ok(allZero(file.subarray(at + 12 + size, at + recordSectors * SECTOR)), 'record padding');
      grains.set(grainIndex, inflated);
      regionRecords.set(grainIndex, sector);
      lastGrain = grainIndex;
      sector += recordSectors;
    } else {
      // 3.3 marker: only GT markers may appear before the GD.
      assert.equal(file.readUInt32LE(at + 12), 1, `marker at sector ${sector} is a GT marker`);
      assert.equal(u64(file, at), 4, 'GT marker val is 4');
      assert.ok(allZero(file.subarray(at + 16, at + SECTOR)), 'GT marker padding');
      assert.ok(regionRecords.size > 0, 'no grain table for a region without grains');
      const region = Math.floor([...regionRecords.keys()][0]! / 512);
      const gt = file.subarray(at + SECTOR, at + 5 * SECTOR);
      for (let e = 0; e < 512; e++) {
        const expected = regionRecords.get(region * 512 + e) ?? 0;
        assert.equal(gt.readUInt32LE(e * 4), expected, `region ${region} GTE ${e} points at its record`);
      }
      seenGDEntries.set(region, sector + 1);
      lastTableRegion = region;
      regionRecords = new Map();
      sector += 5;
    }
  }
  assert.equal(sector, gdOffsetSectors - 1, 'records and tables end exactly at the GD marker');
  assert.equal(regionRecords.size, 0, 'the last region has its table before the GD');
  for (let r = 0; r < numGTs; r++) {
    assert.equal(gd.readUInt32LE(r * 4), seenGDEntries.get(r) ?? 0, `GD entry ${r}`);
  }
  return { capacitySectors, gdOffsetSectors, grains };
}

/** The parsed grains hold exactly the image's non-zero grains (the last one zero-padded). */
function assertGrainsMatch(parsed: ParsedStream, img: Buffer): void {
  const numGrains = Math.ceil(img.length / GRAIN);
  for (let g = 0; g < numGrains; g++) {
    const expected = Buffer.alloc(GRAIN);
    img.copy(expected, 0, g * GRAIN, Math.min((g + 1) * GRAIN, img.length));
    const zero = allZero(expected);
    const got = parsed.grains.get(g);
    if (zero) assert.equal(got, undefined, `all-zero grain ${g} is omitted`);
    else assert.ok(got?.equals(expected), `grain ${g} holds the image bytes`);
  }
}

async function writeRaw(path: string, img: Buffer): Promise<void> {
  // Only the non-zero 64 KiB pieces are written; the rest stays a hole.
  const fh = await open(path, 'w');
  try {
    await fh.truncate(img.length);
    for (let off = 0; off < img.length; off += GRAIN) {
      const piece = img.subarray(off, Math.min(off + GRAIN, img.length));
      if (!allZero(piece)) await fh.write(piece, 0, piece.length, off);
    }
  } finally {
    await fh.close();
  }
}

/** qemu-img compare/check and vmdkinfo must accept `vmdk` as equal to `raw`. */
async function checkWithPeers(t: TestContext, raw: string, vmdk: string): Promise<void> {
  await t.test('qemu-img compare and check', async (st) => {
    if (!(await requirePeer(st, 'qemu-img'))) return;
    const cmp = await run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', raw, vmdk]);
    assert.match(cmp.stdout, /identical/i);
    await run('qemu-img', ['check', vmdk]);
    const info = JSON.parse((await run('qemu-img', ['info', '--output=json', vmdk])).stdout) as {
      format: string; 'format-specific'?: { data?: { 'create-type'?: string } };
    };
    assert.equal(info.format, 'vmdk');
    assert.equal(info['format-specific']?.data?.['create-type'], 'streamOptimized');
  });
  await t.test('vmdkinfo', async (st) => {
    if (!(await requirePeer(st, 'vmdkinfo'))) return;
    const out = await run('vmdkinfo', [vmdk]);
    assert.match(out.stdout, /stream optimized|streamOptimized/i);
  });
}

function isVixError(code: number): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof VixError, `expected a VixError, got ${String(err)}`);
    assert.equal(err.code, code, `${err.message}`);
    return true;
  };
}

// ---- tests ----------------------------------------------------------------------------------

test('a mixed image written in uneven pieces produces the canonical streamOptimized layout', async (t) => {
  await withTempDir(async (dir) => {
    const img = mixedImage();
    const rawPath = join(dir, 'src.raw');
    const vmdkPath = join(dir, 'out.vmdk');
    const descriptor = streamDescriptor(img.length, basename(vmdkPath));
    const writer = await StreamOptimizedWriter.create(vmdkPath, img.length, descriptor, { concurrency: 8 });
    assert.equal(writer.sequentialWrite, true);
    assert.equal(writer.capacity, img.length);
    await feed(writer, img);
    await writer.flush(); // waits for queued grains; the stream stays open
    await writer.close();
    await writer.close(); // idempotent

    const file = await readFile(vmdkPath);
    const parsed = parseCanonicalStream(file, descriptor, img.length);
    assertGrainsMatch(parsed, img);
    // Regions 0, 2 and 3 have grains; region 1 is empty and has no table.
    const gd = file.subarray(parsed.gdOffsetSectors * SECTOR);
    assert.notEqual(gd.readUInt32LE(0), 0);
    assert.equal(gd.readUInt32LE(4), 0);
    assert.notEqual(gd.readUInt32LE(8), 0);
    assert.notEqual(gd.readUInt32LE(12), 0);

    await writeRaw(rawPath, img);
    await checkWithPeers(t, rawPath, vmdkPath);
  });
});

test('an empty disk (no writes) is a valid stream that reads as zeros', async (t) => {
  await withTempDir(async (dir) => {
    const capacity = 10 * 1024 * 1024 + 3 * SECTOR;
    const vmdkPath = join(dir, 'empty.vmdk');
    const rawPath = join(dir, 'zeros.raw');
    const descriptor = streamDescriptor(capacity, basename(vmdkPath));
    const writer = await StreamOptimizedWriter.create(vmdkPath, capacity, descriptor);
    await writer.close();

    const file = await readFile(vmdkPath);
    // header + descriptor area, GD marker + GD, footer marker, footer, EOS
    assert.equal(file.length, (128 + 1 + 1 + 3) * SECTOR);
    const parsed = parseCanonicalStream(file, descriptor, capacity);
    assert.equal(parsed.grains.size, 0);
    assert.equal(parsed.gdOffsetSectors, 129);

    await writeFile(rawPath, Buffer.alloc(0));
    const fh = await open(rawPath, 'r+');
    await fh.truncate(capacity);
    await fh.close();
    await checkWithPeers(t, rawPath, vmdkPath);
  });
});

test('writes and zeros that go backwards are refused and leave the stream intact', async (t) => {
  await withTempDir(async (dir) => {
    const capacity = 4 * 1024 * 1024;
    const vmdkPath = join(dir, 'seq.vmdk');
    const descriptor = streamDescriptor(capacity, basename(vmdkPath));
    const img = Buffer.alloc(capacity);
    const next = rng(7);
    fillText(img.subarray(GRAIN, 3 * GRAIN + 100), next);
    fillRandom(img.subarray(2 * 1024 * 1024, 2 * 1024 * 1024 + GRAIN), next);
    const tail = 3 * 1024 * 1024 + 5;
    fillText(img.subarray(tail, tail + 100), next);

    // concurrency 1: every grain waits for the one before it to reach the file (back-pressure).
    const writer = await StreamOptimizedWriter.create(vmdkPath, capacity, descriptor, { concurrency: 1 });
    await writer.write(GRAIN, img.subarray(GRAIN, 3 * GRAIN + 100));
    const refused = Buffer.alloc(GRAIN, 0xee);
    await assert.rejects(writer.write(0, refused), isVixError(VIX_E_NOT_SUPPORTED));
    await assert.rejects(writer.write(3 * GRAIN + 99, refused.subarray(0, 10)), isVixError(VIX_E_NOT_SUPPORTED));
    await assert.rejects(writer.zero(2 * GRAIN, GRAIN), isVixError(VIX_E_NOT_SUPPORTED));
    await assert.rejects(writer.write(0, refused), (err: unknown) =>
      err instanceof VixError && /written sequentially/.test(err.message));
    // Reading back and block status are not available while the stream is produced.
    await assert.rejects(writer.read(0, Buffer.alloc(SECTOR)), isVixError(VIX_E_NOT_SUPPORTED));
    // The stream carries on from where it was.
    await writer.write(2 * 1024 * 1024, img.subarray(2 * 1024 * 1024, 2 * 1024 * 1024 + GRAIN));
    // A partial grain still open at close() is written zero-padded.
    await writer.write(tail, img.subarray(tail, tail + 100));
    await writer.close();
    await assert.rejects(writer.write(3 * 1024 * 1024, Buffer.alloc(SECTOR)), isVixError(VIX_E_DISK_NOIO));

    const parsed = parseCanonicalStream(await readFile(vmdkPath), descriptor, capacity);
    assertGrainsMatch(parsed, img);
    const rawPath = join(dir, 'seq.raw');
    await writeRaw(rawPath, img);
    await checkWithPeers(t, rawPath, vmdkPath);
  });
});

test('bad parameters are refused before the file is touched', async () => {
  await withTempDir(async (dir) => {
    const capacity = 1024 * 1024;
    const path = join(dir, 'bad.vmdk');
    // A descriptor larger than the 20 reserved sectors.
    const big = streamDescriptor(capacity, 'bad.vmdk', [['ddb.comment', 'x'.repeat(20 * SECTOR)]]);
    await assert.rejects(StreamOptimizedWriter.create(path, capacity, big), isVixError(VIX_E_DISK_INVAL));
    await assert.rejects(stat(path), { code: 'ENOENT' });
    // Not a streamOptimized descriptor, or an extent that does not match the capacity.
    const sparse = Descriptor.create({
      cid: 1, createType: 'monolithicSparse',
      extents: [{ access: 'RW', sizeSectors: capacity / SECTOR, type: 'SPARSE', fileName: 'bad.vmdk' }], ddb: [],
    });
    await assert.rejects(StreamOptimizedWriter.create(path, capacity, sparse), isVixError(VIX_E_DISK_INVAL));
    await assert.rejects(StreamOptimizedWriter.create(path, 2 * capacity, streamDescriptor(capacity, 'bad.vmdk')),
      isVixError(VIX_E_DISK_INVAL));
    await assert.rejects(StreamOptimizedWriter.create(path, capacity + 1, streamDescriptor(capacity, 'bad.vmdk')),
      isVixError(VIX_E_DISK_INVAL));
    await assert.rejects(stat(path), { code: 'ENOENT' });
    // An existing file is kept unless overwrite is asked for.
    await writeFile(path, 'precious');
    await assert.rejects(StreamOptimizedWriter.create(path, capacity, streamDescriptor(capacity, 'bad.vmdk')),
      isVixError(VIX_E_FILE_ALREADY_EXISTS));
    assert.equal(await readFile(path, 'utf8'), 'precious');
    const w = await StreamOptimizedWriter.create(path, capacity, streamDescriptor(capacity, 'bad.vmdk'), { overwrite: true });
    // Writes issued before close() (not awaited) still land; close() waits for them.
    const data = Buffer.alloc(GRAIN, 0x5a);
    const pending = [w.write(0, data), w.write(3 * GRAIN, data)];
    await w.close();
    await Promise.all(pending);
    const parsed = parseCanonicalStream(await readFile(path), streamDescriptor(capacity, 'bad.vmdk'), capacity);
    assert.deepEqual([...parsed.grains.keys()], [0, 3]);
  });
});
