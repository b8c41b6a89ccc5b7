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
  /** The API version that added the type, when it came after the first vim25 clients (see FieldDef.since). */
  since?: string;
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

  dataObject(name: string, base: string | undefined, fields: string[], since?: string): void {
    const baseType = base === undefined ? undefined : this.dataObjectType(base);
    if (base !== undefined && !baseType) throw new Error(`${name}: base ${base} is not defined`);
    const ownFields = fields.map(parseField);
    const type: DataObjectType = { kind: 'data', name, ownFields, fields: [...(baseType?.fields ?? []), ...ownFields] };
    if (base !== undefined) type.base = base;
    if (since !== undefined) type.since = since;
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
const d = (name: string, base: string | undefined, fields: string[], since?: string): void => vimTypes.dataObject(name, base, fields, since);
const e = (name: string, values: readonly string[]): void => vimTypes.enumType(name, values);

// --- Base and common types ---
d('DynamicData', undefined, []);
d('KeyAnyValue', 'DynamicData', ['key:string', 'value:anyType']);
d('LocalizableMessage', 'DynamicData', ['key:string', 'arg:KeyAnyValue[]?', 'message:string?']);

// --- Service content and sessions ---
d('AboutInfo', 'DynamicData', [
  'name:string', 'fullName:string', 'vendor:string', 'version:string', 'patchLevel:string?@7.0.2.0', 'build:string',
  'localeVersion:string?', 'localeBuild:string?', 'osType:string', 'productLineId:string', 'apiType:string',
  'apiVersion:string', 'instanceUuid:string?@4.0', 'licenseProductName:string?@4.0', 'licenseProductVersion:string?@4.0',
]);
d('ServiceContent', 'DynamicData', [
  'rootFolder:ManagedObjectReference', 'propertyCollector:ManagedObjectReference',
  'viewManager:ManagedObjectReference?', 'about:AboutInfo', 'setting:ManagedObjectReference?',
  'userDirectory:ManagedObjectReference?', 'sessionManager:ManagedObjectReference?',
  'authorizationManager:ManagedObjectReference?', 'serviceManager:ManagedObjectReference?@5.1',
  'perfManager:ManagedObjectReference?', 'scheduledTaskManager:ManagedObjectReference?',
  'alarmManager:ManagedObjectReference?', 'eventManager:ManagedObjectReference?',
  'taskManager:ManagedObjectReference?', 'extensionManager:ManagedObjectReference?',
  'customizationSpecManager:ManagedObjectReference?', 'guestCustomizationManager:ManagedObjectReference?@7.0.0.0',
  'customFieldsManager:ManagedObjectReference?', 'accountManager:ManagedObjectReference?',
  'diagnosticManager:ManagedObjectReference?', 'licenseManager:ManagedObjectReference?',
  'searchIndex:ManagedObjectReference?', 'fileManager:ManagedObjectReference?',
  'datastoreNamespaceManager:ManagedObjectReference?@5.5', 'virtualDiskManager:ManagedObjectReference?',
  'virtualizationManager:ManagedObjectReference?', 'snmpSystem:ManagedObjectReference?@4.0',
  'vmProvisioningChecker:ManagedObjectReference?@4.0', 'vmCompatibilityChecker:ManagedObjectReference?@4.0',
  'ovfManager:ManagedObjectReference?@4.0', 'ipPoolManager:ManagedObjectReference?@4.0',
  'dvSwitchManager:ManagedObjectReference?@4.0', 'hostProfileManager:ManagedObjectReference?@4.0',
  'clusterProfileManager:ManagedObjectReference?@4.0', 'complianceManager:ManagedObjectReference?@4.0',
  'localizationManager:ManagedObjectReference?@4.0', 'storageResourceManager:ManagedObjectReference?@4.1',
  'guestOperationsManager:ManagedObjectReference?@5.0', 'overheadMemoryManager:ManagedObjectReference?@6.0',
  'certificateManager:ManagedObjectReference?@6.0', 'ioFilterManager:ManagedObjectReference?@6.0',
  'vStorageObjectManager:ManagedObjectReference?@6.5', 'hostSpecManager:ManagedObjectReference?@6.5',
  'cryptoManager:ManagedObjectReference?@6.5', 'healthUpdateManager:ManagedObjectReference?@6.5',
  'failoverClusterConfigurator:ManagedObjectReference?@6.5', 'failoverClusterManager:ManagedObjectReference?@6.5',
  'tenantManager:ManagedObjectReference?@7.0.0.0', 'siteInfoManager:ManagedObjectReference?@7.0.0.0',
  'storageQueryManager:ManagedObjectReference?@7.0.0.0', 'directPathProfileManager:ManagedObjectReference?@9.0.0.0',
]);
d('UserSession', 'DynamicData', [
  'key:string', 'userName:string', 'fullName:string', 'loginTime:dateTime', 'lastActiveTime:dateTime',
  'locale:string', 'messageLocale:string', 'extensionSession:boolean@5.0', 'ipAddress:string?@5.1',
  'userAgent:string?@5.1', 'callCount:long?@5.1',
]);

// --- Property collector ---
d('SelectionSpec', 'DynamicData', ['name:string?']);
d('TraversalSpec', 'SelectionSpec', ['type:string', 'path:string', 'skip:boolean?', 'selectSet:SelectionSpec[]?']);
d('PropertySpec', 'DynamicData', ['type:string', 'all:boolean?', 'pathSet:string[]?']);
d('ObjectSpec', 'DynamicData', ['obj:ManagedObjectReference', 'skip:boolean?', 'selectSet:SelectionSpec[]?']);
d('PropertyFilterSpec', 'DynamicData', [
  'propSet:PropertySpec[]', 'objectSet:ObjectSpec[]', 'reportMissingObjectsInResults:boolean?@4.0',
]);
d('RetrieveOptions', 'DynamicData', ['maxObjects:int?'], '4.0');
d('DynamicProperty', 'DynamicData', ['name:string', 'val:anyType']);
d('LocalizedMethodFault', 'DynamicData', ['fault:MethodFault', 'localizedMessage:string?']);
d('MissingProperty', 'DynamicData', ['path:string', 'fault:LocalizedMethodFault']);
d('ObjectContent', 'DynamicData', [
  'obj:ManagedObjectReference', 'propSet:DynamicProperty[]?', 'missingSet:MissingProperty[]?',
]);
d('RetrieveResult', 'DynamicData', ['token:string?', 'objects:ObjectContent[]'], '4.0');

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
d('NoPermissionEntityPrivileges', 'DynamicData', ['entity:ManagedObjectReference', 'privilegeIds:string[]?'], '7.0.3.2');
d('NoPermission', 'SecurityError', [
  'object:ManagedObjectReference?', 'privilegeId:string?', 'missingPrivileges:NoPermissionEntityPrivileges[]?@7.0.3.2',
]);
d('NotAuthenticated', 'NoPermission', []);
d('ManagedObjectNotFound', 'RuntimeFault', ['obj:ManagedObjectReference']);
d('InvalidRequest', 'RuntimeFault', []);
d('InvalidArgument', 'RuntimeFault', ['invalidProperty:string?']);
d('MethodNotFound', 'InvalidRequest', ['receiver:ManagedObjectReference', 'method:string']);
d('InvalidType', 'InvalidRequest', ['argument:string?']);
d('MethodDisabled', 'RuntimeFault', ['source:string?@4.1']);
d('MethodAlreadyDisabledFault', 'RuntimeFault', ['sourceId:string'], '4.1');
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
  'ftMetadataDirectory:string?@6.0',
]);
d('KeyProviderId', 'DynamicData', ['id:string@6.5'], '6.5');
d('CryptoKeyId', 'DynamicData', ['keyId:string@6.5', 'providerId:KeyProviderId?@6.5'], '6.5');
d('ToolsConfigInfoToolsLastInstallInfo', 'DynamicData', [
  'counter:int@5.0', 'fault:LocalizedMethodFault?@5.0',
], '5.0');
d('ToolsConfigInfo', 'DynamicData', [
  'toolsVersion:int?', 'toolsInstallType:string?@6.5', 'afterPowerOn:boolean?', 'afterResume:boolean?',
  'beforeGuestStandby:boolean?', 'beforeGuestShutdown:boolean?', 'beforeGuestReboot:boolean?',
  'toolsUpgradePolicy:string?', 'pendingCustomization:string?', 'customizationKeyId:CryptoKeyId?@6.5',
  'syncTimeWithHostAllowed:boolean?@7.0.1.0', 'syncTimeWithHost:boolean?',
  'lastInstallInfo:ToolsConfigInfoToolsLastInstallInfo?@5.0',
]);
d('VirtualMachineFlagInfo', 'DynamicData', [
  'disableAcceleration:boolean?', 'enableLogging:boolean?', 'useToe:boolean?', 'runWithDebugInfo:boolean?',
  'monitorType:string?', 'htSharing:string?', 'snapshotDisabled:boolean?', 'snapshotLocked:boolean?',
  'diskUuidEnabled:boolean?', 'virtualMmuUsage:string?', 'virtualExecUsage:string?@4.0',
  'snapshotPowerOffBehavior:string?', 'recordReplayEnabled:boolean?@4.0', 'faultToleranceType:string?@6.0',
  'cbrcCacheEnabled:boolean?@6.5', 'vvtdEnabled:boolean?@6.7', 'vbsEnabled:boolean?@6.7',
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
  'migrateConnect:string?@6.7', 'startConnected:boolean', 'allowGuestControl:boolean', 'connected:boolean',
  'status:string?@4.0',
]);
d('VirtualDeviceBusSlotInfo', 'DynamicData', [], '5.1');
d('VirtualDeviceDeviceGroupInfo', 'DynamicData', ['groupInstanceKey:int', 'sequenceId:int'], '8.0.0.1');
d('VirtualDevice', 'DynamicData', [
  'key:int', 'deviceInfo:Description?', 'backing:VirtualDeviceBackingInfo?', 'connectable:VirtualDeviceConnectInfo?',
  'slotInfo:VirtualDeviceBusSlotInfo?@5.1', 'controllerKey:int?', 'unitNumber:int?', 'numaNode:int?@8.0.0.1',
  'deviceGroupInfo:VirtualDeviceDeviceGroupInfo?@8.0.0.1',
]);
d('VirtualHardware', 'DynamicData', [
  'numCPU:int', 'numCoresPerSocket:int?@5.0', 'autoCoresPerSocket:boolean?@8.0.0.1', 'memoryMB:int',
  'virtualICH7MPresent:boolean?@5.0', 'virtualSMCPresent:boolean?@5.0', 'device:VirtualDevice[]?',
  'motherboardLayout:string?@8.0.0.1', 'simultaneousThreads:int?@8.0.0.1',
]);
d('LatencySensitivity', 'DynamicData', [
  'level:LatencySensitivitySensitivityLevel@5.1', 'sensitivity:int?@5.1',
], '5.1');
d('VirtualMachineVcpuConfig', 'DynamicData', ['latencySensitivity:LatencySensitivity?'], '7.0.0.0');
d('SharesInfo', 'DynamicData', ['shares:int', 'level:SharesLevel']);
d('ResourceAllocationInfo', 'DynamicData', [
  'reservation:long?', 'expandableReservation:boolean?', 'limit:long?', 'shares:SharesInfo?', 'overheadLimit:long?',
]);
d('VirtualMachineAffinityInfo', 'DynamicData', ['affinitySet:int[]?']);
d('VirtualMachineNetworkShaperInfo', 'DynamicData', [
  'enabled:boolean?', 'peakBps:long?', 'averageBps:long?', 'burstSize:long?',
]);
d('OptionValue', 'DynamicData', ['key:string', 'value:anyType?']);
d('HostCpuIdInfo', 'DynamicData', [
  'level:int', 'vendor:string?', 'eax:string?', 'ebx:string?', 'ecx:string?', 'edx:string?',
]);
d('VirtualMachineConfigInfoDatastoreUrlPair', 'DynamicData', ['name:string', 'url:string']);
d('VirtualMachineBootOptionsBootableDevice', 'DynamicData', [], '5.0');
d('VirtualMachineBootOptions', 'DynamicData', [
  'bootDelay:long?', 'enterBIOSSetup:boolean?', 'efiSecureBootEnabled:boolean?@6.5', 'bootRetryEnabled:boolean?@4.1',
  'bootRetryDelay:long?@4.1', 'bootOrder:VirtualMachineBootOptionsBootableDevice[]?@5.0',
  'networkBootProtocol:string?@6.0',
]);
d('FaultToleranceConfigInfo', 'DynamicData', [
  'role:int@4.0', 'instanceUuids:string[]@4.0', 'configPaths:string[]@4.0', 'orphaned:boolean?@6.0',
], '4.0');
d('ReplicationInfoDiskSettings', 'DynamicData', ['key:int@5.0', 'diskReplicationId:string@5.0'], '5.0');
d('ReplicationConfigSpec', 'DynamicData', [
  'generation:long@5.0', 'vmReplicationId:string@5.0', 'destination:string@5.0', 'port:int@5.0', 'rpo:long@5.0',
  'quiesceGuestEnabled:boolean@5.0', 'paused:boolean@5.0', 'oppUpdatesEnabled:boolean@5.0',
  'netCompressionEnabled:boolean?@6.0', 'netEncryptionEnabled:boolean?@6.7', 'encryptionDestination:string?@6.7',
  'encryptionPort:int?@6.7', 'remoteCertificateThumbprint:string?@6.7',
  'dataSetsReplicationEnabled:boolean?@8.0.0.0', 'disk:ReplicationInfoDiskSettings[]?@5.0',
], '5.0');
d('VAppProductInfo', 'DynamicData', [
  'key:int@4.0', 'classId:string?@4.0', 'instanceId:string?@4.0', 'name:string?@4.0', 'vendor:string?@4.0',
  'version:string?@4.0', 'fullVersion:string?@4.0', 'vendorUrl:string?@4.0', 'productUrl:string?@4.0',
  'appUrl:string?@4.0',
], '4.0');
d('VAppPropertyInfo', 'DynamicData', [
  'key:int@4.0', 'classId:string?@4.0', 'instanceId:string?@4.0', 'id:string?@4.0', 'category:string?@4.0',
  'label:string?@4.0', 'type:string?@4.0', 'typeReference:string?@5.1', 'userConfigurable:boolean?@4.0',
  'defaultValue:string?@4.0', 'value:string?@4.0', 'description:string?@4.0',
], '4.0');
d('VAppIPAssignmentInfo', 'DynamicData', [
  'supportedAllocationScheme:string[]?@4.0', 'ipAllocationPolicy:string?@4.0', 'supportedIpProtocol:string[]?@4.0',
  'ipProtocol:string?@4.0',
], '4.0');
d('VAppOvfSectionInfo', 'DynamicData', [
  'key:int?@4.0', 'namespace:string?@4.0', 'type:string?@4.0', 'atEnvelopeLevel:boolean?@4.0',
  'contents:string?@4.0',
], '4.0');
d('VmConfigInfo', 'DynamicData', [
  'product:VAppProductInfo[]?@4.0', 'property:VAppPropertyInfo[]?@4.0', 'ipAssignment:VAppIPAssignmentInfo@4.0',
  'eula:string[]?@4.0', 'ovfSection:VAppOvfSectionInfo[]?@4.0', 'ovfEnvironmentTransport:string[]?@4.0',
  'installBootRequired:boolean@4.0', 'installBootStopDelay:int@4.0',
], '4.0');
d('ManagedByInfo', 'DynamicData', ['extensionKey:string@5.0', 'type:string@5.0'], '5.0');
d('VirtualMachineConfigInfoOverheadInfo', 'DynamicData', [
  'initialMemoryReservation:long?@5.0', 'initialSwapReservation:long?@5.0',
], '5.0');
d('ScheduledHardwareUpgradeInfo', 'DynamicData', [
  'upgradePolicy:string?@5.1', 'versionKey:string?@5.1', 'scheduledHardwareUpgradeStatus:string?@5.1',
  'fault:LocalizedMethodFault?@5.1',
], '5.1');
d('VirtualMachineForkConfigInfo', 'DynamicData', [
  'parentEnabled:boolean?@6.0', 'childForkGroupId:string?@6.0', 'parentForkGroupId:string?@6.5',
  'childType:string?@6.0',
], '6.0');
d('VirtualMachineGuestIntegrityInfo', 'DynamicData', ['enabled:boolean?@6.5'], '6.5');
d('VirtualMachineSgxInfo', 'DynamicData', [
  'epcSize:long', 'flcMode:string?', 'lePubKeyHash:string?', 'requireAttestation:boolean?@8.0.0.1',
], '7.0.0.0');
d('VirtualMachineContentLibraryItemInfo', 'DynamicData', [
  'contentLibraryItemUuid:string', 'contentLibraryItemVersion:string?',
], '7.0.0.0');
d('VirtualMachineGuestMonitoringModeInfo', 'DynamicData', ['gmmFile:string?', 'gmmAppliance:string?'], '7.0.0.0');
d('VirtualMachineVirtualNumaInfo', 'DynamicData', [
  'coresPerNumaNode:int?', 'autoCoresPerNumaNode:boolean?', 'vnumaOnCpuHotaddExposed:boolean?',
], '8.0.0.1');
d('VirtualMachineVirtualDeviceSwapDeviceSwapInfo', 'DynamicData', [
  'enabled:boolean?', 'applicable:boolean?', 'status:string?',
], '8.0.0.1');
d('VirtualMachineVirtualDeviceSwap', 'DynamicData', [
  'lsiToPvscsi:VirtualMachineVirtualDeviceSwapDeviceSwapInfo?',
], '8.0.0.1');
d('VirtualMachineVirtualPMem', 'DynamicData', ['snapshotMode:string?'], '7.0.3.0');
d('VirtualMachineVirtualDeviceGroupsDeviceGroup', 'DynamicData', [
  'groupInstanceKey:int', 'deviceInfo:Description?',
], '7.0.0.0');
d('VirtualMachineVirtualDeviceGroups', 'DynamicData', [
  'deviceGroup:VirtualMachineVirtualDeviceGroupsDeviceGroup[]?',
], '8.0.0.1');
d('VirtualMachineConfigInfo', 'DynamicData', [
  'changeVersion:string', 'modified:dateTime', 'name:string', 'guestFullName:string', 'version:string',
  'uuid:string', 'createDate:dateTime?@6.7', 'instanceUuid:string?@4.0', 'npivNodeWorldWideName:long[]?',
  'npivPortWorldWideName:long[]?', 'npivWorldWideNameType:string?', 'npivDesiredNodeWwns:short?@4.0',
  'npivDesiredPortWwns:short?@4.0', 'npivTemporaryDisabled:boolean?@4.0', 'npivOnNonRdmDisks:boolean?@4.0',
  'locationId:string?', 'template:boolean', 'guestId:string', 'alternateGuestName:string', 'annotation:string?',
  'files:VirtualMachineFileInfo', 'tools:ToolsConfigInfo?', 'flags:VirtualMachineFlagInfo',
  'consolePreferences:VirtualMachineConsolePreferences?', 'defaultPowerOps:VirtualMachineDefaultPowerOpInfo',
  'rebootPowerOff:boolean?@8.0.0.1', 'hardware:VirtualHardware', 'vcpuConfig:VirtualMachineVcpuConfig[]?@7.0.0.0',
  'cpuAllocation:ResourceAllocationInfo?', 'memoryAllocation:ResourceAllocationInfo?',
  'latencySensitivity:LatencySensitivity?@5.1', 'memoryHotAddEnabled:boolean?', 'cpuHotAddEnabled:boolean?',
  'cpuHotRemoveEnabled:boolean?', 'hotPlugMemoryLimit:long?', 'hotPlugMemoryIncrementSize:long?',
  'cpuAffinity:VirtualMachineAffinityInfo?', 'memoryAffinity:VirtualMachineAffinityInfo?',
  'networkShaper:VirtualMachineNetworkShaperInfo?', 'extraConfig:OptionValue[]?', 'cpuFeatureMask:HostCpuIdInfo[]?',
  'datastoreUrl:VirtualMachineConfigInfoDatastoreUrlPair[]?', 'swapPlacement:string?',
  'bootOptions:VirtualMachineBootOptions?', 'ftInfo:FaultToleranceConfigInfo?@4.0',
  'repConfig:ReplicationConfigSpec?@6.0', 'vAppConfig:VmConfigInfo?@4.0', 'vAssertsEnabled:boolean?@4.0',
  'changeTrackingEnabled:boolean?@4.0', 'firmware:string?@5.0', 'maxMksConnections:int?@5.0',
  'guestAutoLockEnabled:boolean?@5.0', 'managedBy:ManagedByInfo?@5.0', 'memoryReservationLockedToMax:boolean?@5.0',
  'initialOverhead:VirtualMachineConfigInfoOverheadInfo?@5.0', 'nestedHVEnabled:boolean?@5.1',
  'vPMCEnabled:boolean?@5.1', 'scheduledHardwareUpgradeInfo:ScheduledHardwareUpgradeInfo?@5.1',
  'forkConfigInfo:VirtualMachineForkConfigInfo?@6.0', 'vFlashCacheReservation:long?@5.5',
  'vmxConfigChecksum:base64Binary?@6.0', 'messageBusTunnelEnabled:boolean?@6.0', 'vmStorageObjectId:string?@6.0',
  'swapStorageObjectId:string?@6.0', 'keyId:CryptoKeyId?@6.5',
  'guestIntegrityInfo:VirtualMachineGuestIntegrityInfo?@6.5', 'migrateEncryption:string?@6.5',
  'sgxInfo:VirtualMachineSgxInfo?@7.0.0.0', 'contentLibItemInfo:VirtualMachineContentLibraryItemInfo?@7.0.0.0',
  'ftEncryptionMode:string?@7.0.2.0', 'guestMonitoringModeInfo:VirtualMachineGuestMonitoringModeInfo?@7.0.0.0',
  'sevEnabled:boolean?@7.0.1.0', 'numaInfo:VirtualMachineVirtualNumaInfo?@8.0.0.1',
  'pmemFailoverEnabled:boolean?@7.0.2.0', 'vmxStatsCollectionEnabled:boolean?@7.0.3.1',
  'vmOpNotificationToAppEnabled:boolean?@7.0.3.0', 'vmOpNotificationTimeout:long?@8.0.0.1',
  'deviceSwap:VirtualMachineVirtualDeviceSwap?@8.0.0.1', 'pmem:VirtualMachineVirtualPMem?@7.0.3.0',
  'deviceGroups:VirtualMachineVirtualDeviceGroups?@8.0.0.1', 'fixedPassthruHotPlugEnabled:boolean?@8.0.1.0',
  'metroFtEnabled:boolean?@8.0.3.0', 'vmxRuntimeConfig:OptionValue[]?@9.0.0.0', 'metroFtHostGroup:string?@8.0.3.0',
  'tdxEnabled:boolean?@9.0.0.0', 'sevSnpEnabled:boolean?@9.0.0.0',
]);
d('StorageIOAllocationInfo', 'DynamicData', [
  'limit:long?@4.1', 'shares:SharesInfo?@4.1', 'reservation:int?@5.5',
], '4.1');
d('VirtualDiskVFlashCacheConfigInfo', 'DynamicData', [
  'vFlashModule:string?@5.5', 'reservationInMB:long?@5.5', 'cacheConsistencyType:string?@5.5',
  'cacheMode:string?@5.5', 'blockSizeInKB:long?@5.5',
], '5.5');
d('ID', 'DynamicData', ['id:string@6.5'], '6.5');
d('VirtualMachineBaseIndependentFilterSpec', 'DynamicData', [], '7.0.2.1');
d('VirtualDisk', 'VirtualDevice', [
  'capacityInKB:long', 'capacityInBytes:long?@5.5', 'shares:SharesInfo?',
  'storageIOAllocation:StorageIOAllocationInfo?@4.1', 'diskObjectId:string?@5.5',
  'vFlashCacheConfigInfo:VirtualDiskVFlashCacheConfigInfo?@5.5', 'iofilter:string[]?@6.0', 'vDiskId:ID?@6.5',
  'vDiskVersion:int?@8.0.1.0', 'virtualDiskFormat:string?@9.0.0.0', 'nativeUnmanagedLinkedClone:boolean?@6.7',
  'independentFilters:VirtualMachineBaseIndependentFilterSpec[]?@7.0.2.1', 'guestReadOnly:boolean?@8.0.2.0',
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
d('VirtualSATAController', 'VirtualController', [], '5.5');
d('VirtualAHCIController', 'VirtualSATAController', [], '5.5');
d('VirtualNVMEController', 'VirtualController', ['sharedBus:string?@8.0.2.0'], '6.5');
d('VirtualPCIController', 'VirtualController', []);
d('VirtualPS2Controller', 'VirtualController', []);
d('VirtualSIOController', 'VirtualController', []);
d('VirtualUSBController', 'VirtualController', ['autoConnectDevices:boolean?', 'ehciEnabled:boolean?']);
d('VirtualUSBXHCIController', 'VirtualController', ['autoConnectDevices:boolean?@5.0'], '5.0');
d('VirtualKeyboard', 'VirtualDevice', []);
d('VirtualPointingDevice', 'VirtualDevice', []);
d('VirtualMachineVideoCard', 'VirtualDevice', [
  'videoRamSizeInKB:long?', 'numDisplays:int?', 'useAutoDetect:boolean?', 'enable3DSupport:boolean?',
  'use3dRenderer:string?@5.1', 'graphicsMemorySizeInKB:long?@6.0',
]);
d('VirtualMachineVMCIDeviceFilterSpec', 'DynamicData', [
  'rank:long@6.0', 'action:string@6.0', 'protocol:string@6.0', 'direction:string@6.0',
  'lowerDstPortBoundary:long?@6.0', 'upperDstPortBoundary:long?@6.0',
], '6.0');
d('VirtualMachineVMCIDeviceFilterInfo', 'DynamicData', ['filters:VirtualMachineVMCIDeviceFilterSpec[]?@6.0'], '6.0');
d('VirtualMachineVMCIDevice', 'VirtualDevice', [
  'id:long?', 'allowUnrestrictedCommunication:boolean?', 'filterEnable:boolean?@6.0',
  'filterInfo:VirtualMachineVMCIDeviceFilterInfo?@6.0',
]);
d('VirtualCdrom', 'VirtualDevice', []);
d('VirtualDeviceFileBackingInfo', 'VirtualDeviceBackingInfo', [
  'fileName:string', 'datastore:ManagedObjectReference?', 'backingObjectId:string?@5.5',
]);
d('VirtualCdromIsoBackingInfo', 'VirtualDeviceFileBackingInfo', []);
d('VirtualDeviceDeviceBackingInfo', 'VirtualDeviceBackingInfo', ['deviceName:string', 'useAutoDetect:boolean?']);
d('VirtualCdromAtapiBackingInfo', 'VirtualDeviceDeviceBackingInfo', []);
d('VirtualDeviceRemoteDeviceBackingInfo', 'VirtualDeviceBackingInfo', [
  'deviceName:string', 'useAutoDetect:boolean?',
]);
d('VirtualCdromRemotePassthroughBackingInfo', 'VirtualDeviceRemoteDeviceBackingInfo', ['exclusive:boolean']);
d('VirtualFloppy', 'VirtualDevice', []);
d('VirtualEthernetCardResourceAllocation', 'DynamicData', [
  'reservation:long?@6.0', 'share:SharesInfo@6.0', 'limit:long?@6.0',
], '6.0');
d('VirtualEthernetCard', 'VirtualDevice', [
  'addressType:string?', 'macAddress:string?', 'wakeOnLanEnabled:boolean?',
  'resourceAllocation:VirtualEthernetCardResourceAllocation?@6.0', 'externalId:string?@6.0',
  'uptCompatibilityEnabled:boolean?@6.0', 'subnetId:string?@9.0.0.0',
]);
d('VirtualVmxnet', 'VirtualEthernetCard', []);
d('VirtualVmxnet3StrictLatencyConfig', 'DynamicData', [
  'allowed:boolean?', 'measureLatency:boolean?', 'maxTxQueues:int?', 'maxRxQueues:int?', 'txDataRingDescSize:int?',
  'rxDataRingDescSize:int?', 'disableOffload:string?',
], '8.0.3.1');
d('VirtualVmxnet3', 'VirtualVmxnet', [
  'uptv2Enabled:boolean?@8.0.0.1', 'strictLatencyConfig:VirtualVmxnet3StrictLatencyConfig?@8.0.3.1',
]);
d('VirtualE1000', 'VirtualEthernetCard', []);
d('VirtualE1000e', 'VirtualEthernetCard', [], '5.0');
d('VirtualEthernetCardNetworkBackingInfo', 'VirtualDeviceDeviceBackingInfo', [
  'network:ManagedObjectReference?', 'inPassthroughMode:boolean?',
]);
d('DistributedVirtualSwitchPortConnection', 'DynamicData', [
  'switchUuid:string@4.0', 'portgroupKey:string?@4.0', 'portKey:string?@4.0', 'connectionCookie:int?@4.0',
], '4.0');
d('VirtualEthernetCardDistributedVirtualPortBackingInfo', 'VirtualDeviceBackingInfo', [
  'port:DistributedVirtualSwitchPortConnection@4.0',
], '4.0');
d('VirtualEthernetCardOpaqueNetworkBackingInfo', 'VirtualDeviceBackingInfo', [
  'opaqueNetworkId:string@5.5', 'opaqueNetworkType:string@5.5',
], '5.5');
d('VirtualDevicePipeBackingInfo', 'VirtualDeviceBackingInfo', ['pipeName:string']);
d('VirtualDeviceURIBackingInfo', 'VirtualDeviceBackingInfo', [
  'serviceURI:string@4.1', 'direction:string@4.1', 'proxyURI:string?@4.1',
], '4.1');
d('VirtualDiskFlatVer1BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'contentId:string?@4.0',
  'parent:VirtualDiskFlatVer1BackingInfo?@4.0',
]);
d('VirtualDiskFlatVer2BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'thinProvisioned:boolean?',
  'eagerlyScrub:boolean?@4.0', 'uuid:string?', 'contentId:string?@4.0', 'changeId:string?@4.0',
  'parent:VirtualDiskFlatVer2BackingInfo?@4.0', 'deltaDiskFormat:string?@5.0', 'digestEnabled:boolean?@5.0',
  'deltaGrainSize:int?@5.1', 'deltaDiskFormatVariant:string?@6.0', 'sharing:string?@6.0', 'keyId:CryptoKeyId?@6.5',
]);
d('VirtualDiskSeSparseBackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string@5.1', 'writeThrough:boolean?@5.1', 'uuid:string?@5.1', 'contentId:string?@5.1',
  'changeId:string?@5.1', 'parent:VirtualDiskSeSparseBackingInfo?@5.1', 'deltaDiskFormat:string?@5.1',
  'digestEnabled:boolean?@5.1', 'grainSize:int?@5.1', 'keyId:CryptoKeyId?@6.5',
], '5.1');
d('VirtualDiskSparseVer1BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'spaceUsedInKB:long?', 'contentId:string?@4.0',
  'parent:VirtualDiskSparseVer1BackingInfo?@4.0',
]);
d('VirtualDiskSparseVer2BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'diskMode:string', 'split:boolean?', 'writeThrough:boolean?', 'spaceUsedInKB:long?', 'uuid:string?',
  'contentId:string?@4.0', 'changeId:string?@4.0', 'parent:VirtualDiskSparseVer2BackingInfo?@4.0',
  'keyId:CryptoKeyId?@6.5',
]);
d('VirtualDiskRawDiskMappingVer1BackingInfo', 'VirtualDeviceFileBackingInfo', [
  'lunUuid:string?', 'deviceName:string?', 'compatibilityMode:string?', 'diskMode:string?', 'uuid:string?',
  'contentId:string?@4.0', 'changeId:string?@4.0', 'parent:VirtualDiskRawDiskMappingVer1BackingInfo?@4.0',
  'deltaDiskFormat:string?@6.7', 'deltaGrainSize:int?@6.7', 'sharing:string?@6.0',
]);
d('VirtualDiskRawDiskVer2BackingInfo', 'VirtualDeviceDeviceBackingInfo', [
  'descriptorFileName:string', 'uuid:string?', 'changeId:string?@4.0', 'sharing:string?@6.0',
]);
d('VirtualDiskPartitionedRawDiskVer2BackingInfo', 'VirtualDiskRawDiskVer2BackingInfo', ['partition:int[]']);
d('VirtualDevicePciBusSlotInfo', 'VirtualDeviceBusSlotInfo', ['pciSlotNumber:int@5.1'], '5.1');
d('VirtualMachineProfileSpec', 'DynamicData', [], '5.5');
d('CryptoSpec', 'DynamicData', [], '6.5');
d('VirtualDeviceConfigSpecBackingSpec', 'DynamicData', [
  'parent:VirtualDeviceConfigSpecBackingSpec?@6.5', 'crypto:CryptoSpec?@6.5',
], '6.5');
d('VirtualDeviceConfigSpec', 'DynamicData', [
  'operation:VirtualDeviceConfigSpecOperation?', 'fileOperation:VirtualDeviceConfigSpecFileOperation?',
  'device:VirtualDevice', 'profile:VirtualMachineProfileSpec[]?@5.5',
  'backing:VirtualDeviceConfigSpecBackingSpec?@6.5', 'filterSpec:VirtualMachineBaseIndependentFilterSpec[]?@7.0.2.1',
  'changeMode:string?@8.0.0.1',
]);
d('ArrayUpdateSpec', 'DynamicData', ['operation:ArrayUpdateOperation', 'removeKey:anyType?']);
d('VirtualMachineCpuIdInfoSpec', 'ArrayUpdateSpec', ['info:HostCpuIdInfo?']);
d('VAppProductSpec', 'ArrayUpdateSpec', ['info:VAppProductInfo?@4.0'], '4.0');
d('VAppPropertySpec', 'ArrayUpdateSpec', ['info:VAppPropertyInfo?@4.0'], '4.0');
d('VAppOvfSectionSpec', 'ArrayUpdateSpec', ['info:VAppOvfSectionInfo?@4.0'], '4.0');
d('VmConfigSpec', 'DynamicData', [
  'product:VAppProductSpec[]?@4.0', 'property:VAppPropertySpec[]?@4.0', 'ipAssignment:VAppIPAssignmentInfo?@4.0',
  'eula:string[]?@4.0', 'ovfSection:VAppOvfSectionSpec[]?@4.0', 'ovfEnvironmentTransport:string[]?@4.0',
  'installBootRequired:boolean?@4.0', 'installBootStopDelay:int?@4.0',
], '4.0');
d('VirtualMachineVirtualNuma', 'DynamicData', [
  'coresPerNumaNode:int?', 'exposeVnumaOnCpuHotadd:boolean?',
], '8.0.0.1');
d('TagIdNameId', 'DynamicData', ['tag:string', 'category:string'], '7.0.0.0');
d('TagId', 'DynamicData', ['nameId:TagIdNameId?', 'uuid:string?'], '9.1.0.0');
d('TagSpec', 'ArrayUpdateSpec', ['id:TagId'], '9.1.0.0');
d('VmPlacementPolicy', 'DynamicData', ['tagsToAttach:string[]?'], '9.1.0.0');
d('VirtualMachineConfigSpec', 'DynamicData', [
  'changeVersion:string?', 'name:string?', 'version:string?', 'createDate:dateTime?@6.7', 'uuid:string?',
  'instanceUuid:string?@4.0', 'npivNodeWorldWideName:long[]?', 'npivPortWorldWideName:long[]?',
  'npivWorldWideNameType:string?', 'npivDesiredNodeWwns:short?@4.0', 'npivDesiredPortWwns:short?@4.0',
  'npivTemporaryDisabled:boolean?@4.0', 'npivOnNonRdmDisks:boolean?@4.0', 'npivWorldWideNameOp:string?',
  'locationId:string?', 'guestId:string?', 'alternateGuestName:string?', 'annotation:string?',
  'files:VirtualMachineFileInfo?', 'tools:ToolsConfigInfo?', 'flags:VirtualMachineFlagInfo?',
  'consolePreferences:VirtualMachineConsolePreferences?', 'powerOpInfo:VirtualMachineDefaultPowerOpInfo?',
  'rebootPowerOff:boolean?@8.0.0.1', 'numCPUs:int?', 'vcpuConfig:VirtualMachineVcpuConfig[]?@7.0.0.0',
  'numCoresPerSocket:int?@5.0', 'memoryMB:long?', 'memoryHotAddEnabled:boolean?', 'cpuHotAddEnabled:boolean?',
  'cpuHotRemoveEnabled:boolean?', 'virtualICH7MPresent:boolean?@5.0', 'virtualSMCPresent:boolean?@5.0',
  'deviceChange:VirtualDeviceConfigSpec[]?', 'cpuAllocation:ResourceAllocationInfo?',
  'memoryAllocation:ResourceAllocationInfo?', 'latencySensitivity:LatencySensitivity?@5.1',
  'cpuAffinity:VirtualMachineAffinityInfo?', 'memoryAffinity:VirtualMachineAffinityInfo?',
  'networkShaper:VirtualMachineNetworkShaperInfo?', 'cpuFeatureMask:VirtualMachineCpuIdInfoSpec[]?',
  'extraConfig:OptionValue[]?', 'swapPlacement:string?', 'bootOptions:VirtualMachineBootOptions?',
  'vAppConfig:VmConfigSpec?@4.0', 'ftInfo:FaultToleranceConfigInfo?@4.0', 'repConfig:ReplicationConfigSpec?@6.0',
  'vAppConfigRemoved:boolean?@4.0', 'vAssertsEnabled:boolean?@4.0', 'changeTrackingEnabled:boolean?@4.0',
  'firmware:string?@5.0', 'maxMksConnections:int?@5.0', 'guestAutoLockEnabled:boolean?@5.0',
  'managedBy:ManagedByInfo?@5.0', 'memoryReservationLockedToMax:boolean?@5.0', 'nestedHVEnabled:boolean?@5.1',
  'vPMCEnabled:boolean?@5.1', 'scheduledHardwareUpgradeInfo:ScheduledHardwareUpgradeInfo?@5.1',
  'vmProfile:VirtualMachineProfileSpec[]?@5.5', 'messageBusTunnelEnabled:boolean?@6.0', 'crypto:CryptoSpec?@6.5',
  'migrateEncryption:string?@6.5', 'sgxInfo:VirtualMachineSgxInfo?@7.0.0.0', 'ftEncryptionMode:string?@7.0.2.0',
  'guestMonitoringModeInfo:VirtualMachineGuestMonitoringModeInfo?@7.0.0.0', 'sevEnabled:boolean?@7.0.1.0',
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
d('VirtualDiskConfigSpec', 'VirtualDeviceConfigSpec', [
  'diskMoveType:string?@6.0', 'migrateCache:boolean?@5.5',
], '5.5');
d('FaultDomainId', 'DynamicData', ['id:string@6.5'], '6.5');
d('DeviceGroupId', 'DynamicData', ['id:string@6.5'], '6.5');
d('ReplicationGroupId', 'DynamicData', ['faultDomainId:FaultDomainId@6.5', 'deviceGroupId:DeviceGroupId@6.5'], '6.5');
d('ReplicationSpec', 'DynamicData', ['replicationGroupId:ReplicationGroupId@6.5'], '6.5');
d('VirtualMachineProfileRawData', 'DynamicData', ['extensionKey:string@5.5', 'objectData:string?@5.5'], '5.5');
d('KeyValue', 'DynamicData', ['key:string', 'value:string']);
d('VirtualMachineDefinedProfileSpec', 'VirtualMachineProfileSpec', [
  'profileId:string@5.5', 'replicationSpec:ReplicationSpec?@6.5', 'profileData:VirtualMachineProfileRawData?@5.5',
  'profileParams:KeyValue[]?@6.7',
], '5.5');
d('VirtualMachineEmptyProfileSpec', 'VirtualMachineProfileSpec', [], '5.5');
d('VirtualMachineDeviceRuntimeInfoDeviceRuntimeState', 'DynamicData', [], '4.1');
d('VirtualMachineDeviceRuntimeInfo', 'DynamicData', [
  'runtimeState:VirtualMachineDeviceRuntimeInfoDeviceRuntimeState@4.1', 'key:int@4.1',
], '4.1');
d('VirtualMachineRuntimeInfoDasProtectionState', 'DynamicData', ['dasProtected:boolean@5.0'], '5.0');
d('OptionType', 'DynamicData', ['valueIsReadonly:boolean?']);
d('ElementDescription', 'Description', ['key:string']);
d('ChoiceOption', 'OptionType', ['choiceInfo:ElementDescription[]', 'defaultIndex:int?']);
d('VirtualMachineMessage', 'DynamicData', ['id:string', 'argument:anyType[]?', 'text:string?@4.0']);
d('VirtualMachineQuestionInfo', 'DynamicData', [
  'id:string', 'text:string', 'choice:ChoiceOption', 'message:VirtualMachineMessage[]?',
]);
d('VirtualMachineFeatureRequirement', 'DynamicData', [
  'key:string@5.1', 'featureName:string@5.1', 'value:string@5.1',
], '5.1');
d('HostFeatureMask', 'DynamicData', ['key:string@5.1', 'featureName:string@5.1', 'value:string@5.1'], '5.1');
d('VirtualMachineRuntimeInfo', 'DynamicData', [
  'device:VirtualMachineDeviceRuntimeInfo[]?@4.1', 'host:ManagedObjectReference?',
  'connectionState:VirtualMachineConnectionState', 'powerState:VirtualMachinePowerState',
  'vmFailoverInProgress:boolean?@7.0.2.0', 'faultToleranceState:VirtualMachineFaultToleranceState@4.0',
  'dasVmProtection:VirtualMachineRuntimeInfoDasProtectionState?@5.0', 'toolsInstallerMounted:boolean',
  'suspendTime:dateTime?', 'bootTime:dateTime?', 'suspendInterval:long?', 'question:VirtualMachineQuestionInfo?',
  'memoryOverhead:long?', 'maxCpuUsage:int?', 'maxMemoryUsage:int?', 'numMksConnections:int',
  'recordReplayState:VirtualMachineRecordReplayState@4.0', 'cleanPowerOff:boolean?@4.0',
  'needSecondaryReason:string?@4.0', 'onlineStandby:boolean@5.1', 'minRequiredEVCModeKey:string?@4.1',
  'consolidationNeeded:boolean@5.0', 'offlineFeatureRequirement:VirtualMachineFeatureRequirement[]?@5.1',
  'featureRequirement:VirtualMachineFeatureRequirement[]?@5.1', 'featureMask:HostFeatureMask[]?@5.1',
  'vFlashCacheAllocation:long?@5.5', 'paused:boolean?@6.0', 'snapshotInBackground:boolean?@6.0',
  'quiescedForkParent:boolean?@6.0', 'instantCloneFrozen:boolean?@6.7', 'cryptoState:string?@6.7',
  'suspendedToMemory:boolean?@7.0.2.0', 'opNotificationTimeout:long?@8.0.0.1', 'iommuActive:boolean?@8.0.1.0',
]);
d('VirtualMachineGuestSummary', 'DynamicData', [
  'guestId:string?', 'guestFullName:string?', 'toolsStatus:VirtualMachineToolsStatus?',
  'toolsVersionStatus:string?@4.0', 'toolsVersionStatus2:string?@5.0', 'toolsRunningStatus:string?@4.0',
  'hostName:string?', 'ipAddress:string?', 'hwVersion:string?@7.0.0.0',
]);
d('VirtualMachineConfigSummary', 'DynamicData', [
  'name:string', 'template:boolean', 'vmPathName:string', 'memorySizeMB:int?', 'cpuReservation:int?',
  'memoryReservation:int?', 'numCpu:int?', 'numEthernetCards:int?', 'numVirtualDisks:int?', 'uuid:string?',
  'instanceUuid:string?@4.0', 'guestId:string?', 'guestFullName:string?', 'annotation:string?',
  'product:VAppProductInfo?@4.0', 'installBootRequired:boolean?@4.0', 'ftInfo:FaultToleranceConfigInfo?@4.0',
  'managedBy:ManagedByInfo?@5.0', 'tpmPresent:boolean?@6.7', 'numVmiopBackings:int?@6.7',
  'hwVersion:string?@7.0.0.0',
]);
d('VirtualMachineStorageSummary', 'DynamicData', [
  'committed:long@4.0', 'uncommitted:long@4.0', 'unshared:long@4.0', 'timestamp:dateTime@4.0',
], '4.0');
d('VirtualMachineQuickStatsMemoryTierStats', 'DynamicData', [
  'memoryTierType:string', 'readBandwidth:long',
], '7.0.3.0');
d('VirtualMachineQuickStats', 'DynamicData', [
  'overallCpuUsage:int?', 'overallCpuDemand:int?@4.0', 'overallCpuReadiness:int?@7.0.0.0', 'guestMemoryUsage:int?',
  'hostMemoryUsage:int?', 'guestHeartbeatStatus:ManagedEntityStatus', 'distributedCpuEntitlement:int?',
  'distributedMemoryEntitlement:int?', 'staticCpuEntitlement:int?@4.0', 'staticMemoryEntitlement:int?@4.0',
  'grantedMemory:int?@7.0.0.0', 'privateMemory:int?@4.0', 'sharedMemory:int?@4.0', 'swappedMemory:int?@4.0',
  'balloonedMemory:int?@4.0', 'consumedOverheadMemory:int?@4.0', 'ftLogBandwidth:int?@4.0',
  'ftSecondaryLatency:int?@4.0', 'ftLatencyStatus:ManagedEntityStatus?@4.0', 'compressedMemory:long?@4.1',
  'uptimeSeconds:int?@4.1', 'ssdSwappedMemory:long?@5.0', 'activeMemory:int?@7.0.3.0',
  'memoryTierStats:VirtualMachineQuickStatsMemoryTierStats[]?@7.0.3.0',
]);
d('CustomFieldValue', 'DynamicData', ['key:int']);
d('VirtualMachineSummary', 'DynamicData', [
  'vm:ManagedObjectReference?', 'runtime:VirtualMachineRuntimeInfo', 'guest:VirtualMachineGuestSummary?',
  'config:VirtualMachineConfigSummary', 'storage:VirtualMachineStorageSummary?@4.0',
  'quickStats:VirtualMachineQuickStats', 'overallStatus:ManagedEntityStatus', 'customValue:CustomFieldValue[]?',
]);
d('VirtualMachineCapability', 'DynamicData', [
  'snapshotOperationsSupported:boolean', 'multipleSnapshotsSupported:boolean', 'snapshotConfigSupported:boolean',
  'poweredOffSnapshotsSupported:boolean', 'memorySnapshotsSupported:boolean', 'revertToSnapshotSupported:boolean',
  'quiescedSnapshotsSupported:boolean', 'disableSnapshotsSupported:boolean', 'lockSnapshotsSupported:boolean',
  'consolePreferencesSupported:boolean', 'cpuFeatureMaskSupported:boolean', 's1AcpiManagementSupported:boolean',
  'settingScreenResolutionSupported:boolean', 'toolsAutoUpdateSupported:boolean', 'vmNpivWwnSupported:boolean',
  'npivWwnOnNonRdmVmSupported:boolean', 'vmNpivWwnDisableSupported:boolean@4.0',
  'vmNpivWwnUpdateSupported:boolean@4.0', 'swapPlacementSupported:boolean', 'toolsSyncTimeSupported:boolean',
  'virtualMmuUsageSupported:boolean', 'diskSharesSupported:boolean', 'bootOptionsSupported:boolean',
  'bootRetryOptionsSupported:boolean@4.1', 'settingVideoRamSizeSupported:boolean',
  'settingDisplayTopologySupported:boolean', 'recordReplaySupported:boolean@4.0',
  'changeTrackingSupported:boolean@4.0', 'multipleCoresPerSocketSupported:boolean@5.0',
  'hostBasedReplicationSupported:boolean@5.0', 'guestAutoLockSupported:boolean@5.0',
  'memoryReservationLockSupported:boolean@5.0', 'featureRequirementSupported:boolean@5.1',
  'poweredOnMonitorTypeChangeSupported:boolean@5.1', 'seSparseDiskSupported:boolean@5.1',
  'nestedHVSupported:boolean@5.1', 'vPMCSupported:boolean@5.1', 'secureBootSupported:boolean?@6.5',
  'perVmEvcSupported:boolean?@6.7', 'virtualMmuUsageIgnored:boolean?@6.7', 'virtualExecUsageIgnored:boolean?@6.7',
  'diskOnlySnapshotOnSuspendedVMSupported:boolean?@6.7', 'suspendToMemorySupported:boolean?@7.0.2.0',
  'toolsSyncTimeAllowSupported:boolean?@7.0.1.0', 'sevSupported:boolean?@7.0.1.0',
  'pmemFailoverSupported:boolean?@7.0.2.0', 'requireSgxAttestationSupported:boolean?@8.0.0.1',
  'changeModeDisksSupported:boolean?@8.0.0.1', 'vendorDeviceGroupSupported:boolean?@8.0.1.0',
  'sevSnpSupported:boolean?@9.0.0.0', 'tdxSupported:boolean?@9.0.0.0',
]);
d('VirtualMachineSnapshotTree', 'DynamicData', [
  'snapshot:ManagedObjectReference', 'vm:ManagedObjectReference', 'name:string', 'description:string', 'id:int@4.0',
  'createTime:dateTime', 'state:VirtualMachinePowerState', 'quiesced:boolean', 'backupManifest:string?',
  'childSnapshotList:VirtualMachineSnapshotTree[]?', 'replaySupported:boolean?@4.0',
]);
d('VirtualMachineSnapshotInfo', 'DynamicData', [
  'currentSnapshot:ManagedObjectReference?', 'rootSnapshotList:VirtualMachineSnapshotTree[]',
]);
d('VirtualMachineFileLayoutExFileInfo', 'DynamicData', [
  'key:int@4.0', 'name:string@4.0', 'type:string@4.0', 'size:long@4.0', 'uniqueSize:long?@5.1',
  'backingObjectId:string?@6.0', 'accessible:boolean?@6.0',
], '4.0');
d('VirtualMachineFileLayoutExDiskUnit', 'DynamicData', ['fileKey:int[]@4.0'], '4.0');
d('VirtualMachineFileLayoutExDiskLayout', 'DynamicData', [
  'key:int@4.0', 'virtualDiskFormat:string?@9.0.0.0', 'chain:VirtualMachineFileLayoutExDiskUnit[]?@4.0',
], '4.0');
d('VirtualMachineFileLayoutExSnapshotLayout', 'DynamicData', [
  'key:ManagedObjectReference@4.0', 'dataKey:int@4.0', 'memoryKey:int@6.0',
  'disk:VirtualMachineFileLayoutExDiskLayout[]?@4.0',
], '4.0');
d('VirtualMachineFileLayoutEx', 'DynamicData', [
  'file:VirtualMachineFileLayoutExFileInfo[]?@4.0', 'disk:VirtualMachineFileLayoutExDiskLayout[]?@4.0',
  'snapshot:VirtualMachineFileLayoutExSnapshotLayout[]?@4.0', 'timestamp:dateTime@4.0',
], '4.0');
d('VirtualMachineFileLayoutDiskLayout', 'DynamicData', ['key:int', 'diskFile:string[]']);
d('VirtualMachineFileLayoutSnapshotLayout', 'DynamicData', ['key:ManagedObjectReference', 'snapshotFile:string[]']);
d('VirtualMachineFileLayout', 'DynamicData', [
  'configFile:string[]?', 'logFile:string[]?', 'disk:VirtualMachineFileLayoutDiskLayout[]?',
  'snapshot:VirtualMachineFileLayoutSnapshotLayout[]?', 'swapFile:string?',
]);
d('VirtualMachineUsageOnDatastore', 'DynamicData', [
  'datastore:ManagedObjectReference@4.0', 'committed:long@4.0', 'uncommitted:long@4.0', 'unshared:long@4.0',
], '4.0');
d('VirtualMachineStorageInfo', 'DynamicData', [
  'perDatastoreUsage:VirtualMachineUsageOnDatastore[]?@4.0', 'timestamp:dateTime@4.0',
], '4.0');
d('NetDnsConfigInfo', 'DynamicData', [
  'dhcp:boolean@4.1', 'hostName:string@4.1', 'domainName:string@4.1', 'ipAddress:string[]?@4.1',
  'searchDomain:string[]?@4.1',
], '4.1');
d('NetIpConfigInfoIpAddress', 'DynamicData', [
  'ipAddress:string@4.1', 'prefixLength:int@4.1', 'origin:string?@4.1', 'state:string?@4.1',
  'lifetime:dateTime?@4.1',
], '4.1');
d('NetDhcpConfigInfoDhcpOptions', 'DynamicData', ['enable:boolean@4.1', 'config:KeyValue[]?@4.1'], '4.1');
d('NetDhcpConfigInfo', 'DynamicData', [
  'ipv6:NetDhcpConfigInfoDhcpOptions?@4.1', 'ipv4:NetDhcpConfigInfoDhcpOptions?@4.1',
], '4.1');
d('NetIpConfigInfo', 'DynamicData', [
  'ipAddress:NetIpConfigInfoIpAddress[]?@4.1', 'dhcp:NetDhcpConfigInfo?@4.1',
  'autoConfigurationEnabled:boolean?@4.1',
], '4.1');
d('NetBIOSConfigInfo', 'DynamicData', ['mode:string@4.1'], '4.1');
d('GuestNicInfo', 'DynamicData', [
  'network:string?', 'ipAddress:string[]?', 'macAddress:string?', 'connected:boolean', 'deviceConfigId:int',
  'dnsConfig:NetDnsConfigInfo?@4.1', 'ipConfig:NetIpConfigInfo?@4.1', 'netBIOSConfig:NetBIOSConfigInfo?@4.1',
]);
d('NetIpRouteConfigInfoGateway', 'DynamicData', ['ipAddress:string?@4.1', 'device:string?@4.1'], '4.1');
d('NetIpRouteConfigInfoIpRoute', 'DynamicData', [
  'network:string@4.1', 'prefixLength:int@4.1', 'gateway:NetIpRouteConfigInfoGateway@4.1',
], '4.1');
d('NetIpRouteConfigInfo', 'DynamicData', ['ipRoute:NetIpRouteConfigInfoIpRoute[]?@4.1'], '4.1');
d('GuestStackInfo', 'DynamicData', [
  'dnsConfig:NetDnsConfigInfo?@4.1', 'ipRouteConfig:NetIpRouteConfigInfo?@4.1', 'ipStackConfig:KeyValue[]?@4.1',
  'dhcpConfig:NetDhcpConfigInfo?@4.1',
], '4.1');
d('GuestInfoVirtualDiskMapping', 'DynamicData', ['key:int'], '7.0.0.0');
d('GuestDiskInfo', 'DynamicData', [
  'diskPath:string?', 'capacity:long?', 'freeSpace:long?', 'filesystemType:string?@7.0.0.0',
  'mappings:GuestInfoVirtualDiskMapping[]?@7.0.0.0',
]);
d('GuestScreenInfo', 'DynamicData', ['width:int', 'height:int']);
d('GuestInfoNamespaceGenerationInfo', 'DynamicData', ['key:string@5.1', 'generationNo:int@5.1'], '5.1');
d('GuestInfoCustomizationInfo', 'DynamicData', [
  'customizationStatus:string', 'startTime:dateTime?', 'endTime:dateTime?', 'errorMsg:string?',
], '7.0.2.0');
d('GuestInfo', 'DynamicData', [
  'toolsStatus:VirtualMachineToolsStatus?', 'toolsVersionStatus:string?@4.0', 'toolsVersionStatus2:string?@5.0',
  'toolsRunningStatus:string?@4.0', 'toolsVersion:string?', 'toolsInstallType:string?@6.5', 'guestId:string?',
  'guestFamily:string?', 'guestFullName:string?', 'guestDetailedData:string?@8.0.2.0', 'hostName:string?',
  'ipAddress:string?', 'net:GuestNicInfo[]?', 'ipStack:GuestStackInfo[]?@4.1', 'disk:GuestDiskInfo[]?',
  'screen:GuestScreenInfo?', 'guestState:string', 'appHeartbeatStatus:string?@4.1',
  'guestKernelCrashed:boolean?@6.0', 'appState:string?@5.5', 'guestOperationsReady:boolean?@5.0',
  'interactiveGuestOperationsReady:boolean?@5.0', 'guestStateChangeSupported:boolean?@6.0',
  'generationInfo:GuestInfoNamespaceGenerationInfo[]?@5.1', 'hwVersion:string?@7.0.0.0',
  'customizationInfo:GuestInfoCustomizationInfo?@7.0.2.0',
]);
d('DiskChangeExtent', 'DynamicData', ['start:long@4.0', 'length:long@4.0'], '4.0');
d('DiskChangeInfo', 'DynamicData', [
  'startOffset:long@4.0', 'length:long@4.0', 'changedArea:DiskChangeExtent[]?@4.0',
], '4.0');
d('ResourceConfigSpec', 'DynamicData', [
  'entity:ManagedObjectReference?', 'changeVersion:string?', 'lastModified:dateTime?',
  'cpuAllocation:ResourceAllocationInfo', 'memoryAllocation:ResourceAllocationInfo',
  'scaleDescendantsShares:string?@7.0.0.0',
]);
d('VirtualMachineGuestQuiesceSpec', 'DynamicData', ['timeout:int?@6.5'], '6.5');
d('VirtualMachineWindowsQuiesceSpec', 'VirtualMachineGuestQuiesceSpec', [
  'vssBackupType:int?@6.5', 'vssBootableSystemState:boolean?@6.5', 'vssPartialFileSupport:boolean?@6.5',
  'vssBackupContext:string?@6.5',
], '6.5');
d('SnapshotSelectionSpec', 'DynamicData', ['retentionDays:int?'], '8.0.3.0');
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
], '8.0.0.1');
d('HostNumericSensorInfo', 'DynamicData', [
  'name:string', 'healthState:ElementDescription?', 'currentReading:long', 'unitModifier:int', 'baseUnits:string',
  'rateUnits:string?', 'sensorType:string', 'id:string?@6.5', 'sensorNumber:long?@8.0.0.1', 'timeStamp:string?@6.5',
  'fru:HostFru?@8.0.0.1',
]);
d('HostSystemHealthInfo', 'DynamicData', ['numericSensorInfo:HostNumericSensorInfo[]?']);
d('HostHardwareElementInfo', 'DynamicData', ['name:string', 'status:ElementDescription']);
d('HostStorageOperationalInfo', 'DynamicData', ['property:string', 'value:string']);
d('HostStorageElementInfo', 'HostHardwareElementInfo', ['operationalInfo:HostStorageOperationalInfo[]?']);
d('DpuStatusInfoOperationalInfo', 'DynamicData', [
  'sensorId:string', 'healthState:ElementDescription?', 'reading:string', 'units:string?', 'timeStamp:dateTime?',
], '8.0.0.1');
d('DpuStatusInfo', 'HostHardwareElementInfo', [
  'dpuId:string', 'fru:HostFru?', 'sensors:DpuStatusInfoOperationalInfo[]?',
], '8.0.0.1');
d('HostHardwareStatusInfo', 'DynamicData', [
  'memoryStatusInfo:HostHardwareElementInfo[]?', 'cpuStatusInfo:HostHardwareElementInfo[]?',
  'storageStatusInfo:HostStorageElementInfo[]?', 'dpuStatusInfo:DpuStatusInfo[]?@8.0.0.1',
]);
d('HealthSystemRuntime', 'DynamicData', [
  'systemHealthInfo:HostSystemHealthInfo?', 'hardwareStatusInfo:HostHardwareStatusInfo?',
]);
d('ClusterDasFdmHostState', 'DynamicData', ['state:string@5.0', 'stateReporter:ManagedObjectReference?@5.0'], '5.0');
d('HostDigestInfo', 'DynamicData', [
  'digestMethod:string@4.0', 'digestValue:byte[]@4.0', 'objectName:string?@4.0',
], '4.0');
d('HostTpmDigestInfo', 'HostDigestInfo', ['pcrNumber:int@4.0'], '4.0');
d('VsanHostMembershipInfo', 'DynamicData', ['nodeUuid:string@5.5', 'hostname:string@5.5'], '5.5');
d('VsanHostRuntimeInfoDiskIssue', 'DynamicData', ['diskId:string@5.5', 'issue:string@5.5'], '5.5');
d('VsanHostRuntimeInfo', 'DynamicData', [
  'membershipList:VsanHostMembershipInfo[]?@5.5', 'diskIssues:VsanHostRuntimeInfoDiskIssue[]?@5.5',
  'accessGenNo:int?@5.5',
], '5.5');
d('HostRuntimeInfoNetStackInstanceRuntimeInfo', 'DynamicData', [
  'netStackInstanceKey:string@5.5', 'state:string?@5.5', 'vmknicKeys:string[]?@5.5',
  'maxNumberOfConnections:int?@5.5', 'currentIpV6Enabled:boolean?@5.5',
], '5.5');
d('HostPlacedVirtualNicIdentifier', 'DynamicData', [
  'vm:ManagedObjectReference@6.0', 'vnicKey:string@6.0', 'reservation:int?@6.0',
], '6.0');
d('HostPnicNetworkResourceInfo', 'DynamicData', [
  'pnicDevice:string@6.0', 'availableBandwidthForVMTraffic:long?@6.0', 'unusedBandwidthForVMTraffic:long?@6.0',
  'placedVirtualNics:HostPlacedVirtualNicIdentifier[]?@6.0',
], '6.0');
d('HostNetworkResourceRuntime', 'DynamicData', ['pnicResourceInfo:HostPnicNetworkResourceInfo[]@6.0'], '6.0');
d('HostRuntimeInfoNetworkRuntimeInfo', 'DynamicData', [
  'netStackInstanceRuntimeInfo:HostRuntimeInfoNetStackInstanceRuntimeInfo[]?@5.5',
  'networkResourceRuntime:HostNetworkResourceRuntime?@6.0',
], '5.5');
d('HostVFlashManagerVFlashResourceRunTimeInfo', 'DynamicData', [
  'usage:long@5.5', 'capacity:long@5.5', 'accessible:boolean@5.5', 'capacityForVmCache:long@5.5',
  'freeForVmCache:long@5.5',
], '5.5');
d('HostPartialMaintenanceModeRuntimeInfo', 'DynamicData', ['key:string', 'hostStatus:string'], '8.0.3.0');
d('HostRuntimeInfoStateEncryptionInfo', 'DynamicData', [
  'protectionMode:string', 'requireSecureBoot:boolean?', 'requireExecInstalledOnly:boolean?',
], '7.0.3.0');
d('PodVMOverheadInfo', 'DynamicData', [
  'crxPageSharingSupported:boolean', 'podVMOverheadWithoutPageSharing:int', 'podVMOverheadWithPageSharing:int',
], '9.1.0.0');
d('PodVMInfo', 'DynamicData', ['hasPageSharingPodVM:boolean', 'podVMOverheadInfo:PodVMOverheadInfo'], '9.1.0.0');
d('HostRuntimeInfo', 'DynamicData', [
  'connectionState:HostSystemConnectionState', 'powerState:HostSystemPowerState', 'standbyMode:string?@4.1',
  'inMaintenanceMode:boolean', 'inQuarantineMode:boolean?@6.5', 'bootTime:dateTime?',
  'healthSystemRuntime:HealthSystemRuntime?', 'dasHostState:ClusterDasFdmHostState?@5.0',
  'tpmPcrValues:HostTpmDigestInfo[]?@4.0', 'vsanRuntimeInfo:VsanHostRuntimeInfo?@5.5',
  'networkRuntimeInfo:HostRuntimeInfoNetworkRuntimeInfo?@5.5',
  'vFlashResourceRuntimeInfo:HostVFlashManagerVFlashResourceRunTimeInfo?@5.5',
  'hostMaxVirtualDiskCapacity:long?@5.5', 'cryptoState:string?@6.5', 'cryptoKeyId:CryptoKeyId?@6.5',
  'statelessNvdsMigrationReady:string?@7.0.2.0',
  'partialMaintenanceMode:HostPartialMaintenanceModeRuntimeInfo[]?@8.0.3.0',
  'stateEncryption:HostRuntimeInfoStateEncryptionInfo?@7.0.3.0', 'podVMInfo:PodVMInfo?@9.1.0.0',
]);
d('HostConfigSummary', 'DynamicData', [
  'name:string', 'port:int', 'sslThumbprint:string?@4.0', 'sslCertificate:string?@9.0.0.0', 'product:AboutInfo?',
  'vmotionEnabled:boolean', 'faultToleranceEnabled:boolean@4.0', 'agentVmDatastore:ManagedObjectReference?@5.0',
  'agentVmNetwork:ManagedObjectReference?@5.0',
]);
d('HostListSummaryQuickStats', 'DynamicData', [
  'overallCpuUsage:int?', 'overallMemoryUsage:int?', 'distributedCpuFairness:int?', 'distributedMemoryFairness:int?',
  'availablePMemCapacity:int?@6.7', 'uptime:int?@4.1',
]);
d('HostListSummaryGatewaySummary', 'DynamicData', ['gatewayType:string@6.0', 'gatewayId:string@6.0'], '6.0');
d('HostTpmAttestationInfo', 'DynamicData', [
  'time:dateTime@6.7', 'status:HostTpmAttestationInfoAcceptanceStatus@6.7', 'message:LocalizableMessage?@6.7',
], '6.7');
d('HostTrustAuthorityAttestationInfo', 'DynamicData', [
  'attestationStatus:string', 'serviceId:string?', 'attestedAt:dateTime?', 'attestedUntil:dateTime?',
  'messages:LocalizableMessage[]?',
], '7.0.1.0');
d('HostListSummary', 'DynamicData', [
  'host:ManagedObjectReference?', 'hardware:HostHardwareSummary?', 'runtime:HostRuntimeInfo?',
  'config:HostConfigSummary', 'quickStats:HostListSummaryQuickStats', 'overallStatus:ManagedEntityStatus',
  'rebootRequired:boolean', 'customValue:CustomFieldValue[]?', 'managementServerIp:string?',
  'maxEVCModeKey:string?@4.0', 'currentEVCModeKey:string?@4.0', 'currentEVCGraphicsModeKey:string?@7.0.1.0',
  'gateway:HostListSummaryGatewaySummary?@6.0', 'tpmAttestation:HostTpmAttestationInfo?@6.7',
  'trustAuthorityAttestationInfos:HostTrustAuthorityAttestationInfo[]?@7.0.1.0',
]);
d('NetworkSummary', 'DynamicData', [
  'network:ManagedObjectReference?', 'name:string', 'accessible:boolean', 'ipPoolName:string@4.0',
  'ipPoolId:int?@5.1',
]);
d('HostConnectInfoNetworkInfo', 'DynamicData', ['summary:NetworkSummary']);
d('DatastoreSummary', 'DynamicData', [
  'datastore:ManagedObjectReference?', 'name:string', 'url:string', 'capacity:long', 'freeSpace:long',
  'uncommitted:long?@4.0', 'accessible:boolean', 'multipleHostAccess:boolean?', 'type:string',
  'maintenanceMode:string?@5.0',
]);
d('HostDatastoreConnectInfo', 'DynamicData', ['summary:DatastoreSummary']);
d('LicenseManagerLicenseInfo', 'DynamicData', [
  'licenseKey:string@4.0', 'editionKey:string@4.0', 'name:string@4.0', 'total:int@4.0', 'used:int?@4.0',
  'costUnit:string@4.0', 'properties:KeyAnyValue[]?@4.0', 'labels:KeyValue[]?@4.0',
], '4.0');
d('LicenseManagerEvaluationInfo', 'DynamicData', ['properties:KeyAnyValue[]@4.0'], '4.0');
d('HostLicensableResourceInfo', 'DynamicData', ['resource:KeyAnyValue[]@5.0'], '5.0');
d('HostLicenseConnectInfo', 'DynamicData', [
  'license:LicenseManagerLicenseInfo@4.0', 'evaluation:LicenseManagerEvaluationInfo@4.0',
  'resource:HostLicensableResourceInfo?@5.0',
], '4.0');
d('HostCapability', 'DynamicData', [
  'recursiveResourcePoolsSupported:boolean', 'cpuMemoryResourceConfigurationSupported:boolean',
  'rebootSupported:boolean', 'shutdownSupported:boolean', 'vmotionSupported:boolean', 'standbySupported:boolean',
  'ipmiSupported:boolean?@4.0', 'maxSupportedVMs:int?', 'maxRunningVMs:int?', 'maxSupportedVcpus:int?',
  'maxRegisteredVMs:int?@5.1', 'datastorePrincipalSupported:boolean', 'sanSupported:boolean', 'nfsSupported:boolean',
  'iscsiSupported:boolean', 'vlanTaggingSupported:boolean', 'nicTeamingSupported:boolean',
  'highGuestMemSupported:boolean', 'maintenanceModeSupported:boolean', 'suspendedRelocateSupported:boolean',
  'restrictedSnapshotRelocateSupported:boolean', 'perVmSwapFiles:boolean', 'localSwapDatastoreSupported:boolean',
  'unsharedSwapVMotionSupported:boolean', 'backgroundSnapshotsSupported:boolean',
  'preAssignedPCIUnitNumbersSupported:boolean', 'screenshotSupported:boolean', 'scaledScreenshotSupported:boolean',
  'storageVMotionSupported:boolean@4.0', 'vmotionWithStorageVMotionSupported:boolean@4.0',
  'vmotionAcrossNetworkSupported:boolean?@5.5', 'maxNumDisksSVMotion:int?@6.0',
  'maxVirtualDiskDescVersionSupported:int?@8.0.1.0', 'hbrNicSelectionSupported:boolean@5.1',
  'vrNfcNicSelectionSupported:boolean@6.0', 'recordReplaySupported:boolean@4.0', 'ftSupported:boolean@4.0',
  'replayUnsupportedReason:string?@4.0', 'replayCompatibilityIssues:string[]?@4.1', 'smpFtSupported:boolean@6.0',
  'ftCompatibilityIssues:string[]?@4.1', 'smpFtCompatibilityIssues:string[]?@6.0', 'maxVcpusPerFtVm:int?@6.0',
  'loginBySSLThumbprintSupported:boolean?@4.0', 'cloneFromSnapshotSupported:boolean@4.0',
  'deltaDiskBackingsSupported:boolean@4.0', 'perVMNetworkTrafficShapingSupported:boolean',
  'tpmSupported:boolean@4.0', 'tpmVersion:string?@6.7', 'txtEnabled:boolean?@6.7',
  'supportedCpuFeature:HostCpuIdInfo[]?@4.0', 'virtualExecUsageSupported:boolean@4.0',
  'storageIORMSupported:boolean@4.1', 'vmDirectPathGen2Supported:boolean?@4.1',
  'vmDirectPathGen2UnsupportedReason:string[]?@4.1', 'vmDirectPathGen2UnsupportedReasonExtended:string?@4.1',
  'supportedVmfsMajorVersion:int[]?@5.0', 'vStorageCapable:boolean@4.1', 'snapshotRelayoutSupported:boolean@5.0',
  'firewallIpRulesSupported:boolean?@5.0', 'servicePackageInfoSupported:boolean?@5.0', 'maxHostRunningVms:int?@5.0',
  'maxHostSupportedVcpus:int?@5.0', 'vmfsDatastoreMountCapable:boolean@5.0',
  'eightPlusHostVmfsSharedAccessSupported:boolean@5.1', 'nestedHVSupported:boolean@5.1', 'vPMCSupported:boolean@5.1',
  'interVMCommunicationThroughVMCISupported:boolean@5.1', 'scheduledHardwareUpgradeSupported:boolean?@5.1',
  'featureCapabilitiesSupported:boolean@5.1', 'latencySensitivitySupported:boolean@5.1',
  'storagePolicySupported:boolean?@5.5', 'accel3dSupported:boolean@5.1', 'reliableMemoryAware:boolean?@5.5',
  'multipleNetworkStackInstanceSupported:boolean?@5.5', 'messageBusProxySupported:boolean?@6.0',
  'vsanSupported:boolean?@5.5', 'vFlashSupported:boolean?@5.5', 'hostAccessManagerSupported:boolean?@6.0',
  'provisioningNicSelectionSupported:boolean@6.0', 'nfs41Supported:boolean?@6.0', 'nfs41Krb5iSupported:boolean?@6.5',
  'turnDiskLocatorLedSupported:boolean?@6.0', 'virtualVolumeDatastoreSupported:boolean?@6.0',
  'markAsSsdSupported:boolean?@6.0', 'markAsLocalSupported:boolean?@6.0',
  'smartCardAuthenticationSupported:boolean?@6.0', 'pMemSupported:boolean?@6.7',
  'pMemSnapshotSupported:boolean?@6.7', 'cryptoSupported:boolean?@6.5', 'oneKVolumeAPIsSupported:boolean?@6.5',
  'gatewayOnNicSupported:boolean?@6.5', 'upitSupported:boolean?@6.5', 'cpuHwMmuSupported:boolean?@6.5',
  'encryptedVMotionSupported:boolean?@6.5', 'encryptionChangeOnAddRemoveSupported:boolean?@6.5',
  'encryptionHotOperationSupported:boolean?@6.5', 'encryptionWithSnapshotsSupported:boolean?@6.5',
  'encryptionFaultToleranceSupported:boolean?@6.5', 'encryptionMemorySaveSupported:boolean?@6.5',
  'encryptionRDMSupported:boolean?@6.5', 'encryptionVFlashSupported:boolean?@6.5',
  'encryptionCBRCSupported:boolean?@6.5', 'encryptionHBRSupported:boolean?@6.5', 'ftEfiSupported:boolean?@6.7',
  'unmapMethodSupported:string?@6.7', 'maxMemMBPerFtVm:int?@6.7', 'virtualMmuUsageIgnored:boolean?@6.7',
  'virtualExecUsageIgnored:boolean?@6.7', 'vmCreateDateSupported:boolean?@6.7', 'vmfs3EOLSupported:boolean?@6.7',
  'ftVmcpSupported:boolean?@6.7', 'quickBootSupported:boolean?@6.7.1', 'encryptedFtSupported:boolean?@7.0.2.0',
  'assignableHardwareSupported:boolean?@7.0.0.0', 'suspendToMemorySupported:boolean?@7.0.2.0',
  'useFeatureReqsForOldHWv:boolean?@7.0.0.0', 'markPerenniallyReservedSupported:boolean?@7.0.0.0',
  'hppPspSupported:boolean?@7.0.0.0', 'deviceRebindWithoutRebootSupported:boolean?@7.0.0.0',
  'storagePolicyChangeSupported:boolean?@7.0.0.0', 'precisionTimeProtocolSupported:boolean?@7.0.0.0',
  'remoteDeviceVMotionSupported:boolean?@7.0.0.0', 'maxSupportedVmMemory:int?@7.0.0.0',
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
  'serverIp:string?', 'inDasCluster:boolean?@5.0', 'host:HostListSummary', 'vm:VirtualMachineSummary[]?',
  'vimAccountNameRequired:boolean?', 'clusterSupported:boolean?', 'network:HostConnectInfoNetworkInfo[]?',
  'datastore:HostDatastoreConnectInfo[]?', 'license:HostLicenseConnectInfo?@4.0', 'capability:HostCapability?@6.0',
]);
d('DatastoreInfo', 'DynamicData', [
  'name:string', 'url:string', 'freeSpace:long', 'maxFileSize:long', 'maxVirtualDiskCapacity:long?@5.5',
  'maxMemoryFileSize:long@6.0', 'timestamp:dateTime?@4.0', 'containerId:string?@5.5', 'aliasOf:string?@6.7.1',
  'supportedVDiskFormats:string[]?@9.0.0.0', 'logicalSectorSize:int?@9.0.0.0', 'physicalSectorSize:int?@9.0.0.0',
]);
d('HostFileSystemVolume', 'DynamicData', ['type:string', 'name:string', 'capacity:long']);
d('VmfsUnmapBandwidthSpec', 'DynamicData', [
  'policy:string@6.7', 'fixedValue:long@6.7', 'dynamicMin:long@6.7', 'dynamicMax:long@6.7',
], '6.7');
d('HostScsiDiskPartition', 'DynamicData', ['diskName:string', 'partition:int']);
d('HostForceMountedInfo', 'DynamicData', ['persist:boolean@4.0', 'mounted:boolean@4.0'], '4.0');
d('HostVmfsVolume', 'HostFileSystemVolume', [
  'blockSizeMb:int', 'blockSize:int?@6.5', 'unmapGranularity:int?@6.5', 'unmapPriority:string?@6.5',
  'unmapBandwidthSpec:VmfsUnmapBandwidthSpec?@6.7', 'maxBlocks:int', 'majorVersion:int', 'version:string',
  'uuid:string', 'extent:HostScsiDiskPartition[]', 'vmfsUpgradable:boolean',
  'forceMountedInfo:HostForceMountedInfo?@4.0', 'ssd:boolean?@5.0', 'local:boolean?@5.5', 'scsiDiskType:string?@6.5',
]);
d('VmfsDatastoreInfo', 'DatastoreInfo', [
  'maxPhysicalRDMFileSize:long@5.1', 'maxVirtualRDMFileSize:long@5.1', 'vmfs:HostVmfsVolume?',
]);
d('HostNasVolume', 'HostFileSystemVolume', [
  'remoteHost:string', 'remotePath:string', 'userName:string?', 'remoteHostNames:string[]?@6.0',
  'securityType:string?@6.0', 'protocolEndpoint:boolean?@6.0',
]);
d('NasDatastoreInfo', 'DatastoreInfo', ['nas:HostNasVolume?']);
d('LocalDatastoreInfo', 'DatastoreInfo', ['path:string?']);
d('HostLocalFileSystemVolume', 'HostFileSystemVolume', ['device:string']);
d('DatastoreCapability', 'DynamicData', [
  'directoryHierarchySupported:boolean', 'rawDiskMappingsSupported:boolean',
  'perFileThinProvisioningSupported:boolean', 'storageIORMSupported:boolean@4.1',
  'nativeSnapshotSupported:boolean@5.1', 'topLevelDirectoryCreateSupported:boolean?@5.5',
  'seSparseSupported:boolean?@5.5', 'vmfsSparseSupported:boolean?@6.5', 'vsanSparseSupported:boolean?@6.5',
  'upitSupported:boolean?@6.5', 'vmdkExpandSupported:boolean?@6.7', 'clusteredVmdkSupported:boolean?@7.0.0.0',
]);
d('HostMountInfo', 'DynamicData', [
  'path:string?', 'accessMode:string', 'mounted:boolean?@5.0', 'accessible:boolean?',
  'inaccessibleReason:string?@5.1', 'vmknicName:string?@8.0.1.0', 'vmknicActive:boolean?@8.0.1.0',
  'mountFailedReason:string?@8.0.0.1', 'numTcpConnections:int?@8.0.1.0',
]);
d('DatastoreHostMount', 'DynamicData', ['key:ManagedObjectReference', 'mountInfo:HostMountInfo']);
d('ComputeResourceSummary', 'DynamicData', [
  'totalCpu:int', 'totalMemory:long', 'numCpuCores:short', 'numCpuThreads:short', 'effectiveCpu:int',
  'effectiveMemory:long', 'numHosts:int', 'numEffectiveHosts:int', 'overallStatus:ManagedEntityStatus',
]);
d('ClusterDasAdmissionControlInfo', 'DynamicData', [], '4.0');
d('ClusterUsageSummary', 'DynamicData', [
  'totalCpuCapacityMhz:int@6.0', 'totalMemCapacityMB:int@6.0', 'cpuReservationMhz:int@6.0',
  'memReservationMB:int@6.0', 'poweredOffCpuReservationMhz:int?@6.0', 'poweredOffMemReservationMB:int?@6.0',
  'cpuDemandMhz:int@6.0', 'memDemandMB:int@6.0', 'statsGenNumber:long@6.0', 'cpuEntitledMhz:int@6.0',
  'memEntitledMB:int@6.0', 'poweredOffVmCount:int@6.0', 'totalVmCount:int@6.0', 'tier0MemCapacityMB:int?@9.0.0.0',
  'reservedTier0MemMB:int?@9.0.0.0', 'unreservedTier0MemMB:int?@9.0.0.0',
], '6.0');
d('ClusterDasData', 'DynamicData', [], '5.0');
d('ClusterComputeResourceVcsSlots', 'DynamicData', [
  'systemId:string?@7.0.3.0', 'host:ManagedObjectReference', 'datastore:ManagedObjectReference[]?@7.0.3.0',
  'totalSlots:int',
], '7.0.1.1');
d('ClusterComputeResourceSummary', 'ComputeResourceSummary', [
  'currentFailoverLevel:int', 'admissionControlInfo:ClusterDasAdmissionControlInfo?@4.0', 'numVmotions:int',
  'targetBalance:int?@4.0', 'currentBalance:int?@4.0', 'drsScore:int?@7.0.0.0',
  'numVmsPerDrsScoreBucket:int[]?@7.0.0.0', 'usageSummary:ClusterUsageSummary?@6.0', 'currentEVCModeKey:string?@4.0',
  'currentEVCGraphicsModeKey:string?@7.0.1.0', 'dasData:ClusterDasData?@5.0',
  'clusterMaintenanceModeStatus:string?@7.0.0.2', 'vcsHealthStatus:string?@7.0.1.1',
  'vcsSlots:ClusterComputeResourceVcsSlots[]?@7.0.1.1',
]);
d('DatacenterConfigInfo', 'DynamicData', [
  'defaultHardwareVersionKey:string?@5.1', 'maximumHardwareVersionKey:string?@7.0.2.0',
], '5.1');
d('ResourcePoolResourceUsage', 'DynamicData', [
  'reservationUsed:long', 'reservationUsedForVm:long', 'unreservedForPool:long', 'unreservedForVm:long',
  'overallUsage:long', 'maxUsage:long',
]);
d('ResourcePoolVmResourceProfileUsage', 'DynamicData', [
  'id:string', 'reservedForPool:long', 'reservationUsedForVms:long', 'reservationUsedForChildPools:long',
], '9.1.0.0');
d('ResourcePoolRuntimeInfo', 'DynamicData', [
  'memory:ResourcePoolResourceUsage', 'cpu:ResourcePoolResourceUsage',
  'vmRp:ResourcePoolVmResourceProfileUsage[]?@9.1.0.0', 'overallStatus:ManagedEntityStatus',
  'sharesScalable:string?@7.0.0.0',
]);
d('ResourcePoolQuickStats', 'DynamicData', [
  'overallCpuUsage:long?@4.0', 'overallCpuDemand:long?@4.0', 'guestMemoryUsage:long?@4.0',
  'hostMemoryUsage:long?@4.0', 'distributedCpuEntitlement:long?@4.0', 'distributedMemoryEntitlement:long?@4.0',
  'staticCpuEntitlement:int?@4.0', 'staticMemoryEntitlement:int?@4.0', 'privateMemory:long?@4.0',
  'sharedMemory:long?@4.0', 'swappedMemory:long?@4.0', 'balloonedMemory:long?@4.0', 'overheadMemory:long?@4.0',
  'consumedOverheadMemory:long?@4.0', 'compressedMemory:long?@4.1',
], '4.0');
d('ResourcePoolSummary', 'DynamicData', [
  'name:string', 'config:ResourceConfigSpec', 'runtime:ResourcePoolRuntimeInfo',
  'quickStats:ResourcePoolQuickStats?@4.0', 'configuredMemoryMB:int?@4.0',
]);
d('HostConfigManager', 'DynamicData', [
  'cpuScheduler:ManagedObjectReference?', 'datastoreSystem:ManagedObjectReference?',
  'memoryManager:ManagedObjectReference?', 'storageSystem:ManagedObjectReference?',
  'networkSystem:ManagedObjectReference?', 'vmotionSystem:ManagedObjectReference?',
  'virtualNicManager:ManagedObjectReference?@4.0', 'serviceSystem:ManagedObjectReference?',
  'firewallSystem:ManagedObjectReference?', 'advancedOption:ManagedObjectReference?',
  'diagnosticSystem:ManagedObjectReference?', 'autoStartManager:ManagedObjectReference?',
  'snmpSystem:ManagedObjectReference?', 'dateTimeSystem:ManagedObjectReference?',
  'patchManager:ManagedObjectReference?', 'imageConfigManager:ManagedObjectReference?@5.0',
  'bootDeviceSystem:ManagedObjectReference?', 'firmwareSystem:ManagedObjectReference?',
  'healthStatusSystem:ManagedObjectReference?', 'pciPassthruSystem:ManagedObjectReference?@4.0',
  'licenseManager:ManagedObjectReference?@4.0', 'kernelModuleSystem:ManagedObjectReference?@4.0',
  'authenticationManager:ManagedObjectReference?@4.1', 'powerSystem:ManagedObjectReference?@4.1',
  'cacheConfigurationManager:ManagedObjectReference?@5.0', 'esxAgentHostManager:ManagedObjectReference?@5.0',
  'iscsiManager:ManagedObjectReference?@5.0', 'vFlashManager:ManagedObjectReference?@5.5',
  'vsanSystem:ManagedObjectReference?@5.5', 'messageBusProxy:ManagedObjectReference?@6.0',
  'userDirectory:ManagedObjectReference?@6.0', 'accountManager:ManagedObjectReference?@6.0',
  'hostAccessManager:ManagedObjectReference?@6.0', 'graphicsManager:ManagedObjectReference?@5.5',
  'vsanInternalSystem:ManagedObjectReference?@5.5', 'certificateManager:ManagedObjectReference?@6.0',
  'cryptoManager:ManagedObjectReference?@6.5', 'nvdimmSystem:ManagedObjectReference?@6.7',
  'assignableHardwareManager:ManagedObjectReference?@7.0.0.0',
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
  'time:dateTime', 'acknowledged:boolean?@4.0', 'acknowledgedByUser:string?@4.0', 'acknowledgedTime:dateTime?@4.0',
  'eventKey:int?@6.0', 'disabled:boolean?@7.0.0.0',
]);
d('Tag', 'DynamicData', ['key:string@4.0'], '4.0');
d('EventArgument', 'DynamicData', []);
d('EntityEventArgument', 'EventArgument', ['name:string']);
d('DatacenterEventArgument', 'EntityEventArgument', ['datacenter:ManagedObjectReference']);
d('ComputeResourceEventArgument', 'EntityEventArgument', ['computeResource:ManagedObjectReference']);
d('HostEventArgument', 'EntityEventArgument', ['host:ManagedObjectReference']);
d('VmEventArgument', 'EntityEventArgument', ['vm:ManagedObjectReference']);
d('DatastoreEventArgument', 'EntityEventArgument', ['datastore:ManagedObjectReference']);
d('NetworkEventArgument', 'EntityEventArgument', ['network:ManagedObjectReference@4.0'], '4.0');
d('DvsEventArgument', 'EntityEventArgument', ['dvs:ManagedObjectReference@4.0'], '4.0');
d('Event', 'DynamicData', [
  'key:int', 'chainId:int', 'createdTime:dateTime', 'userName:string', 'datacenter:DatacenterEventArgument?',
  'computeResource:ComputeResourceEventArgument?', 'host:HostEventArgument?', 'vm:VmEventArgument?',
  'ds:DatastoreEventArgument?@4.0', 'net:NetworkEventArgument?@4.0', 'dvs:DvsEventArgument?@4.0',
  'fullFormattedMessage:string?', 'changeTag:string?@4.0',
]);
d('ComputeResourceConfigInfo', 'DynamicData', [
  'vmSwapPlacement:string', 'spbmEnabled:boolean?@5.0', 'defaultHardwareVersionKey:string?@5.1',
  'maximumHardwareVersionKey:string?@7.0.2.0',
]);
d('HostCpuSchedulerInfo', 'DynamicData', ['policy:string'], '8.0.3.0');
d('OptionDef', 'ElementDescription', ['optionType:OptionType']);
d('HostSystemResourceInfo', 'DynamicData', [
  'key:string', 'config:ResourceConfigSpec?', 'child:HostSystemResourceInfo[]?',
]);
d('HostAuthenticationInfo', 'DynamicData', [
  'principal:string', 'ownerTag:string', 'sslCertificates:string[]?',
], '9.0.0.0');
d('HostConfigInfo', 'DynamicData', [
  'host:ManagedObjectReference', 'product:AboutInfo', 'cpuScheduler:HostCpuSchedulerInfo?@8.0.3.0',
  'systemFile:string[]?@4.1', 'option:OptionValue[]?', 'optionDef:OptionDef[]?', 'datastorePrincipal:string?',
  'localSwapDatastore:ManagedObjectReference?', 'systemResources:HostSystemResourceInfo?', 'adminDisabled:boolean?',
  'lockdownMode:HostLockdownMode?@6.0', 'authenticationData:HostAuthenticationInfo[]?@9.0.0.0',
  'certificate:byte[]?@5.0', 'wakeOnLanCapable:boolean?@5.0', 'domainList:string[]?@6.0',
  'scriptCheckSum:base64Binary?@6.0', 'hostConfigCheckSum:base64Binary?@6.0',
  'descriptionTreeCheckSum:base64Binary?@7.0.0.0', 'sharedPassthruGpuTypes:string[]?@6.0',
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
  'key:string', 'task:ManagedObjectReference', 'description:LocalizableMessage?@4.0', 'name:string?',
  'descriptionId:string', 'entity:ManagedObjectReference?', 'entityName:string?', 'locked:ManagedObjectReference[]?',
  'state:TaskInfoState', 'cancelled:boolean', 'cancelable:boolean', 'error:LocalizedMethodFault?', 'result:anyType?',
  'progress:int?', 'progressDetails:KeyAnyValue[]?@8.0.1.0', 'reason:TaskReason', 'queueTime:dateTime',
  'startTime:dateTime?', 'completeTime:dateTime?', 'eventChainId:int', 'changeTag:string?@4.0',
  'parentTaskKey:string?@4.0', 'rootTaskKey:string?@4.0', 'activationId:string?@6.0',
]);
d('TaskReasonUser', 'TaskReason', ['userName:string']);
d('TaskReasonSystem', 'TaskReason', []);
d('TaskReasonSchedule', 'TaskReason', ['name:string', 'scheduledTask:ManagedObjectReference']);
d('TaskReasonAlarm', 'TaskReason', [
  'alarmName:string', 'alarm:ManagedObjectReference', 'entityName:string', 'entity:ManagedObjectReference',
]);
d('PropertyChange', 'DynamicData', ['name:string', 'op:PropertyChangeOp', 'val:anyType?']);
d('ObjectUpdate', 'DynamicData', [
  'kind:ObjectUpdateKind', 'obj:ManagedObjectReference', 'changeSet:PropertyChange[]?',
  'missingSet:MissingProperty[]?',
]);
d('MissingObject', 'DynamicData', ['obj:ManagedObjectReference', 'fault:LocalizedMethodFault']);
d('PropertyFilterUpdate', 'DynamicData', [
  'filter:ManagedObjectReference', 'objectSet:ObjectUpdate[]?', 'missingSet:MissingObject[]?',
]);
d('UpdateSet', 'DynamicData', ['version:string', 'filterSet:PropertyFilterUpdate[]?', 'truncated:boolean?@4.0']);
d('WaitOptions', 'DynamicData', ['maxWaitSeconds:int?@4.0', 'maxObjectUpdates:int?@4.0'], '4.0');
d('TypeDescription', 'Description', ['key:string']);
d('TaskDescription', 'DynamicData', [
  'methodInfo:ElementDescription[]', 'state:ElementDescription[]', 'reason:TypeDescription[]',
]);
d('VirtualMachineCertThumbprint', 'DynamicData', ['thumbprint:string', 'hashAlgorithm:string?'], '7.0.3.1');
d('SessionManagerGenericServiceTicket', 'DynamicData', [
  'id:string@5.0', 'hostName:string?@5.1', 'sslThumbprint:string?@5.1',
  'certThumbprintList:VirtualMachineCertThumbprint[]?@7.0.3.1', 'sslCertificate:string?@9.0.0.0',
  'ticketType:string?@7.0.2.0',
], '5.0');
d('SessionManagerServiceRequestSpec', 'DynamicData', [], '5.0');
d('SessionManagerHttpServiceRequestSpec', 'SessionManagerServiceRequestSpec', [
  'method:string?@5.0', 'url:string@5.0',
], '5.0');
d('SessionManagerVmomiServiceRequestSpec', 'SessionManagerServiceRequestSpec', ['method:string@5.1'], '5.1');
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
d('PrivilegeAvailability', 'DynamicData', ['privId:string@5.5', 'isGranted:boolean@5.5'], '5.5');
d('EntityPrivilege', 'DynamicData', [
  'entity:ManagedObjectReference@5.5', 'privAvailability:PrivilegeAvailability[]@5.5',
], '5.5');
d('AuthorizationDescription', 'DynamicData', [
  'privilege:ElementDescription[]', 'privilegeGroup:ElementDescription[]',
]);
d('UserPrivilegeResult', 'DynamicData', ['entity:ManagedObjectReference@6.5', 'privileges:string[]?@6.5'], '6.5');
d('PolicyOption', 'DynamicData', ['id:string@4.0', 'parameter:KeyAnyValue[]?@4.0'], '4.0');
d('ProfilePolicy', 'DynamicData', ['id:string@4.0', 'policyOption:PolicyOption@4.0'], '4.0');
d('ProfileApplyProfileProperty', 'DynamicData', [
  'propertyName:string@5.0', 'array:boolean@5.0', 'profile:ApplyProfile[]?@5.0',
], '5.0');
d('ApplyProfile', 'DynamicData', [
  'enabled:boolean@4.0', 'policy:ProfilePolicy[]?@4.0', 'profileTypeName:string?@5.0', 'profileVersion:string?@5.0',
  'property:ProfileApplyProfileProperty[]?@5.0', 'favorite:boolean?@6.5', 'toBeMerged:boolean?@6.5',
  'toReplaceWith:boolean?@6.5', 'toBeDeleted:boolean?@6.5', 'copyEnableStatus:boolean?@6.5', 'hidden:boolean?@6.7',
], '4.0');
d('PermissionProfile', 'ApplyProfile', ['key:string@4.1'], '4.1');
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
d('DirectoryNotEmpty', 'FileFault', [], '5.0');
d('FileNameTooLong', 'FileFault', [], '5.0');
d('FileNotWritable', 'FileFault', []);
d('FileTooLarge', 'FileFault', ['datastore:string', 'fileSize:long', 'maxFileSize:long?']);
d('IncorrectFileType', 'FileFault', []);
d('NoDiskSpace', 'FileFault', ['datastore:string']);
d('NotADirectory', 'FileFault', [], '5.0');
d('NotAFile', 'FileFault', [], '5.0');
d('VmConfigFault', 'VimFault', []);
d('GenericVmConfigFault', 'VmConfigFault', ['reason:string']);
d('InvalidVmConfig', 'VmConfigFault', ['property:string?']);
d('CannotAccessVmComponent', 'VmConfigFault', []);
d('CannotAccessVmDevice', 'CannotAccessVmComponent', ['device:string', 'backing:string', 'connected:boolean']);
d('CannotAccessVmDisk', 'CannotAccessVmDevice', ['fault:LocalizedMethodFault']);
d('CannotAccessVmConfig', 'CannotAccessVmComponent', ['reason:LocalizedMethodFault']);
d('DeltaDiskFormatNotSupported', 'VmConfigFault', [
  'datastore:ManagedObjectReference[]?@5.0', 'deltaDiskFormat:string@5.0',
], '5.0');
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
d('InaccessibleDatastore', 'InvalidDatastore', ['detail:string?@5.0']);
d('HostConfigFault', 'VimFault', []);
d('HostConfigFailed', 'HostConfigFault', ['failure:LocalizedMethodFault[]@4.0'], '4.0');
d('InvalidCollectorVersion', 'MethodFault', []);
d('InvalidPrivilege', 'VimFault', ['privilege:string']);
d('AlreadyExists', 'VimFault', ['name:string?']);
d('DuplicateName', 'VimFault', ['name:string', 'object:ManagedObjectReference']);
d('InvalidName', 'VimFault', ['name:string', 'entity:ManagedObjectReference?']);
d('ConcurrentAccess', 'VimFault', []);
d('Timedout', 'VimFault', []);
d('InvalidVmState', 'InvalidState', ['vm:ManagedObjectReference@6.5'], '6.5');
d('InvalidHostState', 'InvalidState', ['host:ManagedObjectReference?']);
d('InvalidDatastoreState', 'InvalidState', ['datastoreName:string?@5.0'], '5.0');
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
d('DisallowedChangeByService', 'RuntimeFault', ['serviceName:string@5.0', 'disallowedChange:string?@5.0'], '5.0');
d('DisallowedOperationOnFailoverHost', 'RuntimeFault', [
  'host:ManagedObjectReference@4.0', 'hostname:string@4.0',
], '4.0');
d('NoCompatibleHost', 'VimFault', ['host:ManagedObjectReference[]?@4.0', 'error:LocalizedMethodFault[]?@4.0'], '4.0');
d('VmToolsUpgradeFault', 'VimFault', []);
d('VmFaultToleranceIssue', 'VimFault', [], '4.0');
d('InvalidOperationOnSecondaryVm', 'VmFaultToleranceIssue', ['instanceUuid:string@4.0'], '4.0');
d('CustomizationFault', 'VimFault', []);
d('VirtualHardwareCompatibilityIssue', 'VmConfigFault', []);
d('DiskNotSupported', 'VirtualHardwareCompatibilityIssue', ['disk:int']);
d('InvalidFormat', 'VmConfigFault', []);
d('InvalidDiskFormat', 'InvalidFormat', []);
d('RemoveFailed', 'VimFault', []);
d('InvalidSnapshotFormat', 'InvalidFormat', []);
d('AuthMinimumAdminPermission', 'VimFault', []);
d('ActiveDirectoryFault', 'VimFault', ['errorCode:int?@4.1'], '4.1');
d('NoPermissionOnAD', 'ActiveDirectoryFault', [], '4.1');
d('NoPermissionOnHost', 'HostConnectFault', []);
d('NotSupportedHost', 'HostConnectFault', ['productName:string?', 'productVersion:string?']);
d('NotSupportedHostInCluster', 'NotSupportedHost', [], '4.0');
d('GuestOperationsFault', 'VimFault', [], '5.0');
d('OperationDisabledByGuest', 'GuestOperationsFault', [], '5.0');
d('HostIncompatibleForRecordReplay', 'VimFault', ['hostName:string?@4.0', 'reason:string?@4.0'], '4.0');
d('ConflictingDatastoreFound', 'RuntimeFault', ['name:string@5.1', 'url:string@5.1'], '5.1');
d('SSPIChallenge', 'VimFault', ['base64Token:string']);
d('MigrationFault', 'VimFault', []);
d('CannotMoveVmWithDeltaDisk', 'MigrationFault', ['device:string@5.0'], '5.0');
d('CannotMoveVmWithNativeDeltaDisk', 'MigrationFault', [], '5.0');

