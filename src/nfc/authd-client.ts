import { createHash } from 'node:crypto';
import tls, { type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { preferredCiphers } from '../nbd/tls-stream.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_FAIL, VIX_E_HOST_NETBLKDEV_HANDSHAKE } from '../errors/error-codes.js';
import {
  AUTHD_OK, AUTHD_READY, AuthdLineSplitter, decodeAuthdReply, decodeConnectReply, encodeAuthdCommand, proxyService,
  type AuthdCommand, type AuthdReply,
} from './authd-line.js';
import { PLAINTEXT_NONCE } from './classic-message.js';
import { NfcProtocolError } from './nfc-protocol-error.js';
import { NfcSocket, type DirectSink } from './nfc-socket.js';

// The client's side of authd on the NFC port (vsphere-remote.md §3.1, §4.12 steps 3–4): the
// plaintext 220 banner, TLS checked against the ticket's thumbprint before a byte of ours is sent,
// SESSION / BANNER / THUMBPRINT_SHA2 / PROXY as VDDK 8 sends them, `200 Connect`, then the splice:
// nbd goes on in plaintext on the same socket, nbdssl starts a second TLS session checked against
// the thumbprint authd announced. What comes back is a channel for NFC bytes both ways.

/** What a HostServiceTicket holds (§2.3.8). */
export interface NfcTicket {
  host: string;
  port: number;
  /** The one-time token for authd's SESSION; never logged or put in a message. */
  sessionId: string;
  /** `nfc` (hostd) or `vpxa-nfc` (vCenter); `ssl` is appended for nbdssl. */
  service: string;
  /** SHA-1 of the host certificate, colon hex (a 32-pair SHA-256 is accepted too). */
  sslThumbprint: string;
  /** SHA-256 of the same certificate when the caller knows it: checked as well. */
  sslThumbprintSha256?: string;
}

/** The NFC byte stream after authd: what the NFC session writes to and reads from. */
export interface NfcChannel {
  /** Send bytes; false when the stream's buffer is full (wait for onDrain). */
  write(bytes: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  /** Bytes the stream holds that the socket has not taken yet. */
  readonly writableLength: number;
  onDrain(listener: () => void): void;
  /**
   * Received NFC bytes go to `sink` (views valid only during the call); on a plain socket, `direct`
   * may take them straight into a buffer of its own (TLS decrypts into buffers of its own instead).
   */
  route(sink: (bytes: Uint8Array) => void, direct?: DirectSink): void;
  onClose(listener: (err?: Error) => void): void;
  /** End the connection after what was written is sent. */
  end(): void;
  destroy(): void;
  readonly ssl: boolean;
}

export interface AuthdConnectOptions {
  ticket: NfcTicket;
  ssl: boolean;
  /** Names the host in messages: `NFC host 10.0.0.5:902`. */
  where: string;
}

/** Open the TCP connection (errors as the socket gives them; the caller maps them). */
export function connectNfcSocket(ticket: NfcTicket): Promise<NfcSocket> {
  return NfcSocket.connect(ticket.host, ticket.port);
}

/** Run authd on a connected socket and return the NFC channel. Errors are VixErrors. */
export async function authdDialogue(socket: NfcSocket, o: AuthdConnectOptions): Promise<NfcChannel> {
  const { ticket, where } = o;
  const expected = expectedThumbprints(ticket, where);
  const lines = new LineQueue(socket, where);

  // 1. The plaintext banner; nothing may follow it before our TLS handshake.
  socket.route((bytes) => lines.push(bytes));
  const banner = await lines.next();
  if (banner.code !== AUTHD_READY) throw refused(where, banner);
  if (lines.pendingBytes > 0) throw handshake(`${where} sent plaintext after its authd banner`);

  // 2. TLS, checked against the ticket before anything of ours is sent.
  const first = socket.startTls(tlsOptions(ticket.host));
  await secureConnected(first.tls, where, 'the authd TLS handshake');
  checkCertificate(first.tls, expected, where);
  lines.reset();
  first.tls.on('data', (bytes: Buffer) => lines.push(bytes));

  // 3. The dialogue (§3.1 steps 3–9). SESSION has no reply.
  const send = (command: AuthdCommand) => { first.tls.write(encodeAuthdCommand(command)); };
  send({ verb: 'SESSION', sessionId: ticket.sessionId });
  send({ verb: 'BANNER' });
  const again = await lines.next();
  if (again.code !== AUTHD_READY) throw refused(where, again);
  send({ verb: 'THUMBPRINT_SHA2', nonce: PLAINTEXT_NONCE });
  const announced = await lines.next();
  if (announced.code !== AUTHD_OK) throw refused(where, announced);
  send({ verb: 'PROXY', service: proxyService(ticket.service, o.ssl) });
  const connect = await lines.next();
  if (connect.code !== AUTHD_OK) throw refused(where, connect);
  let target: { ssl: boolean };
  try {
    target = decodeConnectReply(connect);
  } catch (err) {
    throw handshake(`${where}: ${(err as Error).message}`);
  }
  if (target.ssl !== o.ssl) throw handshake(`${where} connected ${target.ssl ? 'nbdssl' : 'nbd'} when ${o.ssl ? 'nbdssl' : 'nbd'} was asked`);
  // The host sends nothing more in this session: whatever does come is refused, never taken as NFC.
  if (lines.pendingBytes > 0) throw handshake(`${where} sent more after "200 Connect"`);
  first.tls.removeAllListeners('data');
  first.tls.on('data', () => socket.destroy());
  first.tunnel.detach();

  // 4. The splice.
  if (!o.ssl) return plainChannel(socket);
  const nfcThumbprint = parseThumbprint(announced.text);
  if (!nfcThumbprint || nfcThumbprint.length !== 64) {
    throw handshake(`${where} announced ${JSON.stringify(announced.text.slice(0, 100))} as its NFC certificate's SHA-256 thumbprint`);
  }
  const second = socket.takeOverTls(tlsOptions(ticket.host));
  await secureConnected(second, where, 'the NFC TLS handshake');
  checkCertificate(second, [nfcThumbprint], where, 'the thumbprint authd announced');
  return tlsChannel(socket, second);
}

/** The SHA-1 (and SHA-256) the ticket gives, as lowercase hex; a malformed one is refused. */
function expectedThumbprints(ticket: NfcTicket, where: string): string[] {
  const out: string[] = [];
  for (const t of [ticket.sslThumbprint, ticket.sslThumbprintSha256]) {
    if (t === undefined) continue;
    const hex = parseThumbprint(t);
    if (!hex) throw new VixError(VIX_E_FAIL, `the ticket for ${where} carries a malformed SSL thumbprint`);
    out.push(hex);
  }
  if (out.length === 0) throw new VixError(VIX_E_FAIL, `the ticket for ${where} carries no SSL thumbprint`);
  return out;
}

/** Colon (or plain) hex of 20 or 32 bytes as lowercase hex, else null. */
export function parseThumbprint(text: string): string | null {
  const hex = text.trim().replace(/:/g, '').toLowerCase();
  return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(hex) ? hex : null;
}

function formatThumbprint(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?=.)/g, '$1:');
}

