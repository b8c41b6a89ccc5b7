import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOLDER = fileURLToPath(new URL('./lock-holder.js', import.meta.url));

/** A separate node process holding a disk open through VixDiskLib (see lock-holder.ts). */
export class LockHolder {
  private out = '';
  private readonly waiters: Array<() => void> = [];
  readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((r) => child.on('close', () => { for (const w of this.waiters.splice(0)) w(); r(); }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Start one; resolves with its first line: "open" or "error CODE MESSAGE". */
  static async start(t: { after: (fn: () => void) => void }, path: string, mode: 'rw' | 'ro'): Promise<{ holder: LockHolder; line: string }> {
    const holder = new LockHolder(spawn(process.execPath, [HOLDER, path, mode], { stdio: 'pipe' }));
    t.after(() => { if (holder.child.exitCode === null && holder.child.signalCode === null) holder.child.kill('SIGKILL'); });
    return { holder, line: await holder.nextLine() };
  }

  /** The next line it prints (lines already printed first). */
  async nextLine(): Promise<string> {
    for (;;) {
      const nl = this.out.indexOf('\n');
      if (nl >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        return line;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`lock holder exited (${this.child.exitCode ?? this.child.signalCode})`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Close the disk and wait for the process to end. */
  async close(): Promise<void> {
    this.child.stdin.write('close\n');
    const line = await this.nextLine();
    if (line !== 'closed') throw new Error(`lock holder said "${line}"`);
    await this.exited;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
