import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostInventory } from './inventory/host-inventory.js';
import type { Authorizer } from './soap/authorizer.js';
import type { SessionManager } from './soap/session-manager.js';
import { SESSION_COOKIE_NAME } from './soap/session-manager.js';

/**
 * GET (and HEAD) /folder/<path>?dcPath=<datacenter>&dsName=<datastore>: a datastore file, as
 * vCenter and ESXi serve them over HTTPS (what backup products fetch a VM's .vmx with, and
 * govc datastore.download / pyVmomi use). The caller's SOAP session cookie authenticates (or a
 * generic service ticket for this URL in the vmware_cgi_ticket cookie, as ESXi accepts); the
 * user needs Datastore.Browse on the datastore (vSphere's privilege for downloading a datastore
 * file). Answers: 200 with the bytes, 401 without a live session, 403 without the privilege, 404
 * for an unknown datacenter, datastore or file (a folder included: no listings here), 405 for
 * other verbs (uploads are not served). The path is confined to the datastore's folder.
 */

export interface DatastoreFileRouteOptions {
  inventory: HostInventory;
  sessions: SessionManager;
  authorizer: Authorizer;
  log?: (line: string) => void;
}

export const DATASTORE_FILE_PREFIX = '/folder/';

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
}

/** ESXi's cookie for a generic service ticket (AcquireGenericServiceTicket, httpGet on this URL). */
const CGI_TICKET_COOKIE = 'vmware_cgi_ticket';

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=').replace(/^"|"$/g, '');
  }
  return undefined;
}

export function datastoreFileRoute(o: DatastoreFileRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { inventory } = o;
  const dcName = inventory.personality === 'esxi' ? 'ha-datacenter' : inventory.record.datacenter.name;
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'https://host');
    // A live session's cookie, or a one-time service ticket issued for exactly this URL and verb.
    const ticket = cookieOf(req.headers.cookie, CGI_TICKET_COOKIE);
    const userName = o.sessions.lookup(cookieOf(req.headers.cookie, SESSION_COOKIE_NAME))?.userName
      ?? (ticket ? o.sessions.redeemServiceTicket(ticket, `https://${req.headers.host ?? ''}${req.url ?? ''}`, 'httpGet') : undefined);
    if (!userName) return plain(res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="VMware HTTP server"' });
    const session = { userName };
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname.slice(DATASTORE_FILE_PREFIX.length));
    } catch {
      return plain(res, 404, 'Not Found');
    }
    const dsName = url.searchParams.get('dsName') ?? '';
    const dcPath = url.searchParams.get('dcPath') ?? dcName;
    const ds = inventory.datastore(dsName);
    if (dcPath !== dcName || !ds || rel === '' || rel.includes('\0')) return plain(res, 404, 'Not Found');
    try {
      o.authorizer.check(session.userName, [{ privilegeId: 'Datastore.Browse', entity: inventory.ref('Datastore', ds.morefs) }]);
    } catch {
      o.log?.(`datastore file: ${session.userName} lacks Datastore.Browse on ${ds.name}`);
      return plain(res, 403, 'Forbidden');
    }
    let abs: string;
    try {
      abs = await inventory.resolveDatastorePath(`[${ds.name}] ${rel}`);
    } catch {
      return plain(res, 404, 'Not Found');
    }
    const st = await stat(abs).catch(() => null);
    if (!st || !st.isFile()) return plain(res, 404, 'Not Found');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(st.size) });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(abs);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}
