import { parseField, type FieldDef } from './vim-types.js';

/**
 * A vim25 method as the wire sees it: its parameters after `_this`, in WSDL order, and what
 * `returnval` holds (absent for a void method). Fields use the notation of vim-types.ts
 * (`@version` marks a parameter added by that API version). Parameters and return types follow
 * govmomi's vim25/types/types.go (`XRequestType` and `XResponse`); the internal methods, which no
 * public WSDL has, follow the reference (§2.3.8, §2.3.9) and govmomi's internal clients.
 */
export interface VimMethod {
  name: string;
  /** The managed object type `_this` names (for documentation and the host's dispatch). */
  receiver: string;
  params: FieldDef[];
  returns?: FieldDef;
  /**
   * The namespace of the request element a client writes, when it is not urn:vim25: the internal
   * AuthorizationManager methods are sent in urn:internalvim25 (govmomi does; responses stay in
   * urn:vim25). A host accepts urn:vim25 and urn:internalvim25 for every method.
   */
  namespace?: string;
  /** Further request namespaces a host accepts for this method (the NfcService calls: urn:nfc). */
  alsoAccepted?: string[];
}

export const vimMethods = new Map<string, VimMethod>();

interface MethodOptions {
  namespace?: string;
  alsoAccepted?: string[];
}

function method(receiver: string, name: string, params: string[], returns?: string, options: MethodOptions = {}): void {
  if (vimMethods.has(name)) throw new Error(`method ${name} defined twice`);
  const def: VimMethod = { name, receiver, params: params.map(parseField), ...options };
  if (returns !== undefined) def.returns = parseField(`returnval:${returns}`);
  vimMethods.set(name, def);
}

// --- Service instance and sessions ---
method('ServiceInstance', 'RetrieveServiceContent', [], 'ServiceContent');
method('ServiceInstance', 'CurrentTime', [], 'dateTime');
method('SessionManager', 'Login', ['userName:string', 'password:string', 'locale:string?'], 'UserSession');
method('SessionManager', 'Logout', []);
method('SessionManager', 'SessionIsActive', ['sessionID:string', 'userName:string'], 'boolean');
method('SessionManager', 'AcquireCloneTicket', [], 'string');
method('SessionManager', 'CloneSession', ['cloneTicket:string'], 'UserSession');
method('SessionManager', 'AcquireGenericServiceTicket', [
  'spec:SessionManagerServiceRequestSpec',
], 'SessionManagerGenericServiceTicket');
method('SessionManager', 'TerminateSession', ['sessionId:string[]']);
method('SessionManager', 'SetLocale', ['locale:string']);

// --- Property collector ---
method('PropertyCollector', 'RetrieveProperties', ['specSet:PropertyFilterSpec[]'], 'ObjectContent[]?');
method('PropertyCollector', 'RetrievePropertiesEx', [
  'specSet:PropertyFilterSpec[]', 'options:RetrieveOptions',
], 'RetrieveResult?');
method('PropertyCollector', 'ContinueRetrievePropertiesEx', ['token:string'], 'RetrieveResult');
method('PropertyCollector', 'CancelRetrievePropertiesEx', ['token:string']);
method('PropertyCollector', 'CreateFilter', [
  'spec:PropertyFilterSpec', 'partialUpdates:boolean',
], 'ManagedObjectReference');
method('PropertyCollector', 'WaitForUpdates', ['version:string?'], 'UpdateSet');
method('PropertyCollector', 'WaitForUpdatesEx', ['version:string?', 'options:WaitOptions?'], 'UpdateSet?');
method('PropertyCollector', 'CheckForUpdates', ['version:string?'], 'UpdateSet?');
method('PropertyCollector', 'CancelWaitForUpdates', []);
method('PropertyCollector', 'CreatePropertyCollector', [], 'ManagedObjectReference');
method('PropertyCollector', 'DestroyPropertyCollector', []);
method('PropertyFilter', 'DestroyPropertyFilter', []);

