import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { syncFolder } from '../../vmdk/replace-file.js';
import { unlinkDisk } from '../../vmdk/unlink.js';
import type { HostInventory } from './host-inventory.js';

/**
 * What a host killed in the middle of an operation can leave that nothing refers to, found and
 * removed at start (after the journals are replayed): snapshot delta links (`NAME-000001.vmdk` and
 * their `-sesparse`/`-delta`/`-ctk` files) no VM's chain uses, .vmsn files no snapshot names, and
 * files written aside by a process that no longer runs. Only names the host itself makes are
 * candidates: a user's own files in a datastore are never touched.
 */

const DELTA_DESCRIPTOR = /^(.+-\d{6})\.vmdk$/;
const DELTA_PART = /^(.+-\d{6})-(sesparse|delta|ctk)\.vmdk$/;
const SNAPSHOT_STATE = /^(.+)-Snapshot\d+\.vmsn$/;
const ASIDE = /^\..+\.[a-z]+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

export async function removeLeftovers(inv: HostInventory): Promise<string[]> {
  const used = new Set<string>();
  const vmsnUsed = new Set<string>();
  for (const vm of inv.allVms) {
    for (const p of vm.links.keys()) used.add(p);
    for (const n of vm.tree.nodes) vmsnUsed.add(join(vm.folder, n.vmsn));
  }
  const vmFolders = new Set(inv.allVms.map((v) => v.folder));
  const removed: string[] = [];
  for (const ds of inv.record.datastores) {
    const root = inv.datastoreRoot(ds.name);
    for (const sub of await readdir(root).catch(() => [] as string[])) {
      const folder = join(root, sub);
      // Only registered VMs' folders: what lies elsewhere in a datastore is a user's, never ours.
      if (!vmFolders.has(folder)) continue;
      if (!(await stat(folder).then((s) => s.isDirectory(), () => false))) continue;
      const names = await readdir(folder);
      const stems = new Set<string>();
      for (const name of names) {
        const m = DELTA_DESCRIPTOR.exec(name);
        if (!m || DELTA_PART.test(name)) continue;
        const path = join(folder, name);
        if (used.has(path)) {
          stems.add(m[1]!);
          continue;
        }
        try {
          removed.push(...await unlinkDisk(path));
        } catch {
          // Not a disk we can read: leave it for a person to look at.
          stems.add(m[1]!);
        }
      }
      for (const name of names) {
        const part = DELTA_PART.exec(name);
        const state = SNAPSHOT_STATE.exec(name);
        const aside = ASIDE.exec(name);
        const path = join(folder, name);
        let remove = false;
        if (part) remove = !stems.has(part[1]!);
        else if (state) remove = !vmsnUsed.has(path);
        else if (aside) remove = !processRuns(Number(aside[1]));
        if (remove) {
          await rm(path, { force: true });
          removed.push(path);
        }
      }
      if (removed.length) await syncFolder(folder);
    }
  }
  return removed;
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
