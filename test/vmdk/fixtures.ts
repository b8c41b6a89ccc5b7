import { createHash } from 'node:crypto';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDisk, createDiskDevice } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { decodeSparseHeader, type SparseHeader } from '../../src/vmdk/sparse-header.js';
import { xorshift32 } from '../support/xorshift.js';

// Building good VMDK files and damaging them byte by byte, for the bad-input tests. Offsets of the
// header fields are those of vmdk-format.md 2.1; stream records and markers those of 3.2 and 3.3.

export const SECTOR = 512;

/** Byte offsets of the hosted sparse header fields (vmdk-format 2.1). */
export const HDR = {
  magic: 0, version: 4, flags: 8, capacity: 12, grainSize: 20, descriptorOffset: 28, descriptorSize: 36,
  numGTEsPerGT: 44, rgdOffset: 48, gdOffset: 56, overHead: 64, uncleanShutdown: 72, newline: 73, compressAlgorithm: 77,
} as const;

/** Deterministic xorshift32 (unsigned 32-bit values). */
export const rng = xorshift32;

/** A recognisable, partly compressible pattern for grain `index` (so misplaced grains show). */
export function pattern(index: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const next = rng(index * 7919 + 17);
  for (let i = 0; i < length; i += 4) {
    // Every other 4 KiB block random, the rest a repeated tag: deflate has something to do.
    const v = (i >> 12) & 1 ? next() : (0x5a000000 | index) >>> 0;
    b.writeUInt32LE(v, i);
  }
  return b;
}

export async function writeU32(path: string, offset: number, value: number): Promise<void> {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  await writeBytes(path, offset, b);
}

export async function writeU64(path: string, offset: number, value: bigint): Promise<void> {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  await writeBytes(path, offset, b);
}

export async function writeBytes(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

export async function readU32(path: string, offset: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, offset);
    return b.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

export async function header(path: string): Promise<SparseHeader> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(SECTOR);
    await fh.read(b, 0, SECTOR, 0);
    return decodeSparseHeader(b, path);
  } finally {
    await fh.close();
  }
}

/** SHA-256 of every regular file under `dir` (FIFOs and the like are skipped: reading one blocks). */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const st = await lstat(p);
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) out.set(p, createHash('sha256').update(await readFile(p)).digest('hex'));
    }
  };
  await walk(dir);
  return out;
}

/**
 * A monolithicSparse disk made by the engine, with `grains` (grain index -> contents) written.
 * Returns the header and the primary grain directory/table sectors.
 */
export async function makeSparse(path: string, capacity: number, grains: number[], grainSizeSectors = 128): Promise<{
  header: SparseHeader;
  gd: number[];
  grainBytes: number;
  content: Buffer;
}> {
  await createDisk(path, { capacity, type: 'monolithicSparse', grainSizeSectors });
  const grainBytes = grainSizeSectors * SECTOR;
  const content = Buffer.alloc(capacity);
  const disk = await VmdkDisk.open(path);
  try {
    for (const g of grains) {
      const data = pattern(g, grainBytes);
      data.copy(content, g * grainBytes);
      await disk.write(g * grainBytes, data);
    }
  } finally {
    await disk.close();
  }
  const h = await header(path);
  const numGd = Math.ceil(h.capacitySectors / (h.numGTEsPerGT * h.grainSizeSectors));
  const gd: number[] = [];
  for (let i = 0; i < numGd; i++) gd.push(await readU32(path, h.gdOffsetSectors * SECTOR + i * 4));
  return { header: h, gd, grainBytes, content };
}

/** Byte offset of the grain table entry of `grain` in the primary table. */
export function gteOffset(layout: { header: SparseHeader; gd: number[] }, grain: number): number {
  const n = layout.header.numGTEsPerGT;
  return layout.gd[Math.floor(grain / n)]! * SECTOR + (grain % n) * 4;
}

/** A canonical streamOptimized disk (our writer: header GD_AT_END, markers, footer, EOS). */
export async function makeStream(path: string, capacity: number, grains: number[]): Promise<{ content: Buffer }> {
  const content = Buffer.alloc(capacity);
  for (const g of grains) pattern(g, 64 * 1024).copy(content, g * 64 * 1024);
  const dev = await createDiskDevice(path, { capacity, type: 'streamOptimized' });
  for (let off = 0; off < capacity; off += 1 << 20) {
    await dev.write(off, content.subarray(off, Math.min(capacity, off + (1 << 20))));
  }
  await dev.close();
  return { content };
}

