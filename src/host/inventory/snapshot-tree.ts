import { VmxFile } from './vmx-file.js';

/**
 * A VM's snapshot tree as its .vmsd records it (VMware's keys): `snapshot.lastUID`,
 * `snapshot.current`, `snapshot.numSnapshots`, and per snapshot `snapshotI.uid`, `.filename` (the
 * .vmsn), `.displayName`, `.description`, `.createTimeHigh/Low` (microseconds since 1970, split in
 * two signed 32-bit halves), `.parent`, `.numDisks`, `.diskJ.fileName`, `.diskJ.node`. vixdisk adds,
 * under keys VMware does not use, the snapshot's vCenter moref number, the power state it was taken
 * in, whether it was quiesced, and the CBT change id each disk froze at (`.diskJ.changeId`).
 */

export interface SnapshotDisk {
  node: string;
  /** The frozen file, as the .vmx names it (relative to the VM folder or /vmfs/volumes/...). */
  fileName: string;
  /** The change id this disk froze at, when change tracking was active. */
  changeId?: string;
}

export interface SnapshotNode {
  uid: number;
  /** The number of its vCenter moref, `snapshot-N`. */
  morefNumber: number;
  name: string;
  description: string;
  createTime: Date;
  parentUid?: number;
  /** The .vmsn file (the VM's configuration as of the snapshot). */
  vmsn: string;
  disks: SnapshotDisk[];
  powerState: 'poweredOn' | 'poweredOff' | 'suspended';
  quiesced: boolean;
}

export class SnapshotTree {
  constructor(
    public nodes: SnapshotNode[] = [],
    public currentUid: number | undefined = undefined,
    public lastUid = 0,
  ) {}

  static parse(text: string): SnapshotTree {
    const f = VmxFile.parse(text);
    const count = f.getInt('snapshot.numSnapshots') ?? 0;
    const nodes: SnapshotNode[] = [];
    for (let i = 0; i < Math.min(count, 4096); i++) {
      const p = `snapshot${i}.`;
      const uid = f.getInt(`${p}uid`);
      if (uid === undefined) continue;
      const high = f.getInt(`${p}createTimeHigh`) ?? 0, low = f.getInt(`${p}createTimeLow`) ?? 0;
      const micros = high * 2 ** 32 + (low >>> 0);
      const disks: SnapshotDisk[] = [];
      for (let j = 0; j < Math.min(f.getInt(`${p}numDisks`) ?? 0, 64); j++) {
        const fileName = f.get(`${p}disk${j}.fileName`), node = f.get(`${p}disk${j}.node`);
        if (fileName === undefined || node === undefined) continue;
        const changeId = f.get(`${p}disk${j}.changeId`);
        disks.push({ node, fileName, ...(changeId ? { changeId } : {}) });
      }
      const parentUid = f.getInt(`${p}parent`);
      const state = f.get(`${p}vixdisk.powerState`);
      nodes.push({
        uid,
        morefNumber: f.getInt(`${p}vixdisk.moref`) ?? uid,
        name: f.get(`${p}displayName`) ?? `Snapshot ${uid}`,
        description: f.get(`${p}description`) ?? '',
        createTime: new Date(Math.floor(micros / 1000)),
        ...(parentUid !== undefined ? { parentUid } : {}),
        vmsn: f.get(`${p}filename`) ?? '',
        disks,
        powerState: state === 'poweredOn' || state === 'suspended' ? state : 'poweredOff',
        quiesced: f.getBool(`${p}vixdisk.quiesced`),
      });
    }
    const current = f.getInt('snapshot.current');
    return new SnapshotTree(nodes, nodes.some((n) => n.uid === current) ? current : undefined,
      Math.max(f.getInt('snapshot.lastUID') ?? 0, ...nodes.map((n) => n.uid)));
  }

  toString(): string {
    const f = VmxFile.empty();
    f.set('snapshot.lastUID', this.lastUid);
    if (this.currentUid !== undefined) f.set('snapshot.current', this.currentUid);
    this.nodes.forEach((n, i) => {
      const p = `snapshot${i}.`;
      f.set(`${p}uid`, n.uid);
      f.set(`${p}filename`, n.vmsn);
      f.set(`${p}displayName`, n.name);
      if (n.description) f.set(`${p}description`, n.description);
      if (n.parentUid !== undefined) f.set(`${p}parent`, n.parentUid);
      const micros = n.createTime.getTime() * 1000;
      f.set(`${p}createTimeHigh`, Math.floor(micros / 2 ** 32));
      f.set(`${p}createTimeLow`, micros % 2 ** 32 | 0);
      f.set(`${p}numDisks`, n.disks.length);
      n.disks.forEach((d, j) => {
        f.set(`${p}disk${j}.fileName`, d.fileName);
        f.set(`${p}disk${j}.node`, d.node);
        if (d.changeId) f.set(`${p}disk${j}.changeId`, d.changeId);
      });
      f.set(`${p}vixdisk.moref`, n.morefNumber);
      f.set(`${p}vixdisk.powerState`, n.powerState);
      f.set(`${p}vixdisk.quiesced`, n.quiesced);
    });
    f.set('snapshot.numSnapshots', this.nodes.length);
    return f.toString();
  }

  get(uid: number): SnapshotNode | undefined {
    return this.nodes.find((n) => n.uid === uid);
  }

  children(uid: number | undefined): SnapshotNode[] {
    return this.nodes.filter((n) => n.parentUid === uid);
  }

  /** The snapshot and all below it. */
  subtree(uid: number): SnapshotNode[] {
    const out: SnapshotNode[] = [];
    const walk = (u: number): void => {
      const n = this.get(u);
      if (!n) return;
      out.push(n);
      for (const c of this.children(u)) walk(c.uid);
    };
    walk(uid);
    return out;
  }

  clone(): SnapshotTree {
    return new SnapshotTree(this.nodes.map((n) => ({ ...n, disks: n.disks.map((d) => ({ ...d })) })), this.currentUid, this.lastUid);
  }
}