// --- Managed object properties (govmomi vim25/mo/mo.go) not already defined above ---
d('ProfilePropertyPath', 'DynamicData', [
  'profilePath:string@4.0', 'policyId:string?@4.0', 'parameterId:string?@5.1', 'policyOptionId:string?@6.7',
], '4.0');
d('AnswerFileStatusError', 'DynamicData', [
  'userInputPath:ProfilePropertyPath@5.0', 'errMsg:LocalizableMessage@5.0',
], '5.0');
d('AnswerFileStatusResult', 'DynamicData', [
  'checkedTime:dateTime@5.0', 'host:ManagedObjectReference@5.0', 'status:string@5.0',
  'error:AnswerFileStatusError[]?@5.0',
], '5.0');
d('ApplyHostProfileConfigurationResult', 'DynamicData', [
  'startTime:dateTime@6.5', 'completeTime:dateTime@6.5', 'host:ManagedObjectReference@6.5', 'status:string@6.5',
  'errors:LocalizedMethodFault[]?@6.5',
], '6.5');
d('HostNasVolumeSpec', 'DynamicData', [
  'remoteHost:string', 'remotePath:string', 'localPath:string', 'accessMode:string', 'type:string?',
  'userName:string?', 'password:string?', 'remoteHostNames:string[]?@6.0', 'securityType:string?@6.0',
  'vmknicToBind:string?@8.0.1.0', 'vmknicBound:boolean?@8.0.1.0', 'connections:int?@8.0.1.0',
]);
d('HostNasVolumeConfig', 'DynamicData', ['changeOperation:string?@4.0', 'spec:HostNasVolumeSpec?@4.0'], '4.0');
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
d('DistributedVirtualSwitchHostMemberBacking', 'DynamicData', [], '4.0');
d('HostProxySwitchSpec', 'DynamicData', ['backing:DistributedVirtualSwitchHostMemberBacking?@4.0'], '4.0');
d('HostProxySwitchConfig', 'DynamicData', [
  'changeOperation:string?@4.0', 'uuid:string@4.0', 'spec:HostProxySwitchSpec?@4.0',
], '4.0');
d('HostPortGroupSpec', 'DynamicData', [
  'name:string', 'vlanId:int', 'vswitchName:string', 'policy:HostNetworkPolicy',
]);
d('HostPortGroupConfig', 'DynamicData', ['changeOperation:string?', 'spec:HostPortGroupSpec?']);
d('HostIpConfigIpV6Address', 'DynamicData', [
  'ipAddress:string@4.0', 'prefixLength:int@4.0', 'origin:string?@4.0', 'dadState:string?@4.0',
  'lifetime:dateTime?@4.0', 'operation:string?@4.0',
], '4.0');
d('HostIpConfigIpV6AddressConfiguration', 'DynamicData', [
  'ipV6Address:HostIpConfigIpV6Address[]?@4.0', 'autoConfigurationEnabled:boolean?@4.0',
  'dhcpV6Enabled:boolean?@4.0',
], '4.0');
d('HostIpConfig', 'DynamicData', [
  'dhcp:boolean', 'ipAddress:string?', 'subnetMask:string?', 'ipV6Config:HostIpConfigIpV6AddressConfiguration?@4.0',
]);
d('PhysicalNicLinkInfo', 'DynamicData', ['speedMb:int', 'duplex:boolean']);
d('PhysicalNicSpec', 'DynamicData', [
  'ip:HostIpConfig?', 'linkSpeed:PhysicalNicLinkInfo?', 'enableEnhancedNetworkingStack:boolean?@6.7',
  'ensInterruptEnabled:boolean?@7.0.0.0',
]);
d('PhysicalNicConfig', 'DynamicData', ['device:string', 'spec:PhysicalNicSpec']);
d('HostVirtualNicOpaqueNetworkSpec', 'DynamicData', [
  'opaqueNetworkId:string@6.0', 'opaqueNetworkType:string@6.0',
], '6.0');
d('HostIpRouteConfig', 'DynamicData', [
  'defaultGateway:string?', 'gatewayDevice:string?', 'ipV6DefaultGateway:string?@4.0',
  'ipV6GatewayDevice:string?@4.0',
]);
d('HostVirtualNicIpRouteSpec', 'DynamicData', ['ipRouteConfig:HostIpRouteConfig?@6.5'], '6.5');
d('HostVirtualNicSpec', 'DynamicData', [
  'ip:HostIpConfig?', 'mac:string?', 'distributedVirtualPort:DistributedVirtualSwitchPortConnection?@4.0',
  'portgroup:string?@4.0', 'mtu:int?@4.0', 'tsoEnabled:boolean?@4.0', 'netStackInstanceKey:string?@5.5',
  'opaqueNetwork:HostVirtualNicOpaqueNetworkSpec?@6.0', 'externalId:string?@6.0', 'pinnedPnic:string?@6.0',
  'ipRouteSpec:HostVirtualNicIpRouteSpec?@6.5', 'systemOwned:boolean?@7.0.0.0', 'dpuId:string?@8.0.0.1',
]);
d('HostVirtualNicConfig', 'DynamicData', [
  'changeOperation:string?', 'device:string?', 'portgroup:string', 'spec:HostVirtualNicSpec?',
]);
d('HostDnsConfig', 'DynamicData', [
  'dhcp:boolean', 'virtualNicDevice:string?', 'ipv6VirtualNicDevice:string?@6.7', 'hostName:string',
  'domainName:string', 'address:string[]?', 'searchDomain:string[]?',
]);
d('HostIpRouteEntry', 'DynamicData', [
  'network:string@4.0', 'prefixLength:int@4.0', 'gateway:string@4.0', 'deviceName:string?@4.1',
], '4.0');
d('HostIpRouteOp', 'DynamicData', ['changeOperation:string@4.0', 'route:HostIpRouteEntry@4.0'], '4.0');
d('HostIpRouteTableConfig', 'DynamicData', ['ipRoute:HostIpRouteOp[]?@4.0', 'ipv6Route:HostIpRouteOp[]?@4.0'], '4.0');
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
  'key:string?@5.5', 'name:string?@5.5', 'dnsConfig:HostDnsConfig?@5.5', 'ipRouteConfig:HostIpRouteConfig?@5.5',
  'requestedMaxNumberOfConnections:int?@5.5', 'congestionControlAlgorithm:string?@5.5', 'ipV6Enabled:boolean?@5.5',
  'routeTableConfig:HostIpRouteTableConfig?@5.5', 'owner:string?@9.0.0.0',
], '5.5');
d('HostNetworkConfigNetStackSpec', 'DynamicData', [
  'netStackInstance:HostNetStackInstance@5.5', 'operation:string?@5.5',
], '5.5');
d('HostNetworkConfig', 'DynamicData', [
  'vswitch:HostVirtualSwitchConfig[]?', 'proxySwitch:HostProxySwitchConfig[]?@4.0',
  'portgroup:HostPortGroupConfig[]?', 'pnic:PhysicalNicConfig[]?', 'vnic:HostVirtualNicConfig[]?',
  'consoleVnic:HostVirtualNicConfig[]?', 'dnsConfig:HostDnsConfig?', 'ipRouteConfig:HostIpRouteConfig?',
  'consoleIpRouteConfig:HostIpRouteConfig?', 'routeTableConfig:HostIpRouteTableConfig?@4.0',
  'dhcp:HostDhcpServiceConfig[]?', 'nat:HostNatServiceConfig[]?', 'ipV6Enabled:boolean?@4.0',
  'netStackSpec:HostNetworkConfigNetStackSpec[]?@5.5', 'migrationStatus:string?@7.0.2.0',
]);
d('HostVirtualNicConnection', 'DynamicData', [
  'portgroup:string?@4.0', 'dvPort:DistributedVirtualSwitchPortConnection?@4.0',
  'opNetwork:HostVirtualNicOpaqueNetworkSpec?@6.7',
], '4.0');
d('HostVirtualNicManagerNicTypeSelection', 'DynamicData', [
  'vnic:HostVirtualNicConnection@4.0', 'nicType:string[]?@4.0',
], '4.0');
d('HostServiceConfig', 'DynamicData', ['serviceId:string@4.0', 'startupPolicy:string@4.0'], '4.0');
d('HostFirewallRulesetIpNetwork', 'DynamicData', ['network:string@5.0', 'prefixLength:int@5.0'], '5.0');
d('HostFirewallRulesetIpList', 'DynamicData', [
  'ipAddress:string[]?@5.0', 'ipNetwork:HostFirewallRulesetIpNetwork[]?@5.0', 'allIp:boolean@5.0',
], '5.0');
d('HostFirewallConfigRuleSetConfig', 'DynamicData', [
  'rulesetId:string@4.0', 'enabled:boolean@4.0', 'allowedHosts:HostFirewallRulesetIpList?@5.0',
], '4.0');
d('HostFirewallDefaultPolicy', 'DynamicData', ['incomingBlocked:boolean?', 'outgoingBlocked:boolean?']);
d('HostFirewallConfig', 'DynamicData', [
  'rule:HostFirewallConfigRuleSetConfig[]?@4.0', 'defaultBlockingPolicy:HostFirewallDefaultPolicy@4.0',
], '4.0');
d('HostNtpConfig', 'DynamicData', ['server:string[]?', 'configFile:string[]?@6.0']);
d('HostPtpConfigPtpPort', 'DynamicData', [
  'index:int', 'deviceType:string?', 'device:string?', 'ipConfig:HostIpConfig?',
], '7.0.3.0');
d('HostPtpConfig', 'DynamicData', ['domain:int?', 'port:HostPtpConfigPtpPort[]?'], '7.0.3.0');
d('HostDateTimeConfig', 'DynamicData', [
  'timeZone:string?', 'ntpConfig:HostNtpConfig?', 'ptpConfig:HostPtpConfig?@7.0.3.0', 'protocol:string?@7.0.3.0',
  'enabled:boolean?@7.0.3.0', 'disableEvents:boolean?@7.0.3.0', 'disableFallback:boolean?@7.0.3.0',
  'resetToFactoryDefaults:boolean?@7.0.3.0',
]);
d('LicenseSource', 'DynamicData', []);
d('HostLicenseSpec', 'DynamicData', [
  'source:LicenseSource?@4.0', 'editionKey:string?@4.0', 'disabledFeatureKey:string[]?@4.0',
  'enabledFeatureKey:string[]?@4.0',
], '4.0');
d('HostSecuritySpec', 'DynamicData', [
  'adminPassword:string?@4.0', 'removePermission:Permission[]?@4.1', 'addPermission:Permission[]?@4.1',
], '4.0');
d('HostAccountSpec', 'DynamicData', ['id:string', 'password:string?', 'description:string?']);
d('HostMemorySpec', 'DynamicData', ['serviceConsoleReservation:long?@4.0'], '4.0');
d('HostActiveDirectorySpec', 'DynamicData', [
  'domainName:string?@4.1', 'userName:string?@4.1', 'password:string?@4.1', 'camServer:string?@5.0',
  'thumbprint:string?@5.0', 'certificate:string?@8.0.3.0', 'smartCardAuthenticationEnabled:boolean?@6.0',
  'smartCardTrustAnchors:string[]?@6.0',
], '4.1');
d('HostActiveDirectory', 'DynamicData', ['changeOperation:string@4.1', 'spec:HostActiveDirectorySpec?@4.1'], '4.1');
d('HostConfigSpec', 'DynamicData', [
  'nasDatastore:HostNasVolumeConfig[]?@4.0', 'network:HostNetworkConfig?@4.0',
  'nicTypeSelection:HostVirtualNicManagerNicTypeSelection[]?@4.0', 'service:HostServiceConfig[]?@4.0',
  'firewall:HostFirewallConfig?@4.0', 'option:OptionValue[]?@4.0', 'datastorePrincipal:string?@4.0',
  'datastorePrincipalPasswd:string?@4.0', 'datetime:HostDateTimeConfig?@4.0', 'license:HostLicenseSpec?@4.0',
  'security:HostSecuritySpec?@4.0', 'userAccount:HostAccountSpec[]?@4.0', 'usergroupAccount:HostAccountSpec[]?@4.0',
  'memory:HostMemorySpec?@4.0', 'activeDirectory:HostActiveDirectory[]?@4.1', 'genericConfig:KeyAnyValue[]?@5.0',
], '4.0');
d('ProfileDeferredPolicyOptionParameter', 'DynamicData', [
  'inputPath:ProfilePropertyPath@4.0', 'parameter:KeyAnyValue[]?@4.0',
], '4.0');
d('ProfileExecuteError', 'DynamicData', ['path:ProfilePropertyPath?@4.0', 'message:LocalizableMessage@4.0'], '4.0');
d('ProfileExecuteResult', 'DynamicData', [
  'status:string@4.0', 'configSpec:HostConfigSpec?@4.0', 'inapplicablePath:string[]?@4.0',
  'requireInput:ProfileDeferredPolicyOptionParameter[]?@4.0', 'error:ProfileExecuteError[]?@4.0',
], '4.0');
d('ApplyHostProfileConfigurationSpec', 'ProfileExecuteResult', [
  'host:ManagedObjectReference@6.5', 'taskListRequirement:string[]?@6.5',
  'taskDescription:LocalizableMessage[]?@6.5', 'rebootStateless:boolean?@6.5', 'rebootHost:boolean?@6.5',
  'faultData:LocalizedMethodFault?@6.5',
], '6.5');
d('EVCMode', 'ElementDescription', [
  'guaranteedCPUFeatures:HostCpuIdInfo[]?@4.1', 'featureMask:HostFeatureMask[]?@5.1',
  'featureRequirement:VirtualMachineFeatureRequirement[]?@5.1', 'vendor:string@4.0', 'track:string[]@4.1',
  'vendorTier:int@4.0',
], '4.0');
d('FeatureEVCMode', 'ElementDescription', [
  'mask:HostFeatureMask[]?', 'requirement:VirtualMachineFeatureRequirement[]?',
], '7.0.1.0');
d('Capability', 'DynamicData', [
  'provisioningSupported:boolean', 'multiHostSupported:boolean', 'userShellAccessSupported:boolean',
  'supportedEVCMode:EVCMode[]?@4.0', 'supportedEVCGraphicsMode:FeatureEVCMode[]?@7.0.1.0',
  'networkBackupAndRestoreSupported:boolean?@5.1', 'ftDrsWithoutEvcSupported:boolean?@6.7',
  'hciWorkflowSupported:boolean?@6.7.1', 'computePolicyVersion:int?@7.0.0.0',
  'clusterPlacementSupported:boolean?@7.0.0.0', 'lifecycleManagementSupported:boolean?@7.0.0.0',
  'hostSeedingSupported:boolean?@7.0.2.0', 'scalableSharesSupported:boolean?@7.0.0.0',
  'hadcsSupported:boolean?@7.0.1.1', 'configMgmtSupported:boolean?@7.0.3.1',
]);
d('ClusterAction', 'DynamicData', ['type:string', 'target:ManagedObjectReference?']);
d('ClusterActionHistory', 'DynamicData', ['action:ClusterAction', 'time:dateTime']);
d('ClusterComputeResourceDVSSettingDVPortgroupToServiceMapping', 'DynamicData', [
  'dvPortgroup:ManagedObjectReference@6.7.1', 'service:string@6.7.1',
], '6.7.1');
d('ClusterComputeResourceDVSSetting', 'DynamicData', [
  'dvSwitch:ManagedObjectReference@6.7.1', 'pnicDevices:string[]?@6.7.1',
  'dvPortgroupSetting:ClusterComputeResourceDVSSettingDVPortgroupToServiceMapping[]?@6.7.1',
], '6.7.1');
d('ClusterComputeResourceHostConfigurationProfile', 'DynamicData', [
  'dateTimeConfig:HostDateTimeConfig?@6.7.1', 'lockdownMode:HostLockdownMode?@6.7.1',
], '6.7.1');
d('ClusterComputeResourceHCIConfigInfo', 'DynamicData', [
  'workflowState:string@6.7.1', 'dvsSetting:ClusterComputeResourceDVSSetting[]?@6.7.1',
  'configuredHosts:ManagedObjectReference[]?@6.7.1',
  'hostConfigProfile:ClusterComputeResourceHostConfigurationProfile?@6.7.1',
], '6.7.1');
d('ClusterDasAdmissionControlPolicy', 'DynamicData', [
  'resourceReductionToToleratePercent:int?@6.5', 'pMemAdmissionControlEnabled:boolean?@7.0.2.0',
], '4.0');
d('ClusterVmToolsMonitoringSettings', 'DynamicData', [
  'enabled:boolean?@4.0', 'vmMonitoring:string?@4.1', 'clusterSettings:boolean?@4.0', 'failureInterval:int?@4.0',
  'minUpTime:int?@4.0', 'maxFailures:int?@4.0', 'maxFailureWindow:int?@4.0',
], '4.0');
d('ClusterVmComponentProtectionSettings', 'DynamicData', [
  'vmStorageProtectionForAPD:string?@6.0', 'enableAPDTimeoutForHosts:boolean?@6.0',
  'vmTerminateDelayForAPDSec:int?@6.0', 'vmReactionOnAPDCleared:string?@6.0',
  'vmStorageProtectionForPDL:string?@6.0',
], '6.0');
d('ClusterDasVmSettings', 'DynamicData', [
  'restartPriority:string?', 'restartPriorityTimeout:int?@6.5', 'isolationResponse:string?',
  'vmToolsMonitoringSettings:ClusterVmToolsMonitoringSettings?@4.0',
  'vmComponentProtectionSettings:ClusterVmComponentProtectionSettings?@6.0',
]);
d('ClusterDasConfigInfo', 'DynamicData', [
  'enabled:boolean?', 'vmMonitoring:string?@4.0', 'hostMonitoring:string?@4.0', 'vmComponentProtecting:string?@6.0',
  'failoverLevel:int?', 'admissionControlPolicy:ClusterDasAdmissionControlPolicy?@4.0',
  'admissionControlEnabled:boolean?', 'defaultVmSettings:ClusterDasVmSettings?', 'option:OptionValue[]?',
  'heartbeatDatastore:ManagedObjectReference[]?@5.0', 'hBDatastoreCandidatePolicy:string?@5.0',
]);
d('ClusterDasVmConfigInfo', 'DynamicData', [
  'key:ManagedObjectReference', 'restartPriority:DasVmPriority?', 'powerOffOnIsolation:boolean?',
  'dasSettings:ClusterDasVmSettings?',
]);
d('ClusterDrsConfigInfo', 'DynamicData', [
  'enabled:boolean?', 'enableVmBehaviorOverrides:boolean?@4.0', 'defaultVmBehavior:DrsBehavior?', 'vmotionRate:int?',
  'scaleDescendantsShares:string?@7.0.0.0', 'option:OptionValue[]?',
]);
d('ClusterDrsVmConfigInfo', 'DynamicData', [
  'key:ManagedObjectReference', 'enabled:boolean?', 'behavior:DrsBehavior?',
]);
d('ClusterRuleInfo', 'DynamicData', [
  'key:int?', 'status:ManagedEntityStatus?', 'enabled:boolean?', 'name:string?', 'mandatory:boolean?@4.1',
  'userCreated:boolean?@4.1', 'inCompliance:boolean?@4.1', 'ruleUuid:string?@6.0',
]);
d('ClusterConfigInfo', 'DynamicData', [
  'dasConfig:ClusterDasConfigInfo', 'dasVmConfig:ClusterDasVmConfigInfo[]?', 'drsConfig:ClusterDrsConfigInfo',
  'drsVmConfig:ClusterDrsVmConfigInfo[]?', 'rule:ClusterRuleInfo[]?',
]);
d('ClusterDrsFaultsFaultsByVm', 'DynamicData', [
  'vm:ManagedObjectReference?@4.0', 'fault:LocalizedMethodFault[]@4.0',
], '4.0');
d('ClusterDrsFaults', 'DynamicData', ['reason:string@4.0', 'faultsByVm:ClusterDrsFaultsFaultsByVm[]@4.0'], '4.0');
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
  'warningText:string?@6.0', 'warningDetails:LocalizableMessage?@6.0', 'prerequisite:string[]?',
  'action:ClusterAction[]?', 'target:ManagedObjectReference?',
]);
d('ComplianceFailureComplianceFailureValues', 'DynamicData', [
  'comparisonIdentifier:string@6.5', 'profileInstance:string?@6.5', 'hostValue:anyType?@6.5',
  'profileValue:anyType?@6.5',
], '6.5');
d('ComplianceFailure', 'DynamicData', [
  'failureType:string@4.0', 'message:LocalizableMessage@4.0', 'expressionName:string?@4.0',
  'failureValues:ComplianceFailureComplianceFailureValues[]?@6.5',
], '4.0');
d('ComplianceResult', 'DynamicData', [
  'profile:ManagedObjectReference?@4.0', 'complianceStatus:string@4.0', 'entity:ManagedObjectReference?@4.0',
  'checkTime:dateTime?@4.0', 'failure:ComplianceFailure[]?@4.0',
], '4.0');
d('EventDescriptionEventDetail', 'DynamicData', [
  'key:string', 'description:string?@4.0', 'category:string', 'formatOnDatacenter:string',
  'formatOnComputeResource:string', 'formatOnHost:string', 'formatOnVm:string', 'fullFormat:string',
  'longDescription:string?@4.1',
]);
d('EnumDescription', 'DynamicData', ['key:string@4.0', 'tags:ElementDescription[]@4.0'], '4.0');
d('EventDescription', 'DynamicData', [
  'category:ElementDescription[]', 'eventInfo:EventDescriptionEventDetail[]',
  'enumeratedTypes:EnumDescription[]?@4.0',
]);
d('FileQuery', 'DynamicData', []);
d('HostQualifiedName', 'DynamicData', ['value:string', 'type:string'], '7.0.3.0');
d('HostSystemInfo', 'DynamicData', [
  'vendor:string', 'model:string', 'family:string?@9.0.0.0', 'uuid:string',
  'otherIdentifyingInfo:HostSystemIdentificationInfo[]?', 'serialNumber:string?@6.7',
  'qualifiedName:HostQualifiedName[]?@7.0.3.0', 'vvolHostNQN:HostQualifiedName?@8.0.0.0',
  'vvolHostId:string?@8.0.0.0', 'bootCommandLine:string?@8.0.3.0',
]);
d('HostCpuPowerManagementInfo', 'DynamicData', ['currentPolicy:string?@4.0', 'hardwareSupport:string?@4.0'], '4.0');
d('HostCpuInfo', 'DynamicData', ['numCpuPackages:short', 'numCpuCores:short', 'numCpuThreads:short', 'hz:long']);
d('HostCpuPackage', 'DynamicData', [
  'index:short', 'vendor:string', 'hz:long', 'busHz:long', 'description:string', 'threadId:short[]',
  'cpuFeature:HostCpuIdInfo[]?', 'family:short?@8.0.3.0', 'model:short?@8.0.3.0', 'stepping:short?@8.0.3.0',
]);
d('HostNumaNode', 'DynamicData', [
  'typeId:byte', 'cpuID:short[]', 'memorySize:long?@8.0.0.0', 'memoryRangeBegin:long', 'memoryRangeLength:long',
  'pciId:string[]?@6.7',
]);
d('HostNumaInfo', 'DynamicData', ['type:string', 'numNodes:int', 'numaNode:HostNumaNode[]?']);
d('HostPciDevice', 'DynamicData', [
  'id:string', 'classId:short', 'bus:byte', 'slot:byte', 'physicalSlot:int?@9.0.0.0',
  'slotDescription:string?@9.0.0.0', 'function:byte', 'vendorId:short', 'subVendorId:short', 'vendorName:string',
  'deviceId:short', 'subDeviceId:short', 'parentBridge:string?@4.0', 'deviceName:string',
  'deviceClassName:string?@8.0.3.0',
]);
d('HostDvxClass', 'DynamicData', [
  'deviceClass:string', 'checkpointSupported:boolean', 'swDMATracingSupported:boolean', 'sriovNic:boolean',
], '8.0.0.1');
d('HostBIOSInfo', 'DynamicData', [
  'biosVersion:string?', 'releaseDate:dateTime?', 'vendor:string?@6.5', 'majorRelease:int?@6.5',
  'minorRelease:int?@6.5', 'firmwareMajorRelease:int?@6.5', 'firmwareMinorRelease:int?@6.5',
  'firmwareType:string?@8.0.2.0',
]);
d('HostReliableMemoryInfo', 'DynamicData', ['memorySize:long@5.5'], '5.5');
d('HostPersistentMemoryInfo', 'DynamicData', ['capacityInMB:long?@6.7', 'volumeUUID:string?@6.7'], '6.7');
d('HostSgxRegistrationInfo', 'DynamicData', [
  'status:string?', 'biosError:int?', 'registrationUrl:string?', 'type:string?', 'ppid:string?',
  'lastRegisteredTime:dateTime?',
], '8.0.0.1');
d('HostSgxInfo', 'DynamicData', [
  'sgxState:string', 'totalEpcMemory:long', 'flcMode:string', 'lePubKeyHash:string?',
  'registrationInfo:HostSgxRegistrationInfo?@8.0.0.1',
], '7.0.0.0');
d('HostSevInfo', 'DynamicData', [
  'sevState:string', 'maxSevEsGuests:long', 'snpState:string?@9.0.0.0', 'snpSupported:boolean?@9.0.0.0',
], '7.0.1.0');
d('HostMemoryTierInfo', 'DynamicData', [
  'name:string', 'type:string', 'flags:string[]?', 'internalFlags:string[]?@8.0.3.0', 'size:long',
], '7.0.3.0');
d('HostTdxInfo', 'DynamicData', ['tdxState:string', 'numTDXPrivateKeyIDs:int'], '9.0.0.0');
d('HostHardwareInfo', 'DynamicData', [
  'systemInfo:HostSystemInfo', 'cpuPowerManagementInfo:HostCpuPowerManagementInfo?@4.0', 'cpuInfo:HostCpuInfo',
  'cpuPkg:HostCpuPackage[]', 'memorySize:long', 'numaInfo:HostNumaInfo?', 'smcPresent:boolean@5.0',
  'pciDevice:HostPciDevice[]?', 'dvxClasses:HostDvxClass[]?@8.0.0.1', 'cpuFeature:HostCpuIdInfo[]?',
  'biosInfo:HostBIOSInfo?', 'reliableMemoryInfo:HostReliableMemoryInfo?@5.5',
  'persistentMemoryInfo:HostPersistentMemoryInfo?@6.7', 'sgxInfo:HostSgxInfo?@7.0.0.0',
  'sevInfo:HostSevInfo?@7.0.1.0', 'memoryTieringType:string?@7.0.3.0',
  'memoryTierInfo:HostMemoryTierInfo[]?@7.0.3.0', 'tdxInfo:HostTdxInfo?@9.0.0.0',
]);
d('HostSystemComplianceCheckState', 'DynamicData', ['state:string@6.7', 'checkTime:dateTime@6.7'], '6.7');
d('HostSystemRemediationState', 'DynamicData', ['state:string@6.7', 'operationTime:dateTime@6.7'], '6.7');
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
  'rollupType:PerfSummaryType', 'statsType:PerfStatsType', 'level:int?', 'perDeviceLevel:int?@4.1',
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
  'enabled:boolean@4.1', 'congestionThresholdMode:string@5.1', 'congestionThreshold:int@4.1',
  'percentOfPeakThroughput:int?@5.1', 'statsCollectionEnabled:boolean@5.0', 'reservationEnabled:boolean@6.0',
  'statsAggregationDisabled:boolean?@5.0', 'reservableIopsThreshold:int?@6.0',
], '4.1');
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

