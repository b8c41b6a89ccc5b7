import { basename } from 'node:path';
import type { ManagedObject } from '../../managed-object.js';
import type { ManagedObjectReference } from '../../../vsphere/vim-types.js';
import type { HostInventory } from '../host-inventory.js';
import type { SnapshotNode } from '../snapshot-tree.js';
import type { VmEntry } from '../vm-entry.js';
import { scsiControllers, vimUuid, vmxDisks } from '../vm-config.js';
import type { VmxFile } from '../vmx-file.js';
import { diskDevice, layoutFileType } from './vm-devices.js';

/**
 * The VirtualMachine and VirtualMachineSnapshot views. A VM's `config` describes its current
 * disks (the newest delta on top, `parent` down to the base, the tracker's change id); a
 * snapshot's `config` is the configuration it froze (.vmsn) with each disk's frozen file and the
 * change id frozen with it.
 */

class VmView implements ManagedObject {
  constructor(
    readonly ref: ManagedObjectReference,
    readonly parent: ManagedObjectReference,
    private readonly props: Record<string, () => unknown>,
  ) {}

  property(name: string): unknown {
    const get = this.props[name];
    return get ? get() : undefined;
  }
}

const CHANGE_VERSION_EPOCH = 0;

/**
 * Values computed from one loaded VmEntry, kept with it. An entry is never edited (every change
 * loads a new one), and the values are never mutated once handed out (the codec and the property
 * filters only read them), so a VM read by a thousand-VM retrieval, then by the next, builds its
 * config, layout and snapshot tree once per change instead of once per read. The one input that
 * changes without a new entry, a tracked disk's current change id, is part of the config's key.
 * Entries no longer in use are collected with their values (WeakMap).
 */
const perEntry = new WeakMap<VmEntry, Map<string, { key: string; value: unknown }>>();

function memo<T>(vm: VmEntry, slot: string, key: string, make: () => T): T {
  let values = perEntry.get(vm);
  if (!values) perEntry.set(vm, (values = new Map()));
  const kept = values.get(slot);
  if (kept && kept.key === key) return kept.value as T;
  const value = make();
  values.set(slot, { key, value });
  return value;
}

export function vmObject(inv: HostInventory, vm: VmEntry): ManagedObject {
  const ref = inv.vmRef(vm);
  const folder = inv.ref('Folder', inv.record.datacenter.vmFolder);
  const host = inv.record.hosts.find((h) => h.name === vm.record.host)!;
  const runtime = () => ({
    _type: 'VirtualMachineRuntimeInfo',
    device: [],
    host: inv.ref('HostSystem', host.morefs),
    connectionState: 'connected',
    powerState: vm.powerState,
    faultToleranceState: 'notConfigured',
    toolsInstallerMounted: false,
    numMksConnections: 0,
    recordReplayState: 'inactive',
    onlineStandby: false,
    consolidationNeeded: inv.consolidationNeeded(vm),
  });
  const config = () => {
    const changeIds = memo(vm, 'disks', '', () => vmxDisks(vm.vmx)).map((d) => inv.currentChangeId(vm, d.node) ?? '');
    return memo(vm, 'config', changeIds.join('\u0000'), () => configInfo(inv, vm, vm.vmx, (node) => inv.currentChangeId(vm, node)));
  };
  return new VmView(ref, folder, {
    name: () => vm.name,
    parent: () => folder,
    overallStatus: () => 'green',
    configStatus: () => 'green',
    resourcePool: () => inv.ref('ResourcePool', inv.record.cluster.resourcePool),
    runtime,
    config,
    capability: () => CAPABILITY,
    snapshot: () => memo(vm, 'snapshot', '', () => snapshotInfo(inv, vm)),
    rootSnapshot: () => vm.tree.children(undefined).map((n) => inv.snapshotRef(vm, n)),
    datastore: () => memo(vm, 'datastore', '', () => datastoresOf(inv, vm)),
    layoutEx: () => memo(vm, 'layoutEx', '', () => layoutEx(inv, vm)),
    summary: () => {
      const c = config();
      return {
        _type: 'VirtualMachineSummary',
        vm: ref,
        runtime: runtime(),
        config: {
          _type: 'VirtualMachineConfigSummary',
          name: vm.name,
          template: false,
          vmPathName: vm.record.vmx,
          memorySizeMB: vm.vmx.getInt('memSize') ?? 1024,
          numCpu: vm.vmx.getInt('numvcpus') ?? 1,
          numEthernetCards: 0,
          numVirtualDisks: vmxDisks(vm.vmx).length,
          uuid: c.uuid,
          ...(c.instanceUuid ? { instanceUuid: c.instanceUuid } : {}),
          guestId: c.guestId,
          guestFullName: c.guestFullName,
          hwVersion: c.version,
        },
        storage: {
          _type: 'VirtualMachineStorageSummary',
          committed: [...vm.fileSizes.values()].reduce((a, b) => a + b, 0),
          uncommitted: 0,
          unshared: [...vm.fileSizes.values()].reduce((a, b) => a + b, 0),
          timestamp: vm.loadedAt,
        },
        quickStats: { _type: 'VirtualMachineQuickStats', guestHeartbeatStatus: 'gray' },
        overallStatus: 'green',
      };
    },
  });
}

