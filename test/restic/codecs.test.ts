import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { VixError } from '../../src/errors/vix-error.js';
import { goQuote, goUnquote } from '../../src/restic/go-quote.js';
import { decodeIndex, encodeIndex } from '../../src/restic/index-file.js';
import { MasterIndex } from '../../src/restic/master-index.js';
import { decodeHeader, encodeHeader, type PackedBlob } from '../../src/restic/pack.js';
import { decodeTree, encodeTree } from '../../src/restic/tree.js';
import { decompressBounded, decompressExact } from '../../src/restic/zstd.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');

/** A zstd frame of RLE blocks (RFC 8878 3.1.1.2): tiny input, `blocks * blockSize` bytes out. */
function rleFrame(blocks: number, blockSize: number, byte: number): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50])];
  for (let i = 0; i < blocks; i++) {
    const h = (blockSize << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, byte]));
  }
  return Buffer.concat(parts);
}

const isFileError = (pattern: RegExp) => (e: unknown) => e instanceof VixError && !e.message.includes('\n') && pattern.test(e.message);

test('zstd: exact lengths are enforced and a decompression bomb stops at the limit', () => {
  const f = rleFrame(3, 1000, 7);
  assert.deepEqual(decompressExact(f, 3000, 'blob'), Buffer.alloc(3000, 7));
  assert.throws(() => decompressExact(f, 2000, 'blob x'), isFileError(/blob x: decompresses to more than 2000 bytes/));
  assert.throws(() => decompressExact(f, 4000, 'blob x'), isFileError(/blob x: decompressed to 3000 bytes, the index says 4000/));
  const bomb = rleFrame(2000, 128 * 1024, 1); // 8 kB that would become 250 MiB
  assert.throws(() => decompressBounded(bomb, 1 << 20, 'index y'), isFileError(/index y: decompresses to more than/));
  assert.throws(() => decompressBounded(Buffer.from('not zstd at all'), 1 << 20, 'index z'), isFileError(/index z: invalid zstd data/));
});

test('pack header: round trip, and bad type, truncation or a size mismatch are refused', () => {
  const blobs: PackedBlob[] = [
    { type: 'data', id: id(1), offset: 0, length: 100, uncompressedLength: 0 },
    { type: 'data', id: id(2), offset: 100, length: 50, uncompressedLength: 400 },
  ];
  const h = encodeHeader(blobs);
  assert.equal(h.length, 37 + 41);
  assert.equal(h[0], 0);
  assert.equal(h[37], 2);
  const size = 150 + h.length + 32 + 4;
  assert.deepEqual(decodeHeader(h, size, 'p'), blobs);
  assert.throws(() => decodeHeader(h, size + 1, 'pack q'), isFileError(/pack q: pack header does not match the file size/));
  assert.throws(() => decodeHeader(h.subarray(0, 50), size, 'pack q'), isFileError(/truncated pack header/));
  const bad = Buffer.from(h);
  bad[0] = 9;
  assert.throws(() => decodeHeader(bad, size, 'pack q'), isFileError(/invalid blob type 9/));
});

test('index JSON: restic\'s shape both ways; malformed entries are refused', () => {
  const text = encodeIndex([{ id: id(9), blobs: [
    { type: 'tree', id: id(1), offset: 0, length: 277, uncompressedLength: 359 },
    { type: 'data', id: id(2), offset: 277, length: 48, uncompressedLength: 0 },
  ] }]);
  assert.ok(text.endsWith('}\n'));
  assert.match(text, /"blobs":\[\{"id":"[0-9a-f]{64}","type":"tree","offset":0,"length":277,"uncompressed_length":359\},\{"id":"[0-9a-f]{64}","type":"data","offset":277,"length":48\}\]/);
  const seen: string[] = [];
  decodeIndex(JSON.parse(text), 'i', (pack, b) => seen.push(`${pack.slice(0, 4)} ${b.type} ${b.uncompressedLength}`));
  assert.deepEqual(seen, [`${id(9).slice(0, 4)} tree 359`, `${id(9).slice(0, 4)} data 0`]);
  // The pre-0.8 form: a bare array of packs.
  decodeIndex([{ id: id(9), blobs: [] }], 'old', () => undefined);
  for (const hostile of [{}, { packs: [{ id: 'x', blobs: [] }] }, { packs: [{ id: id(1), blobs: [{ id: id(2), type: 'data', offset: -1, length: 5 }] }] },
    { packs: [{ id: id(1), blobs: [{ id: id(2), type: 'blob', offset: 0, length: 5 }] }] },
    { packs: [{ id: id(1), blobs: [{ id: id(2), type: 'data', offset: 0, length: 2 ** 40 }] }] }]) {
    assert.throws(() => decodeIndex(hostile, 'index h', () => undefined), isFileError(/index h: invalid index/));
  }
});

