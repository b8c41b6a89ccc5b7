import { Agent, request, type AgentOptions } from 'node:https';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { VixError } from '../errors/vix-error.js';
import {
  VIX_E_FAIL, VIX_E_FILE_NOT_FOUND, VIX_E_HOST_NETWORK_CONN_REFUSED, VIX_E_HOST_SERVER_NOT_FOUND, VIX_E_HOST_TCP_CONN_LOST,
  VIX_E_HOST_TCP_SOCKET_ERROR, VIX_E_HOST_USER_PERMISSIONS, VIX_E_INVALID_ARG,
} from '../errors/error-codes.js';
import { decodeResponse, encodeRequest } from './soap-codec.js';
import { SoapFault } from './soap-fault.js';
import type { ManagedObjectReference } from './vim-types.js';
import { plainValue } from './vim-value-codec.js';

// A vim25 SOAP client (reference §2.1): POST /sdk over HTTPS with a keep-alive agent, the server's
// certificate pinned by thumbprint (§2.5) and checked on every new TLS connection BEFORE the
// connection is handed to HTTP — so no request, and no password, ever reaches a server that is not
// the one the caller named. The session cookie (`vmware_soap_session`) is echoed verbatim.

export const VIM_SOAP_ACTION = 'urn:vim25/8.0.1.0';
const COOKIE_NAME = 'vmware_soap_session';
/** vim25 responses are small except property dumps of large inventories. */
const DEFAULT_MAX_RESPONSE = 32 * 1024 * 1024;

export interface VimClientOptions {
  host: string;
  /** 0 or absent: 443. */
  port?: number;
  /** SHA-1 (20 colon-separated pairs) or SHA-256 (32 pairs) of the server's DER certificate. */
  thumbprint: string;
  /** Per request: connect + answer (default 120 s). */
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/** A thumbprint in canonical form (upper-case colon hex), or null when it is not 20 or 32 pairs. */
export function normalizeThumbprint(text: string): string | null {
  const hex = text.trim().replace(/[:\s-]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex) || (hex.length !== 40 && hex.length !== 64)) return null;
  return hex.match(/../g)!.join(':');
}

/** Thrown when the server's certificate is not the pinned one: VDDK's generic failure, both thumbprints named. */
export class ThumbprintMismatch extends VixError {
  constructor(readonly where: string, readonly expected: string, readonly actual: string) {
    super(VIX_E_FAIL, `Failed to verify SSL certificate of ${where}: actual thumbprint=${actual} expected=${expected}`);
    this.name = 'ThumbprintMismatch';
  }
}

/** The service content fields a client uses (the whole object is kept in `raw`). */
export interface ServiceContentRefs {
  raw: Record<string, unknown>;
  rootFolder: ManagedObjectReference;
  propertyCollector: ManagedObjectReference;
  sessionManager: ManagedObjectReference;
  authorizationManager?: ManagedObjectReference;
  searchIndex?: ManagedObjectReference;
  apiType: string;
  apiVersion: string;
}

export function moRef(type: string, value: string): ManagedObjectReference {
  return { _type: 'ManagedObjectReference', type, value } as ManagedObjectReference;
}

/** An https.Agent whose connections are handed over only once the peer certificate matched. */
class PinnedAgent extends Agent {
  constructor(options: AgentOptions, private readonly check: (socket: TLSSocket) => VixError | null) {
    super(options);
  }

  override createConnection(options: ConnectionOptions, oncreate: (err: Error | null, socket?: Duplex) => void): undefined {
    // A self-signed host certificate is normal (rui.crt): trust comes from the thumbprint alone,
    // as VDDK does; CA validation is not what pins it.
    const socket = tlsConnect({ ...options, rejectUnauthorized: false });
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        oncreate(err);
      } else {
        oncreate(null, socket);
      }
    };
    const onError = (err: Error) => finish(err);
    socket.once('error', onError);
    socket.once('secureConnect', () => finish(this.check(socket)));
    return undefined;
  }
}

export class VimClient {
  readonly host: string;
  readonly port: number;
  readonly thumbprint: string;
  private readonly agent: PinnedAgent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private cookieValue: string | null = null;
  private contentCache: ServiceContentRefs | null = null;
  private internal: ManagedObjectReference | null = null;
  /** SHA-1 and SHA-256 of the certificate last seen (also when it did not match). */
  peerThumbprints: { sha1: string; sha256: string } | null = null;

  constructor(o: VimClientOptions) {
    const pinned = normalizeThumbprint(o.thumbprint ?? '');
    if (!pinned) {
      throw new VixError(VIX_E_INVALID_ARG, `thumbprint "${String(o.thumbprint).slice(0, 120)}" is not 20 (SHA-1) or 32 (SHA-256) colon-separated hex pairs`);
    }
    this.host = o.host;
    this.port = o.port || 443;
    this.thumbprint = pinned;
    this.timeoutMs = o.timeoutMs ?? 120_000;
    this.maxResponseBytes = o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
    this.agent = new PinnedAgent({ keepAlive: true, maxSockets: 4 }, (socket) => this.checkPeer(socket));
  }

