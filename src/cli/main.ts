import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { toVixError } from '../errors/vix-error.js';

// The vixdisk command: one file per subcommand, wired here. Usage errors exit 2, failures 1
// (compare: 1 means "different", 2 an error), each with one line on stderr.

type CommandModule = () => Promise<Command>;

/**
 * Each subcommand's module, loaded only when it runs (or for the full help): together they load
 * the VMDK engine, the NBD server and client and the VixDiskLib facade, ~80 ms of start-up that
 * `vixdisk convert nbd://… out.raw` or `vixdisk --version` need not pay.
 */
const COMMANDS: Record<string, CommandModule> = {
  info: async () => (await import('./info.js')).infoCommand(),
  create: async () => (await import('./create.js')).createCommand(),
  convert: async () => (await import('./convert.js')).convertCommand(),
  check: async () => (await import('./check.js')).checkCommand(),
  map: async () => (await import('./map.js')).mapCommand(),
  compare: async () => (await import('./compare.js')).compareCommand(),
  dump: async () => (await import('./dump.js')).dumpCommand(),
  grow: async () => (await import('./grow.js')).growCommand(),
  shrink: async () => (await import('./shrink.js')).shrinkCommand(),
  defrag: async () => (await import('./shrink.js')).defragCommand(),
  rename: async () => (await import('./rename.js')).renameCommand(),
  rm: async () => (await import('./rename.js')).rmCommand(),
  metadata: async () => (await import('./metadata.js')).metadataCommand(),
  'space-needed': async () => (await import('./space-needed.js')).spaceNeededCommand(),
  serve: async () => (await import('./serve.js')).serveCommandLine(),
  sample: async () => (await import('./sample.js')).sampleCommand(),
  demo: async () => (await import('./demo.js')).demoCommand(),
};

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The program with the subcommand `name` (as typed: the first argument), none for --version, or
 * every subcommand when the first argument names none (help, a typo commander should answer).
 */
export async function buildProgram(name: string | undefined): Promise<Command> {
  const program = new Command('vixdisk')
    .description('VMDK virtual disks in pure TypeScript: create, inspect, check, map, compare and convert')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Errors are printed as one line: vixdisk: <message> (VIX error N), exit status 1 (2 for usage errors).`);
  const wanted = name === '-V' || name === '--version' ? []
    : name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
  for (const cmd of await Promise.all(wanted.map((load) => load()))) {
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
  await (await buildProgram(process.argv[2])).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else die(err);
}
