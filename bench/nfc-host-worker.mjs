#!/usr/bin/env node
// The NFC side of `vixdisk host` for the NFC benchmark, until SIGTERM: one NfcEndpoint (the same
// class `vixdisk host` runs per ESXi host) serving one VMDK as `[bench] disk.vmdk`, read-only.
// Usage: nfc-host-worker.mjs DISK.vmdk CERT.pem KEY.pem
// Prints one JSON line {port, thumbprintSha1}; then, for each line "ticket" on stdin, one JSON line
// with a fresh one-time session id (tickets travel over this pipe, never argv).
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { NfcEndpoint } from '../dist/src/host/nfc/nfc-endpoint.js';
import { NfcTicketStore } from '../dist/src/host/nfc/ticket-store.js';
import { nfcOpenedVmdk } from '../dist/src/host/nfc/vmdk-opened-disk.js';
import { VmdkDisk } from '../dist/src/vmdk/disk.js';
import { VixError } from '../dist/src/errors/vix-error.js';

const [disk, certFile, keyFile] = process.argv.slice(2);
const moref = (type, value) => ({ _type: 'ManagedObjectReference', type, value });
const host = moref('HostSystem', 'ha-host');
const files = {
  async open(_grant, path, writable) {
    if (path !== '[bench] disk.vmdk' || writable) throw new VixError(13, `${path} is not the bench disk (read-only)`);
    return nfcOpenedVmdk(await VmdkDisk.open(disk, { readOnly: true }));
  },
};
const tickets = new NfcTicketStore();
const endpoint = new NfcEndpoint({ host, tickets, files, tls: { cert: await readFile(certFile), key: await readFile(keyFile) } });
const port = await endpoint.listen(0);
process.stdout.write(`${JSON.stringify({ port, thumbprintSha1: endpoint.thumbprintSha1 })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'ticket') continue;
  const { sessionId } = tickets.issue({ vm: moref('VirtualMachine', 'vm-1'), host, readOnly: true, userName: 'bench', service: 'nfc' });
  process.stdout.write(`${JSON.stringify({ sessionId })}\n`);
}
process.on('SIGTERM', () => endpoint.close().then(() => process.exit(0)));
