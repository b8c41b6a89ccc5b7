#!/usr/bin/env node
// NBD benchmark (issue 5 "Speed"), same 1 GiB mixed image for every case, ours and the peer
// alternately in the same run:
//  (a) nbdcopy SERVER null:  from `vixdisk serve DISK.vmdk`  vs  `qemu-nbd DISK.vmdk`  (target <= 1.0)
//                            and vs `nbdkit file DISK.raw`                             (target <= 1.2)
//  (b) vixdisk's client (openDevice + copyDevice into a null device, a process per run, as
//      `vixdisk convert nbd://... null` would)  vs  `nbdcopy URI null:`, both from nbdkit (target <= 1.2),
//      and `vixdisk convert URI out.raw` (the command) vs `nbdcopy URI out.raw`        (target <= 1.2)
// each over TCP loopback, a Unix socket, and x509 TLS over TCP. In (a) each server is read once,
// untimed, before its timed runs; in (b) every run is a cold process. NODE_EXTRA_CA_CERTS is left
// out of the environment (bench/paired-runs.mjs; BENCH_KEEP_NODE_ENV=1 keeps it).
// Run: `npm run build && node bench/nbd.mjs` (BENCH_SIZE, BENCH_RUNS (7 here), BENCH_SEED as for the others).
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, benchDir, sourceImage, sparseSourceImage } from './bench-data.mjs';
import { runChecked, runPaired, timeProcess } from './paired-runs.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { freePort, waitForListening } from './listening.mjs';

for (const tool of ['qemu-img', 'qemu-nbd', 'nbdkit', 'nbdcopy', 'certtool']) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`bench/nbd: ${tool} is needed and was not found`);
    process.exit(1);
  }
}

// 7 runs unless BENCH_RUNS says otherwise: nbdcopy's times on a Unix socket are bimodal here (see
// bench/README.md), so a median of 3 can land on either mode.
if (!process.env.BENCH_RUNS) process.env.BENCH_RUNS = '7';
const config = benchConfig();
const raw = await sourceImage(config);
const vmdk = await sparseSourceImage(config);
const work = join(config.dataDir, `nbd-${process.pid}`);
await mkdir(work, { recursive: true });
const pki = join(work, 'pki');
await makeCertificates(pki);

const servers = [];
process.on('exit', () => { for (const s of servers) s.kill('SIGKILL'); });


/** Start a server process for one transport; returns its URI for nbdcopy/our client and a stop(). */
async function startServer(kind, transport) {
  const tls = transport === 'tls';
  const unix = transport === 'unix';
  const sock = join(work, `${kind}-${transport}.sock`);
  const port = unix ? 0 : await freePort();
  let cmd;
  let args;
  if (kind === 'vixdisk') {
    cmd = process.execPath;
    const opts = { readOnly: true, ...(unix ? { socket: sock } : { port }), ...(tls ? { tlsCert: join(pki, 'server-cert.pem'), tlsKey: join(pki, 'server-key.pem'), tlsRequire: true } : {}) };
    args = [join(benchDir, 'nbd-serve-worker.mjs'), vmdk, JSON.stringify(opts)];
  } else if (kind === 'qemu-nbd') {
    cmd = 'qemu-nbd';
    args = ['-r', '-f', 'vmdk', '-t', '-e', '4', '-x', '', ...(unix ? ['-k', sock] : ['-b', '127.0.0.1', '-p', String(port)]),
      ...(tls ? ['--object', `tls-creds-x509,id=tls0,endpoint=server,dir=${pki}`, '--tls-creds', 'tls0'] : []), vmdk];
  } else {
    cmd = 'nbdkit';
    args = ['-f', '-r', ...(unix ? ['-U', sock] : ['-i', '127.0.0.1', '-p', String(port)]),
      ...(tls ? ['--tls=require', `--tls-certificates=${pki}`] : []), 'file', raw];
  }
  await rm(sock, { force: true });
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  servers.push(child);
  await waitForListening(unix ? { path: sock } : { port }, child);
  const uri = unix ? `nbd+unix:///?socket=${sock}` : tls ? `nbds://localhost:${port}/?tls-certificates=${pki}` : `nbd://127.0.0.1:${port}/`;
  return {
    uri,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      await rm(sock, { force: true });
    },
  };
}

