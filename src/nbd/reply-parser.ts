import * as P from './protocol.js';

// The client's side of the transmission phase as a push parser with no I/O: bytes go in as they
// arrive, READ data is copied once, straight from the arriving bytes into the caller's buffer,
// and every length is checked against what was asked before a byte is stored. It works out reply
// boundaries itself (simple, structured or extended), so it can run inside a socket's read
// callback, and it throws NbdProtocolError on anything the server had no right to send.

/** What the parser needs to know about a request in flight, and what it fills in. */
export interface InFlightRequest {
  type: number;
  offset: number;
  length: number;
  /** READ: where the data goes (exactly `length` bytes). */
  buffer?: Uint8Array;
  /** READ: byte ranges [start, end) relative to offset already filled, sorted. */
  filled?: Array<[number, number]>;
  filledBytes?: number;
  /** BLOCK_STATUS: the extents the server sent for our context. */
  status?: P.StatusDescriptor[];
  /** The first error the server reported for this request. */
  error?: { errno: number; message: string };
}

export interface ReplyParserOptions {
  structured: boolean;
  extended: boolean;
  /** Context id of base:allocation, or null. */
  allocationContext: number | null;
  /** Look a cookie up; undefined means it is not in flight (a protocol error). */
  lookup: (cookie: bigint) => InFlightRequest | undefined;
  /** A request's reply is complete (success or error). */
  complete: (cookie: bigint, request: InFlightRequest) => void;
}

/** Payloads the parser holds (status, errors) are refused past these. */
const MAX_ERROR_CHUNK = 64 << 10;
const MAX_STATUS_CHUNK = 8 + 16 * P.MAX_EXTENTS_PER_CHUNK;

type State =
  | { kind: 'header' }
  | { kind: 'data'; cookie: bigint; req: InFlightRequest; target: Uint8Array; at: number; done: boolean }
  | { kind: 'payload'; cookie: bigint; req: InFlightRequest; header: P.ChunkHeader; buf: Buffer; at: number };

export class ReplyParser {
  private readonly header = Buffer.alloc(P.EXTENDED_REPLY_HEADER_LENGTH);
  private headerFill = 0;
  private state: State = { kind: 'header' };

  constructor(private readonly o: ReplyParserOptions) {}

  /** True when a reply has started and not finished (the stall clock should run). */
  get midReply(): boolean {
    return this.state.kind !== 'header' || this.headerFill > 0;
  }

