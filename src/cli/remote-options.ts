import { Option, type Command } from 'commander';
import { hostPassword } from '../device/host-password.js';
import { VIXDISKLIB_CRED_UID } from '../vix/constants.js';
import type { VixDiskLibConnectParams } from '../vix/types.js';
import { UsageError } from './usage-error.js';

// The connection options every command that talks to a vSphere host shares (vm, snapshot, cbt,
// backup, restore to a VM): the host, its certificate's thumbprint and the user, each also from
// the environment so a script sets them once. The password never comes from argv: VIXDISK_PASSWORD,
// VIXDISK_PASSWORD_FILE or a prompt on the terminal (device/host-password.ts).

export interface RemoteOptionValues {
  host?: string;
  port?: string;
  user?: string;
  thumbprint?: string;
  nfcPort?: string;
  mode?: string;
}

/**
 * Add --host --port --user --thumbprint, and --nfc-port --mode unless `transport` is false (a
 * command that moves no disk data, such as `vm list`, has no use for them).
 */
export function addRemoteOptions(cmd: Command, defaultModes = 'nbdssl:nbd', { transport = true }: { transport?: boolean } = {}): Command {
  cmd
    .addOption(new Option('--host <host>', 'vCenter or ESXi host').env('VIXDISK_HOST'))
    .addOption(new Option('--port <port>', 'HTTPS port of the host').env('VIXDISK_PORT').default('443'))
    .addOption(new Option('--user <user>', 'user name on the host (password: VIXDISK_PASSWORD, VIXDISK_PASSWORD_FILE or a prompt)').env('VIXDISK_USER'))
    .addOption(new Option('--thumbprint <sha>', "SHA-1 or SHA-256 thumbprint of the host's certificate").env('VIXDISK_THUMBPRINT'));
  if (!transport) return cmd;
  return cmd
    .addOption(new Option('--nfc-port <port>', 'NFC port of the ESXi host (0: the one the host names)').default('0'))
    .addOption(new Option('--mode <modes>', 'transport modes tried left to right (san:hotadd:nbdssl:nbd)').default(defaultModes));
}

function port(value: string | undefined, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${what} "${value}" is not a TCP port`);
  return n;
}

export interface RemoteConnection {
  /** ConnectEx's parameters, vmxSpec as given (null when the command names no VM). */
  params: VixDiskLibConnectParams;
  /** The transport mode list for ConnectEx. */
  modes: string;
}

/**
 * ConnectEx parameters from the options (and the environment); asks for the password last, so a
 * missing option is reported before anyone is prompted.
 */
export async function remoteConnection(opts: RemoteOptionValues, vmxSpec: string | null = null): Promise<RemoteConnection> {
  if (!opts.host) throw new UsageError('no host: give --host or set VIXDISK_HOST');
  if (!opts.user) throw new UsageError('no user: give --user or set VIXDISK_USER');
  if (!opts.thumbprint) throw new UsageError("no thumbprint: give --thumbprint (or VIXDISK_THUMBPRINT), the host certificate's SHA-1 or SHA-256 as vixdisk host prints it");
  const params: VixDiskLibConnectParams = {
    vmxSpec,
    serverName: opts.host,
    port: port(opts.port, '--port', 443),
    nfcHostPort: port(opts.nfcPort, '--nfc-port', 0),
    thumbPrint: opts.thumbprint,
    credType: VIXDISKLIB_CRED_UID,
    creds: { uid: { userName: opts.user, password: await hostPassword(opts.user, opts.host) } },
  };
  return { params, modes: opts.mode ?? 'nbdssl:nbd' };
}
