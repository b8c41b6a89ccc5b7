import * as P from './protocol.js';

// The client's side of the transmission phase as a push parser with no I/O: bytes go in as they
// arrive, READ data is copied once, straight from the arriving bytes into the caller's buffer (or
// received there directly, see dataTarget), and every length is checked against what was asked
// before a byte is stored. It works out reply boundaries itself (simple, structured or extended),
// so it can run inside a socket's read callback, and it throws NbdProtocolError on anything the
// server had no right to send.
//
// It runs once per socket read and once per reply chunk, thousands of times a second, so the hot
// path reads header fields in place with numbers (no BigInt, no decoded header object, no state
// object per chunk): cookies are the client's own counters and offsets are below 2^53.

/** What the parser needs to know about a request in flight, and what it fills in. */
export interface InFlightRequest {
  type: number;
  offset: number;
  length: number;
  /** READ: where the data goes (exactly `length` bytes). */
  buffer?: Uint8Array;
  /** READ: byte ranges [start, end) relative to offset already filled, sorted (see claim). */
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
  lookup: (cookie: number) => InFlightRequest | undefined;
  /** A request's reply is complete (success or error). */
  complete: (cookie: number, request: InFlightRequest) => void;
}

/** Payloads the parser holds (status, errors) are refused past these. */
const MAX_ERROR_CHUNK = 64 << 10;
const MAX_STATUS_CHUNK = 8 + 16 * P.MAX_EXTENTS_PER_CHUNK;
const TWO_32 = 2 ** 32;
/** A u64's high half at or above this puts the value past 2^53: no offset or cookie of ours. */
const HIGH_LIMIT = 2 ** 21;

const HEADER = 0;
/** READ data going into `target`. */
const DATA = 1;
/** A chunk payload being gathered into `payloadBuf`. */
const PAYLOAD = 2;

export class ReplyParser {
  private readonly header = Buffer.alloc(P.EXTENDED_REPLY_HEADER_LENGTH);
  private headerFill = 0;
  private mode = HEADER;
  // The chunk being received (meaningful in DATA and PAYLOAD).
  private cookie = 0;
  private req: InFlightRequest | null = null;
  private chunkType = 0;
  private chunkDone = false;
  private target: Uint8Array = EMPTY;
  private at = 0;
  /** Payloads of OFFSET_DATA (the offset) and OFFSET_HOLE go here; longer ones get their own. */
  private readonly small = Buffer.alloc(16);
  private payloadBuf: Buffer = this.small;
  private payloadLength = 0;
  /** OFFSET_DATA: the data length, known from the header, used once the offset has come. */
  private dataLength = 0;

  constructor(private readonly o: ReplyParserOptions) {}

  /** True when a reply has started and not finished (the stall clock should run). */
  get midReply(): boolean {
    return this.mode !== HEADER || this.headerFill > 0;
  }

  /**
   * Where the next bytes from the socket may be received directly: the unfilled rest of the
   * READ data chunk being received (a view of the caller's buffer, already checked to lie inside
   * the request), or null when the parser expects a header or a small payload. A socket read into
   * this view puts the payload in place with no copy; report it with `received(n)`.
   */
  get dataTarget(): Uint8Array | null {
    return this.mode === DATA ? this.target.subarray(this.at) : null;
  }

  /** `n` bytes were received straight into `dataTarget` (n never exceeds its length). */
  received(n: number): void {
    if (this.mode !== DATA || n > this.target.length - this.at) throw new P.NbdProtocolError('bytes received into a buffer the parser did not offer');
    this.at += n;
    if (this.at === this.target.length) this.endData();
  }