// --- Views and search ---
method('ViewManager', 'CreateContainerView', [
  'container:ManagedObjectReference', 'type:string[]?', 'recursive:boolean',
], 'ManagedObjectReference');
method('ViewManager', 'CreateListView', ['obj:ManagedObjectReference[]?'], 'ManagedObjectReference');
method('ViewManager', 'CreateInventoryView', [], 'ManagedObjectReference');
method('View', 'DestroyView', []);
method('SearchIndex', 'FindByUuid', [
  'datacenter:ManagedObjectReference?', 'uuid:string', 'vmSearch:boolean', 'instanceUuid:boolean?',
], 'ManagedObjectReference?');
method('SearchIndex', 'FindByInventoryPath', ['inventoryPath:string'], 'ManagedObjectReference?');
method('SearchIndex', 'FindChild', ['entity:ManagedObjectReference', 'name:string'], 'ManagedObjectReference?');
method('SearchIndex', 'FindAllByUuid', [
  'datacenter:ManagedObjectReference?', 'uuid:string', 'vmSearch:boolean', 'instanceUuid:boolean?',
], 'ManagedObjectReference[]');
method('SearchIndex', 'FindByDatastorePath', [
  'datacenter:ManagedObjectReference', 'path:string',
], 'ManagedObjectReference?');

// --- Virtual machines and snapshots (tasks) ---
method('VirtualMachine', 'CreateSnapshot_Task', [
  'name:string', 'description:string?', 'memory:boolean', 'quiesce:boolean',
], 'ManagedObjectReference');
method('VirtualMachine', 'CreateSnapshotEx_Task', [
  'name:string', 'description:string?', 'memory:boolean', 'quiesceSpec:VirtualMachineGuestQuiesceSpec?',
], 'ManagedObjectReference');
method('VirtualMachineSnapshot', 'RemoveSnapshot_Task', [
  'removeChildren:boolean', 'consolidate:boolean?',
], 'ManagedObjectReference');
method('VirtualMachine', 'RemoveAllSnapshots_Task', [
  'consolidate:boolean?', 'spec:SnapshotSelectionSpec?@8.0.3.0',
], 'ManagedObjectReference');
method('VirtualMachineSnapshot', 'RevertToSnapshot_Task', [
  'host:ManagedObjectReference?', 'suppressPowerOn:boolean?',
], 'ManagedObjectReference');
method('VirtualMachine', 'RevertToCurrentSnapshot_Task', [
  'host:ManagedObjectReference?', 'suppressPowerOn:boolean?',
], 'ManagedObjectReference');
method('VirtualMachine', 'ReconfigVM_Task', ['spec:VirtualMachineConfigSpec'], 'ManagedObjectReference');
method('VirtualMachine', 'PowerOnVM_Task', ['host:ManagedObjectReference?'], 'ManagedObjectReference');
method('VirtualMachine', 'PowerOffVM_Task', [], 'ManagedObjectReference');
method('VirtualMachine', 'QueryChangedDiskAreas', [
  'snapshot:ManagedObjectReference?', 'deviceKey:int', 'startOffset:long', 'changeId:string',
], 'DiskChangeInfo');

// --- Authorization ---
method('AuthorizationManager', 'RetrieveRolePermissions', ['roleId:int'], 'Permission[]?');
method('AuthorizationManager', 'RetrieveEntityPermissions', [
  'entity:ManagedObjectReference', 'inherited:boolean',
], 'Permission[]?');
method('AuthorizationManager', 'RetrieveAllPermissions', [], 'Permission[]?');
method('AuthorizationManager', 'HasPrivilegeOnEntity', [
  'entity:ManagedObjectReference', 'sessionId:string', 'privId:string[]?',
], 'boolean[]?');
method('AuthorizationManager', 'HasPrivilegeOnEntities', [
  'entity:ManagedObjectReference[]', 'sessionId:string', 'privId:string[]?',
], 'EntityPrivilege[]?');
method('AuthorizationManager', 'FetchUserPrivilegeOnEntities', [
  'entities:ManagedObjectReference[]', 'userName:string',
], 'UserPrivilegeResult[]?');
method('AuthorizationManager', 'HasUserPrivilegeOnEntities', [
  'entities:ManagedObjectReference[]', 'userName:string', 'privId:string[]?',
], 'EntityPrivilege[]?');

// --- Tasks ---
method('Task', 'CancelTask', []);

// --- Internal methods (not in the public WSDL) ---
// RetrieveInternalContent: how VDDK finds the NfcService (reference §2.3.8).
method('ServiceInstance', 'RetrieveInternalContent', [], 'InternalServiceInstanceContent');

