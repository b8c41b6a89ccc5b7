import { toVixError } from '../errors/vix-error.js';
import { UsageError } from './usage-error.js';

export interface RunActionOptions {
  /** Exit status for a failure (1 unless the command's contract says otherwise, as compare's 2). */
  errorExitCode?: number;
}

/**
 * Wrap a command's work: its resolved number is the exit status; anything thrown becomes exactly
 * one line `vixdisk: <message> (VIX error N)` on stderr, status 1 (2 for usage errors). Never a
 * stack trace: the message says what went wrong.
 */
export function runAction<A extends unknown[]>(
  work: (...args: A) => Promise<number | void>,
  options: RunActionOptions = {},
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const status = await work(...args);
      process.exitCode = status ?? 0;
    } catch (err) {
      const e = toVixError(err);
      const message = e.message.replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`vixdisk: ${message} (VIX error ${e.code})\n`);
      process.exitCode = err instanceof UsageError ? 2 : (options.errorExitCode ?? 1);
    }
  };
}
