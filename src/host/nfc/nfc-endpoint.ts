import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { VixError } from '../../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../../errors/error-codes.js';
import { BufferPool } from '../../nbd/buffer-pool.js';
import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { ByteBudget } from '../../block/byte-budget.js';
import { NfcConnection } from './nfc-connection.js';
import type { NfcFileAccess } from './nfc-file-access.js';
import { DEFAULT_SESSION_LIMITS, type NfcSessionLimits } from './nfc-session.js';
import type { NfcTicketStore } from './ticket-store.js';

// One ESXi host's NFC port (vsphere-remote.md §3, §4): authd and NFC on one TCP port, as port 902
// of a real host. Tickets come from the store the SOAP side issues into; files are opened through
// the inventory's NfcFileAccess. Bounded: connections, the time to reach an NFC session, idle
// time, and IO data held per connection and for the whole endpoint.

export interface NfcEndpointLimits extends NfcSessionLimits {
  /** Connections at once; past it a new one is told so in plaintext and closed. */
  maxConnections: number;
  /** From accept to the end of the classic NFC handshake (authd included). */
  handshakeTimeoutMs: number;
  /** An NFC session with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** Read data held by all connections together. */
  maxEndpointBytes: number;
}

export const DEFAULT_ENDPOINT_LIMITS: NfcEndpointLimits = {
  ...DEFAULT_SESSION_LIMITS,
  maxConnections: 256,
  handshakeTimeoutMs: 30_000,
  idleTimeoutMs: 15 * 60_000,
  maxEndpointBytes: 256 << 20,
};

export interface NfcEndpointOptions {
  /** The ESXi host this endpoint belongs to: tickets for other hosts are refused. */
  host: ManagedObjectReference;
  tickets: NfcTicketStore;
  files: NfcFileAccess;
  /** The host's certificate: both TLS sessions present it; its SHA-1 is the tickets' sslThumbprint. */
  tls: { key: string | Buffer; cert: string | Buffer };
  /** One line per event worth keeping (connections, refusals, failures); never a ticket or password. */
  log?: (line: string) => void;
  limits?: Partial<NfcEndpointLimits>;
}

export class NfcEndpoint {
  /** Colon-hex SHA-1 and SHA-256 thumbprints of the host certificate (tickets carry the SHA-1). */
  readonly thumbprintSha1: string;
  readonly thumbprintSha256: string;
  readonly limits: NfcEndpointLimits;
  private readonly server: net.Server;
  private readonly connections = new Set<NfcConnection>();
  private readonly secureContext: tls.SecureContext;
  private readonly log: (line: string) => void;
  private readonly endpointBudget: ByteBudget;
  private readonly pool = new BufferPool(32 << 20, 2 << 20);

  constructor(private readonly options: NfcEndpointOptions) {
    this.limits = { ...DEFAULT_ENDPOINT_LIMITS, ...options.limits };
    this.log = options.log ?? (() => undefined);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(options.tls.cert);
      this.secureContext = tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' });
    } catch (err) {
      throw new VixError(VIX_E_INVALID_ARG, `NFC endpoint: the host certificate or key is not usable: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.thumbprintSha1 = cert.fingerprint;
    this.thumbprintSha256 = cert.fingerprint256;
    this.endpointBudget = new ByteBudget(this.limits.maxEndpointBytes);
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.log(`NFC endpoint: ${err.message}`));
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Listen on `port` (0: a free one) on loopback unless `bind` says otherwise; the port. */
  listen(port: number, bind = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new VixError(VIX_E_INVALID_ARG, `NFC endpoint cannot listen on ${bind}:${port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(port, bind, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stop listening, end every session and close every disk they opened. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const all = [...this.connections];
    for (const c of all) c.destroy('the NFC endpoint is closing');
    await Promise.all(all.map((c) => c.closed));
    if (this.server.listening) await stopped;
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.limits.maxConnections) {
      this.log(`NFC: refused ${socket.remoteAddress}: ${this.limits.maxConnections} connections already`);
      socket.on('error', () => undefined);
      socket.end('421 Too many connections\r\n');
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const connection = new NfcConnection(socket, {
      secureContext: this.secureContext,
      authd: {
        host: this.options.host,
        thumbprintSha1: this.thumbprintSha1,
        thumbprintSha256: this.thumbprintSha256,
        redeem: (id) => this.options.tickets.redeem(id),
      },
      session: { files: this.options.files, limits: this.limits, endpointBudget: this.endpointBudget, pool: this.pool, log: this.log },
      handshakeTimeoutMs: this.limits.handshakeTimeoutMs,
      idleTimeoutMs: this.limits.idleTimeoutMs,
      log: this.log,
    });
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
  }
}
