import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { mac, open, seal, verify, type ResticKey } from '../../src/restic/crypto.js';
import { isIrreducible, randomPolynomial, validPolynomialHex } from '../../src/restic/polynomial.js';
import { poly1305, poly1305Memory } from '../../src/restic/poly1305.js';
import { VixError } from '../../src/errors/vix-error.js';
import { decompressExact } from '../../src/restic/zstd.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Poly1305 straight from RFC 8439's formula in BigInt: the reference the fast code is checked against. */
function poly1305Reference(key: Uint8Array, msg: Uint8Array): Buffer {
  const le = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = le(key.subarray(16, 32));
  const p = (1n << 130n) - 5n;
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, i + 16);
    acc = ((acc + le(block) + (1n << BigInt(8 * block.length))) * r) % p;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

test('Poly1305: RFC 8439 section 2.5.2 and appendix A.3 vectors', () => {
  const vectors: Array<[string, string, string]> = [
    // [key r||s, message, tag]
    ['85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', Buffer.from('Cryptographic Forum Research Group').toString('hex'), 'a8061dc1305136c6c22b8baf0c0127a9'],
    ['00'.repeat(32), '00'.repeat(64), '00'.repeat(16)],
    ['02' + '00'.repeat(31), 'ff'.repeat(16), '03' + '00'.repeat(15)],
    ['02' + '00'.repeat(15) + 'ff'.repeat(16), '02' + '00'.repeat(15), '03' + '00'.repeat(15)],
    ['01' + '00'.repeat(31), 'ff'.repeat(16) + 'f0' + 'ff'.repeat(15) + '11' + '00'.repeat(15), '05' + '00'.repeat(15)],
    ['01' + '00'.repeat(31), 'ff'.repeat(16) + 'fb' + 'fe'.repeat(15) + '01'.repeat(16), '00'.repeat(16)],
    ['02' + '00'.repeat(31), 'fd' + 'ff'.repeat(15), 'fa' + 'ff'.repeat(15)],
    ['0100000000000000040000000000000000000000000000000000000000000000',
      'e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000',
      '14000000000000005500000000000000'],
    ['0100000000000000040000000000000000000000000000000000000000000000',
      'e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000',
      '13000000000000000000000000000000'],
  ];
  for (const [k, m, want] of vectors) {
    assert.equal(Buffer.from(poly1305(hex(k), hex(m))).toString('hex'), want, `key ${k}`);
    assert.equal(poly1305Reference(hex(k), hex(m)).toString('hex'), want, `reference, key ${k}`);
  }
});

test('Poly1305: the limb arithmetic agrees with the BigInt formula on random and extreme inputs', () => {
  // Keys at the edges of the limb bounds: r and s all ones (r clamps to its largest value), each
  // alone, and zero; messages of every length 0-300 (all partial-block shapes), random or all 0xff
  // (the largest message limbs), then some longer ones.
  const ones = Buffer.alloc(16, 0xff);
  const zeros = Buffer.alloc(16);
  const edgeKeys = [
    Buffer.concat([ones, ones]), Buffer.concat([ones, zeros]), Buffer.concat([zeros, ones]), Buffer.alloc(32),
    Buffer.concat([ones, randomBytes(16)]), Buffer.concat([randomBytes(16), ones]),
  ];
  for (let len = 0; len <= 300; len++) {
    const keys = [randomBytes(32), edgeKeys[len % edgeKeys.length]];
    const msgs = [randomBytes(len), Buffer.alloc(len, 0xff)];
    for (const key of keys) {
      for (const msg of msgs) {
        assert.deepEqual(Buffer.from(poly1305(key, msg)), poly1305Reference(key, msg), `key ${key.toString('hex')} length ${len}`);
      }
    }
  }
  for (let i = 0; i < 40; i++) {
    const key = i % 2 === 0 ? edgeKeys[i % edgeKeys.length] : randomBytes(32);
    const msg = i % 3 === 0 ? Buffer.alloc(1000 + i * 97, 0xff) : randomBytes(1000 + i * 97);
    // A view at an odd offset into a larger buffer, as blobs inside a pack are.
    const view = Buffer.concat([Buffer.alloc(3), msg]).subarray(3);
    assert.deepEqual(Buffer.from(poly1305(key, view)), poly1305Reference(key, msg), `key ${key.toString('hex')} length ${msg.length}`);
  }
});

test('Poly1305: messages longer than the WebAssembly staging area, and read straight into its memory', () => {
  // Around the 64 KiB pieces a message outside WebAssembly memory is copied in, and a megabyte.
  const lengths = [65535, 65536, 65537, 65536 + 15, 2 * 65536 + 1, 1 << 20, (1 << 20) + 7];
  for (const len of lengths) {
    const key = len % 2 === 0 ? randomBytes(32) : Buffer.alloc(32, 0xff);
    const msg = len % 3 === 0 ? Buffer.alloc(len, 0xff) : randomBytes(len);
    const want = poly1305Reference(key, msg);
    assert.deepEqual(Buffer.from(poly1305(key, msg)), want, `copied in, length ${len}`);
    const region = poly1305Memory(len);
    region.set(msg);
    assert.deepEqual(Buffer.from(poly1305(key, region)), want, `in memory, length ${len}`);
    // A region view at an odd offset inside that memory, as a blob inside a pack read whole.
    const inner = poly1305Memory(len + 5).subarray(5);
    inner.set(msg);
    assert.deepEqual(Buffer.from(poly1305(key, inner)), want, `in memory at offset 5, length ${len}`);
  }
  // The region grows on demand (a 40 MiB blob) and the small ones still come out right afterwards.
  const big = poly1305Memory(40 << 20);
  big.fill(0xa5);
  const key = randomBytes(32);
  assert.deepEqual(Buffer.from(poly1305(key, big.subarray(0, 40 << 20))), poly1305Reference(key, Buffer.alloc(40 << 20, 0xa5)));
  assert.equal(Buffer.from(poly1305(hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b'),
    Buffer.from('Cryptographic Forum Research Group'))).toString('hex'), 'a8061dc1305136c6c22b8baf0c0127a9');
});

