import type { ManagedObjectReference } from '../../vsphere/vim-types.js';

/**
 * How the SOAP dispatcher calls the host's methods. A handler never sees HTTP: it gets the decoded
 * call (target moref, typed arguments by parameter name, the caller's session) and returns the
 * `returnval` (or undefined for a void method), or throws a SoapFault with the vim fault a real
 * host gives. The dispatcher checks the session and the declared privileges before `run`.
 */

/** A logged-in session as handlers see it. */
export interface HostSession {
  /** The session key (UserSession.key). */
  readonly key: string;
  /** The user as the host names it (UserSession.userName). */
  readonly userName: string;
}

export interface SoapCall {
  readonly methodName: string;
  readonly target: ManagedObjectReference;
  readonly args: Record<string, unknown>;
  /** Undefined only for handlers with `needsSession: false`. */
  readonly session: HostSession | undefined;
  /** Where the call came from (UserSession.ipAddress and userAgent of a session it opens). */
  readonly client?: { readonly ipAddress: string; readonly userAgent: string };
}

/** One privilege to hold on one entity (propagated permissions count, as vCenter counts them). */
export interface PrivilegeCheck {
  privilegeId: string;
  entity: ManagedObjectReference;
}

export interface MethodHandler {
  /** Whether the call needs a logged-in session (default true; RetrieveServiceContent, Login... false). */
  needsSession?: boolean;
  /**
   * The privileges checked before `run` (reference §7): a privilege id checked on the call's
   * target, or a function naming privileges and entities (e.g. Datastore.Browse on the disk's
   * datastore). Absent: any session may call it (System.Anonymous / System.View methods).
   */
  privilege?: string | ((call: SoapCall) => PrivilegeCheck[]);
  run(call: SoapCall): Promise<unknown> | unknown;
}

/** Method name -> handler. A host's table is the union of the tables its parts contribute. */
export type MethodTable = Map<string, MethodHandler>;

/**
 * Starts a vim Task for long work: the Task object (info.state queued -> running -> success or
 * error, progress, result, error as a LocalizedMethodFault) is visible to the property collector
 * and to WaitForUpdatesEx at once; `start` returns its moref before the work ends. A SoapFault the
 * work throws becomes `info.error`; any other error becomes SystemError with one line.
 */
export interface TaskStarter {
  start(
    call: SoapCall,
    entity: ManagedObjectReference,
    descriptionId: string,
    work: (progress: (percent: number) => void) => Promise<unknown>,
  ): ManagedObjectReference;
}
