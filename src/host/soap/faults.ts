import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';

/**
 * The vim faults the SOAP side raises, each with the fault string a real host gives (reference
 * §2.4), so every part of the host throws them the same way.
 */

/** `vim.VirtualMachine:vm-16`, as hosts name an object in fault strings. */
export function describeRef(ref: ManagedObjectReference): string {
  return `vim.${ref.type}:${ref.value}`;
}

export function notAuthenticated(object?: ManagedObjectReference, privilegeId = 'System.View'): SoapFault {
  return new SoapFault({ _type: 'NotAuthenticated', object, privilegeId }, 'The session is not authenticated.');
}

export function invalidLogin(): SoapFault {
  return new SoapFault({ _type: 'InvalidLogin' }, 'Cannot complete login due to an incorrect user name or password.');
}

/** NoPermission naming the first missing privilege, with every missing one per entity (7.0.3.2+). */
export function noPermission(entity: ManagedObjectReference, privilegeIds: string[]): SoapFault {
  return new SoapFault({
    _type: 'NoPermission',
    object: entity,
    privilegeId: privilegeIds[0],
    missingPrivileges: [{ _type: 'NoPermissionEntityPrivileges', entity, privilegeIds }],
  }, 'Permission to perform this operation was denied.');
}

export function managedObjectNotFound(ref: ManagedObjectReference): SoapFault {
  return new SoapFault(
    { _type: 'ManagedObjectNotFound', obj: ref },
    `The object '${describeRef(ref)}' has already been deleted or has not been completely created`,
  );
}

export function invalidArgument(invalidProperty?: string): SoapFault {
  return new SoapFault(
    { _type: 'InvalidArgument', invalidProperty },
    `A specified parameter was not correct: ${invalidProperty ?? ''}`.trimEnd(),
  );
}

export function invalidProperty(name: string): SoapFault {
  return new SoapFault({ _type: 'InvalidProperty', name }, `Invalid property: ${name}`);
}

export function invalidState(message = 'The operation is not allowed in the current state.'): SoapFault {
  return new SoapFault({ _type: 'InvalidState' }, message);
}

export function notSupported(message = 'The operation is not supported on the object.'): SoapFault {
  return new SoapFault({ _type: 'NotSupported' }, message);
}

export function notImplemented(message = 'The requested operation is not implemented by the server.'): SoapFault {
  return new SoapFault({ _type: 'NotImplemented' }, message);
}

export function requestCanceled(message = 'The task was canceled by a user.'): SoapFault {
  return new SoapFault({ _type: 'RequestCanceled' }, message);
}

/** A request the host cannot even read (malformed XML, wrong namespace, bad arguments): the client's fault. */
export function invalidRequest(message: string): SoapFault {
  return new SoapFault({ _type: 'InvalidRequest' }, message, 'ClientFaultCode');
}

export function methodNotFound(receiver: ManagedObjectReference, method: string): SoapFault {
  return new SoapFault(
    { _type: 'MethodNotFound', receiver, method },
    `Unable to resolve WSDL method name ${method}`,
    'ClientFaultCode',
  );
}

/** The fault every unexpected error becomes: one line, no stack. */
export function systemError(reason: string): SoapFault {
  const line = reason.replace(/\s+/g, ' ').trim().slice(0, 300) || 'internal error';
  return new SoapFault({ _type: 'SystemError', reason: line }, `A general system error occurred: ${line}`);
}

/** The `LocalizedMethodFault` a task's `info.error` or a missingSet entry carries. */
export function localizedFault(fault: SoapFault): { _type: 'LocalizedMethodFault'; fault: unknown; localizedMessage: string } {
  return { _type: 'LocalizedMethodFault', fault: fault.fault, localizedMessage: fault.faultString };
}
