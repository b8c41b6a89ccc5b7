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
