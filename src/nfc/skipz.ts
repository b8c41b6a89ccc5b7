import { NfcProtocolError } from './nfc-protocol-error.js';

// SkipZ, NFC compression type 3 (vsphere-remote.md §4.6): a fragment as its non-zero runs.
//   uint32 totalLength, uint32 0, then per run in ascending order: uint32 runOffset, uint32 runLength,
//   runLength raw bytes. Everything not in a run is zero. Little-endian.
// The encoder ends a run at a gap of at least RUN_GAP zero bytes (a run header costs 8, so shorter
// gaps are cheaper sent as data); the decoder accepts any ascending, non-overlapping runs.

const HEADER_LENGTH = 8;
const RUN_HEADER_LENGTH = 8;
export const RUN_GAP = 16;

/**
 * `data` as SkipZ, or null when that would not be smaller than the data itself (the sender then
 * sends the fragment uncompressed, §4.6).
 */
export function encodeSkipz(data: Uint8Array): Buffer | null {
  const runs: Array<[number, number]> = [];
  let encodedLength = HEADER_LENGTH;
  let i = 0;
  while (i < data.length) {
    while (i < data.length && data[i] === 0) i++;
    if (i === data.length) break;
    const start = i;
    let end = i;
    let zeros = 0;
    for (; i < data.length && zeros < RUN_GAP; i++) {
      if (data[i] === 0) zeros++;
      else { zeros = 0; end = i + 1; }
    }
    i = end;
    runs.push([start, end]);
    encodedLength += RUN_HEADER_LENGTH + end - start;
    if (encodedLength >= data.length) return null;
  }
  const out = Buffer.allocUnsafe(encodedLength);
  out.writeUInt32LE(data.length, 0);
  out.writeUInt32LE(0, 4);
  let at = HEADER_LENGTH;
  for (const [start, end] of runs) {
    out.writeUInt32LE(start, at);
    out.writeUInt32LE(end - start, at + 4);
    out.set(data.subarray(start, end), at + RUN_HEADER_LENGTH);
    at += RUN_HEADER_LENGTH + end - start;
  }
  return out;
}

/**
 * Decode `encoded` into `target` (the fragment's place, exactly its uncompressed length): zeros
 * where no run is. Every length is checked against `target` before a byte is copied; the error is
 * a request-level one (the frame was consumed).
 */
export function decodeSkipz(encoded: Uint8Array, target: Uint8Array): void {
  const bad = (why: string) => new NfcProtocolError(`SkipZ fragment ${why}`, false);
  if (encoded.length < HEADER_LENGTH) throw bad(`of ${encoded.length} bytes is shorter than its 8-byte header`);
  const v = new DataView(encoded.buffer, encoded.byteOffset, encoded.length);
  const total = v.getUint32(0, true);
  if (total !== target.length) throw bad(`says ${total} bytes, not the ${target.length} of the fragment`);
  if (v.getUint32(4, true) !== 0) throw bad('has a non-zero reserved word');
  let at = HEADER_LENGTH;
  let filled = 0;
  while (at < encoded.length) {
    if (encoded.length - at < RUN_HEADER_LENGTH) throw bad('ends inside a run header');
    const runOffset = v.getUint32(at, true);
    const runLength = v.getUint32(at + 4, true);
    at += RUN_HEADER_LENGTH;
    if (runOffset < filled) throw bad(`run at ${runOffset} is out of order or overlaps`);
    if (runLength === 0 || runLength > total - runOffset || runOffset > total) throw bad(`run ${runOffset}+${runLength} runs past ${total} bytes`);
    if (runLength > encoded.length - at) throw bad(`run ${runOffset}+${runLength} is cut short`);
    target.fill(0, filled, runOffset);
    target.set(encoded.subarray(at, at + runLength), runOffset);
    filled = runOffset + runLength;
    at += runLength;
  }
  target.fill(0, filled);
}
