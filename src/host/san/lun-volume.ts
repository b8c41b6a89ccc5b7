import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readAt, writeAt } from '../../block/file-io.js';
import { syncFolder } from '../../vmdk/replace-file.js';
import type { ExtentVolume, VolumeExtent } from '../../vmdk/extent-volume.js';
import { crc32 } from '../cbt/crc32.js';

// The simulator's LUN (docs/san.md): one local file standing for the SCSI device a VMFS datastore
// sits on. Its first MiB holds two metadata slots (ours, not VMFS): the LUN's NAA id, its size and
// the file table — which extent file of the datastore occupies which bytes of the LUN. A change
// writes the slot not holding the newest copy and syncs it, so a process killed at any moment
// leaves one valid table (the newer one if its write completed). Data starts at 1 MiB and is
// handed out in 1 MiB units (VMFS's block size), first fit; a range is only ever allocated for a
// file the next table commit records, so a killed allocation is free again at the next open.

const MAGIC = Buffer.from('VXSANLUN', 'latin1');
const SLOT_BYTES = 512 * 1024;
const SLOT_HEADER = 32;
/** Where data begins: the two slots come first. */
export const LUN_DATA_START = 2 * SLOT_BYTES;
/** Allocation unit: VMFS's 1 MB file block. */
export const LUN_BLOCK = 1 << 20;
export const MAX_LUN_BYTES = 64 * 2 ** 40;

export interface LunFileEntry {
  offsetBytes: number;
  lengthBytes: number;
}

interface LunTable {
  naa: string;
  sizeBytes: number;
  /** Datastore-relative path of an extent file -> its bytes on the LUN. */
  files: Record<string, LunFileEntry>;
}

/** `naa.6000c29` and 25 hex digits: the form VMware gives its virtual SCSI disks (32 hex digits). */
export function newNaa(): string {
  return `naa.6000c29${randomBytes(13).toString('hex').slice(0, 25)}`;
}

export function isNaa(text: string): boolean {
  return /^naa\.[0-9a-f]{32}$/.test(text);
}

function encodeSlot(table: LunTable, sequence: number): Buffer {
  const json = Buffer.from(JSON.stringify(table));
  if (SLOT_HEADER + json.length > SLOT_BYTES) throw new Error(`the LUN's file table (${json.length} bytes) no longer fits its ${SLOT_BYTES}-byte slot`);
  const slot = Buffer.alloc(SLOT_HEADER + json.length);
  MAGIC.copy(slot, 0);
  slot.writeUInt32LE(1, 8);
  slot.writeUInt32LE(json.length, 12);
  slot.writeBigUInt64LE(BigInt(sequence), 16);
  slot.writeUInt32LE(crc32(json), 24);
  json.copy(slot, SLOT_HEADER);
  return slot;
}

function decodeSlot(bytes: Buffer): { table: LunTable; sequence: number } | undefined {
  if (!bytes.subarray(0, 8).equals(MAGIC) || bytes.readUInt32LE(8) !== 1) return undefined;
  const length = bytes.readUInt32LE(12);
  if (length > SLOT_BYTES - SLOT_HEADER) return undefined;
  const json = bytes.subarray(SLOT_HEADER, SLOT_HEADER + length);
  if (crc32(json) !== bytes.readUInt32LE(24)) return undefined;
  try {
    const table = JSON.parse(json.toString('utf8')) as LunTable;
    if (!isNaa(table.naa) || !Number.isSafeInteger(table.sizeBytes) || typeof table.files !== 'object' || table.files === null) return undefined;
    for (const e of Object.values(table.files)) {
      if (!Number.isSafeInteger(e.offsetBytes) || !Number.isSafeInteger(e.lengthBytes) || e.offsetBytes < LUN_DATA_START
          || e.lengthBytes < 0 || e.offsetBytes + e.lengthBytes > table.sizeBytes) return undefined;
    }
    return { table, sequence: Number(bytes.readBigUInt64LE(16)) };
  } catch {
    return undefined;
  }
}

export class LunVolume implements ExtentVolume {
  private constructor(
    /** The LUN file. */
    readonly path: string,
    private readonly fh: FileHandle,
    private table: LunTable,
    private sequence: number,
  ) {}

  get naa(): string {
    return this.table.naa;
  }

  get sizeBytes(): number {
    return this.table.sizeBytes;
  }

