import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { callAdmin, MAX_GUEST_WRITE_BYTES } from '../host/admin-endpoint.js';
import { hashPassword } from '../host/auth/password-hash.js';
import { bindAddress, ConfigError, personality, type Personality } from '../host/config.js';
import type { HostReady } from '../host/host-runtime.js';
import { runAction } from './run-action.js';
import { parseSize } from './size.js';
import { UsageError } from './usage-error.js';

// vixdisk host: a vSphere host (vCenter or ESXi) on this machine, for backup software to test
// against (docs/host-config.md, docs/host-security.md). Runs until SIGINT/SIGTERM. The
// subcommands guest-write and power play a running host's guest through its admin socket.

interface HostOptions {
  data?: string;
  config?: string;
  bind?: string;
  port?: string;
  nfcPort?: string;
  personality?: string;
  json?: boolean;
}

/** $XDG_DATA_HOME/vixdisk/host, or ~/.local/share/vixdisk/host. */
export function defaultDataDir(): string {
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share'), 'vixdisk', 'host');
}

function portNumber(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${option} "${value}" is not a TCP port number`);
  return n;
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--${error.key}: ${error.message.slice(error.key.length + 2)}`);
    throw error;
  }
}

export function readyLines(ready: HostReady): string[] {
  const lines = [
    `vixdisk host (${ready.personality === 'vcenter' ? 'vCenter' : 'ESXi'}) ready at ${ready.url}`,
    `  data folder:          ${ready.dataDir}`,
    `  thumbprint (SHA-1):   ${ready.thumbprintSha1}`,
    `  thumbprint (SHA-256): ${ready.thumbprintSha256}`,
    `  NFC ports:            ${ready.nfcPorts.join(', ')}`,
    '  users:',
  ];
  for (const u of ready.users) {
    lines.push(`    ${u.name.padEnd(14)} role ${u.role.padEnd(9)}${u.password !== undefined ? ` password ${u.password}` : ''}`);
  }
  return lines;
}

