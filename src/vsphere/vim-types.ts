/**
 * The vim25 type system, written once for both sides of the wire (client and host): every data
 * object with its base and its fields in WSDL order, enums, and the xsd primitives. Field orders
 * follow the vim25 WSDL as govmomi's vim25/types/types.go reproduces it (read, not copied).
 *
 * A field is written `name:Type`, with `[]` for an array (repeated elements) and `?` when it may
 * be left out: `pathSet:string[]?`. Inherited fields come first (the base's, in its order).
 */

export const PRIMITIVE_TYPES = [
  'string', 'int', 'long', 'short', 'byte', 'boolean', 'double', 'float', 'dateTime', 'base64Binary',
] as const;
export type PrimitiveTypeName = typeof PRIMITIVE_TYPES[number];

export interface FieldDef {
  name: string;
  /** A primitive, `anyType`, `ManagedObjectReference`, an enum or a data object type name. */
  type: string;
  array: boolean;
  optional: boolean;
  /**
   * The API version that added the field (`@8.0.1.0` in the notation), where govmomi records it:
   * a host leaves such fields out for a client that declared an older version (as real hosts do;
   * pyVmomi, for one, refuses a field its type tables do not know).
   */
  since?: string;
}

export interface DataObjectType {
  kind: 'data';
  name: string;
  base?: string;
  /** Own fields, in WSDL order. */
  ownFields: FieldDef[];
  /** Base fields first, then own: the order on the wire. */
  fields: FieldDef[];
}

export interface EnumType {
  kind: 'enum';
  name: string;
  values: readonly string[];
}

export type VimType = DataObjectType | EnumType;

/** A managed object reference: `<elem type="VirtualMachine">vm-16</elem>`. */
export interface ManagedObjectReference {
  _type: 'ManagedObjectReference';
  type: string;
  value: string;
}

/** A data object value: `_type` names its runtime type (left out: the declared type). */
export interface DataObject {
  _type?: string;
  [field: string]: unknown;
}

/**
 * What an `anyType` slot holds when it is not a data object or a moref: a primitive, an enum
 * value or an `ArrayOfX`, tagged with its type (`{ _type: 'boolean', value: true }`,
 * `{ _type: 'ArrayOfManagedObjectReference', value: [...] }`), so it round-trips exactly.
 */
export interface TypedValue {
  _type: string;
  value: unknown;
}

export function moref(type: string, value: string): ManagedObjectReference {
  return { _type: 'ManagedObjectReference', type, value };
}

export function parseField(spec: string): FieldDef {
  const m = /^(\w+):(\w+)(\[\])?(\?)?(?:@(\d+(?:\.\d+)*))?$/.exec(spec);
  if (!m) throw new Error(`bad field spec '${spec}'`);
  const field: FieldDef = { name: m[1]!, type: m[2]!, array: m[3] !== undefined, optional: m[4] !== undefined };
  if (m[5] !== undefined) field.since = m[5];
  return field;
}

/** The registry: one definition per type name. */
export class VimTypeRegistry {
  private readonly types = new Map<string, VimType>();

  dataObject(name: string, base: string | undefined, fields: string[]): void {
    const baseType = base === undefined ? undefined : this.dataObjectType(base);
    if (base !== undefined && !baseType) throw new Error(`${name}: base ${base} is not defined`);
    const ownFields = fields.map(parseField);
    const type: DataObjectType = { kind: 'data', name, ownFields, fields: [...(baseType?.fields ?? []), ...ownFields] };
    if (base !== undefined) type.base = base;
    this.define(type);
  }

  enumType(name: string, values: readonly string[]): void {
    this.define({ kind: 'enum', name, values });
  }

  get(name: string): VimType | undefined {
    return this.types.get(name);
  }

  dataObjectType(name: string): DataObjectType | undefined {
    const type = this.types.get(name);
    return type?.kind === 'data' ? type : undefined;
  }

  /** Whether `name` is `ancestor` or derives from it. */
  isA(name: string, ancestor: string): boolean {
    for (let t = this.dataObjectType(name); t; t = t.base === undefined ? undefined : this.dataObjectType(t.base)) {
      if (t.name === ancestor) return true;
    }
    return false;
  }

  names(): string[] {
    return [...this.types.keys()];
  }

  private define(type: VimType): void {
    if (this.types.has(type.name)) throw new Error(`${type.name} defined twice`);
    this.types.set(type.name, type);
  }
}

export const vimTypes = new VimTypeRegistry();
const d = (name: string, base: string | undefined, fields: string[]): void => vimTypes.dataObject(name, base, fields);
const e = (name: string, values: readonly string[]): void => vimTypes.enumType(name, values);

// --- Base and common types ---
d('DynamicData', undefined, []);
d('KeyAnyValue', 'DynamicData', ['key:string', 'value:anyType']);
d('LocalizableMessage', 'DynamicData', ['key:string', 'arg:KeyAnyValue[]?', 'message:string?']);

// --- Service content and sessions ---
d('AboutInfo', 'DynamicData', [
  'name:string', 'fullName:string', 'vendor:string', 'version:string', 'patchLevel:string?@7.0.2.0', 'build:string',
  'localeVersion:string?', 'localeBuild:string?', 'osType:string', 'productLineId:string', 'apiType:string',
  'apiVersion:string', 'instanceUuid:string?', 'licenseProductName:string?', 'licenseProductVersion:string?',
]);
d('ServiceContent', 'DynamicData', [
  'rootFolder:ManagedObjectReference', 'propertyCollector:ManagedObjectReference',
  'viewManager:ManagedObjectReference?', 'about:AboutInfo',
  ...[
    'setting', 'userDirectory', 'sessionManager', 'authorizationManager', 'serviceManager', 'perfManager',
    'scheduledTaskManager', 'alarmManager', 'eventManager', 'taskManager', 'extensionManager',
    'customizationSpecManager', 'guestCustomizationManager', 'customFieldsManager', 'accountManager',
    'diagnosticManager', 'licenseManager', 'searchIndex', 'fileManager', 'datastoreNamespaceManager',
    'virtualDiskManager', 'virtualizationManager', 'snmpSystem', 'vmProvisioningChecker',
    'vmCompatibilityChecker', 'ovfManager', 'ipPoolManager', 'dvSwitchManager', 'hostProfileManager',
    'clusterProfileManager', 'complianceManager', 'localizationManager', 'storageResourceManager',
    'guestOperationsManager', 'overheadMemoryManager', 'certificateManager', 'ioFilterManager',
    'vStorageObjectManager', 'hostSpecManager', 'cryptoManager', 'healthUpdateManager',
    'failoverClusterConfigurator', 'failoverClusterManager', 'tenantManager', 'siteInfoManager',
    'storageQueryManager',
  ].map((name) => `${name}:ManagedObjectReference?`),
  'directPathProfileManager:ManagedObjectReference?@9.0.0.0',
]);
d('UserSession', 'DynamicData', [
  'key:string', 'userName:string', 'fullName:string', 'loginTime:dateTime', 'lastActiveTime:dateTime',
  'locale:string', 'messageLocale:string', 'extensionSession:boolean', 'ipAddress:string',
  'userAgent:string', 'callCount:long',
]);

// --- Property collector ---
d('SelectionSpec', 'DynamicData', ['name:string?']);
d('TraversalSpec', 'SelectionSpec', ['type:string', 'path:string', 'skip:boolean?', 'selectSet:SelectionSpec[]?']);
d('PropertySpec', 'DynamicData', ['type:string', 'all:boolean?', 'pathSet:string[]?']);
d('ObjectSpec', 'DynamicData', ['obj:ManagedObjectReference', 'skip:boolean?', 'selectSet:SelectionSpec[]?']);
d('PropertyFilterSpec', 'DynamicData', [
  'propSet:PropertySpec[]', 'objectSet:ObjectSpec[]', 'reportMissingObjectsInResults:boolean?',
]);
d('RetrieveOptions', 'DynamicData', ['maxObjects:int?']);
d('DynamicProperty', 'DynamicData', ['name:string', 'val:anyType']);
d('LocalizedMethodFault', 'DynamicData', ['fault:MethodFault', 'localizedMessage:string?']);
d('MissingProperty', 'DynamicData', ['path:string', 'fault:LocalizedMethodFault']);
d('ObjectContent', 'DynamicData', [
  'obj:ManagedObjectReference', 'propSet:DynamicProperty[]?', 'missingSet:MissingProperty[]?',
]);
d('RetrieveResult', 'DynamicData', ['token:string?', 'objects:ObjectContent[]']);

// --- Faults (MethodFault is a data object; `<XFault xsi:type="X">` in a SOAP fault's detail) ---
d('MethodFault', undefined, ['faultCause:LocalizedMethodFault?', 'faultMessage:LocalizableMessage[]?']);
d('RuntimeFault', 'MethodFault', []);
d('VimFault', 'MethodFault', []);
d('InvalidLogin', 'VimFault', []);
d('InvalidLocale', 'VimFault', []);
d('InvalidState', 'VimFault', []);
d('InvalidPowerState', 'InvalidState', ['requestedState:VirtualMachinePowerState?', 'existingState:VirtualMachinePowerState']);
d('TaskInProgress', 'VimFault', ['task:ManagedObjectReference']);
d('FileFault', 'VimFault', ['file:string']);
d('FileNotFound', 'FileFault', []);
d('FileLocked', 'FileFault', []);
d('FileAlreadyExists', 'FileFault', []);
d('InvalidProperty', 'MethodFault', ['name:string']);
d('SecurityError', 'RuntimeFault', []);
d('NoPermissionEntityPrivileges', 'DynamicData', ['entity:ManagedObjectReference', 'privilegeIds:string[]?']);
d('NoPermission', 'SecurityError', [
  'object:ManagedObjectReference?', 'privilegeId:string?', 'missingPrivileges:NoPermissionEntityPrivileges[]?@7.0.3.2',
]);
d('NotAuthenticated', 'NoPermission', []);
d('ManagedObjectNotFound', 'RuntimeFault', ['obj:ManagedObjectReference']);
d('InvalidRequest', 'RuntimeFault', []);
d('InvalidArgument', 'RuntimeFault', ['invalidProperty:string?']);
d('MethodNotFound', 'InvalidRequest', ['receiver:ManagedObjectReference', 'method:string']);
d('InvalidType', 'InvalidRequest', ['argument:string?']);
d('MethodDisabled', 'RuntimeFault', ['source:string?']);
d('MethodAlreadyDisabledFault', 'RuntimeFault', ['sourceId:string']);
d('NotImplemented', 'RuntimeFault', []);
d('NotSupported', 'RuntimeFault', []);
d('RequestCanceled', 'RuntimeFault', []);
d('SystemError', 'RuntimeFault', ['reason:string']);

e('VirtualMachinePowerState', ['poweredOff', 'poweredOn', 'suspended']);

/*
 * Everything below is in the same notation, field orders and `@since` versions as govmomi's
 * vim25/types/types.go (its development tree for vSphere 9.1, which tags fields added since 7.0
 * with the version that added them). Each section holds the types its roots need, closed over
 * field types (a polymorphic field names its base; the subtypes a host or client meets are listed
 * as roots). HostConfigInfo keeps only the fields whose types are small enough to carry
 * (`certificate` and friends); the others are optional, and a reader skips them.
 */

