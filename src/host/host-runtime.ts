import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';
import { buildAccessControl, type AccessControl } from './auth/access-control.js';
import { AccessEditor } from './auth/access-editor.js';
import { DisabledMethods } from './auth/disabled-methods.js';
import { parseHostConfig, type HostConfig, type Personality } from './config.js';
import { createDefaultConfig, readGeneratedPasswords } from './default-config.js';
import { HostInventory } from './inventory/host-inventory.js';
import { AuthorizationManagerObject, authorizationMethods } from './methods/authorization.js';
import { NfcServiceObject, nfcServiceMethods, type NfcEndpointAddress } from './methods/nfc-service.js';
import { inventoryServices, type InventoryServices } from './inventory-services.js';
import { NfcEndpoint } from './nfc/nfc-endpoint.js';
import { NfcTicketStore } from './nfc/ticket-store.js';
import { describeCertificate, loadOrCreateCertificate, type HostCertificate } from './soap/certificate.js';
import { SoapService } from './soap/soap-service.js';
import type { SoapServer } from './soap/soap-server.js';
import { DATASTORE_FILE_PREFIX, datastoreFileRoute } from './datastore-file-route.js';
import { AdminEndpoint } from './admin-endpoint.js';
import { DiskLeases, diskLeaseMethods } from './san/disk-lease.js';
import { SanStorage } from './san/san-storage.js';

/**
 * `vixdisk host` for one data folder: reads (or creates) the config and the accounts, opens the
 * inventory, loads (or makes) the certificate, wires every part's objects and methods into the
 * SOAP service, starts one NFC endpoint per ESXi host and the HTTPS endpoint, and the loopback
 * admin endpoint `vixdisk host guest-write|power` talks to. `stop` undoes it all in reverse.
 */

export interface HostRuntimeOptions {
  dataDir: string;
  /** Default DIR/host.json, created with the embedded default's accounts on first start. */
  configFile?: string;
  /** Overrides of the config's values (the command line's --bind, --port, --nfc-port, --personality). */
  bind?: string;
  port?: number;
  nfcPort?: number;
  personality?: Personality;
  /** One line per event worth keeping; never a password, cookie or ticket. */
  log?: (line: string) => void;
}

export interface HostReady {
  url: string;
  personality: Personality;
  thumbprintSha1: string;
  thumbprintSha256: string;
  nfcPorts: number[];
  /** The accounts; `password` only for the embedded default's generated ones. */
  users: Array<{ name: string; role: string; password?: string }>;
  dataDir: string;
}

export const CONFIG_FILE = 'host.json';
export const PASSWORDS_FILE = 'passwords.json';
export const DISABLED_METHODS_FILE = 'disabled-methods.json';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function loadConfig(options: HostRuntimeOptions): Promise<{ config: HostConfig; passwords?: Record<string, string> }> {
  const dataDir = options.dataDir;
  const configFile = options.configFile ?? join(dataDir, CONFIG_FILE);
  const passwordsFile = join(dataDir, PASSWORDS_FILE);
  if (!(await exists(configFile))) {
    if (options.configFile !== undefined) throw new Error(`${configFile}: no such config file`);
    await createDefaultConfig(configFile, passwordsFile, options.personality ?? 'vcenter');
  }
  const config = parseHostConfig(await readFile(configFile, 'utf8'), configFile);
  if (options.bind !== undefined) config.bind = options.bind;
  if (options.port !== undefined) config.port = options.port;
  if (options.nfcPort !== undefined) config.nfcPort = options.nfcPort;
  if (options.personality !== undefined) config.personality = options.personality;
  // Generated passwords are shown only for the default's own config, and only while they still open it.
  const passwords = options.configFile === undefined ? await readGeneratedPasswords(passwordsFile) : undefined;
  return { config, ...(passwords ? { passwords } : {}) };
}

