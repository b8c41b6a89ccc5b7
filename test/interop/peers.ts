import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import type { BlockDevice } from '../../src/block/block-device.js';
import { xorshift32 } from '../support/xorshift.js';

// What the interop tests share: finding the peer tools (qemu-img, qemu-io, vmdkinfo, ...), running
// them, a deterministic data generator, temporary folders, and byte-for-byte device comparison.

const SECTOR = 512;
const GRAIN = 64 << 10;

const found = new Map<string, Promise<boolean>>();

/** Whether an executable named `name` is on PATH. */
export function onPath(name: string): Promise<boolean> {
  let p = found.get(name);
  if (!p) {
    p = (async () => {
      for (const dir of (process.env.PATH ?? '').split(delimiter)) {
        if (!dir) continue;
        try {
          await access(join(dir, name), fsConstants.X_OK);
          return true;
        } catch {
          // next folder
        }
      }
      return false;
    })();
    found.set(name, p);
  }
  return p;
}

/**
 * Ask for peer tools. All on PATH: true. One missing: with VIXDISK_REQUIRE_PEERS=1 (CI) the test
 * fails; otherwise it is skipped with a message and false comes back (the caller returns).
 */
export async function requirePeer(t: TestContext, names: string | string[]): Promise<boolean> {
  for (const name of Array.isArray(names) ? names : [names]) {
    if (await onPath(name)) continue;
    if (process.env.VIXDISK_REQUIRE_PEERS === '1') {
      assert.fail(`${name} is required (VIXDISK_REQUIRE_PEERS=1) but not installed`);
    }
    t.skip(`${name} not installed: install it (Debian: ${debianPackage(name)}) to run this interop test`);
    return false;
  }
  return true;
}

/**
 * A peer that only adds a cross-check to a test that runs anyway: true when on PATH. Missing: with
 * VIXDISK_REQUIRE_PEERS=1 the test fails; otherwise it says so and goes on without the check.
 */
export async function optionalPeer(t: TestContext, name: string): Promise<boolean> {
  if (await onPath(name)) return true;
  if (process.env.VIXDISK_REQUIRE_PEERS === '1') assert.fail(`${name} is required (VIXDISK_REQUIRE_PEERS=1) but not installed`);
  t.diagnostic(`${name} not installed (Debian: ${debianPackage(name)}): checking without it`);
  return false;
}

function debianPackage(name: string): string {
  if (name.startsWith('qemu-')) return 'qemu-utils';
  if (name === 'vmdkinfo') return 'libvmdk-utils';
  if (name === 'nbdinfo' || name === 'nbdcopy') return 'libnbd-bin';
  if (name === 'certtool') return 'gnutls-bin';
  return name;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when the process was killed (timeout or signal). */
  code: number | null;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
}

