#!/usr/bin/env node
// `vixdisk host` against govmomi's own simulator vcsim (built from the same Debian govmomi
// sources), both holding BENCH_HOST_VMS (1000) VMs, driven by the same govmomi programs:
//  1. test/interop/vsphere/backup.go -mode bench, BENCH_RUNS (5) times: login, the inventory of
//     every VM through a container view (the properties a backup reads), one snapshot created and
//     removed; medians and ratios ours/vcsim.
//  2. test/interop/vsphere/load/main.go: BENCH_SESSIONS (50) concurrent sessions, each logged in,
//     doing BENCH_READS (40) property reads of VMs, twice: p50/p99/max latency and reads per second
//     of the second run (steady state; the first run's p50 and reads/s on their own rows), and the
//     server's resident memory (VmRSS now, VmHWM peak) after it.
// Our host is the embedded default (3 VMs) plus 997 registered by `vixdisk host create-vms`
// (one 16 MiB thin disk each); vcsim gets `-vm N` (its VPX model: a cluster and a standalone host,
// N VMs each). Needs go and golang-github-vmware-govmomi-dev; run after `npm run build`.
//
// Not like for like in one respect, printed with the results: vcsim's snapshot writes no disk, ours
// makes real delta disks (seSparse/vmfsSparse) and consolidates them on remove, with fsyncs.
import { spawn } from 'node:child_process';
import { connect } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goProgram, govmomiMissing, run } from '../dist/test/support/vsphere-peers.js';
import { startHost } from '../dist/test/support/host-process.js';
import './paired-runs.mjs'; // leaves NODE_EXTRA_CA_CERTS out of what the bench starts

const runs = Number(process.env.BENCH_RUNS ?? 5);
const vmCount = Number(process.env.BENCH_HOST_VMS ?? 1000);
const sessions = Number(process.env.BENCH_SESSIONS ?? 50);
const reads = Number(process.env.BENCH_READS_PER_SESSION ?? 40);
const only = new Set((process.env.BENCH_ONLY ?? 'steps,load').split(','));
const BIN = fileURLToPath(new URL('../bin/vixdisk.js', import.meta.url));

const missing = await govmomiMissing();
if (missing) {
  console.error(`bench host-soap: ${missing}`);
  process.exit(1);
}
const client = await goProgram('backup.go');
const loadClient = await goProgram('load/main.go');
const vcsimBinary = await goProgram('vcsim/main.go');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function thumbprintArgs(thumbprint) {
  return thumbprint ? ['-thumbprint', thumbprint] : [];
}

async function timeClient(server) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const args = ['-url', server.url, '-user', server.user, '-mode', 'bench', ...thumbprintArgs(server.thumbprint)];
    const r = await run(client, args, { VSPHERE_PASSWORD: server.password });
    if (r.code !== 0) throw new Error(`bench client: ${r.stderr.trim()}`);
    samples.push(JSON.parse(r.stdout));
  }
  return {
    vms: samples[0].vms,
    loginMs: median(samples.map((s) => s.loginMs)),
    inventoryMs: median(samples.map((s) => s.inventoryMs)),
    snapshotMs: median(samples.map((s) => s.snapshotMs)),
  };
}