// --- Virtual machines: configuration, devices, runtime, snapshots, file layout, changed block tracking ---
d('VirtualMachineFileInfo', 'DynamicData', [
  'vmPathName:string?', 'snapshotDirectory:string?', 'suspendDirectory:string?', 'logDirectory:string?',
  'ftMetadataDirectory:string?',
]);
d('KeyProviderId', 'DynamicData', ['id:string']);
d('CryptoKeyId', 'DynamicData', ['keyId:string', 'providerId:KeyProviderId?']);
d('ToolsConfigInfoToolsLastInstallInfo', 'DynamicData', ['counter:int', 'fault:LocalizedMethodFault?']);
d('ToolsConfigInfo', 'DynamicData', [
  'toolsVersion:int?', 'toolsInstallType:string?', 'afterPowerOn:boolean?', 'afterResume:boolean?',
  'beforeGuestStandby:boolean?', 'beforeGuestShutdown:boolean?', 'beforeGuestReboot:boolean?',
  'toolsUpgradePolicy:string?', 'pendingCustomization:string?', 'customizationKeyId:CryptoKeyId?',
  'syncTimeWithHostAllowed:boolean?@7.0.1.0', 'syncTimeWithHost:boolean?',
  'lastInstallInfo:ToolsConfigInfoToolsLastInstallInfo?',
]);
d('VirtualMachineFlagInfo', 'DynamicData', [
  'disableAcceleration:boolean?', 'enableLogging:boolean?', 'useToe:boolean?', 'runWithDebugInfo:boolean?',
  'monitorType:string?', 'htSharing:string?', 'snapshotDisabled:boolean?', 'snapshotLocked:boolean?',
  'diskUuidEnabled:boolean?', 'virtualMmuUsage:string?', 'virtualExecUsage:string?',
  'snapshotPowerOffBehavior:string?', 'recordReplayEnabled:boolean?', 'faultToleranceType:string?',
  'cbrcCacheEnabled:boolean?', 'vvtdEnabled:boolean?', 'vbsEnabled:boolean?',
]);
d('VirtualMachineConsolePreferences', 'DynamicData', [
  'powerOnWhenOpened:boolean?', 'enterFullScreenOnPowerOn:boolean?', 'closeOnPowerOffOrSuspend:boolean?',
]);
d('VirtualMachineDefaultPowerOpInfo', 'DynamicData', [
  'powerOffType:string?', 'suspendType:string?', 'resetType:string?', 'defaultPowerOffType:string?',
  'defaultSuspendType:string?', 'defaultResetType:string?', 'standbyAction:string?',
]);
d('Description', 'DynamicData', ['label:string', 'summary:string']);
d('VirtualDeviceBackingInfo', 'DynamicData', []);
d('VirtualDeviceConnectInfo', 'DynamicData', [
  'migrateConnect:string?', 'startConnected:boolean', 'allowGuestControl:boolean', 'connected:boolean',
  'status:string?',
]);
d('VirtualDeviceBusSlotInfo', 'DynamicData', []);
d('VirtualDeviceDeviceGroupInfo', 'DynamicData', ['groupInstanceKey:int', 'sequenceId:int']);
d('VirtualDevice', 'DynamicData', [
  'key:int', 'deviceInfo:Description?', 'backing:VirtualDeviceBackingInfo?', 'connectable:VirtualDeviceConnectInfo?',
  'slotInfo:VirtualDeviceBusSlotInfo?', 'controllerKey:int?', 'unitNumber:int?', 'numaNode:int?@8.0.0.1',
  'deviceGroupInfo:VirtualDeviceDeviceGroupInfo?@8.0.0.1',
]);
d('VirtualHardware', 'DynamicData', [
  'numCPU:int', 'numCoresPerSocket:int?', 'autoCoresPerSocket:boolean?@8.0.0.1', 'memoryMB:int',
  'virtualICH7MPresent:boolean?', 'virtualSMCPresent:boolean?', 'device:VirtualDevice[]?',
  'motherboardLayout:string?@8.0.0.1', 'simultaneousThreads:int?@8.0.0.1',
]);
d('LatencySensitivity', 'DynamicData', ['level:LatencySensitivitySensitivityLevel', 'sensitivity:int?']);
d('VirtualMachineVcpuConfig', 'DynamicData', ['latencySensitivity:LatencySensitivity?']);
d('SharesInfo', 'DynamicData', ['shares:int', 'level:SharesLevel']);
d('ResourceAllocationInfo', 'DynamicData', [
  'reservation:long?', 'expandableReservation:boolean?', 'limit:long?', 'shares:SharesInfo?', 'overheadLimit:long?',
]);
d('VirtualMachineAffinityInfo', 'DynamicData', ['affinitySet:int[]']);
d('VirtualMachineNetworkShaperInfo', 'DynamicData', [
  'enabled:boolean?', 'peakBps:long?', 'averageBps:long?', 'burstSize:long?',
]);
d('OptionValue', 'DynamicData', ['key:string', 'value:anyType']);
d('HostCpuIdInfo', 'DynamicData', [
  'level:int', 'vendor:string?', 'eax:string?', 'ebx:string?', 'ecx:string?', 'edx:string?',
]);
d('VirtualMachineConfigInfoDatastoreUrlPair', 'DynamicData', ['name:string', 'url:string']);
d('VirtualMachineBootOptionsBootableDevice', 'DynamicData', []);
d('VirtualMachineBootOptions', 'DynamicData', [
  'bootDelay:long?', 'enterBIOSSetup:boolean?', 'efiSecureBootEnabled:boolean?', 'bootRetryEnabled:boolean?',
  'bootRetryDelay:long?', 'bootOrder:VirtualMachineBootOptionsBootableDevice[]?', 'networkBootProtocol:string?',
]);
d('FaultToleranceConfigInfo', 'DynamicData', [
  'role:int', 'instanceUuids:string[]', 'configPaths:string[]', 'orphaned:boolean?',
]);
d('ReplicationInfoDiskSettings', 'DynamicData', ['key:int', 'diskReplicationId:string']);
d('ReplicationConfigSpec', 'DynamicData', [
  'generation:long', 'vmReplicationId:string', 'destination:string', 'port:int', 'rpo:long',
  'quiesceGuestEnabled:boolean', 'paused:boolean', 'oppUpdatesEnabled:boolean', 'netCompressionEnabled:boolean?',
  'netEncryptionEnabled:boolean?', 'encryptionDestination:string?', 'encryptionPort:int?',
  'remoteCertificateThumbprint:string?', 'dataSetsReplicationEnabled:boolean?@8.0.0.0',
  'disk:ReplicationInfoDiskSettings[]?',
]);
d('VAppProductInfo', 'DynamicData', [
  'key:int', 'classId:string?', 'instanceId:string?', 'name:string?', 'vendor:string?', 'version:string?',
  'fullVersion:string?', 'vendorUrl:string?', 'productUrl:string?', 'appUrl:string?',
]);
d('VAppPropertyInfo', 'DynamicData', [
  'key:int', 'classId:string?', 'instanceId:string?', 'id:string?', 'category:string?', 'label:string?',
  'type:string?', 'typeReference:string?', 'userConfigurable:boolean?', 'defaultValue:string?', 'value:string?',
  'description:string?',
]);
d('VAppIPAssignmentInfo', 'DynamicData', [
  'supportedAllocationScheme:string[]?', 'ipAllocationPolicy:string?', 'supportedIpProtocol:string[]?',
  'ipProtocol:string?',
]);
d('VAppOvfSectionInfo', 'DynamicData', [
  'key:int?', 'namespace:string?', 'type:string?', 'atEnvelopeLevel:boolean?', 'contents:string?',
]);
d('VmConfigInfo', 'DynamicData', [
  'product:VAppProductInfo[]?', 'property:VAppPropertyInfo[]?', 'ipAssignment:VAppIPAssignmentInfo',
  'eula:string[]?', 'ovfSection:VAppOvfSectionInfo[]?', 'ovfEnvironmentTransport:string[]?',
  'installBootRequired:boolean', 'installBootStopDelay:int',
]);
d('ManagedByInfo', 'DynamicData', ['extensionKey:string', 'type:string']);
d('VirtualMachineConfigInfoOverheadInfo', 'DynamicData', [
  'initialMemoryReservation:long?', 'initialSwapReservation:long?',
]);
d('ScheduledHardwareUpgradeInfo', 'DynamicData', [
  'upgradePolicy:string?', 'versionKey:string?', 'scheduledHardwareUpgradeStatus:string?',
  'fault:LocalizedMethodFault?',
]);
d('VirtualMachineForkConfigInfo', 'DynamicData', [
  'parentEnabled:boolean?', 'childForkGroupId:string?', 'parentForkGroupId:string?', 'childType:string?',
]);
d('VirtualMachineGuestIntegrityInfo', 'DynamicData', ['enabled:boolean?']);
d('VirtualMachineSgxInfo', 'DynamicData', [
  'epcSize:long', 'flcMode:string?', 'lePubKeyHash:string?', 'requireAttestation:boolean?@8.0.0.1',
]);
d('VirtualMachineContentLibraryItemInfo', 'DynamicData', [
  'contentLibraryItemUuid:string', 'contentLibraryItemVersion:string?',
]);
d('VirtualMachineGuestMonitoringModeInfo', 'DynamicData', ['gmmFile:string?', 'gmmAppliance:string?']);
d('VirtualMachineVirtualNumaInfo', 'DynamicData', [
  'coresPerNumaNode:int?', 'autoCoresPerNumaNode:boolean?', 'vnumaOnCpuHotaddExposed:boolean?',
]);
d('VirtualMachineVirtualDeviceSwapDeviceSwapInfo', 'DynamicData', [
  'enabled:boolean?', 'applicable:boolean?', 'status:string?',
]);
d('VirtualMachineVirtualDeviceSwap', 'DynamicData', ['lsiToPvscsi:VirtualMachineVirtualDeviceSwapDeviceSwapInfo?']);
d('VirtualMachineVirtualPMem', 'DynamicData', ['snapshotMode:string?']);
d('VirtualMachineVirtualDeviceGroupsDeviceGroup', 'DynamicData', ['groupInstanceKey:int', 'deviceInfo:Description?']);
d('VirtualMachineVirtualDeviceGroups', 'DynamicData', [
  'deviceGroup:VirtualMachineVirtualDeviceGroupsDeviceGroup[]?',
]);
d('VirtualMachineConfigInfo', 'DynamicData', [
  'changeVersion:string', 'modified:dateTime', 'name:string', 'guestFullName:string', 'version:string',
  'uuid:string', 'createDate:dateTime?', 'instanceUuid:string?', 'npivNodeWorldWideName:long[]?',
  'npivPortWorldWideName:long[]?', 'npivWorldWideNameType:string?', 'npivDesiredNodeWwns:short?',
  'npivDesiredPortWwns:short?', 'npivTemporaryDisabled:boolean?', 'npivOnNonRdmDisks:boolean?', 'locationId:string?',
  'template:boolean', 'guestId:string', 'alternateGuestName:string', 'annotation:string?',
  'files:VirtualMachineFileInfo', 'tools:ToolsConfigInfo?', 'flags:VirtualMachineFlagInfo',
  'consolePreferences:VirtualMachineConsolePreferences?', 'defaultPowerOps:VirtualMachineDefaultPowerOpInfo',
  'rebootPowerOff:boolean?@8.0.0.1', 'hardware:VirtualHardware', 'vcpuConfig:VirtualMachineVcpuConfig[]?',
  'cpuAllocation:ResourceAllocationInfo?', 'memoryAllocation:ResourceAllocationInfo?',
  'latencySensitivity:LatencySensitivity?', 'memoryHotAddEnabled:boolean?', 'cpuHotAddEnabled:boolean?',
  'cpuHotRemoveEnabled:boolean?', 'hotPlugMemoryLimit:long?', 'hotPlugMemoryIncrementSize:long?',
  'cpuAffinity:VirtualMachineAffinityInfo?', 'memoryAffinity:VirtualMachineAffinityInfo?',
  'networkShaper:VirtualMachineNetworkShaperInfo?', 'extraConfig:OptionValue[]?', 'cpuFeatureMask:HostCpuIdInfo[]?',
  'datastoreUrl:VirtualMachineConfigInfoDatastoreUrlPair[]?', 'swapPlacement:string?',
  'bootOptions:VirtualMachineBootOptions?', 'ftInfo:FaultToleranceConfigInfo?', 'repConfig:ReplicationConfigSpec?',
  'vAppConfig:VmConfigInfo?', 'vAssertsEnabled:boolean?', 'changeTrackingEnabled:boolean?', 'firmware:string?',
  'maxMksConnections:int?', 'guestAutoLockEnabled:boolean?', 'managedBy:ManagedByInfo?',
  'memoryReservationLockedToMax:boolean?', 'initialOverhead:VirtualMachineConfigInfoOverheadInfo?',
  'nestedHVEnabled:boolean?', 'vPMCEnabled:boolean?', 'scheduledHardwareUpgradeInfo:ScheduledHardwareUpgradeInfo?',
  'forkConfigInfo:VirtualMachineForkConfigInfo?', 'vFlashCacheReservation:long?', 'vmxConfigChecksum:base64Binary?',
  'messageBusTunnelEnabled:boolean?', 'vmStorageObjectId:string?', 'swapStorageObjectId:string?',
  'keyId:CryptoKeyId?', 'guestIntegrityInfo:VirtualMachineGuestIntegrityInfo?', 'migrateEncryption:string?',
  'sgxInfo:VirtualMachineSgxInfo?', 'contentLibItemInfo:VirtualMachineContentLibraryItemInfo?',
  'ftEncryptionMode:string?@7.0.2.0', 'guestMonitoringModeInfo:VirtualMachineGuestMonitoringModeInfo?',
  'sevEnabled:boolean?@7.0.1.0', 'numaInfo:VirtualMachineVirtualNumaInfo?@8.0.0.1',
  'pmemFailoverEnabled:boolean?@7.0.2.0', 'vmxStatsCollectionEnabled:boolean?@7.0.3.1',
  'vmOpNotificationToAppEnabled:boolean?@7.0.3.0', 'vmOpNotificationTimeout:long?@8.0.0.1',
  'deviceSwap:VirtualMachineVirtualDeviceSwap?@8.0.0.1', 'pmem:VirtualMachineVirtualPMem?@7.0.3.0',
  'deviceGroups:VirtualMachineVirtualDeviceGroups?@8.0.0.1', 'fixedPassthruHotPlugEnabled:boolean?@8.0.1.0',
  'metroFtEnabled:boolean?@8.0.3.0', 'vmxRuntimeConfig:OptionValue[]?@9.0.0.0', 'metroFtHostGroup:string?@8.0.3.0',
  'tdxEnabled:boolean?@9.0.0.0', 'sevSnpEnabled:boolean?@9.0.0.0',
]);
d('StorageIOAllocationInfo', 'DynamicData', ['limit:long?', 'shares:SharesInfo?', 'reservation:int?']);
d('VirtualDiskVFlashCacheConfigInfo', 'DynamicData', [
  'vFlashModule:string?', 'reservationInMB:long?', 'cacheConsistencyType:string?', 'cacheMode:string?',
  'blockSizeInKB:long?',
]);
d('ID', 'DynamicData', ['id:string']);
d('VirtualMachineBaseIndependentFilterSpec', 'DynamicData', []);
d('VirtualDisk', 'VirtualDevice', [
  'capacityInKB:long', 'capacityInBytes:long?', 'shares:SharesInfo?', 'storageIOAllocation:StorageIOAllocationInfo?',
  'diskObjectId:string?', 'vFlashCacheConfigInfo:VirtualDiskVFlashCacheConfigInfo?', 'iofilter:string[]?',
  'vDiskId:ID?', 'vDiskVersion:int?@8.0.1.0', 'virtualDiskFormat:string?@9.0.0.0',
  'nativeUnmanagedLinkedClone:boolean?', 'independentFilters:VirtualMachineBaseIndependentFilterSpec[]?@7.0.2.1',
  'guestReadOnly:boolean?@8.0.2.0',
]);
d('VirtualController', 'VirtualDevice', ['busNumber:int', 'device:int[]?']);
d('VirtualSCSIController', 'VirtualController', [
  'hotAddRemove:boolean?', 'sharedBus:VirtualSCSISharing', 'scsiCtlrUnitNumber:int?',
]);
d('ParaVirtualSCSIController', 'VirtualSCSIController', []);
d('VirtualLsiLogicController', 'VirtualSCSIController', []);
d('VirtualLsiLogicSASController', 'VirtualSCSIController', []);
d('VirtualBusLogicController', 'VirtualSCSIController', []);
d('VirtualIDEController', 'VirtualController', []);
d('VirtualSATAController', 'VirtualController', []);
d('VirtualAHCIController', 'VirtualSATAController', []);
d('VirtualNVMEController', 'VirtualController', ['sharedBus:string?@8.0.2.0']);
d('VirtualPCIController', 'VirtualController', []);
d('VirtualPS2Controller', 'VirtualController', []);
d('VirtualSIOController', 'VirtualController', []);
d('VirtualUSBController', 'VirtualController', ['autoConnectDevices:boolean?', 'ehciEnabled:boolean?']);
d('VirtualUSBXHCIController', 'VirtualController', ['autoConnectDevices:boolean?']);
d('VirtualKeyboard', 'VirtualDevice', []);
d('VirtualPointingDevice', 'VirtualDevice', []);
d('VirtualMachineVideoCard', 'VirtualDevice', [
  'videoRamSizeInKB:long?', 'numDisplays:int?', 'useAutoDetect:boolean?', 'enable3DSupport:boolean?',
  'use3dRenderer:string?', 'graphicsMemorySizeInKB:long?',
]);
d('VirtualMachineVMCIDeviceFilterSpec', 'DynamicData', [
  'rank:long', 'action:string', 'protocol:string', 'direction:string', 'lowerDstPortBoundary:long?',
  'upperDstPortBoundary:long?',
]);
d('VirtualMachineVMCIDeviceFilterInfo', 'DynamicData', ['filters:VirtualMachineVMCIDeviceFilterSpec[]?']);
d('VirtualMachineVMCIDevice', 'VirtualDevice', [
  'id:long?', 'allowUnrestrictedCommunication:boolean?', 'filterEnable:boolean?',
  'filterInfo:VirtualMachineVMCIDeviceFilterInfo?',
]);
d('VirtualCdrom', 'VirtualDevice', []);
d('VirtualDeviceFileBackingInfo', 'VirtualDeviceBackingInfo', [
  'fileName:string', 'datastore:ManagedObjectReference?', 'backingObjectId:string?',
]);
d('VirtualCdromIsoBackingInfo', 'VirtualDeviceFileBackingInfo', []);
d('VirtualDeviceDeviceBackingInfo', 'VirtualDeviceBackingInfo', ['deviceName:string', 'useAutoDetect:boolean?']);
d('VirtualCdromAtapiBackingInfo', 'VirtualDeviceDeviceBackingInfo', []);
d('VirtualDeviceRemoteDeviceBackingInfo', 'VirtualDeviceBackingInfo', [
  'deviceName:string', 'useAutoDetect:boolean?',
]);
d('VirtualCdromRemotePassthroughBackingInfo', 'VirtualDeviceRemoteDeviceBackingInfo', ['exclusive:boolean']);
d('VirtualFloppy', 'VirtualDevice', []);
d('VirtualEthernetCardResourceAllocation', 'DynamicData', ['reservation:long?', 'share:SharesInfo', 'limit:long?']);
d('VirtualEthernetCard', 'VirtualDevice', [
  'addressType:string?', 'macAddress:string?', 'wakeOnLanEnabled:boolean?',
  'resourceAllocation:VirtualEthernetCardResourceAllocation?', 'externalId:string?',
  'uptCompatibilityEnabled:boolean?', 'subnetId:string?@9.0.0.0',
]);
d('VirtualVmxnet', 'VirtualEthernetCard', []);
d('VirtualVmxnet3StrictLatencyConfig', 'DynamicData', [
  'allowed:boolean?', 'measureLatency:boolean?', 'maxTxQueues:int?', 'maxRxQueues:int?', 'txDataRingDescSize:int?',
  'rxDataRingDescSize:int?', 'disableOffload:string?',
]);
d('VirtualVmxnet3', 'VirtualVmxnet', [
  'uptv2Enabled:boolean?@8.0.0.1', 'strictLatencyConfig:VirtualVmxnet3StrictLatencyConfig?@8.0.3.1',
]);
d('VirtualE1000', 'VirtualEthernetCard', []);
d('VirtualE1000e', 'VirtualEthernetCard', []);
d('VirtualEthernetCardNetworkBackingInfo', 'VirtualDeviceDeviceBackingInfo', [
  'network:ManagedObjectReference?', 'inPassthroughMode:boolean?',
]);
d('DistributedVirtualSwitchPortConnection', 'DynamicData', [
  'switchUuid:string', 'portgroupKey:string?', 'portKey:string?', 'connectionCookie:int?',
]);
d('VirtualEthernetCardDistributedVirtualPortBackingInfo', 'VirtualDeviceBackingInfo', [
  'port:DistributedVirtualSwitchPortConnection',
]);
d('VirtualEthernetCardOpaqueNetworkBackingInfo', 'VirtualDeviceBackingInfo', [
  'opaqueNetworkId:string', 'opaqueNetworkType:string',
]);
d('VirtualDevicePipeBackingInfo', 'VirtualDeviceBackingInfo', ['pipeName:string']);
d('VirtualDeviceURIBackingInfo', 'VirtualDeviceBackingInfo', [
  'serviceURI:string', 'direction:string', 'proxyURI:string?',
]);
d('VirtualDiskFlatVer1BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'contentId:string?',
  'parent:VirtualDiskFlatVer1BackingInfo?',
]);
d('VirtualDiskFlatVer2BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'thinProvisioned:boolean?', 'eagerlyScrub:boolean?',
  'uuid:string?', 'contentId:string?', 'changeId:string?', 'parent:VirtualDiskFlatVer2BackingInfo?',
  'deltaDiskFormat:string?', 'digestEnabled:boolean?', 'deltaGrainSize:int?', 'deltaDiskFormatVariant:string?',
  'sharing:string?', 'keyId:CryptoKeyId?',
]);
d('VirtualDiskSeSparseBackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'writeThrough:boolean?', 'uuid:string?', 'contentId:string?', 'changeId:string?',
  'parent:VirtualDiskSeSparseBackingInfo?', 'deltaDiskFormat:string?', 'digestEnabled:boolean?', 'grainSize:int?',
  'keyId:CryptoKeyId?',
]);
d('VirtualDiskSparseVer1BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'spaceUsedInKB:long?', 'contentId:string?',
  'parent:VirtualDiskSparseVer1BackingInfo?',
]);
d('VirtualDiskSparseVer2BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'spaceUsedInKB:long?', 'uuid:string?',
  'contentId:string?', 'changeId:string?', 'parent:VirtualDiskSparseVer2BackingInfo?', 'keyId:CryptoKeyId?',
]);
d('VirtualDiskRawDiskMappingVer1BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'lunUuid:string?', 'deviceName:string?', 'compatibilityMode:string?', 'diskMode:string?', 'uuid:string?',
  'contentId:string?', 'changeId:string?', 'parent:VirtualDiskRawDiskMappingVer1BackingInfo?',
  'deltaDiskFormat:string?', 'deltaGrainSize:int?', 'sharing:string?',
]);
d('VirtualDiskRawDiskVer2BackingInfo', 'VirtualDeviceDeviceBackingInfo', [
  'descriptorFileName:string', 'uuid:string?', 'changeId:string?', 'sharing:string?',
]);
d('VirtualDiskPartitionedRawDiskVer2BackingInfo', 'VirtualDiskRawDiskVer2BackingInfo', ['partition:int[]']);
d('VirtualDevicePciBusSlotInfo', 'VirtualDeviceBusSlotInfo', ['pciSlotNumber:int']);
d('VirtualMachineProfileSpec', 'DynamicData', []);
d('CryptoSpec', 'DynamicData', []);
d('VirtualDeviceConfigSpecBackingSpec', 'DynamicData', [
  'parent:VirtualDeviceConfigSpecBackingSpec?', 'crypto:CryptoSpec?',
]);
d('VirtualDeviceConfigSpec', 'DynamicData', [
  'operation:VirtualDeviceConfigSpecOperation?', 'fileOperation:VirtualDeviceConfigSpecFileOperation?',
  'device:VirtualDevice', 'profile:VirtualMachineProfileSpec[]?', 'backing:VirtualDeviceConfigSpecBackingSpec?',
  'filterSpec:VirtualMachineBaseIndependentFilterSpec[]?@7.0.2.1', 'changeMode:string?@8.0.0.1',
]);
d('ArrayUpdateSpec', 'DynamicData', ['operation:ArrayUpdateOperation', 'removeKey:anyType?']);
d('VirtualMachineCpuIdInfoSpec', 'ArrayUpdateSpec', ['info:HostCpuIdInfo?']);
d('VAppProductSpec', 'ArrayUpdateSpec', ['info:VAppProductInfo?']);
d('VAppPropertySpec', 'ArrayUpdateSpec', ['info:VAppPropertyInfo?']);
d('VAppOvfSectionSpec', 'ArrayUpdateSpec', ['info:VAppOvfSectionInfo?']);
d('VmConfigSpec', 'DynamicData', [
  'product:VAppProductSpec[]?', 'property:VAppPropertySpec[]?', 'ipAssignment:VAppIPAssignmentInfo?',
  'eula:string[]?', 'ovfSection:VAppOvfSectionSpec[]?', 'ovfEnvironmentTransport:string[]?',
  'installBootRequired:boolean?', 'installBootStopDelay:int?',
]);
d('VirtualMachineVirtualNuma', 'DynamicData', ['coresPerNumaNode:int?', 'exposeVnumaOnCpuHotadd:boolean?']);
d('TagIdNameId', 'DynamicData', ['tag:string', 'category:string']);
d('TagId', 'DynamicData', ['nameId:TagIdNameId?', 'uuid:string?']);
d('TagSpec', 'ArrayUpdateSpec', ['id:TagId']);
d('VmPlacementPolicy', 'DynamicData', ['tagsToAttach:string[]?']);
d('VirtualMachineConfigSpec', 'DynamicData', [
  'changeVersion:string?', 'name:string?', 'version:string?', 'createDate:dateTime?', 'uuid:string?',
  'instanceUuid:string?', 'npivNodeWorldWideName:long[]?', 'npivPortWorldWideName:long[]?',
  'npivWorldWideNameType:string?', 'npivDesiredNodeWwns:short?', 'npivDesiredPortWwns:short?',
  'npivTemporaryDisabled:boolean?', 'npivOnNonRdmDisks:boolean?', 'npivWorldWideNameOp:string?',
  'locationId:string?', 'guestId:string?', 'alternateGuestName:string?', 'annotation:string?',
  'files:VirtualMachineFileInfo?', 'tools:ToolsConfigInfo?', 'flags:VirtualMachineFlagInfo?',
  'consolePreferences:VirtualMachineConsolePreferences?', 'powerOpInfo:VirtualMachineDefaultPowerOpInfo?',
  'rebootPowerOff:boolean?@8.0.0.1', 'numCPUs:int?', 'vcpuConfig:VirtualMachineVcpuConfig[]?',
  'numCoresPerSocket:int?', 'memoryMB:long?', 'memoryHotAddEnabled:boolean?', 'cpuHotAddEnabled:boolean?',
  'cpuHotRemoveEnabled:boolean?', 'virtualICH7MPresent:boolean?', 'virtualSMCPresent:boolean?',
  'deviceChange:VirtualDeviceConfigSpec[]?', 'cpuAllocation:ResourceAllocationInfo?',
  'memoryAllocation:ResourceAllocationInfo?', 'latencySensitivity:LatencySensitivity?',
  'cpuAffinity:VirtualMachineAffinityInfo?', 'memoryAffinity:VirtualMachineAffinityInfo?',
  'networkShaper:VirtualMachineNetworkShaperInfo?', 'cpuFeatureMask:VirtualMachineCpuIdInfoSpec[]?',
  'extraConfig:OptionValue[]?', 'swapPlacement:string?', 'bootOptions:VirtualMachineBootOptions?',
  'vAppConfig:VmConfigSpec?', 'ftInfo:FaultToleranceConfigInfo?', 'repConfig:ReplicationConfigSpec?',
  'vAppConfigRemoved:boolean?', 'vAssertsEnabled:boolean?', 'changeTrackingEnabled:boolean?', 'firmware:string?',
  'maxMksConnections:int?', 'guestAutoLockEnabled:boolean?', 'managedBy:ManagedByInfo?',
  'memoryReservationLockedToMax:boolean?', 'nestedHVEnabled:boolean?', 'vPMCEnabled:boolean?',
  'scheduledHardwareUpgradeInfo:ScheduledHardwareUpgradeInfo?', 'vmProfile:VirtualMachineProfileSpec[]?',
  'messageBusTunnelEnabled:boolean?', 'crypto:CryptoSpec?', 'migrateEncryption:string?',
  'sgxInfo:VirtualMachineSgxInfo?', 'ftEncryptionMode:string?@7.0.2.0',
  'guestMonitoringModeInfo:VirtualMachineGuestMonitoringModeInfo?', 'sevEnabled:boolean?@7.0.1.0',
  'virtualNuma:VirtualMachineVirtualNuma?@8.0.0.1', 'motherboardLayout:string?@8.0.0.1',
  'pmemFailoverEnabled:boolean?@7.0.2.0', 'vmxStatsCollectionEnabled:boolean?@7.0.3.1',
  'vmOpNotificationToAppEnabled:boolean?@7.0.3.0', 'vmOpNotificationTimeout:long?@8.0.0.1',
  'deviceSwap:VirtualMachineVirtualDeviceSwap?@8.0.0.1', 'simultaneousThreads:int?@8.0.0.1',
  'pmem:VirtualMachineVirtualPMem?@7.0.3.0', 'deviceGroups:VirtualMachineVirtualDeviceGroups?@8.0.0.1',
  'fixedPassthruHotPlugEnabled:boolean?@8.0.1.0', 'metroFtEnabled:boolean?@8.0.3.0',
  'metroFtHostGroup:string?@8.0.3.0', 'tdxEnabled:boolean?@9.0.0.0', 'sevSnpEnabled:boolean?@9.0.0.0',
  'tagSpecs:TagSpec[]?@9.1.0.0', 'vmPlacementPolicies:VmPlacementPolicy[]?@9.1.0.0',
  'skipExtensionCompatibilityChecks:boolean?@9.1.0.0',
]);
d('VirtualDiskConfigSpec', 'VirtualDeviceConfigSpec', ['diskMoveType:string?', 'migrateCache:boolean?']);
d('FaultDomainId', 'DynamicData', ['id:string']);
d('DeviceGroupId', 'DynamicData', ['id:string']);
d('ReplicationGroupId', 'DynamicData', ['faultDomainId:FaultDomainId', 'deviceGroupId:DeviceGroupId']);
d('ReplicationSpec', 'DynamicData', ['replicationGroupId:ReplicationGroupId']);
d('VirtualMachineProfileRawData', 'DynamicData', ['extensionKey:string', 'objectData:string?']);
d('KeyValue', 'DynamicData', ['key:string', 'value:string']);
d('VirtualMachineDefinedProfileSpec', 'VirtualMachineProfileSpec', [
  'profileId:string', 'replicationSpec:ReplicationSpec?', 'profileData:VirtualMachineProfileRawData?',
  'profileParams:KeyValue[]?',
]);
d('VirtualMachineEmptyProfileSpec', 'VirtualMachineProfileSpec', []);
d('VirtualMachineDeviceRuntimeInfoDeviceRuntimeState', 'DynamicData', []);
d('VirtualMachineDeviceRuntimeInfo', 'DynamicData', [
  'runtimeState:VirtualMachineDeviceRuntimeInfoDeviceRuntimeState', 'key:int',
]);
d('VirtualMachineRuntimeInfoDasProtectionState', 'DynamicData', ['dasProtected:boolean']);
d('OptionType', 'DynamicData', ['valueIsReadonly:boolean?']);
d('ElementDescription', 'Description', ['key:string']);
d('ChoiceOption', 'OptionType', ['choiceInfo:ElementDescription[]', 'defaultIndex:int?']);
d('VirtualMachineMessage', 'DynamicData', ['id:string', 'argument:anyType[]?', 'text:string?']);
d('VirtualMachineQuestionInfo', 'DynamicData', [
  'id:string', 'text:string', 'choice:ChoiceOption', 'message:VirtualMachineMessage[]?',
]);
d('VirtualMachineFeatureRequirement', 'DynamicData', ['key:string', 'featureName:string', 'value:string']);
d('HostFeatureMask', 'DynamicData', ['key:string', 'featureName:string', 'value:string']);
d('VirtualMachineRuntimeInfo', 'DynamicData', [
  'device:VirtualMachineDeviceRuntimeInfo[]?', 'host:ManagedObjectReference?',
  'connectionState:VirtualMachineConnectionState', 'powerState:VirtualMachinePowerState',
  'vmFailoverInProgress:boolean?@7.0.2.0', 'faultToleranceState:VirtualMachineFaultToleranceState',
  'dasVmProtection:VirtualMachineRuntimeInfoDasProtectionState?', 'toolsInstallerMounted:boolean',
  'suspendTime:dateTime?', 'bootTime:dateTime?', 'suspendInterval:long?', 'question:VirtualMachineQuestionInfo?',
  'memoryOverhead:long?', 'maxCpuUsage:int?', 'maxMemoryUsage:int?', 'numMksConnections:int',
  'recordReplayState:VirtualMachineRecordReplayState', 'cleanPowerOff:boolean?', 'needSecondaryReason:string?',
  'onlineStandby:boolean', 'minRequiredEVCModeKey:string?', 'consolidationNeeded:boolean',
  'offlineFeatureRequirement:VirtualMachineFeatureRequirement[]?',
  'featureRequirement:VirtualMachineFeatureRequirement[]?', 'featureMask:HostFeatureMask[]?',
  'vFlashCacheAllocation:long?', 'paused:boolean?', 'snapshotInBackground:boolean?', 'quiescedForkParent:boolean?',
  'instantCloneFrozen:boolean?', 'cryptoState:string?', 'suspendedToMemory:boolean?@7.0.2.0',
  'opNotificationTimeout:long?@8.0.0.1', 'iommuActive:boolean?@8.0.1.0',
]);
d('VirtualMachineGuestSummary', 'DynamicData', [
  'guestId:string?', 'guestFullName:string?', 'toolsStatus:VirtualMachineToolsStatus?', 'toolsVersionStatus:string?',
  'toolsVersionStatus2:string?', 'toolsRunningStatus:string?', 'hostName:string?', 'ipAddress:string?',
  'hwVersion:string?',
]);
d('VirtualMachineConfigSummary', 'DynamicData', [
  'name:string', 'template:boolean', 'vmPathName:string', 'memorySizeMB:int?', 'cpuReservation:int?',
  'memoryReservation:int?', 'numCpu:int?', 'numEthernetCards:int?', 'numVirtualDisks:int?', 'uuid:string?',
  'instanceUuid:string?', 'guestId:string?', 'guestFullName:string?', 'annotation:string?',
  'product:VAppProductInfo?', 'installBootRequired:boolean?', 'ftInfo:FaultToleranceConfigInfo?',
  'managedBy:ManagedByInfo?', 'tpmPresent:boolean?', 'numVmiopBackings:int?', 'hwVersion:string?',
]);
d('VirtualMachineStorageSummary', 'DynamicData', [
  'committed:long', 'uncommitted:long', 'unshared:long', 'timestamp:dateTime',
]);
d('VirtualMachineQuickStatsMemoryTierStats', 'DynamicData', ['memoryTierType:string', 'readBandwidth:long']);
d('VirtualMachineQuickStats', 'DynamicData', [
  'overallCpuUsage:int?', 'overallCpuDemand:int?', 'overallCpuReadiness:int?', 'guestMemoryUsage:int?',
  'hostMemoryUsage:int?', 'guestHeartbeatStatus:ManagedEntityStatus', 'distributedCpuEntitlement:int?',
  'distributedMemoryEntitlement:int?', 'staticCpuEntitlement:int?', 'staticMemoryEntitlement:int?',
  'grantedMemory:int?', 'privateMemory:int?', 'sharedMemory:int?', 'swappedMemory:int?', 'balloonedMemory:int?',
  'consumedOverheadMemory:int?', 'ftLogBandwidth:int?', 'ftSecondaryLatency:int?',
  'ftLatencyStatus:ManagedEntityStatus?', 'compressedMemory:long?', 'uptimeSeconds:int?', 'ssdSwappedMemory:long?',
  'activeMemory:int?@7.0.3.0', 'memoryTierStats:VirtualMachineQuickStatsMemoryTierStats[]?@7.0.3.0',
]);
d('CustomFieldValue', 'DynamicData', ['key:int']);
d('VirtualMachineSummary', 'DynamicData', [
  'vm:ManagedObjectReference?', 'runtime:VirtualMachineRuntimeInfo', 'guest:VirtualMachineGuestSummary?',
  'config:VirtualMachineConfigSummary', 'storage:VirtualMachineStorageSummary?',
  'quickStats:VirtualMachineQuickStats', 'overallStatus:ManagedEntityStatus', 'customValue:CustomFieldValue[]?',
]);
d('VirtualMachineCapability', 'DynamicData', [
  'snapshotOperationsSupported:boolean', 'multipleSnapshotsSupported:boolean', 'snapshotConfigSupported:boolean',
  'poweredOffSnapshotsSupported:boolean', 'memorySnapshotsSupported:boolean', 'revertToSnapshotSupported:boolean',
  'quiescedSnapshotsSupported:boolean', 'disableSnapshotsSupported:boolean', 'lockSnapshotsSupported:boolean',
  'consolePreferencesSupported:boolean', 'cpuFeatureMaskSupported:boolean', 's1AcpiManagementSupported:boolean',
  'settingScreenResolutionSupported:boolean', 'toolsAutoUpdateSupported:boolean', 'vmNpivWwnSupported:boolean',
  'npivWwnOnNonRdmVmSupported:boolean', 'vmNpivWwnDisableSupported:boolean', 'vmNpivWwnUpdateSupported:boolean',
  'swapPlacementSupported:boolean', 'toolsSyncTimeSupported:boolean', 'virtualMmuUsageSupported:boolean',
  'diskSharesSupported:boolean', 'bootOptionsSupported:boolean', 'bootRetryOptionsSupported:boolean',
  'settingVideoRamSizeSupported:boolean', 'settingDisplayTopologySupported:boolean', 'recordReplaySupported:boolean',
  'changeTrackingSupported:boolean', 'multipleCoresPerSocketSupported:boolean',
  'hostBasedReplicationSupported:boolean', 'guestAutoLockSupported:boolean',
  'memoryReservationLockSupported:boolean', 'featureRequirementSupported:boolean',
  'poweredOnMonitorTypeChangeSupported:boolean', 'seSparseDiskSupported:boolean', 'nestedHVSupported:boolean',
  'vPMCSupported:boolean', 'secureBootSupported:boolean?', 'perVmEvcSupported:boolean?',
  'virtualMmuUsageIgnored:boolean?', 'virtualExecUsageIgnored:boolean?',
  'diskOnlySnapshotOnSuspendedVMSupported:boolean?', 'suspendToMemorySupported:boolean?@7.0.2.0',
  'toolsSyncTimeAllowSupported:boolean?@7.0.1.0', 'sevSupported:boolean?@7.0.1.0',
  'pmemFailoverSupported:boolean?@7.0.2.0', 'requireSgxAttestationSupported:boolean?@8.0.0.1',
  'changeModeDisksSupported:boolean?@8.0.0.1', 'vendorDeviceGroupSupported:boolean?@8.0.1.0',
  'sevSnpSupported:boolean?@9.0.0.0', 'tdxSupported:boolean?@9.0.0.0',
]);
d('VirtualMachineSnapshotTree', 'DynamicData', [
  'snapshot:ManagedObjectReference', 'vm:ManagedObjectReference', 'name:string', 'description:string', 'id:int',
  'createTime:dateTime', 'state:VirtualMachinePowerState', 'quiesced:boolean', 'backupManifest:string?',
  'childSnapshotList:VirtualMachineSnapshotTree[]?', 'replaySupported:boolean?',
]);
d('VirtualMachineSnapshotInfo', 'DynamicData', [
  'currentSnapshot:ManagedObjectReference?', 'rootSnapshotList:VirtualMachineSnapshotTree[]',
]);
d('VirtualMachineFileLayoutExFileInfo', 'DynamicData', [
  'key:int', 'name:string', 'type:string', 'size:long', 'uniqueSize:long?', 'backingObjectId:string?',
  'accessible:boolean?',
]);
d('VirtualMachineFileLayoutExDiskUnit', 'DynamicData', ['fileKey:int[]']);
d('VirtualMachineFileLayoutExDiskLayout', 'DynamicData', [
  'key:int', 'virtualDiskFormat:string?@9.0.0.0', 'chain:VirtualMachineFileLayoutExDiskUnit[]?',
]);
d('VirtualMachineFileLayoutExSnapshotLayout', 'DynamicData', [
  'key:ManagedObjectReference', 'dataKey:int', 'memoryKey:int', 'disk:VirtualMachineFileLayoutExDiskLayout[]?',
]);
d('VirtualMachineFileLayoutEx', 'DynamicData', [
  'file:VirtualMachineFileLayoutExFileInfo[]?', 'disk:VirtualMachineFileLayoutExDiskLayout[]?',
  'snapshot:VirtualMachineFileLayoutExSnapshotLayout[]?', 'timestamp:dateTime',
]);
d('VirtualMachineFileLayoutDiskLayout', 'DynamicData', ['key:int', 'diskFile:string[]']);
d('VirtualMachineFileLayoutSnapshotLayout', 'DynamicData', ['key:ManagedObjectReference', 'snapshotFile:string[]']);
d('VirtualMachineFileLayout', 'DynamicData', [
  'configFile:string[]?', 'logFile:string[]?', 'disk:VirtualMachineFileLayoutDiskLayout[]?',
  'snapshot:VirtualMachineFileLayoutSnapshotLayout[]?', 'swapFile:string?',
]);
d('VirtualMachineUsageOnDatastore', 'DynamicData', [
  'datastore:ManagedObjectReference', 'committed:long', 'uncommitted:long', 'unshared:long',
]);
d('VirtualMachineStorageInfo', 'DynamicData', [
  'perDatastoreUsage:VirtualMachineUsageOnDatastore[]?', 'timestamp:dateTime',
]);
d('NetDnsConfigInfo', 'DynamicData', [
  'dhcp:boolean', 'hostName:string', 'domainName:string', 'ipAddress:string[]?', 'searchDomain:string[]?',
]);
d('NetIpConfigInfoIpAddress', 'DynamicData', [
  'ipAddress:string', 'prefixLength:int', 'origin:string?', 'state:string?', 'lifetime:dateTime?',
]);
d('NetDhcpConfigInfoDhcpOptions', 'DynamicData', ['enable:boolean', 'config:KeyValue[]?']);
d('NetDhcpConfigInfo', 'DynamicData', ['ipv6:NetDhcpConfigInfoDhcpOptions?', 'ipv4:NetDhcpConfigInfoDhcpOptions?']);
d('NetIpConfigInfo', 'DynamicData', [
  'ipAddress:NetIpConfigInfoIpAddress[]?', 'dhcp:NetDhcpConfigInfo?', 'autoConfigurationEnabled:boolean?',
]);
d('NetBIOSConfigInfo', 'DynamicData', ['mode:string']);
d('GuestNicInfo', 'DynamicData', [
  'network:string?', 'ipAddress:string[]?', 'macAddress:string?', 'connected:boolean', 'deviceConfigId:int',
  'dnsConfig:NetDnsConfigInfo?', 'ipConfig:NetIpConfigInfo?', 'netBIOSConfig:NetBIOSConfigInfo?',
]);
d('NetIpRouteConfigInfoGateway', 'DynamicData', ['ipAddress:string?', 'device:string?']);
d('NetIpRouteConfigInfoIpRoute', 'DynamicData', [
  'network:string', 'prefixLength:int', 'gateway:NetIpRouteConfigInfoGateway',
]);
d('NetIpRouteConfigInfo', 'DynamicData', ['ipRoute:NetIpRouteConfigInfoIpRoute[]?']);
d('GuestStackInfo', 'DynamicData', [
  'dnsConfig:NetDnsConfigInfo?', 'ipRouteConfig:NetIpRouteConfigInfo?', 'ipStackConfig:KeyValue[]?',
  'dhcpConfig:NetDhcpConfigInfo?',
]);
d('GuestInfoVirtualDiskMapping', 'DynamicData', ['key:int']);
d('GuestDiskInfo', 'DynamicData', [
  'diskPath:string?', 'capacity:long?', 'freeSpace:long?', 'filesystemType:string?',
  'mappings:GuestInfoVirtualDiskMapping[]?',
]);
d('GuestScreenInfo', 'DynamicData', ['width:int', 'height:int']);
d('GuestInfoNamespaceGenerationInfo', 'DynamicData', ['key:string', 'generationNo:int']);
d('GuestInfoCustomizationInfo', 'DynamicData', [
  'customizationStatus:string', 'startTime:dateTime?', 'endTime:dateTime?', 'errorMsg:string?',
]);
d('GuestInfo', 'DynamicData', [
  'toolsStatus:VirtualMachineToolsStatus?', 'toolsVersionStatus:string?', 'toolsVersionStatus2:string?',
  'toolsRunningStatus:string?', 'toolsVersion:string?', 'toolsInstallType:string?', 'guestId:string?',
  'guestFamily:string?', 'guestFullName:string?', 'guestDetailedData:string?@8.0.2.0', 'hostName:string?',
  'ipAddress:string?', 'net:GuestNicInfo[]?', 'ipStack:GuestStackInfo[]?', 'disk:GuestDiskInfo[]?',
  'screen:GuestScreenInfo?', 'guestState:string', 'appHeartbeatStatus:string?', 'guestKernelCrashed:boolean?',
  'appState:string?', 'guestOperationsReady:boolean?', 'interactiveGuestOperationsReady:boolean?',
  'guestStateChangeSupported:boolean?', 'generationInfo:GuestInfoNamespaceGenerationInfo[]?', 'hwVersion:string?',
  'customizationInfo:GuestInfoCustomizationInfo?@7.0.2.0',
]);
d('DiskChangeExtent', 'DynamicData', ['start:long', 'length:long']);
d('DiskChangeInfo', 'DynamicData', ['startOffset:long', 'length:long', 'changedArea:DiskChangeExtent[]?']);
d('ResourceConfigSpec', 'DynamicData', [
  'entity:ManagedObjectReference?', 'changeVersion:string?', 'lastModified:dateTime?',
  'cpuAllocation:ResourceAllocationInfo', 'memoryAllocation:ResourceAllocationInfo',
  'scaleDescendantsShares:string?',
]);
d('VirtualMachineGuestQuiesceSpec', 'DynamicData', ['timeout:int?']);
d('VirtualMachineWindowsQuiesceSpec', 'VirtualMachineGuestQuiesceSpec', [
  'vssBackupType:int?', 'vssBootableSystemState:boolean?', 'vssPartialFileSupport:boolean?',
  'vssBackupContext:string?',
]);
d('SnapshotSelectionSpec', 'DynamicData', ['retentionDays:int?']);
e('ArrayUpdateOperation', ['add', 'remove', 'edit']);
e('LatencySensitivitySensitivityLevel', ['low', 'normal', 'medium', 'high', 'custom']);
e('ManagedEntityStatus', ['gray', 'green', 'yellow', 'red']);
e('SharesLevel', ['low', 'normal', 'high', 'custom']);
e('VirtualDeviceConfigSpecFileOperation', ['create', 'destroy', 'replace']);
e('VirtualDeviceConfigSpecOperation', ['add', 'remove', 'edit']);
e('VirtualDiskCompatibilityMode', ['virtualMode', 'physicalMode']);
e('VirtualDiskDeltaDiskFormat', ['redoLogFormat', 'nativeFormat', 'seSparseFormat']);
e('VirtualDiskDeltaDiskFormatVariant', ['vmfsSparseVariant', 'vsanSparseVariant']);
e('VirtualDiskMode', [
  'persistent', 'nonpersistent', 'undoable', 'independent_persistent', 'independent_nonpersistent', 'append',
]);
e('VirtualDiskSharing', ['sharingNone', 'sharingMultiWriter']);
e('VirtualMachineConnectionState', ['connected', 'disconnected', 'orphaned', 'inaccessible', 'invalid']);
e('VirtualMachineFaultToleranceState', [
  'notConfigured', 'disabled', 'enabled', 'needSecondary', 'starting', 'running',
]);
e('VirtualMachineFileLayoutExFileType', [
  'config', 'extendedConfig', 'diskDescriptor', 'diskExtent', 'digestDescriptor', 'digestExtent',
  'diskReplicationState', 'log', 'stat', 'namespaceData', 'dataSetsDiskModeStore', 'dataSetsVmModeStore', 'nvram',
  'snapshotData', 'snapshotMemory', 'snapshotList', 'snapshotManifestList', 'suspend', 'suspendMemory', 'swap',
  'uwswap', 'core', 'screenshot', 'ftMetadata', 'guestCustomization',
]);
e('VirtualMachineGuestState', ['running', 'shuttingDown', 'resetting', 'standby', 'notRunning', 'unknown']);
e('VirtualMachineMovePriority', ['lowPriority', 'highPriority', 'defaultPriority']);
e('VirtualMachineRecordReplayState', ['recording', 'replaying', 'inactive']);
e('VirtualMachineToolsRunningStatus', ['guestToolsNotRunning', 'guestToolsRunning', 'guestToolsExecutingScripts']);
e('VirtualMachineToolsStatus', ['toolsNotInstalled', 'toolsNotRunning', 'toolsOld', 'toolsOk']);
e('VirtualMachineToolsVersionStatus', [
  'guestToolsNotInstalled', 'guestToolsNeedUpgrade', 'guestToolsCurrent', 'guestToolsUnmanaged', 'guestToolsTooOld',
  'guestToolsSupportedOld', 'guestToolsSupportedNew', 'guestToolsTooNew', 'guestToolsBlacklisted',
]);
e('VirtualSCSISharing', ['noSharing', 'virtualSharing', 'physicalSharing']);

