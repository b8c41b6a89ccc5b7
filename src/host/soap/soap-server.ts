import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiVersionOfSoapAction, encodeFault, SOAP_REQUEST_LIMITS } from '../../vsphere/soap-codec.js';
import type { SoapFault } from '../../vsphere/soap-fault.js';
import type { Dispatcher } from './dispatcher.js';
import { invalidRequest, systemError } from './faults.js';
import { vimServiceVersionsXml } from './service-instance.js';
import { SESSION_COOKIE_NAME } from './session-manager.js';

/**
 * The host's HTTPS endpoint (reference §2.1): `POST /sdk` to the dispatcher, `GET
 * /sdk/vimServiceVersions.xml` for version negotiation, 405 for other verbs on /sdk and 404
 * elsewhere, as hosts answer. Bodies are bounded before they are read (Content-Length) and while
 * they are read (chunked); slow clients meet header and request timeouts; connections are capped.
 */

export interface SoapServerOptions {
  dispatcher: Dispatcher;
  certPem: string;
  keyPem: string;
  /** Loopback unless asked otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
  maxBodyBytes?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  log?: (line: string) => void;
  /** Other HTTPS routes by path prefix (e.g. `/folder/`, datastore files), tried before 404. */
  routes?: ReadonlyArray<{ prefix: string; handle(req: IncomingMessage, res: ServerResponse): Promise<void> }>;
}

const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

export class SoapServer {
  private readonly server: Server;
  private readonly maxBodyBytes: number;

  private constructor(private readonly options: SoapServerOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? SOAP_REQUEST_LIMITS.maxBytes;
    this.server = createServer({
      cert: options.certPem,
      key: options.keyPem,
      handshakeTimeout: 20_000,
      keepAlive: true,
      headersTimeout: options.headersTimeoutMs ?? 20_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
    }, (req, res) => this.handle(req, res));
    this.server.maxConnections = options.maxConnections ?? 256;
    // A TLS or socket error on one client is that client's problem; log it, keep serving.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  static async listen(options: SoapServerOptions): Promise<SoapServer> {
    const soap = new SoapServer(options);
    await new Promise<void>((resolve, reject) => {
      soap.server.once('error', reject);
      soap.server.listen(options.port ?? 443, options.host ?? '127.0.0.1', () => {
        soap.server.off('error', reject);
        resolve();
      });
    });
    return soap;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `https://127.0.0.1:PORT/sdk` (IPv6 hosts in brackets). */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `https://${address.includes(':') ? `[${address}]` : address}:${port}/sdk`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/sdk/vimServiceVersions.xml') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method Not Allowed', { Allow: 'GET' });
      return void res.writeHead(200, { 'Content-Type': XML_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : vimServiceVersionsXml());
    }
    const route = this.options.routes?.find((r) => path.startsWith(r.prefix));
    if (route) {
      route.handle(req, res).catch(() => {
        if (!res.headersSent) plain(res, 500, 'Internal Server Error');
        else res.destroy();
      });
      return;
    }
    if (path !== '/sdk' && path !== '/sdk/') return plain(res, 404, 'Not Found');
    if (req.method !== 'POST') return plain(res, 405, 'Method Not Allowed', { Allow: 'POST' });
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    if (!/^\s*(text\/xml|application\/soap\+xml|application\/xml)\b/.test(contentType)) {
      return this.fault(res, 415, invalidRequest(`Content-Type '${contentType.slice(0, 60)}' is not text/xml`), true);
    }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > this.maxBodyBytes) {
      return this.fault(res, 413, invalidRequest(`request body of ${declared} bytes exceeds ${this.maxBodyBytes}`), true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        refused = true;
        chunks.length = 0;
        this.fault(res, 413, invalidRequest(`request body exceeds ${this.maxBodyBytes} bytes`), true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (refused) return;
      void this.answer(req, res, Buffer.concat(chunks, size));
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const apiVersion = apiVersionOfSoapAction(req.headers.soapaction as string | undefined);
    const client = {
      ipAddress: req.socket.remoteAddress ?? '', userAgent: String(req.headers['user-agent'] ?? '').slice(0, 256),
      ...(apiVersion !== undefined ? { apiVersion } : {}),
    };
    try {
      const result = await this.options.dispatcher.dispatch(body, sessionCookie(req.headers.cookie), client);
      if (res.destroyed) return;
      const headers: Record<string, string> = { 'Content-Type': XML_CONTENT_TYPE };
      if (result.newSessionCookie !== undefined) {
        headers['Set-Cookie'] = `${SESSION_COOKIE_NAME}="${result.newSessionCookie}"; Path=/; HttpOnly; Secure`;
      }
      res.writeHead(result.statusCode, headers).end(result.body);
    } catch (err) {
      // The dispatcher answers every fault itself; reaching here is a bug, still answered in one line.
      const fault = systemError(err instanceof Error ? err.message : String(err));
      this.options.log?.(`soap: unexpected failure: ${String(fault.fault.reason)}`);
      this.fault(res, 500, fault, false);
    }
  }

  /** A SOAP fault answer; `close` ends the connection after it. */
  private fault(res: ServerResponse, status: number, fault: SoapFault, close: boolean): void {
    if (res.headersSent || res.destroyed) return;
    this.options.log?.(`soap: refused request: HTTP ${status}: ${fault.faultString}`);
    const headers: Record<string, string> = { 'Content-Type': XML_CONTENT_TYPE };
    if (close) headers.Connection = 'close';
    // With Connection: close Node ends the socket after this answer: the rest of the body is never read.
    res.writeHead(status, headers).end(encodeFault(fault));
  }
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
}

/** The `vmware_soap_session` value of a Cookie header, quotes removed (clients echo it as sent). */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE_NAME) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}
