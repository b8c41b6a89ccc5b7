import { VixError } from '../errors/vix-error.js';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';

// NBD URIs (NetworkBlockDevice/nbd doc/uri.md, and the query keys libnbd's tools accept):
//   nbd://HOST[:PORT]/EXPORT   nbds://...   nbd+unix:///EXPORT?socket=PATH   nbds+unix:///EXPORT?socket=PATH
// The export name is the path without its first "/", percent-decoded. vixdisk adds two keys, named
// with the "x-" prefix the URI spec reserves for extensions: x-tls-ca-file=FILE (the CA to trust)
// and x-tls-thumbprint=HEX (pin the server certificate by its SHA-256 or SHA-1 fingerprint).

export const DEFAULT_NBD_PORT = 10809;

export interface NbdAddress {
  /** nbds: TLS is required. */
  tls: boolean;
  host?: string;
  port?: number;
  /** Unix socket path (nbd+unix). */
  socket?: string;
  exportName: string;
  /** User name for TLS-PSK (the URI's userinfo). */
  user?: string;
  /** Folder with ca-cert.pem, client-cert.pem, client-key.pem (libnbd/nbdkit/qemu layout). */
  tlsCertificates?: string;
  /** A CA certificate file to trust. */
  tlsCaFile?: string;
  /** Pinned server certificate fingerprint, SHA-256 (64 hex digits) or SHA-1 (40), colons allowed. */
  tlsThumbprint?: string;
  /** false: do not verify the server certificate (tls-verify-peer=false). */
  tlsVerifyPeer?: boolean;
  /** Name to verify the certificate against, instead of the host. */
  tlsHostname?: string;
  /** GnuTLS psk file (identity:hexkey lines). */
  tlsPskFile?: string;
}

const SCHEME = /^(nbds?)(\+unix)?:\/\//i;

/** Whether a disk name is an NBD URI (the schemes vixdisk opens as an NBD client). */
export function isNbdUri(name: string): boolean {
  return SCHEME.test(name);
}

function bad(uri: string, why: string): VixError {
  return new VixError(VIX_E_INVALID_ARG, `NBD URI ${uri}: ${why}`);
}

function decode(uri: string, s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw bad(uri, `"${s}" is not valid percent-encoding`);
  }
}

function bool(uri: string, key: string, v: string): boolean {
  if (/^(1|true|on|yes)$/i.test(v)) return true;
  if (/^(0|false|off|no)$/i.test(v)) return false;
  throw bad(uri, `${key}=${v} is not a boolean`);
}

export function parseNbdUri(uri: string): NbdAddress {
  const m = /^(nbds?)(\+unix)?:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i.exec(uri);
  if (!m) throw bad(uri, 'not an nbd://, nbds://, nbd+unix:// or nbds+unix:// URI');
  const tls = m[1]!.toLowerCase() === 'nbds';
  const unix = !!m[2];
  let authority = m[3]!;
  const path = m[4]!;
  const query = m[5] ?? '';
  const address: NbdAddress = { tls, exportName: path.startsWith('/') ? decode(uri, path.slice(1)) : decode(uri, path) };
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    address.user = decode(uri, authority.slice(0, at));
    authority = authority.slice(at + 1);
  }
  if (unix) {
    if (authority) throw bad(uri, 'a Unix socket URI has no host (use nbd+unix:///EXPORT?socket=PATH)');
  } else {
    const hm = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]*)(?::(\d*))?$/.exec(authority);
    if (!hm) throw bad(uri, `"${authority}" is not HOST[:PORT]`);
    const host = hm[1]!.startsWith('[') ? hm[1]!.slice(1, -1) : decode(uri, hm[1]!);
    address.host = host || 'localhost';
    const port = hm[2] ? Number(hm[2]) : DEFAULT_NBD_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(uri, `port ${hm[2]} is out of range`);
    address.port = port;
  }
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(uri, eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(uri, part.slice(eq + 1));
    switch (key) {
      case 'socket':
        if (!unix) throw bad(uri, 'socket= is for nbd+unix:// URIs');
        address.socket = value;
        break;
      case 'tls-certificates': address.tlsCertificates = value; break;
      case 'tls-psk-file': address.tlsPskFile = value; break;
      case 'tls-hostname': address.tlsHostname = value; break;
      case 'tls-verify-peer': address.tlsVerifyPeer = bool(uri, key, value); break;
      case 'tls-type':
        if (!['x509', 'psk', 'anon'].includes(value)) throw bad(uri, `tls-type=${value} is not x509, psk or anon`);
        break;
      case 'x-tls-ca-file': address.tlsCaFile = value; break;
      case 'x-tls-thumbprint': address.tlsThumbprint = normalizeThumbprint(value, uri); break;
      default:
        throw bad(uri, `unknown query key "${key}"`);
    }
  }
  if (unix && !address.socket) throw bad(uri, 'an nbd+unix URI needs ?socket=PATH');
  if (!tls && (address.tlsCertificates || address.tlsCaFile || address.tlsThumbprint || address.tlsPskFile)) {
    throw bad(uri, 'TLS settings need an nbds:// (or nbds+unix://) URI');
  }
  return address;
}

/** Lower-case hex without separators; 40 (SHA-1) or 64 (SHA-256) digits. */
export function normalizeThumbprint(text: string, what = 'thumbprint'): string {
  const hex = text.replace(/[:\s-]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || (hex.length !== 40 && hex.length !== 64)) {
    throw new VixError(VIX_E_INVALID_ARG, `${what}: "${text}" is not a SHA-1 or SHA-256 certificate thumbprint`);
  }
  return hex;
}

/** A URI for an address (the inverse of parseNbdUri for the common keys). */
export function formatNbdUri(a: NbdAddress): string {
  const scheme = `${a.tls ? 'nbds' : 'nbd'}${a.socket ? '+unix' : ''}`;
  const path = encodeURIComponent(a.exportName).replace(/%2F/g, '/');
  const q: string[] = [];
  if (a.socket) q.push(`socket=${encodeURIComponent(a.socket).replace(/%2F/g, '/')}`);
  if (a.tlsCertificates) q.push(`tls-certificates=${encodeURIComponent(a.tlsCertificates).replace(/%2F/g, '/')}`);
  const host = a.socket ? '' : `${a.host?.includes(':') ? `[${a.host}]` : a.host}:${a.port ?? DEFAULT_NBD_PORT}`;
  return `${scheme}://${host}/${path}${q.length ? `?${q.join('&')}` : ''}`;
}
