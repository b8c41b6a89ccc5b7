// The NBD protocol once, for client and server: constants and message codecs, free of I/O so they
// are tested byte for byte. Layouts: NetworkBlockDevice/nbd doc/proto.md (master), extended headers
// from its extension-ext-header branch. Every integer on the wire is big-endian.

// ---- magic numbers (proto.md "Magic numbers") ----------------------------------------------------

/** "NBDMAGIC": the first 8 bytes a server sends. */
export const NBDMAGIC = 0x4e42444d41474943n;
/** "IHAVEOPT": bytes 8-15 of a newstyle greeting, and the first field of every client option. */
export const IHAVEOPT = 0x49484156454f5054n;
/** Bytes 8-15 of an oldstyle greeting. */
export const CLISERV_MAGIC = 0x00420281861253n;
export const OPTION_REPLY_MAGIC = 0x0003e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const EXTENDED_REQUEST_MAGIC = 0x21e41c71;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;
export const EXTENDED_REPLY_MAGIC = 0x6e8a278c;

// ---- handshake flags (server, u16) and client flags (u32) ----------------------------------------

export const FLAG_FIXED_NEWSTYLE = 0x0001;
export const FLAG_NO_ZEROES = 0x0002;
export const FLAG_C_FIXED_NEWSTYLE = 0x00000001;
export const FLAG_C_NO_ZEROES = 0x00000002;

// ---- options (NBD_OPT_*) --------------------------------------------------------------------------

export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_PEEK_EXPORT = 4;
export const OPT_STARTTLS = 5;
export const OPT_INFO = 6;
export const OPT_GO = 7;
export const OPT_STRUCTURED_REPLY = 8;
export const OPT_LIST_META_CONTEXT = 9;
export const OPT_SET_META_CONTEXT = 10;
export const OPT_EXTENDED_HEADERS = 11;

// ---- option reply types (NBD_REP_*) ---------------------------------------------------------------

export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
export const REP_META_CONTEXT = 4;
export const REP_FLAG_ERROR = 0x80000000;
export const REP_ERR_UNSUP = 0x80000001;
export const REP_ERR_POLICY = 0x80000002;
export const REP_ERR_INVALID = 0x80000003;
export const REP_ERR_PLATFORM = 0x80000004;
export const REP_ERR_TLS_REQD = 0x80000005;
export const REP_ERR_UNKNOWN = 0x80000006;
export const REP_ERR_SHUTDOWN = 0x80000007;
export const REP_ERR_BLOCK_SIZE_REQD = 0x80000008;
export const REP_ERR_TOO_BIG = 0x80000009;
export const REP_ERR_EXT_HEADER_REQD = 0x8000000a;

// ---- info types (inside NBD_REP_INFO) --------------------------------------------------------------

export const INFO_EXPORT = 0;
export const INFO_NAME = 1;
export const INFO_DESCRIPTION = 2;
export const INFO_BLOCK_SIZE = 3;

// ---- transmission flags (u16) -------------------------------------------------------------------------

export const FLAG_HAS_FLAGS = 0x0001;
export const FLAG_READ_ONLY = 0x0002;
export const FLAG_SEND_FLUSH = 0x0004;
export const FLAG_SEND_FUA = 0x0008;
export const FLAG_ROTATIONAL = 0x0010;
export const FLAG_SEND_TRIM = 0x0020;
export const FLAG_SEND_WRITE_ZEROES = 0x0040;
export const FLAG_SEND_DF = 0x0080;
export const FLAG_CAN_MULTI_CONN = 0x0100;
export const FLAG_SEND_RESIZE = 0x0200;
export const FLAG_SEND_CACHE = 0x0400;
export const FLAG_SEND_FAST_ZERO = 0x0800;
export const FLAG_BLOCK_STATUS_PAYLOAD = 0x1000;

// ---- commands and command flags -------------------------------------------------------------------------

export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_TRIM = 4;
export const CMD_CACHE = 5;
export const CMD_WRITE_ZEROES = 6;
export const CMD_BLOCK_STATUS = 7;

export const CMD_FLAG_FUA = 0x0001;
export const CMD_FLAG_NO_HOLE = 0x0002;
export const CMD_FLAG_DF = 0x0004;
export const CMD_FLAG_REQ_ONE = 0x0008;
export const CMD_FLAG_FAST_ZERO = 0x0010;
export const CMD_FLAG_PAYLOAD_LEN = 0x0020;

// ---- structured / extended reply chunks ---------------------------------------------------------------

export const REPLY_FLAG_DONE = 0x0001;
export const REPLY_TYPE_NONE = 0;
export const REPLY_TYPE_OFFSET_DATA = 1;
export const REPLY_TYPE_OFFSET_HOLE = 2;
export const REPLY_TYPE_BLOCK_STATUS = 5;
export const REPLY_TYPE_BLOCK_STATUS_EXT = 6;
export const REPLY_TYPE_ERROR = 0x8001;
export const REPLY_TYPE_ERROR_OFFSET = 0x8002;
/** Every error chunk type has bit 15 set. */
export const REPLY_TYPE_ERROR_BIT = 0x8000;

