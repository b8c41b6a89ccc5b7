import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DatastoreRecord, VmRecord } from './inventory-record.js';
import { readDiskLinkInfo, type DiskLinkInfo } from './disk-link-info.js';
import { SnapshotTree } from './snapshot-tree.js';
import { vmxDisks } from './vm-config.js';
import { VmxFile } from './vmx-file.js';

export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';

/**
 * One registered VM as loaded from its files: the .vmx, the .vmsd tree, each snapshot's .vmsn
 * configuration, and the descriptor facts of every disk link its current disks and snapshots use.
 * Replaced wholesale after each operation (load again), never edited in place, so a view computed
 * from it is consistent.
 */
export class VmEntry {
  constructor(
    readonly record: VmRecord,
    readonly datastore: DatastoreRecord,
    /** Absolute path of the .vmx. */
    readonly vmxPath: string,
    readonly vmx: VmxFile,
    readonly tree: SnapshotTree,
    /** uid -> the configuration the snapshot froze (its .vmsn). */
    readonly snapshotConfigs: Map<number, VmxFile>,
    /** Absolute descriptor path -> link facts, for every link of every chain the VM uses. */
    readonly links: Map<string, DiskLinkInfo>,
    /** Absolute path -> size in bytes of the VM's folder files and of every file of its links. */
    readonly fileSizes: Map<string, number>,
    /** When the files were loaded (layoutEx.timestamp, config.modified). */
    readonly loadedAt: Date,
  ) {}

  get folder(): string {
    return dirname(this.vmxPath);
  }

  get name(): string {
    return this.vmx.get('displayName') ?? basename(this.vmxPath, '.vmx');
  }

  get powerState(): PowerState {
    const s = this.vmx.get('vixdisk.powerState');
    return s === 'poweredOn' || s === 'suspended' ? s : 'poweredOff';
  }

  get vmsdPath(): string {
    return join(this.folder, basename(this.vmxPath, '.vmx') + '.vmsd');
  }

  /** The chain of `top` (top first), from the loaded link facts. */
  chain(top: string): DiskLinkInfo[] {
    const out: DiskLinkInfo[] = [];
    for (let p: string | null = top; p !== null && out.length < 256;) {
      const info = this.links.get(p);
      if (!info) break;
      out.push(info);
      p = info.parent;
    }
    return out;
  }

  /**
   * Load a VM. `resolve` turns a disk fileName as the .vmx writes it into an absolute, confined
   * path (relative names are in the VM's folder; `/vmfs/volumes/<ds>/...` in another datastore).
   */
  static async load(record: VmRecord, datastore: DatastoreRecord, vmxPath: string,
    resolve: (vmFolder: string, fileName: string) => Promise<string>): Promise<VmEntry> {
    // Independent reads overlap; what is kept is assembled in the files' own order, so the
    // entry (and every view of it) is the same whatever order the reads finish in.
    const folder = dirname(vmxPath);
    const vmsdPath = join(folder, basename(vmxPath, '.vmx') + '.vmsd');
    const [vmxText, vmsdText] = await Promise.all([readFile(vmxPath, 'utf8'), readFile(vmsdPath, 'utf8').catch(() => '')]);
    const vmx = VmxFile.parse(vmxText);
    const tree = SnapshotTree.parse(vmsdText);
    const snapshotTexts = await Promise.all(tree.nodes.map((n) => (n.vmsn
      ? readFile(join(folder, basename(n.vmsn)), 'utf8').catch(() => undefined)
      : undefined)));
    const snapshotConfigs = new Map<number, VmxFile>();
    tree.nodes.forEach((n, i) => {
      const text = snapshotTexts[i];
      snapshotConfigs.set(n.uid, text !== undefined ? VmxFile.parse(text) : vmx.clone());
    });
    const links = new Map<string, DiskLinkInfo>();
    const walk = async (fileName: string, known: Map<string, DiskLinkInfo>): Promise<Array<[string, DiskLinkInfo]>> => {
      const chain = new Map<string, DiskLinkInfo>();
      // Stops at a link already known, in this chain too (a parent loop in damaged descriptors).
      for (let p: string | null = await resolve(folder, fileName); p !== null && !known.has(p) && !chain.has(p) && chain.size < 4096;) {
        const info = await readDiskLinkInfo(p);
        chain.set(p, info);
        p = info.parent;
      }
      return [...chain];
    };
    const add = (chain: Array<[string, DiskLinkInfo]>): void => {
      for (const [p, info] of chain) if (!links.has(p) && links.size < 4096) links.set(p, info);
    };
    // The current disks' chains (one per disk) are read together; the snapshots' disks are links
    // of those chains, so what they add is read after, and only where it is not known yet.
    for (const chain of await Promise.all(vmxDisks(vmx).map((d) => walk(d.fileName, links)))) add(chain);
    for (const fileName of tree.nodes.flatMap((n) => n.disks.map((d) => d.fileName))) add(await walk(fileName, links));
    const fileSizes = new Map<string, number>();
    const names = await readdir(folder).catch(() => [] as string[]);
    const files = [
      ...names.filter((n) => !n.startsWith('.') && !n.endsWith('.lck')).map((n) => join(folder, n)),
      ...[...links.values()].flatMap((l) => l.files),
    ];
    const stats = await Promise.all(files.map((f) => stat(f).catch(() => null)));
    files.forEach((f, i) => {
      const st = stats[i];
      if (st?.isFile()) fileSizes.set(f, st.size);
    });
    return new VmEntry(record, datastore, vmxPath, vmx, tree, snapshotConfigs, links, fileSizes, new Date());
  }
}
