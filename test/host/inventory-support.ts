import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HostInventory } from '../../src/host/inventory/host-inventory.js';
import type { VmEntry } from '../../src/host/inventory/vm-entry.js';
import { vmxDisks } from '../../src/host/inventory/vm-config.js';
import { readWholeDisk } from '../support/whole-disk.js';

/** Helpers shared by the inventory tests: reading disks whole, through our engine or qemu-img. */

export function readDisk(path: string): Promise<Buffer> {
  return readWholeDisk(path, { lock: false });
}

/** The chain `path` tops, converted to raw by qemu-img (null when qemu-img is missing). */
export async function qemuRead(path: string, scratch: string): Promise<Buffer | null> {
  const out = join(scratch, `qemu-${process.pid}-${Math.random().toString(16).slice(2)}.raw`);
  try {
    await promisify(execFile)('qemu-img', ['convert', '-U', '-f', 'vmdk', '-O', 'raw', path, out]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return await readFile(out);
  } finally {
    await rm(out, { force: true });
  }
}

export async function qemuInfo(path: string): Promise<Record<string, unknown> | null> {
  try {
    const { stdout } = await promisify(execFile)('qemu-img', ['info', '-U', '--output=json', path]);
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function vmNamed(inv: HostInventory, name: string): VmEntry {
  const vm = inv.allVms.find((v) => v.name === name);
  if (!vm) throw new Error(`no VM ${name}`);
  return vm;
}

/** Absolute path of the top link of the VM's disk at `index` now. */
export function currentTop(inv: HostInventory, name: string, index: number): string {
  const vm = vmNamed(inv, name);
  const d = vmxDisks(vm.vmx)[index]!;
  return inv.linkPathOf(vm, d.fileName)!;
}

/** Absolute path of the frozen top of disk `index` in the snapshot named `snapshot`. */
export function frozenTop(inv: HostInventory, name: string, snapshot: string, index: number): string {
  const vm = vmNamed(inv, name);
  const node = vm.tree.nodes.find((n) => n.name === snapshot)!;
  return inv.linkPathOf(vm, node.disks[index]!.fileName)!;
}

/** A deterministic generator of writes: offset, length, bytes. */
export function* writes(seed: number, capacity: number, count: number, maxLength = 200_000): Generator<{ offset: number; data: Buffer }> {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  for (let i = 0; i < count; i++) {
    const length = 1 + (next() % maxLength);
    const offset = next() % (capacity - length);
    const data = Buffer.alloc(length);
    let j = 0;
    for (; j + 4 <= length; j += 4) data.writeUInt32LE(next(), j);
    for (; j < length; j++) data[j] = next() & 0xff;
    yield { offset, data };
  }
}
