import type { ManagedObject } from '../managed-object.js';
import type { HostSession } from './method-handler.js';

/**
 * A managed object some of whose properties depend on who asks (SessionManager.currentSession,
 * a session's own views and collectors). The property collector passes the caller's session to
 * objects that have `propertyForSession`; other objects answer the same to everyone.
 */
export interface SessionAwareObject extends ManagedObject {
  propertyForSession(name: string, session: HostSession | undefined): unknown;
}

export function isSessionAware(object: ManagedObject): object is SessionAwareObject {
  return typeof (object as Partial<SessionAwareObject>).propertyForSession === 'function';
}

/** A property as `session` sees it. */
export function propertyAs(object: ManagedObject, name: string, session: HostSession | undefined): unknown {
  return isSessionAware(object) ? object.propertyForSession(name, session) : object.property(name);
}