// ---- errors (NBD_E*) ------------------------------------------------------------------------------------

export const NBD_EPERM = 1;
export const NBD_EIO = 5;
export const NBD_ENOMEM = 12;
export const NBD_EINVAL = 22;
export const NBD_ENOSPC = 28;
export const NBD_EOVERFLOW = 75;
export const NBD_ENOTSUP = 95;
export const NBD_ESHUTDOWN = 108;

// ---- base:allocation ---------------------------------------------------------------------------------

export const META_BASE_ALLOCATION = 'base:allocation';
export const STATE_HOLE = 0x1;
export const STATE_ZERO = 0x2;

// ---- sizes and limits ------------------------------------------------------------------------------------

export const GREETING_LENGTH = 18;
export const OLDSTYLE_GREETING_LENGTH = 152;
export const OPTION_HEADER_LENGTH = 16;
export const OPTION_REPLY_HEADER_LENGTH = 20;
export const REQUEST_LENGTH = 28;
export const EXTENDED_REQUEST_LENGTH = 32;
export const SIMPLE_REPLY_LENGTH = 16;
export const STRUCTURED_REPLY_HEADER_LENGTH = 20;
export const EXTENDED_REPLY_HEADER_LENGTH = 32;
/** The payload every server must accept and no client sends more of, unless block sizes say so (2^25). */
export const DEFAULT_MAX_PAYLOAD = 32 << 20;
/** Strings (names, messages, context names) must not exceed this (proto.md "Conventions"). */
export const MAX_STRING_LENGTH = 4096;
/** A block status chunk should not hold more extents than this. */
export const MAX_EXTENTS_PER_CHUNK = 1 << 20;

const U32_MAX = 0xffffffff;
const U64_MAX = 0xffffffffffffffffn;

/** The names of the numbers above, for messages. */
export const OPTION_NAMES: Record<number, string> = {
  [OPT_EXPORT_NAME]: 'EXPORT_NAME', [OPT_ABORT]: 'ABORT', [OPT_LIST]: 'LIST', [OPT_PEEK_EXPORT]: 'PEEK_EXPORT',
  [OPT_STARTTLS]: 'STARTTLS', [OPT_INFO]: 'INFO', [OPT_GO]: 'GO', [OPT_STRUCTURED_REPLY]: 'STRUCTURED_REPLY',
  [OPT_LIST_META_CONTEXT]: 'LIST_META_CONTEXT', [OPT_SET_META_CONTEXT]: 'SET_META_CONTEXT',
  [OPT_EXTENDED_HEADERS]: 'EXTENDED_HEADERS',
};

export const REP_ERROR_NAMES: Record<number, string> = {
  [REP_ERR_UNSUP]: 'ERR_UNSUP', [REP_ERR_POLICY]: 'ERR_POLICY', [REP_ERR_INVALID]: 'ERR_INVALID',
  [REP_ERR_PLATFORM]: 'ERR_PLATFORM', [REP_ERR_TLS_REQD]: 'ERR_TLS_REQD', [REP_ERR_UNKNOWN]: 'ERR_UNKNOWN',
  [REP_ERR_SHUTDOWN]: 'ERR_SHUTDOWN', [REP_ERR_BLOCK_SIZE_REQD]: 'ERR_BLOCK_SIZE_REQD',
  [REP_ERR_TOO_BIG]: 'ERR_TOO_BIG', [REP_ERR_EXT_HEADER_REQD]: 'ERR_EXT_HEADER_REQD',
};

export const COMMAND_NAMES: Record<number, string> = {
  [CMD_READ]: 'READ', [CMD_WRITE]: 'WRITE', [CMD_DISC]: 'DISC', [CMD_FLUSH]: 'FLUSH', [CMD_TRIM]: 'TRIM',
  [CMD_CACHE]: 'CACHE', [CMD_WRITE_ZEROES]: 'WRITE_ZEROES', [CMD_BLOCK_STATUS]: 'BLOCK_STATUS',
};

export const ERRNO_NAMES: Record<number, string> = {
  [NBD_EPERM]: 'EPERM', [NBD_EIO]: 'EIO', [NBD_ENOMEM]: 'ENOMEM', [NBD_EINVAL]: 'EINVAL', [NBD_ENOSPC]: 'ENOSPC',
  [NBD_EOVERFLOW]: 'EOVERFLOW', [NBD_ENOTSUP]: 'ENOTSUP', [NBD_ESHUTDOWN]: 'ESHUTDOWN',
};

