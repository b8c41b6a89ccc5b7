#!/usr/bin/env node
// The same govmomi client (test/interop/vsphere/backup.go -mode bench) timed against `vixdisk host`
// and against govmomi's own simulator vcsim (built from the same Debian govmomi sources): login,
// the inventory of every VM through a container view (the properties a backup reads), and one
// snapshot created and removed. BENCH_RUNS runs each (default 5); medians and ratios ours/vcsim.
// Needs go and golang-github-vmware-govmomi-dev; run after `npm run build`.
//
// Not like for like in one respect, printed with the results: vcsim's snapshot writes a .vmsn and
// copies a config, ours makes real delta disks (seSparse/vmfsSparse) and consolidates them on remove.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goProgram, govmomiMissing, run } from '../dist/test/support/vsphere-peers.js';
import { startHost } from '../dist/test/support/host-process.js';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const missing = await govmomiMissing();
if (missing) {
  console.error(`bench host-soap: ${missing}`);
  process.exit(1);
}
const client = await goProgram('backup.go');
const vcsimBinary = await goProgram('vcsim/main.go');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeClient(url, user, password, thumbprint) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const args = ['-url', url, '-user', user, '-mode', 'bench', ...(thumbprint ? ['-thumbprint', thumbprint] : [])];
    const r = await run(client, args, { VSPHERE_PASSWORD: password });
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

async function startVcsim() {
  const child = spawn(vcsimBinary, ['-vm', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`vcsim exited ${code}`)));
  });
  const url = new URL(JSON.parse(line).url);
  const password = decodeURIComponent(url.password);
  const user = decodeURIComponent(url.username);
  url.username = '';
  url.password = '';
  return { child, url: url.toString(), user, password };
}

const dir = await mkdtemp(join(tmpdir(), 'vixdisk-bench-host-'));
const host = await startHost(['--data', dir]);
let ours;
try {
  ours = await timeClient(host.ready.url, 'backup', host.password('backup'), host.ready.thumbprintSha1);
} finally {
  await host.stop();
  await rm(dir, { recursive: true, force: true });
}
const vcsim = await startVcsim();
let peer;
try {
  peer = await timeClient(vcsim.url, vcsim.user, vcsim.password, undefined);
} finally {
  vcsim.child.kill('SIGTERM');
}

console.log(`\nvixdisk host vs vcsim, govmomi client, median of ${runs} runs (ms)`);
console.log(`${'step'.padEnd(28)}${'vixdisk host'.padStart(14)}${'vcsim'.padStart(10)}${'ours/peer'.padStart(11)}`);
for (const [label, key] of [['login', 'loginMs'], [`inventory (${ours.vms} / ${peer.vms} VMs)`, 'inventoryMs'], ['snapshot create+remove', 'snapshotMs']]) {
  console.log(`${label.padEnd(28)}${ours[key].toFixed(1).padStart(14)}${peer[key].toFixed(1).padStart(10)}${(ours[key] / peer[key]).toFixed(2).padStart(11)}`);
}
console.log('(vcsim\'s snapshot makes no delta disk; ours makes and consolidates real ones)');