/** Run a command; never throws for a non-zero exit (look at `code`), only for a failure to start. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, {
      timeout: options.timeoutMs ?? 60_000,
      cwd: options.cwd,
      maxBuffer: 64 << 20,
      env: { ...process.env, LC_ALL: 'C' },
    }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(err);
        return;
      }
      const code = err ? ((err as { code?: number | null }).code ?? null) : 0;
      resolvePromise({ stdout: String(stdout), stderr: String(stderr), code: typeof code === 'number' ? code : null });
    });
  });
}

/** Run a command that must succeed; the assertion message carries the command and its stderr. */
export async function runOk(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

/** What `qemu-img info --output json` says about an image (the fields the tests use). */
export interface QemuInfo {
  'virtual-size': number;
  format: string;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'format-specific'?: {
    type: string;
    data: {
      cid?: number;
      'parent-cid'?: number;
      'create-type'?: string;
      extents?: Array<{ 'virtual-size': number; filename: string; format: string; compressed?: boolean }>;
    };
  };
}

export async function qemuInfo(path: string): Promise<QemuInfo> {
  const r = await runOk('qemu-img', ['info', '--output', 'json', path]);
  return JSON.parse(r.stdout) as QemuInfo;
}

/** The info of every image of a chain, top first (`qemu-img info --backing-chain`). */
export async function qemuChainInfo(path: string): Promise<QemuInfo[]> {
  const r = await runOk('qemu-img', ['info', '--backing-chain', '--output', 'json', path]);
  return JSON.parse(r.stdout) as QemuInfo[];
}

/** One run of `qemu-img map --output json`. */
export interface QemuMapEntry {
  start: number;
  length: number;
  depth: number;
  present?: boolean;
  zero: boolean;
  data: boolean;
}

export async function qemuMap(path: string): Promise<QemuMapEntry[]> {
  const r = await runOk('qemu-img', ['map', '--output', 'json', path]);
  return JSON.parse(r.stdout) as QemuMapEntry[];
}

/** What one link holds per grain: data, a zeroed grain (GTE 1) or nothing. */
export type GrainState = 'data' | 'zero' | 'absent';

/**
 * Per-grain state of the top image as QEMU maps it: depth 0 with data is 'data', depth 0 zero
 * without data is a zeroed grain, anything from deeper (or not present) is 'absent'.
 */
export function grainStatesOfQemuMap(map: QemuMapEntry[], capacity: number, grainSize = 64 << 10): GrainState[] {
  const out = new Array<GrainState>(Math.ceil(capacity / grainSize)).fill('absent');
  for (const e of map) {
    const present = e.present ?? e.data;
    const state: GrainState = e.depth !== 0 || !present ? 'absent' : e.data ? 'data' : 'zero';
    for (let g = Math.floor(e.start / grainSize); g < Math.ceil((e.start + e.length) / grainSize); g++) out[g] = state;
  }
  return out;
}

/** What VmdkDisk offers for per-link status (kept structural so this file needs no engine import). */
export interface LinkStatusSource {
  readonly capacity: number;
  linkStatus(level: number, offset: number, length: number): Promise<Array<{ offset: number; length: number; state: GrainState }>>;
}

/** Per-grain state of one link (0 = top) as vixdisk reports it (VmdkDisk.linkStatus). */
export async function grainStatesOfLink(disk: LinkStatusSource, level = 0, grainSize = 64 << 10): Promise<GrainState[]> {
  const out = new Array<GrainState>(Math.ceil(disk.capacity / grainSize)).fill('absent');
  for (const r of await disk.linkStatus(level, 0, disk.capacity)) {
    assert.equal(r.offset % grainSize, 0, `a status run starts inside a grain (${r.offset})`);
    for (let g = r.offset / grainSize; g < Math.ceil((r.offset + r.length) / grainSize); g++) out[g] = r.state;
  }
  return out;
}

export function assertGrainStates(got: GrainState[], want: GrainState[], what: string, grainSize = 64 << 10): void {
  assert.equal(got.length, want.length, `${what}: grain count`);
  for (let g = 0; g < want.length; g++) {
    if (got[g] !== want[g]) assert.fail(`${what}: grain ${g} (byte ${g * grainSize}) is ${got[g]}, expected ${want[g]}`);
  }
}

/** vixdisk's allocation map of the top link equals `qemu-img map` of the same file. */
export async function assertAllocationMatchesQemu(disk: LinkStatusSource, path: string, what: string): Promise<void> {
  const ours = await grainStatesOfLink(disk);
  const theirs = grainStatesOfQemuMap(await qemuMap(path), disk.capacity);
  assertGrainStates(ours, theirs, `${what}: vixdisk linkStatus vs qemu-img map`);
}

/** A CID as our descriptor code prints it (8 lowercase hex digits). */
export function cidHex(cid: number): string {
  return (cid >>> 0).toString(16).padStart(8, '0');
}

/** A fresh temporary folder; remove it with removeTempDir in after(). */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `vixdisk-interop-${prefix}-`));
}

