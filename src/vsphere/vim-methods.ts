import { parseField, type FieldDef } from './vim-types.js';

/**
 * A vim25 method as the wire sees it: its parameters after `_this`, in WSDL order, and what
 * `returnval` holds (absent for a void method). Fields use the notation of vim-types.ts.
 */
export interface VimMethod {
  name: string;
  /** The managed object type `_this` names (for documentation and the host's dispatch). */
  receiver: string;
  params: FieldDef[];
  returns?: FieldDef;
}

export const vimMethods = new Map<string, VimMethod>();

function method(receiver: string, name: string, params: string[], returns?: string): void {
  const def: VimMethod = { name, receiver, params: params.map(parseField) };
  if (returns !== undefined) def.returns = parseField(`returnval:${returns}`);
  vimMethods.set(name, def);
}

method('ServiceInstance', 'RetrieveServiceContent', [], 'ServiceContent');
method('ServiceInstance', 'CurrentTime', [], 'dateTime');
method('SessionManager', 'Login', ['userName:string', 'password:string', 'locale:string?'], 'UserSession');
method('SessionManager', 'Logout', []);
method('SessionManager', 'SessionIsActive', ['sessionID:string', 'userName:string'], 'boolean');
method('PropertyCollector', 'RetrievePropertiesEx', ['specSet:PropertyFilterSpec[]', 'options:RetrieveOptions'], 'RetrieveResult?');
method('PropertyCollector', 'ContinueRetrievePropertiesEx', ['token:string'], 'RetrieveResult');
method('PropertyCollector', 'CancelRetrievePropertiesEx', ['token:string']);
method('ViewManager', 'CreateContainerView', ['container:ManagedObjectReference', 'type:string[]?', 'recursive:boolean'], 'ManagedObjectReference');
method('View', 'DestroyView', []);

// --- added by host-soap
method('ServiceInstance', 'RetrieveInternalContent', [], 'InternalServiceInstanceContent');
method('SessionManager', 'AcquireCloneTicket', [], 'string');
method('SessionManager', 'CloneSession', ['cloneTicket:string'], 'UserSession');
method('SessionManager', 'AcquireGenericServiceTicket', ['spec:SessionManagerServiceRequestSpec'], 'SessionManagerGenericServiceTicket');
method('PropertyCollector', 'RetrieveProperties', ['specSet:PropertyFilterSpec[]'], 'ObjectContent[]');
method('PropertyCollector', 'CreatePropertyCollector', [], 'ManagedObjectReference');
method('PropertyCollector', 'DestroyPropertyCollector', []);
method('PropertyCollector', 'CreateFilter', ['spec:PropertyFilterSpec', 'partialUpdates:boolean'], 'ManagedObjectReference');
method('PropertyFilter', 'DestroyPropertyFilter', []);
method('PropertyCollector', 'WaitForUpdatesEx', ['version:string?', 'options:WaitOptions?'], 'UpdateSet?');
method('PropertyCollector', 'WaitForUpdates', ['version:string?'], 'UpdateSet');
method('PropertyCollector', 'CheckForUpdates', ['version:string?'], 'UpdateSet?');
method('PropertyCollector', 'CancelWaitForUpdates', []);
method('ViewManager', 'CreateListView', ['obj:ManagedObjectReference[]?'], 'ManagedObjectReference');
method('Task', 'CancelTask', []);