/**
 * A message that breaks the protocol. `reply` is the option reply error a server answers with when
 * the stream can go on (the declared length was consumed); without it the peer is disconnected.
 */
export class NbdProtocolError extends Error {
  constructor(message: string, readonly reply?: number) {
    super(message);
    this.name = 'NbdProtocolError';
  }
}

// ---- strings ------------------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A protocol string: valid UTF-8, no NUL, at most 4096 bytes. */
export function decodeString(bytes: Uint8Array, what: string): string {
  if (bytes.length > MAX_STRING_LENGTH) {
    throw new NbdProtocolError(`${what} is ${bytes.length} bytes, more than the ${MAX_STRING_LENGTH} allowed`, REP_ERR_INVALID);
  }
  if (bytes.includes(0)) throw new NbdProtocolError(`${what} contains a NUL byte`, REP_ERR_INVALID);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new NbdProtocolError(`${what} is not valid UTF-8`, REP_ERR_INVALID);
  }
}

export function encodeString(text: string, what: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length > MAX_STRING_LENGTH) throw new NbdProtocolError(`${what} is ${b.length} bytes, more than the ${MAX_STRING_LENGTH} allowed`);
  if (b.includes(0)) throw new NbdProtocolError(`${what} contains a NUL character`);
  return b;
}

/** A name quoted for a message: printable, at most 80 characters (qemu's CVE-2020-10761 rule). */
export function quoteForMessage(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return `"${clean.length > 80 ? `${clean.slice(0, 77)}...` : clean}"`;
}

// ---- handshake --------------------------------------------------------------------------------------------

/** Server greeting of the newstyle handshake: NBDMAGIC, IHAVEOPT, handshake flags (18 bytes). */
export function encodeGreeting(handshakeFlags: number): Buffer {
  const b = Buffer.alloc(GREETING_LENGTH);
  b.writeBigUInt64BE(NBDMAGIC, 0);
  b.writeBigUInt64BE(IHAVEOPT, 8);
  b.writeUInt16BE(handshakeFlags, 16);
  return b;
}

/** Oldstyle greeting (152 bytes): magic, cliserv magic, size, flags, 124 zeros. For tests of clients. */
export function encodeOldstyleGreeting(size: bigint, transmissionFlags: number): Buffer {
  const b = Buffer.alloc(OLDSTYLE_GREETING_LENGTH);
  b.writeBigUInt64BE(NBDMAGIC, 0);
  b.writeBigUInt64BE(CLISERV_MAGIC, 8);
  b.writeBigUInt64BE(size, 16);
  b.writeUInt32BE(transmissionFlags & 0xffff, 24);
  return b;
}

export type GreetingStart = { style: 'newstyle' } | { style: 'oldstyle' };

/** The first 16 bytes a server sends: which style follows. */
export function decodeGreetingStart(b: Uint8Array): GreetingStart {
  const v = view(b);
  if (v.getBigUint64(0) !== NBDMAGIC) throw new NbdProtocolError('the peer is not an NBD server (no NBDMAGIC)');
  const second = v.getBigUint64(8);
  if (second === IHAVEOPT) return { style: 'newstyle' };
  if (second === CLISERV_MAGIC) return { style: 'oldstyle' };
  throw new NbdProtocolError(`unknown NBD greeting magic 0x${second.toString(16)}`);
}

/** The rest of an oldstyle greeting (bytes 16..152): export size and transmission flags. */
export function decodeOldstyleRest(b: Uint8Array): { size: bigint; transmissionFlags: number } {
  const v = view(b);
  const flags = v.getUint32(8);
  return { size: v.getBigUint64(0), transmissionFlags: flags & 0xffff };
}

export function encodeClientFlags(flags: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(flags >>> 0, 0);
  return b;
}

export function decodeU32(b: Uint8Array, at = 0): number {
  return view(b).getUint32(at);
}

export function decodeU16(b: Uint8Array, at = 0): number {
  return view(b).getUint16(at);
}

// ---- options (client -> server) ------------------------------------------------------------------------

export interface OptionHeader {
  option: number;
  length: number;
}

export function encodeOption(option: number, payload: Uint8Array = EMPTY): Buffer {
  const b = Buffer.alloc(OPTION_HEADER_LENGTH + payload.length);
  b.writeBigUInt64BE(IHAVEOPT, 0);
  b.writeUInt32BE(option >>> 0, 8);
  b.writeUInt32BE(payload.length, 12);
  b.set(payload, OPTION_HEADER_LENGTH);
  return b;
}

/** The 16-byte option header; a wrong magic is fatal (the stream cannot be resynchronised). */
export function decodeOptionHeader(b: Uint8Array): OptionHeader {
  const v = view(b);
  const magic = v.getBigUint64(0);
  if (magic !== IHAVEOPT) throw new NbdProtocolError(`option magic 0x${magic.toString(16)} is not IHAVEOPT`);
  return { option: v.getUint32(8), length: v.getUint32(12) };
}

