import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { deflateSync } from 'node:zlib';
import { VixError } from '../../src/errors/vix-error.js';
import {
  VIX_E_DISK_CID_MISMATCH, VIX_E_DISK_INVALIDDISK, VIX_E_DISK_NEEDSREPAIR, VIX_E_DISK_OPENPARENT,
  VIX_E_DISK_TOOMANYREDO, VIX_E_DISK_UNSUPPORTEDDISKVERSION, VIX_E_FILE_ACCESS_ERROR, VIX_E_FILE_NOT_FOUND,
} from '../../src/errors/error-codes.js';
import { checkDisk, type CheckReport } from '../../src/vmdk/check.js';
import { createChild, writeSparseExtentFile } from '../../src/vmdk/create.js';
import { Descriptor } from '../../src/vmdk/descriptor.js';
import { MAX_CHAIN_DEPTH, VmdkDisk, type DiskOpenOptions } from '../../src/vmdk/disk.js';
import {
  encodeSparseHeader, FLAG_COMPRESSED, FLAG_MARKERS, FLAG_REDUNDANT_GD, FLAG_VALID_NEWLINE, type SparseHeader,
} from '../../src/vmdk/sparse-header.js';
import {
  descriptorText, gteOffset, hashTree, HDR, header as readHeader, makeSparse, makeStream, pattern, readU32, rewriteEmbeddedDescriptor,
  rng, SECTOR, streamItems, writeBytes, writeSparseFile, writeU32, writeU64, zlibZeros,
} from './fixtures.js';

// Bad input never crashes, hangs or eats memory, and never changes a file. Each case builds a hostile
// file in its own folder, opens it read-only and read-write (reading the whole disk when opening
// works) and runs checkDisk; every failure must be a VixError with the expected code and a one-line
// message naming the problem, each attempt must settle within HANG_MS, and the folder's bytes must be
// the same afterwards. Cases that claim gigantic sizes also watch rss and arrayBuffers.

const KiB = 1024;
const MiB = 1024 * KiB;
const GRAIN = 64 * KiB;
/** An attempt that has not settled by then is taken for a hang (a guard, not a speed test). */
const HANG_MS = 10_000; // generous: two cores shared with the rest of the suite
/** Growth of rss / arrayBuffers allowed over the size of the hostile file itself. */
const MEMORY_SLACK = 64 * MiB;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let root = '';
/** Good files every case copies from. */
const T = { plain: '', two: '', stream: '', base: '' };
let plainContent: Buffer;
let twoContent: Buffer;
let streamContent: Buffer;
let caseNo = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vixdisk-bad-input-'));
  const t = join(root, 'templates');
  await mkdir(t);
  T.plain = join(t, 'plain.vmdk');
  T.two = join(t, 'two.vmdk');
  T.stream = join(t, 'stream.vmdk');
  T.base = join(t, 'base.vmdk');
  // 1 MiB, 64 KiB grains, one grain table: rgd 21, gd 26, grain table at 27, overHead 128.
  plainContent = (await makeSparse(T.plain, 1 * MiB, [0, 3, 9])).content;
  // 8 MiB of 8 KiB grains: two grain tables of 512 entries (4 MiB each).
  twoContent = (await makeSparse(T.two, 8 * MiB, [0, 1, 5, 600, 1000], 16)).content;
  streamContent = (await makeStream(T.stream, 2 * MiB, [0, 1, 2, 5, 17, 31])).content;
  await makeSparse(T.base, 1 * MiB, [1]);
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

// ---- harness ------------------------------------------------------------------------------------

/** A fresh folder for one case; the disk is made inside `disk/`, anything "outside" beside it. */
async function caseDir(): Promise<{ dir: string; disk: string }> {
  const dir = join(root, `case-${++caseNo}`);
  const disk = join(dir, 'disk');
  await mkdir(disk, { recursive: true });
  return { dir, disk };
}

