import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { rejectsWith } from './rejects-with.js';

// Byte-by-byte ESXi snapshot files, built from the format descriptions (vmdk-format.md sections 6
// and 7, QEMU block/vmdk.c) because no tool on this machine writes them: a flat base, a vmfsSparse
// (COWD) redo log and a seSparse delta, each with a descriptor. Every field written is named.

export const SECTOR = 512;
export const BASE_BYTE = 0xbb;

/**
 * A base disk of `sectors`: `base.vmdk` + `base-flat.vmdk`, every byte BASE_BYTE; or, with `filled`
 * false, `base.vmdk` alone with a ZERO extent (for tests where the parent's bytes do not matter:
 * no large file to write and hash).
 */
export async function writeFlatBase(dir: string, sectors: number, filled = true, cid = 0x11111111): Promise<string> {
  if (filled) await writeFile(join(dir, 'base-flat.vmdk'), Buffer.alloc(sectors * SECTOR, BASE_BYTE));
  const desc = [
    '# Disk DescriptorFile', 'version=1', `CID=${cid.toString(16)}`, 'parentCID=ffffffff', 'createType="vmfs"',
    '', '# Extent description', filled ? `RW ${sectors} VMFS "base-flat.vmdk"` : `RW ${sectors} ZERO`, '',
    '# The Disk Data Base', '#DDB', '', 'ddb.adapterType = "lsilogic"', '',
  ].join('\n');
  await writeFile(join(dir, 'base.vmdk'), desc);
  return join(dir, 'base.vmdk');
}

/** The descriptor ESXi writes for a snapshot delta. */
export async function writeDeltaDescriptor(dir: string, name: string, fields: {
  createType: 'vmfsSparse' | 'seSparse'; extentType: 'VMFSSPARSE' | 'SESPARSE'; extentFile: string; sectors: number;
  cid: number; parentCid: number; parentHint: string;
}): Promise<string> {
  const desc = [
    '# Disk DescriptorFile', 'version=1', 'encoding="UTF-8"', `CID=${fields.cid.toString(16)}`, `parentCID=${fields.parentCid.toString(16)}`,
    `createType="${fields.createType}"`, `parentFileNameHint="${fields.parentHint}"`,
    '', '# Extent description', `RW ${fields.sectors} ${fields.extentType} "${fields.extentFile}"`, '',
    '# The Disk Data Base', '#DDB', '', ...(fields.createType === 'seSparse' ? ['ddb.grain = "8"'] : []), '',
  ].join('\n');
  await writeFile(join(dir, name), desc);
  return join(dir, name);
}

// ---- COWD ---------------------------------------------------------------------------------------

/**
 * A COWD redo log over a 8192-sector (4 MiB) disk with 1-sector grains, as ESXi lays one out:
 *   sectors 0..3   header (2048 bytes)
 *   sector  4      grain directory: numGDEntries = ceil(8192 / 4096) = 2 u32 entries
 *   sectors 5..36  grain table 0 (4096 u32 entries), GD[0] = 5; GD[1] = 0 (no table)
 *   sector  37     grain for disk sector 10, filled with 0x01
 *   sector  38     grain for disk sector 11, filled with 0x02
 *   sector  39     grain for disk sector 4095 (last of table 0), filled with 0x03
 *   freeSector = 40 (the file is 40 sectors long)
 */
export const COWD_FIXTURE = {
  sectors: 8192,
  grains: new Map<number, number>([[10, 0x01], [11, 0x02], [4095, 0x03]]),
  fileSectors: 40,
};

export function cowdFixtureBytes(): Buffer {
  const f = Buffer.alloc(COWD_FIXTURE.fileSectors * SECTOR);
  f.writeUInt32LE(0x44574f43, 0); //    magic "COWD"
  f.writeUInt32LE(1, 4); //             version 1
  f.writeUInt32LE(3, 8); //             flags 3 (what ESXi writes)
  f.writeUInt32LE(8192, 12); //         numSectors (capacity)
  f.writeUInt32LE(1, 16); //            grainSize: 1 sector
  f.writeUInt32LE(4, 20); //            gdOffset: sector 4, right after the header
  f.writeUInt32LE(2, 24); //            numGDEntries
  f.writeUInt32LE(40, 28); //           freeSector
  // 32..1059: parentFileName[1024] + parentGeneration (unused by ESXi since 3.x): zeros
  f.writeUInt32LE(0, 1060); //          generation
  // 1064: name[60], 1124: description[512]: zeros
  f.writeUInt32LE(0, 1636); //          savedGeneration
  f.writeUInt32LE(0, 1648); //          uncleanShutdown (a u32)
  f.writeUInt32LE(5, 4 * SECTOR); //    GD[0] = sector 5; GD[1] stays 0
  const gt = 5 * SECTOR;
  f.writeUInt32LE(37, gt + 10 * 4); //  GT0[10] -> sector 37
  f.writeUInt32LE(38, gt + 11 * 4); //  GT0[11] -> sector 38
  f.writeUInt32LE(39, gt + 4095 * 4); // GT0[4095] -> sector 39
  f.fill(0x01, 37 * SECTOR, 38 * SECTOR);
  f.fill(0x02, 38 * SECTOR, 39 * SECTOR);
  f.fill(0x03, 39 * SECTOR, 40 * SECTOR);
  return f;
}