const nbdcopyRun = (uri) => async () => timeProcess('nbdcopy', [uri, 'null:']);
// Untimed, so a fast wrong answer cannot pass: `vixdisk compare URI RAW` must find each export
// identical to the raw image, through our client (which is checked against nbdkit's export too).
const verify = async (uri) => {
  if (process.env.BENCH_VERIFY === '0') return;
  const out = await runChecked(process.execPath, [join(benchDir, '..', 'bin', 'vixdisk.js'), 'compare', uri, raw]);
  if (!/identical/.test(out)) throw new Error(`bench/nbd: ${uri} does not read as ${raw}: ${out.trim()}`);
};
const oursClientRun = (uri) => async () => timeProcess(process.execPath, [join(benchDir, 'nbd-pull-worker.mjs'), uri]);
// (b) into a file: the command itself, `vixdisk convert URI out.raw`, vs `nbdcopy URI out.raw`; each
// run writes a new sparse raw file, removed after it is timed.
const toFile = (cmd, argsFor) => async (i) => {
  const out = join(work, `pulled-${i}.raw`);
  try {
    return await timeProcess(cmd, argsFor(out));
  } finally {
    await rm(out, { force: true });
  }
};
const oursConvertRun = (uri) => toFile(process.execPath, (out) => [join(benchDir, '..', 'bin', 'vixdisk.js'), 'convert', uri, out]);
const nbdcopyFileRun = (uri) => toFile('nbdcopy', (out) => [uri, out]);

const rows = [];
const transports = ['tcp', 'unix', 'tls'];
let id = 0;
for (const transport of transports) {
  // (a) nbdcopy from our server (the VMDK) vs qemu-nbd (the VMDK) and nbdkit (the raw image).
  // Servers run for a long time, so (a) compares them serving, not starting: every server (ours
  // and each peer alike) is read once, untimed, before its timed runs. Without this our first timed
  // run also pays the serve workers' JIT warm-up and the VMDK's first grain-table reads.
  const ours = await startServer('vixdisk', transport);
  await verify(ours.uri);
  await nbdcopyRun(ours.uri)();
  for (const [peerKind, target] of [['qemu-nbd', 1.0], ['nbdkit', 1.2]]) {
    const peer = await startServer(peerKind, transport);
    await nbdcopyRun(peer.uri)();
    const name = `nbdcopy <- serve vmdk vs ${peerKind} ${peerKind === 'nbdkit' ? 'file raw' : 'vmdk'}, ${transport}`;
    process.stderr.write(`bench: ${name}\n`);
    const samples = await runPaired({ name, runs: config.runs, ours: nbdcopyRun(ours.uri), peer: nbdcopyRun(peer.uri) });
    rows.push(resultRow({ id: `a${++id}`, name, peerName: `nbdcopy from ${peerKind}`, bytes: config.size, samples, target }));
    await peer.stop();
  }
  await ours.stop();
  // (b) our client vs nbdcopy, both pulling from nbdkit.
  const kit = await startServer('nbdkit', transport);
  await verify(kit.uri);
  const name = `vixdisk client vs nbdcopy <- nbdkit file, ${transport}`;
  process.stderr.write(`bench: ${name}\n`);
  const samples = await runPaired({ name, runs: config.runs, ours: oursClientRun(kit.uri), peer: nbdcopyRun(kit.uri) });
  rows.push(resultRow({ id: `b${++id}`, name, peerName: 'nbdcopy', bytes: config.size, samples, target: 1.2 }));
  const fileName = `vixdisk convert vs nbdcopy <- nbdkit file, to a file, ${transport}`;
  process.stderr.write(`bench: ${fileName}\n`);
  const fileSamples = await runPaired({ name: fileName, runs: config.runs, ours: oursConvertRun(kit.uri), peer: nbdcopyFileRun(kit.uri) });
  rows.push(resultRow({ id: `b${++id}`, name: fileName, peerName: 'nbdcopy to a file', bytes: config.size, samples: fileSamples, target: 1.2 }));
  await kit.stop();
}
await rm(work, { recursive: true, force: true });
printResults('vixdisk NBD benchmarks (nbdcopy ... null:, in-process copy to a null device)', config, rows);

async function makeCertificates(dir) {
  await mkdir(dir, { recursive: true });
  const f = (n) => join(dir, n);
  await writeFile(f('ca.info'), 'cn = vixdisk bench CA\nca\ncert_signing_key\nexpiration_days = 30\n');
  await writeFile(f('server.info'), 'organization = vixdisk bench\ncn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n');
  await writeFile(f('client.info'), 'organization = vixdisk bench\ncn = client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 30\n');
  const ct = (args) => {
    const r = spawnSync('certtool', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`certtool ${args.join(' ')}: ${r.stderr}`);
  };
  ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f('ca-key.pem')]);
  ct(['--generate-self-signed', '--load-privkey', f('ca-key.pem'), '--template', f('ca.info'), '--outfile', f('ca-cert.pem')]);
  for (const who of ['server', 'client']) {
    ct(['--generate-privkey', '--key-type', 'rsa', '--bits', '2048', '--outfile', f(`${who}-key.pem`)]);
    ct(['--generate-certificate', '--load-ca-certificate', f('ca-cert.pem'), '--load-ca-privkey', f('ca-key.pem'),
      '--load-privkey', f(`${who}-key.pem`), '--template', f(`${who}.info`), '--outfile', f(`${who}-cert.pem`)]);
  }
}