// --- Inventory: hosts, datastores, clusters, datacenters, resource pools, networks ---
d('HostSystemIdentificationInfo', 'DynamicData', ['identifierValue:string', 'identifierType:ElementDescription']);
d('HostHardwareSummary', 'DynamicData', [
  'vendor:string', 'model:string', 'family:string?@9.0.0.0', 'uuid:string',
  'otherIdentifyingInfo:HostSystemIdentificationInfo[]?', 'memorySize:long', 'cpuModel:string', 'cpuMhz:int',
  'numCpuPkgs:short', 'numCpuCores:short', 'numCpuThreads:short', 'numNics:int', 'numHBAs:int',
]);
d('HostFru', 'DynamicData', [
  'type:string', 'partName:string', 'partNumber:string', 'manufacturer:string', 'serialNumber:string?',
  'mfgTimeStamp:dateTime?',
]);
d('HostNumericSensorInfo', 'DynamicData', [
  'name:string', 'healthState:ElementDescription?', 'currentReading:long', 'unitModifier:int', 'baseUnits:string',
  'rateUnits:string?', 'sensorType:string', 'id:string?', 'sensorNumber:long?@8.0.0.1', 'timeStamp:string?',
  'fru:HostFru?@8.0.0.1',
]);
d('HostSystemHealthInfo', 'DynamicData', ['numericSensorInfo:HostNumericSensorInfo[]?']);
d('HostHardwareElementInfo', 'DynamicData', ['name:string', 'status:ElementDescription']);
d('HostStorageOperationalInfo', 'DynamicData', ['property:string', 'value:string']);
d('HostStorageElementInfo', 'HostHardwareElementInfo', ['operationalInfo:HostStorageOperationalInfo[]?']);
d('DpuStatusInfoOperationalInfo', 'DynamicData', [
  'sensorId:string', 'healthState:ElementDescription?', 'reading:string', 'units:string?', 'timeStamp:dateTime?',
]);
d('DpuStatusInfo', 'HostHardwareElementInfo', [
  'dpuId:string', 'fru:HostFru?', 'sensors:DpuStatusInfoOperationalInfo[]?',
]);
d('HostHardwareStatusInfo', 'DynamicData', [
  'memoryStatusInfo:HostHardwareElementInfo[]?', 'cpuStatusInfo:HostHardwareElementInfo[]?',
  'storageStatusInfo:HostStorageElementInfo[]?', 'dpuStatusInfo:DpuStatusInfo[]?@8.0.0.1',
]);
d('HealthSystemRuntime', 'DynamicData', [
  'systemHealthInfo:HostSystemHealthInfo?', 'hardwareStatusInfo:HostHardwareStatusInfo?',
]);
d('ClusterDasFdmHostState', 'DynamicData', ['state:string', 'stateReporter:ManagedObjectReference?']);
d('HostDigestInfo', 'DynamicData', ['digestMethod:string', 'digestValue:byte[]', 'objectName:string?']);
d('HostTpmDigestInfo', 'HostDigestInfo', ['pcrNumber:int']);
d('VsanHostMembershipInfo', 'DynamicData', ['nodeUuid:string', 'hostname:string']);
d('VsanHostRuntimeInfoDiskIssue', 'DynamicData', ['diskId:string', 'issue:string']);
d('VsanHostRuntimeInfo', 'DynamicData', [
  'membershipList:VsanHostMembershipInfo[]?', 'diskIssues:VsanHostRuntimeInfoDiskIssue[]?', 'accessGenNo:int?',
]);
d('HostRuntimeInfoNetStackInstanceRuntimeInfo', 'DynamicData', [
  'netStackInstanceKey:string', 'state:string?', 'vmknicKeys:string[]?', 'maxNumberOfConnections:int?',
  'currentIpV6Enabled:boolean?',
]);
d('HostPlacedVirtualNicIdentifier', 'DynamicData', [
  'vm:ManagedObjectReference', 'vnicKey:string', 'reservation:int?',
]);
d('HostPnicNetworkResourceInfo', 'DynamicData', [
  'pnicDevice:string', 'availableBandwidthForVMTraffic:long?', 'unusedBandwidthForVMTraffic:long?',
  'placedVirtualNics:HostPlacedVirtualNicIdentifier[]?',
]);
d('HostNetworkResourceRuntime', 'DynamicData', ['pnicResourceInfo:HostPnicNetworkResourceInfo[]']);
d('HostRuntimeInfoNetworkRuntimeInfo', 'DynamicData', [
  'netStackInstanceRuntimeInfo:HostRuntimeInfoNetStackInstanceRuntimeInfo[]?',
  'networkResourceRuntime:HostNetworkResourceRuntime?',
]);
d('HostVFlashManagerVFlashResourceRunTimeInfo', 'DynamicData', [
  'usage:long', 'capacity:long', 'accessible:boolean', 'capacityForVmCache:long', 'freeForVmCache:long',
]);
d('HostPartialMaintenanceModeRuntimeInfo', 'DynamicData', ['key:string', 'hostStatus:string']);
d('HostRuntimeInfoStateEncryptionInfo', 'DynamicData', [
  'protectionMode:string', 'requireSecureBoot:boolean?', 'requireExecInstalledOnly:boolean?',
]);
d('PodVMOverheadInfo', 'DynamicData', [
  'crxPageSharingSupported:boolean', 'podVMOverheadWithoutPageSharing:int', 'podVMOverheadWithPageSharing:int',
]);
d('PodVMInfo', 'DynamicData', ['hasPageSharingPodVM:boolean', 'podVMOverheadInfo:PodVMOverheadInfo']);
d('HostRuntimeInfo', 'DynamicData', [
  'connectionState:HostSystemConnectionState', 'powerState:HostSystemPowerState', 'standbyMode:string?',
  'inMaintenanceMode:boolean', 'inQuarantineMode:boolean?', 'bootTime:dateTime?',
  'healthSystemRuntime:HealthSystemRuntime?', 'dasHostState:ClusterDasFdmHostState?',
  'tpmPcrValues:HostTpmDigestInfo[]?', 'vsanRuntimeInfo:VsanHostRuntimeInfo?',
  'networkRuntimeInfo:HostRuntimeInfoNetworkRuntimeInfo?',
  'vFlashResourceRuntimeInfo:HostVFlashManagerVFlashResourceRunTimeInfo?', 'hostMaxVirtualDiskCapacity:long?',
  'cryptoState:string?', 'cryptoKeyId:CryptoKeyId?', 'statelessNvdsMigrationReady:string?@7.0.2.0',
  'partialMaintenanceMode:HostPartialMaintenanceModeRuntimeInfo[]?@8.0.3.0',
  'stateEncryption:HostRuntimeInfoStateEncryptionInfo?@7.0.3.0', 'podVMInfo:PodVMInfo?@9.1.0.0',
]);
d('HostConfigSummary', 'DynamicData', [
  'name:string', 'port:int', 'sslThumbprint:string?', 'sslCertificate:string?@9.0.0.0', 'product:AboutInfo?',
  'vmotionEnabled:boolean', 'faultToleranceEnabled:boolean', 'agentVmDatastore:ManagedObjectReference?',
  'agentVmNetwork:ManagedObjectReference?',
]);
d('HostListSummaryQuickStats', 'DynamicData', [
  'overallCpuUsage:int?', 'overallMemoryUsage:int?', 'distributedCpuFairness:int?', 'distributedMemoryFairness:int?',
  'availablePMemCapacity:int?', 'uptime:int?',
]);
d('HostListSummaryGatewaySummary', 'DynamicData', ['gatewayType:string', 'gatewayId:string']);
d('HostTpmAttestationInfo', 'DynamicData', [
  'time:dateTime', 'status:HostTpmAttestationInfoAcceptanceStatus', 'message:LocalizableMessage?',
]);
d('HostTrustAuthorityAttestationInfo', 'DynamicData', [
  'attestationStatus:string', 'serviceId:string?', 'attestedAt:dateTime?', 'attestedUntil:dateTime?',
  'messages:LocalizableMessage[]?',
]);
d('HostListSummary', 'DynamicData', [
  'host:ManagedObjectReference?', 'hardware:HostHardwareSummary?', 'runtime:HostRuntimeInfo?',
  'config:HostConfigSummary', 'quickStats:HostListSummaryQuickStats', 'overallStatus:ManagedEntityStatus',
  'rebootRequired:boolean', 'customValue:CustomFieldValue[]?', 'managementServerIp:string?', 'maxEVCModeKey:string?',
  'currentEVCModeKey:string?', 'currentEVCGraphicsModeKey:string?@7.0.1.0', 'gateway:HostListSummaryGatewaySummary?',
  'tpmAttestation:HostTpmAttestationInfo?',
  'trustAuthorityAttestationInfos:HostTrustAuthorityAttestationInfo[]?@7.0.1.0',
]);
d('NetworkSummary', 'DynamicData', [
  'network:ManagedObjectReference?', 'name:string', 'accessible:boolean', 'ipPoolName:string', 'ipPoolId:int?',
]);
d('HostConnectInfoNetworkInfo', 'DynamicData', ['summary:NetworkSummary']);
d('DatastoreSummary', 'DynamicData', [
  'datastore:ManagedObjectReference?', 'name:string', 'url:string', 'capacity:long', 'freeSpace:long',
  'uncommitted:long?', 'accessible:boolean', 'multipleHostAccess:boolean?', 'type:string', 'maintenanceMode:string?',
]);
d('HostDatastoreConnectInfo', 'DynamicData', ['summary:DatastoreSummary']);
d('LicenseManagerLicenseInfo', 'DynamicData', [
  'licenseKey:string', 'editionKey:string', 'name:string', 'total:int', 'used:int?', 'costUnit:string',
  'properties:KeyAnyValue[]?', 'labels:KeyValue[]?',
]);
d('LicenseManagerEvaluationInfo', 'DynamicData', ['properties:KeyAnyValue[]']);
d('HostLicensableResourceInfo', 'DynamicData', ['resource:KeyAnyValue[]']);
d('HostLicenseConnectInfo', 'DynamicData', [
  'license:LicenseManagerLicenseInfo', 'evaluation:LicenseManagerEvaluationInfo',
  'resource:HostLicensableResourceInfo?',
]);
d('HostCapability', 'DynamicData', [
  'recursiveResourcePoolsSupported:boolean', 'cpuMemoryResourceConfigurationSupported:boolean',
  'rebootSupported:boolean', 'shutdownSupported:boolean', 'vmotionSupported:boolean', 'standbySupported:boolean',
  'ipmiSupported:boolean?', 'maxSupportedVMs:int?', 'maxRunningVMs:int?', 'maxSupportedVcpus:int?',
  'maxRegisteredVMs:int?', 'datastorePrincipalSupported:boolean', 'sanSupported:boolean', 'nfsSupported:boolean',
  'iscsiSupported:boolean', 'vlanTaggingSupported:boolean', 'nicTeamingSupported:boolean',
  'highGuestMemSupported:boolean', 'maintenanceModeSupported:boolean', 'suspendedRelocateSupported:boolean',
  'restrictedSnapshotRelocateSupported:boolean', 'perVmSwapFiles:boolean', 'localSwapDatastoreSupported:boolean',
  'unsharedSwapVMotionSupported:boolean', 'backgroundSnapshotsSupported:boolean',
  'preAssignedPCIUnitNumbersSupported:boolean', 'screenshotSupported:boolean', 'scaledScreenshotSupported:boolean',
  'storageVMotionSupported:boolean', 'vmotionWithStorageVMotionSupported:boolean',
  'vmotionAcrossNetworkSupported:boolean?', 'maxNumDisksSVMotion:int?',
  'maxVirtualDiskDescVersionSupported:int?@8.0.1.0', 'hbrNicSelectionSupported:boolean',
  'vrNfcNicSelectionSupported:boolean', 'recordReplaySupported:boolean', 'ftSupported:boolean',
  'replayUnsupportedReason:string?', 'replayCompatibilityIssues:string[]?', 'smpFtSupported:boolean',
  'ftCompatibilityIssues:string[]?', 'smpFtCompatibilityIssues:string[]?', 'maxVcpusPerFtVm:int?',
  'loginBySSLThumbprintSupported:boolean?', 'cloneFromSnapshotSupported:boolean',
  'deltaDiskBackingsSupported:boolean', 'perVMNetworkTrafficShapingSupported:boolean', 'tpmSupported:boolean',
  'tpmVersion:string?', 'txtEnabled:boolean?', 'supportedCpuFeature:HostCpuIdInfo[]?',
  'virtualExecUsageSupported:boolean', 'storageIORMSupported:boolean', 'vmDirectPathGen2Supported:boolean?',
  'vmDirectPathGen2UnsupportedReason:string[]?', 'vmDirectPathGen2UnsupportedReasonExtended:string?',
  'supportedVmfsMajorVersion:int[]?', 'vStorageCapable:boolean', 'snapshotRelayoutSupported:boolean',
  'firewallIpRulesSupported:boolean?', 'servicePackageInfoSupported:boolean?', 'maxHostRunningVms:int?',
  'maxHostSupportedVcpus:int?', 'vmfsDatastoreMountCapable:boolean',
  'eightPlusHostVmfsSharedAccessSupported:boolean', 'nestedHVSupported:boolean', 'vPMCSupported:boolean',
  'interVMCommunicationThroughVMCISupported:boolean', 'scheduledHardwareUpgradeSupported:boolean?',
  'featureCapabilitiesSupported:boolean', 'latencySensitivitySupported:boolean', 'storagePolicySupported:boolean?',
  'accel3dSupported:boolean', 'reliableMemoryAware:boolean?', 'multipleNetworkStackInstanceSupported:boolean?',
  'messageBusProxySupported:boolean?', 'vsanSupported:boolean?', 'vFlashSupported:boolean?',
  'hostAccessManagerSupported:boolean?', 'provisioningNicSelectionSupported:boolean', 'nfs41Supported:boolean?',
  'nfs41Krb5iSupported:boolean?', 'turnDiskLocatorLedSupported:boolean?', 'virtualVolumeDatastoreSupported:boolean?',
  'markAsSsdSupported:boolean?', 'markAsLocalSupported:boolean?', 'smartCardAuthenticationSupported:boolean?',
  'pMemSupported:boolean?', 'pMemSnapshotSupported:boolean?', 'cryptoSupported:boolean?',
  'oneKVolumeAPIsSupported:boolean?', 'gatewayOnNicSupported:boolean?', 'upitSupported:boolean?',
  'cpuHwMmuSupported:boolean?', 'encryptedVMotionSupported:boolean?',
  'encryptionChangeOnAddRemoveSupported:boolean?', 'encryptionHotOperationSupported:boolean?',
  'encryptionWithSnapshotsSupported:boolean?', 'encryptionFaultToleranceSupported:boolean?',
  'encryptionMemorySaveSupported:boolean?', 'encryptionRDMSupported:boolean?', 'encryptionVFlashSupported:boolean?',
  'encryptionCBRCSupported:boolean?', 'encryptionHBRSupported:boolean?', 'ftEfiSupported:boolean?',
  'unmapMethodSupported:string?', 'maxMemMBPerFtVm:int?', 'virtualMmuUsageIgnored:boolean?',
  'virtualExecUsageIgnored:boolean?', 'vmCreateDateSupported:boolean?', 'vmfs3EOLSupported:boolean?',
  'ftVmcpSupported:boolean?', 'quickBootSupported:boolean?', 'encryptedFtSupported:boolean?@7.0.2.0',
  'assignableHardwareSupported:boolean?', 'suspendToMemorySupported:boolean?@7.0.2.0',
  'useFeatureReqsForOldHWv:boolean?', 'markPerenniallyReservedSupported:boolean?', 'hppPspSupported:boolean?',
  'deviceRebindWithoutRebootSupported:boolean?', 'storagePolicyChangeSupported:boolean?',
  'precisionTimeProtocolSupported:boolean?', 'remoteDeviceVMotionSupported:boolean?', 'maxSupportedVmMemory:int?',
  'ahDeviceHintsSupported:boolean?@7.0.2.0', 'nvmeOverTcpSupported:boolean?@7.0.3.0',
  'nvmeStorageFabricServicesSupported:boolean?@7.0.3.0', 'assignHwPciConfigSupported:boolean?@7.0.2.0',
  'timeConfigSupported:boolean?@7.0.3.0', 'nvmeBatchOperationsSupported:boolean?@7.0.3.0',
  'pMemFailoverSupported:boolean?@7.0.2.0', 'hostConfigEncryptionSupported:boolean?@7.0.2.0',
  'maxSupportedSimultaneousThreads:int?@8.0.0.1', 'ptpConfigSupported:boolean?@7.0.3.0',
  'maxSupportedPtpPorts:int?@7.0.3.0', 'sgxRegistrationSupported:boolean?@8.0.0.1',
  'pMemIndependentSnapshotSupported:boolean?@7.0.3.0', 'iommuSLDirtyCapable:boolean?@8.0.0.1',
  'vmknicBindingSupported:boolean?@8.0.1.0', 'ultralowFixedUnmapSupported:boolean?@8.0.0.1',
  'nvmeVvolSupported:boolean?@8.0.0.0', 'fptHotplugSupported:boolean?@8.0.1.0', 'mconnectSupported:boolean?@8.0.1.0',
  'vsanNicMgmtSupported:boolean?@8.0.2.0', 'vvolNQNSupported:boolean?@8.0.2.0',
  'stretchedSCSupported:boolean?@8.0.3.0', 'vmknicBindingOnNFSv41:boolean?@8.0.3.0',
  'vpStatusCheckSupported:boolean?@8.0.3.0', 'e2e4knSupported:boolean?@9.0.0.0',
  'vsanDedicatedVmkNicSupported:boolean?@9.0.0.0', 'nConnectSupported:boolean?@8.0.3.0',
  'userKeySupported:boolean?@8.0.3.0', 'ndcmSupported:boolean?@8.0.3.0', 'uefiSecureBoot:boolean?@8.0.3.0',
  'vpxdVmxGenerationSupported:boolean?@9.0.0.0', 'nfs41Krb5pSupported:boolean?@9.0.0.0',
  'cimSupported:boolean?@9.0.0.0', 'npivSupported:boolean?@9.0.0.0', 'entitlementSupported:boolean?@9.0.0.0',
  'fcdLinkedCloneSupported:boolean?@9.1.0.0',
]);
d('HostConnectInfo', 'DynamicData', [
  'serverIp:string?', 'inDasCluster:boolean?', 'host:HostListSummary', 'vm:VirtualMachineSummary[]?',
  'vimAccountNameRequired:boolean?', 'clusterSupported:boolean?', 'network:HostConnectInfoNetworkInfo[]?',
  'datastore:HostDatastoreConnectInfo[]?', 'license:HostLicenseConnectInfo?', 'capability:HostCapability?',
]);
d('DatastoreInfo', 'DynamicData', [
  'name:string', 'url:string', 'freeSpace:long', 'maxFileSize:long', 'maxVirtualDiskCapacity:long?',
  'maxMemoryFileSize:long', 'timestamp:dateTime?', 'containerId:string?', 'aliasOf:string?',
  'supportedVDiskFormats:string[]?@9.0.0.0', 'logicalSectorSize:int?@9.0.0.0', 'physicalSectorSize:int?@9.0.0.0',
]);
d('HostFileSystemVolume', 'DynamicData', ['type:string', 'name:string', 'capacity:long']);
d('VmfsUnmapBandwidthSpec', 'DynamicData', [
  'policy:string', 'fixedValue:long', 'dynamicMin:long', 'dynamicMax:long',
]);
d('HostScsiDiskPartition', 'DynamicData', ['diskName:string', 'partition:int']);
d('HostForceMountedInfo', 'DynamicData', ['persist:boolean', 'mounted:boolean']);
d('HostVmfsVolume', 'HostFileSystemVolume', [
  'blockSizeMb:int', 'blockSize:int?', 'unmapGranularity:int?', 'unmapPriority:string?',
  'unmapBandwidthSpec:VmfsUnmapBandwidthSpec?', 'maxBlocks:int', 'majorVersion:int', 'version:string', 'uuid:string',
  'extent:HostScsiDiskPartition[]', 'vmfsUpgradable:boolean', 'forceMountedInfo:HostForceMountedInfo?',
  'ssd:boolean?', 'local:boolean?', 'scsiDiskType:string?',
]);
d('VmfsDatastoreInfo', 'DatastoreInfo', [
  'maxPhysicalRDMFileSize:long', 'maxVirtualRDMFileSize:long', 'vmfs:HostVmfsVolume?',
]);
d('HostNasVolume', 'HostFileSystemVolume', [
  'remoteHost:string', 'remotePath:string', 'userName:string?', 'remoteHostNames:string[]?', 'securityType:string?',
  'protocolEndpoint:boolean?',
]);
d('NasDatastoreInfo', 'DatastoreInfo', ['nas:HostNasVolume?']);
d('LocalDatastoreInfo', 'DatastoreInfo', ['path:string?']);
d('HostLocalFileSystemVolume', 'HostFileSystemVolume', ['device:string']);
d('DatastoreCapability', 'DynamicData', [
  'directoryHierarchySupported:boolean', 'rawDiskMappingsSupported:boolean',
  'perFileThinProvisioningSupported:boolean', 'storageIORMSupported:boolean', 'nativeSnapshotSupported:boolean',
  'topLevelDirectoryCreateSupported:boolean?', 'seSparseSupported:boolean?', 'vmfsSparseSupported:boolean?',
  'vsanSparseSupported:boolean?', 'upitSupported:boolean?', 'vmdkExpandSupported:boolean?',
  'clusteredVmdkSupported:boolean?',
]);
d('HostMountInfo', 'DynamicData', [
  'path:string?', 'accessMode:string', 'mounted:boolean?', 'accessible:boolean?', 'inaccessibleReason:string?',
  'vmknicName:string?@8.0.1.0', 'vmknicActive:boolean?@8.0.1.0', 'mountFailedReason:string?@8.0.0.1',
  'numTcpConnections:int?@8.0.1.0',
]);
d('DatastoreHostMount', 'DynamicData', ['key:ManagedObjectReference', 'mountInfo:HostMountInfo']);
d('ComputeResourceSummary', 'DynamicData', [
  'totalCpu:int', 'totalMemory:long', 'numCpuCores:short', 'numCpuThreads:short', 'effectiveCpu:int',
  'effectiveMemory:long', 'numHosts:int', 'numEffectiveHosts:int', 'overallStatus:ManagedEntityStatus',
]);
d('ClusterDasAdmissionControlInfo', 'DynamicData', []);
d('ClusterUsageSummary', 'DynamicData', [
  'totalCpuCapacityMhz:int', 'totalMemCapacityMB:int', 'cpuReservationMhz:int', 'memReservationMB:int',
  'poweredOffCpuReservationMhz:int?', 'poweredOffMemReservationMB:int?', 'cpuDemandMhz:int', 'memDemandMB:int',
  'statsGenNumber:long', 'cpuEntitledMhz:int', 'memEntitledMB:int', 'poweredOffVmCount:int', 'totalVmCount:int',
  'tier0MemCapacityMB:int?@9.0.0.0', 'reservedTier0MemMB:int?@9.0.0.0', 'unreservedTier0MemMB:int?@9.0.0.0',
]);
d('ClusterDasData', 'DynamicData', []);
d('ClusterComputeResourceVcsSlots', 'DynamicData', [
  'systemId:string?@7.0.3.0', 'host:ManagedObjectReference', 'datastore:ManagedObjectReference[]?@7.0.3.0',
  'totalSlots:int',
]);
d('ClusterComputeResourceSummary', 'ComputeResourceSummary', [
  'currentFailoverLevel:int', 'admissionControlInfo:ClusterDasAdmissionControlInfo?', 'numVmotions:int',
  'targetBalance:int?', 'currentBalance:int?', 'drsScore:int?', 'numVmsPerDrsScoreBucket:int[]?',
  'usageSummary:ClusterUsageSummary?', 'currentEVCModeKey:string?', 'currentEVCGraphicsModeKey:string?@7.0.1.0',
  'dasData:ClusterDasData?', 'clusterMaintenanceModeStatus:string?@7.0.0.2', 'vcsHealthStatus:string?@7.0.1.1',
  'vcsSlots:ClusterComputeResourceVcsSlots[]?@7.0.1.1',
]);
d('DatacenterConfigInfo', 'DynamicData', [
  'defaultHardwareVersionKey:string?', 'maximumHardwareVersionKey:string?@7.0.2.0',
]);
d('ResourcePoolResourceUsage', 'DynamicData', [
  'reservationUsed:long', 'reservationUsedForVm:long', 'unreservedForPool:long', 'unreservedForVm:long',
  'overallUsage:long', 'maxUsage:long',
]);
d('ResourcePoolVmResourceProfileUsage', 'DynamicData', [
  'id:string', 'reservedForPool:long', 'reservationUsedForVms:long', 'reservationUsedForChildPools:long',
]);
d('ResourcePoolRuntimeInfo', 'DynamicData', [
  'memory:ResourcePoolResourceUsage', 'cpu:ResourcePoolResourceUsage',
  'vmRp:ResourcePoolVmResourceProfileUsage[]?@9.1.0.0', 'overallStatus:ManagedEntityStatus',
  'sharesScalable:string?',
]);
d('ResourcePoolQuickStats', 'DynamicData', [
  'overallCpuUsage:long?', 'overallCpuDemand:long?', 'guestMemoryUsage:long?', 'hostMemoryUsage:long?',
  'distributedCpuEntitlement:long?', 'distributedMemoryEntitlement:long?', 'staticCpuEntitlement:int?',
  'staticMemoryEntitlement:int?', 'privateMemory:long?', 'sharedMemory:long?', 'swappedMemory:long?',
  'balloonedMemory:long?', 'overheadMemory:long?', 'consumedOverheadMemory:long?', 'compressedMemory:long?',
]);
d('ResourcePoolSummary', 'DynamicData', [
  'name:string', 'config:ResourceConfigSpec', 'runtime:ResourcePoolRuntimeInfo',
  'quickStats:ResourcePoolQuickStats?', 'configuredMemoryMB:int?',
]);
d('HostConfigManager', 'DynamicData', [
  'cpuScheduler:ManagedObjectReference?', 'datastoreSystem:ManagedObjectReference?',
  'memoryManager:ManagedObjectReference?', 'storageSystem:ManagedObjectReference?',
  'networkSystem:ManagedObjectReference?', 'vmotionSystem:ManagedObjectReference?',
  'virtualNicManager:ManagedObjectReference?', 'serviceSystem:ManagedObjectReference?',
  'firewallSystem:ManagedObjectReference?', 'advancedOption:ManagedObjectReference?',
  'diagnosticSystem:ManagedObjectReference?', 'autoStartManager:ManagedObjectReference?',
  'snmpSystem:ManagedObjectReference?', 'dateTimeSystem:ManagedObjectReference?',
  'patchManager:ManagedObjectReference?', 'imageConfigManager:ManagedObjectReference?',
  'bootDeviceSystem:ManagedObjectReference?', 'firmwareSystem:ManagedObjectReference?',
  'healthStatusSystem:ManagedObjectReference?', 'pciPassthruSystem:ManagedObjectReference?',
  'licenseManager:ManagedObjectReference?', 'kernelModuleSystem:ManagedObjectReference?',
  'authenticationManager:ManagedObjectReference?', 'powerSystem:ManagedObjectReference?',
  'cacheConfigurationManager:ManagedObjectReference?', 'esxAgentHostManager:ManagedObjectReference?',
  'iscsiManager:ManagedObjectReference?', 'vFlashManager:ManagedObjectReference?',
  'vsanSystem:ManagedObjectReference?', 'messageBusProxy:ManagedObjectReference?',
  'userDirectory:ManagedObjectReference?', 'accountManager:ManagedObjectReference?',
  'hostAccessManager:ManagedObjectReference?', 'graphicsManager:ManagedObjectReference?',
  'vsanInternalSystem:ManagedObjectReference?', 'certificateManager:ManagedObjectReference?',
  'cryptoManager:ManagedObjectReference?', 'nvdimmSystem:ManagedObjectReference?',
  'assignableHardwareManager:ManagedObjectReference?',
]);
d('PrivilegePolicyDef', 'DynamicData', [
  'createPrivilege:string', 'readPrivilege:string', 'updatePrivilege:string', 'deletePrivilege:string',
]);
d('CustomFieldDef', 'DynamicData', [
  'key:int', 'name:string', 'type:string', 'managedObjectType:string?', 'fieldDefPrivileges:PrivilegePolicyDef?',
  'fieldInstancePrivileges:PrivilegePolicyDef?',
]);
d('CustomFieldStringValue', 'CustomFieldValue', ['value:string']);
d('AlarmState', 'DynamicData', [
  'key:string', 'entity:ManagedObjectReference', 'alarm:ManagedObjectReference', 'overallStatus:ManagedEntityStatus',
  'time:dateTime', 'acknowledged:boolean?', 'acknowledgedByUser:string?', 'acknowledgedTime:dateTime?',
  'eventKey:int?', 'disabled:boolean?',
]);
d('Tag', 'DynamicData', ['key:string']);
d('EventArgument', 'DynamicData', []);
d('EntityEventArgument', 'EventArgument', ['name:string']);
d('DatacenterEventArgument', 'EntityEventArgument', ['datacenter:ManagedObjectReference']);
d('ComputeResourceEventArgument', 'EntityEventArgument', ['computeResource:ManagedObjectReference']);
d('HostEventArgument', 'EntityEventArgument', ['host:ManagedObjectReference']);
d('VmEventArgument', 'EntityEventArgument', ['vm:ManagedObjectReference']);
d('DatastoreEventArgument', 'EntityEventArgument', ['datastore:ManagedObjectReference']);
d('NetworkEventArgument', 'EntityEventArgument', ['network:ManagedObjectReference']);
d('DvsEventArgument', 'EntityEventArgument', ['dvs:ManagedObjectReference']);
d('Event', 'DynamicData', [
  'key:int', 'chainId:int', 'createdTime:dateTime', 'userName:string', 'datacenter:DatacenterEventArgument?',
  'computeResource:ComputeResourceEventArgument?', 'host:HostEventArgument?', 'vm:VmEventArgument?',
  'ds:DatastoreEventArgument?', 'net:NetworkEventArgument?', 'dvs:DvsEventArgument?', 'fullFormattedMessage:string?',
  'changeTag:string?',
]);
d('ComputeResourceConfigInfo', 'DynamicData', [
  'vmSwapPlacement:string', 'spbmEnabled:boolean?', 'defaultHardwareVersionKey:string?',
  'maximumHardwareVersionKey:string?@7.0.2.0',
]);
d('HostCpuSchedulerInfo', 'DynamicData', ['policy:string']);
d('OptionDef', 'ElementDescription', ['optionType:OptionType']);
d('HostSystemResourceInfo', 'DynamicData', [
  'key:string', 'config:ResourceConfigSpec?', 'child:HostSystemResourceInfo[]?',
]);
d('HostAuthenticationInfo', 'DynamicData', ['principal:string', 'ownerTag:string', 'sslCertificates:string[]?']);
d('HostConfigInfo', 'DynamicData', [
  'host:ManagedObjectReference', 'product:AboutInfo', 'cpuScheduler:HostCpuSchedulerInfo?@8.0.3.0',
  'systemFile:string[]?', 'option:OptionValue[]?', 'optionDef:OptionDef[]?', 'datastorePrincipal:string?',
  'localSwapDatastore:ManagedObjectReference?', 'systemResources:HostSystemResourceInfo?', 'adminDisabled:boolean?',
  'lockdownMode:HostLockdownMode?', 'authenticationData:HostAuthenticationInfo[]?@9.0.0.0', 'certificate:byte[]?',
  'wakeOnLanCapable:boolean?', 'domainList:string[]?', 'scriptCheckSum:base64Binary?',
  'hostConfigCheckSum:base64Binary?', 'descriptionTreeCheckSum:base64Binary?', 'sharedPassthruGpuTypes:string[]?',
]);
e('DatastoreSummaryMaintenanceModeState', ['normal', 'enteringMaintenance', 'inMaintenance']);
e('HostFileSystemVolumeFileSystemType', [
  'VMFS', 'NFS', 'NFS41', 'CIFS', 'vsan', 'VFFS', 'VVOL', 'PMEM', 'vsanD', 'OTHER',
]);
e('HostLockdownMode', ['lockdownDisabled', 'lockdownNormal', 'lockdownStrict']);
e('HostMountMode', ['readWrite', 'readOnly']);
e('HostSystemConnectionState', ['connected', 'notResponding', 'disconnected']);
e('HostSystemPowerState', ['poweredOn', 'poweredOff', 'standBy', 'unknown']);
e('HostTpmAttestationInfoAcceptanceStatus', ['notAccepted', 'accepted']);