async function runHost(opts: HostOptions): Promise<void> {
  const dataDir = resolve(opts.data ?? defaultDataDir());
  const bind = opts.bind === undefined ? undefined : usage(() => bindAddress(opts.bind, 'bind'));
  const chosen: Personality | undefined = opts.personality === undefined ? undefined : usage(() => personality(opts.personality, 'personality'));
  const port = portNumber(opts.port, '--port');
  const nfcPort = portNumber(opts.nfcPort, '--nfc-port');
  const log = (line: string) => process.stderr.write(`vixdisk host: ${line}\n`);
  const { HostRuntime } = await import('../host/host-runtime.js');
  const runtime = await HostRuntime.start({
    dataDir, log,
    ...(opts.config !== undefined ? { configFile: resolve(opts.config) } : {}),
    ...(bind !== undefined ? { bind } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(nfcPort !== undefined ? { nfcPort } : {}),
    ...(chosen !== undefined ? { personality: chosen } : {}),
  });
  // The signal handlers go in before the ready line is written: a script that reads the line and
  // sends SIGINT at once must find them installed (else the default action kills the host).
  const stopped = new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      log(`${signal}: stopping`);
      runtime.stop().then(done, (error: unknown) => {
        log(`stopping: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
        done();
      });
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  const ready = runtime.ready;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({
      url: ready.url, personality: ready.personality, thumbprintSha1: ready.thumbprintSha1,
      thumbprintSha256: ready.thumbprintSha256, nfcPorts: ready.nfcPorts, dataDir: ready.dataDir,
      users: ready.users.map((u) => ({ name: u.name, role: u.role, ...(u.password !== undefined ? { password: u.password } : {}) })),
    })}\n`);
  } else {
    process.stdout.write(`${readyLines(ready).join('\n')}\n`);
  }
  await stopped;
}

interface GuestWriteOptions {
  data?: string;
  vm: string;
  disk: string;
  offset: string;
  file?: string;
  pattern?: string;
  length?: string;
}

function integer(value: string | undefined, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(value) || Number(value) > max) {
    throw new UsageError(`${option} "${value}" is not an integer 0..${max}`);
  }
  return Number(value);
}

async function guestWrite(opts: GuestWriteOptions, dataDir: string): Promise<void> {
  const disk = integer(opts.disk, '--disk', 255);
  const offset = integer(opts.offset, '--offset');
  let data: Buffer;
  if ((opts.file === undefined) === (opts.pattern === undefined)) throw new UsageError('give either --file F or --pattern BYTE --length L');
  if (opts.file !== undefined) {
    if (opts.length !== undefined) throw new UsageError('--length goes with --pattern');
    data = await readFile(opts.file);
  } else {
    const byte = integer(opts.pattern, '--pattern', 255);
    data = Buffer.alloc(integer(opts.length, '--length', MAX_GUEST_WRITE_BYTES), byte);
  }
  if (data.length === 0 || data.length > MAX_GUEST_WRITE_BYTES) throw new UsageError(`the data must be 1..${MAX_GUEST_WRITE_BYTES} bytes`);
  await callAdmin(dataDir, { op: 'guest-write', vm: opts.vm, disk, offset, data: data.toString('base64') });
}

export function hostCommand(): Command {
  const host = new Command('host')
    .description('run a vSphere host (vCenter or ESXi: vim25 SOAP over HTTPS, NFC, snapshots, CBT, users and privileges) until SIGINT/SIGTERM')
    .option('--data <dir>', `data folder (default ${defaultDataDir()})`)
    .option('--config <file>', 'config file (default DATA/host.json, created with generated accounts on first start)')
    .option('--bind <addr>', 'address to listen on (default 127.0.0.1: loopback only)')
    .option('--port <n>', 'HTTPS (SOAP) port (default 8443; 0 picks a free one)')
    .option('--nfc-port <n>', 'first NFC port, one per ESXi host upward (default 8902; 0 picks free ones)')
    .option('--personality <p>', 'esxi or vcenter (default vcenter)')
    .option('--json', 'print the ready line as one JSON object')
    .addHelpText('after', `
Prints the SDK URL, the certificate's thumbprints and the users once listening (first start: with
their generated passwords, also kept in DATA/passwords.json, mode 0600). Example:
  vixdisk host --data /tmp/lab --port 0 --json
  govc about -u 'https://backup:PASSWORD@127.0.0.1:PORT/sdk' -k`)
    .action(runAction(async (opts: HostOptions) => runHost(opts)));
  // `--data` after a subcommand name is the subcommand's; before it, commander gives it to `host`.
  const runningDataDir = (opts: { data?: string }): string => resolve(opts.data ?? host.opts<HostOptions>().data ?? defaultDataDir());

  host.command('guest-write')
    .description("write into a running host's VM disk as its guest would (change tracking sees it)")
    .option('--data <dir>', 'the running host\'s data folder')
    .requiredOption('--vm <name>', 'VM name or moref')
    .requiredOption('--disk <n>', 'disk index, 0 = the first disk in device order')
    .requiredOption('--offset <bytes>', 'byte offset in the disk')
    .option('--file <f>', 'write the bytes of this file')
    .option('--pattern <byte>', 'write this byte value (0..255) ...')
    .option('--length <bytes>', '... this many times')
    .action(runAction(async (opts: GuestWriteOptions) => guestWrite(opts, runningDataDir(opts))));

  host.command('power')
    .description("power a running host's VM on or off")
    .argument('<state>', 'on or off')
    .option('--data <dir>', 'the running host\'s data folder')
    .requiredOption('--vm <name>', 'VM name or moref')
    .action(runAction(async (state: string, opts: { data?: string; vm: string }) => {
      if (state !== 'on' && state !== 'off') throw new UsageError(`power state "${state}" is not on or off`);
      await callAdmin(runningDataDir(opts), { op: 'power', vm: opts.vm, state });
    }));
  host.command('create-vms')
    .description("register new empty VMs (one thin disk each, powered off) on a running host, e.g. for a benchmark inventory")
    .option('--data <dir>', 'the running host\'s data folder')
    .requiredOption('--count <n>', 'how many VMs')
    .option('--prefix <name>', 'names are PREFIX<first>, PREFIX<first+1>, ...', 'vm')
    .option('--first <n>', 'the first number', '1')
    .option('--datastore <name>', 'datastore to create them on', 'datastore1')
    .option('--esx-host <name>', 'ESXi host they are registered on', 'esx1.local')
    .option('--disk-size <size>', 'capacity of each VM\'s disk (K, M, G suffixes)', '16M')
    .action(runAction(async (opts: { data?: string; count: string; prefix: string; first: string; datastore: string; esxHost: string; diskSize: string }) => {
      const diskCapacity = parseSize(opts.diskSize, '--disk-size');
      if (diskCapacity <= 0 || diskCapacity % 512 !== 0) throw new UsageError('--disk-size must be a positive multiple of 512');
      await callAdmin(runningDataDir(opts), {
        op: 'create-vms', prefix: opts.prefix, count: integer(opts.count, '--count', 10_000), first: integer(opts.first, '--first'),
        datastore: opts.datastore, host: opts.esxHost, diskCapacity,
      });
    }));
  host.command('hash-password')
    .description('read a password on stdin, print its scrypt hash for a config file\'s users[].passwordHash')
    .action(runAction(async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > 4096) throw new UsageError('a password is at most 4096 bytes');
        chunks.push(chunk);
      }
      const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (password.length === 0) throw new UsageError('no password on stdin');
      process.stdout.write(`${await hashPassword(password)}\n`);
    }));
  return host;
}