/** INFO and GO payload: u32 name length, name, u16 count, count x u16 info request. */
export interface InfoRequest {
  name: string;
  requests: number[];
}

export function encodeInfoRequest(name: string, requests: number[]): Buffer {
  const n = encodeString(name, 'export name');
  const b = Buffer.alloc(4 + n.length + 2 + 2 * requests.length);
  b.writeUInt32BE(n.length, 0);
  b.set(n, 4);
  b.writeUInt16BE(requests.length, 4 + n.length);
  requests.forEach((r, i) => b.writeUInt16BE(r, 6 + n.length + 2 * i));
  return b;
}

/** Strict parse: every length inside must fit the option exactly (CVE-2022-26495 class). */
export function decodeInfoRequest(p: Uint8Array): InfoRequest {
  if (p.length < 6) throw new NbdProtocolError(`INFO/GO payload of ${p.length} bytes is shorter than 6`, REP_ERR_INVALID);
  const v = view(p);
  const nameLength = v.getUint32(0);
  if (nameLength > p.length - 6) {
    throw new NbdProtocolError(`export name length ${nameLength} runs past the option (${p.length} bytes)`, REP_ERR_INVALID);
  }
  const name = decodeString(p.subarray(4, 4 + nameLength), 'export name');
  const count = v.getUint16(4 + nameLength);
  if (6 + nameLength + 2 * count !== p.length) {
    throw new NbdProtocolError(`${count} information requests do not fill the option exactly (${p.length} bytes)`, REP_ERR_INVALID);
  }
  const requests: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = v.getUint16(6 + nameLength + 2 * i);
    if (requests.includes(r)) throw new NbdProtocolError(`information request ${r} appears twice`, REP_ERR_INVALID);
    requests.push(r);
  }
  return { name, requests };
}

/** LIST_META_CONTEXT and SET_META_CONTEXT payload: u32 name length, name, u32 count, queries. */
export interface MetaContextRequest {
  name: string;
  queries: string[];
}

export function encodeMetaContextRequest(name: string, queries: string[]): Buffer {
  const n = encodeString(name, 'export name');
  const qs = queries.map((q) => encodeString(q, 'context query'));
  const b = Buffer.alloc(8 + n.length + qs.reduce((s, q) => s + 4 + q.length, 0));
  b.writeUInt32BE(n.length, 0);
  b.set(n, 4);
  let p = 4 + n.length;
  b.writeUInt32BE(qs.length, p);
  p += 4;
  for (const q of qs) {
    b.writeUInt32BE(q.length, p);
    b.set(q, p + 4);
    p += 4 + q.length;
  }
  return b;
}

/**
 * Strict parse; `maxQueries` bounds the work (ERR_TOO_BIG above it). Bytes after the last query
 * are an error, not ignored (qemu #4843).
 */
export function decodeMetaContextRequest(p: Uint8Array, maxQueries: number): MetaContextRequest {
  if (p.length < 8) throw new NbdProtocolError(`meta context payload of ${p.length} bytes is shorter than 8`, REP_ERR_INVALID);
  const v = view(p);
  const nameLength = v.getUint32(0);
  if (nameLength > p.length - 8) {
    throw new NbdProtocolError(`export name length ${nameLength} runs past the option (${p.length} bytes)`, REP_ERR_INVALID);
  }
  const name = decodeString(p.subarray(4, 4 + nameLength), 'export name');
  let at = 4 + nameLength;
  const count = v.getUint32(at);
  at += 4;
  if (count > (p.length - at) / 4) {
    throw new NbdProtocolError(`${count} context queries cannot fit in the option (${p.length} bytes)`, REP_ERR_INVALID);
  }
  if (count > maxQueries) throw new NbdProtocolError(`${count} context queries are more than the ${maxQueries} accepted`, REP_ERR_TOO_BIG);
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > p.length) throw new NbdProtocolError('a context query runs past the option', REP_ERR_INVALID);
    const len = v.getUint32(at);
    at += 4;
    if (len > p.length - at) throw new NbdProtocolError(`context query length ${len} runs past the option`, REP_ERR_INVALID);
    queries.push(decodeString(p.subarray(at, at + len), 'context query'));
    at += len;
  }
  if (at !== p.length) throw new NbdProtocolError(`${p.length - at} bytes follow the last context query`, REP_ERR_INVALID);
  return { name, queries };
}

// ---- option replies (server -> client) -----------------------------------------------------------------

export interface OptionReplyHeader {
  option: number;
  type: number;
  length: number;
}

export function encodeOptionReply(option: number, type: number, payload: Uint8Array = EMPTY): Buffer {
  const b = Buffer.alloc(OPTION_REPLY_HEADER_LENGTH + payload.length);
  b.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  b.writeUInt32BE(option >>> 0, 8);
  b.writeUInt32BE(type >>> 0, 12);
  b.writeUInt32BE(payload.length, 16);
  b.set(payload, OPTION_REPLY_HEADER_LENGTH);
  return b;
}