export function removeTempDir(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

// ---- deterministic data ------------------------------------------------------------------------

export type BlockKind = 'zero' | 'text' | 'random';

const WORDS = ['disk', 'sector', 'grain', 'table', 'virtual', 'machine', 'the', 'of', 'data', '\n', 'log:', 'ok',
  'extent', 'descriptor', 'CID', 'snapshot', '0x1f', '#'];

/** Seeded xorshift32 producing zeros, text-like and random blocks: the same seed, the same bytes. */
export class DataGenerator {
  /** The next unsigned 32-bit value. */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = xorshift32(seed);
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 2 ** 32) * n);
  }

  fill(buf: Uint8Array, kind: BlockKind): Uint8Array {
    if (kind === 'zero') {
      buf.fill(0);
    } else if (kind === 'text') {
      const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
      let p = 0;
      while (p < b.length) p += b.write(WORDS[this.next() % WORDS.length]! + ' ', p);
    } else {
      const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
      let p = 0;
      for (; p + 4 <= buf.length; p += 4) v.setUint32(p, this.next(), true);
      for (; p < buf.length; p++) buf[p] = this.next() & 0xff;
    }
    return buf;
  }

  block(length: number, kind: BlockKind): Buffer {
    return this.fill(Buffer.alloc(length), kind) as Buffer;
  }

  /** Mixed data: each `pieceSize` piece is zeros, text or random (never all zeros overall). */
  mixed(length: number, pieceSize = 64 << 10): Buffer {
    const out = Buffer.alloc(length);
    const kinds: BlockKind[] = ['zero', 'text', 'random'];
    for (let p = 0, i = 0; p < length; p += pieceSize, i++) {
      const kind = i === 0 ? 'random' : kinds[this.next() % 3]!;
      this.fill(out.subarray(p, Math.min(length, p + pieceSize)), kind);
    }
    return out;
  }
}

// ---- expected contents -------------------------------------------------------------------------

/** What a disk should hold: zeros except for the writes recorded here, later ones winning. */
export class ExpectedDisk {
  private readonly writes: Array<{ offset: number; data: Uint8Array | null; length: number }> = [];
  constructor(readonly capacity: number) {}

  write(offset: number, data: Uint8Array): void {
    this.writes.push({ offset, data, length: data.length });
  }

  /** A run filled with one byte value (qemu-io `write -P`). */
  pattern(offset: number, length: number, value: number): void {
    this.write(offset, Buffer.alloc(length, value));
  }

  zero(offset: number, length: number): void {
    this.writes.push({ offset, data: null, length });
  }

  /** Fill `buf` with the expected bytes at [offset, offset + buf.length). */
  fill(offset: number, buf: Uint8Array): void {
    buf.fill(0);
    const end = offset + buf.length;
    for (const w of this.writes) {
      const s = Math.max(offset, w.offset);
      const e = Math.min(end, w.offset + w.length);
      if (s >= e) continue;
      if (w.data) buf.set(w.data.subarray(s - w.offset, e - w.offset), s - offset);
      else buf.fill(0, s - offset, e - offset);
    }
  }

  /** Whether some recorded write touches [offset, offset + length). */
  touches(offset: number, length: number): boolean {
    return this.writes.some((w) => w.offset < offset + length && offset < w.offset + w.length);
  }

  /** Byte ranges some write (data or zero) touched, sorted and merged. */
  touched(): Array<{ offset: number; length: number }> {
    const r = this.writes.map((w) => ({ offset: w.offset, length: w.length })).sort((a, b) => a.offset - b.offset);
    const out: Array<{ offset: number; length: number }> = [];
    for (const x of r) {
      const last = out[out.length - 1];
      if (last && x.offset <= last.offset + last.length) {
        last.length = Math.max(last.length, x.offset + x.length - last.offset);
      } else out.push({ ...x });
    }
    return out;
  }
}

/** Where two equal-length buffers first differ, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Fills `buf` with the bytes expected at [offset, offset + buf.length). */
export type ExpectedBytes = (offset: number, buf: Uint8Array) => Promise<void> | void;

/**
 * Read the whole device and compare it with what is expected, chunk by chunk; fails at the first
 * differing byte with its offset and both values.
 */
