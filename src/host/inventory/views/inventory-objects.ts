import type { ManagedObject } from '../../managed-object.js';
import type { ManagedObjectReference } from '../../../vsphere/vim-types.js';
import type { HostInventory } from '../host-inventory.js';
import type { DatastoreRecord, HostRecord, Morefs } from '../inventory-record.js';
import { snapshotObject, vmObject } from './vm-object.js';

/**
 * The vim views of the inventory's containers and infrastructure: Folder, Datacenter,
 * ClusterComputeResource (vCenter) or ComputeResource (ESXi), ResourcePool, HostSystem, Datastore.
 * Each property is computed when asked, from the inventory as it is now, and returned as a fresh
 * value (the property collector may keep it).
 */

type Props = Record<string, () => unknown>;

class ViewObject implements ManagedObject {
  constructor(
    readonly ref: ManagedObjectReference,
    readonly parent: ManagedObjectReference | undefined,
    private readonly props: Props,
  ) {}

  property(name: string): unknown {
    const get = this.props[name];
    return get ? get() : undefined;
  }
}

/** The same object with the common ManagedEntity properties added. */
function entity(ref: ManagedObjectReference, parent: ManagedObjectReference | undefined, name: string, props: Props): ViewObject {
  return new ViewObject(ref, parent, {
    name: () => name,
    ...(parent ? { parent: () => parent } : {}),
    overallStatus: () => 'green',
    configStatus: () => 'green',
    alarmActionsEnabled: () => true,
    ...props,
  });
}

export function inventoryObject(inv: HostInventory, ref: ManagedObjectReference): ManagedObject | undefined {
  const r = inv.record;
  const dc = r.datacenter;
  const is = (type: string, m: Morefs): boolean => ref.type === type && ref.value === m[inv.personality];
  const rootRef = inv.ref('Folder', r.rootFolder);
  const dcRef = inv.ref('Datacenter', dc.morefs);
  const computeType = inv.personality === 'esxi' ? 'ComputeResource' : 'ClusterComputeResource';
  const computeRef = inv.ref(computeType, r.cluster.morefs);
  const poolRef = inv.ref('ResourcePool', r.cluster.resourcePool);
  const hostRefs = (): ManagedObjectReference[] => inv.visibleHosts.map((h) => inv.ref('HostSystem', h.morefs));
  const dsRefs = (): ManagedObjectReference[] => r.datastores.map((d) => inv.ref('Datastore', d.morefs));
  const vmRefs = (): ManagedObjectReference[] => inv.visibleVms.map((v) => inv.vmRef(v));
  const folder = (m: Morefs, name: string, parent: ManagedObjectReference | undefined, childType: string[], children: () => ManagedObjectReference[]) =>
    entity(inv.ref('Folder', m), parent, name, { childEntity: children, childType: () => [...childType] });

  if (is('Folder', r.rootFolder)) return folder(r.rootFolder, 'Datacenters', undefined, ['Folder', 'Datacenter'], () => [dcRef]);
  if (is('Folder', dc.vmFolder)) return folder(dc.vmFolder, 'vm', dcRef, ['Folder', 'VirtualMachine', 'VirtualApp'], vmRefs);
  if (is('Folder', dc.hostFolder)) return folder(dc.hostFolder, 'host', dcRef, ['Folder', 'ComputeResource'], () => [computeRef]);
  if (is('Folder', dc.datastoreFolder)) return folder(dc.datastoreFolder, 'datastore', dcRef, ['Folder', 'Datastore', 'StoragePod'], dsRefs);
  if (is('Folder', dc.networkFolder)) return folder(dc.networkFolder, 'network', dcRef, ['Folder', 'Network', 'DistributedVirtualSwitch'], () => []);
  if (is('Datacenter', dc.morefs)) {
    return entity(dcRef, rootRef, inv.personality === 'esxi' ? 'ha-datacenter' : dc.name, {
      vmFolder: () => inv.ref('Folder', dc.vmFolder),
      hostFolder: () => inv.ref('Folder', dc.hostFolder),
      datastoreFolder: () => inv.ref('Folder', dc.datastoreFolder),
      networkFolder: () => inv.ref('Folder', dc.networkFolder),
      datastore: dsRefs,
      network: () => [],
    });
  }
  if (is(computeType, r.cluster.morefs)) {
    const name = inv.personality === 'esxi' ? inv.visibleHosts[0]!.name : r.cluster.name;
    return entity(computeRef, inv.ref('Folder', dc.hostFolder), name, {
      host: hostRefs,
      datastore: dsRefs,
      network: () => [],
      resourcePool: () => poolRef,
      summary: () => computeSummary(inv, computeType),
    });
  }
  if (is('ResourcePool', r.cluster.resourcePool)) {
    return entity(poolRef, computeRef, 'Resources', {
      owner: () => computeRef,
      vm: vmRefs,
      resourcePool: () => [],
    });
  }
  // The SearchIndex (§2.2's well-known moref) answers FindByUuid/FindByInventoryPath over this inventory.
  if (ref.type === 'SearchIndex' && ref.value === (inv.personality === 'esxi' ? 'ha-searchindex' : 'SearchIndex')) {
    return new ViewObject(ref, undefined, {});
  }
  if (ref.type === 'HostSystem') {
    const host = inv.visibleHosts.find((h) => h.morefs[inv.personality] === ref.value);
    return host ? hostObject(inv, host, computeRef) : undefined;
  }
  if (ref.type === 'Datastore') {
    const ds = r.datastores.find((d) => d.morefs[inv.personality] === ref.value);
    return ds ? datastoreObject(inv, ds) : undefined;
  }
  if (ref.type === 'VirtualMachine') {
    const vm = inv.vmByRef(ref);
    return vm ? vmObject(inv, vm) : undefined;
  }
  if (ref.type === 'VirtualMachineSnapshot') {
    const found = inv.snapshotByRef(ref);
    return found ? snapshotObject(inv, found.vm, found.node) : undefined;
  }
  return undefined;
}

