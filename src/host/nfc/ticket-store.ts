import { randomBytes } from 'node:crypto';
import { VixError } from '../../errors/vix-error.js';
import { VIX_E_OUT_OF_MEMORY } from '../../errors/error-codes.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';

// NFC tickets (vsphere-remote.md §2.3.8): the SOAP side issues one per NfcGetVmFiles /
// NfcRandomAccessOpen[Readonly] call, authd redeems it once at PROXY (§3.3). A ticket is a random
// session id standing for a grant: which VM's files, on which host, which disk, read-only or not.
// Tickets live only in memory, as on a host: a restarted host has forgotten every ticket it issued.

/** What a ticket allows. */
export interface NfcTicketGrant {
  /** The ticket's VM: only its files may be opened. */
  vm: ManagedObjectReference;
  /** The ESXi host whose NFC endpoint honours it. */
  host: ManagedObjectReference;
  /** RandomAccessOpen tickets: only this disk (any link of its chain). */
  diskDeviceKey?: number;
  /** NfcGetVmFiles and RandomAccessOpenReadonly: true. */
  readOnly: boolean;
  userName: string;
  /** 'nfc' (hostd-issued) or 'vpxa-nfc' (vCenter), §2.3.8; authd's PROXY names it (plus `ssl`). */
  service: string;
}

export interface NfcTicketStoreOptions {
  /** How long an unused ticket stays valid (the reference did not measure it; ours: 5 minutes). */
  ttlMs?: number;
  /** Unused tickets held at once; issuing past it fails rather than growing without bound. */
  maxOutstanding?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export const DEFAULT_TICKET_TTL_MS = 5 * 60_000;
export const DEFAULT_MAX_OUTSTANDING_TICKETS = 10_000;

interface Entry {
  grant: NfcTicketGrant;
  expiresAtMs: number;
}

export class NfcTicketStore {
  private readonly tickets = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxOutstanding: number;
  private readonly now: () => number;

  constructor(options: NfcTicketStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TICKET_TTL_MS;
    this.maxOutstanding = options.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING_TICKETS;
    this.now = options.now ?? Date.now;
  }

  /** Unused, unexpired tickets held. */
  get outstanding(): number {
    this.sweep();
    return this.tickets.size;
  }

  /** A new one-time ticket for `grant`: 128 random bits in the UUID-like form hosts use. */
  issue(grant: NfcTicketGrant): { sessionId: string; expiresAt: Date } {
    if (this.tickets.size >= this.maxOutstanding) this.sweep();
    if (this.tickets.size >= this.maxOutstanding) {
      throw new VixError(VIX_E_OUT_OF_MEMORY, `too many unused NFC tickets (${this.maxOutstanding}); try again later`);
    }
    const sessionId = newSessionId();
    const expiresAtMs = this.now() + this.ttlMs;
    this.tickets.set(sessionId, { grant: copyGrant(grant), expiresAtMs });
    return { sessionId, expiresAt: new Date(expiresAtMs) };
  }

  /** One-time: returns the grant and forgets the ticket; undefined for unknown/used/expired. */
  redeem(sessionId: string): NfcTicketGrant | undefined {
    const entry = this.tickets.get(sessionId);
    if (!entry) return undefined;
    this.tickets.delete(sessionId);
    return entry.expiresAtMs > this.now() ? entry.grant : undefined;
  }

  /** Forget expired tickets (called when the store is full, so memory stays bounded). */
  private sweep(): void {
    const now = this.now();
    for (const [id, e] of this.tickets) if (e.expiresAtMs <= now) this.tickets.delete(id);
  }
}

/** `52cdebc5-b7ee-359a-1dec-76f0bc105ac5`: 16 random bytes as 8-4-4-4-12 hex, as hostd and vpxd show them. */
function newSessionId(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function copyGrant(g: NfcTicketGrant): NfcTicketGrant {
  return {
    vm: { ...g.vm }, host: { ...g.host }, readOnly: g.readOnly, userName: g.userName, service: g.service,
    ...(g.diskDeviceKey !== undefined ? { diskDeviceKey: g.diskDeviceKey } : {}),
  };
}