export async function assertDeviceContents(dev: BlockDevice, expected: ExpectedBytes | ExpectedDisk, what: string,
  chunkSize = 1 << 20): Promise<void> {
  const got = Buffer.alloc(chunkSize);
  const want = Buffer.alloc(chunkSize);
  const zeros = Buffer.alloc(chunkSize);
  for (let off = 0; off < dev.capacity; off += chunkSize) {
    const n = Math.min(chunkSize, dev.capacity - off);
    const g = got.subarray(0, n);
    let w = want.subarray(0, n);
    await dev.read(off, g);
    if (expected instanceof ExpectedDisk) {
      // Most of a large sparse disk is untouched: compare with zeros without building them.
      if (expected.touches(off, n)) expected.fill(off, w);
      else w = zeros.subarray(0, n);
    } else {
      await expected(off, w);
    }
    const d = firstDifference(g, w);
    if (d >= 0) {
      assert.fail(`${what}: byte ${off + d} (sector ${Math.floor((off + d) / SECTOR)}) reads 0x${g[d]!.toString(16)}, ` +
        `expected 0x${w[d]!.toString(16)}`);
    }
  }
}

/**
 * For sparse disks too large to read whole in a test's budget: every 4 MiB region that a write touches or
 * that borders one of `points` (extent splits) is read whole and compared; everywhere else block
 * status must report an unallocated zero run, and 64 sampled grains there must read as zeros.
 */
export async function assertDeviceRegions(dev: BlockDevice, model: ExpectedDisk, points: number[], what: string): Promise<void> {
  const REGION = 4 << 20;
  const regions = new Set<number>();
  for (const r of model.touched()) {
    for (let i = Math.floor(r.offset / REGION); i <= Math.floor((r.offset + r.length - 1) / REGION); i++) regions.add(i);
  }
  for (const p of points) {
    if (p > 0 && p < dev.capacity) regions.add(Math.floor((p - 1) / REGION)).add(Math.floor(p / REGION));
  }
  const got = Buffer.alloc(1 << 20);
  const want = Buffer.alloc(1 << 20);
  for (const i of [...regions].sort((a, b) => a - b)) {
    for (let off = i * REGION; off < Math.min(dev.capacity, (i + 1) * REGION); off += got.length) {
      const n = Math.min(got.length, dev.capacity - off);
      await dev.read(off, got.subarray(0, n));
      model.fill(off, want.subarray(0, n));
      const d = firstDifference(got.subarray(0, n), want.subarray(0, n));
      if (d >= 0) assert.fail(`${what}: byte ${off + d} reads 0x${got[d]!.toString(16)}, expected 0x${want[d]!.toString(16)}`);
    }
  }
  const gen = new DataGenerator(dev.capacity % 65521);
  for (let start = 0; start < dev.capacity;) {
    const i = Math.floor(start / REGION);
    const end = Math.min(dev.capacity, (i + 1) * REGION);
    if (!regions.has(i)) {
      let runEnd = end;
      while (runEnd < dev.capacity && !regions.has(Math.floor(runEnd / REGION))) runEnd = Math.min(dev.capacity, runEnd + REGION);
      const st = await dev.blockStatus(start, runEnd - start);
      assert.deepEqual(st.map((e) => [e.allocated, e.zero]).filter(([a, z]) => a || !z), [],
        `${what}: untouched bytes ${start}..${runEnd} are reported allocated or not zero`);
      start = runEnd;
    } else start = end;
  }
  const zeros = Buffer.alloc(GRAIN);
  for (let k = 0; k < 64; k++) {
    const g = gen.below(Math.floor(dev.capacity / GRAIN));
    if (regions.has(Math.floor((g * GRAIN) / REGION))) continue;
    const b = got.subarray(0, GRAIN);
    await dev.read(g * GRAIN, b);
    assert.ok(b.equals(zeros), `${what}: untouched grain ${g} does not read as zeros`);
  }
}

/**
 * Unaligned reads straddling each of `points` (extent splits, grain and grain-table boundaries), so
 * one request spans two extents or grains; whole-disk reads in aligned chunks never do.
 */
