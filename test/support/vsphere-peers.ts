import { execFile } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * VMware's own client libraries as test peers: Go programs on govmomi (Debian's
 * golang-github-vmware-govmomi-dev under /usr/share/gocode, built GOPATH-style by go 1.19) and
 * Python scripts on pyVmomi (Debian's python3-pyvmomi, run by /usr/bin/python3, not a pyenv one).
 * A missing peer skips the test with a message, or fails it when VIXDISK_REQUIRE_PEERS=1 (CI).
 * Passwords reach the peers through the environment, never argv.
 */

export const GOPATH = '/usr/share/gocode';
export const GOVMOMI_DIR = join(GOPATH, 'src/github.com/vmware/govmomi');
export const SYSTEM_PYTHON = '/usr/bin/python3';

interface Skippable {
  skip: (message?: string) => void;
  after: (fn: () => Promise<void> | void) => void;
}

export interface PeerRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<PeerRun> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Skip (or, under VIXDISK_REQUIRE_PEERS=1, fail) for a missing peer. Returns false when skipped. */
function missingPeer(t: Skippable, what: string): false {
  if (process.env.VIXDISK_REQUIRE_PEERS === '1') throw new Error(`${what} is required (VIXDISK_REQUIRE_PEERS=1) but missing`);
  t.skip(`${what} is not installed`);
  return false;
}

/**
 * Build the single-file Go program `source` on govmomi in a temporary folder (removed after the
 * test); the path of the binary, or undefined when go or govmomi is missing (the test skipped).
 */
export async function buildGovmomiProgram(t: Skippable, source: string): Promise<string | undefined> {
  const go = await run('go', ['version'], process.env, 10_000);
  if (go.code !== 0) return void missingPeer(t, 'go');
  if (!(await exists(GOVMOMI_DIR))) return void missingPeer(t, `govmomi (${GOVMOMI_DIR})`);
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-go-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const binary = join(dir, basename(source, '.go'));
  const env = { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0' };
  const built = await run('go', ['build', '-o', binary, source], env, 300_000, dir);
  if (built.code !== 0) throw new Error(`go build ${basename(source)} failed: ${built.stderr.trim()}`);
  return binary;
}

/** Whether Debian's pyVmomi is importable by /usr/bin/python3 (skips or fails the test when not). */
export async function havePyvmomi(t: Skippable): Promise<boolean> {
  if (!(await exists(SYSTEM_PYTHON))) return missingPeer(t, SYSTEM_PYTHON);
  const probe = await run(SYSTEM_PYTHON, ['-c', 'import pyVmomi, pyVim.connect'], process.env, 30_000);
  if (probe.code !== 0) return missingPeer(t, 'python3-pyvmomi');
  return true;
}

/** Run a peer with `secrets` (e.g. VSPHERE_PASSWORD) in its environment; resolves, never rejects. */
export function runPeer(file: string, args: string[], secrets: Record<string, string> = {}, timeoutMs = 120_000): Promise<PeerRun> {
  const env = { ...process.env, ...secrets };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  return run(file, args, env, timeoutMs);
}

/** Run a Python script with Debian's python3. */
export function runPython(script: string, args: string[], secrets: Record<string, string> = {}, timeoutMs = 120_000): Promise<PeerRun> {
  return runPeer(SYSTEM_PYTHON, [script, ...args], secrets, timeoutMs);
}
