import { parseField, vimTypes, type DataObjectType, type FieldDef } from './vim-types.js';

/**
 * The vim25 managed object types: each one's base and its properties with their declared vim
 * types, in the notation of vim-types.ts (`name:Type[]?`). The property collector uses it to
 * check a `pathSet` entry and to type `DynamicProperty.val`: `config.hardware.device` on a
 * VirtualMachine is declared `VirtualDevice[]`, so the value goes out as `ArrayOfVirtualDevice`.
 * Properties follow govmomi's vim25/mo/mo.go (read, not copied), inherited ones included through
 * the base; NfcService, which no public WSDL has, has no properties.
 */

export interface ManagedType {
  name: string;
  base?: string;
  /** Own properties, as declared. */
  ownProperties: FieldDef[];
  /** The base's properties first, then own. */
  properties: FieldDef[];
}

export class ManagedTypeRegistry {
  private readonly types = new Map<string, ManagedType>();
  /** Data object subtypes by base name, built on first use (the data registry is complete by then). */
  private subtypes: Map<string, string[]> | undefined;

  define(name: string, base: string | undefined, properties: string[]): void {
    if (this.types.has(name)) throw new Error(`managed type ${name} defined twice`);
    const baseType = base === undefined ? undefined : this.types.get(base);
    if (base !== undefined && !baseType) throw new Error(`${name}: base ${base} is not defined`);
    const ownProperties = properties.map(parseField);
    const type: ManagedType = { name, ownProperties, properties: [...(baseType?.properties ?? []), ...ownProperties] };
    if (base !== undefined) type.base = base;
    this.types.set(name, type);
  }

  get(name: string): ManagedType | undefined {
    return this.types.get(name);
  }

  names(): string[] {
    return [...this.types.keys()];
  }

  /** Whether managed type `name` is `ancestor` or derives from it (a ContainerView is a View). */
  isA(name: string, ancestor: string): boolean {
    for (let t = this.types.get(name); t; t = t.base === undefined ? undefined : this.types.get(t.base)) {
      if (t.name === ancestor) return true;
    }
    return false;
  }

  /** Every property of `name`, inherited ones first; undefined for an unknown type. */
  propertyNames(name: string): string[] | undefined {
    return this.types.get(name)?.properties.map((p) => p.name);
  }

  /**
   * The declared type of property path `path` on managed type `managedType`: the first segment is
   * a property, each further one a field of the data object reached so far (of its declared type,
   * or else of one of its subtypes: `info.vmfs` on a Datastore is a VmfsDatastoreInfo field). The
   * result is the FieldDef of the last segment. Undefined when any segment names nothing, or a
   * path goes on past an array or a primitive, as the property collector then answers
   * InvalidProperty.
   */
  propertyType(managedType: string, path: string): FieldDef | undefined {
    const segments = path.split('.');
    const first = this.types.get(managedType)?.properties.find((p) => p.name === segments[0]);
    let field = first;
    for (const segment of segments.slice(1)) {
      if (!field || field.array) return undefined;
      field = this.dataField(field.type, segment);
    }
    if (!field || segments.some((s) => s === '')) return undefined;
    return field;
  }

  private dataField(typeName: string, name: string): FieldDef | undefined {
    const declared = vimTypes.dataObjectType(typeName);
    if (!declared) return undefined;
    const own = declared.fields.find((f) => f.name === name);
    if (own) return own;
    for (const sub of this.subtypesOf(typeName)) {
      const found = vimTypes.dataObjectType(sub)!.fields.find((f) => f.name === name);
      if (found) return found;
    }
    return undefined;
  }

  /** All data object types deriving from `typeName` (not itself), in registration order. */
  private subtypesOf(typeName: string): string[] {
    if (!this.subtypes) {
      this.subtypes = new Map();
      for (const name of vimTypes.names()) {
        const type = vimTypes.get(name);
        if (type?.kind !== 'data') continue;
        for (let base = (type as DataObjectType).base; base !== undefined; base = vimTypes.dataObjectType(base)?.base) {
          const list = this.subtypes.get(base) ?? [];
          list.push(name);
          this.subtypes.set(base, list);
        }
      }
    }
    return this.subtypes.get(typeName) ?? [];
  }
}

export const managedTypes = new ManagedTypeRegistry();
const m = (name: string, base: string | undefined, properties: string[]): void => managedTypes.define(name, base, properties);