async function loadCertificate(config: HostConfig, dataDir: string): Promise<HostCertificate> {
  if (!config.certificate) return loadOrCreateCertificate(dataDir);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(dataDir, p));
  const certFile = resolve(config.certificate.certFile);
  const keyFile = resolve(config.certificate.keyFile);
  const read = async (file: string, key: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`certificate.${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const [certPem, keyPem] = [await read(certFile, 'certFile'), await read(keyFile, 'keyFile')];
  try {
    return describeCertificate(certPem, keyPem);
  } catch (error) {
    throw new Error(`certificate: ${certFile} and ${keyFile} are not a usable pair (${(error as Error).message})`);
  }
}

export class HostRuntime {
  private readonly endpoints: NfcEndpoint[] = [];
  private readonly nfcPorts: number[] = [];
  private soapServer: SoapServer | undefined;
  private admin: AdminEndpoint | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: HostRuntimeOptions,
    readonly config: HostConfig,
    readonly inventory: HostInventory,
    readonly access: AccessControl,
    readonly certificate: HostCertificate,
    readonly service: SoapService,
    private readonly log: (line: string) => void,
  ) {}

  ready!: HostReady;

  static async start(options: HostRuntimeOptions): Promise<HostRuntime> {
    const log = options.log ?? (() => undefined);
    const dataDir = options.dataDir;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const { config, passwords } = await loadConfig(options);
    const personality = config.personality;

    // LUN-backed datastores are mounted before the inventory opens a disk (docs/san.md).
    const san = await SanStorage.open(dataDir, config.san, log);
    let inventory: HostInventory;
    let certificate: HostCertificate;
    let disabled: DisabledMethods;
    try {
      inventory = await HostInventory.open(dataDir, { personality, luns: san.luns });
      await inventory.setBackupProxies(config.backupProxies ?? []);
      await san.adopt(inventory);
      certificate = await loadCertificate(config, dataDir);
      disabled = await DisabledMethods.open(join(dataDir, DISABLED_METHODS_FILE));
    } catch (error) {
      await san.close(); // unmounts: a failed start leaves no volume mounted in this process
      throw error;
    }
    const rootFolder = inventory.ref('Folder', inventory.record.rootFolder);
    const directory = disabled.overlay(inventory);
    const access = buildAccessControl(config, directory, rootFolder);

    const service = new SoapService({
      description: { personality, rootFolder, instanceUuid: inventory.record.instanceUuid },
      authenticator: access.accounts,
      authorizer: access.authorizer,
      session: {
        idleTimeoutMs: config.sessionIdleTimeoutSeconds * 1000,
        hostName: config.bind,
        sslThumbprint: certificate.thumbprintSha1,
      },
      log,
    });
    const runtime = new HostRuntime(options, config, inventory, access, certificate, service, log);
    runtime.san = san;
    try {
      await runtime.wire(directory, disabled, rootFolder);
      await runtime.listen();
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    runtime.ready = {
      url: runtime.soapServer!.url,
      personality,
      thumbprintSha1: certificate.thumbprintSha1,
      thumbprintSha256: certificate.thumbprintSha256,
      nfcPorts: [...runtime.nfcPorts],
      users: config.users.map((u) => {
        const permission = config.permissions.find((p) => p.principal === u.name && p.entity === '/');
        const password = passwords?.[u.name];
        return { name: u.name, role: permission?.role ?? '', ...(password !== undefined ? { password } : {}) };
      }),
      dataDir,
    };
    log(`host: serving ${runtime.ready.url} (${personality}), NFC on ${runtime.ready.nfcPorts.join(', ')}`);
    return runtime;
  }

  private readonly tickets = new NfcTicketStore();
  private parts: InventoryServices | undefined;
  private san: SanStorage | undefined;
  private readonly nfcAddresses = new Map<string, NfcEndpointAddress>();

  /** Every part's objects and methods into the SOAP service. */
  private async wire(directory: ReturnType<DisabledMethods['overlay']>, disabled: DisabledMethods, rootFolder: ManagedObjectReference): Promise<void> {
    const { service, inventory, config } = this;
    const personality = config.personality;
    const authorization = {
      ref: service.refs.authorizationManager, personality, rootFolder, access: this.access, disabled, directory,
      editor: new AccessEditor({
        access: this.access, rootFolder,
        configFile: this.options.configFile ?? join(this.options.dataDir, CONFIG_FILE),
        entityExists: (ref) => directory.lookup(ref) !== undefined,
        userExists: (name) => this.access.accounts.get(name) !== undefined,
        groupExists: (name) => (config.groups ?? []).includes(name) || config.users.some((u) => (u.groups ?? []).includes(name)),
      }),
      userOfSession: (key: string) => service.sessions.list().find((s) => s.key === key)?.userName,
    };
    const authManager = new AuthorizationManagerObject(authorization);
    const nfcService = new NfcServiceObject(service.refs.nfcService);
    service.addDirectory(directory);
    service.addDirectory({
      lookup: (ref) => {
        if (ref.type === authManager.ref.type && ref.value === authManager.ref.value) return authManager;
        if (ref.type === nfcService.ref.type && ref.value === nfcService.ref.value) return nfcService;
        return undefined;
      },
    });
    this.parts = inventoryServices(inventory, service);
    service.addMethods(this.parts.methods);
    service.addMethods(authorizationMethods(authorization));
    service.addMethods(nfcServiceMethods({
      ref: nfcService.ref, personality, directory, tickets: this.tickets,
      endpointOf: (host) => this.nfcAddresses.get(host.value),
    }));
    service.addGate((call) => disabled.check(call.methodName, call.target));
    const leases = new DiskLeases(inventory, this.san!.luns);
    service.addMethods(diskLeaseMethods(leases));
    service.sessions.onSessionEnd((session) => leases.endSession(session.key));
  }

  private async listen(): Promise<void> {
    const { config, inventory, certificate } = this;
    const der = new X509Certificate(certificate.certPem).raw;
    let index = 0;
    for (const host of inventory.visibleHosts) {
      const ref = inventory.ref('HostSystem', host.morefs);
      const endpoint = new NfcEndpoint({
        host: ref, tickets: this.tickets, files: this.parts!.nfcFiles,
        tls: { key: certificate.keyPem, cert: certificate.certPem }, log: this.log,
      });
      const port = await endpoint.listen(config.nfcPort === 0 ? 0 : config.nfcPort + index, config.bind);
      this.endpoints.push(endpoint);
      this.nfcPorts.push(port);
      this.nfcAddresses.set(ref.value, { address: config.bind, port, thumbprintSha1: certificate.thumbprintSha1 });
      inventory.setHostRuntime(host.name, { nfcPort: port, sslThumbprint: certificate.thumbprintSha1, certificate: der });
      index++;
    }
    this.soapServer = await this.service.listen({
      certPem: certificate.certPem, keyPem: certificate.keyPem, host: config.bind, port: config.port,
      routes: [{ prefix: DATASTORE_FILE_PREFIX, handle: datastoreFileRoute({ inventory, sessions: this.service.sessions, authorizer: this.access.authorizer, log: this.log }) }],
    });
    this.admin = await AdminEndpoint.listen(this.options.dataDir, this.parts!.guest, this.log);
  }

  /** Stops serving: no new calls, sessions ended, NFC connections closed, disks closed. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.admin?.close();
      await this.soapServer?.close();
      await Promise.all(this.endpoints.map((e) => e.close()));
      for (const session of this.service.sessions.list()) this.service.sessions.logout(session);
      await this.parts?.close();
      await this.san?.close();
      this.log('host: stopped');
    })();
    return this.stopping;
  }
}
