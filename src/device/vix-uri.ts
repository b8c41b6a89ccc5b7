import type { BlockDevice } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixConfig } from '../vix/config.js';
import { VIXDISKLIB_CRED_UID } from '../vix/constants.js';
import type { VixDiskLibConnectParams } from '../vix/types.js';
import { hostPassword } from './host-password.js';

// A disk on a vSphere host named by a URI, so every command that takes a disk takes a remote one:
//
//   vix://USER@HOST[:PORT]/?vm=moref=vm-N&disk=[ds] dir/disk.vmdk&thumbprint=AA:BB:…
//        [&snapshot=snapshot-M][&mode=nbdssl|nbd][&nfcport=902]
//
// The password is never in the URI (argv is visible to every user of the machine): it comes from
// the environment variable VIXDISK_PASSWORD, the file VIXDISK_PASSWORD_FILE names, or a prompt on a
// terminal (device/host-password.ts).

export interface VixUri {
  params: VixDiskLibConnectParams;
  snapshot: string | null;
  disk: string;
  mode: 'nbd' | 'nbdssl';
}

export function isVixUri(name: string): boolean {
  return /^vix:\/\//i.test(name);
}

function bad(what: string): never {
  throw new VixError(VIX_E_INVALID_ARG, `vix:// URI: ${what} (vix://USER@HOST[:PORT]/?vm=moref=vm-N&disk=[ds] path.vmdk&thumbprint=…)`);
}

/** Parse a vix:// URI; the password is read as the header says. */
export async function parseVixUri(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<VixUri> {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return bad(`"${uri.slice(0, 120)}" is not a URI`);
  }
  if (u.password) bad('a password in the URI would be visible to every user of this machine; set VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE');
  const q = u.searchParams;
  if (q.has('password')) bad('the password does not go in the URI; set VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE');
  const known = new Set(['vm', 'disk', 'thumbprint', 'snapshot', 'mode', 'nfcport']);
  for (const k of q.keys()) if (!known.has(k)) bad(`unknown parameter "${k}"`);
  const user = decodeURIComponent(u.username);
  if (!user) bad('no user name (vix://USER@HOST/…)');
  if (!u.hostname) bad('no host');
  const vm = q.get('vm') ?? bad('no vm= (vm=moref=vm-N)');
  const disk = q.get('disk') ?? bad('no disk= (disk=[datastore] dir/disk.vmdk)');
  const thumbprint = q.get('thumbprint') ?? bad('no thumbprint= (the SHA-1 or SHA-256 of the host certificate)');
  const mode = (q.get('mode') ?? 'nbdssl').toLowerCase();
  if (mode !== 'nbd' && mode !== 'nbdssl') bad(`mode "${mode}" is not nbd or nbdssl`);
  const nfcPort = q.has('nfcport') ? Number(q.get('nfcport')) : 0;
  if (!Number.isInteger(nfcPort) || nfcPort < 0 || nfcPort > 65535) bad(`nfcport ${q.get('nfcport')} is not a TCP port`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const password = await hostPassword(user, host, { env });
  return {
    params: {
      vmxSpec: vm, serverName: host, port: u.port ? Number(u.port) : 443, nfcHostPort: nfcPort, thumbPrint: thumbprint,
      credType: VIXDISKLIB_CRED_UID, creds: { uid: { userName: user, password } },
    },
    snapshot: q.get('snapshot'),
    disk,
    mode,
  };
}

/** Open the disk a vix:// URI names; closing the device ends the host session too. */
export async function openVixUri(uri: string, options: { readOnly?: boolean } = {}): Promise<BlockDevice> {
  const parsed = await parseVixUri(uri);
  const { RemoteSession } = await import('../vix/remote-session.js');
  const readOnly = options.readOnly ?? true;
  // Warnings while connecting and opening are shown once the disk is open: when the open fails,
  // its error says the same thing, and a failure is one line.
  const warnings: string[] = [];
  let opened = false;
  const session = await RemoteSession.connect({
    params: parsed.params, readOnly, snapshotRef: parsed.snapshot, config: VixConfig.parse(''),
    log: (level, line) => {
      if (level !== 'warn') return;
      if (opened) process.stderr.write(`vixdisk: ${line}\n`);
      else warnings.push(line);
    },
  });
  let device: BlockDevice;
  try {
    device = await session.openDisk({ path: parsed.disk, writable: !readOnly, ssl: parsed.mode === 'nbdssl' });
  } catch (err) {
    await session.close();
    throw err;
  }
  opened = true;
  for (const line of warnings) process.stderr.write(`vixdisk: ${line}\n`);
  const closeDevice = device.close.bind(device);
  // The device owns the session: closing it logs out.
  device.close = async () => {
    try {
      await closeDevice();
    } finally {
      await session.close();
    }
  };
  return device;
}
