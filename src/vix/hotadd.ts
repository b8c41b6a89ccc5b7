import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlockDevice } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL } from '../errors/error-codes.js';
import { TransportNotApplicable, type RemoteOpenRequest } from '../transport/transport.js';
import { VmdkDisk } from '../vmdk/disk.js';
import { SoapFault } from '../vsphere/soap-fault.js';
import { moRef, type VimClient } from '../vsphere/vim-client.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import type { VixConfig } from './config.js';
import { HotAddRecords, ownerAlive, recordsFolder } from './hotadd-records.js';
import type { RemoteDiskInfo } from './remote-session.js';

/**
 * The hotadd transport (reference §6.1, docs/hotadd.md): find the VM this process runs in by its
 * SMBIOS uuid, attach the disk to it with ReconfigVM_Task (an existing disk, no fileOperation,
 * independent_nonpersistent to read, persistent to restore), find the guest's device for the
 * bus and unit it got, and open that device here; Close opens nothing remote again: it detaches.
 *
 * The guest side is the simulator's (docs/hotadd.md): the identity file stands for
 * /sys/class/dmi/id/product_uuid and `<sys>/bus/scsi/devices/<bus>:0:<unit>:0/vixdisk-device.json`
 * for the sysfs lookup of a real guest's new SCSI disk. The SOAP side is what VDDK sends.
 */

type Log = (level: 'info' | 'warn', line: string) => void;

export interface HotAddContext {
  client: VimClient;
  vm: ManagedObjectReference;
  snapshot: ManagedObjectReference | null;
  config: VixConfig;
  log: Log;
  findDisk(path: string): Promise<RemoteDiskInfo>;
}

const DEFAULT_IDENTITY = '/sys/class/dmi/id/product_uuid';
export const IDENTITY_KEY = 'vixDiskLib.transport.hotadd.identityFile';
const TAG = 'vixdisk-hotadd';
const SCSI_TYPES = new Set(['ParaVirtualSCSIController', 'VirtualLsiLogicController', 'VirtualLsiLogicSASController', 'VirtualBusLogicController']);
const CONTROLLER_UNIT = 7;
const MAX_UNIT = 15;
const MAX_BUS = 3;
/** How long the guest may take to show a new disk (a real guest rescans its SCSI hosts). */
const DEVICE_WAIT_MS = 60_000;

interface Device {
  _type: string;
  key: number;
  controllerKey?: number;
  unitNumber?: number;
  busNumber?: number;
  capacityInKB?: number;
  backing?: { _type?: string; fileName?: string; diskMode?: string };
  [field: string]: unknown;
}

function notApplicable(reason: string): TransportNotApplicable {
  return new TransportNotApplicable('hotadd', reason);
}

function normalize(p: string): string {
  const m = /^\s*\[([^\]]*)\]\s*(.*?)\s*$/.exec(p);
  return m ? `[${m[1]}] ${m[2]}` : p.trim();
}

/** The uuid with its first three fields byte-swapped (SMBIOS < 2.6 vs >= 2.6 as Linux prints it). */
export function swapUuid(uuid: string): string {
  const hex = uuid.replace(/-/g, '');
  const swap = (s: string) => s.match(/../g)!.reverse().join('');
  return `${swap(hex.slice(0, 8))}-${swap(hex.slice(8, 12))}-${swap(hex.slice(12, 16))}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The proxy VM this process runs in, and the folder standing for the guest's /sys. */
export async function findProxy(client: VimClient, config: VixConfig): Promise<{ proxy: ManagedObjectReference; sysRoot: string; uuid: string }> {
  const file = config.get(IDENTITY_KEY)?.trim() || DEFAULT_IDENTITY;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw notApplicable(`this machine is not a virtual machine (no ${file})`);
    if (code === 'EACCES') throw notApplicable(`this machine is not a virtual machine this process can identify: cannot read ${file} (${code}; the guest's DMI uuid is readable by root only)`);
    throw notApplicable(`this machine is not a virtual machine this process can identify: cannot read ${file} (${code ?? (err as Error).message})`);
  }
  const uuid = text.trim().toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) throw notApplicable(`${file} does not hold a uuid`);
  const sc = await client.serviceContent();
  if (!sc.searchIndex) throw notApplicable(`${client.where} has no SearchIndex to find this machine's VM`);
  for (const candidate of [uuid, swapUuid(uuid)]) {
    const found = await client.call('FindByUuid', sc.searchIndex, { uuid: candidate, vmSearch: true, instanceUuid: false }) as ManagedObjectReference | undefined;
    if (found) {
      // The guest's /sys: the identity file's root when it sits where Linux has it, else its folder.
      const suffix = join('class', 'dmi', 'id', 'product_uuid');
      const sysRoot = file.endsWith(`/${suffix}`) ? file.slice(0, -suffix.length - 1) : dirname(file);
      return { proxy: found, sysRoot, uuid: candidate };
    }
  }
  throw notApplicable(`this machine is not a virtual machine of ${client.where} (product_uuid ${uuid}, also byte-swapped, matches none)`);
}

