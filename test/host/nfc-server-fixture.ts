import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NfcEndpoint, type NfcEndpointLimits } from '../../src/host/nfc/nfc-endpoint.js';
import { NfcTicketStore, type NfcTicketGrant } from '../../src/host/nfc/ticket-store.js';
import { createDisk } from '../../src/vmdk/create.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { xorshift32 } from '../support/xorshift.js';
import { TestFileAccess, makeHostCertificate, moref } from './nfc-test-files.js';

// The world of the NFC server tests: two datastores, VM vm-1 (two disks) on ds1 and vm-2 on ds2,
// an endpoint for host-1 and one ticket store, and a byte model of vm-1's first disk.

export const MiB = 1 << 20;
export const DISK_CAPACITY = 80 * MiB;

export interface NfcWorld {
  dir: string;
  endpoint: NfcEndpoint;
  port: number;
  tickets: NfcTicketStore;
  files: TestFileAccess;
  /** What vm1.vmdk holds. */
  model: Buffer;
  diskPath: string;
  logLines: string[];
  ticket(over?: Partial<NfcTicketGrant>): string;
  /** Wait until every connection has ended and released its files. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function makeNfcWorld(limits: Partial<NfcEndpointLimits> = {}, now?: () => number): Promise<NfcWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-nfcs-'));
  const ds1 = join(dir, 'ds1');
  const ds2 = join(dir, 'ds2');
  await mkdir(join(ds1, 'vm1'), { recursive: true });
  await mkdir(join(ds2, 'vm2'), { recursive: true });
  const diskPath = join(ds1, 'vm1', 'vm1.vmdk');
  await createDisk(diskPath, { capacity: DISK_CAPACITY, type: 'monolithicSparse', adapterType: 'lsilogic' });
  await createDisk(join(ds1, 'vm1', 'vm1_1.vmdk'), { capacity: 8 * MiB, type: 'monolithicSparse' });
  await createDisk(join(ds2, 'vm2', 'vm2.vmdk'), { capacity: 8 * MiB, type: 'monolithicSparse' });
  // Data in a few places, holes elsewhere.
  const model = Buffer.alloc(DISK_CAPACITY);
  const next = xorshift32(7);
  for (let i = 0; i < model.length; i += 4) model.writeUInt32LE(next(), i);
  for (const [s, e] of [[0, 3 * MiB], [20 * MiB, 21 * MiB], [40 * MiB, 40 * MiB], [63 * MiB, 80 * MiB]] as const) model.fill(0, s, e);
  model.fill(0, 30 * MiB, 50 * MiB);
  const disk = await VmdkDisk.open(diskPath);
  for (let at = 0; at < DISK_CAPACITY; at += 4 * MiB) {
    const piece = model.subarray(at, at + 4 * MiB);
    if (piece.some((b) => b !== 0)) await disk.write(at, piece);
  }
  await disk.close();
  const files = new TestFileAccess({ ds1, ds2 }, {
    'vm-1': { datastore: 'ds1', folder: 'vm1', disks: { 2000: ['vm1.vmdk'], 2001: ['vm1_1.vmdk'] } },
    'vm-2': { datastore: 'ds2', folder: 'vm2', disks: { 2000: ['vm2.vmdk'] } },
  });
  const tickets = new NfcTicketStore({ ttlMs: 60_000, ...(now ? { now } : {}) });
  const logLines: string[] = [];
  const endpoint = new NfcEndpoint({
    host: moref('HostSystem', 'host-1'), tickets, files, tls: await makeHostCertificate(dir), log: (l) => logLines.push(l), limits,
  });
  const port = await endpoint.listen(0);
  return {
    dir, endpoint, port, tickets, files, model, diskPath, logLines,
    ticket: (over = {}) => tickets.issue({
      vm: moref('VirtualMachine', 'vm-1'), host: moref('HostSystem', 'host-1'), readOnly: false, userName: 'root', service: 'nfc', ...over,
    }).sessionId,
    settled: async () => {
      for (let i = 0; i < 500 && endpoint.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    },
    close: async () => {
      await endpoint.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