async function memory(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

async function loadRun(server) {
  const args = ['-url', server.url, '-user', server.user, '-sessions', String(sessions), '-reads', String(reads), ...thumbprintArgs(server.thumbprint)];
  const r = await run(loadClient, args, { VSPHERE_PASSWORD: server.password });
  if (r.code !== 0) throw new Error(`load client: ${r.stderr.trim()}`);
  return { ...JSON.parse(r.stdout), ...(await memory(server.pid)) };
}

async function measure(server) {
  const out = {};
  if (only.has('steps')) out.steps = await timeClient(server);
  if (only.has('load')) {
    // The first run meets a fresh process (a Node host JIT-compiles its request paths during its
    // first few thousand requests; vcsim is compiled ahead): the table shows the second, steady
    // state, run, and the first run's figures on their own rows.
    const first = await loadRun(server);
    out.load = { ...(await loadRun(server)), firstP50Ms: first.p50Ms, firstReadsPerSec: first.readsPerSec };
  }
  return out;
}

async function startOurs() {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-bench-host-'));
  const host = await startHost(['--data', dir]);
  const extra = vmCount - 3;
  if (extra > 0) {
    const started = Date.now();
    const r = await run(process.execPath, [BIN, 'host', 'create-vms', '--data', dir, '--count', String(extra), '--prefix', 'bench'], {}, 600_000);
    if (r.code !== 0) throw new Error(`create-vms: ${r.stderr.trim()}`);
    console.error(`bench host-soap: ${extra} VMs registered on vixdisk host in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return {
    url: host.ready.url, user: 'backup', password: host.password('backup'), thumbprint: host.ready.thumbprintSha1, pid: host.child.pid,
    stop: async () => {
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startVcsim() {
  const started = Date.now();
  // vcsim's VPX model puts -vm VMs in each of its two compute resources (a cluster, a standalone host).
  const child = spawn(vcsimBinary, ['-vm', String(Math.ceil(vmCount / 2))], { stdio: ['ignore', 'pipe', 'pipe'] });
  // govmomi's thumbprint path ends its first, verified, handshake with a certificate alert, which
  // vcsim logs each time: those lines are left out, anything else it says is shown.
  child.stderr.on('data', (d) => {
    const lines = String(d).split('\n').filter((l) => l !== '' && !/TLS handshake error .*bad certificate/.test(l));
    if (lines.length) process.stderr.write(`${lines.join('\n')}\n`);
  });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`vcsim exited ${code}`)));
  });
  console.error(`bench host-soap: vcsim with its VMs ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const url = new URL(JSON.parse(line).url);
  const password = decodeURIComponent(url.password);
  const user = decodeURIComponent(url.username);
  url.username = '';
  url.password = '';
  return {
    url: url.toString(), user, password, thumbprint: await thumbprintOf(url), pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * The SHA-1 thumbprint of the certificate a server presents: vcsim is given it as ours is, so the
 * client takes the same path against both (govmomi with a thumbprint first tries a verified
 * handshake, loading the system roots, then a second one checked against the thumbprint: ~30 ms
 * of client time a client started with -k would not spend on either server).
 */
function thumbprintOf(url) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint);
      socket.end();
    });
    socket.once('error', reject);
  });
}

async function withServer(start) {
  const server = await start();
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

const ours = await withServer(startOurs);
const peer = await withServer(startVcsim);

const ratio = (a, b) => (a / b).toFixed(2).padStart(11);
if (ours.steps) {
  console.log(`\nvixdisk host vs vcsim, govmomi client, median of ${runs} runs (ms)`);
  console.log(`${'step'.padEnd(32)}${'vixdisk host'.padStart(14)}${'vcsim'.padStart(10)}${'ours/peer'.padStart(11)}`);
  for (const [label, key] of [['login', 'loginMs'], [`inventory (${ours.steps.vms} / ${peer.steps.vms} VMs)`, 'inventoryMs'], ['snapshot create+remove', 'snapshotMs']]) {
    console.log(`${label.padEnd(32)}${ours.steps[key].toFixed(1).padStart(14)}${peer.steps[key].toFixed(1).padStart(10)}${ratio(ours.steps[key], peer.steps[key])}`);
  }
  console.log('(vcsim\'s snapshot makes no delta disk; ours makes and consolidates real ones, with fsyncs)');
}
if (ours.load) {
  console.log(`\n${sessions} concurrent sessions x ${reads} property reads (${ours.load.vms} / ${peer.load.vms} VMs), second run of two`);
  console.log(`${'measure'.padEnd(32)}${'vixdisk host'.padStart(14)}${'vcsim'.padStart(10)}${'ours/peer'.padStart(11)}`);
  for (const [label, key] of [['read p50 ms', 'p50Ms'], ['read p99 ms', 'p99Ms'], ['read max ms', 'maxMs'], ['wall ms', 'wallMs'], ['reads/s', 'readsPerSec'],
    ['first run: read p50 ms', 'firstP50Ms'], ['first run: reads/s', 'firstReadsPerSec'], ['server RSS MiB (after)', 'rssMiB'], ['server peak RSS MiB', 'peakMiB']]) {
    console.log(`${label.padEnd(32)}${ours.load[key].toFixed(1).padStart(14)}${peer.load[key].toFixed(1).padStart(10)}${ratio(ours.load[key], peer.load[key])}`);
  }
}
