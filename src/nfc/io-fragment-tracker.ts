import type { Io } from './aio-message.js';
import { NfcProtocolError } from './nfc-protocol-error.js';

// Which parts of one IO request have arrived (§4.5). A read's fragments may come from the host in
// any order; a write's come from the client in order ("fragment offsets contiguous and covering the
// total"). Every fragment must belong to the request (same direction, offset and total) and cover
// bytes no earlier fragment covered; the request is complete when the fragments add up to the
// total. Ranges are kept merged, so a request of any size costs a few numbers.

export class IoFragmentTracker {
  /** Covered [start, end) ranges inside the request, sorted and merged. */
  private readonly ranges: Array<[number, number]> = [];
  private received = 0;

  constructor(
    /** The request's direction, disk offset and total length, as its first frame gave them. */
    readonly request: Pick<Io, 'direction' | 'offset' | 'totalLength'>,
    /** Fragments must come in order, each starting where the previous ended (writes). */
    readonly inOrder: boolean,
  ) {}

  get complete(): boolean {
    return this.received === this.request.totalLength;
  }

  get receivedLength(): number {
    return this.received;
  }

  /** Record a fragment, or throw (not fatal: the frame was consumed) when it does not fit. */
  add(io: Pick<Io, 'direction' | 'offset' | 'totalLength' | 'fragmentOffset' | 'fragmentLength'>): void {
    const r = this.request;
    if (io.direction !== r.direction || io.offset !== r.offset || io.totalLength !== r.totalLength) {
      throw new NfcProtocolError(`IO fragment for offset ${io.offset}+${io.totalLength} does not belong to the request at ${r.offset}+${r.totalLength}`, false);
    }
    if (io.fragmentLength === 0) throw new NfcProtocolError(`IO fragment at ${io.fragmentOffset} is empty`, false);
    const start = io.fragmentOffset;
    const end = start + io.fragmentLength;
    if (end > r.totalLength) throw new NfcProtocolError(`IO fragment ${start}+${io.fragmentLength} runs past the request's ${r.totalLength} bytes`, false);
    if (this.inOrder && start !== this.received) {
      throw new NfcProtocolError(`IO fragment at ${start} is out of order (expected ${this.received})`, false);
    }
    // Find where [start, end) goes; it must not touch an existing range's bytes.
    let i = 0;
    while (i < this.ranges.length && this.ranges[i]![1] <= start) i++;
    const next = this.ranges[i];
    if (next && next[0] < end) throw new NfcProtocolError(`IO fragment ${start}+${io.fragmentLength} overlaps data already received`, false);
    const prev = this.ranges[i - 1];
    if (prev && prev[1] === start) {
      prev[1] = end;
      if (next && next[0] === end) {
        prev[1] = next[1];
        this.ranges.splice(i, 1);
      }
    } else if (next && next[0] === end) {
      next[0] = start;
    } else {
      this.ranges.splice(i, 0, [start, end]);
    }
    this.received += io.fragmentLength;
  }
}
