import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmod, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The loopback admin endpoint of a running `vixdisk host`: what `vixdisk host guest-write` and
 * `vixdisk host power on|off` call to play a VM's guest (writes reach the disk as the guest's
 * would, change tracking included) and its power button. HTTP on a Unix socket DIR/admin.sock of
 * mode 0600 inside the 0700 data folder: only the user who owns DIR can reach it, no password or
 * token crosses argv or a file. Requests are one JSON object, bounded in size; answers one JSON
 * object `{ ok: true }` or `{ error: "one line" }`.
 */

export const ADMIN_SOCKET = 'admin.sock';
// A guest write carries its data base64 in the body: 64 MiB of data, a little more as base64.
const MAX_BODY_BYTES = 90 << 20;
export const MAX_GUEST_WRITE_BYTES = 64 << 20;

export interface GuestWriteRequest {
  op: 'guest-write';
  vm: string;
  disk: number;
  offset: number;
  data: string;
}

export interface PowerRequest {
  op: 'power';
  vm: string;
  state: 'on' | 'off';
}

/** Register `count` new empty VMs (one thin disk each) named `${prefix}${first}`...; see inventory/vm-creation.ts. */
export interface CreateVmsAdminRequest {
  op: 'create-vms';
  prefix: string;
  count: number;
  first: number;
  datastore: string;
  host: string;
  diskCapacity: number;
}

/**
 * The VM's storage stalls for `ms`: its guest I/O and its disk-changing operations (snapshot create
 * and remove) wait until the stall ends, as on a datastore that stopped answering for a while. Answered
 * once the stall has begun; tests widen a race's window with it (a snapshot task sent now stays running).
 */
export interface StallRequest {
  op: 'stall';
  vm: string;
  ms: number;
}

export const MAX_STALL_MS = 120_000;

export type AdminRequest = GuestWriteRequest | PowerRequest | CreateVmsAdminRequest | StallRequest;

/** What the endpoint asks of the host: the inventory's guest and power operations. */
export interface GuestActions {
  /** Writes `data` at `offset` of the VM's `disk`-th disk (0-based, in device order), as its guest. */
  guestWrite(vm: string, disk: number, offset: number, data: Buffer): Promise<void>;
  setPower(vm: string, on: boolean): Promise<void>;
  /** Registers new empty VMs; resolves with their morefs. */
  createVms(request: Omit<CreateVmsAdminRequest, 'op'>): Promise<string[]>;
  /** Holds the VM's disk I/O for `ms`; resolves once the hold has begun. */
  stallIo(vm: string, ms: number): Promise<void>;
}

function validate(body: unknown): AdminRequest {
  const r = body as Record<string, unknown>;
  if (typeof r !== 'object' || r === null) throw new Error('request must be a JSON object');
  if (r.op === 'create-vms') {
    for (const k of ['prefix', 'datastore', 'host'] as const) {
      if (typeof r[k] !== 'string' || (r[k] as string).length === 0 || (r[k] as string).length > 256) throw new Error(`${k}: must be a name`);
    }
    if (!Number.isInteger(r.count) || (r.count as number) < 1) throw new Error('count: must be a positive integer');
    if (!Number.isInteger(r.first) || (r.first as number) < 0) throw new Error('first: must be an integer >= 0');
    if (!Number.isSafeInteger(r.diskCapacity) || (r.diskCapacity as number) < 512 || (r.diskCapacity as number) % 512 !== 0) {
      throw new Error('diskCapacity: must be a positive multiple of 512');
    }
    return {
      op: 'create-vms', prefix: r.prefix as string, count: r.count as number, first: r.first as number,
      datastore: r.datastore as string, host: r.host as string, diskCapacity: r.diskCapacity as number,
    };
  }
  if (typeof r.vm !== 'string' || r.vm.length === 0 || r.vm.length > 256) throw new Error('vm: must be a VM name or moref');
  if (r.op === 'guest-write') {
    if (!Number.isInteger(r.disk) || (r.disk as number) < 0 || (r.disk as number) > 255) throw new Error('disk: must be 0..255');
    if (!Number.isSafeInteger(r.offset) || (r.offset as number) < 0) throw new Error('offset: must be a byte offset');
    if (typeof r.data !== 'string') throw new Error('data: must be base64');
    return { op: 'guest-write', vm: r.vm, disk: r.disk as number, offset: r.offset as number, data: r.data };
  }
  if (r.op === 'stall') {
    if (!Number.isInteger(r.ms) || (r.ms as number) < 1 || (r.ms as number) > MAX_STALL_MS) throw new Error(`ms: must be 1..${MAX_STALL_MS}`);
    return { op: 'stall', vm: r.vm, ms: r.ms as number };
  }
  if (r.op === 'power') {
    if (r.state !== 'on' && r.state !== 'off') throw new Error("state: must be 'on' or 'off'");
    return { op: 'power', vm: r.vm, state: r.state };
  }
  throw new Error("op: must be 'guest-write', 'power', 'stall' or 'create-vms'");
}

