import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFastlz, encodeFastlz } from '../../src/nfc/fastlz.js';
import { NfcProtocolError } from '../../src/nfc/nfc-protocol-error.js';
import { xorshift32 } from '../support/xorshift.js';

// FastLZ (NFC compression 2, §4.6): our level-1 encoder against the decoder, on the kinds of data
// a disk holds, and the decoder against damaged blocks. (Both were also checked once against
// Ariya Hidayat's fastlz.c, levels 1 and 2, both ways: see docs/nfc.md.)

function sample(kind: number, length: number, seed: number): Buffer {
  const next = xorshift32(seed);
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    b[i] = kind === 0 ? next() & 255 // random: does not compress
      : kind === 1 ? 0
        : kind === 2 ? 'the quick brown fox jumps '.charCodeAt(i % 26) ^ (next() % 64 === 0 ? 1 : 0)
          : kind === 3 ? (i >> 9) & 255
            : next() % 4 === 0 ? next() & 255 : 65;
  }
  return b;
}

test('encodeFastlz round-trips through decodeFastlz, and declines data it cannot shrink', () => {
  for (const length of [16, 17, 100, 513, 4096, 65536, 65536 + 512, 2 << 20]) {
    for (let kind = 0; kind < 5; kind++) {
      const data = sample(kind, length, length + kind);
      const block = encodeFastlz(data);
      if (kind === 0) {
        assert.equal(block, null, `random ${length} bytes are sent as they are`);
        continue;
      }
      if (length < 512 && block === null) continue; // too short to repeat itself
      assert.ok(block && block.length < length, `kind ${kind}, ${length} bytes shrink`);
      assert.equal(block[0]! >>> 5, 0, 'a level-1 block');
      const back = Buffer.alloc(length);
      decodeFastlz(block, back);
      assert.ok(back.equals(data), `kind ${kind}, ${length} bytes`);
    }
  }
  assert.equal(encodeFastlz(Buffer.alloc(15)), null);
});

test('decodeFastlz refuses damaged blocks without writing outside the fragment', () => {
  const data = sample(2, 65536, 5);
  const block = encodeFastlz(data)!;
  const next = xorshift32(9);
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const bad = Buffer.from(block.subarray(0, 1 + (next() % block.length)));
    for (let k = 0; k < 3; k++) bad[next() % bad.length] = next() & 255;
    const target = Buffer.alloc(65536 + 64, 0xee);
    try {
      decodeFastlz(bad, target.subarray(0, 65536));
    } catch (err) {
      assert.ok(err instanceof NfcProtocolError, String(err));
      refused++;
    }
    assert.ok(target.subarray(65536).every((b) => b === 0xee), 'nothing written past the fragment');
  }
  assert.ok(refused > 1500, `${refused} of 2000 damaged blocks refused`);
});
