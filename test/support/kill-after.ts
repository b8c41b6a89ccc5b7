import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

/**
 * Run `node script ...args`, wait until it prints the line "open", let it run `ms` longer, then
 * SIGKILL it. Every line it printed goes to `onLine` as it comes; a worker that wrote to stderr
 * fails the test.
 */
export async function runAndKill(script: string, args: string[], ms: number, onLine: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let opened!: () => void;
  const openedP = new Promise<void>((r) => (opened = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const l of lines) {
      if (l === 'open') opened();
      onLine(l);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  await Promise.race([openedP, exited]);
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
  assert.equal(err, '', `${script} failed: ${err}`);
}
