#!/usr/bin/env node
// NFC benchmark (issue 11 "Speed"): the same 1 GiB mixed VMDK read whole over NFC from the NFC
// endpoint of `vixdisk host` (nbd, and nbdssl with its second TLS), 1 and 16 requests of 1 MiB in
// flight, against `nbdcopy` pulling the same disk from `vixdisk serve` over the same kind of socket
// (plain TCP, and x509 TLS), with the same request size and count, in the same run, alternately.
// Target: NFC at least 0.8x the NBD throughput (ratio ours/peer time <= 1.25). Then the
// allocated-blocks query over NFC for a 1 TiB sparse disk, timed in-process (VDDK: about 1 s a call).
// Run: `npm run build && node bench/nfc.mjs` (BENCH_SIZE, BENCH_RUNS, BENCH_SEED as for the others).
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchConfig, benchDir, sparseSourceImage } from './bench-data.mjs';
import { runChecked, runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { freePort, waitForListening } from './listening.mjs';

for (const tool of ['qemu-img', 'nbdcopy', 'certtool']) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`bench/nfc: ${tool} is needed and was not found`);
    process.exit(1);
  }
}
const config = benchConfig();
const vmdk = await sparseSourceImage(config);
const work = join(config.dataDir, `nfc-${process.pid}`);
await mkdir(work, { recursive: true });
const pki = join(work, 'pki');
await makeCertificates(pki);

const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

// ---- the NFC endpoint, with tickets asked over its stdin ----------------------------------------------
const host = spawn(process.execPath, [join(benchDir, 'nfc-host-worker.mjs'), vmdk, join(pki, 'server-cert.pem'), join(pki, 'server-key.pem')],
  { stdio: ['pipe', 'pipe', 'inherit'] });
children.push(host);
const hostLines = createInterface({ input: host.stdout })[Symbol.asyncIterator]();
const nextLine = async () => JSON.parse((await hostLines.next()).value);
const { port: nfcPort, thumbprintSha1 } = await nextLine();
async function freshTicket() {
  host.stdin.write('ticket\n');
  const { sessionId } = await nextLine();
  return { host: '127.0.0.1', port: nfcPort, sessionId, service: 'nfc', sslThumbprint: thumbprintSha1 };
}
const nfcRun = (transport, requests) => async () => {
  process.env.VIXDISK_NFC_TICKET = JSON.stringify(await freshTicket());
  try {
    return await timeProcess(process.execPath, [join(benchDir, 'nfc-pull-worker.mjs'), transport, String(requests)]);
  } finally {
    delete process.env.VIXDISK_NFC_TICKET;
  }
};

// ---- `vixdisk serve` of the same VMDK, plain and TLS -------------------------------------------------------
async function serve(tls) {
  const port = await freePort();
  const opts = { readOnly: true, port, ...(tls ? { tlsCert: join(pki, 'server-cert.pem'), tlsKey: join(pki, 'server-key.pem'), tlsRequire: true } : {}) };
  const child = spawn(process.execPath, [join(benchDir, 'nbd-serve-worker.mjs'), vmdk, JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  await waitForListening({ port }, child);
  return tls ? `nbds://localhost:${port}/?tls-certificates=${pki}` : `nbd://127.0.0.1:${port}/`;
}
const nbdcopyRun = (uri, requests) => async () =>
  timeProcess('nbdcopy', ['--connections=1', `--requests=${requests}`, '--request-size=1048576', uri, 'null:']);

// ---- runs ---------------------------------------------------------------------------------------------------
const rows = [];
let id = 0;
for (const [transport, tls] of [['nbd', false], ['nbdssl', true]]) {
  const uri = await serve(tls);
  // Both servers read once, untimed, before their timed runs (JIT, the VMDK's first grain tables).
  await nfcRun(transport, 16)();
  await nbdcopyRun(uri, 16)();
  for (const requests of [1, 16]) {
    const name = `NFC ${transport} <- host vs nbdcopy <- serve ${tls ? 'TLS' : 'TCP'}, ${requests} x 1 MiB in flight`;
    process.stderr.write(`bench: ${name}\n`);
    const samples = await runPaired({ name, runs: config.runs, ours: nfcRun(transport, requests), peer: nbdcopyRun(uri, requests) });
    rows.push(resultRow({ id: `n${++id}`, name, peerName: 'nbdcopy from vixdisk serve', bytes: config.size, samples, target: 1.25 }));
  }
}

// ---- the allocated-blocks query on a 1 TiB sparse disk, in-process -----------------------------------------
const big = join(work, 'sparse-1t.vmdk');
await runChecked('qemu-img', ['create', '-f', 'vmdk', '-o', 'subformat=monolithicSparse', big, '1T']);
await runChecked('qemu-io', ['-f', 'vmdk', '-c', 'write -P 7 0 1M', '-c', 'write -P 9 512G 1M', '-c', 'write -P 3 1023G 64k', big]);
const bigHost = spawn(process.execPath, [join(benchDir, 'nfc-host-worker.mjs'), big, join(pki, 'server-cert.pem'), join(pki, 'server-key.pem')],
  { stdio: ['pipe', 'pipe', 'inherit'] });
children.push(bigHost);
const bigLines = createInterface({ input: bigHost.stdout })[Symbol.asyncIterator]();
const bigInfo = JSON.parse((await bigLines.next()).value);
bigHost.stdin.write('ticket\n');
const { sessionId } = JSON.parse((await bigLines.next()).value);
const { NfcDisk } = await import('../dist/src/nfc/nfc-disk.js');
const disk = await NfcDisk.open({
  ticket: { host: '127.0.0.1', port: bigInfo.port, sessionId, service: 'nfc', sslThumbprint: bigInfo.thumbprintSha1 },
  path: '[bench] disk.vmdk', writable: false, ssl: false,
});
const times = [];
let extents = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  extents = await disk.blockStatus(0, disk.capacity);
  times.push(performance.now() - t0);
}
await disk.close();
times.sort((a, b) => a - b);
const allocated = extents.filter((e) => e.allocated).reduce((n, e) => n + e.length, 0);

printResults('NFC benchmark (bench/nfc.mjs)', config, rows);
console.log(`allocated-blocks query over NFC, 1 TiB sparse disk (2^24 chunks of 64 KiB): median ${times[2].toFixed(1)} ms ` +
  `(min ${times[0].toFixed(1)}, max ${times[4].toFixed(1)}; ${extents.length} extents, ${allocated / 1048576} MiB allocated); VDDK: about 1000 ms`);
for (const c of children) c.kill('SIGTERM');
await rm(work, { recursive: true, force: true });

/** A CA and a server certificate for localhost and 127.0.0.1 (certtool), in nbdkit/libnbd's layout. */
async function makeCertificates(dir) {
  await mkdir(dir, { recursive: true });
  const f = (n) => join(dir, n);
  await writeFile(f('ca.info'), 'cn = vixdisk bench CA\nca\ncert_signing_key\nexpiration_days = 30\n');
  await writeFile(f('server.info'), 'organization = vixdisk bench\ncn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n');
  const ct = (args) => runChecked('certtool', args);
  await ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f('ca-key.pem')]);
  await ct(['--generate-self-signed', '--load-privkey', f('ca-key.pem'), '--template', f('ca.info'), '--outfile', f('ca-cert.pem')]);
  await ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f('server-key.pem')]);
  await ct(['--generate-certificate', '--load-ca-certificate', f('ca-cert.pem'), '--load-ca-privkey', f('ca-key.pem'),
    '--load-privkey', f('server-key.pem'), '--template', f('server.info'), '--outfile', f('server-cert.pem')]);
}
