import { NfcProtocolError } from './nfc-protocol-error.js';

// The authd text dialogue on port 902 (vsphere-remote.md §3): lines of ASCII ending in CR LF, the
// client's commands and the daemon's numbered replies, as encoders, decoders and a bounded line
// splitter with no I/O. Both ends use these: the client to send commands and read replies, the
// host to read commands and send replies.

/** NFCLIB caps a line at 1016 bytes (§3.1); we hold both directions to it, CR LF included. */
export const MAX_AUTHD_LINE_LENGTH = 1016;
/** Commands a host reads on one connection before giving up (VDDK sends 4; ours). */
export const MAX_AUTHD_LINES = 16;

/** The ESXi 8 banner (§3.1 step 1), sent in plaintext and again after BANNER inside TLS. */
export const AUTHD_BANNER =
  'VMware Authentication Daemon Version 1.10: SSL Required, ServerDaemonProtocol:SOAP, MKSDisplayProtocol:VNC , VMXARGS supported, NFCSSL supported/t, SHA256 supported';

export const AUTHD_READY = 220;
export const AUTHD_OK = 200;
export const AUTHD_PASSWORD_REQUIRED = 331;
export const AUTHD_LOGGED_IN = 230;
export const AUTHD_INVALID_ARGUMENTS = 501;
export const AUTHD_LOGIN_INCORRECT = 530;

/** The commands of §3.1 and §3.3. */
export type AuthdCommand =
  | { verb: 'SESSION'; sessionId: string }
  | { verb: 'BANNER' }
  | { verb: 'THUMBPRINT'; nonce: string }
  | { verb: 'THUMBPRINT_SHA2'; nonce: string }
  | { verb: 'PROXY'; service: string }
  | { verb: 'USER'; name: string }
  | { verb: 'PASS'; password: string }
  | { verb: 'UNKNOWN'; text: string };

export interface AuthdReply {
  code: number;
  text: string;
}

/** A command line with its CR LF. BANNER keeps the trailing space VDDK sends. */
export function encodeAuthdCommand(command: AuthdCommand): Buffer {
  switch (command.verb) {
    case 'SESSION': return line(`SESSION ${token(command.sessionId, 'session id')}`);
    case 'BANNER': return line('BANNER ');
    case 'THUMBPRINT': return line(`THUMBPRINT ${token(command.nonce, 'nonce')}`);
    case 'THUMBPRINT_SHA2': return line(`THUMBPRINT_SHA2 ${token(command.nonce, 'nonce')}`);
    case 'PROXY': return line(`PROXY ${token(command.service, 'service')}`);
    case 'USER': return line(`USER ${token(command.name, 'user name')}`);
    case 'PASS': return line(`PASS ${token(command.password, 'password')}`);
    case 'UNKNOWN': return line(command.text);
  }
}

/**
 * A command line (without CR LF). The verb is matched case-sensitively as VDDK sends it; BANNER is
 * accepted with or without its trailing space; a known verb with a missing or extra argument is
 * refused (authd answers 501), anything else is UNKNOWN for the host to refuse.
 */
export function decodeAuthdCommand(text: string): AuthdCommand {
  const words = text.split(' ').filter((w) => w.length > 0);
  const verb = words[0] ?? '';
  const argument = (): string => {
    if (words.length !== 2) throw new NfcProtocolError(`authd ${verb} takes one argument`, false);
    return words[1]!;
  };
  switch (verb) {
    case 'SESSION': return { verb, sessionId: argument() };
    case 'BANNER':
      if (words.length !== 1) throw new NfcProtocolError('authd BANNER takes no argument', false);
      return { verb };
    case 'THUMBPRINT': return { verb, nonce: argument() };
    case 'THUMBPRINT_SHA2': return { verb, nonce: argument() };
    case 'PROXY': return { verb, service: argument() };
    case 'USER': return { verb, name: argument() };
    case 'PASS': return { verb, password: argument() };
    default: return { verb: 'UNKNOWN', text };
  }
}

/** A reply line with its CR LF: three digits, a space, the text. */
export function encodeAuthdReply(reply: AuthdReply): Buffer {
  if (!Number.isInteger(reply.code) || reply.code < 100 || reply.code > 999) {
    throw new NfcProtocolError(`authd reply code ${reply.code} is not three digits`, true);
  }
  return line(`${reply.code} ${reply.text}`);
}

/** A reply line (without CR LF): `NNN text`. Anything else is fatal: the client hangs up. */
export function decodeAuthdReply(text: string): AuthdReply {
  const m = /^([1-9][0-9]{2})(?: (.*))?$/.exec(text);
  if (!m) throw new NfcProtocolError(`authd sent ${quote(text)}, not a numbered reply`, true);
  return { code: Number(m[1]), text: m[2] ?? '' };
}

// The replies of the dialogue, one definition each.

