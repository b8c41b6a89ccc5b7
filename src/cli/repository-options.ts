import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { promptHidden } from '../device/host-password.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';
import { Repository, type OpenOptions } from '../restic/repository.js';
import { UsageError } from './usage-error.js';

// The restic repository a command works on, named as restic names it, so a restic user needs
// nothing new: --repo or RESTIC_REPOSITORY; the password from --password-file or
// RESTIC_PASSWORD_FILE (the whole file, surrounding white space trimmed, as restic reads it), else
// RESTIC_PASSWORD, else a prompt on the terminal, else the first line of standard input (restic's
// order, internal/cmd/restic/global.go resolvePassword/ReadPassword). Never argv.

export interface RepositoryOptionValues {
  repo?: string;
  passwordFile?: string;
}

/** Add --repo and --password-file (with restic's environment variables) to a command. */
export function addRepositoryOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-r, --repo <path>', 'restic repository (a folder)').env('RESTIC_REPOSITORY'))
    .addOption(new Option('--password-file <file>', 'file holding the repository password (else RESTIC_PASSWORD, else a prompt)').env('RESTIC_PASSWORD_FILE'));
}

const MAX_PASSWORD_BYTES = 64 * 1024;

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_PASSWORD_BYTES) break;
    if (text.includes('\n')) break;
  }
  process.stdin.pause();
  return text.split(/\r?\n/)[0] ?? '';
}

/** The repository password, by restic's rules (see above). */
export async function repositoryPassword(opts: RepositoryOptionValues, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let password: string;
  if (opts.passwordFile) {
    try {
      password = (await readFile(opts.passwordFile, 'utf8')).trim();
    } catch (err) {
      throw new VixError(VIX_E_INVALID_ARG, `password file ${opts.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (env.RESTIC_PASSWORD) {
    password = env.RESTIC_PASSWORD;
  } else if (process.stdin.isTTY && typeof process.stdin.setRawMode === 'function') {
    password = await promptHidden('enter password for repository: ', process.stdin, process.stderr);
  } else {
    password = await readStdinLine();
  }
  if (password === '') throw new VixError(VIX_E_INVALID_ARG, 'an empty repository password is not allowed by restic: give --password-file, RESTIC_PASSWORD_FILE or RESTIC_PASSWORD');
  return password;
}

/** Open the repository the options name (a shared lock by default, as restic's readers take). */
export async function openRepository(opts: RepositoryOptionValues, options: OpenOptions = {}): Promise<Repository> {
  if (!opts.repo) throw new UsageError('no repository: give --repo or set RESTIC_REPOSITORY');
  const password = await repositoryPassword(opts);
  // Readers seal nothing: no sealing worker threads.
  return Repository.open(opts.repo, password, { sealWorkers: 0, ...options });
}
