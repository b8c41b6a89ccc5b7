import { access, realpath } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { DiskLock } from '../block/disk-lock.js';
import { checkRange, mergeExtents, type BlockDevice, type BlockStatusExtent } from '../block/block-device.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import {
  VIX_E_DISK_CID_MISMATCH, VIX_E_DISK_OPENPARENT, VIX_E_DISK_TOOMANYREDO, VIX_E_FILE_READ_ONLY, VIX_E_INVALID_ARG,
} from '../errors/error-codes.js';
import { ChainBudget } from './chain-budget.js';
import { formatCid } from './descriptor.js';
import type { ExtentRun } from './extent.js';
import { VmdkLink, type LinkOpenOptions } from './link.js';
import { SECTOR } from './sparse-header.js';

// A VMDK disk: a chain of links, the opened one on top, each child's parentCID matching its
// parent's CID. Reads fall through holes to the parent; writes go to the top link.

/** Deeper chains than this are refused (VMware's own limit on snapshot depth is far lower). */
export const MAX_CHAIN_DEPTH = 255;

export interface DiskOpenOptions extends LinkOpenOptions {
  /** Open only the named link; holes read as zeros ("not in this link"). VixDiskLib's SINGLE_LINK. */
  singleLink?: boolean;
  /**
   * Open a chain whose links' CIDs disagree, instead of refusing it with 16008. Only for finishing
   * a consolidation a crash interrupted (vmdk/commit.ts): a lower link may already hold what was
   * committed into it, which changed its CID, and the chain still reads the same data.
   */
  acceptCidMismatch?: boolean;
}

export interface DiskInfo {
  path: string;
  createType: string;
  capacity: number;
  capacitySectors: number;
  adapterType: string | null;
  geometry: { cylinders: number; heads: number; sectors: number } | null;
  biosGeometry: { cylinders: number; heads: number; sectors: number } | null;
  hwVersion: string | null;
  cid: string;
  parentCid: string;
  uuid: string | null;
  parentFileNameHint: string | null;
  extents: Array<{ access: string; sizeSectors: number; type: string; fileName: string | null; path: string | null; offsetSectors: number | null }>;
  chain: Array<{ path: string; createType: string; cid: string; parentCid: string }>;
}

export class VmdkDisk implements BlockDevice {
  readonly canZero = true;
  private closed = false;
  /** A device below the base link (VixDiskLib_Attach puts a parent handle's disk here). */
  private backing: BlockDevice | null = null;

  private constructor(
    /** links[0] is the opened (top) link, links[n-1] the base. */
    readonly links: VmdkLink[],
    readonly readOnly: boolean,
    readonly singleLink: boolean,
    /** The shared lock on the parents' files (the top link holds its own). */
    private readonly parentLock: DiskLock,
  ) {}

  get capacity(): number {
    return this.links[0]!.capacity;
  }

  get top(): VmdkLink {
    return this.links[0]!;
  }

  get path(): string {
    return this.top.path;
  }