  /** Make a new, empty LUN file of `sizeBytes` (sparse): written aside, synced, renamed into place. */
  static async create(path: string, sizeBytes: number, naa = newNaa()): Promise<LunVolume> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < LUN_DATA_START + LUN_BLOCK || sizeBytes > MAX_LUN_BYTES) {
      throw new Error(`a LUN must hold ${LUN_DATA_START + LUN_BLOCK}..${MAX_LUN_BYTES} bytes, not ${sizeBytes}`);
    }
    const aside = `${path}.creating`;
    const fh = await open(aside, 'w', 0o600);
    try {
      // Sequence n lives in slot n % 2: a commit always writes the slot not holding the newest copy.
      await writeAt(fh, encodeSlot({ naa, sizeBytes, files: {} }, 1), SLOT_BYTES);
      await fh.truncate(sizeBytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(aside, path);
    await syncFolder(dirname(path));
    return LunVolume.open(path);
  }

  /** Open a LUN file: the newer valid slot wins; none valid is one line naming the file. */
  static async open(path: string): Promise<LunVolume> {
    await rm(`${path}.creating`, { force: true });
    const fh = await open(path, 'r+');
    try {
      const slots = Buffer.alloc(2 * SLOT_BYTES);
      await readAt(fh, slots, 0);
      const a = decodeSlot(slots.subarray(0, SLOT_BYTES));
      const b = decodeSlot(slots.subarray(SLOT_BYTES));
      const best = a && b ? (a.sequence >= b.sequence ? a : b) : a ?? b;
      if (!best) throw new Error(`${path} is not a vixdisk LUN (no valid metadata slot)`);
      const size = (await fh.stat()).size;
      if (size < best.table.sizeBytes) throw new Error(`${path} is ${size} bytes, shorter than the ${best.table.sizeBytes} its metadata gives`);
      return new LunVolume(path, fh, best.table, best.sequence);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  entry(relativePath: string): LunFileEntry | undefined {
    return Object.hasOwn(this.table.files, relativePath) ? this.table.files[relativePath] : undefined;
  }

  get entries(): Array<[string, LunFileEntry]> {
    return Object.entries(this.table.files);
  }

  /** Bytes no file holds (for the datastore's freeSpace). */
  get freeBytes(): number {
    const used = Object.values(this.table.files).reduce((sum, e) => sum + roundUp(e.lengthBytes), 0);
    return this.table.sizeBytes - LUN_DATA_START - used;
  }

  /** First fit: the lowest range of whole blocks, after the metadata, that no file holds. */
  allocate(lengthBytes: number): number {
    const want = roundUp(Math.max(lengthBytes, 1));
    const taken = Object.values(this.table.files).map((e) => [e.offsetBytes, e.offsetBytes + roundUp(e.lengthBytes)] as const)
      .sort((x, y) => x[0] - y[0]);
    let at = LUN_DATA_START;
    for (const [start, end] of taken) {
      if (start - at >= want) break;
      at = Math.max(at, end);
    }
    if (at + want > this.table.sizeBytes) {
      throw new Error(`the LUN ${this.naa} has no ${want} contiguous free bytes (${this.freeBytes} free of ${this.table.sizeBytes})`);
    }
    return at;
  }

  /** Record `relativePath` at `entry` (or remove it with undefined) and make the table durable. */
  async commit(relativePath: string, entry: LunFileEntry | undefined): Promise<void> {
    const files = { ...this.table.files };
    if (entry) files[relativePath] = entry;
    else delete files[relativePath];
    const table = { ...this.table, files };
    const sequence = this.sequence + 1;
    await this.fh.datasync(); // data written into a new range is durable before the table names it
    await writeAt(this.fh, encodeSlot(table, sequence), (sequence % 2) * SLOT_BYTES);
    await this.fh.datasync();
    this.table = table;
    this.sequence = sequence;
  }

  /** Write bytes of the LUN (filling a freshly allocated range). */
  async writeAt(data: Uint8Array, offsetBytes: number): Promise<void> {
    await writeAt(this.fh, data, offsetBytes);
  }

  async openExtent(relativePath: string, writable: boolean): Promise<VolumeExtent | undefined> {
    const e = this.entry(relativePath);
    if (!e) return undefined;
    return { fh: await open(this.path, writable ? 'r+' : 'r'), offsetBytes: e.offsetBytes, lengthBytes: e.lengthBytes };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function roundUp(n: number): number {
  return Math.ceil(n / LUN_BLOCK) * LUN_BLOCK;
}
