import { request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Authenticator, Authorizer } from '../../src/host/soap/authorizer.js';
import { loadOrCreateCertificate, type HostCertificate } from '../../src/host/soap/certificate.js';
import { noPermission } from '../../src/host/soap/faults.js';
import type { PrivilegeCheck } from '../../src/host/soap/method-handler.js';
import type { HostPersonality } from '../../src/host/soap/service-instance.js';
import { SoapService, type SoapServiceOptions } from '../../src/host/soap/soap-service.js';
import type { SoapServer } from '../../src/host/soap/soap-server.js';
import type { ManagedObject, ObjectDirectory } from '../../src/host/managed-object.js';
import { decodeResponse, encodeRequest } from '../../src/vsphere/soap-codec.js';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';

/**
 * A SOAP host for tests: the real SoapService and HTTPS server on 127.0.0.1 port 0, over a small
 * directory of test objects, with a password table and a privilege table as the accounts part
 * would give them. `SoapTestClient` speaks to it with the project's own codec, keeping the cookie.
 */

/** A test double of an inventory object: fixed properties, changeable with `set`. */
export class FakeObject implements ManagedObject {
  constructor(readonly ref: ManagedObjectReference, public props: Record<string, unknown>, readonly parent?: ManagedObjectReference) {}

  property(name: string): unknown {
    return this.props[name];
  }
}

export class FakeDirectory implements ObjectDirectory {
  readonly objects = new Map<string, FakeObject>();

  add(object: FakeObject): FakeObject {
    this.objects.set(`${object.ref.type}:${object.ref.value}`, object);
    return object;
  }

  lookup(ref: ManagedObjectReference): ManagedObject | undefined {
    return this.objects.get(`${ref.type}:${ref.value}`);
  }
}

/** Users: name -> password; privileges: name -> privilege ids held everywhere ('*' = all). */
export function testAccounts(users: Record<string, { password: string; privileges: string[]; hidden?: string[] }>): {
  authenticator: Authenticator; authorizer: Authorizer;
} {
  return {
    authenticator: {
      verify: async (userName, password) => {
        const user = users[userName];
        return user && user.password === password ? { userName, fullName: `${userName} (test)` } : undefined;
      },
    },
    authorizer: {
      check: (userName: string, checks: PrivilegeCheck[]) => {
        const user = users[userName];
        for (const check of checks) {
          const hidden = user?.hidden?.includes(check.entity.value) ?? false;
          const held = user !== undefined && !hidden && (user.privileges.includes('*') || user.privileges.includes(check.privilegeId));
          if (!held) throw noPermission(check.entity, [check.privilegeId]);
        }
      },
    },
  };
}

let sharedCertificate: Promise<HostCertificate> | undefined;

/** One certificate for a whole test file (RSA key generation is the slow part). */
export function testCertificate(): Promise<HostCertificate> {
  sharedCertificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vixdisk-cert-'));
    try {
      return await loadOrCreateCertificate(dir, 'vixdisk-test');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return sharedCertificate;
}

export interface TestHost {
  service: SoapService;
  server: SoapServer;
  directory: FakeDirectory;
  certificate: HostCertificate;
  logs: string[];
  rootFolder: ManagedObjectReference;
}

export async function startTestHost(
  t: { after: (fn: () => Promise<void> | void) => void },
  options: {
    personality?: HostPersonality;
    users?: Record<string, { password: string; privileges: string[]; hidden?: string[] }>;
    session?: SoapServiceOptions['session'];
    task?: SoapServiceOptions['task'];
    maxConnections?: number;
  } = {},
): Promise<TestHost> {
  const certificate = await testCertificate();
  const personality = options.personality ?? 'vcenter';
  const rootFolder = moref('Folder', personality === 'vcenter' ? 'group-d1' : 'ha-folder-root');
  const directory = new FakeDirectory();
  directory.add(new FakeObject(rootFolder, { name: 'Datacenters', childEntity: [] }));
  const logs: string[] = [];
  const accounts = testAccounts(options.users ?? {
    backup: { password: 'Backup-pw-1', privileges: ['*'] },
    viewer: { password: 'Viewer-pw-1', privileges: ['System.Read', 'System.View'] },
  });
  const service = new SoapService({
    description: { personality, rootFolder, instanceUuid: '5b0c3f0e-0000-4000-8000-00000000c0de' },
    ...accounts,
    session: { failedLoginDelayMs: 20, ...options.session },
    task: options.task,
    log: (line) => logs.push(line),
  });
  service.addDirectory(directory);
  const server = await service.listen({
    certPem: certificate.certPem, keyPem: certificate.keyPem, host: '127.0.0.1', port: 0,
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
  t.after(() => server.close());
  return { service, server, directory, certificate, logs, rootFolder };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to the test host, trusting its certificate. */
export function rawRequest(
  host: TestHost, path: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: host.server.port, path, method: options.method ?? 'POST', ca: host.certificate.certPem,
      headers: { 'Content-Type': 'text/xml; charset="utf-8"', ...options.headers }, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A vim25 client over the project's codec: one cookie, like a govmomi or pyVmomi connection. */
export class SoapTestClient {
  cookie: string | undefined;
  setCookieHeader: string | undefined;
  /** The body of the last answer, as sent. */
  lastBody = '';

  constructor(private readonly host: TestHost) {}

  async call(method: string, target: ManagedObjectReference, args: Record<string, unknown> = {}): Promise<unknown> {
    const headers: Record<string, string> = { SOAPAction: 'urn:vim25/8.0.1.0' };
    if (this.cookie !== undefined) headers.Cookie = this.cookie;
    const res = await rawRequest(this.host, '/sdk', { body: encodeRequest(method, target, args), headers });
    this.lastBody = res.body;
    const setCookie = res.headers['set-cookie'];
    if (setCookie && setCookie.length > 0) {
      this.setCookieHeader = String(setCookie[0]);
      this.cookie = this.setCookieHeader.split(';')[0];
    }
    return decodeResponse(method, res.body);
  }

  login(userName = 'backup', password = 'Backup-pw-1'): Promise<unknown> {
    return this.call('Login', this.host.service.refs.sessionManager, { userName, password });
  }

  /** RetrievePropertiesEx on one object and path set; the returned ObjectContent list. */
  async retrieve(obj: ManagedObjectReference, pathSet: string[], type = obj.type): Promise<unknown> {
    return this.call('RetrievePropertiesEx', this.host.service.refs.propertyCollector, {
      specSet: [{ _type: 'PropertyFilterSpec', propSet: [{ _type: 'PropertySpec', type, pathSet }], objectSet: [{ _type: 'ObjectSpec', obj }] }],
      options: { _type: 'RetrieveOptions' },
    });
  }
}
