import {
  VIX_E_AUTHENTICATION_FAIL, VIX_E_FAIL, VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_ALREADY_LOCKED,
  VIX_E_FILE_NOT_FOUND, VIX_E_HOST_USER_PERMISSIONS, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED,
  VIX_E_OBJECT_IS_BUSY, VIX_E_OBJECT_NOT_FOUND, VIX_E_CANCELLED,
} from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import { vimTypes, type DataObject } from './vim-types.js';

/** SOAP 1.1 fault codes vim25 servers use: method faults are the server's, malformed requests the client's. */
export type SoapFaultCode = 'ServerFaultCode' | 'ClientFaultCode' | string;

// The nearest listed ancestor of a fault's type decides its VIX code (NotAuthenticated is a
// NoPermission, FileNotFound a FileFault...). The client of issue 12 may refine these per call.
const VIX_CODE_BY_FAULT: Array<[string, number]> = [
  ['InvalidLogin', VIX_E_AUTHENTICATION_FAIL],
  ['NoPermission', VIX_E_HOST_USER_PERMISSIONS],
  ['ManagedObjectNotFound', VIX_E_OBJECT_NOT_FOUND],
  ['FileNotFound', VIX_E_FILE_NOT_FOUND],
  ['FileAlreadyExists', VIX_E_FILE_ALREADY_EXISTS],
  ['FileLocked', VIX_E_FILE_ALREADY_LOCKED],
  ['TaskInProgress', VIX_E_OBJECT_IS_BUSY],
  ['InvalidArgument', VIX_E_INVALID_ARG],
  ['InvalidRequest', VIX_E_INVALID_ARG],
  ['MethodDisabled', VIX_E_NOT_SUPPORTED],
  ['NotImplemented', VIX_E_NOT_SUPPORTED],
  ['NotSupported', VIX_E_NOT_SUPPORTED],
  ['RequestCanceled', VIX_E_CANCELLED],
];

export function vixCodeOfFault(faultType: string): number {
  for (const [ancestor, code] of VIX_CODE_BY_FAULT) if (vimTypes.isA(faultType, ancestor)) return code;
  return VIX_E_FAIL;
}

/**
 * A SOAP fault, either side of the wire: the host throws one to answer with it, the client
 * decodes one from a response. `fault` is the typed vim25 MethodFault of the detail (its `_type`
 * is the fault's name: InvalidLogin, NoPermission...); the message is one line.
 */
export class SoapFault extends VixError {
  readonly faultCode: SoapFaultCode;
  readonly faultString: string;
  readonly fault: DataObject & { _type: string };

  constructor(fault: DataObject & { _type: string }, faultString: string, faultCode: SoapFaultCode = 'ServerFaultCode') {
    const line = faultString.replace(/\s+/g, ' ').trim();
    super(vixCodeOfFault(fault._type), `${fault._type}: ${line || 'no fault string'}`);
    this.name = 'SoapFault';
    this.fault = fault;
    this.faultString = faultString;
    this.faultCode = faultCode;
  }

  get faultType(): string {
    return this.fault._type;
  }
}