// NfcService ticket calls (reference §2.3.8): VDDK sends them in urn:vim25; urn:nfc is accepted too.
// Each returns a one-time HostServiceTicket for authd on the NFC port.
const NFC = { alsoAccepted: ['urn:nfc'] };
method('NfcService', 'NfcGetVmFiles', ['vm:ManagedObjectReference', 'hostForAccess:ManagedObjectReference?'], 'HostServiceTicket', NFC);
method('NfcService', 'NfcPutVmFiles', ['vm:ManagedObjectReference', 'hostForAccess:ManagedObjectReference?'], 'HostServiceTicket', NFC);
method('NfcService', 'NfcRandomAccessOpenDisk', [
  'vm:ManagedObjectReference', 'diskDeviceKey:int', 'hostForAccess:ManagedObjectReference?',
], 'HostServiceTicket', NFC);
method('NfcService', 'NfcRandomAccessOpenReadonly', [
  'vm:ManagedObjectReference', 'diskDeviceKey:int', 'hostForAccess:ManagedObjectReference?',
], 'HostServiceTicket', NFC);
method('NfcService', 'NfcFileManagement', ['ds:ManagedObjectReference', 'hostForAccess:ManagedObjectReference?'], 'HostServiceTicket', NFC);
method('NfcService', 'NfcSystemManagement', ['hostForAccess:ManagedObjectReference'], 'HostServiceTicket', NFC);
// hostForAccess is declared optional so that its absence reaches the handler, which answers
// InvalidArgument "hostForAccess" as a real host does, instead of a decoding error.
method('NfcService', 'NfcGetServerNfcLibVersion', ['hostForAccess:ManagedObjectReference?'], 'int', NFC);

// DisableMethods / EnableMethods (PrepareForAccess / EndAccess; reference §2.3.9), urn:internalvim25.
const INTERNAL = { namespace: 'urn:internalvim25' };
method('AuthorizationManager', 'DisableMethods', [
  'entity:ManagedObjectReference[]', 'method:DisabledMethodRequest[]', 'sourceId:string', 'sessionScope:boolean?',
], undefined, INTERNAL);
method('AuthorizationManager', 'EnableMethods', [
  'entity:ManagedObjectReference[]', 'method:string[]', 'sourceId:string',
], undefined, INTERNAL);

// --- added by san
// The simulator's disk lease for SAN (docs/san.md; reference §6.3-6.4): ESXi's DiskManager lease
// calls have no public wire format, so these are vixdisk's own, named as such, on the VM.
method('VirtualMachine', 'VixdiskSanAcquireDiskLease', [
  'snapshot:ManagedObjectReference?', 'diskPath:string', 'writable:boolean',
], 'VixdiskSanDiskLease');
method('VirtualMachine', 'VixdiskSanMapDiskRegion', ['lease:string', 'start:long', 'length:long'], 'VixdiskSanLunExtent[]?');
method('VirtualMachine', 'VixdiskSanReleaseDiskLease', ['lease:string']);

// --- added by host-gaps
// AuthorizationManager role and permission edits (govmomi types.go AddAuthorizationRoleRequestType ...).
method('AuthorizationManager', 'AddAuthorizationRole', ['name:string', 'privIds:string[]?'], 'int');
method('AuthorizationManager', 'RemoveAuthorizationRole', ['roleId:int', 'failIfUsed:boolean'], undefined);
method('AuthorizationManager', 'UpdateAuthorizationRole', ['roleId:int', 'newName:string', 'privIds:string[]?'], undefined);
method('AuthorizationManager', 'SetEntityPermissions', ['entity:ManagedObjectReference', 'permission:Permission[]?'], undefined);
method('AuthorizationManager', 'ResetEntityPermissions', ['entity:ManagedObjectReference', 'permission:Permission[]?'], undefined);
method('AuthorizationManager', 'RemoveEntityPermission', ['entity:ManagedObjectReference', 'user:string', 'isGroup:boolean'], undefined);
// VirtualMachine.ConsolidateVMDisks_Task (vSphere 5.0): merge what snapshot removals left in the chains.
method('VirtualMachine', 'ConsolidateVMDisks_Task', [], 'ManagedObjectReference');