export function snapshotObject(inv: HostInventory, vm: VmEntry, node: SnapshotNode): ManagedObject {
  const ref = inv.snapshotRef(vm, node);
  const vmRef = inv.vmRef(vm);
  const frozen = inv.snapshotConfig(vm, node);
  return new VmView(ref, vmRef, {
    config: () => memo(vm, `snapshot-config-${node.uid}`, '', () => configInfo(inv, vm, frozen, (n) => node.disks.find((d) => d.node === n)?.changeId)),
    childSnapshot: () => vm.tree.children(node.uid).map((c) => inv.snapshotRef(vm, c)),
    vm: () => vmRef,
  });
}

function configInfo(inv: HostInventory, vm: VmEntry, vmx: VmxFile, changeIdOf: (node: string) => string | undefined) {
  const guestId = vmx.get('guestOS') ?? 'otherGuest64';
  const hw = vmx.getInt('virtualHW.version') ?? 20;
  const controllers = scsiControllers(vmx);
  const disks = vmxDisks(vmx);
  const devices: unknown[] = [];
  for (const c of controllers) {
    devices.push({
      _type: c.virtualDev === 'pvscsi' ? 'ParaVirtualSCSIController' : c.virtualDev === 'lsisas1068' ? 'VirtualLsiLogicSASController'
        : c.virtualDev === 'buslogic' ? 'VirtualBusLogicController' : 'VirtualLsiLogicController',
      key: c.key,
      deviceInfo: { _type: 'Description', label: `SCSI controller ${c.bus}`, summary: c.virtualDev === 'pvscsi' ? 'VMware paravirtual SCSI' : 'LSI Logic' },
      busNumber: c.bus,
      device: disks.filter((d) => d.bus === c.bus).map((d) => d.key),
      hotAddRemove: true,
      sharedBus: 'noSharing',
      scsiCtlrUnitNumber: 7,
    });
  }
  for (const [i, d] of disks.entries()) devices.push(diskDevice(inv, vm, d, i, changeIdOf(d.node)));
  const trackingOn = vmx.getBool('ctkEnabled');
  return {
    _type: 'VirtualMachineConfigInfo',
    changeVersion: `${vm.loadedAt.toISOString()}#${CHANGE_VERSION_EPOCH}`,
    modified: vm.loadedAt,
    name: vmx.get('displayName') ?? vm.name,
    guestFullName: guestId.startsWith('ubuntu') ? 'Ubuntu Linux (64-bit)' : 'Other (64-bit)',
    version: `vmx-${String(hw).padStart(2, '0')}`,
    uuid: vimUuid(vmx.get('uuid.bios')) ?? '',
    ...(vimUuid(vmx.get('vc.uuid')) ? { instanceUuid: vimUuid(vmx.get('vc.uuid')) } : {}),
    template: false,
    guestId,
    alternateGuestName: '',
    files: {
      _type: 'VirtualMachineFileInfo',
      vmPathName: vm.record.vmx,
      snapshotDirectory: inv.datastorePath(vm.folder),
      suspendDirectory: inv.datastorePath(vm.folder),
      logDirectory: inv.datastorePath(vm.folder),
    },
    flags: { _type: 'VirtualMachineFlagInfo', cbrcCacheEnabled: false },
    defaultPowerOps: { _type: 'VirtualMachineDefaultPowerOpInfo', powerOffType: 'soft', suspendType: 'hard', resetType: 'soft', standbyAction: 'checkpoint' },
    hardware: {
      _type: 'VirtualHardware',
      numCPU: vmx.getInt('numvcpus') ?? 1,
      numCoresPerSocket: 1,
      memoryMB: vmx.getInt('memSize') ?? 1024,
      virtualICH7MPresent: false,
      virtualSMCPresent: false,
      device: devices,
    },
    // The .vmx keys tools read as configuration parameters (§5.1: ctkEnabled is the UI's route).
    extraConfig: vmx.keys().filter((k) => /^(ctkEnabled|scsi\d:\d+\.ctkEnabled)$/i.test(k))
      .map((key) => ({ _type: 'OptionValue', key, value: { _type: 'string', value: vmx.get(key) ?? '' } })),
    changeTrackingEnabled: trackingOn,
    firmware: vmx.get('firmware') ?? 'bios',
  };
}

