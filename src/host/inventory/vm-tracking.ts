import { rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ChangeTracker } from '../cbt/change-tracker.js';
import { syncFolder } from '../../vmdk/replace-file.js';
import type { HostInventory } from './host-inventory.js';
import type { VmEntry } from './vm-entry.js';
import { vmxDisks, type VmxDisk } from './vm-config.js';

/**
 * Changed-block tracking of the VMs' disks (reference §5): one ChangeTracker per virtual disk,
 * kept in `<base disk>-ctk.vmdk` beside the disk's base link, so its change ids run on across
 * snapshots, consolidations and deltas (the guest's view of the disk is what is tracked).
 *
 * A disk is tracked when the .vmx says `ctkEnabled` and `scsiB:U.ctkEnabled`, its mode is
 * persistent (independent disks are not snapshotted, so never tracked) and its base lives in the
 * VM's own folder (a disk HotAdded from another VM is that VM's to track). Tracking is active
 * once the tracker file exists: enabling it on a powered-off VM creates it at once; on a
 * powered-on VM at the next stun (power on, snapshot create/remove/revert), as ESXi does; until
 * then the disk reports no change id. Disabling it, or a revert, deletes the file: a new
 * tracker gets a new uuid, and every older change id is refused from then on.
 */
export class VmTracking {
  private readonly trackers = new Map<string, ChangeTracker>();

  constructor(private readonly inv: HostInventory) {}

  private key(vm: VmEntry, node: string): string {
    return `${vm.record.morefs.vcenter}|${node}`;
  }

  /** Where disk `d` of `vm` keeps its tracking, or undefined when it cannot be tracked. */
  ctkPath(vm: VmEntry, d: VmxDisk): string | undefined {
    if (d.mode !== 'persistent') return undefined;
    const top = this.inv.linkPathOf(vm, d.fileName);
    if (!top) return undefined;
    const chain = vm.chain(top);
    const base = chain[chain.length - 1];
    if (!base || dirname(base.path) !== vm.folder) return undefined;
    return join(vm.folder, `${basename(base.path).replace(/\.vmdk$/i, '')}-ctk.vmdk`);
  }

  /** The disks the .vmx asks to track, with their tracker file. */
  private wanted(vm: VmEntry): Array<{ disk: VmxDisk; ctk: string }> {
    if (!vm.vmx.getBool('ctkEnabled')) return [];
    return vmxDisks(vm.vmx).flatMap((disk) => {
      const ctk = disk.ctkEnabled ? this.ctkPath(vm, disk) : undefined;
      return ctk ? [{ disk, ctk }] : [];
    });
  }

  tracker(vm: VmEntry, node: string): ChangeTracker | undefined {
    return this.trackers.get(this.key(vm, node));
  }

  currentChangeId(vm: VmEntry, node: string): string | undefined {
    // The id the last snapshot froze (ESXi shows the same on the current disk); none before the first.
    return this.tracker(vm, node)?.lastFrozenChangeId();
  }

  /** At start: open the trackers that exist; one that cannot be read starts over (a CBT reset). */
  async open(vm: VmEntry): Promise<void> {
    for (const { disk, ctk } of this.wanted(vm)) {
      if (this.tracker(vm, disk.node)) continue;
      if (!(await stat(ctk).then(() => true, () => false))) continue;
      let t: ChangeTracker;
      try {
        t = await ChangeTracker.open(ctk);
      } catch {
        t = await this.createFresh(ctk, vm, disk);
      }
      t.faultFile = this.inv.datastorePath(ctk);
      this.trackers.set(this.key(vm, disk.node), t);
    }
  }

  /** A stun: start tracking every disk the .vmx asks for that is not tracked yet. */
  async activate(vm: VmEntry): Promise<void> {
    for (const { disk, ctk } of this.wanted(vm)) {
      if (this.tracker(vm, disk.node)) continue;
      const t = await this.createFresh(ctk, vm, disk);
      t.faultFile = this.inv.datastorePath(ctk);
      this.trackers.set(this.key(vm, disk.node), t);
    }
  }

  /** Stop tracking `vm` (all its disks, or those not in `keep`), deleting the tracker files. */
  async stop(vm: VmEntry, keep: (node: string) => boolean = () => false): Promise<void> {
    const prefix = `${vm.record.morefs.vcenter}|`;
    for (const [key, t] of [...this.trackers]) {
      if (!key.startsWith(prefix) || keep(key.slice(prefix.length))) continue;
      this.trackers.delete(key);
      await t.close().catch(() => undefined);
      await rm(t.path, { force: true });
      await syncFolder(dirname(t.path));
    }
  }

  /** A CBT reset (revert): every tracked disk starts over with a new tracking uuid. */
  async reset(vm: VmEntry): Promise<void> {
    await this.stop(vm);
    await this.activate(vm);
  }

  async closeAll(): Promise<void> {
    for (const t of this.trackers.values()) await t.close().catch(() => undefined);
    this.trackers.clear();
  }

  private async createFresh(ctk: string, vm: VmEntry, disk: VmxDisk): Promise<ChangeTracker> {
    await rm(ctk, { force: true });
    const top = this.inv.linkPathOf(vm, disk.fileName);
    const capacity = top ? vm.links.get(top)?.capacityBytes ?? 0 : 0;
    return ChangeTracker.create(ctk, capacity);
  }
}
