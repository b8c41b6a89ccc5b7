#!/usr/bin/env node
// SAN benchmark (issue 12, docs/san.md): a 1 GiB thick disk on `vixdisk host`'s LUN-backed
// datastore1, read whole through VixDiskLib (ConnectEx + Open + ReadAsync with 16 requests of
// 1 MiB in flight + Close + Disconnect, each run a process of its own: bench/remote-read-worker.mjs)
// over san (direct reads of the LUN device at the leased block map) and over nbdssl, against
// nbdcopy pulling the same bytes from qemu-nbd (TCP, 16 x 1 MiB in flight), in the same run, the
// sides taking turns. SAN avoids the host's data path entirely, as on real fabrics, so it should
// beat nbdssl clearly.
// Run: `npm run build && node bench/san.mjs` (BENCH_SIZE, BENCH_RUNS, BENCH_SEED as for the others).
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchConfig, benchDir, repoRoot, sourceImage } from './bench-data.mjs';
import { runChecked, runSides, timeProcess } from './paired-runs.mjs';
import { benchWorkspace, flatVmdkFrom, hostWithDbDisk, requireTools } from './bench-host.mjs';
import { printResults, resultRow } from './result-table.mjs';
import { freePort, waitForListening } from './listening.mjs';

requireTools('san', ['qemu-img', 'qemu-nbd', 'nbdcopy']);
const { VimClient, moRef } = await import(join(repoRoot, 'dist/src/vsphere/vim-client.js'));

const config = benchConfig();
const raw = await sourceImage(config);
let host;
const { work, children } = await benchWorkspace(config, 'san', () => host);

// ---- the host: VM db's disk replaced by the bench image (thick, flat), datastore1 put on a LUN ------
const dataDir = join(work, 'host');
const lunMiB = Math.ceil(config.size / 2 ** 20) + 256;
const started = await hostWithDbDisk({
  dataDir, make: flatVmdkFrom(raw, runChecked),
  patchConfig: (c) => ({ ...c, san: { fabricDirectory: 'fabric', luns: [{ datastore: 'datastore1', sizeMiB: lunMiB }] } }),
  startTimeoutMs: 600_000, // the first start moves the disk into the LUN
});
host = started.host;
const url = new URL(host.ready.url);
const vim = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: host.ready.thumbprintSha1 });
await vim.login('administrator', host.password('administrator'));
const db = moRef('VirtualMachine', 'vm-14');
const snapshot = await vim.waitForTask(await vim.call('CreateSnapshot_Task', db, { name: 'bench', memory: false, quiesce: false }));
const configFile = join(work, 'vixdisklib.conf');
await writeFile(configFile, [
  `vixDiskLib.transport.san.deviceDirectory = ${join(dataDir, 'fabric')}`,
  `tmpDirectory = ${join(work, 'vddk-tmp')}`,
  'vixDiskLib.nfcAio.Session.BufSizeIn64KB = 16', 'vixDiskLib.nfcAio.Session.BufCount = 16', '',
].join('\n'));
// The administrator holds VirtualMachine.Config.DiskLease (the backup role does not, as VMware's does not).
process.env.VIXDISK_BENCH_PARAMS = JSON.stringify({
  params: {
    vmxSpec: 'moref=vm-14', serverName: url.hostname, port: Number(url.port), thumbPrint: host.ready.thumbprintSha1,
    credType: 1, creds: { uid: { userName: 'administrator', password: host.password('administrator') } },
  },
  snapshot: snapshot.value, disk: '[datastore1] db/db.vmdk', configFile,
});

// ---- the peer: nbdcopy from qemu-nbd serving the same bytes (the source image) -------------------------
const port = await freePort();
const qemu = spawn('qemu-nbd', ['-r', '-f', 'raw', '-t', '-e', '4', '-x', '', '-b', '127.0.0.1', '-p', String(port), raw], { stdio: ['ignore', 'ignore', 'inherit'] });
children.push(qemu);
await waitForListening({ port }, qemu);

const sides = {
  san: () => timeProcess(process.execPath, [join(benchDir, 'remote-read-worker.mjs'), 'read', 'san']),
  nbdssl: () => timeProcess(process.execPath, [join(benchDir, 'remote-read-worker.mjs'), 'read', 'nbdssl']),
  qemu: () => timeProcess('nbdcopy', ['--connections=1', '--requests=16', '--request-size=1048576', `nbd://127.0.0.1:${port}/`, 'null:']),
};
for (const run of Object.values(sides)) await run(); // untimed: JIT, page cache
const samples = await runSides({ name: 'san', runs: config.runs, sides });
const row = (id, name, ours, peer, peerName) =>
  resultRow({ id, name, peerName, bytes: config.size, samples: { ours: samples[ours], peer: samples[peer] }, target: null });
printResults('SAN benchmark (bench/san.mjs)', config, [
  row('s1', 'VixDiskLib ReadAsync san vs nbdssl', 'san', 'nbdssl', 'VixDiskLib nbdssl'),
  row('s2', 'VixDiskLib ReadAsync san vs nbdcopy <- qemu-nbd', 'san', 'qemu', 'nbdcopy from qemu-nbd'),
]);

await vim.logout().catch(() => undefined);
vim.close();
for (const c of children) c.kill('SIGTERM');
await host.stop();
await rm(work, { recursive: true, force: true });