  static async open(path: string, options: DiskOpenOptions = {}): Promise<VmdkDisk> {
    const readOnly = options.readOnly ?? false;
    const links: VmdkLink[] = [];
    const seen = new Set<string>();
    const budget = new ChainBudget();
    // Parents are locked shared while the next ones are found and opened: a deep chain does not
    // pay its links' lock round trips one after another. All are held before the disk is returned.
    const parentLock = new DiskLock('shared');
    const locking: Array<Promise<void>> = [];
    try {
      let link = await VmdkLink.open(path, { ...options, chainBudget: budget });
      links.push(link);
      seen.add(await realpath(link.path));
      while (!options.singleLink) {
        const hint = link.descriptor.parentFileNameHint;
        if (hint === undefined || hint === '') break;
        if (links.length >= MAX_CHAIN_DEPTH) {
          throw new VixError(VIX_E_DISK_TOOMANYREDO, `${path}: the chain is deeper than ${MAX_CHAIN_DEPTH} links`);
        }
        const parentPath = await locateParent(link.folder, hint);
        if (!parentPath) {
          throw new VixError(VIX_E_DISK_OPENPARENT, `${link.path}: parent "${hint}" was not found`);
        }
        const real = await realpath(parentPath);
        if (seen.has(real)) {
          throw new VixError(VIX_E_DISK_OPENPARENT, `${link.path}: parent "${hint}" loops back into the chain`);
        }
        seen.add(real);
        let parent: VmdkLink;
        try {
          parent = await VmdkLink.open(parentPath, { ...options, readOnly: true, chainBudget: budget, lock: false });
        } catch (err) {
          // A chain past its whole-chain bound is refused as such, not as a parent that cannot open.
          if (budget.refusal) throw new VixError(budget.refusal.code, `${path}: ${budget.refusal.message} (link ${links.length + 1}, ${parentPath}); refused`);
          const e = toVixError(err, parentPath);
          throw new VixError(VIX_E_DISK_OPENPARENT, `${link.path}: cannot open parent ${parentPath}: ${e.message}`, { cause: e });
        }
        links.push(parent);
        if (options.lock ?? true) locking.push(parentLock.add(...parent.files));
        if (!options.acceptCidMismatch && link.descriptor.parentCid !== parent.descriptor.cid) {
          throw new VixError(VIX_E_DISK_CID_MISMATCH,
            `${link.path}: parentCID ${formatCid(link.descriptor.parentCid)} does not match the CID ${formatCid(parent.descriptor.cid)} of its parent ${parent.path}`);
        }
        link = parent;
      }
      const failed = (await Promise.allSettled(locking)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await Promise.allSettled(locking);
      await Promise.all(links.map((l) => l.close().catch(() => undefined)));
      await parentLock.release();
      throw err;
    }
    return new VmdkDisk(links, readOnly, options.singleLink ?? false, parentLock);
  }

  async read(offset: number, buffer: Uint8Array): Promise<void> {
    this.checkOpen();
    checkRange(this.capacity, offset, buffer.length);
    await this.readFrom(0, offset, buffer);
  }

  /** Read the chain from link `level` down (holes fall through; below the base, zeros). */
  private async readFrom(level: number, offset: number, buffer: Uint8Array): Promise<void> {
    const link = this.links[level];
    if (!link) {
      const b = this.backing;
      if (!b) {
        buffer.fill(0);
        return;
      }
      const inBacking = Math.max(0, Math.min(buffer.length, b.capacity - offset));
      if (inBacking < buffer.length) buffer.fill(0, inBacking);
      if (inBacking > 0) await b.read(offset, buffer.subarray(0, inBacking));
      return;
    }
    // A parent smaller than its child reads as zeros past its end (QEMU allows such chains).
    const inLink = Math.max(0, Math.min(buffer.length, link.capacity - offset));
    if (inLink < buffer.length) buffer.fill(0, inLink);
    if (inLink === 0) return;
    const absent = await link.read(offset, buffer.subarray(0, inLink));
    if (absent.length === 0) return;
    await Promise.all(absent.map((a) => this.readFrom(level + 1, offset + a.offset, buffer.subarray(a.offset, a.offset + a.length))));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    this.checkOpen();
    this.checkWritable();
    checkRange(this.capacity, offset, data.length);
    if (data.length === 0) return;
    this.top.assertWritable(offset, data.length);
    await this.top.beforeFirstWrite(offset, data.length);
    await this.top.write(offset, data, (o, b) => this.readFrom(1, o, b));
  }

  async zero(offset: number, length: number): Promise<void> {
    this.checkOpen();
    this.checkWritable();
    checkRange(this.capacity, offset, length);
    if (length === 0) return;
    this.top.assertWritable(offset, length);
    await this.top.beforeFirstWrite(offset, length);
    await this.top.zero(offset, length, this.links.length > 1 || this.backing !== null, (o, b) => this.readFrom(1, o, b));
  }

  async flush(): Promise<void> {
    this.checkOpen();
    if (!this.readOnly) await this.top.flush();
  }

  /**
   * Block status of the whole chain: data stored in some link is allocated; a run no link holds is
   * an unallocated hole that reads as zeros; a zeroed grain reads as zeros and hides its parent.
   */
  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    this.checkOpen();
    checkRange(this.capacity, offset, length);
    const out: BlockStatusExtent[] = [];
    await this.statusFrom(0, offset, length, out);
    out.sort((a, b) => a.offset - b.offset);
    return mergeExtents(out);
  }

