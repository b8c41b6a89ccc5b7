import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileReplacing } from '../../vmdk/replace-file.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { VIX_E_FAIL } from '../../errors/error-codes.js';
import { VixError } from '../../errors/vix-error.js';

/**
 * The host's TLS identity (reference §2.5): a self-signed certificate and its key as PEM files in a
 * folder (named as ESXi names them, rui.crt and rui.key; the key file mode 0600), made on first
 * start and loaded after. Both files are written to temporary names, flushed and renamed, so a
 * host killed mid-way leaves either the old pair, or no pair (made again), never half of one.
 */

export const CERTIFICATE_FILE = 'rui.crt';
export const KEY_FILE = 'rui.key';

export interface HostCertificate {
  certPem: string;
  keyPem: string;
  /** SHA-1 of the DER certificate as VMware writes it: 20 upper-case hex pairs joined by ':'. */
  thumbprintSha1: string;
  /** SHA-256, 32 pairs, same form. */
  thumbprintSha256: string;
}

/** `AB:CD:…` from a digest. */
export function formatThumbprint(digest: Buffer): string {
  return [...digest].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export function describeCertificate(certPem: string, keyPem: string): HostCertificate {
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the key does not belong to the certificate');
  return {
    certPem, keyPem,
    // Node writes fingerprints exactly in VMware's form (upper-case pairs joined by ':').
    thumbprintSha1: cert.fingerprint,
    thumbprintSha256: cert.fingerprint256,
  };
}

/**
 * The certificate in `folder`, made first if neither file is there. A pair that does not load
 * (corrupt, or a key of another certificate) is an error naming the file, not silently replaced:
 * clients pinned the old thumbprint.
 */
export async function loadOrCreateCertificate(folder: string, hostName = hostname()): Promise<HostCertificate> {
  const certPath = join(folder, CERTIFICATE_FILE);
  const keyPath = join(folder, KEY_FILE);
  const [certPem, keyPem] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (certPem !== undefined && keyPem !== undefined) {
    try {
      return describeCertificate(certPem, keyPem);
    } catch (err) {
      throw new VixError(VIX_E_FAIL, `host certificate ${certPath}: cannot be used with ${keyPath} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  // Only one of the two: a first start killed between the renames. Nobody saw that pair: make a new one.
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const made = await createSelfSigned(hostName);
  await writeAtomically(keyPath, made.keyPem, 0o600);
  await writeAtomically(certPath, made.certPem, 0o644);
  return describeCertificate(made.certPem, made.keyPem);
}

/** A new RSA-2048 self-signed server certificate for `hostName`, localhost and 127.0.0.1, valid ten years. */
export async function createSelfSigned(hostName: string): Promise<{ certPem: string; keyPem: string }> {
  // @peculiar/x509 needs the Reflect metadata polyfill loaded before it.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 24 * 3600_000);
  const notAfter = new Date(notBefore.getTime() + 10 * 365 * 24 * 3600_000);
  const names = [...new Set(['localhost', hostName].filter((n) => n !== ''))];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: `CN=${hostName.replace(/[,+="<>#;\\]/g, '_') || 'localhost'}, O=VMware Installer`,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: 'dns' as const, value })),
        { type: 'ip' as const, value: '127.0.0.1' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: `${cert.toString('pem')}\n`, keyPem };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  // The mode is set at creation, so the key is never readable by others, even for a moment.
  await writeFileReplacing(path, text, { mode });
}
