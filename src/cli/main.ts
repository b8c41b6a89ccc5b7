import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { toVixError } from '../errors/vix-error.js';
import { checkCommand } from './check.js';
import { compareCommand } from './compare.js';
import { convertCommand } from './convert.js';
import { createCommand } from './create.js';
import { demoCommand } from './demo.js';
import { dumpCommand } from './dump.js';
import { infoCommand } from './info.js';
import { mapCommand } from './map.js';
import { sampleCommand } from './sample.js';
import { growCommand } from './grow.js';
import { defragCommand, shrinkCommand } from './shrink.js';
import { renameCommand, rmCommand } from './rename.js';
import { metadataCommand } from './metadata.js';
import { spaceNeededCommand } from './space-needed.js';
import { serveCommandLine } from './serve.js';

// The vixdisk command: one file per subcommand, wired here. Usage errors exit 2, failures 1
// (compare: 1 means "different", 2 an error), each with one line on stderr.

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command('vixdisk')
    .description('VMDK virtual disks in pure TypeScript: create, inspect, check, map, compare and convert')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Errors are printed as one line: vixdisk: <message> (VIX error N), exit status 1 (2 for usage errors).`);
  for (const cmd of [infoCommand(), createCommand(), convertCommand(), checkCommand(), mapCommand(), compareCommand(), dumpCommand(), growCommand(), shrinkCommand(), defragCommand(), renameCommand(), rmCommand(),
    metadataCommand(), spaceNeededCommand(), serveCommandLine(), sampleCommand(), demoCommand()]) {
    cmd.showHelpAfterError('(add --help for usage)');
    program.addCommand(cmd);
  }
  const usageExit = (err: CommanderError) => {
    // --help and --version exit 0; every other commander error is a usage error.
    throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
  };
  program.exitOverride(usageExit);
  for (const cmd of program.commands) cmd.exitOverride(usageExit);
  return program;
}

// Whatever escapes a command (it should not) is still one line, never a stack trace.
function die(err: unknown): void {
  const e = toVixError(err);
  process.stderr.write(`vixdisk: ${e.message.replace(/\s*\n\s*/g, ' ')} (VIX error ${e.code})\n`);
  process.exit(1);
}
process.on('uncaughtException', die);
process.on('unhandledRejection', die);

// Output cut short by a closed pipe (vixdisk dump ... | head) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else die(err);
}