async function devicesOf(client: VimClient, vm: ManagedObjectReference): Promise<Device[]> {
  const props = await client.retrieveProperties(vm, ['config.hardware.device']);
  return (props['config.hardware.device'] ?? []) as Device[];
}

async function reconfigure(client: VimClient, vm: ManagedObjectReference, deviceChange: unknown[]): Promise<void> {
  const task = await client.call('ReconfigVM_Task', vm, { spec: { _type: 'VirtualMachineConfigSpec', deviceChange } }) as ManagedObjectReference;
  await client.waitForTask(task);
}

/** Detach a disk from the proxy: remove, as it appears in the proxy's hardware, without fileOperation. */
export async function detach(client: VimClient, proxy: ManagedObjectReference, device: Device): Promise<void> {
  await reconfigure(client, proxy, [{ _type: 'VirtualDeviceConfigSpec', operation: 'remove', device }]);
}

/** The first free SCSI slot (unit 7 is the controller's), or a new PVSCSI controller's unit 0. */
function freeSlot(devices: Device[]): { controllerKey: number; unitNumber: number; newBus?: number } | null {
  const controllers = devices.filter((d) => SCSI_TYPES.has(d._type)).sort((a, b) => (a.busNumber ?? 0) - (b.busNumber ?? 0));
  for (const c of controllers) {
    const used = new Set(devices.filter((d) => d.controllerKey === c.key).map((d) => d.unitNumber));
    for (let u = 0; u <= MAX_UNIT; u++) if (u !== CONTROLLER_UNIT && !used.has(u)) return { controllerKey: c.key, unitNumber: u };
  }
  const buses = new Set(controllers.map((c) => c.busNumber));
  for (let b = 0; b <= MAX_BUS; b++) if (!buses.has(b)) return { controllerKey: -100, unitNumber: 0, newBus: b };
  return null;
}

