import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { hostPassword } from './host-password.js';

// A disk on a vSphere host named by a URI, so every command that takes a disk takes a remote one:
//
//   vix://USER@HOST[:PORT]/?vm=moref=vm-N&disk=[ds] dir/disk.vmdk&thumbprint=AA:BB:…
//        [&snapshot=snapshot-M][&mode=nbdssl|nbd][&nfcport=902]
//
// The password is never in the URI (argv is visible to every user of the machine): it comes from
// the environment variable VIXDISK_PASSWORD, the file VIXDISK_PASSWORD_FILE names, or a prompt on a
// terminal (device/host-password.ts).
//
// This file only reads the name; opening it is the remote VixDiskLib's job (vix/vix-uri-device.ts),
// which the layer above supplies to openDevice (setVixUriOpener), so device/ never reaches up.

export interface VixUri {
  host: string;
  /** HTTPS port; 443 when the URI names none. */
  port: number;
  user: string;
  password: string;
  /** VDDK's vmxSpec (`moref=vm-N`). */
  vm: string;
  thumbprint: string;
  /** 0: the port the NFC ticket names. */
  nfcPort: number;
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
    host, port: u.port ? Number(u.port) : 443, user, password, vm, thumbprint, nfcPort,
    snapshot: q.get('snapshot'),
    disk,
    mode,
  };
}
