import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { VixError } from '../../src/errors/vix-error.js';
import { VIX_E_FILE_ACCESS_ERROR, VIX_E_FILE_NOT_FOUND } from '../../src/errors/error-codes.js';
import type { NfcFileAccess, NfcOpenedDisk } from '../../src/host/nfc/nfc-file-access.js';
import type { NfcTicketGrant } from '../../src/host/nfc/ticket-store.js';
import { nfcOpenedVmdk } from '../../src/host/nfc/vmdk-opened-disk.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';

// A test NfcFileAccess over temporary folders: datastores are folders, a VM is a folder in one,
// its disks are chains of files named by device key. It applies the rules the inventory's real
// implementation owns (the VM's folder only, no `..`, the ticket's disk only) in the simplest way.

export interface TestVm {
  datastore: string;
  folder: string;
  /** Device key -> the files of its chain (leaf first), relative to the VM folder. */
  disks: Record<number, string[]>;
}

export class TestFileAccess implements NfcFileAccess {
  opens = 0;
  closes = 0;

  constructor(readonly datastores: Record<string, string>, readonly vms: Record<string, TestVm>) {}

  async open(grant: NfcTicketGrant, path: string, writable: boolean): Promise<NfcOpenedDisk> {
    const m = /^\[([^\]]+)\] (.+)$/.exec(path);
    if (!m) throw new VixError(VIX_E_FILE_NOT_FOUND, `${path} is not a datastore path`);
    const vm = this.vms[grant.vm.value];
    if (!vm) throw new VixError(VIX_E_FILE_NOT_FOUND, `VM ${grant.vm.value} is unknown`);
    const rel = m[2]!;
    const norm = posix.normalize(rel);
    if (m[1] !== vm.datastore || rel.split('/').includes('..') || posix.isAbsolute(rel) || posix.dirname(norm) !== vm.folder) {
      throw new VixError(VIX_E_FILE_ACCESS_ERROR, `${path} is not a file of ${grant.vm.value}`);
    }
    const name = posix.basename(norm);
    const keys = Object.entries(vm.disks).filter(([, files]) => files.includes(name)).map(([k]) => Number(k));
    if (keys.length === 0) throw new VixError(VIX_E_FILE_NOT_FOUND, `${path} is not a disk of ${grant.vm.value}`);
    if (grant.diskDeviceKey !== undefined && !keys.includes(grant.diskDeviceKey)) {
      throw new VixError(VIX_E_FILE_ACCESS_ERROR, `${path} is not in the ticket's disk ${grant.diskDeviceKey}`);
    }
    const disk = await VmdkDisk.open(join(this.datastores[vm.datastore]!, vm.folder, name), { readOnly: !writable });
    this.opens++;
    return nfcOpenedVmdk(disk, () => { this.closes++; });
  }
}

export const moref = (type: string, value: string): ManagedObjectReference => ({ _type: 'ManagedObjectReference', type, value });

/** A self-signed certificate for the host (openssl, EC P-256: quick to make). */
export async function makeHostCertificate(dir: string): Promise<{ key: Buffer; cert: Buffer }> {
  const key = join(dir, 'host-key.pem');
  const cert = join(dir, 'host-cert.pem');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=esx-test', '-days', '2', '-keyout', key, '-out', cert], { timeout: 30_000 });
  return { key: await readFile(key), cert: await readFile(cert) };
}