export function decodeOptionReplyHeader(b: Uint8Array): OptionReplyHeader {
  const v = view(b);
  const magic = v.getBigUint64(0);
  if (magic !== OPTION_REPLY_MAGIC) throw new NbdProtocolError(`option reply magic 0x${magic.toString(16)} is wrong`);
  return { option: v.getUint32(8), type: v.getUint32(12), length: v.getUint32(16) };
}

/** An error reply with a human-readable message (bounded to the string limit). */
export function encodeOptionError(option: number, type: number, message: string): Buffer {
  const m = Buffer.from(message, 'utf8');
  return encodeOptionReply(option, type, m.subarray(0, Math.min(m.length, 1024)));
}

/** NBD_REP_SERVER payload: u32 name length, name, description filling the rest. */
export function encodeServerReply(name: string, description = ''): Buffer {
  const n = encodeString(name, 'export name');
  const d = encodeString(description, 'export description');
  const b = Buffer.alloc(4 + n.length + d.length);
  b.writeUInt32BE(n.length, 0);
  b.set(n, 4);
  b.set(d, 4 + n.length);
  return b;
}

export function decodeServerReply(p: Uint8Array): { name: string; description: string } {
  if (p.length < 4) throw new NbdProtocolError(`REP_SERVER payload of ${p.length} bytes is shorter than 4`);
  const len = view(p).getUint32(0);
  if (len > p.length - 4) throw new NbdProtocolError(`REP_SERVER name length ${len} runs past the reply (${p.length} bytes)`);
  return {
    name: decodeString(p.subarray(4, 4 + len), 'export name'),
    description: decodeString(p.subarray(4 + len), 'export description'),
  };
}

/** NBD_REP_META_CONTEXT payload: u32 context id, context name. */
export function encodeMetaContextReply(id: number, name: string): Buffer {
  const n = encodeString(name, 'context name');
  const b = Buffer.alloc(4 + n.length);
  b.writeUInt32BE(id >>> 0, 0);
  b.set(n, 4);
  return b;
}

export function decodeMetaContextReply(p: Uint8Array): { id: number; name: string } {
  if (p.length < 4) throw new NbdProtocolError(`REP_META_CONTEXT payload of ${p.length} bytes is shorter than 4`);
  return { id: view(p).getUint32(0), name: decodeString(p.subarray(4), 'context name') };
}

/** What NBD_REP_INFO replies said, accumulated. */
export interface ExportInfo {
  size?: bigint;
  transmissionFlags?: number;
  name?: string;
  description?: string;
  minimumBlockSize?: number;
  preferredBlockSize?: number;
  maximumPayload?: number;
}

export function encodeInfoExport(size: bigint, transmissionFlags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(INFO_EXPORT, 0);
  b.writeBigUInt64BE(size, 2);
  b.writeUInt16BE(transmissionFlags, 10);
  return b;
}

export function encodeInfoName(name: string): Buffer {
  return Buffer.concat([u16(INFO_NAME), encodeString(name, 'export name')]);
}

export function encodeInfoDescription(description: string): Buffer {
  return Buffer.concat([u16(INFO_DESCRIPTION), encodeString(description, 'export description')]);
}

export function encodeInfoBlockSize(minimum: number, preferred: number, maximum: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(INFO_BLOCK_SIZE, 0);
  b.writeUInt32BE(minimum, 2);
  b.writeUInt32BE(preferred, 6);
  b.writeUInt32BE(maximum, 10);
  return b;
}

/** Fold one NBD_REP_INFO payload into `info`. Unknown info types are ignored, as the spec asks. */
export function decodeInfoReply(p: Uint8Array, info: ExportInfo): void {
  if (p.length < 2) throw new NbdProtocolError(`REP_INFO payload of ${p.length} bytes is shorter than 2`);
  const v = view(p);
  const type = v.getUint16(0);
  switch (type) {
    case INFO_EXPORT:
      if (p.length !== 12) throw new NbdProtocolError(`INFO_EXPORT is ${p.length} bytes, not 12`);
      info.size = v.getBigUint64(2);
      info.transmissionFlags = v.getUint16(10);
      break;
    case INFO_NAME:
      info.name = decodeString(p.subarray(2), 'export name');
      break;
    case INFO_DESCRIPTION:
      info.description = decodeString(p.subarray(2), 'export description');
      break;
    case INFO_BLOCK_SIZE: {
      if (p.length !== 14) throw new NbdProtocolError(`INFO_BLOCK_SIZE is ${p.length} bytes, not 14`);
      const min = v.getUint32(2), pref = v.getUint32(6), max = v.getUint32(10);
      if (!isPowerOfTwo(min) || min > 65536) throw new NbdProtocolError(`minimum block size ${min} is not a power of two up to 64 KiB`);
      if (!isPowerOfTwo(pref) || pref < min) throw new NbdProtocolError(`preferred block size ${pref} is not a power of two at least ${min}`);
      if (max !== U32_MAX && (max < min || max % min !== 0)) throw new NbdProtocolError(`maximum payload ${max} is not a multiple of the minimum block size ${min}`);
      info.minimumBlockSize = min;
      info.preferredBlockSize = pref;
      info.maximumPayload = max;
      break;
    }
    default:
      break;
  }
}

