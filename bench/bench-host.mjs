// What the benchmarks that need a vSphere host share: the peers they need, and a `vixdisk host`
// whose VM db has the bench image as its disk (written by `make(path)`, e.g. qemu-img convert to a
// flat VMDK), with the host's config changed by `patchConfig` before the second start.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './bench-data.mjs';

/** Exit with one line when a tool the benchmark compares against is missing. */
export function requireTools(bench, tools) {
  for (const tool of tools) {
    if (spawnSync(tool, [tool === 'restic' ? 'version' : '--version'], { stdio: 'ignore' }).status !== 0) {
      console.error(`bench/${bench}: ${tool} is needed and was not found`);
      process.exit(1);
    }
  }
}

const { startHost } = await import(join(repoRoot, 'dist/test/support/host-process.js'));

/**
 * Start a host in `dataDir` (its embedded default on first start), stop it, replace db's disk by
 * `make(dbDiskPath)`, apply `patchConfig` to host.json, start it again; returns the running host
 * and db's disk path. Child processes and the host are killed when this process exits.
 */
export async function hostWithDbDisk({ dataDir, make, patchConfig = (c) => c, startTimeoutMs }) {
  const first = await startHost(['--data', dataDir]);
  await first.stop();
  const dbDisk = join(dataDir, 'datastores/datastore1/db/db.vmdk');
  await rm(dbDisk);
  await rm(join(dataDir, 'datastores/datastore1/db/db-flat.vmdk'), { force: true });
  await make(dbDisk);
  const hostJson = join(dataDir, 'host.json');
  await writeFile(hostJson, JSON.stringify(patchConfig(JSON.parse(await readFile(hostJson, 'utf8'))), null, 2));
  const host = await startHost(['--data', dataDir], ...(startTimeoutMs ? [startTimeoutMs] : []));
  return { host, dbDisk };
}

/** A flat VMDK made from a raw image by qemu-img (the peer, not our engine, writes the source disk). */
export function flatVmdkFrom(raw, runChecked) {
  return (path) => runChecked('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', raw, path]);
}

/**
 * The benchmark's work folder (`<data dir>/<name>-<pid>`) and the child processes it starts; they
 * and the host `currentHost()` returns are killed when this process exits, however it exits.
 */
export async function benchWorkspace(config, name, currentHost) {
  const work = join(config.dataDir, `${name}-${process.pid}`);
  await mkdir(work, { recursive: true });
  const children = [];
  process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); currentHost()?.child.kill('SIGKILL'); });
  return { work, children };
}
