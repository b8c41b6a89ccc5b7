import type { Duplex } from 'node:stream';

// TLS client streams as the NBD client (STARTTLS, nbds://) and the NFC client (nbdssl) run them:
// the cipher order they offer, and decrypted bytes read straight into buffers the client chooses.

/**
 * TLS 1.3 suites with AES-128-GCM first (as browsers order them): a peer that honours the client's
 * order (GnuTLS, so nbdkit and qemu) then spends less on every byte in both directions.
 */
export function preferredCiphers(defaults: string): string {
  return `TLS_AES_128_GCM_SHA256:${defaults.replace(/(^|:)TLS_AES_128_GCM_SHA256(?=:|$)/, '')}`;
}

/**
 * A TLS stream reading into buffers we choose, as a plain socket does with Node's `onread` option.
 * Without it Node decrypts each 16 KiB record into a new buffer and passes it through the stream
 * machinery ('data' events), and the parser copies it again into the caller's buffer: on a copy
 * that is a third of the main thread's time. tls.connect ignores `onread` when it wraps an existing
 * socket (our STARTTLS), but the TLS handle is a stream like the socket's and takes the same
 * setting; this applies it the way net.Socket does for `onread` (the kBuffer, kBufferCb and
 * kBufferGen fields read by Node's onStreamRead, and the handle's useUserBuffer), where this Node
 * has exactly that shape, and returns false otherwise (the caller then reads 'data' events).
 * Decrypted bytes then go straight into `next`'s choice (the rest of a read's payload, or a
 * scratch buffer). Nothing must be queued in the stream already (the handshake reader is gone).
 */
export function readIntoOwnBuffers(stream: Duplex, next: () => Uint8Array, callback: (n: number, buf: Uint8Array) => void): boolean {
  const handle = (stream as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => unknown } })._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || stream.readableLength > 0) return false;
  const own = Object.getOwnPropertySymbols(stream);
  const field = (name: string) => own.find((sym) => sym.description === name);
  const kBuffer = field('kBuffer');
  const kBufferCb = field('kBufferCb');
  const kBufferGen = field('kBufferGen');
  const fields = stream as unknown as Record<symbol, unknown>;
  if (!kBuffer || !kBufferCb || !kBufferGen || fields[kBuffer] !== null || fields[kBufferCb] !== null || fields[kBufferGen] !== null) return false;
  const first = next();
  fields[kBufferCb] = (n: number, buf: Uint8Array) => { callback(n, buf); return true; };
  fields[kBufferGen] = next;
  fields[kBuffer] = first;
  handle.useUserBuffer(first);
  return true;
}