/** Reply to EXPORT_NAME: size, transmission flags, and 124 zeros unless NO_ZEROES was agreed. */
export function encodeExportNameReply(size: bigint, transmissionFlags: number, noZeroes: boolean): Buffer {
  const b = Buffer.alloc(noZeroes ? 10 : 134);
  b.writeBigUInt64BE(size, 0);
  b.writeUInt16BE(transmissionFlags, 8);
  return b;
}

export function decodeExportNameReply(b: Uint8Array): { size: bigint; transmissionFlags: number } {
  const v = view(b);
  return { size: v.getBigUint64(0), transmissionFlags: v.getUint16(8) };
}

// ---- transmission: requests ----------------------------------------------------------------------------

export interface Request {
  flags: number;
  type: number;
  cookie: bigint;
  offset: bigint;
  /** Compact: u32. Extended: u64 (a payload length when CMD_FLAG_PAYLOAD_LEN is set). */
  length: bigint;
}

/** A request header, compact (28 bytes) or extended (32 bytes), any 64-bit values. The payload is sent after it. */
export function encodeRequest(r: Request, extended: boolean, into?: Buffer): Buffer {
  if (!extended && r.length > BigInt(U32_MAX)) throw new NbdProtocolError(`length ${r.length} does not fit a compact request`);
  const b = into ?? Buffer.alloc(extended ? EXTENDED_REQUEST_LENGTH : REQUEST_LENGTH);
  b.writeUInt32BE(extended ? EXTENDED_REQUEST_MAGIC : REQUEST_MAGIC, 0);
  b.writeUInt16BE(r.flags, 4);
  b.writeUInt16BE(r.type, 6);
  b.writeBigUInt64BE(r.cookie, 8);
  b.writeBigUInt64BE(r.offset, 16);
  if (extended) b.writeBigUInt64BE(r.length, 24);
  else b.writeUInt32BE(Number(r.length), 24);
  return b;
}

const TWO_32 = 2 ** 32;

/**
 * The same header as encodeRequest, written at `at` from plain numbers (cookie, offset and length
 * below 2^53; a compact length below 2^32): the client's hot path, which sends thousands of
 * headers a second into one reused buffer and so avoids BigInt.
 */
export function putRequestHeader(b: Buffer, at: number, extended: boolean, flags: number, type: number, cookie: number, offset: number, length: number): void {
  b.writeUInt32BE(extended ? EXTENDED_REQUEST_MAGIC : REQUEST_MAGIC, at);
  b.writeUInt16BE(flags, at + 4);
  b.writeUInt16BE(type, at + 6);
  b.writeUInt32BE(Math.floor(cookie / TWO_32), at + 8);
  b.writeUInt32BE(cookie >>> 0, at + 12);
  b.writeUInt32BE(Math.floor(offset / TWO_32), at + 16);
  b.writeUInt32BE(offset >>> 0, at + 20);
  if (extended) {
    b.writeUInt32BE(Math.floor(length / TWO_32), at + 24);
    b.writeUInt32BE(length >>> 0, at + 28);
  } else {
    b.writeUInt32BE(length, at + 24);
  }
}

/** Decode a request header of the negotiated size; a wrong magic is fatal. */
export function decodeRequest(b: Uint8Array, extended: boolean): Request {
  const v = view(b);
  const magic = v.getUint32(0);
  const want = extended ? EXTENDED_REQUEST_MAGIC : REQUEST_MAGIC;
  if (magic !== want) throw new NbdProtocolError(`request magic 0x${magic.toString(16)} is not 0x${want.toString(16)}`);
  return {
    flags: v.getUint16(4),
    type: v.getUint16(6),
    cookie: v.getBigUint64(8),
    offset: v.getBigUint64(16),
    length: extended ? v.getBigUint64(24) : BigInt(v.getUint32(24)),
  };
}

// ---- transmission: replies --------------------------------------------------------------------------------

export function encodeSimpleReply(error: number, cookie: bigint, into?: Buffer): Buffer {
  const b = into ?? Buffer.alloc(SIMPLE_REPLY_LENGTH);
  b.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  b.writeUInt32BE(error >>> 0, 4);
  b.writeBigUInt64BE(cookie, 8);
  return b;
}