/** The peer certificate must match every expected thumbprint (§2.5); a mismatch is VIX_E_FAIL (§4.8). */
function checkCertificate(secure: TLSSocket, expected: string[], where: string, whose = "the ticket's"): void {
  const der = secure.getPeerCertificate()?.raw;
  for (const want of expected) {
    const got = der ? createHash(want.length === 64 ? 'sha256' : 'sha1').update(der).digest('hex') : '';
    if (got !== want) {
      secure.destroy();
      throw new VixError(VIX_E_FAIL,
        `the certificate of ${where} has thumbprint ${got ? formatThumbprint(got) : '(none)'}, not ${whose} ${formatThumbprint(want)}`);
    }
  }
}

let clientContext: SecureContext | null = null;

/**
 * Both TLS sessions: the certificate is checked by thumbprint after the handshake (§2.5), so no CA
 * store is loaded (Node parses its ~140 roots, ~25 ms of each process's CPU, for nothing); and the
 * suites offered put AES-128-GCM first, which the host then uses for every byte (§3.4).
 */
function tlsOptions(host: string): ConnectionOptions {
  clientContext ??= tls.createSecureContext({ ca: [], ciphers: preferredCiphers(tls.DEFAULT_CIPHERS) });
  return { secureContext: clientContext, rejectUnauthorized: false, ...serverName(host) };
}

