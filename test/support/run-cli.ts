import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The built `vixdisk` command in its own process, as a user runs it, and the CLI's error contract.

export const VIXDISK_BIN = fileURLToPath(new URL('../../../bin/vixdisk.js', import.meta.url));

export interface CliRun { code: number | null; stdout: string; stderr: string }

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Turns a hang into a failure (exit status null). */
  timeoutMs?: number;
  /** Node options before the script (e.g. a heap cap). */
  nodeArgs?: string[];
}

/** Run `vixdisk ...args`; resolves with its exit status (null when killed) and output, never rejects. */
export function runVixdisk(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...(options.nodeArgs ?? []), VIXDISK_BIN, ...args],
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 0, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
  });
}

/**
 * The CLI's error contract: exactly one line `vixdisk: ... (VIX error CODE)` on stderr, no stack
 * trace, and the exit status given (any non-zero one when `exitCode` is left out). Returns the line.
 */
export function assertOneLineError(r: CliRun, code: number, what: string, exitCode?: number): string {
  if (exitCode === undefined) assert.notEqual(r.code, 0, `${what} should fail (stdout: ${r.stdout})`);
  else assert.equal(r.code, exitCode, `${what}: exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^vixdisk: .+ \\(VIX error ${code}\\)$`), what);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  return lines[0]!;
}