/** One structured (20-byte) or extended (32-byte) reply chunk header. */
export interface ChunkHeader {
  flags: number;
  type: number;
  cookie: bigint;
  /** Extended headers only: the request's offset, echoed. */
  offset?: bigint;
  length: number;
}

export function encodeChunkHeader(h: ChunkHeader, extended: boolean, into?: Buffer): Buffer {
  if (extended) {
    const b = into ?? Buffer.alloc(EXTENDED_REPLY_HEADER_LENGTH);
    b.writeUInt32BE(EXTENDED_REPLY_MAGIC, 0);
    b.writeUInt16BE(h.flags, 4);
    b.writeUInt16BE(h.type, 6);
    b.writeBigUInt64BE(h.cookie, 8);
    b.writeBigUInt64BE(h.offset ?? 0n, 16);
    b.writeBigUInt64BE(BigInt(h.length), 24);
    return b;
  }
  const b = into ?? Buffer.alloc(STRUCTURED_REPLY_HEADER_LENGTH);
  b.writeUInt32BE(STRUCTURED_REPLY_MAGIC, 0);
  b.writeUInt16BE(h.flags, 4);
  b.writeUInt16BE(h.type, 6);
  b.writeBigUInt64BE(h.cookie, 8);
  b.writeUInt32BE(h.length, 16);
  return b;
}

/** What a reply starts with, told apart by its magic (the first 4 bytes). */
export type ReplyKind = 'simple' | 'structured' | 'extended';

export function replyKind(magic: number): ReplyKind {
  if (magic === SIMPLE_REPLY_MAGIC) return 'simple';
  if (magic === STRUCTURED_REPLY_MAGIC) return 'structured';
  if (magic === EXTENDED_REPLY_MAGIC) return 'extended';
  throw new NbdProtocolError(`reply magic 0x${magic.toString(16)} is unknown`);
}

export function replyHeaderLength(kind: ReplyKind): number {
  return kind === 'simple' ? SIMPLE_REPLY_LENGTH : kind === 'structured' ? STRUCTURED_REPLY_HEADER_LENGTH : EXTENDED_REPLY_HEADER_LENGTH;
}

export function decodeSimpleReply(b: Uint8Array): { error: number; cookie: bigint } {
  const v = view(b);
  if (v.getUint32(0) !== SIMPLE_REPLY_MAGIC) throw new NbdProtocolError('not a simple reply');
  return { error: v.getUint32(4), cookie: v.getBigUint64(8) };
}

/**
 * A structured or extended chunk header. An extended length above 2^32 - 1 cannot be a real
 * payload (payloads are bounded by the block size information) and is refused here.
 */
export function decodeChunkHeader(b: Uint8Array): ChunkHeader {
  const v = view(b);
  const magic = v.getUint32(0);
  if (magic === STRUCTURED_REPLY_MAGIC) {
    return { flags: v.getUint16(4), type: v.getUint16(6), cookie: v.getBigUint64(8), length: v.getUint32(16) };
  }
  if (magic === EXTENDED_REPLY_MAGIC) {
    const length = v.getBigUint64(24);
    if (length > BigInt(U32_MAX)) throw new NbdProtocolError(`extended reply chunk length ${length} is beyond any payload`);
    return { flags: v.getUint16(4), type: v.getUint16(6), cookie: v.getBigUint64(8), offset: v.getBigUint64(16), length: Number(length) };
  }
  throw new NbdProtocolError(`chunk magic 0x${magic.toString(16)} is unknown`);
}

/** OFFSET_DATA's payload starts with the absolute offset (8 bytes); the data follows. */
export function encodeOffset(offset: bigint, into?: Buffer): Buffer {
  const b = into ?? Buffer.alloc(8);
  b.writeBigUInt64BE(offset, 0);
  return b;
}

export function encodeOffsetHole(offset: bigint, length: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(offset, 0);
  b.writeUInt32BE(length, 8);
  return b;
}

export function decodeOffsetHole(p: Uint8Array): { offset: bigint; length: number } {
  if (p.length !== 12) throw new NbdProtocolError(`OFFSET_HOLE payload is ${p.length} bytes, not 12`);
  const v = view(p);
  const length = v.getUint32(8);
  if (length === 0) throw new NbdProtocolError('OFFSET_HOLE of length 0');
  return { offset: v.getBigUint64(0), length };
}

/** One block status descriptor: length and status flags (STATE_HOLE, STATE_ZERO). */
export interface StatusDescriptor {
  length: number;
  flags: number;
}

