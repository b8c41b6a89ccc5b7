import {
  AUTHD_LOGIN_INCORRECT, AUTHD_PASSWORD_REQUIRED, bannerReply, connectReply, decodeAuthdCommand, invalidArgumentsReply,
  parseProxyService, thumbprintReply, ticketRefusedReply, type AuthdReply,
} from '../../nfc/authd-line.js';
import { NfcProtocolError } from '../../nfc/nfc-protocol-error.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { NfcTicketGrant } from './ticket-store.js';

// The host's side of the authd text dialogue inside the first TLS session (vsphere-remote.md §3.1,
// §3.3, §4.9 step 2), free of I/O: one command line in, what to answer and whether the dialogue is
// over. SESSION stores the ticket id (no reply), BANNER and THUMBPRINT[_SHA2] are answered, PROXY
// redeems the ticket once and either connects (NFC follows on the socket) or refuses and closes.
// The session id is never put in a reply or a log line.

export interface AuthdHost {
  /** This endpoint's ESXi host: a ticket for another host is refused. */
  host: ManagedObjectReference;
  /** Colon-hex thumbprints of the certificate the NFC (second) TLS session presents. */
  thumbprintSha1: string;
  thumbprintSha256: string;
  /** One-time redemption (NfcTicketStore.redeem). */
  redeem(sessionId: string): NfcTicketGrant | undefined;
}

export type AuthdStep =
  /** Answer `reply` (if any) and read the next line. */
  | { kind: 'continue'; reply?: AuthdReply }
  /** Answer `reply` and close: a refused ticket. `reason` is for the log (no secret in it). */
  | { kind: 'refuse'; reply: AuthdReply; reason: string }
  /** Answer `reply` (`200 Connect ha-nfc[ssl]`) and splice to NFC. */
  | { kind: 'connect'; reply: AuthdReply; grant: NfcTicketGrant; ssl: boolean; nonce: string | undefined };

/** A THUMBPRINT nonce: `PlainText` or base64 (NFCLIB sends 16 random bytes so); a colon thumbprint is 501 (§3.1). */
const NONCE = /^[A-Za-z0-9+/]+={0,2}$/;

export class AuthdDialogue {
  private sessionId: string | undefined;
  private nonce: string | undefined;
  private user: string | undefined;

  constructor(private readonly host: AuthdHost) {}

  receive(line: string): AuthdStep {
    let command;
    try {
      command = decodeAuthdCommand(line);
    } catch (err) {
      if (err instanceof NfcProtocolError && !err.fatal) return { kind: 'continue', reply: invalidArgumentsReply() };
      throw err;
    }
    switch (command.verb) {
      case 'SESSION':
        this.sessionId = command.sessionId;
        return { kind: 'continue' };
      case 'BANNER':
        return { kind: 'continue', reply: bannerReply() };
      case 'THUMBPRINT':
      case 'THUMBPRINT_SHA2':
        if (!NONCE.test(command.nonce)) return { kind: 'continue', reply: invalidArgumentsReply() };
        this.nonce = command.nonce;
        return { kind: 'continue', reply: thumbprintReply(command.verb === 'THUMBPRINT' ? this.host.thumbprintSha1 : this.host.thumbprintSha256) };
      case 'USER':
        this.user = command.name;
        return { kind: 'continue', reply: { code: AUTHD_PASSWORD_REQUIRED, text: `Password required for ${command.name}.` } };
      case 'PASS':
        // The NFC port of a simulated host has no local accounts: only tickets open it (vCenter
        // credentials and ticket ids given as USER/PASS are refused so on ESXi too, §3.3).
        return this.user === undefined
          ? { kind: 'continue', reply: { code: AUTHD_LOGIN_INCORRECT, text: 'Please login with USER and PASS' } }
          : { kind: 'continue', reply: ticketRefusedReply() };
      case 'PROXY':
        return this.proxy(command.service);
      case 'UNKNOWN': {
        const verb = command.text.split(' ')[0];
        if (verb === 'SESSIONID' || verb === 'CONNECT_VPXA') {
          return { kind: 'continue', reply: { code: AUTHD_LOGIN_INCORRECT, text: 'Please login with USER and PASS' } };
        }
        return { kind: 'continue', reply: { code: 500, text: 'Unknown command' } };
      }
    }
  }

  private proxy(service: string): AuthdStep {
    const { ticketService, ssl } = parseProxyService(service);
    const refuse = (reason: string): AuthdStep => ({ kind: 'refuse', reply: ticketRefusedReply(), reason });
    if (this.sessionId === undefined) return refuse('PROXY without SESSION');
    const sessionId = this.sessionId;
    this.sessionId = undefined;
    const grant = this.host.redeem(sessionId);
    if (!grant) return refuse('unknown, used or expired ticket');
    if (grant.host.type !== this.host.host.type || grant.host.value !== this.host.host.value) {
      return refuse(`ticket for host ${grant.host.value}, not ${this.host.host.value}`);
    }
    if (grant.service !== ticketService) return refuse(`ticket for service ${grant.service}, not ${ticketService}`);
    return { kind: 'connect', reply: connectReply(ssl), grant, ssl, nonce: this.nonce };
  }
}
