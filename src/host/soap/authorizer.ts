import type { PrivilegeCheck } from './method-handler.js';

/**
 * The privilege check the SOAP side asks before every call and for every object the property
 * collector returns. The accounts/roles part implements it (permissions set on entities,
 * propagating down the inventory through ManagedObject.parent, reference §7).
 */
export interface Authorizer {
  /**
   * Passes when `userName` holds every privilege on its entity; otherwise throws the SoapFault
   * NoPermission (faults.ts `noPermission`) with `privilegeId` the first missing privilege and
   * `object` its entity. Synchronous: it runs on every call and for every retrieved object.
   */
  check(userName: string, checks: PrivilegeCheck[]): void;
}

/** Whether `check` passes, for callers that leave out what a user cannot see rather than fail. */
export function holds(authorizer: Authorizer, userName: string, checks: PrivilegeCheck[]): boolean {
  try {
    authorizer.check(userName, checks);
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === 'SoapFault') return false;
    throw err;
  }
}

/** Who a user is, as the accounts part knows it. */
export interface AuthenticatedUser {
  userName: string;
  fullName: string;
}

/**
 * Checks a user name and password (scrypt hashes live with the accounts part). Undefined for a
 * wrong user or password alike, so a caller cannot tell which one was wrong.
 */
export interface Authenticator {
  verify(userName: string, password: string): Promise<AuthenticatedUser | undefined>;
}