const HOST_MEMORY = 64 * 2 ** 30;
const HOST_CPU_MHZ = 2600;
const HOST_CORES = 16;

function computeSummary(inv: HostInventory, computeType: string): Record<string, unknown> {
  const n = inv.visibleHosts.length;
  return {
    _type: computeType === 'ClusterComputeResource' ? 'ClusterComputeResourceSummary' : 'ComputeResourceSummary',
    totalCpu: n * HOST_CORES * HOST_CPU_MHZ,
    totalMemory: n * HOST_MEMORY,
    numCpuCores: n * HOST_CORES,
    numCpuThreads: n * HOST_CORES * 2,
    effectiveCpu: n * HOST_CORES * HOST_CPU_MHZ,
    effectiveMemory: n * (HOST_MEMORY >> 20),
    numHosts: n,
    numEffectiveHosts: n,
    overallStatus: 'green',
    ...(computeType === 'ClusterComputeResource' ? { currentFailoverLevel: 0, numVmotions: 0 } : {}),
  };
}

/** AboutInfo of an ESXi 8.0.1 host (HostConfigInfo.product). */
export function esxiAbout(): Record<string, unknown> {
  return {
    _type: 'AboutInfo',
    name: 'VMware ESXi',
    fullName: 'VMware ESXi 8.0.1 build-21495797',
    vendor: 'VMware, Inc.',
    version: '8.0.1',
    build: '21495797',
    localeVersion: 'INTL',
    localeBuild: '000',
    osType: 'vmnix-x86',
    productLineId: 'embeddedEsx',
    apiType: 'HostAgent',
    apiVersion: '8.0.1.0',
  };
}