/** VirtualMachineCapability: the same for every VM (built once; never mutated). */
const CAPABILITY: Record<string, unknown> = (() => {
  const yes = [
    'snapshotOperationsSupported', 'multipleSnapshotsSupported', 'snapshotConfigSupported', 'poweredOffSnapshotsSupported',
    'memorySnapshotsSupported', 'revertToSnapshotSupported', 'quiescedSnapshotsSupported', 'consolePreferencesSupported',
    'cpuFeatureMaskSupported', 's1AcpiManagementSupported', 'settingScreenResolutionSupported', 'toolsAutoUpdateSupported',
    'vmNpivWwnSupported', 'npivWwnOnNonRdmVmSupported', 'swapPlacementSupported', 'toolsSyncTimeSupported',
    'virtualMmuUsageSupported', 'diskSharesSupported', 'bootOptionsSupported', 'settingVideoRamSizeSupported',
    'changeTrackingSupported', 'multipleCoresPerSocketSupported', 'seSparseDiskSupported', 'vmNpivWwnDisableSupported',
    'vmNpivWwnUpdateSupported', 'bootRetryOptionsSupported', 'hostBasedReplicationSupported', 'guestAutoLockSupported',
    'memoryReservationLockSupported', 'featureRequirementSupported', 'poweredOnMonitorTypeChangeSupported',
    'nestedHVSupported', 'vPMCSupported',
  ];
  const no = ['disableSnapshotsSupported', 'lockSnapshotsSupported', 'settingDisplayTopologySupported', 'recordReplaySupported'];
  return {
    _type: 'VirtualMachineCapability',
    ...Object.fromEntries(yes.map((k) => [k, true])),
    ...Object.fromEntries(no.map((k) => [k, false])),
  };
})();

function snapshotInfo(inv: HostInventory, vm: VmEntry): Record<string, unknown> | undefined {
  if (vm.tree.nodes.length === 0) return undefined;
  const tree = (n: SnapshotNode): Record<string, unknown> => {
    const children = vm.tree.children(n.uid);
    return {
      _type: 'VirtualMachineSnapshotTree',
      snapshot: inv.snapshotRef(vm, n),
      vm: inv.vmRef(vm),
      name: n.name,
      description: n.description,
      id: n.uid,
      createTime: n.createTime,
      state: n.powerState,
      quiesced: n.quiesced,
      ...(children.length ? { childSnapshotList: children.map(tree) } : {}),
      replaySupported: false,
    };
  };
  const current = vm.tree.currentUid !== undefined ? vm.tree.get(vm.tree.currentUid) : undefined;
  return {
    _type: 'VirtualMachineSnapshotInfo',
    ...(current ? { currentSnapshot: inv.snapshotRef(vm, current) } : {}),
    rootSnapshotList: vm.tree.children(undefined).map(tree),
  };
}

function datastoresOf(inv: HostInventory, vm: VmEntry): ManagedObjectReference[] {
  const names = new Set<string>([vm.datastore.name]);
  for (const p of vm.links.keys()) {
    const ds = inv.datastoreOf(p);
    if (ds) names.add(ds.name);
  }
  return inv.record.datastores.filter((d) => names.has(d.name)).map((d) => inv.ref('Datastore', d.morefs));
}

/** layoutEx: every file with a key, each disk's chain (base first) and each snapshot's files. */
function layoutEx(inv: HostInventory, vm: VmEntry): Record<string, unknown> {
  const keys = new Map<string, number>();
  const files: unknown[] = [];
  const fileKey = (path: string, type: string): number => {
    let k = keys.get(path);
    if (k === undefined) {
      k = keys.size;
      keys.set(path, k);
      const size = vm.fileSizes.get(path) ?? 0;
      files.push({ _type: 'VirtualMachineFileLayoutExFileInfo', key: k, name: inv.datastorePath(path), type, size, uniqueSize: size, accessible: true });
    }
    return k;
  };
  for (const path of vm.fileSizes.keys()) {
    if (path.startsWith(vm.folder + '/') && !basename(path).endsWith('.vmdk')) fileKey(path, layoutFileType(basename(path)));
  }
  const diskLayout = (vmx: VmxFile, resolved: (fileName: string) => string | undefined) => vmxDisks(vmx).flatMap((d) => {
    const top = resolved(d.fileName);
    if (!top) return [];
    const chain = vm.chain(top).reverse();
    return [{
      _type: 'VirtualMachineFileLayoutExDiskLayout',
      key: d.key,
      chain: chain.map((link) => ({
        _type: 'VirtualMachineFileLayoutExDiskUnit',
        fileKey: link.files.map((f, i) => fileKey(f, i === 0 ? 'diskDescriptor' : 'diskExtent')),
      })),
    }];
  });
  const resolvedNow = (fileName: string) => inv.linkPathOf(vm, fileName);
  const disk = diskLayout(vm.vmx, resolvedNow);
  const snapshot = vm.tree.nodes.map((n) => ({
    _type: 'VirtualMachineFileLayoutExSnapshotLayout',
    key: inv.snapshotRef(vm, n),
    dataKey: fileKey(`${vm.folder}/${n.vmsn}`, 'snapshotData'),
    // No memory file: vixdisk host keeps no guest memory (docs/host-inventory.md).
    memoryKey: -1,
    disk: diskLayout(inv.snapshotConfig(vm, n), resolvedNow),
  }));
  for (const path of vm.fileSizes.keys()) if (basename(path).endsWith('.vmdk')) fileKey(path, 'diskExtent');
  return { _type: 'VirtualMachineFileLayoutEx', file: files, disk, snapshot, timestamp: vm.loadedAt };
}