async function waitForDevice(sysRoot: string, bus: number, unit: number, fileName: string): Promise<string> {
  const entry = join(sysRoot, 'bus', 'scsi', 'devices', `${bus}:0:${unit}:0`, 'vixdisk-device.json');
  const deadline = Date.now() + DEVICE_WAIT_MS;
  for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
    const text = await readFile(entry, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      try {
        const e = JSON.parse(text) as { device?: unknown; fileName?: unknown };
        if (typeof e.device === 'string' && typeof e.fileName === 'string') return e.device;
      } catch {
        // Being written: looked at again.
      }
    }
    if (Date.now() > deadline) {
      throw new VixError(VIX_E_FAIL, `the disk ${fileName} was attached at SCSI ${bus}:${unit} but no such device appeared in this guest (${entry}) within ${DEVICE_WAIT_MS / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Attached disks of the proxy with the same backing whose attaching process is gone (or left no
 * record): detached first, as VDDK does. One still held by a running process makes HotAdd not apply.
 */
async function detachLeftovers(ctx: HotAddContext, records: HotAddRecords, proxy: ManagedObjectReference, fileName: string, devices: Device[]): Promise<void> {
  const same = devices.filter((d) => d._type === 'VirtualDisk' && d.backing?.fileName !== undefined && normalize(d.backing.fileName) === fileName);
  if (same.length === 0) return;
  const mine = (await records.list()).filter((r) => r.record.server === ctx.client.where && r.record.proxy === proxy.value && r.record.fileName === fileName);
  for (const d of same) {
    const owners = mine.filter((r) => r.record.deviceKey === undefined || r.record.deviceKey === d.key);
    for (const o of owners) {
      if (await ownerAlive(o.record)) throw notApplicable(`${fileName} is already attached to the proxy ${proxy.value} by process ${o.record.pid}, which still runs`);
    }
    ctx.log('info', `hotadd: detaching a leftover attachment of ${fileName} from ${proxy.value} (device ${d.key})`);
    await detach(ctx.client, proxy, d);
    for (const o of owners) await records.remove(o.file);
  }
}

export async function openHotAdd(ctx: HotAddContext, req: RemoteOpenRequest): Promise<BlockDevice> {
  const { client, config } = ctx;
  const { proxy, sysRoot } = await findProxy(client, config);
  if (proxy.value === ctx.vm.value) {
    throw notApplicable(`this machine is VM ${ctx.vm.value}, the VM being backed up: a VM's own disk cannot be HotAdded to it`);
  }
  const disk = await ctx.findDisk(req.path);
  if (disk.controllerType && /IDE/i.test(disk.controllerType)) throw notApplicable(`${req.path} is on an IDE controller; HotAdd attaches SCSI disks only`);
  if (disk.backingType && /RawDisk/i.test(disk.backingType)) throw notApplicable(`${req.path} is a raw device mapping; HotAdd attaches virtual disks only`);
  if (!ctx.snapshot) {
    const { 'runtime.powerState': power } = await client.retrieveProperties(ctx.vm, ['runtime.powerState']);
    if (power === 'poweredOn') throw notApplicable(`VM ${ctx.vm.value} is powered on: HotAdd needs a snapshot (snapshotRef) of a running VM`);
  } else if (req.writable) {
    throw notApplicable('a snapshot\'s disk is read-only: HotAdd writes (restore) attach a powered-off VM\'s disk persistent, without snapshotRef');
  }
  const fileName = disk.chain[0]!;
  const records = new HotAddRecords(recordsFolder(config));
  let devices = await devicesOf(client, proxy);
  await detachLeftovers(ctx, records, proxy, fileName, devices);
  devices = await devicesOf(client, proxy);
  const slot = freeSlot(devices);
  if (!slot) throw notApplicable(`Failed to find free slots for HotAdd on the proxy ${proxy.value} (every SCSI unit of 4 controllers is taken)`);
  const diskMode = req.writable ? 'persistent' : 'independent_nonpersistent';
  const change: unknown[] = [];
  if (slot.newBus !== undefined) {
    change.push({ _type: 'VirtualDeviceConfigSpec', operation: 'add', device: { _type: 'ParaVirtualSCSIController', key: slot.controllerKey, busNumber: slot.newBus, sharedBus: 'noSharing' } });
  }
  change.push({
    _type: 'VirtualDeviceConfigSpec', operation: 'add',
    device: {
      _type: 'VirtualDisk', key: -201,
      deviceInfo: { _type: 'Description', label: TAG, summary: fileName },
      backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName, diskMode },
      controllerKey: slot.controllerKey, unitNumber: slot.unitNumber,
      capacityInKB: Math.ceil(disk.capacityBytes / 1024),
    },
  });
  // The record first: a process killed while the task runs still leaves Cleanup what it needs.
  const { file: recordFile, record } = await records.add({ server: client.where, proxy: proxy.value, fileName });
  const before = new Set(devices.map((d) => d.key));
  let attached: Device | undefined;
  try {
    await reconfigure(client, proxy, change);
    const after = await devicesOf(client, proxy);
    attached = after.find((d) => d._type === 'VirtualDisk' && !before.has(d.key) && d.backing?.fileName !== undefined && normalize(d.backing.fileName) === fileName);
    if (!attached) throw new VixError(VIX_E_FAIL, `ReconfigVM_Task on ${proxy.value} succeeded but ${fileName} is not among its disks`);
    await records.update(recordFile, { ...record, deviceKey: attached.key });
    const controller = after.find((d) => d.key === attached!.controllerKey);
    const bus = controller?.busNumber ?? 0;
    ctx.log('info', `hotadd: ${fileName} attached to ${proxy.value} at SCSI ${bus}:${attached.unitNumber} (${diskMode}, device ${attached.key})`);
    const device = await waitForDevice(sysRoot, bus, attached.unitNumber ?? 0, fileName);
    const opened = await VmdkDisk.open(device, { readOnly: !req.writable });
    return closingDetaches(opened, ctx, records, recordFile, proxy, attached);
  } catch (err) {
    // A task that failed or timed out may still have attached it: looked for, to leave nothing.
    attached ??= (await devicesOf(client, proxy).catch(() => [] as Device[]))
      .find((d) => d._type === 'VirtualDisk' && !before.has(d.key) && d.backing?.fileName !== undefined && normalize(d.backing.fileName) === fileName);
    if (attached) await detach(client, proxy, attached).catch((e) => ctx.log('warn', `hotadd: detaching ${fileName} from ${proxy.value} failed: ${(e as Error).message}`));
    await records.remove(recordFile);
    if (err instanceof SoapFault) throw new VixError(err.code, `hotadd of ${fileName} to ${proxy.value}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * The opened disk stays a VmdkDisk (GetInfo and metadata read the attached disk, as on VDDK's
 * hotadd handles); its close also detaches the disk from the proxy and drops the record. A detach
 * that fails is logged and leaves the record: Cleanup finds it once this process is gone.
 */
function closingDetaches(disk: VmdkDisk, ctx: HotAddContext, records: HotAddRecords, recordFile: string, proxy: ManagedObjectReference, device: Device): VmdkDisk {
  const closeDisk = disk.close.bind(disk);
  let closing: Promise<void> | undefined;
  Object.defineProperty(disk, 'close', {
    configurable: true,
    value: () => closing ??= (async () => {
      try {
        await closeDisk();
      } finally {
        try {
          await detach(ctx.client, proxy, device);
          await records.remove(recordFile);
        } catch (err) {
          ctx.log('warn', `hotadd: detaching ${device.backing?.fileName ?? device.key} from ${proxy.value} failed (VixDiskLib_Cleanup will): ${(err as Error).message}`);
        }
      }
    })(),
  });
  return disk;
}

/**
 * VixDiskLib_Cleanup on a server: the attachments recorded by processes of this machine that are
 * gone are detached. Returns how many were undone and how many could not be.
 */
export async function cleanupHotAdd(client: VimClient, config: VixConfig, log: Log): Promise<{ numCleanedUp: number; numRemaining: number }> {
  const records = new HotAddRecords(recordsFolder(config));
  let numCleanedUp = 0;
  let numRemaining = 0;
  const hardware = new Map<string, Device[]>();
  for (const { file, record } of await records.list()) {
    if (record.server !== client.where || await ownerAlive(record)) continue;
    const proxy = moRef('VirtualMachine', record.proxy);
    try {
      let devices = hardware.get(record.proxy);
      if (!devices) hardware.set(record.proxy, devices = await devicesOf(client, proxy));
      const device = devices.find((d) => d._type === 'VirtualDisk' && d.backing?.fileName !== undefined && normalize(d.backing.fileName) === record.fileName
        && (record.deviceKey === undefined || d.key === record.deviceKey));
      if (device) {
        await detach(client, proxy, device);
        hardware.delete(record.proxy);
        log('info', `Cleanup: detached ${record.fileName} from ${record.proxy} (left by process ${record.pid})`);
        numCleanedUp++;
      }
      await records.remove(file);
    } catch (err) {
      if (err instanceof SoapFault && err.faultType === 'ManagedObjectNotFound') {
        // The proxy is gone, and its attachments with it.
        await records.remove(file);
        continue;
      }
      numRemaining++;
      log('warn', `Cleanup: ${record.fileName} on ${record.proxy} (left by process ${record.pid}) could not be detached: ${(err as Error).message}`);
    }
  }
  return { numCleanedUp, numRemaining };
}