function hostObject(inv: HostInventory, host: HostRecord, computeRef: ManagedObjectReference): ViewObject {
  const ref = inv.ref('HostSystem', host.morefs);
  const vms = (): ManagedObjectReference[] => inv.visibleVms.filter((v) => v.record.host === host.name).map((v) => inv.vmRef(v));
  const runtime = () => ({
    _type: 'HostRuntimeInfo',
    connectionState: 'connected',
    powerState: 'poweredOn',
    inMaintenanceMode: false,
    bootTime: inv.startedAt,
  });
  return entity(ref, computeRef, host.name, {
    vm: vms,
    datastore: () => inv.record.datastores.map((d) => inv.ref('Datastore', d.morefs)),
    network: () => [],
    runtime,
    summary: () => {
      const facts = inv.hostFacts.get(host.name);
      return {
        _type: 'HostListSummary',
        host: ref,
        hardware: {
          _type: 'HostHardwareSummary',
          vendor: 'VMware, Inc.', model: 'VMware Virtual Platform', uuid: host.uuid, memorySize: HOST_MEMORY,
          cpuModel: 'Intel(R) Xeon(R) CPU', cpuMhz: HOST_CPU_MHZ, numCpuPkgs: 2, numCpuCores: HOST_CORES,
          numCpuThreads: HOST_CORES * 2, numNics: 2, numHBAs: 1,
        },
        runtime: runtime(),
        config: {
          _type: 'HostConfigSummary',
          name: host.name,
          port: 443,
          ...(facts ? { sslThumbprint: facts.sslThumbprint } : {}),
          product: esxiAbout(),
          vmotionEnabled: false,
          faultToleranceEnabled: false,
        },
        quickStats: { _type: 'HostListSummaryQuickStats' },
        overallStatus: 'green',
        rebootRequired: false,
        managementServerIp: '127.0.0.1',
      };
    },
    config: () => {
      const facts = inv.hostFacts.get(host.name);
      return {
        _type: 'HostConfigInfo',
        host: ref,
        product: esxiAbout(),
        ...(facts ? { certificate: facts.certificate } : {}),
      };
    },
  });
}

function datastoreObject(inv: HostInventory, ds: DatastoreRecord): ViewObject {
  const ref = inv.ref('Datastore', ds.morefs);
  const url = `ds:///vmfs/volumes/${ds.uuid}/`;
  const space = () => inv.space.get(ds.name) ?? { capacity: 0, freeSpace: 0 };
  const vms = (): ManagedObjectReference[] => inv.visibleVms
    .filter((v) => v.datastore.name === ds.name || [...v.links.keys()].some((p) => inv.datastoreOf(p)?.name === ds.name))
    .map((v) => inv.vmRef(v));
  return entity(ref, inv.ref('Folder', inv.record.datacenter.datastoreFolder), ds.name, {
    summary: () => ({
      _type: 'DatastoreSummary',
      datastore: ref,
      name: ds.name,
      url,
      capacity: space().capacity,
      freeSpace: space().freeSpace,
      accessible: true,
      multipleHostAccess: inv.visibleHosts.length > 1,
      type: 'VMFS',
      maintenanceMode: 'normal',
    }),
    info: () => ({
      _type: 'VmfsDatastoreInfo',
      name: ds.name,
      url,
      freeSpace: space().freeSpace,
      maxFileSize: 62 * 2 ** 40,
      maxVirtualDiskCapacity: 62 * 2 ** 40,
      maxMemoryFileSize: 62 * 2 ** 40,
      maxPhysicalRDMFileSize: 64 * 2 ** 40,
      maxVirtualRDMFileSize: 62 * 2 ** 40,
      timestamp: new Date(),
      containerId: ds.uuid,
      vmfs: {
        _type: 'HostVmfsVolume',
        type: 'VMFS',
        name: ds.name,
        capacity: space().capacity,
        blockSizeMb: 1,
        maxBlocks: 64 * 2 ** 20,
        majorVersion: ds.type === 'VMFS6' ? 6 : 5,
        version: ds.type === 'VMFS6' ? '6.82' : '5.81',
        uuid: ds.uuid,
        // A datastore on a LUN names it as VMFS does: the NAA id of the SCSI disk, partition 1.
        extent: inv.luns.has(ds.name) ? [{ _type: 'HostScsiDiskPartition', diskName: inv.luns.get(ds.name)!.naa, partition: 1 }] : [],
        vmfsUpgradable: false,
        local: !inv.luns.has(ds.name),
      },
    }),
    host: () => inv.visibleHosts.map((h) => ({
      _type: 'DatastoreHostMount',
      key: inv.ref('HostSystem', h.morefs),
      mountInfo: { _type: 'HostMountInfo', path: `/vmfs/volumes/${ds.uuid}`, accessMode: 'readWrite', mounted: true, accessible: true },
    })),
    vm: vms,
    capability: () => ({
      _type: 'DatastoreCapability',
      directoryHierarchySupported: true, rawDiskMappingsSupported: false, perFileThinProvisioningSupported: true,
      storageIORMSupported: false, nativeSnapshotSupported: false, seSparseSupported: ds.type === 'VMFS6',
    }),
  });
}