/** base.vmdk (flat, BASE_BYTE) + snap.vmdk (vmfsSparse) + snap-delta.vmdk (the COWD bytes). */
export async function writeCowdFixture(dir: string, bytes = cowdFixtureBytes(), descriptorSectors = COWD_FIXTURE.sectors): Promise<string> {
  await writeFlatBase(dir, COWD_FIXTURE.sectors);
  await writeFile(join(dir, 'snap-delta.vmdk'), bytes);
  return writeDeltaDescriptor(dir, 'snap.vmdk', {
    createType: 'vmfsSparse', extentType: 'VMFSSPARSE', extentFile: 'snap-delta.vmdk', sectors: descriptorSectors,
    cid: 0x22222222, parentCid: 0x11111111, parentHint: 'base.vmdk',
  });
}

/** What the COWD fixture chain reads: the base everywhere but the three grains of the log. */
export function cowdFixtureExpected(offset: number, buf: Uint8Array): void {
  buf.fill(BASE_BYTE);
  for (const [sector, value] of COWD_FIXTURE.grains) {
    const s = Math.max(offset, sector * SECTOR);
    const e = Math.min(offset + buf.length, (sector + 1) * SECTOR);
    if (s < e) buf.fill(value, s - offset, e - offset);
  }
}

// ---- seSparse -----------------------------------------------------------------------------------

/**
 * A seSparse delta over a 65536-sector (32 MiB) disk: two grain tables' worth (16 MiB each).
 * A compact layout (not ESXi's 1 MiB-aligned one; QEMU does not care where regions are):
 *   sector 0          constant header
 *   sector 1          volatile header: free_gt_number = 2, replay_journal = 0
 *   sectors 2..3      journal header; 4..7 journal (zeros: never read)
 *   sector 8          grain directory: 64 u64 entries, 2 in use by the capacity
 *   sectors 16..207   grain tables region: 3 tables of 64 sectors (indices 0, 1, 2)
 *   sectors 208..215  free bitmap; 216..407 backmap (zeros: never read)
 *   sectors 408..     grains region: 8192 grains of 8 sectors (one per grain of the disk)
 * GD[0] = 0x10000000_00000001 (table index 1, at sector 16 + 64 = 80); GD[1] = 0 (no table).
 * Table 1 maps:
 *   grain 0 -> type 3, grain index 2                     (data 0xc2)
 *   grain 1 -> type 2, zero grain                        (reads zeros)
 *   grain 2 -> type 1, unmapped, was grain index 0       (reads zeros, not the 0xc0 left behind)
 *   grain 3 -> type 0                                    (reads the parent)
 *   grain 4 -> type 3, grain index 4097 = 0x1001, bit-shuffled: 0x3001000000000001 (data 0xc4)
 * Grains present in the grains region: index 0 (0xc0), 2 (0xc2), 4097 (0xc4); the file ends after
 * index 4097 (the space between is a hole).
 */
export const SESPARSE_FIXTURE = {
  sectors: 65536,
  gdSector: 8,
  gtRegionSector: 16,
  gtRegionSectors: 192,
  grainsSector: 408,
  volatileSector: 1,
  table1Sector: 16 + 64,
  fileSectors: 408 + 4098 * 8,
};

function putU64(f: Buffer, off: number, hi: number, lo: number): void {
  f.writeUInt32LE(lo >>> 0, off);
  f.writeUInt32LE(hi >>> 0, off + 4);
}

/**
 * The metadata part of the seSparse fixture (sectors 0..407: headers, directory, tables); the
 * grains are written apart by writeSeSparseFixture so the 17 MB file stays sparse.
 */
