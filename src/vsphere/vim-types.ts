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
  const m = /^(\w+):(\w+)(\[\])?(\?)?$/.exec(spec);
  if (!m) throw new Error(`bad field spec '${spec}'`);
  return { name: m[1]!, type: m[2]!, array: m[3] !== undefined, optional: m[4] !== undefined };
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

// --- Base and common types ---
d('DynamicData', undefined, []);
d('KeyAnyValue', 'DynamicData', ['key:string', 'value:anyType']);
d('LocalizableMessage', 'DynamicData', ['key:string', 'arg:KeyAnyValue[]?', 'message:string?']);

// --- Service content and sessions ---
d('AboutInfo', 'DynamicData', [
  'name:string', 'fullName:string', 'vendor:string', 'version:string', 'patchLevel:string?', 'build:string',
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
    'storageQueryManager', 'directPathProfileManager',
  ].map((name) => `${name}:ManagedObjectReference?`),
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
  'object:ManagedObjectReference?', 'privilegeId:string?', 'missingPrivileges:NoPermissionEntityPrivileges[]?',
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

vimTypes.enumType('VirtualMachinePowerState', ['poweredOff', 'poweredOn', 'suspended']);

// --- added by host-soap (fields in WSDL order, from govmomi vim25/types/types.go)
d('TaskReason', 'DynamicData', []);
d('TaskReasonUser', 'TaskReason', ['userName:string']);
d('TaskReasonSystem', 'TaskReason', []);
vimTypes.enumType('TaskInfoState', ['queued', 'running', 'success', 'error']);
d('TaskInfo', 'DynamicData', [
  'key:string', 'task:ManagedObjectReference', 'description:LocalizableMessage?', 'name:string?', 'descriptionId:string',
  'entity:ManagedObjectReference?', 'entityName:string?', 'locked:ManagedObjectReference[]?', 'state:TaskInfoState',
  'cancelled:boolean', 'cancelable:boolean', 'error:LocalizedMethodFault?', 'result:anyType?', 'progress:int?',
  'reason:TaskReason', 'queueTime:dateTime', 'startTime:dateTime?', 'completeTime:dateTime?', 'eventChainId:int',
  'changeTag:string?', 'parentTaskKey:string?', 'rootTaskKey:string?', 'activationId:string?',
]);
d('SessionManagerGenericServiceTicket', 'DynamicData', ['id:string', 'hostName:string?', 'sslThumbprint:string?']);
d('SessionManagerServiceRequestSpec', 'DynamicData', []);
d('SessionManagerHttpServiceRequestSpec', 'SessionManagerServiceRequestSpec', ['method:string?', 'url:string']);
d('InternalServiceInstanceContent', 'DynamicData', ['nfcService:ManagedObjectReference']);
vimTypes.enumType('ObjectUpdateKind', ['modify', 'enter', 'leave']);
vimTypes.enumType('PropertyChangeOp', ['add', 'remove', 'assign', 'indirectRemove']);
d('PropertyChange', 'DynamicData', ['name:string', 'op:PropertyChangeOp', 'val:anyType?']);
d('ObjectUpdate', 'DynamicData', [
  'kind:ObjectUpdateKind', 'obj:ManagedObjectReference', 'changeSet:PropertyChange[]?', 'missingSet:MissingProperty[]?',
]);
d('MissingObject', 'DynamicData', ['obj:ManagedObjectReference', 'fault:LocalizedMethodFault']);
d('PropertyFilterUpdate', 'DynamicData', [
  'filter:ManagedObjectReference', 'objectSet:ObjectUpdate[]?', 'missingSet:MissingObject[]?',
]);
d('UpdateSet', 'DynamicData', ['version:string', 'filterSet:PropertyFilterUpdate[]?', 'truncated:boolean?']);
d('WaitOptions', 'DynamicData', ['maxWaitSeconds:int?', 'maxObjectUpdates:int?']);
d('InvalidCollectorVersion', 'MethodFault', []);
