import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { Authenticator } from './authorizer.js';
import { invalidArgument, invalidLogin, notAuthenticated } from './faults.js';
import type { HostSession } from './method-handler.js';

/**
 * Sessions of one host instance (reference §2.3.2): Login through the Authenticator, the
 * `vmware_soap_session` cookie, idle expiry, Logout, clone tickets and generic service tickets.
 *
 * A cookie is 32 random bytes plus a MAC under this instance's secret: a cookie minted by another
 * instance (or forged) fails the MAC before any lookup, and the comparison is constant-time.
 * Cookies and tickets live only in memory and never reach a log line.
 */

export const SESSION_COOKIE_NAME = 'vmware_soap_session';

/** What a host knows of the client a call came from (UserSession.ipAddress/userAgent). */
export interface ClientInfo {
  ipAddress: string;
  userAgent: string;
  /** The API version the client's SOAPAction names (`urn:vim25/6.7.1`): answers leave out newer fields. */
  apiVersion?: string;
}

/** One session: the UserSession a client sees, plus what the host keeps about it. */
export interface Session extends HostSession {
  readonly fullName: string;
  readonly loginTime: Date;
  lastActiveTime: Date;
  readonly locale: string;
  readonly ipAddress: string;
  readonly userAgent: string;
  callCount: number;
}

export interface SessionManagerOptions {
  authenticator: Authenticator;
  /** Idle time after which a session ends (ESXi and vCenter: 30 minutes). */
  idleTimeoutMs?: number;
  /** How long a clone ticket stays redeemable (single use). */
  cloneTicketLifetimeMs?: number;
  /** How long a generic service ticket stays redeemable (single use). */
  serviceTicketLifetimeMs?: number;
  /** Delay before an InvalidLogin answer, so guessing passwords is slow. */
  failedLoginDelayMs?: number;
  /** Cap on live sessions, so a client looping on Login cannot exhaust memory. */
  maxSessions?: number;
  /** The host's name and SHA-1 thumbprint for generic service tickets. */
  hostName?: string;
  sslThumbprint?: string;
  now?: () => number;
}

interface Ticket {
  sessionKey: string;
  expiresAt: number;
}

interface ServiceTicket {
  userName: string;
  url: string;
  method: string | undefined;
  expiresAt: number;
}

/** Something that must end with a session (views, collectors, paging tokens). */
export type SessionEndListener = (session: Session) => void;

export class SessionManager {
  private readonly secret = randomBytes(32);
  private readonly byCookie = new Map<string, Session>();
  private readonly cookieByKey = new Map<string, string>();
  private readonly cloneTickets = new Map<string, Ticket>();
  private readonly serviceTickets = new Map<string, ServiceTicket>();
  private readonly endListeners: SessionEndListener[] = [];
  private readonly idleTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionManagerOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Called when a session ends (Logout or expiry), to drop what it owned. */
  onSessionEnd(listener: SessionEndListener): void {
    this.endListeners.push(listener);
  }

  async login(userName: string, password: string, locale: string | undefined, client: ClientInfo): Promise<Session> {
    const user = userName === '' || password === '' ? undefined : await this.options.authenticator.verify(userName, password);
    if (!user) {
      // A fixed floor on the failure path: a wrong user and a wrong password take the same time.
      await new Promise((resolve) => setTimeout(resolve, this.options.failedLoginDelayMs ?? 200));
      throw invalidLogin();
    }
    return this.open(user.userName, user.fullName, locale ?? 'en', client);
  }

  /** The live session a cookie names, refreshed; undefined for an unknown, foreign or expired cookie. */
  lookup(cookie: string | undefined): Session | undefined {
    if (cookie === undefined || !this.macValid(cookie)) return undefined;
    const session = this.byCookie.get(cookie);
    if (!session) return undefined;
    if (this.now() - session.lastActiveTime.getTime() > this.idleTimeoutMs) {
      this.end(session);
      return undefined;
    }
    return session;
  }

  /** Mark a call made in `session` (UserSession.lastActiveTime and callCount). */
  touch(session: Session): void {
    session.lastActiveTime = new Date(this.now());
    session.callCount += 1;
  }

  /** The cookie value a freshly opened session is reached by (for Set-Cookie). */
  cookieOf(sessionKey: string): string | undefined {
    return this.cookieByKey.get(sessionKey);
  }

  logout(session: Session): void {
    this.end(session);
  }

  /** SessionIsActive(sessionID, userName): whether that session is live and belongs to that user. */
  isActive(sessionKey: string, userName: string): boolean {
    const cookie = this.cookieByKey.get(sessionKey);
    const session = cookie === undefined ? undefined : this.lookup(cookie);
    return session !== undefined && session.userName === userName;
  }

  /** Every live session (SessionManager.sessionList); expired ones are ended on the way. */
  list(): Session[] {
    this.sweep();
    return [...this.byCookie.values()];
  }

