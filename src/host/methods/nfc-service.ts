import type { ManagedObjectReference } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';
import type { ManagedObject, ObjectDirectory } from '../managed-object.js';
import type { MethodTable, PrivilegeCheck, SoapCall } from '../soap/method-handler.js';

/**
 * The internal NfcService (reference §2.3.8): the ticket calls VDDK makes before it dials authd on
 * a host's NFC port. Each returns a one-time HostServiceTicket issued into the NFC server's ticket
 * store, scoped to the VM (and disk), to one ESXi host, read-only or not.
 */

/** What the ticket store records (src/host/nfc/ticket-store.ts NfcTicketGrant). */
export interface NfcGrant {
  vm: ManagedObjectReference;
  host: ManagedObjectReference;
  diskDeviceKey?: number;
  readOnly: boolean;
  userName: string;
  service: string;
}

export interface NfcTicketIssuer {
  issue(grant: NfcGrant): { sessionId: string };
}

/** Where one ESXi host's NFC endpoint listens. */
export interface NfcEndpointAddress {
  /** The address clients dial (the host's management address). */
  address: string;
  port: number;
  /** Colon-hex SHA-1 of the endpoint's certificate. */
  thumbprintSha1: string;
}

export interface NfcServiceOptions {
  ref: ManagedObjectReference;
  personality: 'esxi' | 'vcenter';
  directory: ObjectDirectory;
  tickets: NfcTicketIssuer;
  /** The NFC endpoint of an ESXi host (by HostSystem moref value), undefined when it has none. */
  endpointOf(host: ManagedObjectReference): NfcEndpointAddress | undefined;
}

/** NFCLIB version an ESXi 8 host reports (§2.3.8). */
const SERVER_NFC_LIB_VERSION = 11;

export class NfcServiceObject implements ManagedObject {
  constructor(readonly ref: ManagedObjectReference) {}

  property(): unknown {
    return undefined;
  }
}

function invalidArgument(property: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: property }, `A specified parameter was not correct: ${property}`);
}

function notFound(ref: ManagedObjectReference): SoapFault {
  return new SoapFault({ _type: 'ManagedObjectNotFound', obj: ref },
    `The object 'vim.${ref.type}:${ref.value}' has already been deleted or has not been completely created`);
}

function isRef(value: unknown, type?: string): value is ManagedObjectReference {
  const ref = value as ManagedObjectReference | undefined;
  return typeof ref === 'object' && ref !== null && ref._type === 'ManagedObjectReference' && (type === undefined || ref.type === type);
}

/** Walks a data-object path (`config.hardware.device`) through a managed object's property values. */
function valueAt(object: ManagedObject, path: string): unknown {
  const [top, ...rest] = path.split('.');
  let at: unknown = object.property(top!);
  for (const part of rest) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined;
  return at;
}

export function nfcServiceMethods(options: NfcServiceOptions): MethodTable {
  const vmArg = (call: SoapCall): ManagedObjectReference => {
    if (!isRef(call.args.vm, 'VirtualMachine')) throw invalidArgument('vm');
    return call.args.vm;
  };
  // The privilege is checked on the VM the ticket is for (§7), inherited from the root as granted.
  const onVm = (privilegeId: string) => (call: SoapCall): PrivilegeCheck[] =>
    [{ privilegeId, entity: isRef(call.args.vm) ? call.args.vm : call.target }];

  /** The ESXi host that serves the ticket: hostForAccess if given, else the VM's runtime.host. */
  const serving = (call: SoapCall, vm: ManagedObject): ManagedObjectReference => {
    const requested = call.args.hostForAccess;
    if (requested !== undefined) {
      if (!isRef(requested, 'HostSystem')) throw invalidArgument('hostForAccess');
      if (!options.directory.lookup(requested)) throw notFound(requested);
      return requested;
    }
    const host = valueAt(vm, 'runtime.host');
    if (!isRef(host, 'HostSystem')) {
      throw new SoapFault({ _type: 'InvalidState' }, 'The virtual machine is not on a host that can serve NFC.');
    }
    return host;
  };

  const ticket = (call: SoapCall, grant: { diskDeviceKey?: number; readOnly: boolean }): Record<string, unknown> => {
    const vmRef = vmArg(call);
    const vm = options.directory.lookup(vmRef);
    if (!vm) throw notFound(vmRef);
    if (grant.diskDeviceKey !== undefined) {
      const devices = valueAt(vm, 'config.hardware.device');
      const disks = (Array.isArray(devices) ? devices : []) as Array<{ _type?: string; key?: number }>;
      if (!disks.some((d) => d._type === 'VirtualDisk' && d.key === grant.diskDeviceKey)) throw invalidArgument('diskDeviceKey');
    }
    const host = serving(call, vm);
    const endpoint = options.endpointOf(host);
    if (!endpoint) throw new SoapFault({ _type: 'InvalidState' }, `The host ${host.value} has no NFC service running.`);
    // vpxd relays NFC through the ESXi host's vpxa ("vpxa-nfc") and names the host; hostd issues
    // "nfc" tickets and leaves the host out (the client dials the host it is logged in to).
    const vcenter = options.personality === 'vcenter';
    const service = vcenter ? 'vpxa-nfc' : 'nfc';
    const { sessionId } = options.tickets.issue({
      vm: vmRef, host, readOnly: grant.readOnly, userName: call.session!.userName, service,
      ...(grant.diskDeviceKey !== undefined ? { diskDeviceKey: grant.diskDeviceKey } : {}),
    });
    return {
      _type: 'HostServiceTicket',
      ...(vcenter ? { host: endpoint.address } : {}),
      port: endpoint.port,
      sslThumbprint: endpoint.thumbprintSha1,
      service,
      serviceVersion: '1.1',
      sessionId,
    };
  };

  const diskKey = (call: SoapCall): number => {
    const key = call.args.diskDeviceKey;
    if (typeof key !== 'number' || !Number.isInteger(key)) throw invalidArgument('diskDeviceKey');
    return key;
  };

  return new Map([
    ['NfcGetVmFiles', {
      privilege: onVm('VirtualMachine.Provisioning.GetVmFiles'),
      run: (call: SoapCall) => ticket(call, { readOnly: true }),
    }],
    ['NfcRandomAccessOpenReadonly', {
      privilege: onVm('VirtualMachine.Provisioning.DiskRandomRead'),
      run: (call: SoapCall) => ticket(call, { diskDeviceKey: diskKey(call), readOnly: true }),
    }],
    ['NfcRandomAccessOpenDisk', {
      privilege: onVm('VirtualMachine.Provisioning.DiskRandomAccess'),
      run: (call: SoapCall) => ticket(call, { diskDeviceKey: diskKey(call), readOnly: false }),
    }],
    ['NfcGetServerNfcLibVersion', {
      privilege: 'System.View',
      run: (call: SoapCall) => {
        const host = call.args.hostForAccess;
        if (!isRef(host, 'HostSystem')) throw invalidArgument('hostForAccess');
        if (!options.directory.lookup(host)) throw notFound(host);
        return SERVER_NFC_LIB_VERSION;
      },
    }],
  ]);
}
