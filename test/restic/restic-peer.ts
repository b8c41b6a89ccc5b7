import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { requirePeer } from '../interop/peers.js';

// Running Debian's restic against a repository: the password goes through the environment
// (RESTIC_PASSWORD), never argv, and --no-cache keeps every run independent of earlier ones.

export interface ResticResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Whether restic is installed (else the test is skipped, or fails under VIXDISK_REQUIRE_PEERS=1). */
export function needRestic(t: TestContext): Promise<boolean> {
  return requirePeer(t, 'restic');
}

export function restic(repo: string, password: string, args: string[], timeoutMs = 120_000): Promise<ResticResult> {
  return new Promise((resolve, reject) => {
    execFile('restic', ['-r', repo, '--no-cache', ...(args[0] === 'check' ? [] : ['--quiet']), ...args], {
      encoding: 'buffer',
      timeout: timeoutMs,
      maxBuffer: 256 << 20,
      env: { ...process.env, RESTIC_PASSWORD: password, LC_ALL: 'C' },
    }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(err);
        return;
      }
      const code = err ? ((err as { code?: number | null }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr: stderr.toString() });
    });
  });
}

export async function resticOk(repo: string, password: string, args: string[]): Promise<Buffer> {
  const r = await restic(repo, password, args);
  assert.equal(r.code, 0, `restic ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout.toString()}`);
  return r.stdout;
}

/** `restic check` (with --read-data unless told otherwise) must find no errors. */
export async function assertResticCheck(repo: string, password: string, readData = true): Promise<string> {
  const r = await restic(repo, password, readData ? ['check', '--read-data'] : ['check']);
  const all = r.stderr + r.stdout.toString();
  assert.equal(r.code, 0, `restic check failed:\n${all}`);
  return all;
}

export interface ResticSnapshotJson {
  id: string;
  short_id: string;
  time: string;
  tree: string;
  paths: string[];
  hostname?: string;
  tags?: string[];
  parent?: string;
}

export async function resticSnapshots(repo: string, password: string): Promise<ResticSnapshotJson[]> {
  return JSON.parse((await resticOk(repo, password, ['snapshots', '--json'])).toString()) as ResticSnapshotJson[];
}
