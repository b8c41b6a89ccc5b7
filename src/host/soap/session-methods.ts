import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { invalidArgument, notImplemented } from './faults.js';
import type { HostSession, MethodTable, SoapCall } from './method-handler.js';
import { SessionManager, type ClientInfo, type Session } from './session-manager.js';
import type { HostPersonality } from './service-instance.js';
import type { SessionAwareObject } from './session-view.js';

/** The SessionManager managed object and its methods (reference §2.3.2). */

const UNKNOWN_CLIENT: ClientInfo = { ipAddress: '', userAgent: '' };

/** The session a handler was called in, as the session manager keeps it (the dispatcher checked it exists). */
function sessionOf(call: SoapCall): Session {
  return SessionManager.requireSession(call.session as Session | undefined, call.target);
}

export class SessionManagerObject implements SessionAwareObject {
  constructor(readonly ref: ManagedObjectReference, private readonly sessions: SessionManager) {}

  property(name: string): unknown {
    return this.propertyForSession(name, undefined);
  }

  propertyForSession(name: string, session: HostSession | undefined): unknown {
    switch (name) {
      case 'sessionList':
        return this.sessions.list().map((s) => SessionManager.userSession(s));
      case 'currentSession':
        return session ? SessionManager.userSession(session as Session) : undefined;
      case 'defaultLocale':
        return 'en';
      case 'messageLocaleList':
      case 'supportedLocaleList':
        return ['en'];
      case 'message':
        return undefined;
      default:
        return undefined;
    }
  }
}

export function sessionMethods(sessions: SessionManager, personality: HostPersonality): MethodTable {
  return new Map([
    ['Login', {
      needsSession: false,
      run: async (call: SoapCall) => {
        const { userName, password, locale } = call.args as { userName: string; password: string; locale?: string };
        if (locale !== undefined && !/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/.test(locale)) {
          throw new SoapFault({ _type: 'InvalidLocale' }, 'A specified locale is invalid.');
        }
        const session = await sessions.login(userName, password, locale, call.client ?? UNKNOWN_CLIENT);
        return SessionManager.userSession(session);
      },
    }],
    ['Logout', {
      run: (call: SoapCall) => {
        sessions.logout(sessionOf(call));
        return undefined;
      },
    }],
    ['SessionIsActive', {
      // hostd does not implement it (vcsim answers NotImplemented for ESXi too); vCenter needs Sessions.ValidateSession.
      privilege: personality === 'vcenter' ? (call: SoapCall) => [{ privilegeId: 'Sessions.ValidateSession', entity: call.target }] : undefined,
      run: (call: SoapCall) => {
        if (personality === 'esxi') throw notImplemented();
        const { sessionID, userName } = call.args as { sessionID: string; userName: string };
        return sessions.isActive(sessionID, userName);
      },
    }],
    ['AcquireCloneTicket', {
      run: (call: SoapCall) => sessions.acquireCloneTicket(sessionOf(call)),
    }],
    ['CloneSession', {
      needsSession: false,
      run: (call: SoapCall) => {
        const ticket = call.args.cloneTicket;
        if (typeof ticket !== 'string' || ticket === '') throw invalidArgument('cloneTicket');
        return SessionManager.userSession(sessions.cloneSession(ticket, call.client ?? UNKNOWN_CLIENT));
      },
    }],
    ['AcquireGenericServiceTicket', {
      run: (call: SoapCall) => sessions.acquireServiceTicket(sessionOf(call), call.args.spec as Record<string, unknown>),
    }],
  ]);
}