// DJB's Poly1305-AES test vectors (cr.yp.to/mac/poly1305-20050329.pdf), as restic's
// internal/crypto tests use them: r, k (AES key), nonce, message, MAC.
test('Poly1305-AES: the vectors restic tests its MAC with', () => {
  const vectors = [
    ['851fc40c3467ac0be05cc20404f3f700', 'ec074c835580741701425b623235add6', 'fb447350c4e868c52ac3275cf9d4327e', 'f3f6', 'f4c633c3044fc145f84f335cb81953de'],
    ['a0f3080000f46400d0c7e9076c834403', '75deaa25c09f208e1dc4ce6b5cad3fbf', '61ee09218d29b0aaed7e154a2c5509cc', '', 'dd3fab2251f11ac759f0887129cc2ee7'],
    ['48443d0bb0d21109c89a100b5ce2c208', '6acb5f61a7176dd320c5c1eb2edcdc74', 'ae212a55399729595dea458bc621ff0e',
      '663cea190ffb83d89593f3f476b6bc24d7e679107ea26adb8caf6652d0656136', '0ee1c16bb73f0f4fd19881753c01cdbe'],
    ['12976a08c4426d0ce8a82407c4f48207', 'e1a5668a4d5b66a5f68cc5424ed5982d', '9ae831e743978d3a23527c7128149e3a',
      'ab0812724a7f1e342742cbed374d94d136c6b8795d45b3819830f2c04491faf0990c62e48b8018b2c3e4a0fa3134cb67fa83e158c994d961c4cb21095c1bf9',
      '5154ad0d2cb26e01274fc51148491f1b'],
  ];
  for (const [r, k, nonce, msg, want] of vectors) {
    const key: ResticKey = { encrypt: Buffer.alloc(32), macK: hex(k), macR: hex(r) };
    assert.equal(Buffer.from(mac(key, hex(nonce), hex(msg))).toString('hex'), want);
  }
});

test('restic\'s ciphertext vector decrypts, and what restic 0.14 sealed (reference E1 blob) opens', () => {
  const key: ResticKey = {
    encrypt: hex('303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef'),
    macK: hex('ef4d8824cb80b2bcc5fbff8a9b12a42c'),
    macR: hex('cc8d4b948ee0ebfe1d415de921d10353'),
  };
  const ct = hex('69fb41c62d12def4593bd71757138606338f621aeaeb39da0fe4f99233f8037a54ea63338a813bcf3f75d8c3cc75dddf8750');
  assert.equal(open(key, ct, 'vector').toString(), 'Dies ist ein Test!');

  const master: ResticKey = {
    encrypt: hex('0e0f2900c452a1b4286fd3baef5cea71f4583bd1d229c7d2994e6cafada2c9d5'),
    macK: hex('a69e8d8b4e5f6d3093846d3ea531d0f5'),
    macR: hex('92bbf30db8b60807201f9008f0701b0a'),
  };
  const blob = hex('4357ecd24b2f00f6a2a09d9aa3d3280b' + '1a93d3099bbe668d60b5549b244dd7c1f297bcedc8f2' + '5ab0b70b5b1a489c2e71a45082dd9b78');
  const frame = open(master, blob, 'E1 blob');
  assert.equal(frame.subarray(0, 4).toString('hex'), '28b52ffd');
  assert.equal(decompressExact(frame, 13, 'E1 blob').toString(), 'hello restic\n');
});

test('seal/open: round trip, tampering anywhere is refused before decryption, zero IV refused', () => {
  const key: ResticKey = { encrypt: randomBytes(32), macK: randomBytes(16), macR: randomBytes(16) };
  for (const len of [0, 1, 15, 16, 17, 1000, 1 << 20]) {
    const plain = randomBytes(len);
    const sealed = seal(key, plain);
    assert.equal(sealed.length, len + 32);
    assert.deepEqual(open(key, sealed, 'x'), plain);
    for (const at of [0, 15, 16, sealed.length - 17, sealed.length - 1]) {
      if (at < 0 || at >= sealed.length) continue;
      const bad = Buffer.from(sealed);
      bad[at] ^= 1;
      assert.equal(verify(key, bad), false, `flip at ${at} of ${sealed.length}`);
      assert.throws(() => open(key, bad, 'blob x'), (e: unknown) => e instanceof VixError && /blob x: ciphertext verification failed/.test(e.message));
    }
  }
  const zeroIv = Buffer.concat([Buffer.alloc(16), Buffer.alloc(16)]);
  assert.equal(verify(key, zeroIv), false);
  assert.equal(verify(key, Buffer.alloc(31)), false);
});

test('chunker polynomial: restic\'s are irreducible, reducible ones are refused, new ones are degree 53', () => {
  for (const p of ['3a3397996dee89', '33501ef0dbca3d', '314905cbe9998f']) assert.ok(validPolynomialHex(p), p);
  assert.equal(validPolynomialHex('3a3397996dee88'), false); // divisible by x
  assert.equal(isIrreducible(0b111n * 0b111n), false); // (x^2+x+1)^2
  for (let i = 0; i < 3; i++) {
    const p = randomPolynomial();
    assert.equal(p.toString(2).length, 54);
    assert.ok(isIrreducible(p));
  }
});
