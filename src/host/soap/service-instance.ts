import { moref, type ManagedObjectReference } from '../../vsphere/vim-types.js';
import type { ManagedObject } from '../managed-object.js';
import type { MethodTable } from './method-handler.js';

/**
 * The ServiceInstance of one host personality (reference §2.2, §2.3.1): the ServiceContent with
 * the morefs real vCenter (vpxd) and ESXi (hostd) use, and the internal content VDDK reads the
 * NfcService moref from (§2.3.8).
 */

export type HostPersonality = 'vcenter' | 'esxi';

export const API_VERSION = '8.0.1.0';
const PRODUCT_VERSION = '8.0.1';
const BUILD = { vcenter: '21560480', esxi: '21495797' } as const;

/** The API versions /sdk/vimServiceVersions.xml announces (clients negotiate against these). */
export const PRIOR_API_VERSIONS = [
  '8.0.0.0', '7.0.3.0', '7.0.2.0', '7.0.1.0', '7.0.0.0', '6.9.1', '6.8.7', '6.7.3', '6.7.2', '6.7.1', '6.7', '6.5', '6.0',
  '5.5', '5.1', '5.0', '4.1', '4.0',
];

/** The managers' morefs: vpxd names them after their type, hostd with an `ha-` prefix. */
export interface ServiceMorefs {
  serviceInstance: ManagedObjectReference;
  sessionManager: ManagedObjectReference;
  propertyCollector: ManagedObjectReference;
  viewManager: ManagedObjectReference;
  taskManager: ManagedObjectReference;
  authorizationManager: ManagedObjectReference;
  searchIndex: ManagedObjectReference;
  nfcService: ManagedObjectReference;
}

export function serviceMorefs(personality: HostPersonality): ServiceMorefs {
  const vc = personality === 'vcenter';
  return {
    serviceInstance: moref('ServiceInstance', 'ServiceInstance'),
    sessionManager: moref('SessionManager', vc ? 'SessionManager' : 'ha-sessionmgr'),
    propertyCollector: moref('PropertyCollector', vc ? 'propertyCollector' : 'ha-property-collector'),
    viewManager: moref('ViewManager', vc ? 'ViewManager' : 'ViewManager'),
    taskManager: moref('TaskManager', vc ? 'TaskManager' : 'ha-taskmgr'),
    authorizationManager: moref('AuthorizationManager', vc ? 'AuthorizationManager' : 'ha-authmgr'),
    searchIndex: moref('SearchIndex', vc ? 'SearchIndex' : 'ha-searchindex'),
    nfcService: moref('NfcService', vc ? 'nfcService' : 'ha-nfc-service'),
  };
}

/** What the runtime tells the ServiceInstance about the host it fronts. */
export interface ServiceDescription {
  personality: HostPersonality;
  rootFolder: ManagedObjectReference;
  /** AboutInfo.instanceUuid (stable across restarts: the runtime keeps it in its data folder). */
  instanceUuid: string;
  /**
   * ServiceContent fields for the managers other parts serve (fileManager, virtualDiskManager...),
   * by field name; only managers that exist are listed, so a client never gets a dead moref.
   */
  extraManagers?: Record<string, ManagedObjectReference>;
}

export function aboutInfo(description: ServiceDescription): Record<string, unknown> {
  const vc = description.personality === 'vcenter';
  const build = BUILD[description.personality];
  const name = vc ? 'VMware vCenter Server' : 'VMware ESXi';
  return {
    _type: 'AboutInfo',
    name,
    fullName: `${name} ${PRODUCT_VERSION} build-${build}`,
    vendor: 'VMware, Inc.',
    version: PRODUCT_VERSION,
    patchLevel: vc ? undefined : '0.0',
    build,
    localeVersion: 'INTL',
    localeBuild: '000',
    osType: vc ? 'linux-x64' : 'vmnix-x86',
    productLineId: vc ? 'vpx' : 'embeddedEsx',
    apiType: vc ? 'VirtualCenter' : 'HostAgent',
    apiVersion: API_VERSION,
    instanceUuid: vc ? description.instanceUuid : undefined,
    licenseProductName: vc ? 'VMware VirtualCenter Server' : 'VMware ESX Server',
    licenseProductVersion: '8.0',
  };
}

export function serviceContent(description: ServiceDescription): Record<string, unknown> {
  const refs = serviceMorefs(description.personality);
  return {
    _type: 'ServiceContent',
    rootFolder: description.rootFolder,
    propertyCollector: refs.propertyCollector,
    viewManager: refs.viewManager,
    about: aboutInfo(description),
    sessionManager: refs.sessionManager,
    authorizationManager: refs.authorizationManager,
    taskManager: refs.taskManager,
    searchIndex: refs.searchIndex,
    ...description.extraManagers,
  };
}

/** The ServiceInstance object: `content` and `serverClock` for the property collector. */
export class ServiceInstanceObject implements ManagedObject {
  readonly ref: ManagedObjectReference;

  constructor(private readonly description: ServiceDescription) {
    this.ref = serviceMorefs(description.personality).serviceInstance;
  }

  property(name: string): unknown {
    if (name === 'content') return serviceContent(this.description);
    if (name === 'serverClock') return new Date();
    return undefined;
  }
}

/** RetrieveServiceContent and RetrieveInternalContent need no session; CurrentTime does. */
export function serviceInstanceMethods(description: ServiceDescription): MethodTable {
  const refs = serviceMorefs(description.personality);
  return new Map([
    ['RetrieveServiceContent', { needsSession: false, run: () => serviceContent(description) }],
    ['RetrieveInternalContent', {
      needsSession: false,
      run: () => ({ _type: 'InternalServiceInstanceContent', nfcService: refs.nfcService }),
    }],
    ['CurrentTime', { run: () => new Date() }],
  ]);
}

/** GET /sdk/vimServiceVersions.xml, as vCenter and hostd serve it (pyVmomi negotiates with it). */
export function vimServiceVersionsXml(): string {
  const prior = PRIOR_API_VERSIONS.map((v) => `      <version>${v}</version>\n`).join('');
  return '<?xml version="1.0" encoding="UTF-8" ?>\n'
    + '<namespaces version="1.0">\n  <namespace>\n    <name>urn:vim25</name>\n'
    + `    <version>${API_VERSION}</version>\n    <priorVersions>\n${prior}    </priorVersions>\n`
    + '  </namespace>\n</namespaces>\n';
}