m('ServiceInstance', undefined, ['serverClock:dateTime', 'capability:Capability', 'content:ServiceContent']);
m('ExtensibleManagedObject', undefined, ['value:CustomFieldValue[]?', 'availableField:CustomFieldDef[]?']);
m('ManagedEntity', 'ExtensibleManagedObject', [
  'parent:ManagedObjectReference?', 'customValue:CustomFieldValue[]?', 'overallStatus:ManagedEntityStatus',
  'configStatus:ManagedEntityStatus', 'configIssue:Event[]?', 'effectiveRole:int[]?', 'permission:Permission[]?',
  'name:string', 'disabledMethod:string[]?', 'recentTask:ManagedObjectReference[]?',
  'declaredAlarmState:AlarmState[]?', 'triggeredAlarmState:AlarmState[]?', 'alarmActionsEnabled:boolean?',
  'tag:Tag[]?',
]);
m('Folder', 'ManagedEntity', ['childType:string[]?', 'childEntity:ManagedObjectReference[]?', 'namespace:string?']);
m('Datacenter', 'ManagedEntity', [
  'vmFolder:ManagedObjectReference', 'hostFolder:ManagedObjectReference', 'datastoreFolder:ManagedObjectReference',
  'networkFolder:ManagedObjectReference', 'datastore:ManagedObjectReference[]?', 'network:ManagedObjectReference[]?',
  'configuration:DatacenterConfigInfo',
]);
m('ComputeResource', 'ManagedEntity', [
  'resourcePool:ManagedObjectReference?', 'host:ManagedObjectReference[]?', 'datastore:ManagedObjectReference[]?',
  'network:ManagedObjectReference[]?', 'summary:ComputeResourceSummary',
  'environmentBrowser:ManagedObjectReference?', 'configurationEx:ComputeResourceConfigInfo',
  'lifecycleManaged:boolean?',
]);
m('ClusterComputeResource', 'ComputeResource', [
  'configuration:ClusterConfigInfo', 'recommendation:ClusterRecommendation[]?',
  'drsRecommendation:ClusterDrsRecommendation[]?', 'hciConfig:ClusterComputeResourceHCIConfigInfo?',
  'migrationHistory:ClusterDrsMigration[]?', 'actionHistory:ClusterActionHistory[]?', 'drsFault:ClusterDrsFaults[]?',
]);
m('HostSystem', 'ManagedEntity', [
  'runtime:HostRuntimeInfo', 'summary:HostListSummary', 'hardware:HostHardwareInfo?', 'capability:HostCapability?',
  'licensableResource:HostLicensableResourceInfo', 'remediationState:HostSystemRemediationState?',
  'precheckRemediationResult:ApplyHostProfileConfigurationSpec?',
  'remediationResult:ApplyHostProfileConfigurationResult?', 'complianceCheckState:HostSystemComplianceCheckState?',
  'complianceCheckResult:ComplianceResult?', 'configManager:HostConfigManager', 'config:HostConfigInfo?',
  'vm:ManagedObjectReference[]?', 'datastore:ManagedObjectReference[]?', 'network:ManagedObjectReference[]?',
  'datastoreBrowser:ManagedObjectReference', 'systemResources:HostSystemResourceInfo?',
  'answerFileValidationState:AnswerFileStatusResult?', 'answerFileValidationResult:AnswerFileStatusResult?',
]);
m('Datastore', 'ManagedEntity', [
  'info:DatastoreInfo', 'summary:DatastoreSummary', 'host:DatastoreHostMount[]?', 'vm:ManagedObjectReference[]?',
  'browser:ManagedObjectReference', 'capability:DatastoreCapability', 'iormConfiguration:StorageIORMInfo?',
]);
m('VirtualMachine', 'ManagedEntity', [
  'capability:VirtualMachineCapability', 'config:VirtualMachineConfigInfo?', 'layout:VirtualMachineFileLayout?',
  'layoutEx:VirtualMachineFileLayoutEx?', 'storage:VirtualMachineStorageInfo?',
  'environmentBrowser:ManagedObjectReference', 'resourcePool:ManagedObjectReference?',
  'parentVApp:ManagedObjectReference?', 'resourceConfig:ResourceConfigSpec?', 'runtime:VirtualMachineRuntimeInfo',
  'guest:GuestInfo?', 'summary:VirtualMachineSummary', 'datastore:ManagedObjectReference[]?',
  'network:ManagedObjectReference[]?', 'snapshot:VirtualMachineSnapshotInfo?',
  'rootSnapshot:ManagedObjectReference[]?', 'guestHeartbeatStatus:ManagedEntityStatus',
]);
m('ResourcePool', 'ManagedEntity', [
  'summary:ResourcePoolSummary', 'runtime:ResourcePoolRuntimeInfo', 'owner:ManagedObjectReference',
  'resourcePool:ManagedObjectReference[]?', 'vm:ManagedObjectReference[]?', 'config:ResourceConfigSpec',
  'namespace:string?', 'childConfiguration:ResourceConfigSpec[]?',
]);
m('Network', 'ManagedEntity', [
  'summary:NetworkSummary', 'host:ManagedObjectReference[]?', 'vm:ManagedObjectReference[]?',
]);
m('Task', 'ExtensibleManagedObject', ['info:TaskInfo']);
m('VirtualMachineSnapshot', 'ExtensibleManagedObject', [
  'config:VirtualMachineConfigInfo', 'childSnapshot:ManagedObjectReference[]?', 'vm:ManagedObjectReference',
]);
m('View', undefined, []);
m('ManagedObjectView', 'View', ['view:ManagedObjectReference[]?']);
m('ContainerView', 'ManagedObjectView', ['container:ManagedObjectReference', 'type:string[]?', 'recursive:boolean']);
m('ListView', 'ManagedObjectView', []);
m('InventoryView', 'ManagedObjectView', []);
m('PropertyCollector', undefined, ['filter:ManagedObjectReference[]?']);
m('PropertyFilter', undefined, ['spec:PropertyFilterSpec', 'partialUpdates:boolean']);
m('SessionManager', undefined, [
  'sessionList:UserSession[]?', 'currentSession:UserSession?', 'message:string?', 'messageLocaleList:string[]?',
  'supportedLocaleList:string[]?', 'defaultLocale:string',
]);
m('SearchIndex', undefined, ['self:ManagedObjectReference']);
m('AuthorizationManager', undefined, [
  'privilegeList:AuthorizationPrivilege[]?', 'roleList:AuthorizationRole[]?', 'description:AuthorizationDescription',
]);
m('ViewManager', undefined, ['viewList:ManagedObjectReference[]?']);
m('TaskManager', undefined, [
  'recentTask:ManagedObjectReference[]?', 'description:TaskDescription', 'maxCollector:int',
]);
m('VirtualDiskManager', undefined, ['self:ManagedObjectReference']);
m('FileManager', undefined, ['self:ManagedObjectReference']);
m('HostDatastoreBrowser', undefined, ['datastore:ManagedObjectReference[]?', 'supportedType:FileQuery[]?']);
m('EnvironmentBrowser', undefined, ['datastoreBrowser:ManagedObjectReference?']);
m('OptionManager', undefined, ['supportedOption:OptionDef[]?', 'setting:OptionValue[]?']);
m('CustomFieldsManager', undefined, ['field:CustomFieldDef[]?']);
m('EventManager', undefined, ['description:EventDescription', 'latestEvent:Event', 'maxCollector:int']);
m('PerformanceManager', undefined, [
  'description:PerformanceDescription', 'historicalInterval:PerfInterval[]?', 'perfCounter:PerfCounterInfo[]?',
]);
m('LicenseManager', undefined, [
  'source:LicenseSource', 'sourceAvailable:boolean', 'diagnostics:LicenseDiagnostics?',
  'featureInfo:LicenseFeatureInfo[]?', 'licensedEdition:string', 'licenses:LicenseManagerLicenseInfo[]?',
  'licenseAssignmentManager:ManagedObjectReference?', 'evaluation:LicenseManagerEvaluationInfo',
]);
m('UserDirectory', undefined, ['domainList:string[]?']);
m('ServiceManager', undefined, ['service:ServiceManagerServiceInfo[]?']);

// --- Internal managed types ---
// NfcService: found through RetrieveInternalContent; its methods issue tickets (reference §2.3.8).
m('NfcService', undefined, []);

/** The declared type of `path` on `managedType` (see ManagedTypeRegistry.propertyType). */
export function propertyType(managedType: string, path: string): FieldDef | undefined {
  return managedTypes.propertyType(managedType, path);
}