// --- Tasks, updates, tickets, authorization ---
d('TaskReason', 'DynamicData', []);
d('TaskInfo', 'DynamicData', [
  'key:string', 'task:ManagedObjectReference', 'description:LocalizableMessage?', 'name:string?',
  'descriptionId:string', 'entity:ManagedObjectReference?', 'entityName:string?', 'locked:ManagedObjectReference[]?',
  'state:TaskInfoState', 'cancelled:boolean', 'cancelable:boolean', 'error:LocalizedMethodFault?', 'result:anyType?',
  'progress:int?', 'progressDetails:KeyAnyValue[]?@8.0.1.0', 'reason:TaskReason', 'queueTime:dateTime',
  'startTime:dateTime?', 'completeTime:dateTime?', 'eventChainId:int', 'changeTag:string?', 'parentTaskKey:string?',
  'rootTaskKey:string?', 'activationId:string?',
]);
d('TaskReasonUser', 'TaskReason', ['userName:string']);
d('TaskReasonSystem', 'TaskReason', []);
d('TaskReasonSchedule', 'TaskReason', ['name:string', 'scheduledTask:ManagedObjectReference']);
d('TaskReasonAlarm', 'TaskReason', [
  'alarmName:string', 'alarm:ManagedObjectReference', 'entityName:string', 'entity:ManagedObjectReference',
]);
d('PropertyChange', 'DynamicData', ['name:string', 'op:PropertyChangeOp', 'val:anyType']);
d('ObjectUpdate', 'DynamicData', [
  'kind:ObjectUpdateKind', 'obj:ManagedObjectReference', 'changeSet:PropertyChange[]?',
  'missingSet:MissingProperty[]?',
]);
d('MissingObject', 'DynamicData', ['obj:ManagedObjectReference', 'fault:LocalizedMethodFault']);
d('PropertyFilterUpdate', 'DynamicData', [
  'filter:ManagedObjectReference', 'objectSet:ObjectUpdate[]?', 'missingSet:MissingObject[]?',
]);
d('UpdateSet', 'DynamicData', ['version:string', 'filterSet:PropertyFilterUpdate[]?', 'truncated:boolean?']);
d('WaitOptions', 'DynamicData', ['maxWaitSeconds:int?', 'maxObjectUpdates:int?']);
d('TypeDescription', 'Description', ['key:string']);
d('TaskDescription', 'DynamicData', [
  'methodInfo:ElementDescription[]', 'state:ElementDescription[]', 'reason:TypeDescription[]',
]);
d('VirtualMachineCertThumbprint', 'DynamicData', ['thumbprint:string', 'hashAlgorithm:string?']);
d('SessionManagerGenericServiceTicket', 'DynamicData', [
  'id:string', 'hostName:string?', 'sslThumbprint:string?',
  'certThumbprintList:VirtualMachineCertThumbprint[]?@7.0.3.1', 'sslCertificate:string?@9.0.0.0',
  'ticketType:string?@7.0.2.0',
]);
d('SessionManagerServiceRequestSpec', 'DynamicData', []);
d('SessionManagerHttpServiceRequestSpec', 'SessionManagerServiceRequestSpec', ['method:string?', 'url:string']);
d('SessionManagerVmomiServiceRequestSpec', 'SessionManagerServiceRequestSpec', ['method:string']);
d('HostServiceTicket', 'DynamicData', [
  'host:string?', 'port:int?', 'sslThumbprint:string?', 'sslCertificate:string?@9.0.0.0', 'service:string',
  'serviceVersion:string', 'sessionId:string',
]);
d('AuthorizationRole', 'DynamicData', [
  'roleId:int', 'system:boolean', 'name:string', 'info:Description', 'privilege:string[]?',
]);
d('AuthorizationPrivilege', 'DynamicData', [
  'privId:string', 'onParent:boolean', 'name:string', 'privGroupName:string',
]);
d('Permission', 'DynamicData', [
  'entity:ManagedObjectReference?', 'principal:string', 'group:boolean', 'roleId:int', 'propagate:boolean',
]);
d('UserSearchResult', 'DynamicData', ['principal:string', 'fullName:string?', 'group:boolean']);
d('PrivilegeAvailability', 'DynamicData', ['privId:string', 'isGranted:boolean']);
d('EntityPrivilege', 'DynamicData', ['entity:ManagedObjectReference', 'privAvailability:PrivilegeAvailability[]']);
d('AuthorizationDescription', 'DynamicData', [
  'privilege:ElementDescription[]', 'privilegeGroup:ElementDescription[]',
]);
d('UserPrivilegeResult', 'DynamicData', ['entity:ManagedObjectReference', 'privileges:string[]?']);
d('PolicyOption', 'DynamicData', ['id:string', 'parameter:KeyAnyValue[]?']);
d('ProfilePolicy', 'DynamicData', ['id:string', 'policyOption:PolicyOption']);
d('ProfileApplyProfileProperty', 'DynamicData', ['propertyName:string', 'array:boolean', 'profile:ApplyProfile[]?']);
d('ApplyProfile', 'DynamicData', [
  'enabled:boolean', 'policy:ProfilePolicy[]?', 'profileTypeName:string?', 'profileVersion:string?',
  'property:ProfileApplyProfileProperty[]?', 'favorite:boolean?', 'toBeMerged:boolean?', 'toReplaceWith:boolean?',
  'toBeDeleted:boolean?', 'copyEnableStatus:boolean?', 'hidden:boolean?',
]);
d('PermissionProfile', 'ApplyProfile', ['key:string']);
e('ObjectUpdateKind', ['modify', 'enter', 'leave']);
e('PropertyChangeOp', ['add', 'remove', 'assign', 'indirectRemove']);
e('SessionManagerHttpServiceRequestSpecMethod', [
  'httpOptions', 'httpGet', 'httpHead', 'httpPost', 'httpPut', 'httpDelete', 'httpTrace', 'httpConnect',
]);
e('TaskInfoState', ['queued', 'running', 'success', 'error']);