  /** Consume `chunk` entirely (it may be reused by the caller afterwards). */
  feed(chunk: Uint8Array): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.mode === HEADER) {
        at = this.feedHeader(chunk, at);
      } else if (this.mode === DATA) {
        const n = Math.min(this.target.length - this.at, end - at);
        this.target.set(chunk.subarray(at, at + n), this.at);
        this.at += n;
        at += n;
        if (this.at === this.target.length) this.endData();
      } else {
        const n = Math.min(this.payloadLength - this.at, end - at);
        this.payloadBuf.set(chunk.subarray(at, at + n), this.at);
        this.at += n;
        at += n;
        if (this.at === this.payloadLength) {
          this.mode = HEADER;
          this.payload(this.payloadBuf.subarray(0, this.payloadLength));
        }
      }
    }
  }

  private endData(): void {
    this.mode = HEADER;
    this.target = EMPTY;
    const req = this.req!;
    this.req = null;
    if (this.chunkDone) this.finish(this.cookie, req);
  }

  private feedHeader(chunk: Uint8Array, at: number): number {
    const h = this.header;
    // Compact mode: 16 bytes tell simple from structured (which has 4 more).
    let need = this.o.extended ? P.EXTENDED_REPLY_HEADER_LENGTH : P.SIMPLE_REPLY_LENGTH;
    if (!this.o.extended && this.headerFill >= 4 && h.readUInt32BE(0) === P.STRUCTURED_REPLY_MAGIC) {
      need = P.STRUCTURED_REPLY_HEADER_LENGTH;
    }
    const n = Math.min(need - this.headerFill, chunk.length - at);
    h.set(n === chunk.length ? chunk : chunk.subarray(at, at + n), this.headerFill);
    this.headerFill += n;
    at += n;
    if (this.headerFill < need) return at;
    const magic = h.readUInt32BE(0);
    if (this.o.extended) {
      if (magic !== P.EXTENDED_REPLY_MAGIC) throw new P.NbdProtocolError(`reply magic 0x${magic.toString(16)} under extended headers`);
    } else if (magic === P.STRUCTURED_REPLY_MAGIC) {
      if (!this.o.structured) throw new P.NbdProtocolError('structured reply that was not negotiated');
      if (need === P.SIMPLE_REPLY_LENGTH) return at; // 4 more header bytes to come
    } else if (magic !== P.SIMPLE_REPLY_MAGIC) {
      throw new P.NbdProtocolError(`reply magic 0x${magic.toString(16)} is unknown`);
    }
    this.headerFill = 0;
    if (magic === P.SIMPLE_REPLY_MAGIC) this.simple(h.readUInt32BE(4));
    else this.chunkHeader();
    return at;
  }

  /** The request a reply names (cookie at bytes 8..15 of every reply header). */
  private take(): InFlightRequest {
    const hi = this.header.readUInt32BE(8);
    const lo = this.header.readUInt32BE(12);
    const r = hi < HIGH_LIMIT ? this.o.lookup(hi * TWO_32 + lo) : undefined;
    if (!r) throw new P.NbdProtocolError(`reply for cookie ${(BigInt(hi) << 32n) | BigInt(lo)}, which is not in flight`);
    this.cookie = hi * TWO_32 + lo;
    return r;
  }

  private simple(error: number): void {
    const req = this.take();
    if (req.type === P.CMD_READ && this.o.structured) throw new P.NbdProtocolError('simple reply to a READ after structured replies were negotiated');
    if (error !== 0) {
      req.error = { errno: error, message: '' };
    } else if (req.type === P.CMD_BLOCK_STATUS) {
      throw new P.NbdProtocolError('simple success reply to BLOCK_STATUS');
    } else if (req.type === P.CMD_READ && req.length > 0) {
      this.startData(req, req.buffer!, true);
      return;
    }
    this.finish(this.cookie, req);
  }

  private startData(req: InFlightRequest, target: Uint8Array, done: boolean): void {
    this.mode = DATA;
    this.req = req;
    this.target = target;
    this.at = 0;
    this.chunkDone = done;
  }

  private chunkHeader(): void {
    const h = this.header;
    const req = this.take();
    const flags = h.readUInt16BE(4);
    const type = h.readUInt16BE(6);
    let length: number;
    if (this.o.extended) {
      // The request's offset, echoed; then a u64 length (above 2^32 - 1 it is no real payload).
      const offHi = h.readUInt32BE(16);
      if (offHi >= HIGH_LIMIT || offHi * TWO_32 + h.readUInt32BE(20) !== req.offset) {
        throw new P.NbdProtocolError(`extended reply offset ${h.readBigUInt64BE(16)} differs from the request's ${req.offset}`);
      }
      if (h.readUInt32BE(24) !== 0) throw new P.NbdProtocolError(`extended reply chunk length ${h.readBigUInt64BE(24)} is beyond any payload`);
      length = h.readUInt32BE(28);
    } else {
      length = h.readUInt32BE(16);
    }
    const what = P.COMMAND_NAMES[req.type];
    let limit: number;
    switch (type) {
      case P.REPLY_TYPE_NONE:
        if (length !== 0 || !(flags & P.REPLY_FLAG_DONE)) throw new P.NbdProtocolError('NONE chunk with a payload or without DONE');
        this.finish(this.cookie, req);
        return;
      case P.REPLY_TYPE_OFFSET_DATA:
        if (req.type !== P.CMD_READ) throw new P.NbdProtocolError(`OFFSET_DATA in reply to ${what}`);
        if (length < 9 || length - 8 > req.length) throw new P.NbdProtocolError(`OFFSET_DATA of ${length} bytes for a ${req.length}-byte read`);
        limit = 8; // the offset; the data goes straight to the buffer once it is checked
        break;
      case P.REPLY_TYPE_OFFSET_HOLE:
        if (req.type !== P.CMD_READ) throw new P.NbdProtocolError(`OFFSET_HOLE in reply to ${what}`);
        if (length !== 12) throw new P.NbdProtocolError(`OFFSET_HOLE of ${length} bytes`);
        limit = 12;
        break;
      case P.REPLY_TYPE_BLOCK_STATUS:
      case P.REPLY_TYPE_BLOCK_STATUS_EXT: {
        if (req.type !== P.CMD_BLOCK_STATUS) throw new P.NbdProtocolError(`block status chunk in reply to ${what}`);
        const ext = type === P.REPLY_TYPE_BLOCK_STATUS_EXT;
        if (ext !== this.o.extended) throw new P.NbdProtocolError(`${ext ? 'extended' : 'compact'} block status chunk does not match the negotiated headers`);
        if (length > MAX_STATUS_CHUNK) throw new P.NbdProtocolError(`block status chunk of ${length} bytes is too long`);
        limit = length;
        break;
      }
      default:
        if (!(type & P.REPLY_TYPE_ERROR_BIT)) throw new P.NbdProtocolError(`unknown reply chunk type ${type}`);
        if (length > MAX_ERROR_CHUNK) throw new P.NbdProtocolError(`error chunk of ${length} bytes is too long`);
        limit = length;
    }
    this.req = req;
    this.chunkType = type;
    this.chunkDone = (flags & P.REPLY_FLAG_DONE) !== 0;
    this.dataLength = length - 8;
    this.payloadBuf = limit <= this.small.length ? this.small : Buffer.allocUnsafe(limit);
    this.payloadLength = limit;
    this.at = 0;
    this.mode = PAYLOAD;
    if (limit === 0) {
      this.mode = HEADER;
      this.payload(this.payloadBuf.subarray(0, 0));
    }
  }

  private payload(buf: Buffer): void {
    const req = this.req!;
    this.req = null;
    const done = this.chunkDone;
    switch (this.chunkType) {
      case P.REPLY_TYPE_OFFSET_DATA: {
        const length = this.dataLength;
        const rel = claim(req, buf.readUInt32BE(0), buf.readUInt32BE(4), length);
        this.startData(req, req.buffer!.subarray(rel, rel + length), done);
        return;
      }
      case P.REPLY_TYPE_OFFSET_HOLE: {
        const length = buf.readUInt32BE(8);
        if (length === 0) throw new P.NbdProtocolError('OFFSET_HOLE of length 0');
        const rel = claim(req, buf.readUInt32BE(0), buf.readUInt32BE(4), length);
        req.buffer!.fill(0, rel, rel + length);
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
        const type = this.chunkType;
        let errno = P.NBD_EINVAL;
        let message = `unknown error chunk type 0x${type.toString(16)}`;
        if (type === P.REPLY_TYPE_ERROR || type === P.REPLY_TYPE_ERROR_OFFSET) {
          const e = P.decodeErrorChunk(buf, type);
          if (e.error === 0) throw new P.NbdProtocolError('error chunk with error 0');
          errno = e.error;
          message = e.message;
        } else if (buf.length >= 6) {
          errno = buf.readUInt32BE(0) || P.NBD_EINVAL;
        }
        req.error ??= { errno, message };
      }
    }
    if (done) this.finish(this.cookie, req);
  }

  private finish(cookie: number, req: InFlightRequest): void {
    if (!req.error && req.type === P.CMD_READ && this.o.structured && (req.filledBytes ?? 0) !== req.length) {
      throw new P.NbdProtocolError(`the server finished a ${req.length}-byte read after sending ${req.filledBytes ?? 0} bytes`);
    }
    if (!req.error && req.type === P.CMD_BLOCK_STATUS && !req.status) throw new P.NbdProtocolError('BLOCK_STATUS finished without a status chunk');
    this.o.complete(cookie, req);
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Check a content chunk (u64 offset as two halves) lies inside the read and overlaps nothing
 * before it; its offset in the buffer.
 */
function claim(req: InFlightRequest, hi: number, lo: number, length: number): number {
  const start = req.offset;
  const at = hi * TWO_32 + lo;
  if (hi >= HIGH_LIMIT || at < start || at + length > start + req.length) {
    throw new P.NbdProtocolError(`chunk at ${(BigInt(hi) << 32n) | BigInt(lo)}+${length} lies outside the read ${req.offset}+${req.length}`);
  }
  const rel = at - start;
  const before = req.filledBytes ?? 0;
  // The usual reply: one chunk with the whole read. No range list is needed for it.
  if (before === 0 && length === req.length) {
    req.filledBytes = length;
    return rel;
  }
  const f = (req.filled ??= before > 0 ? [[0, req.length]] : []);
  let lo2 = 0, hi2 = f.length;
  while (lo2 < hi2) {
    const mid = (lo2 + hi2) >> 1;
    if (f[mid]![1] <= rel) lo2 = mid + 1;
    else hi2 = mid;
  }
  if (lo2 < f.length && f[lo2]![0] < rel + length) throw new P.NbdProtocolError(`chunk at ${at}+${length} overlaps data already received`);
  f.splice(lo2, 0, [rel, rel + length]);
  req.filledBytes = before + length;
  return rel;
}
