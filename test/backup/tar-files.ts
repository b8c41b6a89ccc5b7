// The regular files of a tar stream (what `restic dump SNAPSHOT /folder` writes), by path without a
// leading "/": ustar headers, with GNU long names and PAX extended headers (path, size) honoured.

export function tarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const field = (h: Buffer, at: number, length: number) => h.subarray(at, at + length).toString('utf8').replace(/\0.*$/s, '');
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  for (let at = 0; at + 512 <= tar.length;) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const type = String.fromCharCode(h[156]!);
    const sizeField = h.subarray(124, 136);
    // Sizes past 8 GiB are base-256 (high bit set); ours are small.
    const size = sizeField[0]! & 0x80 ? Number(sizeField.subarray(1).readBigUInt64BE(3)) : parseInt(field(h, 124, 12).trim() || '0', 8);
    const prefix = field(h, 345, 155);
    let name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    const body = tar.subarray(at + 512, at + 512 + Number(pax.size ?? size));
    at += 512 + Math.ceil(Number(pax.size ?? size) / 512) * 512;
    if (type === 'x') {
      pax = {};
      for (let text = body.toString('utf8'); text.length > 0;) {
        const space = text.indexOf(' ');
        const length = Number(text.slice(0, space));
        const [key, ...value] = text.slice(space + 1, length - 1).split('=');
        pax[key!] = value.join('=');
        text = text.slice(length);
      }
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (pax.path) name = pax.path;
    if (longName) name = longName;
    if (type === '0' || type === '\0') files.set(name.replace(/^\.?\//, ''), Buffer.from(body));
    pax = {};
    longName = null;
  }
  return files;
}