// --- Faults ---
d('SnapshotFault', 'VimFault', []);
d('ApplicationQuiesceFault', 'SnapshotFault', []);
d('FilesystemQuiesceFault', 'SnapshotFault', []);
d('MemorySnapshotOnIndependentDisk', 'SnapshotFault', []);
d('MultipleSnapshotsNotSupported', 'SnapshotFault', []);
d('SnapshotDisabled', 'SnapshotFault', []);
d('SnapshotIncompatibleDeviceInVm', 'SnapshotFault', ['fault:LocalizedMethodFault']);
d('SnapshotLocked', 'SnapshotFault', []);
d('SnapshotNoChange', 'SnapshotFault', []);
d('TooManySnapshotLevels', 'SnapshotFault', []);
d('CannotAccessFile', 'FileFault', []);
d('CannotCreateFile', 'FileFault', []);
d('CannotDeleteFile', 'FileFault', []);
d('DirectoryNotEmpty', 'FileFault', []);
d('FileNameTooLong', 'FileFault', []);
d('FileNotWritable', 'FileFault', []);
d('FileTooLarge', 'FileFault', ['datastore:string', 'fileSize:long', 'maxFileSize:long?']);
d('IncorrectFileType', 'FileFault', []);
d('NoDiskSpace', 'FileFault', ['datastore:string']);
d('NotADirectory', 'FileFault', []);
d('NotAFile', 'FileFault', []);
d('VmConfigFault', 'VimFault', []);
d('GenericVmConfigFault', 'VmConfigFault', ['reason:string']);
d('InvalidVmConfig', 'VmConfigFault', ['property:string?']);
d('CannotAccessVmComponent', 'VmConfigFault', []);
d('CannotAccessVmDevice', 'CannotAccessVmComponent', ['device:string', 'backing:string', 'connected:boolean']);
d('CannotAccessVmDisk', 'CannotAccessVmDevice', ['fault:LocalizedMethodFault']);
d('CannotAccessVmConfig', 'CannotAccessVmComponent', ['reason:LocalizedMethodFault']);
d('DeltaDiskFormatNotSupported', 'VmConfigFault', ['datastore:ManagedObjectReference[]?', 'deltaDiskFormat:string']);
d('UnsupportedDatastore', 'VmConfigFault', ['datastore:ManagedObjectReference?']);
d('InvalidDeviceSpec', 'InvalidVmConfig', ['deviceIndex:int']);
d('DeviceNotFound', 'InvalidDeviceSpec', []);
d('DeviceUnsupportedForVmVersion', 'InvalidDeviceSpec', ['currentVersion:string', 'expectedVersion:string']);
d('InvalidController', 'InvalidDeviceSpec', ['controllerKey:int']);
d('InvalidDeviceBacking', 'InvalidDeviceSpec', []);
d('InvalidDeviceOperation', 'InvalidDeviceSpec', [
  'badOp:VirtualDeviceConfigSpecOperation?', 'badFileOp:VirtualDeviceConfigSpecFileOperation?',
]);
d('MissingController', 'InvalidDeviceSpec', []);
d('DisallowedDiskModeChange', 'InvalidDeviceSpec', []);
d('DeviceHotPlugNotSupported', 'InvalidDeviceSpec', []);
d('NotFound', 'VimFault', []);
d('InvalidDatastore', 'VimFault', ['datastore:ManagedObjectReference?', 'name:string?']);
d('InvalidDatastorePath', 'InvalidDatastore', ['datastorePath:string']);
d('DatastoreNotWritableOnHost', 'InvalidDatastore', ['host:ManagedObjectReference']);
d('InaccessibleDatastore', 'InvalidDatastore', ['detail:string?']);
d('HostConfigFault', 'VimFault', []);
d('HostConfigFailed', 'HostConfigFault', ['failure:LocalizedMethodFault[]']);
d('InvalidCollectorVersion', 'MethodFault', []);
d('InvalidPrivilege', 'VimFault', ['privilege:string']);
d('AlreadyExists', 'VimFault', ['name:string?']);
d('DuplicateName', 'VimFault', ['name:string', 'object:ManagedObjectReference']);
d('InvalidName', 'VimFault', ['name:string', 'entity:ManagedObjectReference?']);
d('ConcurrentAccess', 'VimFault', []);
d('Timedout', 'VimFault', []);
d('InvalidVmState', 'InvalidState', ['vm:ManagedObjectReference']);
d('InvalidHostState', 'InvalidState', ['host:ManagedObjectReference?']);
d('InvalidDatastoreState', 'InvalidState', ['datastoreName:string?']);
d('HostCommunication', 'RuntimeFault', []);
d('HostNotConnected', 'HostCommunication', []);
d('HostNotReachable', 'HostCommunication', []);
d('HostConnectFault', 'VimFault', []);
d('NoHost', 'HostConnectFault', ['name:string?']);
d('UserNotFound', 'VimFault', ['principal:string', 'unresolved:boolean']);
d('NotEnoughLicenses', 'RuntimeFault', []);
d('RestrictedVersion', 'SecurityError', []);
d('ToolsUnavailable', 'VimFault', []);
d('CannotDisableSnapshot', 'VmConfigFault', []);
d('InvalidEvent', 'VimFault', []);
d('OutOfBounds', 'VimFault', ['argumentName:string']);
d('ResourceInUse', 'VimFault', ['type:string?', 'name:string?']);
d('DisallowedChangeByService', 'RuntimeFault', ['serviceName:string', 'disallowedChange:string?']);
d('DisallowedOperationOnFailoverHost', 'RuntimeFault', ['host:ManagedObjectReference', 'hostname:string']);
d('NoCompatibleHost', 'VimFault', ['host:ManagedObjectReference[]?', 'error:LocalizedMethodFault[]?']);
d('VmToolsUpgradeFault', 'VimFault', []);
d('VmFaultToleranceIssue', 'VimFault', []);
d('InvalidOperationOnSecondaryVm', 'VmFaultToleranceIssue', ['instanceUuid:string']);
d('CustomizationFault', 'VimFault', []);
d('VirtualHardwareCompatibilityIssue', 'VmConfigFault', []);
d('DiskNotSupported', 'VirtualHardwareCompatibilityIssue', ['disk:int']);
d('InvalidFormat', 'VmConfigFault', []);
d('InvalidDiskFormat', 'InvalidFormat', []);
d('RemoveFailed', 'VimFault', []);
d('InvalidSnapshotFormat', 'InvalidFormat', []);
d('AuthMinimumAdminPermission', 'VimFault', []);
d('ActiveDirectoryFault', 'VimFault', ['errorCode:int?']);
d('NoPermissionOnAD', 'ActiveDirectoryFault', []);
d('NoPermissionOnHost', 'HostConnectFault', []);
d('NotSupportedHost', 'HostConnectFault', ['productName:string?', 'productVersion:string?']);
d('NotSupportedHostInCluster', 'NotSupportedHost', []);
d('GuestOperationsFault', 'VimFault', []);
d('OperationDisabledByGuest', 'GuestOperationsFault', []);
d('HostIncompatibleForRecordReplay', 'VimFault', ['hostName:string?', 'reason:string?']);
d('ConflictingDatastoreFound', 'RuntimeFault', ['name:string', 'url:string']);
d('SSPIChallenge', 'VimFault', ['base64Token:string']);
d('MigrationFault', 'VimFault', []);
d('CannotMoveVmWithDeltaDisk', 'MigrationFault', ['device:string']);
d('CannotMoveVmWithNativeDeltaDisk', 'MigrationFault', []);

