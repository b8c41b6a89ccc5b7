import type { VmxFile } from './vmx-file.js';

/**
 * What a .vmx (or the config a snapshot froze in its .vmsn) says about a VM's disks, as ESXi
 * writes it: `scsiB.present`, `scsiB.virtualDev`, `scsiB:U.present`, `scsiB:U.fileName`,
 * `scsiB:U.deviceType`, `scsiB:U.mode`, `scsiB:U.ctkEnabled`. Device keys follow vCenter's
 * numbering: SCSI controller B is 1000 + B, its disk at unit U is 2000 + 16 B + U.
 */

export interface VmxDisk {
  /** `scsi0:1` */
  node: string;
  bus: number;
  unit: number;
  /** As the .vmx writes it: relative to the VM's folder, or `/vmfs/volumes/<datastore>/...`. */
  fileName: string;
  /** persistent, independent_persistent, independent_nonpersistent... */
  mode: string;
  ctkEnabled: boolean;
  key: number;
}

export interface VmxController {
  bus: number;
  /** pvscsi, lsilogic, lsisas1068, buslogic */
  virtualDev: string;
  key: number;
}

export const MAX_SCSI_BUS = 3;
export const MAX_SCSI_UNIT = 15;
/** Unit 7 is the SCSI controller itself: never a disk. */
export const SCSI_CONTROLLER_UNIT = 7;

export function diskKey(bus: number, unit: number): number {
  return 2000 + 16 * bus + unit;
}

export function controllerKey(bus: number): number {
  return 1000 + bus;
}

export function scsiControllers(vmx: VmxFile): VmxController[] {
  const out: VmxController[] = [];
  for (let bus = 0; bus <= MAX_SCSI_BUS; bus++) {
    if (!vmx.getBool(`scsi${bus}.present`)) continue;
    out.push({ bus, virtualDev: vmx.get(`scsi${bus}.virtualDev`) ?? 'lsilogic', key: controllerKey(bus) });
  }
  return out;
}

export function vmxDisks(vmx: VmxFile): VmxDisk[] {
  const out: VmxDisk[] = [];
  for (const key of vmx.keys()) {
    const m = /^scsi(\d):(\d+)\.present$/i.exec(key);
    if (!m) continue;
    const bus = Number(m[1]), unit = Number(m[2]);
    const node = `scsi${bus}:${unit}`;
    if (bus > MAX_SCSI_BUS || unit > MAX_SCSI_UNIT || !vmx.getBool(`${node}.present`)) continue;
    const fileName = vmx.get(`${node}.fileName`);
    const deviceType = (vmx.get(`${node}.deviceType`) ?? 'scsi-hardDisk').toLowerCase();
    if (!fileName || !deviceType.includes('disk') || !fileName.toLowerCase().endsWith('.vmdk')) continue;
    if (out.some((d) => d.node === node)) continue;
    out.push({
      node, bus, unit, fileName,
      mode: vmx.get(`${node}.mode`) ?? 'persistent',
      ctkEnabled: vmx.getBool(`${node}.ctkEnabled`),
      key: diskKey(bus, unit),
    });
  }
  return out.sort((a, b) => a.key - b.key);
}

/** Put a disk at `node` (present, file, mode); the controller must exist. */
export function setVmxDisk(vmx: VmxFile, node: string, fileName: string, mode: string): void {
  vmx.set(`${node}.present`, true);
  vmx.set(`${node}.deviceType`, 'scsi-hardDisk');
  vmx.set(`${node}.fileName`, fileName);
  if (mode === 'persistent') vmx.delete(`${node}.mode`);
  else vmx.set(`${node}.mode`, mode);
}

export function removeVmxDisk(vmx: VmxFile, node: string): void {
  vmx.deletePrefix(`${node}.`);
}

/** `42 1c 5e 6f 70 81 92 a3-b4 c5 d6 e7 f8 09 1a 2b` (vmx) -> `421c5e6f-7081-92a3-b4c5-d6e7f8091a2b` (vim). */
export function vimUuid(vmxUuid: string | undefined): string | undefined {
  if (vmxUuid === undefined) return undefined;
  const hex = vmxUuid.replace(/[\s-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The reverse of vimUuid: the spaced form .vmx files and descriptors use. */
export function vmxUuid(bytes: Uint8Array): string {
  const h = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  return `${h.slice(0, 8).join(' ')}-${h.slice(8, 16).join(' ')}`;
}