export async function assertSpotReads(dev: BlockDevice, expected: ExpectedBytes | ExpectedDisk, points: number[],
  what: string): Promise<void> {
  const fill: ExpectedBytes = expected instanceof ExpectedDisk ? (o, b) => expected.fill(o, b) : expected;
  for (const p of points) {
    for (const [before, after] of [[777, 1234], [1, 1], [SECTOR, SECTOR], [GRAIN + 3, 2 * GRAIN - 5]] as const) {
      const s = Math.max(0, p - before);
      const e = Math.min(dev.capacity, p + after);
      if (e <= s) continue;
      const got = Buffer.alloc(e - s);
      const want = Buffer.alloc(e - s);
      await dev.read(s, got);
      await fill(s, want);
      const d = firstDifference(got, want);
      if (d >= 0) {
        assert.fail(`${what}: read of ${s}..${e} (around ${p}): byte ${s + d} is 0x${got[d]!.toString(16)}, ` +
          `expected 0x${want[d]!.toString(16)}`);
      }
    }
    // Block status of a window straddling the point covers it exactly, in order.
    const s = Math.max(0, p - 3 * GRAIN - 512), e = Math.min(dev.capacity, p + 3 * GRAIN + 700);
    const st = await dev.blockStatus(s, e - s);
    let pos = s;
    for (const x of st) {
      assert.equal(x.offset, pos, `${what}: blockStatus around ${p} is not consecutive`);
      pos += x.length;
    }
    assert.equal(pos, e, `${what}: blockStatus around ${p} does not cover the range`);
  }
}

// ---- write plans -------------------------------------------------------------------------------

export interface Op {
  kind: 'write' | 'zero';
  offset: number;
  length: number;
}

/** A write plan: random partial-grain writes, whole grains, unaligned runs, the last sector, zeroing. */
export function planOps(capacity: number, seed: number, sequential: boolean, extra: Op[] = []): Op[] {
  const gen = new DataGenerator(seed);
  const grains = Math.floor(capacity / GRAIN);
  const ops: Op[] = [...extra];
  for (let i = 0; i < 10; i++) {
    // Partial grains at random sector offsets.
    const offset = gen.below(grains) * GRAIN + gen.below(120) * SECTOR;
    ops.push({ kind: 'write', offset, length: (1 + gen.below(40)) * SECTOR });
  }
  for (let i = 0; i < 6; i++) ops.push({ kind: 'write', offset: gen.below(grains - 4) * GRAIN, length: (1 + gen.below(3)) * GRAIN });
  ops.push({ kind: 'write', offset: 3 * GRAIN - 1000, length: 2000 }); // byte-unaligned, across a grain boundary
  ops.push({ kind: 'write', offset: 7 * SECTOR + 3, length: 5 });
  ops.push({ kind: 'write', offset: capacity - SECTOR, length: SECTOR });
  if (!sequential) {
    // Zeroing over data already written and over holes.
    ops.push({ kind: 'zero', offset: ops[10]!.offset, length: GRAIN });
    ops.push({ kind: 'zero', offset: 3 * GRAIN - 512, length: 1024 });
    ops.push({ kind: 'zero', offset: (grains >> 1) * GRAIN, length: 2 * GRAIN });
    return ops.filter((o) => o.offset + o.length <= capacity);
  }
  // A stream takes ascending, non-overlapping writes.
  const sorted = ops.filter((o) => o.offset + o.length <= capacity).sort((a, b) => a.offset - b.offset);
  const out: Op[] = [];
  for (const o of sorted) {
    const last = out[out.length - 1];
    if (!last || o.offset >= last.offset + last.length) out.push(o);
  }
  return out;
}

/** Apply the plan to the device and to the raw file twin (and the in-memory model). */
export async function applyOps(dev: BlockDevice, raw: FileHandle, model: ExpectedDisk, ops: Op[], seed: number): Promise<void> {
  const gen = new DataGenerator(seed ^ 0x5a5a5a5a);
  const kinds = ['text', 'random', 'random'] as const;
  for (const op of ops) {
    if (op.kind === 'write') {
      const data = gen.block(op.length, kinds[gen.below(3)]!);
      if (data.every((x) => x === 0)) data[0] = 1;
      await dev.write(op.offset, data);
      await raw.write(data, 0, data.length, op.offset);
      model.write(op.offset, data);
    } else {
      await dev.zero(op.offset, op.length);
      await raw.write(Buffer.alloc(op.length), 0, op.length, op.offset);
      model.zero(op.offset, op.length);
    }
  }
}

/** A raw twin of `capacity` bytes, sparse (a hole until written). */
export async function rawTwin(path: string, capacity: number): Promise<FileHandle> {
  const fh = await open(path, 'w+');
  await fh.truncate(capacity);
  return fh;
}