// --- added by san
// vixdisk's own disk lease answers (docs/san.md): the LUN (NAA id as HostScsiDiskPartition.diskName
// writes it) and where each range of the leased disk lies on it.
d('VixdiskSanDiskLease', 'DynamicData', ['lease:string', 'diskName:string', 'lunSizeBytes:long', 'capacityInBytes:long', 'writable:boolean']);
d('VixdiskSanLunExtent', 'DynamicData', ['diskOffset:long', 'lunOffset:long', 'length:long']);

// --- added by remote-cli
// Devices and backings a default VM on vcsim (and on ESXi) reports in config.hardware.device,
// which a client listing disks must be able to read past (govmomi vim25/types).
d('VirtualPointingDeviceDeviceBackingInfo', 'VirtualDeviceDeviceBackingInfo', ['hostPointingDevice:string']);
d('VirtualCdromPassthroughBackingInfo', 'VirtualDeviceDeviceBackingInfo', ['exclusive:boolean']);
d('VirtualFloppyDeviceBackingInfo', 'VirtualDeviceDeviceBackingInfo', []);
d('VirtualFloppyImageBackingInfo', 'VirtualDeviceFileBackingInfo', []);
d('VirtualFloppyRemoteDeviceBackingInfo', 'VirtualDeviceRemoteDeviceBackingInfo', []);
d('VirtualVmxnet2', 'VirtualVmxnet', []);
d('VirtualSoundCard', 'VirtualDevice', []);
