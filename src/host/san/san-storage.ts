import { mkdir, open, readdir, realpath, rm, stat, symlink, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { readAt } from '../../block/file-io.js';
import { mountExtentVolume } from '../../vmdk/extent-volume.js';
import { readLinkFiles } from '../../vmdk/link-files.js';
import { syncFolder } from '../../vmdk/replace-file.js';
import { SECTOR } from '../../vmdk/sparse-header.js';
import type { SanConfig } from '../config.js';
import type { HostInventory } from '../inventory/host-inventory.js';
import { LunVolume } from './lun-volume.js';

// The host's LUN-backed datastores (docs/san.md). Every DIR/luns/<datastore>.lun is opened and
// mounted as the extent volume of DIR/datastores/<datastore> before the inventory opens a disk
// (a journal replay may commit into a base disk that lives on the LUN); the config's `san.luns`
// makes the ones that do not exist yet. Once the inventory is loaded, each thick base disk of a
// LUN datastore whose flat extent is still a file is moved into the LUN (`adopt`). Each LUN then
// appears in the fabric folder as `wwn-0x<naa digits>`, the name Linux gives it under
// /dev/disk/by-id, a symlink to the LUN file.

const LUN_FOLDER = 'luns';
const COPY_CHUNK = 1 << 20;

export class SanStorage {
  /** Datastore name -> its LUN. */
  readonly luns = new Map<string, LunVolume>();
  private readonly unmounts: Array<() => void> = [];

  private constructor(
    /** DATA/luns, real path. */
    private readonly lunFolder: string,
    /** DATA/datastores, real path: each LUN is mounted at its datastore's folder there. */
    private readonly datastoresFolder: string,
    /** The LUNs the config asks for. */
    private readonly wanted: SanConfig['luns'],
    /** The fabric folder, absolute; undefined when the config has no `san`. */
    readonly fabricDirectory: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Open and mount every LUN the data folder has (before the inventory opens a disk). */
  static async open(dataDir: string, config: SanConfig | undefined, log: (line: string) => void): Promise<SanStorage> {
    const real = await realpath(dataDir);
    const fabric = config ? (isAbsolute(config.fabricDirectory) ? config.fabricDirectory : join(real, config.fabricDirectory)) : undefined;
    const storage = new SanStorage(join(real, LUN_FOLDER), join(real, 'datastores'), config?.luns ?? [], fabric, log);
    try {
      const names = await readdir(storage.lunFolder).catch(() => [] as string[]);
      // A datastore once on a LUN stays there (its disks' data is inside), config or not.
      for (const name of names.filter((n) => n.endsWith('.lun'))) {
        storage.mount(name.slice(0, -4), await LunVolume.open(join(storage.lunFolder, name)));
      }
    } catch (err) {
      await storage.close();
      throw err;
    }
    return storage;
  }

  private mount(datastore: string, lun: LunVolume): void {
    this.luns.set(datastore, lun);
    this.unmounts.push(mountExtentVolume(join(this.datastoresFolder, datastore), lun));
  }

  /** Make the LUNs the config asks for that do not exist yet, for datastores the inventory has. */
  private async makeWanted(inv: HostInventory): Promise<void> {
    for (const [i, wanted] of this.wanted.entries()) {
      if (this.luns.has(wanted.datastore)) continue;
      if (!inv.datastore(wanted.datastore)) throw new Error(`san.luns[${i}].datastore: the inventory has no datastore '${wanted.datastore}'`);
      await mkdir(this.lunFolder, { recursive: true, mode: 0o700 });
      const lun = await LunVolume.create(join(this.lunFolder, `${wanted.datastore}.lun`), wanted.sizeMiB * 2 ** 20);
      this.mount(wanted.datastore, lun);
      this.log(`san: made LUN ${lun.naa} (${wanted.sizeMiB} MiB) for datastore ${wanted.datastore}`);
    }
  }

  /**
   * Move the flat extents of the thick base disks of every LUN datastore into their LUN; then show
   * each LUN in the fabric. Per file: allocate, copy, sync, commit the table (the commit point),
   * remove the file. A start killed before the commit copies again into a range that is free
   * again; one killed after it finds the file and the table entry, and removes the file.
   */
  async adopt(inv: HostInventory): Promise<void> {
    for (const name of this.luns.keys()) {
      if (!inv.datastore(name)) throw new Error(`san: ${LUN_FOLDER}/${name}.lun is for datastore '${name}', which the inventory does not have`);
    }
    await this.makeWanted(inv);
    for (const vm of inv.allVms) {
      let moved = false;
      for (const link of vm.links.values()) {
        const ds = inv.datastoreOf(link.path);
        const lun = ds ? this.luns.get(ds.name) : undefined;
        if (!ds || !lun || link.parent !== null || link.thinProvisioned) continue;
        const root = await realpath(inv.datastoreRoot(ds.name));
        const files = await readLinkFiles(link.path);
        const needed = new Map<string, number>();
        for (const e of files.extents) {
          if (!e.path || (e.line.type !== 'VMFS' && e.line.type !== 'FLAT')) continue;
          const end = ((e.line.offsetSectors ?? 0) + e.line.sizeSectors) * SECTOR;
          needed.set(e.path, Math.max(needed.get(e.path) ?? 0, end));
        }
        for (const [path, length] of needed) {
          const rel = relative(root, path).split(sep).join('/');
          if (rel.startsWith('..')) continue;
          if (await this.adoptFile(lun, path, rel, length)) moved = true;
        }
      }
      if (moved) await inv.reload(vm.record.morefs.vcenter);
    }
    await inv.measureSpace();
    await this.publishFabric();
  }

  private async adoptFile(lun: LunVolume, path: string, rel: string, length: number): Promise<boolean> {
    const exists = await stat(path).then((s) => s.isFile(), () => false);
    if (lun.entry(rel)) {
      if (!exists) return false;
      await rm(path, { force: true }); // killed after the commit: the table has it, the file is stale
      await syncFolder(dirname(path));
      return true;
    }
    if (!exists) return false;
    const offset = lun.allocate(length);
    const fh = await open(path, 'r');
    try {
      const chunk = new Uint8Array(COPY_CHUNK);
      for (let done = 0; done < length; done += COPY_CHUNK) {
        const n = Math.min(COPY_CHUNK, length - done);
        const view = chunk.subarray(0, n);
        view.fill(0);
        await readAt(fh, view, done); // past the file's end: zeros, as the flat extent reads
        await lun.writeAt(view, offset + done); // the whole range: a killed earlier copy may have left bytes there
      }
    } finally {
      await fh.close();
    }
    await lun.commit(rel, { offsetBytes: offset, lengthBytes: length });
    await unlink(path);
    await syncFolder(dirname(path));
    this.log(`san: ${rel} moved into LUN ${lun.naa} at ${offset} (${length} bytes)`);
    return true;
  }

  /** `wwn-0x<naa digits>` -> the LUN file, for each LUN, in the fabric folder. */
  private async publishFabric(): Promise<void> {
    if (!this.fabricDirectory) return;
    await mkdir(this.fabricDirectory, { recursive: true, mode: 0o700 });
    for (const lun of this.luns.values()) {
      const link = join(this.fabricDirectory, `wwn-0x${lun.naa.slice(4)}`);
      await rm(link, { force: true });
      await symlink(lun.path, link);
    }
  }

  async close(): Promise<void> {
    for (const unmount of this.unmounts.splice(0)) unmount();
    for (const lun of this.luns.values()) await lun.close().catch(() => undefined);
    this.luns.clear();
  }
}
