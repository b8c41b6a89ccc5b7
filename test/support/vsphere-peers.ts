import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * VMware's client libraries as the interop tests use them: govmomi (Debian's Go sources, built in
 * GOPATH mode) and pyVmomi (Debian's python3-pyvmomi under /usr/bin/python3). A missing peer is a
 * skip with its reason, or a failure when VIXDISK_REQUIRE_PEERS=1 (CI).
 */

export const GOPATH = '/usr/share/gocode';
export const GOVMOMI = join(GOPATH, 'src/github.com/vmware/govmomi');
export const PYTHON = '/usr/bin/python3';
export const VSPHERE_SOURCES = fileURLToPath(new URL('../../../test/interop/vsphere/', import.meta.url));

export function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Why govmomi cannot be used here, or undefined when it can. */
export async function govmomiMissing(): Promise<string | undefined> {
  if ((await run('go', ['version'])).code !== 0) return 'go is not installed (Debian golang-go)';
  if (!(await exists(join(GOVMOMI, 'vim25/client.go')))) return `govmomi sources are not in ${GOVMOMI} (Debian golang-github-vmware-govmomi-dev)`;
  return undefined;
}

export async function pyvmomiMissing(): Promise<string | undefined> {
  if (!(await exists(PYTHON))) return `${PYTHON} is missing`;
  const r = await run(PYTHON, ['-c', 'import pyVmomi, pyVim.connect']);
  return r.code === 0 ? undefined : 'pyVmomi is not installed for /usr/bin/python3 (Debian python3-pyvmomi)';
}

/** Skip with the reason, or fail when the environment requires every peer. */
export function missingPeer(t: { skip(message: string): void }, reason: string): void {
  if (process.env.VIXDISK_REQUIRE_PEERS === '1') throw new Error(`VIXDISK_REQUIRE_PEERS=1 but ${reason}`);
  t.skip(reason);
}

/**
 * Builds a Go program of test/interop/vsphere once per source content: the binary is cached under
 * os.tmpdir() by the hash of its source (go build takes a while on a small machine).
 */
export async function goProgram(relativeSource: string): Promise<string> {
  const source = join(VSPHERE_SOURCES, relativeSource);
  const hash = createHash('sha256').update(await readFile(source)).update(process.version).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), 'vixdisk-go-cache');
  const binary = join(cache, `${relativeSource.replace(/[/.]/g, '_')}-${hash}`);
  if (await exists(binary)) return binary;
  await mkdir(cache, { recursive: true });
  const building = `${binary}.${process.pid}.tmp`;
  const r = await run('go', ['build', '-o', building, source], {
    GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(cache, 'gocache'),
  }, 900_000);
  if (r.code !== 0) throw new Error(`go build ${relativeSource} failed: ${r.stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  await rename(building, binary);
  return binary;
}