export const bannerReply = (): AuthdReply => ({ code: AUTHD_READY, text: AUTHD_BANNER });
/** THUMBPRINT / THUMBPRINT_SHA2: the colon-hex thumbprint of the certificate the NFC endpoint presents. */
export const thumbprintReply = (thumbprint: string): AuthdReply => ({ code: AUTHD_OK, text: thumbprint });
/** PROXY accepted: `200 Connect ha-nfc` or `200 Connect ha-nfcssl`; NFC follows on the same socket. */
export const connectReply = (ssl: boolean): AuthdReply => ({ code: AUTHD_OK, text: `Connect ha-nfc${ssl ? 'ssl' : ''}` });
export const invalidArgumentsReply = (): AuthdReply => ({ code: AUTHD_INVALID_ARGUMENTS, text: 'Invalid arguments' });
/**
 * A used, expired, forged or foreign ticket at PROXY: not captured from a real host (§3.3 [L]); a
 * 5xx line and close is the safe choice, and authd's own refusal text is the one we use.
 */
export const ticketRefusedReply = (): AuthdReply => ({ code: AUTHD_LOGIN_INCORRECT, text: 'Login incorrect' });

/** The PROXY service for a ticket's service and transport: `vpxa-nfc` + `ssl` for nbdssl. */
export function proxyService(ticketService: string, ssl: boolean): string {
  return ssl ? `${ticketService}ssl` : ticketService;
}

/** What a PROXY service asks: the ticket service (an `ssl` suffix removed) and whether NFC runs in a second TLS. */
export function parseProxyService(service: string): { ticketService: string; ssl: boolean } {
  return service.endsWith('ssl') ? { ticketService: service.slice(0, -3), ssl: true } : { ticketService: service, ssl: false };
}

/** The target in a `200 Connect <target>` reply, or a fatal error for any other reply. */
export function decodeConnectReply(reply: AuthdReply): { ssl: boolean } {
  const m = /^Connect ha-nfc(ssl)?$/.exec(reply.text);
  if (reply.code !== AUTHD_OK || !m) throw new NfcProtocolError(`authd refused the NFC connection: ${reply.code} ${quote(reply.text)}`, true);
  return { ssl: m[1] === 'ssl' };
}

/**
 * Splits arriving bytes into lines. A line is printable ASCII ended by CR LF; a bare CR or LF, a
 * control byte, a line longer than MAX_AUTHD_LINE_LENGTH or more than `maxLines` lines is fatal.
 * Bytes after the line a caller stops at stay with the caller: `push` returns how many it used, so
 * the splice to NFC after `200 Connect` takes no byte of NFC into a line.
 */
export class AuthdLineSplitter {
  private readonly line = Buffer.alloc(MAX_AUTHD_LINE_LENGTH);
  private fill = 0;
  private count = 0;

  constructor(private readonly maxLines = MAX_AUTHD_LINES) {}

  /** Bytes of an unfinished line held. */
  get pending(): number {
    return this.fill;
  }

  /**
   * Take bytes from `chunk` up to and including the first complete line: the line's text (without
   * CR LF) and the bytes used, or null text when the chunk ended first (all bytes used).
   */
  push(chunk: Uint8Array): { text: string | null; used: number } {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      const afterCr = this.fill > 0 && this.line[this.fill - 1] === 0x0d;
      if (b === 0x0a) {
        if (!afterCr) throw new NfcProtocolError('authd line ends in a bare LF', true);
        const text = this.line.toString('latin1', 0, this.fill - 1);
        this.fill = 0;
        if (++this.count > this.maxLines) throw new NfcProtocolError(`more than ${this.maxLines} authd lines`, true);
        return { text, used: i + 1 };
      }
      if (afterCr) throw new NfcProtocolError('authd line has a bare CR', true);
      if (b !== 0x0d && (b < 0x20 || b > 0x7e)) throw new NfcProtocolError(`authd line has the control or non-ASCII byte 0x${b.toString(16)}`, true);
      if (this.fill === MAX_AUTHD_LINE_LENGTH - 1) throw new NfcProtocolError(`authd line longer than ${MAX_AUTHD_LINE_LENGTH} bytes`, true);
      this.line[this.fill++] = b;
    }
    return { text: null, used: chunk.length };
  }
}

function line(text: string): Buffer {
  const b = Buffer.from(`${text}\r\n`, 'latin1');
  if (b.length > MAX_AUTHD_LINE_LENGTH) throw new NfcProtocolError(`authd line longer than ${MAX_AUTHD_LINE_LENGTH} bytes`, true);
  for (let i = 0; i < b.length - 2; i++) {
    if (b[i]! < 0x20 || b[i]! > 0x7e) throw new NfcProtocolError('authd lines are printable ASCII', true);
  }
  return b;
}

function token(value: string, what: string): string {
  if (value.length === 0 || /[^\x21-\x7e]/.test(value)) throw new NfcProtocolError(`authd ${what} must be one printable ASCII word`, true);
  return value;
}

function quote(text: string): string {
  return `"${text.length > 80 ? `${text.slice(0, 77)}...` : text}"`;
}
