import * as zlib from 'node:zlib';

// CRC-32 (IEEE, as zlib computes it) for the ctk file's header, map and journal records.
// Node >= 20.15 has zlib.crc32 in native code; older Node 20 releases get the table version.

type Crc32 = (data: Uint8Array, value?: number) => number;

let table: Uint32Array | undefined;

function crc32Table(): Uint32Array {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  return table;
}

function crc32Js(data: Uint8Array, value = 0): number {
  const t = crc32Table();
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data`, continuing from `value` (the CRC of what came before). */
export const crc32: Crc32 = native ? (data, value = 0) => native(data, value) >>> 0 : crc32Js;