  private async statusFrom(level: number, offset: number, length: number, out: BlockStatusExtent[]): Promise<void> {
    const link = this.links[level];
    if (!link && this.backing && offset < this.backing.capacity) {
      const inBacking = Math.min(length, this.backing.capacity - offset);
      out.push(...await this.backing.blockStatus(offset, inBacking));
      if (inBacking < length) out.push({ offset: offset + inBacking, length: length - inBacking, allocated: false, zero: true });
      return;
    }
    if (!link || offset >= link.capacity) {
      out.push({ offset, length, allocated: false, zero: true });
      return;
    }
    const inLink = Math.min(length, link.capacity - offset);
    if (inLink < length) out.push({ offset: offset + inLink, length: length - inLink, allocated: false, zero: true });
    for (const r of await link.status(offset, inLink)) {
      if (r.state === 'data') out.push({ offset: r.offset, length: r.length, allocated: true, zero: false });
      else if (r.state === 'zero') out.push({ offset: r.offset, length: r.length, allocated: false, zero: true });
      else await this.statusFrom(level + 1, r.offset, r.length, out);
    }
  }

  /** Put `device` below the base link: holes of the chain now read from it. The disk closes it. */
  attachBacking(device: BlockDevice): void {
    this.checkOpen();
    this.backing = device;
  }

  get hasBacking(): boolean {
    return this.backing !== null;
  }

  /** What one link (0 = top) holds for [offset, offset+length): data, zero or absent runs. */
  async linkStatus(level: number, offset: number, length: number): Promise<ExtentRun[]> {
    this.checkOpen();
    checkRange(this.capacity, offset, length);
    const link = this.links[level];
    if (!link) throw new VixError(VIX_E_DISK_OPENPARENT, `the chain has no link ${level}`);
    const inLink = Math.max(0, Math.min(length, link.capacity - offset));
    const runs = inLink > 0 ? await link.status(offset, inLink) : [];
    if (inLink < length) runs.push({ offset: offset + inLink, length: length - inLink, state: 'absent' });
    return runs;
  }

  info(): DiskInfo {
    const d = this.top.descriptor;
    const num = (k: string): number | null => {
      const v = d.getDdb(k);
      return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
    };
    const geo = (prefix: string) => {
      const c = num(`${prefix}cylinders`), h = num(`${prefix}heads`), s = num(`${prefix}sectors`);
      return c !== null && h !== null && s !== null ? { cylinders: c, heads: h, sectors: s } : null;
    };
    return {
      path: this.path,
      createType: d.createType,
      capacity: this.capacity,
      capacitySectors: this.capacity / SECTOR,
      adapterType: d.getDdb('ddb.adapterType') ?? null,
      geometry: geo('ddb.geometry.'),
      biosGeometry: geo('ddb.geometry.bios'),
      hwVersion: d.getDdb('ddb.virtualHWVersion') ?? null,
      cid: formatCid(d.cid),
      parentCid: formatCid(d.parentCid),
      uuid: d.getDdb('ddb.uuid') ?? null,
      parentFileNameHint: d.parentFileNameHint ?? null,
      extents: this.top.extents.map((e) => ({
        access: e.line.access,
        sizeSectors: e.line.sizeSectors,
        type: e.line.type,
        fileName: e.line.fileName ?? null,
        path: e.path ?? null,
        offsetSectors: e.line.offsetSectors ?? null,
      })),
      chain: this.links.map((l) => ({
        path: l.path,
        createType: l.descriptor.createType,
        cid: formatCid(l.descriptor.cid),
        parentCid: formatCid(l.descriptor.parentCid),
      })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const l of this.links) await l.close().catch((e) => errors.push(e));
    await this.parentLock.release();
    if (this.backing) await this.backing.close().catch((e) => errors.push(e));
    if (errors.length) throw toVixError(errors[0], this.path);
  }

  private checkOpen(): void {
    if (this.closed) throw new VixError(VIX_E_INVALID_ARG, `${this.path} is closed`);
  }

  private checkWritable(): void {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path} is open read-only`);
  }
}

/**
 * Find a parent from its hint: relative to the child's folder; an absolute or Windows path that does
 * not exist here is tried by its base name beside the child (disks copied from another host).
 */
export async function locateParent(childFolder: string, hint: string): Promise<string | null> {
  const unixHint = hint.replace(/\\/g, '/');
  const candidates: string[] = [];
  if (!/^[A-Za-z]:\//.test(unixHint)) candidates.push(isAbsolute(unixHint) ? unixHint : resolve(childFolder, unixHint));
  const base = basename(unixHint);
  candidates.push(resolve(childFolder, base));
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