async function within<T>(p: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hang?)`)), ms);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Read every byte of the disk; returns the bytes when the disk is small enough to keep. Reads of
 * holes resolve without I/O, so the loop yields to timers each chunk and gives up at `deadline`
 * (a disk too large to read in time would otherwise keep the hang guard from ever firing).
 */
async function readAll(disk: VmdkDisk, deadline: number): Promise<Buffer | null> {
  const keep = disk.capacity <= 64 * MiB ? Buffer.alloc(disk.capacity) : null;
  const chunk = Buffer.alloc(1 * MiB);
  for (let off = 0; off < disk.capacity; off += chunk.length) {
    if (Date.now() > deadline) throw new Error(`reading all ${disk.capacity} bytes did not finish in time`);
    const n = Math.min(chunk.length, disk.capacity - off);
    await disk.read(off, chunk.subarray(0, n));
    if (keep) chunk.copy(keep, off, 0, n);
    await new Promise(setImmediate);
  }
  return keep;
}

/** Open, read everything, close. */
async function openAndRead(path: string, options: DiskOpenOptions, ms = HANG_MS): Promise<Buffer | null> {
  const deadline = Date.now() + ms;
  const disk = await VmdkDisk.open(path, options);
  try {
    return await readAll(disk, deadline);
  } finally {
    await disk.close();
  }
}

/** The error a promise rejects with, or null when it resolves; within HANG_MS. */
async function failure(p: Promise<unknown>, what: string, ms = HANG_MS): Promise<unknown> {
  return within(p.then(() => null, (err: unknown) => err ?? new Error('rejected with nothing')), what, ms);
}

function assertVixError(err: unknown, code: number, message: RegExp, what: string): void {
  assert.ok(err !== null, `${what}: expected VixError ${code}, but it succeeded`);
  assert.ok(err instanceof VixError, `${what}: expected a VixError, got ${err instanceof Error ? err.stack : String(err)}`);
  assert.equal(err.code, code, `${what}: code ${err.code} (${err.message}), expected ${code}`);
  assert.ok(!/[\r\n\u2028\u2029]/.test(err.message), `${what}: message is not one line: ${JSON.stringify(err.message)}`);
  assert.match(err.message, message, `${what}: message does not name the problem`);
}

/** Run `fn` while watching rss and arrayBuffers; fail when either grows past the allowance. */
async function boundedMemory<T>(fileBytes: number, fn: () => Promise<T>): Promise<T> {
  gc();
  const base = process.memoryUsage();
  let rss = base.rss;
  let ab = base.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    ab = Math.max(ab, m.arrayBuffers);
  };
  const timer = setInterval(sample, 1);
  let result: T;
  try {
    result = await fn();
  } finally {
    clearInterval(timer);
    sample();
  }
  const limit = fileBytes + MEMORY_SLACK;
  assert.ok(rss - base.rss <= limit, `rss grew by ${((rss - base.rss) / MiB).toFixed(1)} MiB for a ${(fileBytes / MiB).toFixed(1)} MiB file`);
  assert.ok(ab - base.arrayBuffers <= limit,
    `arrayBuffers grew by ${((ab - base.arrayBuffers) / MiB).toFixed(1)} MiB for a ${(fileBytes / MiB).toFixed(1)} MiB file`);
  return result;
}

interface RefuseOptions extends DiskOpenOptions {
  /** Also bound rss and arrayBuffers, allowing MEMORY_SLACK over the size of `path`. */
  memory?: boolean;
  /** Hang guard for each attempt, when HANG_MS is too short for honest work (a 256-link chain). */
  hangMs?: number;
}

/**
 * The main assertion: opening (read-only and read-write) and reading `path` fails with `code`,
 * checkDisk reports that code, and nothing under `dir` changes.
 */
async function refused(dir: string, path: string, code: number, message: RegExp, options: RefuseOptions = {}): Promise<void> {
  const before = await hashTree(dir);
  const { memory, hangMs = HANG_MS, ...open } = options;
  const attempt = async () => {
    for (const readOnly of [true, false]) {
      const what = `${readOnly ? 'read-only' : 'read-write'} open+read of ${path}`;
      assertVixError(await failure(openAndRead(path, { ...open, readOnly }, hangMs), what, hangMs), code, message, what);
    }
    const report = await within(checkDisk(path, { allowOutsidePaths: open.allowOutsidePaths }), `checkDisk ${path}`, hangMs);
    assertReports(report, code, message);
  };
  if (memory) await boundedMemory((await stat(path)).size, attempt);
  else await attempt();
  assert.deepEqual(await hashTree(dir), before, 'a file changed');
}

function assertReports(report: CheckReport, code: number, message: RegExp): void {
  assert.equal(report.ok, false, 'checkDisk found nothing');
  const hit = report.problems.find((p) => p.code === code && message.test(p.message));
  assert.ok(hit, `checkDisk did not report ${code} ${message}: ${JSON.stringify(report.problems)}`);
  for (const p of report.problems) assert.ok(!/[\r\n]/.test(p.message), `problem is not one line: ${JSON.stringify(p.message)}`);
}

/** Opening (both ways) and reading works, checkDisk is clean, the content is `expected`; nothing changes. */
async function works(dir: string, path: string, expected: Buffer | null, options: DiskOpenOptions = {}): Promise<CheckReport> {
  const before = await hashTree(dir);
  for (const readOnly of [true, false]) {
    const content = await within(openAndRead(path, { ...options, readOnly }), `open+read of ${path}`);
    if (expected) assert.ok(content && content.equals(expected), 'content differs');
  }
  const report = await within(checkDisk(path, { allowOutsidePaths: options.allowOutsidePaths }), `checkDisk ${path}`);
  assert.deepEqual(report.problems, [], 'checkDisk reported problems');
  assert.equal(report.ok, true);
  assert.deepEqual(await hashTree(dir), before, 'a file changed');
  return report;
}

/** Open works but reading all of it fails with `code`; checkDisk reports the same; nothing changes. */
async function unreadable(dir: string, path: string, code: number, message: RegExp): Promise<void> {
  const before = await hashTree(dir);
  for (const readOnly of [true, false]) {
    const what = `${readOnly ? 'read-only' : 'read-write'} read of ${path}`;
    assertVixError(await failure(openAndRead(path, { readOnly }), what), code, message, what);
  }
  assertReports(await within(checkDisk(path), `checkDisk ${path}`), code, message);
  assert.deepEqual(await hashTree(dir), before, 'a file changed');
}

async function copyOf(template: string, disk: string, name = 'd.vmdk'): Promise<string> {
  const p = join(disk, name);
  await copyFile(template, p);
  return p;
}

/** A hosted sparse file made from scratch: header fields, then byte pieces at offsets. */
async function buildSparse(path: string, fileBytes: number, h: Partial<SparseHeader>, pieces: Array<[number, Uint8Array]> = []): Promise<void> {
  const full: SparseHeader = {
    version: 1, flags: FLAG_VALID_NEWLINE, capacitySectors: 2048, grainSizeSectors: 128, descriptorOffsetSectors: 0,
    descriptorSizeSectors: 0, numGTEsPerGT: 512, rgdOffsetSectors: 0, gdOffsetSectors: 1, overheadSectors: 128,
    uncleanShutdown: false, compressAlgorithm: 0, ...h,
  };
  await writeSparseFile(path, fileBytes, [[0, encodeSparseHeader(full)], ...pieces]);
}

function embedded(createType: string, sizeSectors: number, name: string, extra: string[] = []): Buffer {
  return Buffer.from(descriptorText([`RW ${sizeSectors} SPARSE "${name}"`], extra, createType));
}

// ---- good files first: the fixtures themselves pass -------------------------------------------

test('good files: the fixtures open, read back and check clean', async () => {
  const { dir, disk } = await caseDir();
  await works(dir, await copyOf(T.plain, disk, 'p.vmdk'), plainContent);
  await works(dir, await copyOf(T.two, disk, 't.vmdk'), twoContent);
  await works(dir, await copyOf(T.stream, disk, 's.vmdk'), streamContent);
});

// ---- the sparse header --------------------------------------------------------------------------

test('empty file: not a virtual disk', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, '');
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /not a virtual disk/);
});

test('truncated header (100 bytes of a real one): needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, (await readFile(T.plain)).subarray(0, 100));
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /cut off|too short/);
});

test('wrong magic: not a virtual disk', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeBytes(p, HDR.magic, Buffer.from('XDMV')); // magicNumber 'KDMV' -> 'XDMV'
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /not a virtual disk/);
});

for (const version of [0, 4]) {
  test(`header version ${version}: unsupported version`, async () => {
    const { dir, disk } = await caseDir();
    const p = await copyOf(T.plain, disk);
    await writeU32(p, HDR.version, version); // version: 1..3 are defined
    await refused(dir, p, VIX_E_DISK_UNSUPPORTEDDISKVERSION, new RegExp(`version ${version}`));
  });
}

test('unknown incompatible flag: unsupported version', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  // flags: bit 18 is in the incompatible half (16..31) and means nothing we know.
  await writeU32(p, HDR.flags, FLAG_VALID_NEWLINE | FLAG_REDUNDANT_GD | 0x40000);
  await refused(dir, p, VIX_E_DISK_UNSUPPORTEDDISKVERSION, /incompatible flag/);
});

test('markers flag without compression: invalid disk', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU32(p, HDR.flags, FLAG_VALID_NEWLINE | FLAG_MARKERS); // flags: bit 17 without bit 16
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /markers flag/);
});

for (const [label, value] of [['0', 0n], ['3 (not a power of two)', 3n], ['2^40', 2n ** 40n]] as const) {
  test(`grain size ${label}: invalid disk`, async () => {
    const { dir, disk } = await caseDir();
    const p = await copyOf(T.plain, disk);
    await writeU64(p, HDR.grainSize, value); // grainSize, sectors per grain
    await refused(dir, p, VIX_E_DISK_INVALIDDISK, /grain size/, { memory: true });
  });
}

for (const [label, value] of [['0', 0], ['2^31', 2 ** 31]] as const) {
  test(`numGTEsPerGT ${label}: invalid disk`, async () => {
    const { dir, disk } = await caseDir();
    const p = await copyOf(T.plain, disk);
    await writeU32(p, HDR.numGTEsPerGT, value); // entries per grain table
    await refused(dir, p, VIX_E_DISK_INVALIDDISK, /grain table entries/, { memory: true });
  });
}

test('capacity 2^62 sectors (the grain directory would be gigantic): invalid disk, bounded memory', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU64(p, HDR.capacity, 2n ** 62n); // capacity, sectors
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /capacity/, { memory: true });
});

test('capacity of 2^52 sectors with 1 GiB grains (more bytes than a safe integer): invalid disk', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  // A bare extent (no descriptor), so the header's capacity is the disk's size: 2^61 bytes. The
  // directory (2^16 entries of 2^15 * 2^21 sectors) would fit the 1 MiB file.
  await buildSparse(p, 1 * MiB, { capacitySectors: 2 ** 52, grainSizeSectors: 2 ** 21, numGTEsPerGT: 2 ** 15, gdOffsetSectors: 1, overheadSectors: 1024 });
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /capacity/, { memory: true });
});

test('grain directory that does not fit the file (capacity 2^40 sectors): needs repair, bounded memory', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  // capacity 2^40 sectors: 2^24 directory entries, a 64 MiB directory in a 256 KiB file. The
  // embedded descriptor still says 1 MiB, which a larger header capacity allows.
  await writeU64(p, HDR.capacity, 2n ** 40n);
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory.*does not fit/, { memory: true });
});

test('grain directory offset past the end of the file: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU64(p, HDR.gdOffset, 1_000_000n); // gdOffset, a sector far past EOF
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory at sector 1000000/);
});

test('redundant grain directory offset past the end of the file: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU64(p, HDR.rgdOffset, 1_000_000n); // rgdOffset (flag bit 1 is set)
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /redundant grain directory at sector 1000000/);
});

test('grain directory entry past the end of the file: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  const h = (await makeLayout(p)).header;
  await writeU32(p, h.gdOffsetSectors * SECTOR, 5_000_000); // GD[0], a grain table far past EOF
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory entry 0 points to sector 5000000/);
});

test('grain directory entry pointing into the header and embedded descriptor: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  const h = (await makeLayout(p)).header;
  await writeU32(p, h.gdOffsetSectors * SECTOR, 1); // GD[0] = sector 1, the descriptor's first sector
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory entry 0 .*descriptor/);
});

test('grain directory entry pointing at the grain directory itself: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  const h = (await makeLayout(p)).header;
  await writeU32(p, h.gdOffsetSectors * SECTOR, h.gdOffsetSectors); // GD[0] = the GD's own sector
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory entry 0 .*grain directory/);
});

test('two grain directory entries equal: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.two, disk);
  const { header: h, gd } = await makeLayout(p);
  await writeU32(p, h.gdOffsetSectors * SECTOR + 4, gd[0]!); // GD[1] = GD[0]: two regions share a table
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain tables? .*(share|overlap)/);
});

test('grain tables overlapping (GD[1] one sector after GD[0]): needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.two, disk);
  const { header: h, gd } = await makeLayout(p);
  await writeU32(p, h.gdOffsetSectors * SECTOR + 4, gd[0]! + 1); // GD[1] inside table 0's 4 sectors
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain tables? .*overlap/);
});

test('thousands of huge grain tables overlapping sector by sector: refused before they are loaded', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  // 32768 entries per table (128 KiB each), 1-sector grains: 1500 directory entries at consecutive
  // sectors would make 190 MiB of tables out of a 1 MiB file.
  const n = 1500;
  const gd = Buffer.alloc(Math.ceil((n * 4) / SECTOR) * SECTOR);
  for (let i = 0; i < n; i++) gd.writeUInt32LE(64 + i, i * 4);
  const text = embedded('monolithicSparse', 2048, 'd.vmdk');
  await buildSparse(p, 1 * MiB, {
    capacitySectors: n * 32768, grainSizeSectors: 1, numGTEsPerGT: 32768, descriptorOffsetSectors: 1,
    descriptorSizeSectors: 20, gdOffsetSectors: 21, overheadSectors: 2048,
  }, [[SECTOR, text], [21 * SECTOR, gd]]);
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain tables? .*overlap/, { memory: true });
});

test('grain entry past the end of the file: open works, reading it needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU32(p, gteOffset(await makeLayout(p), 3), 9_000_000); // GT[3] -> a sector past EOF
  await unreadable(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain 3 points to sector 9000000, past the end/);
});

test('grain entry pointing into the metadata (below overHead): open works, reading it needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  const layout = await makeLayout(p);
  await writeU32(p, gteOffset(layout, 3), layout.header.gdOffsetSectors); // GT[3] -> the grain directory
  await unreadable(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain 3 points to sector \d+, inside the metadata/);
});

test('two grain entries pointing at the same grain: reads work, checkDisk reports the overlap', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  const layout = await makeLayout(p);
  await writeU32(p, gteOffset(layout, 3), await readU32(p, gteOffset(layout, 0))); // GT[3] = GT[0]
  const before = await hashTree(dir);
  const expected = Buffer.from(plainContent);
  plainContent.copy(expected, 3 * GRAIN, 0, GRAIN); // grain 3 now shows grain 0's bytes
  for (const readOnly of [true, false]) {
    const content = await within(openAndRead(p, { readOnly }), 'open+read');
    assert.ok(content?.equals(expected), 'grain 3 does not read as grain 0');
  }
  assertReports(await within(checkDisk(p), 'checkDisk'), VIX_E_DISK_NEEDSREPAIR, /grain 3 .*overlaps grain 0|grain 0 .*overlaps grain 3/);
  assert.deepEqual(await hashTree(dir), before);
});

test('overHead past the end of the file (truncated file): needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await truncate(p, 60 * KiB); // the file is cut inside its metadata; overHead is 64 KiB
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /truncated/);
});

test('header capacity smaller than the descriptor\'s extent size: needs repair', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU64(p, HDR.capacity, 1024n); // capacity 512 KiB; the descriptor says 2048 sectors
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /capacity 1024 sectors is smaller than the 2048/);
});

test('damaged newline detector (bytes 73-76) with flag bit 0: needs repair; without the flag it opens', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeBytes(p, HDR.newline, Buffer.from('\n \n\n')); // "\n \r\n" after a CR/LF translation
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /end-of-line/);
  await writeU32(p, HDR.flags, FLAG_REDUNDANT_GD); // flag bit 0 clear: the bytes are not checked
  await works(dir, p, plainContent);
});

test('embedded descriptor size larger than any descriptor: invalid disk', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk);
  await writeU64(p, HDR.descriptorSize, 2n ** 40n); // descriptorSize, sectors
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /embedded descriptor/, { memory: true });
});

// ---- descriptor files ---------------------------------------------------------------------------

test('garbage descriptor text: invalid disk, one-line message', async () => {
  const { dir, disk } = await caseDir();
  const r = rng(7);
  const junk = Buffer.alloc(4000);
  for (let i = 0; i < junk.length; i++) junk[i] = r() & 0xff || 1;
  const p1 = join(disk, 'a.vmdk');
  await writeFile(p1, Buffer.concat([Buffer.from('# Disk DescriptorFile\nversion=1\n'), junk]));
  await refused(dir, p1, VIX_E_DISK_INVALIDDISK, /descriptor/);
  const p2 = join(disk, 'b.vmdk');
  await writeFile(p2, junk);
  await refused(dir, p2, VIX_E_DISK_INVALIDDISK, /not a virtual disk/);
  // Carriage returns and vertical tabs inside a line must not reach the message as line breaks.
  const p3 = join(disk, 'c.vmdk');
  await writeFile(p3, '# Disk DescriptorFile\rversion=1\rCID=fffffffe\rcreateType="monolithicFlat"\r\x0bRW 1 FLAT "x\ry"\r');
  await refused(dir, p3, VIX_E_DISK_INVALIDDISK, /descriptor/);
  const p4 = join(disk, 'e.vmdk');
  await writeFile(p4, descriptorText(['RW 1 BOGUS "c\rd" 0']));
  await refused(dir, p4, VIX_E_DISK_INVALIDDISK, /descriptor|extent/);
  // A control character or line separator in an extent's file name (it would reach the message).
  const p5 = join(disk, 'f.vmdk');
  await writeFile(p5, descriptorText(['RW 1 FLAT "a\rb\u2028c" 0']));
  await refused(dir, p5, VIX_E_DISK_INVALIDDISK, /control character 0x0d/);
  const p6 = join(disk, 'g.vmdk');
  await writeFile(p6, descriptorText(['RW 1 FLAT "a\u2028b" 0']));
  await refused(dir, p6, VIX_E_DISK_INVALIDDISK, /control character 0x2028/);
});

test('50 MiB descriptor file: invalid disk, not read into memory', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  const big = Buffer.alloc(50 * MiB, '# padding padding padding padding padding padding padding padding\n');
  Buffer.from(descriptorText(['RW 1 ZERO'])).copy(big, 0);
  await writeFile(p, big);
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /descriptor.*(large|bytes)/, { memory: true });
});

test('descriptor with 100000 extent lines: refused quickly with bounded memory', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(new Array(100_000).fill('RW 1 ZERO')));
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /more than \d+ extents/, { memory: true });
});

test('descriptor with 3000 valid ZERO and FLAT extents: works', async () => {
  const { dir, disk } = await caseDir();
  // Every 10th extent is FLAT: one sector of one of 10 data files, at offset (its number / 100).
  const files = Array.from({ length: 10 }, (_, f) => pattern(1000 + f, 30 * SECTOR));
  for (let f = 0; f < files.length; f++) await writeFile(join(disk, `f${f}.bin`), files[f]!);
  const lines: string[] = [];
  const expected = Buffer.alloc(3000 * SECTOR);
  for (let i = 0; i < 3000; i++) {
    if (i % 10 === 0) {
      const f = (i / 10) % 10;
      const offset = Math.floor(i / 100);
      files[f]!.copy(expected, i * SECTOR, offset * SECTOR, (offset + 1) * SECTOR);
      lines.push(`RW 1 FLAT "f${f}.bin" ${offset}`);
    } else {
      lines.push('RW 1 ZERO');
    }
  }
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(lines));
  await works(dir, p, expected);
});

test('descriptor version=9: unsupported version', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(['RW 1 ZERO']).replace('version=1', 'version=9'));
  await refused(dir, p, VIX_E_DISK_UNSUPPORTEDDISKVERSION, /version 9/);
});

test('descriptor without createType: invalid disk', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(['RW 1 ZERO']).replace(/^createType=.*$/m, ''));
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /createType/);
});

test('descriptor with an unknown extent type: invalid disk', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(['RW 1 WARP "x.bin" 0']));
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /extent type WARP/);
});

test('extents whose sizes add up past 2^53 bytes, or a FLAT offset that far: invalid disk', async () => {
  const { dir, disk } = await caseDir();
  await writeFile(join(disk, 'x.bin'), Buffer.alloc(SECTOR));
  const p1 = join(disk, 'a.vmdk');
  await writeFile(p1, descriptorText(['RW 9007199254740000 ZERO', 'RW 9007199254740000 ZERO']));
  await refused(dir, p1, VIX_E_DISK_INVALIDDISK, /extent.*(large|range|bytes)/, { memory: true });
  const p2 = join(disk, 'b.vmdk');
  await writeFile(p2, descriptorText(['RW 1 FLAT "x.bin" 9007199254740000']));
  await refused(dir, p2, VIX_E_DISK_INVALIDDISK, /extent.*(large|range|bytes)/);
});

test('extent named by an absolute path: refused unless outside paths are allowed', async () => {
  const { dir, disk } = await caseDir();
  const outside = join(dir, 'outside.bin');
  const data = pattern(42, 2 * SECTOR);
  await writeFile(outside, data);
  const p1 = join(disk, 'a.vmdk');
  await writeFile(p1, descriptorText(['RW 2 FLAT "/etc/passwd" 0']));
  await refused(dir, p1, VIX_E_FILE_ACCESS_ERROR, /outside the disk's folder/);
  const p2 = join(disk, 'b.vmdk');
  await writeFile(p2, descriptorText([`RW 2 FLAT "${outside}" 0`]));
  await refused(dir, p2, VIX_E_FILE_ACCESS_ERROR, /outside the disk's folder/);
  await works(dir, p2, data, { allowOutsidePaths: true });
});

test('extent name climbing out with ../: refused unless outside paths are allowed', async () => {
  const { dir, disk } = await caseDir();
  const data = pattern(43, 2 * SECTOR);
  await writeFile(join(dir, 'outside.bin'), data);
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(['RW 2 FLAT "../outside.bin" 0']));
  await refused(dir, p, VIX_E_FILE_ACCESS_ERROR, /outside the disk's folder/);
  const p2 = join(disk, 'e.vmdk');
  await writeFile(p2, descriptorText(['RW 2 FLAT "sub/../../outside.bin" 0']));
  await refused(dir, p2, VIX_E_FILE_ACCESS_ERROR, /outside the disk's folder/);
  await works(dir, p, data, { allowOutsidePaths: true });
});

test('missing extent file: file not found', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptorText(['RW 2 FLAT "gone-flat.vmdk" 0']));
  await refused(dir, p, VIX_E_FILE_NOT_FOUND, /gone-flat\.vmdk/);
});

test('extent, disk or parent that is a FIFO: refused at once, never a blocked open', async () => {
  const { dir, disk } = await caseDir();
  await promisify(execFile)('mkfifo', [join(disk, 'pipe')]);
  const p1 = join(disk, 'a.vmdk');
  await writeFile(p1, descriptorText(['RW 2 FLAT "pipe" 0']));
  await refused(dir, p1, VIX_E_DISK_INVALIDDISK, /not a file/);
  await refused(dir, join(disk, 'pipe'), VIX_E_DISK_INVALIDDISK, /not a file/);
  const child = await copyOf(T.plain, disk, 'child.vmdk');
  await rewriteEmbeddedDescriptor(child, (t) => t.replace(/^createType=.*$/m, (l) => `${l}\nparentFileNameHint="pipe"`));
  await refused(dir, child, VIX_E_DISK_OPENPARENT, /pipe/);
});

// ---- chains -------------------------------------------------------------------------------------

test('child whose parent is missing: cannot open parent', async () => {
  const { dir, disk } = await caseDir();
  const base = await copyOf(T.base, disk, 'base.vmdk');
  const child = join(disk, 'child.vmdk');
  await createChild(child, base);
  await unlink(base);
  await refused(dir, child, VIX_E_DISK_OPENPARENT, /parent "base\.vmdk" was not found/);
});

test('child whose parent changed (CID mismatch): CID mismatch', async () => {
  const { dir, disk } = await caseDir();
  const base = await copyOf(T.base, disk, 'base.vmdk');
  const child = join(disk, 'child.vmdk');
  await createChild(child, base);
  const b = await VmdkDisk.open(base);
  await b.write(0, Buffer.alloc(SECTOR, 1)); // the first write gives the base a new CID
  await b.close();
  await refused(dir, child, VIX_E_DISK_CID_MISMATCH, /parentCID [0-9a-f]{8} does not match the CID/);
});

test('parent cycle: a child naming itself', async () => {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.plain, disk, 'self.vmdk');
  const cid = Descriptor.parse(await embeddedText(p)).cid;
  await rewriteEmbeddedDescriptor(p, (t) => t
    .replace(/^parentCID=.*$/m, `parentCID=${cid.toString(16).padStart(8, '0')}`)
    .replace(/^createType=.*$/m, (l) => `${l}\nparentFileNameHint="self.vmdk"`));
  await refused(dir, p, VIX_E_DISK_OPENPARENT, /loops back/);
});

test('parent cycle: A -> B -> A', async () => {
  const { dir, disk } = await caseDir();
  const a = await copyOf(T.plain, disk, 'a.vmdk');
  const b = await copyOf(T.plain, disk, 'b.vmdk');
  const link = async (from: string, to: string, cid: string, parentCid: string) => rewriteEmbeddedDescriptor(from, (t) => t
    .replace(/^CID=.*$/m, `CID=${cid}`)
    .replace(/^parentCID=.*$/m, `parentCID=${parentCid}`)
    .replace(/^createType=.*$/m, (l) => `${l}\nparentFileNameHint="${to}"`));
  await link(a, 'b.vmdk', '0000000a', '0000000b');
  await link(b, 'a.vmdk', '0000000b', '0000000a');
  await refused(dir, a, VIX_E_DISK_OPENPARENT, /loops back/);
});

test(`chain deeper than MAX_CHAIN_DEPTH (${MAX_CHAIN_DEPTH}): too many redo logs; at the limit it opens`, async () => {
  const { dir, disk } = await caseDir();
  // Tiny links (64 KiB capacity, one grain) made from one template by rewriting the descriptor area.
  const template = join(dir, 'template.vmdk');
  const descriptorFor = (i: number) => Descriptor.create({
    cid: 0x1000 + i,
    parentCid: i === 0 ? 0xffffffff : 0x1000 + i - 1,
    createType: 'monolithicSparse',
    ...(i === 0 ? {} : { parentFileNameHint: `l${i - 1}.vmdk` }),
    extents: [{ access: 'RW', sizeSectors: 128, type: 'SPARSE', fileName: `l${i}.vmdk` }],
    ddb: [],
  });
  await writeSparseExtentFile(template, 128, 128, false, descriptorFor(0));
  const bytes = await readFile(template);
  await unlink(template);
  for (let i = 0; i <= MAX_CHAIN_DEPTH; i++) {
    bytes.fill(0, SECTOR, 21 * SECTOR);
    descriptorFor(i).toBytes().copy(bytes, SECTOR);
    await writeFile(join(disk, `l${i}.vmdk`), bytes);
  }
  // Opening 256 links is ~2500 file operations (~0.3 s alone), and locking them ~3000 more
  // (directories made and removed, block/disk-lock.ts): the guard here is 6 s, still far from a
  // hang, so a busy machine does not fail the case.
  const chainMs = 6 * HANG_MS;
  // MAX_CHAIN_DEPTH links, l(MAX-1) down to l0: opens and reads (zeros all the way down).
  const content = await within(openAndRead(join(disk, `l${MAX_CHAIN_DEPTH - 1}.vmdk`), { readOnly: true }, chainMs), 'open+read', chainMs);
  assert.ok(content?.equals(Buffer.alloc(GRAIN)));
  // One more link: refused, read-only, read-write and by checkDisk.
  await refused(dir, join(disk, `l${MAX_CHAIN_DEPTH}.vmdk`), VIX_E_DISK_TOOMANYREDO, /deeper than/, { hangMs: chainMs });
});

// ---- streamOptimized ----------------------------------------------------------------------------

async function streamCase(): Promise<{ dir: string; p: string; bytes: Buffer; grains: Map<number, { sector: number; size: number }>; items: ReturnType<typeof streamItems> }> {
  const { dir, disk } = await caseDir();
  const p = await copyOf(T.stream, disk, 's.vmdk');
  const bytes = await readFile(p);
  const items = streamItems(bytes, 128);
  const grains = new Map<number, { sector: number; size: number }>();
  for (const it of items) if (it.kind === 'grain') grains.set(Number(it.lba) / 128, { sector: it.sector, size: it.size });
  assert.ok(grains.size >= 6, 'the stream fixture has its grains');
  return { dir, p, bytes, grains, items };
}

/** Reading `bad` fails with `code`; the other data grains read right; checkDisk reports it. */
async function badGrain(dir: string, p: string, bad: number, message: RegExp): Promise<void> {
  const before = await hashTree(dir);
  const disk = await within(VmdkDisk.open(p, { readOnly: true }), 'open');
  try {
    const buf = Buffer.alloc(GRAIN);
    assertVixError(await failure(disk.read(bad * GRAIN, buf), 'read'), VIX_E_DISK_NEEDSREPAIR, message, `read of grain ${bad}`);
    for (const g of [0, 1, 2, 5, 17, 31].filter((x) => x !== bad)) {
      await within(disk.read(g * GRAIN, buf), 'read');
      assert.ok(buf.equals(streamContent.subarray(g * GRAIN, (g + 1) * GRAIN)), `grain ${g} reads wrong`);
    }
  } finally {
    await disk.close();
  }
  await unreadable(dir, p, VIX_E_DISK_NEEDSREPAIR, message);
  assert.deepEqual(await hashTree(dir), before);
}

test('streamOptimized: bad deflate data in one grain', async () => {
  const { dir, p, grains } = await streamCase();
  const g = grains.get(2)!;
  // Payload bytes 4..40 of grain 2's zlib stream overwritten; its 2-byte zlib header is left.
  await writeBytes(p, g.sector * SECTOR + 12 + 4, Buffer.alloc(36, 0xa5));
  await badGrain(dir, p, 2, /grain 2: .*(inflate|inflates)/);
});

test('streamOptimized: grain record whose LBA does not match its slot', async () => {
  const { dir, p, grains } = await streamCase();
  await writeU64(p, grains.get(5)!.sector * SECTOR, 17n * 128n); // record lba: grain 17's, in grain 5's slot
  await badGrain(dir, p, 5, /grain 5: .*claims LBA 2176/);
});

test('streamOptimized: grain record size 0', async () => {
  const { dir, p, grains } = await streamCase();
  await writeU32(p, grains.get(5)!.sector * SECTOR + 8, 0); // record size
  await badGrain(dir, p, 5, /grain 5: .*invalid size 0/);
});

test('streamOptimized: grain record size of 2 grains', async () => {
  const { dir, p, grains } = await streamCase();
  await writeU32(p, grains.get(5)!.sector * SECTOR + 8, 2 * GRAIN); // record size
  await badGrain(dir, p, 5, /grain 5: .*invalid size 131072/);
});

test('streamOptimized: GT marker with a gigantic val and no footer (scan path): needs repair', async () => {
  const { dir, p, items } = await streamCase();
  const gt = items.find((i) => i.kind === 'marker' && i.type === 1)!;
  const footer = items.find((i) => i.kind === 'marker' && i.type === 3)!;
  await writeU64(p, gt.sector * SECTOR, 2n ** 60n); // GT marker val (sectors that follow)
  await writeU32(p, footer.sector * SECTOR + 12, 9); // footer marker type 3 -> 9: no footer found
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /marker at sector \d+ claims/);
});

test('streamOptimized: bytes after the EOS marker: read by scanning, content intact', async () => {
  const { dir, p } = await streamCase();
  await appendFile(p, Buffer.alloc(700, 0xee)); // junk after EOS: the footer is no longer at EOF-1024
  const report = await works(dir, p, streamContent);
  assert.ok(report.warnings.some((w) => /scanning/.test(w)), 'checkDisk should say it scanned');
});

test('streamOptimized: footer with a wrong magic: read by scanning, content intact', async () => {
  const { dir, p, bytes } = await streamCase();
  await writeBytes(p, bytes.length - 2 * SECTOR, Buffer.from('XDMV')); // footer header magic
  await works(dir, p, streamContent);
});

test('streamOptimized: footer pointing its grain directory past the end: needs repair', async () => {
  const { dir, p, bytes } = await streamCase();
  await writeU64(p, bytes.length - 2 * SECTOR + HDR.gdOffset, 7_000_000n); // footer gdOffset
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory at sector 7000000/);
});

test('streamOptimized without footer claiming 2^41 sectors: refused, the directory is not built in memory', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 's.vmdk');
  const capacitySectors = 2 ** 41; // 1 PiB: 2^25 directory entries, 128 MiB if allocated
  const record = Buffer.alloc(SECTOR * 4);
  const payload = deflateSync(Buffer.alloc(GRAIN, 7));
  record.writeBigUInt64LE(0n, 0);
  record.writeUInt32LE(payload.length, 8);
  payload.copy(record, 12);
  const recordSectors = Math.ceil((12 + payload.length) / SECTOR);
  await buildSparse(p, (128 + recordSectors + 1) * SECTOR, {
    version: 3, flags: FLAG_VALID_NEWLINE | FLAG_COMPRESSED | FLAG_MARKERS, capacitySectors, descriptorOffsetSectors: 1,
    descriptorSizeSectors: 20, gdOffsetSectors: -1, overheadSectors: 128, compressAlgorithm: 1,
  }, [[SECTOR, embedded('streamOptimized', capacitySectors, 's.vmdk')], [128 * SECTOR, record.subarray(0, recordSectors * SECTOR)]]);
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain directory/, { memory: true });
});

test('streamOptimized with 256 MiB grains and a zlib bomb: refused, never inflated', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 's.vmdk');
  const grainSectors = 2 ** 19; // 256 MiB per grain
  const bomb = zlibZeros(grainSectors * SECTOR); // ~1.7 MB that inflates to 256 MiB
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(0n, 0);
  head.writeUInt32LE(bomb.length, 8);
  const recordSectors = Math.ceil((12 + bomb.length) / SECTOR);
  await buildSparse(p, (128 + recordSectors + 1) * SECTOR, {
    version: 3, flags: FLAG_VALID_NEWLINE | FLAG_COMPRESSED | FLAG_MARKERS, capacitySectors: grainSectors,
    grainSizeSectors: grainSectors, descriptorOffsetSectors: 1, descriptorSizeSectors: 20, gdOffsetSectors: -1,
    overheadSectors: 128, compressAlgorithm: 1,
  }, [[SECTOR, embedded('streamOptimized', grainSectors, 's.vmdk')], [128 * SECTOR, head], [128 * SECTOR + 12, bomb]]);
  await refused(dir, p, VIX_E_DISK_INVALIDDISK, /grain size/, { memory: true });
});

test('streamOptimized without footer, grains in thousands of 128 KiB-table regions: refused, bounded memory', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 's.vmdk');
  // 32768 entries per table and 1-sector grains: each 1-sector record in its own region would make
  // the scan build a 128 KiB table, 250 MiB from a 1 MiB file.
  const regions = 2000;
  const gtes = 32768;
  const capacitySectors = regions * gtes;
  const payload = deflateSync(Buffer.alloc(SECTOR));
  const records = Buffer.alloc(regions * SECTOR);
  for (let k = 0; k < regions; k++) {
    records.writeBigUInt64LE(BigInt(k * gtes), k * SECTOR); // lba: first grain of region k
    records.writeUInt32LE(payload.length, k * SECTOR + 8);
    payload.copy(records, k * SECTOR + 12);
  }
  await buildSparse(p, (128 + regions + 1) * SECTOR, {
    version: 3, flags: FLAG_VALID_NEWLINE | FLAG_COMPRESSED | FLAG_MARKERS, capacitySectors, grainSizeSectors: 1,
    numGTEsPerGT: gtes, descriptorOffsetSectors: 1, descriptorSizeSectors: 20, gdOffsetSectors: -1, overheadSectors: 128,
    compressAlgorithm: 1,
  }, [[SECTOR, embedded('streamOptimized', capacitySectors, 's.vmdk')], [128 * SECTOR, records]]);
  await refused(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain-table regions/, { memory: true });
});

test('streamOptimized: a read over a bad grain and a damaged grain table rejects once, nothing left unhandled', async () => {
  const { dir, disk } = await caseDir();
  const p = join(disk, 's.vmdk');
  // Two grain-table regions (32 MiB each): grain 511 ends the first, 512 and 600 are in the second.
  const { content } = await makeStream(p, 64 * MiB, [0, 511, 512, 600]);
  const bytes = await readFile(p);
  const items = streamItems(bytes, 128);
  const g511 = items.find((i) => i.kind === 'grain' && i.lba === 511n * 128n)!;
  const gtMarkers = items.filter((i) => i.kind === 'marker' && i.type === 1);
  assert.equal(gtMarkers.length, 2);
  await writeBytes(p, g511.sector * SECTOR + 12 + 4, Buffer.alloc(36, 0xa5)); // grain 511: deflate data damaged
  await writeU32(p, (gtMarkers[1]!.sector + 1) * SECTOR + (600 - 512) * 4, 9_000_000); // GT 1, entry of grain 600: past EOF
  const before = await hashTree(dir);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
  process.on('unhandledRejection', onUnhandled);
  try {
    const d = await within(VmdkDisk.open(p, { readOnly: true }), 'open');
    try {
      // One read that starts inflating grain 511, then loads table 1, which fails.
      const err = await failure(d.read(31 * MiB, Buffer.alloc(2 * MiB)), 'read');
      assertVixError(err, VIX_E_DISK_NEEDSREPAIR, /grain (511|600)/, 'read over both');
      const buf = Buffer.alloc(GRAIN);
      await d.read(0, buf); // the disk still works where it is intact
      assert.ok(buf.equals(content.subarray(0, GRAIN)));
    } finally {
      await d.close();
    }
    await new Promise((r) => setTimeout(r, 100)); // let any stray rejection surface
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, [], 'a rejection was left unhandled');
  await unreadable(dir, p, VIX_E_DISK_NEEDSREPAIR, /grain (511|600)/);
  assert.deepEqual(await hashTree(dir), before);
});

// ---- fuzz ---------------------------------------------------------------------------------------

const FUZZ_ITERATIONS = Number(process.env.VIXDISK_FUZZ_ITERATIONS ?? 200);

async function fuzz(template: string, seed: number, pick: (r: () => number, size: number) => number): Promise<{ ok: number; refused: Map<number, number> }> {
  const { disk } = await caseDir();
  const good = await readFile(template);
  const p = join(disk, 'f.vmdk');
  const r = rng(seed);
  const codes = new Map<number, number>();
  let ok = 0;
  for (let i = 0; i < FUZZ_ITERATIONS; i++) {
    const mutant = Buffer.from(good);
    const flips = 1 + (r() % 4);
    const where: string[] = [];
    for (let k = 0; k < flips; k++) {
      const off = pick(r, mutant.length);
      const value = r() & 0xff;
      where.push(`${off}=${value}`);
      mutant[off] = value;
    }
    await writeFile(p, mutant);
    const what = `mutant ${i} (seed ${seed}; ${where.join(', ')})`;
    const readOnly = i % 2 === 0;
    const err = await failure((async () => {
      await openAndRead(p, { readOnly });
      const report = await checkDisk(p);
      for (const pr of report.problems) assert.ok(!/[\r\n]/.test(pr.message), `${what}: problem message is not one line`);
    })(), what);
    if (err === null) {
      ok++;
    } else {
      assert.ok(err instanceof VixError, `${what}: threw a non-VixError: ${err instanceof Error ? err.stack : String(err)}`);
      assert.ok(!/[\r\n]/.test(err.message), `${what}: message is not one line: ${JSON.stringify(err.message)}`);
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
    assert.ok((await readFile(p)).equals(mutant), `${what}: the file changed`);
  }
  return { ok, refused: codes };
}

test(`fuzz: ${FUZZ_ITERATIONS} mutants of a monolithicSparse (bytes in the first 64 KiB)`, async (t) => {
  const { disk } = await caseDir();
  // Small grains, so the first 64 KiB holds header, descriptor, both directories, all tables and grains.
  const p = join(disk, 'fuzz-sparse.vmdk');
  await makeSparse(p, 6 * MiB, [0, 1, 7, 300, 511, 512, 700], 16);
  const result = await fuzz(p, 0x5eed, (r, size) => r() % Math.min(size, 64 * KiB));
  reportFuzz(t, result);
});

test(`fuzz: ${FUZZ_ITERATIONS} mutants of a streamOptimized (header and descriptor, records, tables, footer)`, async (t) => {
  const { disk } = await caseDir();
  const p = join(disk, 'fuzz-stream.vmdk');
  await makeStream(p, 2 * MiB, [0, 1, 3, 8, 30]);
  // Half the flips in the first 11 KiB (header + descriptor), half in the records and metadata after
  // overHead (the first 64 KiB of a stream is mostly padding).
  const result = await fuzz(p, 0xbeef, (r, size) => (r() & 1 ? r() % (11 * KiB) : 64 * KiB + (r() % (size - 64 * KiB))));
  reportFuzz(t, result);
});

/** Say how the mutants fared; with enough of them, some must still work and some must be refused. */
function reportFuzz(t: TestContext, result: { ok: number; refused: Map<number, number> }): void {
  const refusedCount = [...result.refused.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`${result.ok} mutants worked; refused: ${[...result.refused].map(([code, n]) => `${code} x${n}`).join(', ') || 'none'}`);
  assert.equal(result.ok + refusedCount, FUZZ_ITERATIONS);
  if (FUZZ_ITERATIONS >= 50) {
    assert.ok(result.ok > 0, 'no mutant opened: the fuzz only exercises the first check');
    assert.ok(refusedCount > 0, 'no mutant was refused: the mutations do not reach anything checked');
  }
}

// ---- small helpers used above -------------------------------------------------------------------

async function makeLayout(p: string): Promise<{ header: SparseHeader; gd: number[] }> {
  const header = await readHeader(p);
  const numGd = Math.ceil(header.capacitySectors / (header.numGTEsPerGT * header.grainSizeSectors));
  const gd: number[] = [];
  for (let i = 0; i < numGd; i++) gd.push(await readU32(p, header.gdOffsetSectors * SECTOR + i * 4));
  return { header, gd };
}

async function embeddedText(p: string): Promise<string> {
  const bytes = await readFile(p);
  const area = bytes.subarray(SECTOR, 21 * SECTOR);
  const nul = area.indexOf(0);
  return area.subarray(0, nul < 0 ? area.length : nul).toString('utf8');
}
