#!/usr/bin/env node
// Remote read benchmark (issue 12 "Speed"): a 1 GiB snapshot disk of a VM on `vixdisk host`, read
// whole through VixDiskLib (ConnectEx + Open + ReadAsync with 16 requests of 1 MiB in flight +
// Close + Disconnect, each run a process of its own) over nbd, nbdssl and hotadd (this process
// "runs inside" the host's backup proxy, docs/hotadd.md), against nbdcopy pulling the same disk
// file from `vixdisk serve` and from qemu-nbd (TCP, 16 x 1 MiB in flight), in the same run, the
// sides taking turns. Target: hotadd at least 2x nbdssl (ratio hotadd/nbdssl time <= 0.5), as on
// real hosts. Then the ConnectEx + Open + Close (+ Disconnect) latency of each mode, median of 7.
// Run: `npm run build && node bench/remote-read.mjs` (BENCH_SIZE, BENCH_RUNS, BENCH_SEED as for the others).
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, benchDir, repoRoot, sourceImage } from './bench-data.mjs';
import { median, runChecked, runSides, timeProcess } from './paired-runs.mjs';
import { benchWorkspace, flatVmdkFrom, hostWithDbDisk, requireTools } from './bench-host.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { freePort, waitForListening } from './listening.mjs';

requireTools('remote-read', ['qemu-img', 'qemu-nbd', 'nbdcopy']);
const { VimClient, moRef } = await import(join(repoRoot, 'dist/src/vsphere/vim-client.js'));

const config = benchConfig();
const raw = await sourceImage(config);
let host;
const { work, children } = await benchWorkspace(config, 'remote', () => host);

// ---- the host: a backup proxy, and VM db's disk replaced by the bench image (a flat VMFS-style disk) ----
const dataDir = join(work, 'host');
const started = await hostWithDbDisk({
  dataDir, make: flatVmdkFrom(raw, runChecked), patchConfig: (c) => ({ ...c, backupProxies: ['backup-proxy'] }),
});
host = started.host;
const dbDisk = started.dbDisk;
const url = new URL(host.ready.url);
const vim = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
await vim.login('administrator', host.password('administrator'));
const db = moRef('VirtualMachine', 'vm-14');
const snapshot = await vim.waitForTask(await vim.call('CreateSnapshot_Task', db, { name: 'bench', memory: false, quiesce: false }));
const configFile = join(work, 'vixdisklib.conf');
await writeFile(configFile, [
  `vixDiskLib.transport.hotadd.identityFile = ${join(dataDir, 'guests/backup-proxy/sys/class/dmi/id/product_uuid')}`,
  `tmpDirectory = ${join(work, 'vddk-tmp')}`,
  'vixDiskLib.nfcAio.Session.BufSizeIn64KB = 16', 'vixDiskLib.nfcAio.Session.BufCount = 16', '',
].join('\n'));
process.env.VIXDISK_BENCH_PARAMS = JSON.stringify({
  params: {
    vmxSpec: 'moref=vm-14', serverName: url.hostname, port: Number(url.port), thumbPrint: host.ready.thumbprintSha1,
    credType: 1, creds: { uid: { userName: 'backup', password: host.password('backup') } },
  },
  snapshot: snapshot.value, disk: '[datastore1] db/db.vmdk', configFile,
});

// ---- the peers: nbdcopy from `vixdisk serve` and from qemu-nbd, of the same disk file -------------------
async function server(kind) {
  const port = await freePort();
  const [cmd, args] = kind === 'vixdisk'
    ? [process.execPath, [join(benchDir, 'nbd-serve-worker.mjs'), dbDisk, JSON.stringify({ readOnly: true, port })]]
    : ['qemu-nbd', ['-r', '-f', 'vmdk', '-t', '-e', '4', '-x', '', '-b', '127.0.0.1', '-p', String(port), dbDisk]];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  await waitForListening({ port }, child);
  return `nbd://127.0.0.1:${port}/`;
}
const serveUri = await server('vixdisk');
const qemuUri = await server('qemu-nbd');

const sides = {
  nbd: () => timeProcess(process.execPath, [join(benchDir, 'remote-read-worker.mjs'), 'read', 'nbd']),
  nbdssl: () => timeProcess(process.execPath, [join(benchDir, 'remote-read-worker.mjs'), 'read', 'nbdssl']),
  hotadd: () => timeProcess(process.execPath, [join(benchDir, 'remote-read-worker.mjs'), 'read', 'hotadd']),
  serve: () => timeProcess('nbdcopy', ['--connections=1', '--requests=16', '--request-size=1048576', serveUri, 'null:']),
  qemu: () => timeProcess('nbdcopy', ['--connections=1', '--requests=16', '--request-size=1048576', qemuUri, 'null:']),
};
for (const run of Object.values(sides)) await run(); // untimed: JIT, page cache, first grain tables
const samples = await runSides({ name: 'remote read', runs: config.runs, sides });
const row = (id, name, ours, peer, peerName, target = null) =>
  resultRow({ id, name, peerName, bytes: config.size, samples: { ours: samples[ours], peer: samples[peer] }, target });
const rows = [
  row('r1', 'VixDiskLib ReadAsync nbd <- host vs nbdcopy <- vixdisk serve', 'nbd', 'serve', 'nbdcopy from vixdisk serve'),
  row('r2', 'VixDiskLib ReadAsync nbdssl <- host vs nbdcopy <- vixdisk serve', 'nbdssl', 'serve', 'nbdcopy from vixdisk serve'),
  row('r3', 'VixDiskLib ReadAsync hotadd vs nbdcopy <- vixdisk serve', 'hotadd', 'serve', 'nbdcopy from vixdisk serve'),
  row('r4', 'VixDiskLib ReadAsync hotadd vs nbdcopy <- qemu-nbd', 'hotadd', 'qemu', 'nbdcopy from qemu-nbd'),
  row('r5', 'VixDiskLib ReadAsync hotadd vs nbdssl (target: 2x)', 'hotadd', 'nbdssl', 'VixDiskLib nbdssl', 0.5),
];
printResults('Remote read benchmark (bench/remote-read.mjs)', config, rows);

// ---- ConnectEx + Open + Close latency ---------------------------------------------------------------------
for (const mode of ['nbd', 'nbdssl', 'hotadd']) {
  const { stdout } = await timeProcess(process.execPath, [join(benchDir, 'remote-read-worker.mjs'), 'latency', mode, '7'], { captureStdout: true });
  const times = JSON.parse(stdout).sort((a, b) => a - b);
  console.log(`ConnectEx + Open + Close + Disconnect over ${mode.padEnd(6)}: median ${median(times).toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)}, 7 runs)`);
}

await vim.logout().catch(() => undefined);
vim.close();
for (const c of children) c.kill('SIGTERM');
await host.stop();
await rm(work, { recursive: true, force: true });