  acquireCloneTicket(session: Session): string {
    this.sweep();
    const ticket = `cst-VCT-${randomUUID()}--tp-${randomBytes(16).toString('hex').toUpperCase()}`;
    this.cloneTickets.set(ticket, { sessionKey: session.key, expiresAt: this.now() + (this.options.cloneTicketLifetimeMs ?? 60_000) });
    return ticket;
  }

  /** CloneSession: a new session for the ticket's user; the ticket is spent whatever the outcome. */
  cloneSession(ticket: string, client: ClientInfo): Session {
    const entry = this.cloneTickets.get(ticket);
    this.cloneTickets.delete(ticket);
    const cookie = entry === undefined ? undefined : this.cookieByKey.get(entry.sessionKey);
    const source = cookie === undefined ? undefined : this.lookup(cookie);
    if (!entry || entry.expiresAt < this.now() || !source) throw invalidLogin();
    return this.open(source.userName, source.fullName, source.locale, client);
  }

  /** AcquireGenericServiceTicket with an HTTP spec: a single-use ticket for one URL (and method). */
  acquireServiceTicket(session: Session, spec: Record<string, unknown>): Record<string, unknown> {
    if (spec._type !== 'SessionManagerHttpServiceRequestSpec' || typeof spec.url !== 'string') throw invalidArgument('spec');
    this.sweep();
    const id = randomUUID();
    const method = typeof spec.method === 'string' ? spec.method : undefined;
    const lifetime = this.options.serviceTicketLifetimeMs ?? 30_000;
    this.serviceTickets.set(id, { userName: session.userName, url: spec.url, method, expiresAt: this.now() + lifetime });
    return {
      _type: 'SessionManagerGenericServiceTicket', id, hostName: this.options.hostName, sslThumbprint: this.options.sslThumbprint,
    };
  }

  /** Spend a generic service ticket for `url` (and `method`): the user it was issued to, or undefined. */
  redeemServiceTicket(id: string, url: string, method: string): string | undefined {
    const ticket = this.serviceTickets.get(id);
    this.serviceTickets.delete(id);
    if (!ticket || ticket.expiresAt < this.now() || ticket.url !== url) return undefined;
    if (ticket.method !== undefined && ticket.method.toUpperCase() !== method.toUpperCase()) return undefined;
    return ticket.userName;
  }

  /** The UserSession data object of a session. */
  static userSession(session: Session): Record<string, unknown> {
    return {
      _type: 'UserSession', key: session.key, userName: session.userName, fullName: session.fullName,
      loginTime: session.loginTime, lastActiveTime: session.lastActiveTime, locale: session.locale,
      messageLocale: session.locale, extensionSession: false, ipAddress: session.ipAddress,
      userAgent: session.userAgent, callCount: session.callCount,
    };
  }

  /** NotAuthenticated for a call without a live session. */
  static requireSession(session: Session | undefined, target: ManagedObjectReference): Session {
    if (!session) throw notAuthenticated(target);
    return session;
  }

  private open(userName: string, fullName: string, locale: string, client: ClientInfo): Session {
    this.sweep();
    const max = this.options.maxSessions ?? 10_000;
    if (this.byCookie.size >= max) this.evictOldest();
    const random = randomBytes(32).toString('hex');
    const cookie = `${random}${this.mac(random)}`;
    const now = new Date(this.now());
    // UserSession.key: a host-side id in vCenter's 8-4-4-4-12 shape, distinct from the cookie.
    const session: Session = {
      key: randomUUID(), userName, fullName, loginTime: now, lastActiveTime: now, locale,
      ipAddress: client.ipAddress, userAgent: client.userAgent, callCount: 0,
    };
    this.byCookie.set(cookie, session);
    this.cookieByKey.set(session.key, cookie);
    return session;
  }

  private end(session: Session): void {
    const cookie = this.cookieByKey.get(session.key);
    if (cookie === undefined) return;
    this.cookieByKey.delete(session.key);
    this.byCookie.delete(cookie);
    for (const listener of this.endListeners) listener(session);
  }

  private sweep(): void {
    const now = this.now();
    for (const session of [...this.byCookie.values()]) {
      if (now - session.lastActiveTime.getTime() > this.idleTimeoutMs) this.end(session);
    }
    for (const [ticket, entry] of this.cloneTickets) if (entry.expiresAt < now) this.cloneTickets.delete(ticket);
    for (const [id, entry] of this.serviceTickets) if (entry.expiresAt < now) this.serviceTickets.delete(id);
  }

  private evictOldest(): void {
    let oldest: Session | undefined;
    for (const session of this.byCookie.values()) {
      if (!oldest || session.lastActiveTime < oldest.lastActiveTime) oldest = session;
    }
    if (oldest) this.end(oldest);
  }

  private mac(random: string): string {
    return createHmac('sha256', this.secret).update(random).digest('hex').slice(0, 32);
  }

  private macValid(cookie: string): boolean {
    if (!/^[0-9a-f]{96}$/.test(cookie)) return false;
    const expected = Buffer.from(this.mac(cookie.slice(0, 64)));
    return timingSafeEqual(expected, Buffer.from(cookie.slice(64)));
  }
}