  get where(): string {
    return `${this.host}:${this.port}`;
  }

  /** The session cookie value (for SESSIONID reuse by another connection); null before login. */
  get cookie(): string | null {
    return this.cookieValue;
  }

  private checkPeer(socket: TLSSocket): VixError | null {
    const cert = socket.getPeerCertificate();
    if (!cert || !cert.fingerprint) return new VixError(VIX_E_FAIL, `${this.where} presented no certificate`);
    this.peerThumbprints = { sha1: cert.fingerprint, sha256: cert.fingerprint256 };
    const actual = this.thumbprint.length === 59 ? cert.fingerprint : cert.fingerprint256;
    if (actual.toUpperCase() !== this.thumbprint) return new ThumbprintMismatch(this.where, this.thumbprint, actual.toUpperCase());
    return null;
  }

  /** One vim25 call: the decoded returnval, or the server's fault as a SoapFault (a VixError). */
  async call(method: string, target: ManagedObjectReference, args: Record<string, unknown> = {}): Promise<unknown> {
    const body = encodeRequest(method, target, args);
    const { status, text } = await this.post(body, method);
    if (status !== 200 && status !== 500) {
      throw new VixError(VIX_E_FAIL, `${this.where}: ${method} answered HTTP ${status}${text ? `: ${oneLine(text).slice(0, 160)}` : ''}`);
    }
    try {
      return decodeResponse(method, text);
    } catch (err) {
      if (err instanceof SoapFault) throw err;
      throw new VixError(VIX_E_FAIL, `${this.where}: ${method}: malformed answer: ${(err as Error).message}`);
    }
  }