function serverName(host: string): { servername?: string } {
  // SNI carries names only; an address is left out (as every TLS client does).
  return /^[0-9.]+$|:/.test(host) ? {} : { servername: host };
}

function secureConnected(secure: TLSSocket, where: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err?: Error) => reject(handshake(`${where}: ${what} failed${err ? `: ${err.message}` : ' (the connection closed)'}`));
    secure.once('secureConnect', () => {
      secure.off('error', fail);
      secure.off('close', onClose);
      resolve();
    });
    const onClose = () => fail();
    secure.once('error', fail);
    secure.once('close', onClose);
  });
}

function handshake(message: string): VixError {
  return new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, message);
}

/**
 * A refusal line. A 5xx at PROXY is a ticket authd will not honour (used, expired, forged or
 * another host's, §3.3): an authentication failure. Anything else out of place is a handshake error.
 */
function refused(where: string, reply: AuthdReply): VixError {
  const text = `${reply.code} ${reply.text}`.slice(0, 200);
  if (reply.code >= 500) return new VixError(VIX_E_AUTHENTICATION_FAIL, `${where} refused the NFC ticket: authd answered "${text}"`);
  return handshake(`${where}: authd answered "${text}" out of place`);
}

/** Reply lines as they come, bounded by the splitter (1016 bytes a line, 16 lines). */
class LineQueue {
  private splitter = new AuthdLineSplitter();
  private readonly lines: AuthdReply[] = [];
  private waiter: { resolve: (r: AuthdReply) => void; reject: (e: VixError) => void } | null = null;
  private failure: VixError | null = null;
  /** Bytes received after the last complete line. */
  pendingBytes = 0;

  constructor(socket: NfcSocket, private readonly where: string) {
    socket.onClose((err) => this.fail(new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE,
      `${where} closed the connection during authd${err ? ` (${err.message})` : ''}`)));
  }

  reset(): void {
    this.splitter = new AuthdLineSplitter();
    this.pendingBytes = 0;
  }

  push(bytes: Uint8Array): void {
    if (this.failure) return;
    try {
      let at = 0;
      while (at < bytes.length) {
        const { text, used } = this.splitter.push(bytes.subarray(at));
        at += used;
        if (text === null) break;
        const reply = decodeAuthdReply(text);
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = null;
          w.resolve(reply);
        } else this.lines.push(reply);
      }
      this.pendingBytes = this.splitter.pending + this.lines.length;
    } catch (err) {
      this.fail(handshake(`${this.where}: ${err instanceof NfcProtocolError ? err.message : String(err)}`));
    }
  }

  next(): Promise<AuthdReply> {
    const line = this.lines.shift();
    if (line) return Promise.resolve(line);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  private fail(err: VixError): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }
}

function plainChannel(socket: NfcSocket): NfcChannel {
  const s = socket.socket;
  return {
    ssl: false,
    write: (bytes) => s.write(bytes),
    cork: () => s.cork(),
    uncork: () => s.uncork(),
    get writableLength() { return s.writableLength; },
    onDrain: (l) => { s.once('drain', l); },
    route: (sink, direct) => socket.route(sink, direct),
    onClose: (l) => socket.onClose(l),
    end: () => { s.end(); },
    destroy: () => socket.destroy(),
  };
}

function tlsChannel(socket: NfcSocket, secure: TLSSocket): NfcChannel {
  let sink: (bytes: Uint8Array) => void = () => undefined;
  // Decrypted bytes straight into the session's buffers where this Node allows it, as on a plain socket.
  const own = socket.readTlsIntoOwnBuffers(secure);
  if (!own) secure.on('data', (bytes: Buffer) => sink(bytes));
  secure.on('close', () => socket.destroy());
  return {
    ssl: true,
    write: (bytes) => secure.write(bytes),
    cork: () => secure.cork(),
    uncork: () => secure.uncork(),
    get writableLength() { return secure.writableLength + socket.socket.writableLength; },
    onDrain: (l) => { secure.once('drain', l); },
    route: (s, direct) => {
      if (own) socket.route(s, direct);
      else sink = s;
    },
    onClose: (l) => socket.onClose(l),
    // close_notify, then the TCP end once it is out.
    end: () => { secure.end(() => socket.socket.end()); },
    destroy: () => { secure.destroy(); socket.destroy(); },
  };
}
