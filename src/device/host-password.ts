import { readFile } from 'node:fs/promises';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';

// Where a command line's host password comes from. Never argv: every user of the machine can read
// it. In order: the environment variable VIXDISK_PASSWORD, the file VIXDISK_PASSWORD_FILE names (its
// first line), else a prompt on the controlling terminal with echo off. Without a terminal and
// without either variable the command fails and says how to give the password.

export interface PasswordSource {
  env?: NodeJS.ProcessEnv;
  /** The terminal to prompt on; absent or not a TTY means no prompt. */
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

export async function hostPassword(user: string, host: string, source: PasswordSource = {}): Promise<string> {
  const env = source.env ?? process.env;
  if (env.VIXDISK_PASSWORD !== undefined) return env.VIXDISK_PASSWORD;
  if (env.VIXDISK_PASSWORD_FILE) {
    try {
      return (await readFile(env.VIXDISK_PASSWORD_FILE, 'utf8')).split(/\r?\n/)[0] ?? '';
    } catch (err) {
      throw new VixError(VIX_E_INVALID_ARG, `VIXDISK_PASSWORD_FILE ${env.VIXDISK_PASSWORD_FILE}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const input = source.input ?? process.stdin;
  const output = source.output ?? process.stderr;
  if (input.isTTY && typeof input.setRawMode === 'function') return promptHidden(`Password for ${user}@${host}: `, input, output);
  throw new VixError(VIX_E_INVALID_ARG, `no password for ${user}: set VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE, or run on a terminal to be asked`);
}

/** Read one line from a terminal without echoing it; Ctrl-C or Ctrl-D abandons the command. */
export function promptHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolvePassword, reject) => {
    // Echo off before the question shows: a person (or a script on a pty) may answer the
    // moment it appears, and an answer typed before raw mode would be echoed by the terminal.
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    output.write(question);
    input.resume();
    let typed = '';
    const finish = (err: VixError | null) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolvePassword(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || ch === '\u0004') return finish(new VixError(VIX_E_INVALID_ARG, 'no password given (prompt abandoned)'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}
