const ZEROS = new Uint8Array(1 << 20);

/** True when every byte of `buf` is zero (native memcmp against a shared zero page, 1 MiB at a time). */
export function isZero(buf: Uint8Array): boolean {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  for (let off = 0; off < view.length; off += ZEROS.length) {
    const n = Math.min(ZEROS.length, view.length - off);
    if (view.compare(ZEROS, 0, n, off, off + n) !== 0) return false;
  }
  return true;
}