export class AdminEndpoint {
  private constructor(private readonly server: Server, private readonly path: string) {}

  static async listen(dataDir: string, actions: GuestActions, log: (line: string) => void): Promise<AdminEndpoint> {
    const path = join(dataDir, ADMIN_SOCKET);
    // A socket file left by a killed host would make listen fail with EADDRINUSE.
    await unlink(path).catch(() => undefined);
    const server = createServer((req, res) => void handle(req, res, actions, log));
    server.requestTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Created with a umask that leaves nobody else a bit, then made 0600 for certain.
      const umask = process.umask(0o177);
      try {
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(umask);
      }
    });
    await chmod(path, 0o600);
    return new AdminEndpoint(server, path);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await unlink(this.path).catch(() => undefined);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, actions: GuestActions, log: (line: string) => void): Promise<void> {
  const answer = (status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  if (req.method !== 'POST' || req.url !== '/admin') return answer(404, { error: 'POST /admin only' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      answer(413, { error: `request larger than ${MAX_BODY_BYTES} bytes` });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  let request: AdminRequest;
  try {
    request = validate(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  } catch (error) {
    return answer(400, { error: (error as Error).message.split('\n')[0] });
  }
  try {
    if (request.op === 'guest-write') {
      const data = Buffer.from(request.data, 'base64');
      if (data.length === 0 || data.length > MAX_GUEST_WRITE_BYTES) throw new Error(`data: 1..${MAX_GUEST_WRITE_BYTES} bytes`);
      await actions.guestWrite(request.vm, request.disk, request.offset, data);
      log(`admin: guest write of ${data.length} bytes at ${request.offset} to ${request.vm} disk ${request.disk}`);
    } else if (request.op === 'power') {
      await actions.setPower(request.vm, request.state === 'on');
      log(`admin: ${request.vm} powered ${request.state}`);
    } else if (request.op === 'stall') {
      await actions.stallIo(request.vm, request.ms);
      log(`admin: ${request.vm} storage stalls for ${request.ms} ms`);
    } else {
      const { op: _op, ...rest } = request;
      const created = await actions.createVms(rest);
      log(`admin: ${created.length} VMs created on [${request.datastore}] (${request.prefix}${request.first}..)`);
    }
    answer(200, { ok: true });
  } catch (error) {
    answer(409, { error: (error as Error).message.replace(/\s+/g, ' ') });
  }
}

/** The client side, for the CLI: one request to the host running on `dataDir`. */
export function callAdmin(dataDir: string, body: AdminRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dataDir, ADMIN_SOCKET), path: '/admin', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: { ok?: boolean; error?: string } = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
        } catch {
          // fall through to the status line
        }
        if (res.statusCode === 200 && parsed.ok) resolve();
        else reject(new Error(parsed.error ?? `admin endpoint answered ${res.statusCode}`));
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
        ? `no vixdisk host is running on ${dataDir}` : error.message));
    });
    req.end(JSON.stringify(body));
  });
}