/** BLOCK_STATUS (compact, u32 lengths) or BLOCK_STATUS_EXT (u64 lengths, descriptor count). */
export function encodeBlockStatus(contextId: number, extents: StatusDescriptor[], extended: boolean): Buffer {
  if (extended) {
    const b = Buffer.alloc(8 + 16 * extents.length);
    b.writeUInt32BE(contextId >>> 0, 0);
    b.writeUInt32BE(extents.length, 4);
    extents.forEach((e, i) => {
      b.writeBigUInt64BE(BigInt(e.length), 8 + 16 * i);
      b.writeBigUInt64BE(BigInt(e.flags >>> 0), 16 + 16 * i);
    });
    return b;
  }
  const b = Buffer.alloc(4 + 8 * extents.length);
  b.writeUInt32BE(contextId >>> 0, 0);
  extents.forEach((e, i) => {
    if (e.length > U32_MAX) throw new NbdProtocolError(`extent of ${e.length} bytes does not fit a compact status chunk`);
    b.writeUInt32BE(e.length, 4 + 8 * i);
    b.writeUInt32BE(e.flags >>> 0, 8 + 8 * i);
  });
  return b;
}

/**
 * Parse a status chunk payload. Lengths must be non-zero; 64-bit status values are accepted
 * (CVE-2023-5871) with the high bits ignored for base:allocation.
 */
export function decodeBlockStatus(p: Uint8Array, extended: boolean): { contextId: number; extents: StatusDescriptor[] } {
  const v = view(p);
  const extents: StatusDescriptor[] = [];
  if (extended) {
    if (p.length < 24 || (p.length - 8) % 16 !== 0) throw new NbdProtocolError(`BLOCK_STATUS_EXT payload of ${p.length} bytes is malformed`);
    const count = v.getUint32(4);
    if (count !== (p.length - 8) / 16) throw new NbdProtocolError(`BLOCK_STATUS_EXT says ${count} descriptors but carries ${(p.length - 8) / 16}`);
    for (let i = 0; i < count; i++) {
      const length = v.getBigUint64(8 + 16 * i);
      if (length === 0n) throw new NbdProtocolError('block status extent of length 0');
      if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new NbdProtocolError(`block status extent of ${length} bytes is absurd`);
      extents.push({ length: Number(length), flags: Number(v.getBigUint64(16 + 16 * i) & 0xffffffffn) });
    }
    return { contextId: v.getUint32(0), extents };
  }
  if (p.length < 12 || (p.length - 4) % 8 !== 0) throw new NbdProtocolError(`BLOCK_STATUS payload of ${p.length} bytes is malformed`);
  for (let at = 4; at < p.length; at += 8) {
    const length = v.getUint32(at);
    if (length === 0) throw new NbdProtocolError('block status extent of length 0');
    extents.push({ length, flags: v.getUint32(at + 4) });
  }
  return { contextId: v.getUint32(0), extents };
}

/** ERROR / ERROR_OFFSET payload: u32 error, u16 message length, message, [u64 offset]. */
export function encodeErrorChunk(error: number, message: string, offset?: bigint): Buffer {
  let m = Buffer.from(message, 'utf8');
  if (m.length > 1024) m = m.subarray(0, 1024);
  const b = Buffer.alloc(6 + m.length + (offset === undefined ? 0 : 8));
  b.writeUInt32BE(error >>> 0, 0);
  b.writeUInt16BE(m.length, 4);
  b.set(m, 6);
  if (offset !== undefined) b.writeBigUInt64BE(offset, 6 + m.length);
  return b;
}

export function decodeErrorChunk(p: Uint8Array, type: number): { error: number; message: string; offset?: bigint } {
  if (p.length < 6) throw new NbdProtocolError(`error chunk of ${p.length} bytes is shorter than 6`);
  const v = view(p);
  const error = v.getUint32(0);
  const mlen = v.getUint16(4);
  if (mlen > p.length - 6) throw new NbdProtocolError(`error message length ${mlen} runs past the chunk (${p.length} bytes)`);
  let message: string;
  try {
    message = decodeString(p.subarray(6, 6 + mlen), 'error message');
  } catch {
    message = Buffer.from(p.subarray(6, 6 + mlen)).toString('latin1');
  }
  const rest = p.length - 6 - mlen;
  if (type === REPLY_TYPE_ERROR_OFFSET) {
    if (rest !== 8) throw new NbdProtocolError(`ERROR_OFFSET chunk has ${rest} bytes after the message, not 8`);
    return { error, message, offset: v.getBigUint64(6 + mlen) };
  }
  if (type === REPLY_TYPE_ERROR && rest !== 0) throw new NbdProtocolError(`ERROR chunk has ${rest} bytes after the message`);
  return { error, message };
}

// ---- helpers --------------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return b;
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isInteger(n) && (n & (n - 1)) === 0;
}

/** True when `offset + length` (unsigned 64-bit wire values) lies inside an export of `size` bytes. */
export function rangeInside(offset: bigint, length: bigint, size: bigint): boolean {
  // Written so it cannot overflow: offset <= size and length <= size - offset.
  return offset <= size && length <= size - offset && offset <= U64_MAX;
}
