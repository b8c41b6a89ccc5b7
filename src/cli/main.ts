import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { toVixError } from '../errors/vix-error.js';
import { setVixUriOpener } from '../device/open-device.js';

// The vixdisk command: one file per subcommand, wired here. One exit rule for every command: 0
// success, 1 failure, 2 usage error (compare, as cmp: 0 same, 1 different, 2 error), each failure
// one line on stderr, `vixdisk: <message> (VIX error N)`: commander's own usage errors too.

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
  host: async () => (await import('./host.js')).hostCommand(),
  snapshots: async () => (await import('./snapshots.js')).snapshotsCommand(),
  restore: async () => (await import('./restore.js')).restoreCommand(),
  verify: async () => (await import('./verify.js')).verifyCommand(),
  backup: async () => (await import('./backup.js')).backupCommand(),
  vm: async () => (await import('./vm.js')).vmCommand(),
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
    .configureOutput({ outputError: () => undefined })
    .addHelpText('after', `
Exit status: 0 success, 1 failure, 2 usage error (compare: 0 same, 1 different, 2 error). Errors
are printed as one line: vixdisk: <message> (VIX error N).
A disk's name decides its format: *.vmdk is a VMDK, an nbd:// URI an NBD export, anything else a
raw image; --format vmdk|raw (-f) overrides it.`);
  const wanted = name === '-V' || name === '--version' ? []
    : name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
  for (const cmd of await Promise.all(wanted.map((load) => load()))) {
    cmd.configureOutput({ outputError: () => undefined });
    program.addCommand(cmd);
  }
  const usageExit = (err: CommanderError) => {
    // --help and --version exit 0; every other commander error is a usage error.
    throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
  };
  // Nested subcommands too (vm snapshot create): every level reports usage errors the same way.
  const override = (cmd: Command): void => {
    cmd.exitOverride(usageExit).configureOutput({ outputError: () => undefined });
    for (const sub of cmd.commands) override(sub);
  };
  override(program);
  return program;
}

// Every command that names a disk may name a vix:// one: the remote VixDiskLib opens it.
setVixUriOpener(async () => (await import('../vix/vix-uri-device.js')).openVixUri);

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

/** Commander's usage error as the one line every error is: `vixdisk: <message>; ... (VIX error 3)`. */
function usageLine(err: CommanderError): string {
  const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  const command = process.argv[2] !== undefined && Object.hasOwn(COMMANDS, process.argv[2]) ? ` ${process.argv[2]}` : '';
  return `vixdisk: ${message}; see vixdisk${command} --help (VIX error ${VIX_E_INVALID_ARG})\n`;
}

try {
  await (await buildProgram(process.argv[2])).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help asked for (or shown because no command was given) is printed already; anything else is one line.
    if (err.exitCode !== 0 && err.code !== 'commander.help' && err.code !== 'commander.helpDisplayed') process.stderr.write(usageLine(err));
    process.exitCode = err.exitCode;
  } else die(err);
}