export function seSparseFixtureMetadata(): Buffer {
  const X = SESPARSE_FIXTURE;
  const f = Buffer.alloc(X.grainsSector * SECTOR);
  // Constant header, all u64.
  putU64(f, 0, 0, 0xcafebabe); //              magic
  putU64(f, 8, 2, 1); //                       version 2.1
  putU64(f, 16, 0, X.sectors); //              capacity
  putU64(f, 24, 0, 8); //                      grain_size
  putU64(f, 32, 0, 64); //                     grain_table_size
  // 40 flags, 48..79 reserved1..4: zero
  const region = (off: number, at: number, size: number) => { putU64(f, off, 0, at); putU64(f, off + 8, 0, size); };
  region(80, 1, 1); //                         volatile header
  region(96, 2, 2); //                         journal header
  region(112, 4, 4); //                        journal
  region(128, X.gdSector, 1); //               grain directory
  region(144, X.gtRegionSector, X.gtRegionSectors); // grain tables
  region(160, 208, 8); //                      free bitmap
  region(176, 216, 192); //                    backmap
  region(192, X.grainsSector, X.sectors); //   grains
  // 208..511 pad: zero
  // Volatile header.
  const v = X.volatileSector * SECTOR;
  putU64(f, v, 0, 0xcafecafe); //              magic
  putU64(f, v + 8, 0, 2); //                   free_gt_number: tables 0 and 1 handed out
  // v+16 next_txn_seq_number, v+24 replay_journal, pad: zero
  putU64(f, X.gdSector * SECTOR, 0x10000000, 1); // GD[0]: allocated, table index 1
  const t = X.table1Sector * SECTOR;
  putU64(f, t + 0 * 8, 0x30020000, 0); //      grain 0: type 3, index 2 (low 12 bits of the index at bit 48)
  putU64(f, t + 1 * 8, 0x20000000, 0); //      grain 1: zero grain
  putU64(f, t + 2 * 8, 0x10000000, 0); //      grain 2: unmapped, previous index 0
  // grain 3: entry 0, unallocated
  putU64(f, t + 4 * 8, 0x30010000, 1); //      grain 4: index 0x1001 = low 12 bits 0x001 at bit 48, the rest (1) in bits 0..47
  return f;
}

/** The grains of the fixture: index in the grains region, byte value. */
export const SESPARSE_FIXTURE_GRAINS: Array<[number, number]> = [[0, 0xc0], [2, 0xc2], [4097, 0xc4]];

/** base.vmdk (flat) + snap.vmdk (seSparse) + snap-sesparse.vmdk. `patch` edits the metadata first. */
export async function writeSeSparseFixture(dir: string, patch?: (meta: Buffer) => void, filledBase = true): Promise<string> {
  const X = SESPARSE_FIXTURE;
  await writeFlatBase(dir, X.sectors, filledBase);
  const meta = seSparseFixtureMetadata();
  patch?.(meta);
  const fh = await open(join(dir, 'snap-sesparse.vmdk'), 'w');
  try {
    await fh.truncate(X.fileSectors * SECTOR);
    await fh.write(meta, 0, meta.length, 0);
    for (const [index, value] of SESPARSE_FIXTURE_GRAINS) {
      await fh.write(Buffer.alloc(4096, value), 0, 4096, (X.grainsSector + index * 8) * SECTOR);
    }
  } finally {
    await fh.close();
  }
  return writeDeltaDescriptor(dir, 'snap.vmdk', {
    createType: 'seSparse', extentType: 'SESPARSE', extentFile: 'snap-sesparse.vmdk', sectors: X.sectors,
    cid: 0x33333333, parentCid: 0x11111111, parentHint: 'base.vmdk',
  });
}

/** What the seSparse fixture chain reads. */
export function seSparseFixtureExpected(offset: number, buf: Uint8Array): void {
  const G = 4096;
  const grains: Array<[number, number]> = [[0, 0xc2], [1, 0], [2, 0], [4, 0xc4]];
  buf.fill(BASE_BYTE);
  for (const [g, value] of grains) {
    const s = Math.max(offset, g * G);
    const e = Math.min(offset + buf.length, (g + 1) * G);
    if (s < e) buf.fill(value, s - offset, e - offset);
  }
}

// ---- helpers ------------------------------------------------------------------------------------

/** SHA-256 of each file, to show a refused open changed nothing. */
export async function hashFiles(paths: string[]): Promise<string[]> {
  return Promise.all(paths.map(async (p) => createHash('sha256').update(await readFile(p)).digest('hex')));
}

/**
 * A bad snapshot is refused read-only and read-write alike, at open or (onRead) at the first read of
 * `readLength` bytes, with `code` and a message matching `pattern`; memory stays bounded whatever
 * the file claims, and none of `files` changes. Returns the files' hashes from before.
 */
export async function assertRefusedUnchanged(snap: string, files: string[], c: { code: number; pattern: RegExp; onRead?: boolean }, readLength: number): Promise<string[]> {
  const before = await hashFiles(files);
  const buffersBefore = process.memoryUsage().arrayBuffers;
  for (const readOnly of [true, false]) {
    if (c.onRead) {
      const disk = await VmdkDisk.open(snap, { readOnly });
      try {
        await rejectsWith(disk.read(0, new Uint8Array(readLength)), c.code, c.pattern);
      } finally {
        await disk.close();
      }
    } else {
      await rejectsWith(VmdkDisk.open(snap, { readOnly }), c.code, c.pattern);
    }
  }
  assert.ok(process.memoryUsage().arrayBuffers - buffersBefore < 64 << 20, 'memory stays bounded whatever the header claims');
  assert.deepEqual(await hashFiles(files), before, 'the files are unchanged');
  return before;
}

/** Overwrite bytes of a file in place. */
export async function patchFile(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

export function u64(hi: number, lo: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(lo >>> 0, 0);
  b.writeUInt32LE(hi >>> 0, 4);
  return b;
}