  private post(body: string, method: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.host,
        port: this.port,
        path: '/sdk',
        method: 'POST',
        agent: this.agent,
        servername: isIp(this.host) ? undefined : this.host,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: VIM_SOAP_ACTION,
          'content-length': Buffer.byteLength(body),
          ...(this.cookieValue ? { cookie: `${COOKIE_NAME}=${this.cookieValue}` } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxResponseBytes) {
            req.destroy(new VixError(VIX_E_FAIL, `${this.where}: ${method} answer exceeds ${this.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          for (const line of [res.headers['set-cookie'] ?? []].flat()) {
            const m = new RegExp(`^\\s*${COOKIE_NAME}=([^;]*)`).exec(line);
            if (m) this.cookieValue = m[1]!;
          }
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => reject(this.networkError(err, method)));
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `${this.where}: no answer to ${method} in ${this.timeoutMs} ms`));
      });
      req.on('error', (err) => reject(this.networkError(err, method)));
      req.end(body);
    });
  }

  private networkError(err: unknown, method: string): VixError {
    if (err instanceof VixError) return err;
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ECONNREFUSED') return new VixError(VIX_E_HOST_NETWORK_CONN_REFUSED, `${this.where}: connection refused`);
    if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return new VixError(VIX_E_HOST_SERVER_NOT_FOUND, `${this.host}: no such host`);
    if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') return new VixError(VIX_E_HOST_TCP_CONN_LOST, `${this.where}: connection lost during ${method}`);
    return new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `${this.where}: ${method}: ${e?.code ?? e?.message ?? String(err)}`);
  }

  /**
   * GET a file the server serves over HTTPS with the session cookie, as vCenter and ESXi serve
   * datastore files (`/folder/<path>?dcPath=…&dsName=…`): the body, at most `maxBytes`; an HTTP
   * error is one line naming the status (404: no such file, 401/403: no session or privilege).
   */
  getFile(path: string, maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.host, port: this.port, path, method: 'GET', agent: this.agent,
        servername: isIp(this.host) ? undefined : this.host,
        headers: this.cookieValue ? { cookie: `${COOKIE_NAME}=${this.cookieValue}` } : {},
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy(new VixError(VIX_E_FAIL, `${this.where}: ${path.split('?')[0]} is larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 200) resolve(Buffer.concat(chunks));
          else reject(new VixError(status === 404 ? VIX_E_FILE_NOT_FOUND : status === 401 || status === 403 ? VIX_E_HOST_USER_PERMISSIONS : VIX_E_FAIL,
            `${this.where}: GET ${path.split('?')[0]} answered HTTP ${status}`));
        });
        res.on('error', (err) => reject(this.networkError(err, 'GET')));
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `${this.where}: no answer to GET in ${this.timeoutMs} ms`));
      });
      req.on('error', (err) => reject(this.networkError(err, 'GET')));
      req.end();
    });
  }

  // ---- helpers -------------------------------------------------------------------------

  async serviceContent(): Promise<ServiceContentRefs> {
    if (this.contentCache) return this.contentCache;
    const raw = await this.call('RetrieveServiceContent', moRef('ServiceInstance', 'ServiceInstance')) as Record<string, any>;
    const about = (raw.about ?? {}) as Record<string, string>;
    this.contentCache = {
      raw,
      rootFolder: raw.rootFolder,
      propertyCollector: raw.propertyCollector,
      sessionManager: raw.sessionManager,
      authorizationManager: raw.authorizationManager,
      searchIndex: raw.searchIndex,
      apiType: about.apiType ?? 'HostAgent',
      apiVersion: about.apiVersion ?? '',
    };
    return this.contentCache;
  }

  get isVCenter(): boolean {
    return this.contentCache?.apiType === 'VirtualCenter';
  }

  async login(userName: string, password: string): Promise<Record<string, unknown>> {
    const sc = await this.serviceContent();
    return await this.call('Login', sc.sessionManager, { userName, password }) as Record<string, unknown>;
  }

  /** Reuse a live session (VIXDISKLIB_CRED_SESSIONID): its cookie, checked by reading the current session. */
  async loginBySessionId(cookie: string): Promise<Record<string, unknown>> {
    const m = new RegExp(`^\\s*(?:${COOKIE_NAME}=)?([^;]*)`).exec(cookie);
    this.cookieValue = m![1]!;
    const sc = await this.serviceContent();
    const session = await this.retrieveProperties(sc.sessionManager, ['currentSession']);
    const current = session.currentSession as Record<string, unknown> | undefined;
    if (!current) {
      this.cookieValue = null;
      throw new SoapFault({ _type: 'NotAuthenticated' }, 'The session is not authenticated.');
    }
    return current;
  }

  /** VIXDISKLIB_CRED_TICKETID: a clone ticket from AcquireCloneTicket becomes a session here. */
  async cloneSession(ticket: string): Promise<Record<string, unknown>> {
    const sc = await this.serviceContent();
    return await this.call('CloneSession', sc.sessionManager, { cloneTicket: ticket }) as Record<string, unknown>;
  }

  async acquireCloneTicket(): Promise<string> {
    const sc = await this.serviceContent();
    return await this.call('AcquireCloneTicket', sc.sessionManager) as string;
  }

  async logout(): Promise<void> {
    if (!this.cookieValue) return;
    const sc = await this.serviceContent();
    try {
      await this.call('Logout', sc.sessionManager);
    } finally {
      this.cookieValue = null;
    }
  }

  /** Close idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Properties of one object by path; a path the server reports missing throws its fault. */
  async retrieveProperties(obj: ManagedObjectReference, paths: string[]): Promise<Record<string, unknown>> {
    const sc = await this.serviceContent();
    const result = await this.call('RetrievePropertiesEx', sc.propertyCollector, {
      specSet: [{ _type: 'PropertyFilterSpec', propSet: [{ _type: 'PropertySpec', type: obj.type, pathSet: paths }], objectSet: [{ _type: 'ObjectSpec', obj }] }],
      options: { _type: 'RetrieveOptions' },
    }) as { objects?: Array<{ propSet?: Array<{ name: string; val: unknown }>; missingSet?: Array<{ path: string; fault: { fault: { _type: string }; localizedMessage?: string } }> }> } | undefined;
    const out: Record<string, unknown> = {};
    const object = result?.objects?.[0];
    if (!object) {
      throw new SoapFault({ _type: 'ManagedObjectNotFound', obj } as never,
        `The object 'vim.${obj.type}:${obj.value}' has already been deleted or has not been completely created`);
    }
    for (const p of object.propSet ?? []) out[p.name] = plainValue(p.val);
    const missing = object.missingSet?.[0];
    if (missing) throw new SoapFault(missing.fault.fault as never, missing.fault.localizedMessage ?? `property ${missing.path} of ${obj.value}`);
    return out;
  }

  /** Poll a Task's info until it succeeds (its result) or fails (its fault, thrown). */
  async waitForTask(task: ManagedObjectReference, timeoutMs = 600_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    let delay = 20;
    for (;;) {
      const { info } = await this.retrieveProperties(task, ['info']) as { info: { state: string; result?: unknown; error?: { fault: { _type: string }; localizedMessage?: string } } };
      if (info.state === 'success') return plainValue(info.result);
      if (info.state === 'error') {
        const f = info.error?.fault ?? { _type: 'SystemError' };
        throw new SoapFault(f as never, info.error?.localizedMessage ?? `task ${task.value} failed`);
      }
      if (Date.now() > deadline) throw new VixError(VIX_E_FAIL, `task ${task.value} did not finish in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }

  /** The internal NfcService moref (RetrieveInternalContent, §2.3.8). */
  async nfcService(): Promise<ManagedObjectReference> {
    if (this.internal) return this.internal;
    const content = await this.call('RetrieveInternalContent', moRef('ServiceInstance', 'ServiceInstance')) as { nfcService?: ManagedObjectReference } | undefined;
    if (!content?.nfcService) throw new VixError(VIX_E_FAIL, `${this.where} has no NfcService (RetrieveInternalContent named none)`);
    this.internal = content.nfcService;
    return this.internal;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