export type StreamItem =
  | { kind: 'grain'; sector: number; lba: bigint; size: number }
  | { kind: 'marker'; sector: number; type: number; val: bigint };

/** Walk a stream's records and markers from overHead to EOS (vmdk-format 3.2, 3.3). */
export function streamItems(bytes: Buffer, overheadSectors: number): StreamItem[] {
  const items: StreamItem[] = [];
  let sector = overheadSectors;
  while ((sector + 1) * SECTOR <= bytes.length) {
    const off = sector * SECTOR;
    const val = bytes.readBigUInt64LE(off);
    const size = bytes.readUInt32LE(off + 8);
    if (size === 0) {
      const type = bytes.readUInt32LE(off + 12);
      items.push({ kind: 'marker', sector, type, val });
      if (type === 0) break;
      sector += 1 + Number(val);
    } else {
      items.push({ kind: 'grain', sector, lba: val, size });
      sector += Math.ceil((12 + size) / SECTOR);
    }
  }
  return items;
}

/** Rewrite the embedded descriptor of a monolithic file in place (NUL-padded to its area). */
export async function rewriteEmbeddedDescriptor(path: string, edit: (text: string) => string): Promise<void> {
  const h = await header(path);
  const fh = await open(path, 'r+');
  try {
    const area = Buffer.alloc(h.descriptorSizeSectors * SECTOR);
    await fh.read(area, 0, area.length, h.descriptorOffsetSectors * SECTOR);
    const nul = area.indexOf(0);
    const text = edit(area.subarray(0, nul < 0 ? area.length : nul).toString('utf8'));
    const out = Buffer.alloc(area.length);
    if (Buffer.byteLength(text) >= out.length) throw new Error('descriptor does not fit');
    out.write(text, 'utf8');
    await fh.write(out, 0, out.length, h.descriptorOffsetSectors * SECTOR);
  } finally {
    await fh.close();
  }
}

/** Descriptor text for a separate descriptor file. */
export function descriptorText(extents: string[], extra: string[] = [], createType = 'monolithicFlat'): string {
  return [
    '# Disk DescriptorFile', 'version=1', 'encoding="UTF-8"', 'CID=fffffffe', 'parentCID=ffffffff',
    `createType="${createType}"`, ...extra, '', '# Extent description', ...extents, '', '# The Disk Data Base', '#DDB', '',
    'ddb.adapterType = "ide"', '',
  ].join('\n');
}

/**
 * A zlib stream that inflates to `length` zero bytes, built by hand (fixed Huffman: one literal 0,
 * then matches of length 258 at distance 1), so a gigantic grain costs milliseconds to make.
 */
export function zlibZeros(length: number): Buffer {
  const out: number[] = [0x78, 0x01];
  let acc = 0;
  let bits = 0;
  const put = (value: number, n: number) => { // LSB-first, as deflate packs bits
    acc |= value << bits;
    bits += n;
    while (bits >= 8) { out.push(acc & 0xff); acc >>>= 8; bits -= 8; }
  };
  const putCode = (code: number, n: number) => { // Huffman codes go MSB-first
    let r = 0;
    for (let i = 0; i < n; i++) r |= ((code >> i) & 1) << (n - 1 - i);
    put(r, n);
  };
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE = 01, fixed Huffman
  putCode(0x30, 8); // literal 0
  let left = length - 1;
  while (left >= 258) { // length 258: code 285 (8 bits 11000101), distance 1: code 0
    putCode(0xc5, 8);
    putCode(0, 5);
    left -= 258;
  }
  while (left > 0) { putCode(0x30, 8); left--; } // the rest as literals
  putCode(0, 7); // end of block (256)
  if (bits > 0) put(0, 8 - bits);
  const adler = ((length % 65521) * 65536 + 1) >>> 0; // adler32 of `length` zeros: a = 1, b = length
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(adler);
  return Buffer.concat([Buffer.from(out), tail]);
}

/** Write a file whose content is given in pieces at offsets (zeros elsewhere). */
export async function writeSparseFile(path: string, size: number, pieces: Array<[number, Uint8Array]>): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    for (const [off, bytes] of pieces) await fh.write(bytes, 0, bytes.length, off);
  } finally {
    await fh.close();
  }
}
