// Where the data of one IO read request goes: the caller's buffer, or — when several reads issued
// together were sent as one request (NfcDisk merges reads a small gap apart, see docs/nfc.md) —
// each caller's buffer at its place in the request, with the gap bytes between them dropped.
// Uncompressed fragments are read straight into these views by the socket (one copy, the
// kernel's); gap bytes land in a scratch buffer and are forgotten.

/** A part of the request: `length` bytes at `at`, going to `bytes` (null: a gap nobody asked for). */
export interface ReadSegment {
  at: number;
  length: number;
  bytes: Uint8Array | null;
}

/** Gap bytes are read into this and dropped (shared: nothing ever reads it). */
const SCRATCH = new Uint8Array(256 << 10);

export class ReadScatter {
  /** Segments in request order, covering [0, total) without overlap. */
  private readonly segments: ReadSegment[];
  /** The segment the last lookup found: fragments mostly arrive in order, so lookups start there. */
  private last = 0;

  constructor(segments: ReadSegment[] | Uint8Array) {
    this.segments = segments instanceof Uint8Array ? [{ at: 0, length: segments.length, bytes: segments }] : segments;
  }

  /** A single caller's buffer (no gaps): compressed fragments can be decoded straight into it. */
  get whole(): Uint8Array | null {
    return this.segments.length === 1 ? this.segments[0]!.bytes : null;
  }

  /**
   * The part [from, from + length) of this request as a request of its own (positions from 0):
   * one request split into pieces that are in flight together (NfcDisk.sendQueuedReads).
   */
  slice(from: number, length: number): ReadScatter {
    const out: ReadSegment[] = [];
    const end = from + length;
    for (const s of this.segments) {
      const a = Math.max(from, s.at);
      const b = Math.min(end, s.at + s.length);
      if (a >= b) continue;
      out.push({ at: a - from, length: b - a, bytes: s.bytes === null ? null : s.bytes.subarray(a - s.at, b - s.at) });
    }
    return new ReadScatter(out);
  }

  /**
   * Where the request's bytes from `pos` on go, at most `max` of them: a view of one caller's
   * buffer, or of scratch for a gap. Shorter than `max` where a segment ends.
   */
  view(pos: number, max: number): Uint8Array {
    const s = this.find(pos);
    const n = Math.min(max, s.at + s.length - pos);
    if (s.bytes === null) return SCRATCH.subarray(0, Math.min(n, SCRATCH.length));
    const from = pos - s.at;
    return s.bytes.subarray(from, from + n);
  }

  /** Copy `bytes` (request bytes from `pos` on) into their places; gap bytes are skipped. */
  set(bytes: Uint8Array, pos: number): void {
    let done = 0;
    while (done < bytes.length) {
      const s = this.find(pos + done);
      const n = Math.min(bytes.length - done, s.at + s.length - (pos + done));
      if (s.bytes !== null) s.bytes.set(bytes.subarray(done, done + n), pos + done - s.at);
      done += n;
    }
  }

  private find(pos: number): ReadSegment {
    const segs = this.segments;
    let i = this.last;
    if (segs[i]!.at > pos) i = 0;
    while (i < segs.length - 1 && segs[i]!.at + segs[i]!.length <= pos) i++;
    this.last = i;
    return segs[i]!;
  }
}