test('master index: a million-entry-class map finds every blob by type and ID', () => {
  const m = new MasterIndex();
  const n = 200_000;
  for (let i = 0; i < n; i++) m.add(id(i >> 10), { type: i % 7 === 0 ? 'tree' : 'data', id: id(i), offset: i, length: 100 + i, uncompressedLength: i & 1 });
  m.add(id(1), { type: 'data', id: id(1), offset: 999, length: 1, uncompressedLength: 0 }); // duplicate: first location wins
  assert.equal(m.size, n);
  for (let i = 0; i < n; i += 997) {
    const t = i % 7 === 0 ? 'tree' : 'data';
    assert.deepEqual(m.lookup(t, id(i)), { packId: id(i >> 10), offset: i, length: 100 + i, uncompressedLength: i & 1 });
    assert.equal(m.has(t === 'tree' ? 'data' : 'tree', id(i)), false);
  }
  assert.equal(m.lookup('data', id(n + 1)), undefined);
});

test('tree JSON: restic\'s node shape, byte-order sorting, Go-quoted names', () => {
  // restic stored the name a\b"c as the JSON text "a\\\\b\\\"c" (reference E7).
  assert.equal(JSON.stringify(goQuote('a\\b"c')), '"a\\\\\\\\b\\\\\\"c"');
  for (const name of ['plain.raw', 'a\\b"c', 'tab\there', 'é', 'bell\x07', '\u{1F600}', 'nul\x00', 'del\x7f']) {
    assert.equal(goUnquote(goQuote(name)), name, JSON.stringify(name));
  }
  assert.equal(goUnquote('\\x41\\101\\u00e9'), 'AAé');
  const t = encodeTree([
    { name: 'é', type: 'file', content: [] },
    { name: 'z', type: 'file', size: 5, content: [id(1)] },
    { name: 'Z', type: 'dir', mode: 2 ** 31 + 0o755, content: null, subtree: id(2) },
  ]);
  const text = t.toString();
  assert.ok(text.endsWith(']}\n'));
  assert.deepEqual(JSON.parse(text).nodes.map((n: { name: string }) => n.name), ['Z', 'z', 'é']); // UTF-8 byte order
  assert.match(text, /^\{"nodes":\[\{"name":"Z","type":"dir","mode":2147484141,"mtime":"0001-01-01T00:00:00Z","atime":"0001-01-01T00:00:00Z","ctime":"0001-01-01T00:00:00Z","uid":0,"gid":0,"content":null,"subtree":"/);
  assert.match(text, /"name":"é","type":"file","mtime":"0001-01-01T00:00:00Z","atime":"0001-01-01T00:00:00Z","ctime":"0001-01-01T00:00:00Z","uid":0,"gid":0,"content":\[\]\}/);
  assert.deepEqual(decodeTree(t, 't').map((n) => n.name), ['Z', 'z', 'é']);
  assert.throws(() => encodeTree([{ name: 'a', type: 'file', content: [] }, { name: 'a', type: 'file', content: [] }]), /duplicate node name/);
  assert.throws(() => encodeTree([{ name: 'd', type: 'dir', content: null }]), /has no subtree/);
  assert.throws(() => decodeTree(Buffer.from('{"nodes":[{"name":"x","type":"file","content":["nothex"]}]}'), 'tree t'), isFileError(/tree t: node "x" has an invalid content list/));
});