// --- Managed object properties (govmomi vim25/mo/mo.go) not already defined above ---
d('ProfilePropertyPath', 'DynamicData', [
  'profilePath:string', 'policyId:string?', 'parameterId:string?', 'policyOptionId:string?',
]);
d('AnswerFileStatusError', 'DynamicData', ['userInputPath:ProfilePropertyPath', 'errMsg:LocalizableMessage']);
d('AnswerFileStatusResult', 'DynamicData', [
  'checkedTime:dateTime', 'host:ManagedObjectReference', 'status:string', 'error:AnswerFileStatusError[]?',
]);
d('ApplyHostProfileConfigurationResult', 'DynamicData', [
  'startTime:dateTime', 'completeTime:dateTime', 'host:ManagedObjectReference', 'status:string',
  'errors:LocalizedMethodFault[]?',
]);
d('HostNasVolumeSpec', 'DynamicData', [
  'remoteHost:string', 'remotePath:string', 'localPath:string', 'accessMode:string', 'type:string?',
  'userName:string?', 'password:string?', 'remoteHostNames:string[]?', 'securityType:string?',
  'vmknicToBind:string?@8.0.1.0', 'vmknicBound:boolean?@8.0.1.0', 'connections:int?@8.0.1.0',
]);
d('HostNasVolumeConfig', 'DynamicData', ['changeOperation:string?', 'spec:HostNasVolumeSpec?']);
d('HostVirtualSwitchBridge', 'DynamicData', []);
d('HostNetworkSecurityPolicy', 'DynamicData', [
  'allowPromiscuous:boolean?', 'macChanges:boolean?', 'forgedTransmits:boolean?',
]);
d('HostNicFailureCriteria', 'DynamicData', [
  'checkSpeed:string?', 'speed:int?', 'checkDuplex:boolean?', 'fullDuplex:boolean?', 'checkErrorPercent:boolean?',
  'percentage:int?', 'checkBeacon:boolean?',
]);
d('HostNicOrderPolicy', 'DynamicData', ['activeNic:string[]?', 'standbyNic:string[]?']);
d('HostNicTeamingPolicy', 'DynamicData', [
  'policy:string?', 'reversePolicy:boolean?', 'notifySwitches:boolean?', 'rollingOrder:boolean?',
  'failureCriteria:HostNicFailureCriteria?', 'nicOrder:HostNicOrderPolicy?',
]);
d('HostNetworkTrafficShapingPolicy', 'DynamicData', [
  'enabled:boolean?', 'averageBandwidth:long?', 'peakBandwidth:long?', 'burstSize:long?',
]);
d('HostNetworkPolicy', 'DynamicData', [
  'security:HostNetworkSecurityPolicy?', 'nicTeaming:HostNicTeamingPolicy?',
  'shapingPolicy:HostNetworkTrafficShapingPolicy?',
]);
d('HostVirtualSwitchSpec', 'DynamicData', [
  'numPorts:int', 'bridge:HostVirtualSwitchBridge?', 'policy:HostNetworkPolicy?', 'mtu:int?',
]);
d('HostVirtualSwitchConfig', 'DynamicData', [
  'changeOperation:string?', 'name:string', 'spec:HostVirtualSwitchSpec?',
]);
d('DistributedVirtualSwitchHostMemberBacking', 'DynamicData', []);
d('HostProxySwitchSpec', 'DynamicData', ['backing:DistributedVirtualSwitchHostMemberBacking?']);
d('HostProxySwitchConfig', 'DynamicData', ['changeOperation:string?', 'uuid:string', 'spec:HostProxySwitchSpec?']);
d('HostPortGroupSpec', 'DynamicData', [
  'name:string', 'vlanId:int', 'vswitchName:string', 'policy:HostNetworkPolicy',
]);
d('HostPortGroupConfig', 'DynamicData', ['changeOperation:string?', 'spec:HostPortGroupSpec?']);
d('HostIpConfigIpV6Address', 'DynamicData', [
  'ipAddress:string', 'prefixLength:int', 'origin:string?', 'dadState:string?', 'lifetime:dateTime?',
  'operation:string?',
]);
d('HostIpConfigIpV6AddressConfiguration', 'DynamicData', [
  'ipV6Address:HostIpConfigIpV6Address[]?', 'autoConfigurationEnabled:boolean?', 'dhcpV6Enabled:boolean?',
]);
d('HostIpConfig', 'DynamicData', [
  'dhcp:boolean', 'ipAddress:string?', 'subnetMask:string?', 'ipV6Config:HostIpConfigIpV6AddressConfiguration?',
]);
d('PhysicalNicLinkInfo', 'DynamicData', ['speedMb:int', 'duplex:boolean']);
d('PhysicalNicSpec', 'DynamicData', [
  'ip:HostIpConfig?', 'linkSpeed:PhysicalNicLinkInfo?', 'enableEnhancedNetworkingStack:boolean?',
  'ensInterruptEnabled:boolean?',
]);
d('PhysicalNicConfig', 'DynamicData', ['device:string', 'spec:PhysicalNicSpec']);
d('HostVirtualNicOpaqueNetworkSpec', 'DynamicData', ['opaqueNetworkId:string', 'opaqueNetworkType:string']);
d('HostIpRouteConfig', 'DynamicData', [
  'defaultGateway:string?', 'gatewayDevice:string?', 'ipV6DefaultGateway:string?', 'ipV6GatewayDevice:string?',
]);
d('HostVirtualNicIpRouteSpec', 'DynamicData', ['ipRouteConfig:HostIpRouteConfig?']);
d('HostVirtualNicSpec', 'DynamicData', [
  'ip:HostIpConfig?', 'mac:string?', 'distributedVirtualPort:DistributedVirtualSwitchPortConnection?',
  'portgroup:string?', 'mtu:int?', 'tsoEnabled:boolean?', 'netStackInstanceKey:string?',
  'opaqueNetwork:HostVirtualNicOpaqueNetworkSpec?', 'externalId:string?', 'pinnedPnic:string?',
  'ipRouteSpec:HostVirtualNicIpRouteSpec?', 'systemOwned:boolean?', 'dpuId:string?@8.0.0.1',
]);
d('HostVirtualNicConfig', 'DynamicData', [
  'changeOperation:string?', 'device:string?', 'portgroup:string', 'spec:HostVirtualNicSpec?',
]);
d('HostDnsConfig', 'DynamicData', [
  'dhcp:boolean', 'virtualNicDevice:string?', 'ipv6VirtualNicDevice:string?', 'hostName:string', 'domainName:string',
  'address:string[]?', 'searchDomain:string[]?',
]);
d('HostIpRouteEntry', 'DynamicData', ['network:string', 'prefixLength:int', 'gateway:string', 'deviceName:string?']);
d('HostIpRouteOp', 'DynamicData', ['changeOperation:string', 'route:HostIpRouteEntry']);
d('HostIpRouteTableConfig', 'DynamicData', ['ipRoute:HostIpRouteOp[]?', 'ipv6Route:HostIpRouteOp[]?']);
d('HostDhcpServiceSpec', 'DynamicData', [
  'virtualSwitch:string', 'defaultLeaseDuration:int', 'leaseBeginIp:string', 'leaseEndIp:string',
  'maxLeaseDuration:int', 'unlimitedLease:boolean', 'ipSubnetAddr:string', 'ipSubnetMask:string',
]);
d('HostDhcpServiceConfig', 'DynamicData', ['changeOperation:string?', 'key:string', 'spec:HostDhcpServiceSpec']);
d('HostNatServicePortForwardSpec', 'DynamicData', [
  'type:string', 'name:string', 'hostPort:int', 'guestPort:int', 'guestIpAddress:string',
]);
d('HostNatServiceNameServiceSpec', 'DynamicData', [
  'dnsAutoDetect:boolean', 'dnsPolicy:string', 'dnsRetries:int', 'dnsTimeout:int', 'dnsNameServer:string[]?',
  'nbdsTimeout:int', 'nbnsRetries:int', 'nbnsTimeout:int',
]);
d('HostNatServiceSpec', 'DynamicData', [
  'virtualSwitch:string', 'activeFtp:boolean', 'allowAnyOui:boolean', 'configPort:boolean',
  'ipGatewayAddress:string', 'udpTimeout:int', 'portForward:HostNatServicePortForwardSpec[]?',
  'nameService:HostNatServiceNameServiceSpec?',
]);
d('HostNatServiceConfig', 'DynamicData', ['changeOperation:string?', 'key:string', 'spec:HostNatServiceSpec']);
d('HostNetStackInstance', 'DynamicData', [
  'key:string?', 'name:string?', 'dnsConfig:HostDnsConfig?', 'ipRouteConfig:HostIpRouteConfig?',
  'requestedMaxNumberOfConnections:int?', 'congestionControlAlgorithm:string?', 'ipV6Enabled:boolean?',
  'routeTableConfig:HostIpRouteTableConfig?', 'owner:string?@9.0.0.0',
]);
d('HostNetworkConfigNetStackSpec', 'DynamicData', ['netStackInstance:HostNetStackInstance', 'operation:string?']);
d('HostNetworkConfig', 'DynamicData', [
  'vswitch:HostVirtualSwitchConfig[]?', 'proxySwitch:HostProxySwitchConfig[]?', 'portgroup:HostPortGroupConfig[]?',
  'pnic:PhysicalNicConfig[]?', 'vnic:HostVirtualNicConfig[]?', 'consoleVnic:HostVirtualNicConfig[]?',
  'dnsConfig:HostDnsConfig?', 'ipRouteConfig:HostIpRouteConfig?', 'consoleIpRouteConfig:HostIpRouteConfig?',
  'routeTableConfig:HostIpRouteTableConfig?', 'dhcp:HostDhcpServiceConfig[]?', 'nat:HostNatServiceConfig[]?',
  'ipV6Enabled:boolean?', 'netStackSpec:HostNetworkConfigNetStackSpec[]?', 'migrationStatus:string?@7.0.2.0',
]);
d('HostVirtualNicConnection', 'DynamicData', [
  'portgroup:string?', 'dvPort:DistributedVirtualSwitchPortConnection?',
  'opNetwork:HostVirtualNicOpaqueNetworkSpec?',
]);
d('HostVirtualNicManagerNicTypeSelection', 'DynamicData', ['vnic:HostVirtualNicConnection', 'nicType:string[]?']);
d('HostServiceConfig', 'DynamicData', ['serviceId:string', 'startupPolicy:string']);
d('HostFirewallRulesetIpNetwork', 'DynamicData', ['network:string', 'prefixLength:int']);
d('HostFirewallRulesetIpList', 'DynamicData', [
  'ipAddress:string[]?', 'ipNetwork:HostFirewallRulesetIpNetwork[]?', 'allIp:boolean',
]);
d('HostFirewallConfigRuleSetConfig', 'DynamicData', [
  'rulesetId:string', 'enabled:boolean', 'allowedHosts:HostFirewallRulesetIpList?',
]);
d('HostFirewallDefaultPolicy', 'DynamicData', ['incomingBlocked:boolean?', 'outgoingBlocked:boolean?']);
d('HostFirewallConfig', 'DynamicData', [
  'rule:HostFirewallConfigRuleSetConfig[]?', 'defaultBlockingPolicy:HostFirewallDefaultPolicy',
]);
d('HostNtpConfig', 'DynamicData', ['server:string[]?', 'configFile:string[]?']);
d('HostPtpConfigPtpPort', 'DynamicData', [
  'index:int', 'deviceType:string?', 'device:string?', 'ipConfig:HostIpConfig?',
]);
d('HostPtpConfig', 'DynamicData', ['domain:int?', 'port:HostPtpConfigPtpPort[]?']);
d('HostDateTimeConfig', 'DynamicData', [
  'timeZone:string?', 'ntpConfig:HostNtpConfig?', 'ptpConfig:HostPtpConfig?@7.0.3.0', 'protocol:string?@7.0.3.0',
  'enabled:boolean?@7.0.3.0', 'disableEvents:boolean?@7.0.3.0', 'disableFallback:boolean?@7.0.3.0',
  'resetToFactoryDefaults:boolean?@7.0.3.0',
]);
d('LicenseSource', 'DynamicData', []);
d('HostLicenseSpec', 'DynamicData', [
  'source:LicenseSource?', 'editionKey:string?', 'disabledFeatureKey:string[]?', 'enabledFeatureKey:string[]?',
]);
d('HostSecuritySpec', 'DynamicData', [
  'adminPassword:string?', 'removePermission:Permission[]?', 'addPermission:Permission[]?',
]);
d('HostAccountSpec', 'DynamicData', ['id:string', 'password:string?', 'description:string?']);
d('HostMemorySpec', 'DynamicData', ['serviceConsoleReservation:long?']);
d('HostActiveDirectorySpec', 'DynamicData', [
  'domainName:string?', 'userName:string?', 'password:string?', 'camServer:string?', 'thumbprint:string?',
  'certificate:string?@8.0.3.0', 'smartCardAuthenticationEnabled:boolean?', 'smartCardTrustAnchors:string[]?',
]);
d('HostActiveDirectory', 'DynamicData', ['changeOperation:string', 'spec:HostActiveDirectorySpec?']);
d('HostConfigSpec', 'DynamicData', [
  'nasDatastore:HostNasVolumeConfig[]?', 'network:HostNetworkConfig?',
  'nicTypeSelection:HostVirtualNicManagerNicTypeSelection[]?', 'service:HostServiceConfig[]?',
  'firewall:HostFirewallConfig?', 'option:OptionValue[]?', 'datastorePrincipal:string?',
  'datastorePrincipalPasswd:string?', 'datetime:HostDateTimeConfig?', 'license:HostLicenseSpec?',
  'security:HostSecuritySpec?', 'userAccount:HostAccountSpec[]?', 'usergroupAccount:HostAccountSpec[]?',
  'memory:HostMemorySpec?', 'activeDirectory:HostActiveDirectory[]?', 'genericConfig:KeyAnyValue[]?',
]);
d('ProfileDeferredPolicyOptionParameter', 'DynamicData', [
  'inputPath:ProfilePropertyPath', 'parameter:KeyAnyValue[]?',
]);
d('ProfileExecuteError', 'DynamicData', ['path:ProfilePropertyPath?', 'message:LocalizableMessage']);
d('ProfileExecuteResult', 'DynamicData', [
  'status:string', 'configSpec:HostConfigSpec?', 'inapplicablePath:string[]?',
  'requireInput:ProfileDeferredPolicyOptionParameter[]?', 'error:ProfileExecuteError[]?',
]);
d('ApplyHostProfileConfigurationSpec', 'ProfileExecuteResult', [
  'host:ManagedObjectReference', 'taskListRequirement:string[]?', 'taskDescription:LocalizableMessage[]?',
  'rebootStateless:boolean?', 'rebootHost:boolean?', 'faultData:LocalizedMethodFault?',
]);
d('EVCMode', 'ElementDescription', [
  'guaranteedCPUFeatures:HostCpuIdInfo[]?', 'featureMask:HostFeatureMask[]?',
  'featureRequirement:VirtualMachineFeatureRequirement[]?', 'vendor:string', 'track:string[]', 'vendorTier:int',
]);
d('FeatureEVCMode', 'ElementDescription', [
  'mask:HostFeatureMask[]?', 'requirement:VirtualMachineFeatureRequirement[]?',
]);
d('Capability', 'DynamicData', [
  'provisioningSupported:boolean', 'multiHostSupported:boolean', 'userShellAccessSupported:boolean',
  'supportedEVCMode:EVCMode[]?', 'supportedEVCGraphicsMode:FeatureEVCMode[]?@7.0.1.0',
  'networkBackupAndRestoreSupported:boolean?', 'ftDrsWithoutEvcSupported:boolean?', 'hciWorkflowSupported:boolean?',
  'computePolicyVersion:int?', 'clusterPlacementSupported:boolean?', 'lifecycleManagementSupported:boolean?',
  'hostSeedingSupported:boolean?@7.0.2.0', 'scalableSharesSupported:boolean?', 'hadcsSupported:boolean?@7.0.1.1',
  'configMgmtSupported:boolean?@7.0.3.1',
]);
d('ClusterAction', 'DynamicData', ['type:string', 'target:ManagedObjectReference?']);
d('ClusterActionHistory', 'DynamicData', ['action:ClusterAction', 'time:dateTime']);
d('ClusterComputeResourceDVSSettingDVPortgroupToServiceMapping', 'DynamicData', [
  'dvPortgroup:ManagedObjectReference', 'service:string',
]);
d('ClusterComputeResourceDVSSetting', 'DynamicData', [
  'dvSwitch:ManagedObjectReference', 'pnicDevices:string[]?',
  'dvPortgroupSetting:ClusterComputeResourceDVSSettingDVPortgroupToServiceMapping[]?',
]);
d('ClusterComputeResourceHostConfigurationProfile', 'DynamicData', [
  'dateTimeConfig:HostDateTimeConfig?', 'lockdownMode:HostLockdownMode?',
]);
d('ClusterComputeResourceHCIConfigInfo', 'DynamicData', [
  'workflowState:string', 'dvsSetting:ClusterComputeResourceDVSSetting[]?',
  'configuredHosts:ManagedObjectReference[]?', 'hostConfigProfile:ClusterComputeResourceHostConfigurationProfile?',
]);
d('ClusterDasAdmissionControlPolicy', 'DynamicData', [
  'resourceReductionToToleratePercent:int?', 'pMemAdmissionControlEnabled:boolean?@7.0.2.0',
]);
d('ClusterVmToolsMonitoringSettings', 'DynamicData', [
  'enabled:boolean?', 'vmMonitoring:string?', 'clusterSettings:boolean?', 'failureInterval:int?', 'minUpTime:int?',
  'maxFailures:int?', 'maxFailureWindow:int?',
]);
d('ClusterVmComponentProtectionSettings', 'DynamicData', [
  'vmStorageProtectionForAPD:string?', 'enableAPDTimeoutForHosts:boolean?', 'vmTerminateDelayForAPDSec:int?',
  'vmReactionOnAPDCleared:string?', 'vmStorageProtectionForPDL:string?',
]);
d('ClusterDasVmSettings', 'DynamicData', [
  'restartPriority:string?', 'restartPriorityTimeout:int?', 'isolationResponse:string?',
  'vmToolsMonitoringSettings:ClusterVmToolsMonitoringSettings?',
  'vmComponentProtectionSettings:ClusterVmComponentProtectionSettings?',
]);
d('ClusterDasConfigInfo', 'DynamicData', [
  'enabled:boolean?', 'vmMonitoring:string?', 'hostMonitoring:string?', 'vmComponentProtecting:string?',
  'failoverLevel:int?', 'admissionControlPolicy:ClusterDasAdmissionControlPolicy?',
  'admissionControlEnabled:boolean?', 'defaultVmSettings:ClusterDasVmSettings?', 'option:OptionValue[]?',
  'heartbeatDatastore:ManagedObjectReference[]?', 'hBDatastoreCandidatePolicy:string?',
]);
d('ClusterDasVmConfigInfo', 'DynamicData', [
  'key:ManagedObjectReference', 'restartPriority:DasVmPriority?', 'powerOffOnIsolation:boolean?',
  'dasSettings:ClusterDasVmSettings?',
]);
d('ClusterDrsConfigInfo', 'DynamicData', [
  'enabled:boolean?', 'enableVmBehaviorOverrides:boolean?', 'defaultVmBehavior:DrsBehavior?', 'vmotionRate:int?',
  'scaleDescendantsShares:string?', 'option:OptionValue[]?',
]);
d('ClusterDrsVmConfigInfo', 'DynamicData', [
  'key:ManagedObjectReference', 'enabled:boolean?', 'behavior:DrsBehavior?',
]);
d('ClusterRuleInfo', 'DynamicData', [
  'key:int?', 'status:ManagedEntityStatus?', 'enabled:boolean?', 'name:string?', 'mandatory:boolean?',
  'userCreated:boolean?', 'inCompliance:boolean?', 'ruleUuid:string?',
]);
d('ClusterConfigInfo', 'DynamicData', [
  'dasConfig:ClusterDasConfigInfo', 'dasVmConfig:ClusterDasVmConfigInfo[]?', 'drsConfig:ClusterDrsConfigInfo',
  'drsVmConfig:ClusterDrsVmConfigInfo[]?', 'rule:ClusterRuleInfo[]?',
]);
d('ClusterDrsFaultsFaultsByVm', 'DynamicData', ['vm:ManagedObjectReference?', 'fault:LocalizedMethodFault[]']);
d('ClusterDrsFaults', 'DynamicData', ['reason:string', 'faultsByVm:ClusterDrsFaultsFaultsByVm[]']);
d('ClusterDrsMigration', 'DynamicData', [
  'key:string', 'time:dateTime', 'vm:ManagedObjectReference', 'cpuLoad:int?', 'memoryLoad:long?',
  'source:ManagedObjectReference', 'sourceCpuLoad:int?', 'sourceMemoryLoad:long?',
  'destination:ManagedObjectReference', 'destinationCpuLoad:int?', 'destinationMemoryLoad:long?',
]);
d('ClusterDrsRecommendation', 'DynamicData', [
  'key:string', 'rating:int', 'reason:string', 'reasonText:string', 'migrationList:ClusterDrsMigration[]',
]);
d('ClusterRecommendation', 'DynamicData', [
  'key:string', 'type:string', 'time:dateTime', 'rating:int', 'reason:string', 'reasonText:string',
  'warningText:string?', 'warningDetails:LocalizableMessage?', 'prerequisite:string[]?', 'action:ClusterAction[]?',
  'target:ManagedObjectReference?',
]);
d('ComplianceFailureComplianceFailureValues', 'DynamicData', [
  'comparisonIdentifier:string', 'profileInstance:string?', 'hostValue:anyType?', 'profileValue:anyType?',
]);
d('ComplianceFailure', 'DynamicData', [
  'failureType:string', 'message:LocalizableMessage', 'expressionName:string?',
  'failureValues:ComplianceFailureComplianceFailureValues[]?',
]);
d('ComplianceResult', 'DynamicData', [
  'profile:ManagedObjectReference?', 'complianceStatus:string', 'entity:ManagedObjectReference?',
  'checkTime:dateTime?', 'failure:ComplianceFailure[]?',
]);
d('EventDescriptionEventDetail', 'DynamicData', [
  'key:string', 'description:string?', 'category:string', 'formatOnDatacenter:string',
  'formatOnComputeResource:string', 'formatOnHost:string', 'formatOnVm:string', 'fullFormat:string',
  'longDescription:string?',
]);
d('EnumDescription', 'DynamicData', ['key:string', 'tags:ElementDescription[]']);
d('EventDescription', 'DynamicData', [
  'category:ElementDescription[]', 'eventInfo:EventDescriptionEventDetail[]', 'enumeratedTypes:EnumDescription[]?',
]);
d('FileQuery', 'DynamicData', []);
d('HostQualifiedName', 'DynamicData', ['value:string', 'type:string']);
d('HostSystemInfo', 'DynamicData', [
  'vendor:string', 'model:string', 'family:string?@9.0.0.0', 'uuid:string',
  'otherIdentifyingInfo:HostSystemIdentificationInfo[]?', 'serialNumber:string?',
  'qualifiedName:HostQualifiedName[]?@7.0.3.0', 'vvolHostNQN:HostQualifiedName?@8.0.0.0',
  'vvolHostId:string?@8.0.0.0', 'bootCommandLine:string?@8.0.3.0',
]);
d('HostCpuPowerManagementInfo', 'DynamicData', ['currentPolicy:string?', 'hardwareSupport:string?']);
d('HostCpuInfo', 'DynamicData', ['numCpuPackages:short', 'numCpuCores:short', 'numCpuThreads:short', 'hz:long']);
d('HostCpuPackage', 'DynamicData', [
  'index:short', 'vendor:string', 'hz:long', 'busHz:long', 'description:string', 'threadId:short[]',
  'cpuFeature:HostCpuIdInfo[]?', 'family:short?@8.0.3.0', 'model:short?@8.0.3.0', 'stepping:short?@8.0.3.0',
]);
d('HostNumaNode', 'DynamicData', [
  'typeId:byte', 'cpuID:short[]', 'memorySize:long?@8.0.0.0', 'memoryRangeBegin:long', 'memoryRangeLength:long',
  'pciId:string[]?',
]);
d('HostNumaInfo', 'DynamicData', ['type:string', 'numNodes:int', 'numaNode:HostNumaNode[]?']);
d('HostPciDevice', 'DynamicData', [
  'id:string', 'classId:short', 'bus:byte', 'slot:byte', 'physicalSlot:int?@9.0.0.0',
  'slotDescription:string?@9.0.0.0', 'function:byte', 'vendorId:short', 'subVendorId:short', 'vendorName:string',
  'deviceId:short', 'subDeviceId:short', 'parentBridge:string?', 'deviceName:string',
  'deviceClassName:string?@8.0.3.0',
]);
d('HostDvxClass', 'DynamicData', [
  'deviceClass:string', 'checkpointSupported:boolean', 'swDMATracingSupported:boolean', 'sriovNic:boolean',
]);
d('HostBIOSInfo', 'DynamicData', [
  'biosVersion:string?', 'releaseDate:dateTime?', 'vendor:string?', 'majorRelease:int?', 'minorRelease:int?',
  'firmwareMajorRelease:int?', 'firmwareMinorRelease:int?', 'firmwareType:string?@8.0.2.0',
]);
d('HostReliableMemoryInfo', 'DynamicData', ['memorySize:long']);
d('HostPersistentMemoryInfo', 'DynamicData', ['capacityInMB:long?', 'volumeUUID:string?']);
d('HostSgxRegistrationInfo', 'DynamicData', [
  'status:string?', 'biosError:int?', 'registrationUrl:string?', 'type:string?', 'ppid:string?',
  'lastRegisteredTime:dateTime?',
]);
d('HostSgxInfo', 'DynamicData', [
  'sgxState:string', 'totalEpcMemory:long', 'flcMode:string', 'lePubKeyHash:string?',
  'registrationInfo:HostSgxRegistrationInfo?@8.0.0.1',
]);
d('HostSevInfo', 'DynamicData', [
  'sevState:string', 'maxSevEsGuests:long', 'snpState:string?@9.0.0.0', 'snpSupported:boolean?@9.0.0.0',
]);
d('HostMemoryTierInfo', 'DynamicData', [
  'name:string', 'type:string', 'flags:string[]?', 'internalFlags:string[]?@8.0.3.0', 'size:long',
]);
d('HostTdxInfo', 'DynamicData', ['tdxState:string', 'numTDXPrivateKeyIDs:int']);
d('HostHardwareInfo', 'DynamicData', [
  'systemInfo:HostSystemInfo', 'cpuPowerManagementInfo:HostCpuPowerManagementInfo?', 'cpuInfo:HostCpuInfo',
  'cpuPkg:HostCpuPackage[]', 'memorySize:long', 'numaInfo:HostNumaInfo?', 'smcPresent:boolean',
  'pciDevice:HostPciDevice[]?', 'dvxClasses:HostDvxClass[]?@8.0.0.1', 'cpuFeature:HostCpuIdInfo[]?',
  'biosInfo:HostBIOSInfo?', 'reliableMemoryInfo:HostReliableMemoryInfo?',
  'persistentMemoryInfo:HostPersistentMemoryInfo?', 'sgxInfo:HostSgxInfo?', 'sevInfo:HostSevInfo?@7.0.1.0',
  'memoryTieringType:string?@7.0.3.0', 'memoryTierInfo:HostMemoryTierInfo[]?@7.0.3.0',
  'tdxInfo:HostTdxInfo?@9.0.0.0',
]);
d('HostSystemComplianceCheckState', 'DynamicData', ['state:string', 'checkTime:dateTime']);
d('HostSystemRemediationState', 'DynamicData', ['state:string', 'operationTime:dateTime']);
d('LicenseDiagnostics', 'DynamicData', [
  'sourceLastChanged:dateTime', 'sourceLost:string', 'sourceLatency:float', 'licenseRequests:string',
  'licenseRequestFailures:string', 'licenseFeatureUnknowns:string', 'opState:LicenseManagerState',
  'lastStatusUpdate:dateTime', 'opFailureMessage:string',
]);
d('LicenseFeatureInfo', 'DynamicData', [
  'key:string', 'featureName:string', 'featureDescription:string?', 'state:LicenseFeatureInfoState?',
  'costUnit:string', 'sourceRestriction:string?', 'dependentKey:string[]?', 'edition:boolean?',
  'expiresOn:dateTime?',
]);
d('PerfCounterInfo', 'DynamicData', [
  'key:int', 'nameInfo:ElementDescription', 'groupInfo:ElementDescription', 'unitInfo:ElementDescription',
  'rollupType:PerfSummaryType', 'statsType:PerfStatsType', 'level:int?', 'perDeviceLevel:int?',
  'associatedCounterId:int[]?',
]);
d('PerfInterval', 'DynamicData', [
  'key:int', 'samplingPeriod:int', 'name:string', 'length:int', 'level:int?', 'enabled:boolean',
]);
d('PerformanceDescription', 'DynamicData', ['counterType:ElementDescription[]', 'statsType:ElementDescription[]']);
d('ServiceManagerServiceInfo', 'DynamicData', [
  'serviceName:string', 'location:string[]?', 'service:ManagedObjectReference', 'description:string',
]);
d('StorageIORMInfo', 'DynamicData', [
  'enabled:boolean', 'congestionThresholdMode:string', 'congestionThreshold:int', 'percentOfPeakThroughput:int?',
  'statsCollectionEnabled:boolean', 'reservationEnabled:boolean', 'statsAggregationDisabled:boolean?',
  'reservableIopsThreshold:int?',
]);
e('DasVmPriority', ['disabled', 'low', 'medium', 'high']);
e('DrsBehavior', ['manual', 'partiallyAutomated', 'fullyAutomated']);
e('LicenseFeatureInfoState', ['enabled', 'disabled', 'optional']);
e('LicenseManagerState', ['initializing', 'normal', 'marginal', 'fault']);
e('PerfStatsType', ['absolute', 'delta', 'rate']);
e('PerfSummaryType', ['average', 'maximum', 'minimum', 'latest', 'summation', 'none']);

// --- Internal types (not in the public WSDL) ---
// RetrieveInternalContent's answer: the real one carries ~20 more internal references; a client
// reads `nfcService` only (reference §2.3.8; govmomi simulator/internal/types.go has the same one field).
d('InternalServiceInstanceContent', 'DynamicData', ['nfcService:ManagedObjectReference']);
// DisableMethods' `method` items (govmomi object/authorization_manager_internal.go).
d('DisabledMethodRequest', 'DynamicData', ['method:string', 'reasonId:string?']);