  /** Consume `chunk` entirely (it may be reused by the caller afterwards). */
  feed(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const s = this.state;
      if (s.kind === 'header') {
        at = this.feedHeader(chunk, at);
      } else if (s.kind === 'data') {
        const n = Math.min(s.target.length - s.at, chunk.length - at);
        s.target.set(chunk.subarray(at, at + n), s.at);
        s.at += n;
        at += n;
        if (s.at === s.target.length) {
          this.state = { kind: 'header' };
          if (s.done) this.finish(s.cookie, s.req);
        }
      } else {
        const n = Math.min(s.buf.length - s.at, chunk.length - at);
        s.buf.set(chunk.subarray(at, at + n), s.at);
        s.at += n;
        at += n;
        if (s.at === s.buf.length) {
          this.state = { kind: 'header' };
          this.payload(s.cookie, s.req, s.header, s.buf);
        }
      }
    }
  }

  private feedHeader(chunk: Uint8Array, at: number): number {
    // Compact mode: 16 bytes tell simple from structured (which has 4 more).
    let need = this.o.extended ? P.EXTENDED_REPLY_HEADER_LENGTH : P.SIMPLE_REPLY_LENGTH;
    if (!this.o.extended && this.headerFill >= 4 && this.header.readUInt32BE(0) === P.STRUCTURED_REPLY_MAGIC) {
      need = P.STRUCTURED_REPLY_HEADER_LENGTH;
    }
    const n = Math.min(need - this.headerFill, chunk.length - at);
    this.header.set(chunk.subarray(at, at + n), this.headerFill);
    this.headerFill += n;
    at += n;
    if (this.headerFill < need) return at;
    const magic = this.header.readUInt32BE(0);
    if (this.o.extended) {
      if (magic !== P.EXTENDED_REPLY_MAGIC) throw new P.NbdProtocolError(`reply magic 0x${magic.toString(16)} under extended headers`);
    } else if (magic === P.STRUCTURED_REPLY_MAGIC) {
      if (!this.o.structured) throw new P.NbdProtocolError('structured reply that was not negotiated');
      if (need === P.SIMPLE_REPLY_LENGTH) return at; // 4 more header bytes to come
    } else if (magic !== P.SIMPLE_REPLY_MAGIC) {
      throw new P.NbdProtocolError(`reply magic 0x${magic.toString(16)} is unknown`);
    }
    this.headerFill = 0;
    if (magic === P.SIMPLE_REPLY_MAGIC) this.simple(P.decodeSimpleReply(this.header));
    else this.chunkHeader(P.decodeChunkHeader(this.header));
    return at;
  }

  private take(cookie: bigint): InFlightRequest {
    const r = this.o.lookup(cookie);
    if (!r) throw new P.NbdProtocolError(`reply for cookie ${cookie}, which is not in flight`);
    return r;
  }

  private simple(r: { error: number; cookie: bigint }): void {
    const req = this.take(r.cookie);
    if (req.type === P.CMD_READ && this.o.structured) throw new P.NbdProtocolError('simple reply to a READ after structured replies were negotiated');
    if (r.error !== 0) {
      req.error = { errno: r.error, message: '' };
    } else if (req.type === P.CMD_BLOCK_STATUS) {
      throw new P.NbdProtocolError('simple success reply to BLOCK_STATUS');
    } else if (req.type === P.CMD_READ && req.length > 0) {
      this.state = { kind: 'data', cookie: r.cookie, req, target: req.buffer!, at: 0, done: true };
      return;
    }
    this.finish(r.cookie, req);
  }

  private chunkHeader(h: P.ChunkHeader): void {
    const req = this.take(h.cookie);
    if (h.offset !== undefined && h.offset !== BigInt(req.offset)) {
      throw new P.NbdProtocolError(`extended reply offset ${h.offset} differs from the request's ${req.offset}`);
    }
    const what = P.COMMAND_NAMES[req.type];
    let limit: number;
    switch (h.type) {
      case P.REPLY_TYPE_NONE:
        if (h.length !== 0 || !(h.flags & P.REPLY_FLAG_DONE)) throw new P.NbdProtocolError('NONE chunk with a payload or without DONE');
        this.finish(h.cookie, req);
        return;
      case P.REPLY_TYPE_OFFSET_DATA:
        if (req.type !== P.CMD_READ) throw new P.NbdProtocolError(`OFFSET_DATA in reply to ${what}`);
        if (h.length < 9 || h.length - 8 > req.length) throw new P.NbdProtocolError(`OFFSET_DATA of ${h.length} bytes for a ${req.length}-byte read`);
        limit = 8; // the offset; the data goes straight to the buffer once it is checked
        break;
      case P.REPLY_TYPE_OFFSET_HOLE:
        if (req.type !== P.CMD_READ) throw new P.NbdProtocolError(`OFFSET_HOLE in reply to ${what}`);
        if (h.length !== 12) throw new P.NbdProtocolError(`OFFSET_HOLE of ${h.length} bytes`);
        limit = 12;
        break;
      case P.REPLY_TYPE_BLOCK_STATUS:
      case P.REPLY_TYPE_BLOCK_STATUS_EXT: {
        if (req.type !== P.CMD_BLOCK_STATUS) throw new P.NbdProtocolError(`block status chunk in reply to ${what}`);
        const ext = h.type === P.REPLY_TYPE_BLOCK_STATUS_EXT;
        if (ext !== this.o.extended) throw new P.NbdProtocolError(`${ext ? 'extended' : 'compact'} block status chunk does not match the negotiated headers`);
        if (h.length > MAX_STATUS_CHUNK) throw new P.NbdProtocolError(`block status chunk of ${h.length} bytes is too long`);
        limit = h.length;
        break;
      }
      default:
        if (!(h.type & P.REPLY_TYPE_ERROR_BIT)) throw new P.NbdProtocolError(`unknown reply chunk type ${h.type}`);
        if (h.length > MAX_ERROR_CHUNK) throw new P.NbdProtocolError(`error chunk of ${h.length} bytes is too long`);
        limit = h.length;
    }
    this.state = { kind: 'payload', cookie: h.cookie, req, header: h, buf: Buffer.allocUnsafe(limit), at: 0 };
    if (limit === 0) {
      this.state = { kind: 'header' };
      this.payload(h.cookie, req, h, Buffer.alloc(0));
    }
  }

  private payload(cookie: bigint, req: InFlightRequest, h: P.ChunkHeader, buf: Buffer): void {
    const done = (h.flags & P.REPLY_FLAG_DONE) !== 0;
    switch (h.type) {
      case P.REPLY_TYPE_OFFSET_DATA: {
        const length = h.length - 8;
        const rel = claim(req, buf.readBigUInt64BE(0), length);
        this.state = { kind: 'data', cookie, req, target: req.buffer!.subarray(rel, rel + length), at: 0, done };
        return;
      }
      case P.REPLY_TYPE_OFFSET_HOLE: {
        const hole = P.decodeOffsetHole(buf);
        const rel = claim(req, hole.offset, hole.length);
        req.buffer!.fill(0, rel, rel + hole.length);
        break;
      }
      case P.REPLY_TYPE_BLOCK_STATUS:
      case P.REPLY_TYPE_BLOCK_STATUS_EXT: {
        const s = P.decodeBlockStatus(buf, this.o.extended);
        if (s.contextId !== this.o.allocationContext) throw new P.NbdProtocolError(`block status for context ${s.contextId}, which was not selected`);
        if (req.status) throw new P.NbdProtocolError('two block status chunks for one context');
        req.status = s.extents;
        break;
      }
      default: {
        let errno = P.NBD_EINVAL;
        let message = `unknown error chunk type 0x${h.type.toString(16)}`;
        if (h.type === P.REPLY_TYPE_ERROR || h.type === P.REPLY_TYPE_ERROR_OFFSET) {
          const e = P.decodeErrorChunk(buf, h.type);
          if (e.error === 0) throw new P.NbdProtocolError('error chunk with error 0');
          errno = e.error;
          message = e.message;
        } else if (buf.length >= 6) {
          errno = buf.readUInt32BE(0) || P.NBD_EINVAL;
        }
        req.error ??= { errno, message };
      }
    }
    if (done) this.finish(cookie, req);
  }

  private finish(cookie: bigint, req: InFlightRequest): void {
    if (!req.error && req.type === P.CMD_READ && this.o.structured && (req.filledBytes ?? 0) !== req.length) {
      throw new P.NbdProtocolError(`the server finished a ${req.length}-byte read after sending ${req.filledBytes ?? 0} bytes`);
    }
    if (!req.error && req.type === P.CMD_BLOCK_STATUS && !req.status) throw new P.NbdProtocolError('BLOCK_STATUS finished without a status chunk');
    this.o.complete(cookie, req);
  }
}

/** Check a content chunk lies inside the read and overlaps nothing before it; its offset in the buffer. */
function claim(req: InFlightRequest, at: bigint, length: number): number {
  const start = BigInt(req.offset);
  if (at < start || at + BigInt(length) > start + BigInt(req.length)) {
    throw new P.NbdProtocolError(`chunk at ${at}+${length} lies outside the read ${req.offset}+${req.length}`);
  }
  const rel = Number(at - start);
  const f = (req.filled ??= []);
  let lo = 0, hi = f.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f[mid]![1] <= rel) lo = mid + 1;
    else hi = mid;
  }
  if (lo < f.length && f[lo]![0] < rel + length) throw new P.NbdProtocolError(`chunk at ${at}+${length} overlaps data already received`);
  f.splice(lo, 0, [rel, rel + length]);
  req.filledBytes = (req.filledBytes ?? 0) + length;
  return rel;
}
