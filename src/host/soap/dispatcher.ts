import { decodeRequest, encodeFault, encodeResponse, SOAP_REQUEST_LIMITS, SOAPENV_NS, type SoapRequest } from '../../vsphere/soap-codec.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import { vimMethods } from '../../vsphere/vim-methods.js';
import { moref } from '../../vsphere/vim-types.js';
import { INTERNAL_VIM25_NS, VIM25_NS } from '../../vsphere/vim-value-codec.js';
import { readXml } from '../../vsphere/xml-reader.js';
import type { ObjectDirectory } from '../managed-object.js';
import type { Authorizer } from './authorizer.js';
import { describeRef, invalidRequest, managedObjectNotFound, methodNotFound, notAuthenticated, systemError } from './faults.js';
import { managedIsA } from './managed-type-info.js';
import type { MethodTable, PrivilegeCheck, SoapCall } from './method-handler.js';
import type { ClientInfo, Session, SessionManager } from './session-manager.js';

/**
 * One /sdk request from bytes to bytes, free of HTTP: decode, find the handler, check the session,
 * the target object and the privileges, run, encode. Every failure is a SOAP fault: SoapFaults as
 * thrown, anything else a SystemError of one line, logged once (method, user, moref, fault type:
 * never a password, cookie or ticket).
 */

/** Checked after the privileges and before the handler, e.g. DisableMethods' MethodDisabled. */
export type CallGate = (call: SoapCall) => void;

export interface DispatcherOptions {
  methods: MethodTable;
  sessions: SessionManager;
  authorizer: Authorizer;
  directory: ObjectDirectory;
  gates?: CallGate[];
  log?: (line: string) => void;
}

export interface DispatchResult {
  /** 200 for an answer, 500 for a fault (SOAP 1.1 over HTTP). */
  statusCode: number;
  body: string;
  /** The cookie of a session this call opened (Login, CloneSession). */
  newSessionCookie?: string;
}

export class Dispatcher {
  private readonly gates: CallGate[];

  constructor(private readonly options: DispatcherOptions) {
    this.gates = [...(options.gates ?? [])];
  }

  addGate(gate: CallGate): void {
    this.gates.push(gate);
  }

  async dispatch(body: Buffer, cookie: string | undefined, client: ClientInfo): Promise<DispatchResult> {
    let request: SoapRequest;
    try {
      request = decodeRequest(body);
    } catch (err) {
      const fault = requestFault(body, err);
      this.log(`soap: refused request: ${fault.faultType}: ${fault.faultString}`);
      return { statusCode: 500, body: encodeFault(fault) };
    }
    const methodName = request.method.name;
    const session = this.options.sessions.lookup(cookie);
    try {
      const returnval = await this.call(request, session, client);
      // Written for the API version the client declared: older clients refuse newer fields.
      const written = client.apiVersion === undefined ? {} : { apiVersion: client.apiVersion };
      const result: DispatchResult = { statusCode: 200, body: encodeResponse(methodName, returnval, written) };
      const opened = openedSessionKey(returnval);
      if (opened !== undefined) {
        const newCookie = this.options.sessions.cookieOf(opened);
        if (newCookie !== undefined) result.newSessionCookie = newCookie;
      }
      return result;
    } catch (err) {
      const fault = err instanceof SoapFault ? err : systemError(err instanceof Error ? err.message : String(err));
      const who = session ? ` user=${session.userName}` : '';
      this.log(`soap: ${methodName} on ${describeRef(request.this)}${who}: ${fault.faultType}`
        + (fault.faultType === 'SystemError' ? `: ${String(fault.fault.reason)}` : ''));
      return { statusCode: 500, body: encodeFault(fault, client.apiVersion === undefined ? {} : { apiVersion: client.apiVersion }) };
    }
  }

  private async call(request: SoapRequest, session: Session | undefined, client: ClientInfo): Promise<unknown> {
    const methodName = request.method.name;
    const handler = this.options.methods.get(methodName);
    if (!handler) throw methodNotFound(request.this, methodName);
    if (handler.needsSession !== false && !session) throw notAuthenticated(request.this);
    // A method called on an object of a type that does not have it (DestroyView on a VM): as hosts answer.
    if (!managedIsA(request.this.type, request.method.receiver)) throw methodNotFound(request.this, methodName);
    if (!this.options.directory.lookup(request.this)) throw managedObjectNotFound(request.this);
    if (session) this.options.sessions.touch(session);
    const call: SoapCall = { methodName, target: request.this, args: request.args, session, client };
    if (handler.privilege !== undefined && session) {
      const checks: PrivilegeCheck[] = typeof handler.privilege === 'string'
        ? [{ privilegeId: handler.privilege, entity: request.this }]
        : handler.privilege(call);
      if (checks.length > 0) this.options.authorizer.check(session.userName, checks);
    }
    for (const gate of this.gates) gate(call);
    return handler.run(call);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

/** A UserSession returned by Login/CloneSession/LoginByToken: the key of the session it opened. */
function openedSessionKey(returnval: unknown): string | undefined {
  if (typeof returnval !== 'object' || returnval === null) return undefined;
  const value = returnval as Record<string, unknown>;
  return value._type === 'UserSession' && typeof value.key === 'string' ? value.key : undefined;
}

/**
 * The fault for a body the codec refused. A well-formed envelope naming a method vim25 does not
 * have is MethodNotFound (as hosts answer); anything else the client got wrong is InvalidRequest
 * with the codec's one line. Reading the body again happens only on this failure path, under the
 * same bounds.
 */
function requestFault(body: Buffer, err: unknown): SoapFault {
  const message = err instanceof Error ? err.message : String(err);
  try {
    const root = readXml(body, SOAP_REQUEST_LIMITS);
    const bodyEl = root.children.find((c) => c.ns === SOAPENV_NS && c.name === 'Body');
    const call = bodyEl?.children.length === 1 ? bodyEl.children[0] : undefined;
    if (call && (call.ns === VIM25_NS || call.ns === INTERNAL_VIM25_NS) && !vimMethods.has(call.name)) {
      const first = call.children[0];
      const target = first?.name === '_this' && first.attributes.type
        ? moref(first.attributes.type, first.text)
        : moref('ManagedObject', '');
      return methodNotFound(target, call.name);
    }
  } catch {
    // Not even XML: the codec's message says why.
  }
  return invalidRequest(message);
}

