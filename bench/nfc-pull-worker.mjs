#!/usr/bin/env node
// One timed run of the NFC benchmark: what `vixdisk convert` over nbd/nbdssl does, in a process of
// its own (start-up counts, as for nbdcopy): open the disk over NFC with the ticket in
// VIXDISK_NFC_TICKET (JSON; never argv), copy it into a null device through the one copy loop
// (allocated-blocks query first, holes skipped), REQUESTS requests of 1 MiB in flight.
// Usage: nfc-pull-worker.mjs nbd|nbdssl REQUESTS   (prints the bytes read)
import { copyDevice } from '../dist/src/block/copy.js';
import { NfcDisk } from '../dist/src/nfc/nfc-disk.js';

const [transport, requestsText] = process.argv.slice(2);
const requests = Number(requestsText);
const ticket = JSON.parse(process.env.VIXDISK_NFC_TICKET ?? '{}');
const src = await NfcDisk.open({
  ticket, path: '[bench] disk.vmdk', writable: false, ssl: transport === 'nbdssl',
  bufSizeIn64KB: 16, bufCount: requests, // 1 MiB buffers, as many as requests in flight
});
const sink = {
  capacity: src.capacity, readOnly: false, canZero: true,
  async read() {}, async write() {}, async zero() {}, async flush() {},
  async blockStatus(offset, length) { return [{ offset, length, allocated: false, zero: true }]; },
  async close() {},
};
const r = await copyDevice(src, sink, { destinationIsZero: true, chunkSize: 1 << 20, concurrency: requests });
await src.close();
process.stdout.write(`${r.bytesRead}\n`);
