import { NfcProtocolError } from './nfc-protocol-error.js';

// NFC AIO messages (vsphere-remote.md §4.3-4.5): a 16-byte header (magic 0xA100DA7A, type, payload
// size, opId), a fixed payload of `size` bytes, then "extra" data whose length a field inside the
// payload gives. Each layout is written once and used by both ends: requests and replies of the same
// type share a layout where the reference says they do. Little-endian throughout.
//
// IO is the hot path: writeIo and readIo work in place on caller buffers with numbers (handles are
// bigint, they are opaque uint64s a host chooses); decoders return views, never copies.

export const AIO_MAGIC = 0xa100da7a;
export const AIO_HEADER_LENGTH = 16;

export const AIO_ERROR = 1;
export const AIO_OPEN_SESSION = 2;
export const AIO_CLOSE_SESSION = 3;
export const AIO_OPEN_FILE = 4;
export const AIO_CLOSE_FILE = 5;
export const AIO_IO = 7;
export const AIO_SET_SOCK_OPTS = 9;
export const AIO_DDB_GET = 11;
export const AIO_QUERY_ALLOCATED_BLOCKS = 13;
export const AIO_SET_RES_POOL = 22;

export const AIO_TYPE_NAMES: Readonly<Record<number, string>> = {
  [AIO_ERROR]: 'ERROR', [AIO_OPEN_SESSION]: 'OPEN_SESSION', [AIO_CLOSE_SESSION]: 'CLOSE_SESSION',
  [AIO_OPEN_FILE]: 'OPEN_FILE', [AIO_CLOSE_FILE]: 'CLOSE_FILE', [AIO_IO]: 'IO', [AIO_SET_SOCK_OPTS]: 'SET_SOCK_OPTS',
  [AIO_DDB_GET]: 'DDB_GET', [AIO_QUERY_ALLOCATED_BLOCKS]: 'QUERY_ALLOCATED_BLOCKS', [AIO_SET_RES_POOL]: 'SET_RES_POOL',
};

/** Payload size of each type, the same in request and reply (§4.4); ERROR's is variable. */
export const AIO_PAYLOAD_LENGTH: Readonly<Record<number, number>> = {
  [AIO_OPEN_SESSION]: 16, [AIO_CLOSE_SESSION]: 4, [AIO_OPEN_FILE]: 60, [AIO_CLOSE_FILE]: 8, [AIO_IO]: 44,
  [AIO_SET_SOCK_OPTS]: 12, [AIO_DDB_GET]: 16, [AIO_QUERY_ALLOCATED_BLOCKS]: 48, [AIO_SET_RES_POOL]: 4,
};

// ---- field values -----------------------------------------------------------------------------------

export const IO_WRITE = 0;
export const IO_READ = 1;
export const COMPRESSION_NONE = 0;
export const COMPRESSION_ZLIB = 1;
export const COMPRESSION_FASTLZ = 2;
export const COMPRESSION_SKIPZ = 3;
export const COMPRESSION_NAMES: Readonly<Record<number, string>> = {
  [COMPRESSION_NONE]: 'none', [COMPRESSION_ZLIB]: 'zlib', [COMPRESSION_FASTLZ]: 'FastLZ', [COMPRESSION_SKIPZ]: 'SkipZ',
};

/** OPEN_FILE file types (PHOTON). */
export const NFC_FILE_RAW = 0;
export const NFC_FILE_TEXT = 1;
export const NFC_FILE_DISK = 2;
export const NFC_FILE_DELTA_DISK = 3;
/** OPEN_FILE flags VDDK 8 sends; they differ in 0x04, VIXDISKLIB_FLAG_OPEN_READ_ONLY's value. */
export const OPEN_FLAGS_READ_ONLY = 0x1e;
export const OPEN_FLAGS_READ_WRITE = 0x1a;
export const OPEN_FLAG_READ_ONLY_BIT = 0x04;

/** SET_RES_POOL's argument as VDDK sends it ("Setting Resource Pool(1)"). */
export const VDDK_RESOURCE_POOL = 1;
/** What a host answers SET_SOCK_OPTS with when the client leaves the sizes at 0 (the lab host's figures). */
export const DEFAULT_SOCKET_BUFFER_SIZE = 1_675_000;

// ---- limits (§4.7) ------------------------------------------------------------------------------------

export const SECTOR_SIZE = 512;
/** Session buffer size when OPEN_SESSION asks 0, and VDDK's default (BufSizeIn64KB = 1). */
export const DEFAULT_BUFFER_SIZE = 65536;
export const DEFAULT_BUFFER_COUNT = 4;
/** The largest session buffer ESXi 8 accepted; 16 MiB was refused. */
export const MAX_BUFFER_SIZE = 2 << 20;
export const MAX_PATH_LENGTH = 4096;
export const MAX_DDB_KEY_LENGTH = 256;
export const MAX_DDB_VALUE_LENGTH = 4096;
/** An ERROR payload (our 8-byte fields plus a message) is at most this. */
export const MAX_ERROR_PAYLOAD = 1024;
/** An unknown request type carries at most this much payload and no extra (ours). */
export const MAX_UNKNOWN_PAYLOAD = 64;
/** One allocated-blocks query: 2^24 chunks, a 2 MiB bitmap (1 TiB at 64 KiB chunks). */
export const MAX_QUERY_CHUNKS = 1 << 24;

/**
 * The most a compressed fragment of `length` bytes may take (zlib's compressBound): a sender whose
 * compression does not help sends the fragment uncompressed (§4.6), so nothing is larger than this.
 */
export function compressBound(length: number): number {
  return length + (length >>> 12) + (length >>> 14) + (length >>> 25) + 13;
}

/** The largest extra an IO fragment may carry with fragments of at most `maxFragmentLength` bytes. */
export function maxIoExtra(maxFragmentLength: number): number {
  return compressBound(maxFragmentLength);
}

/** The allocated-blocks bitmap: ceil(count / 8) bytes rounded up to a multiple of 4 (§4.5). */
export function bitmapLength(chunkCount: number): number {
  return ((Math.ceil(chunkCount / 8) + 3) >>> 2) << 2;
}

// ---- header ---------------------------------------------------------------------------------------------

export interface AioHeader {
  type: number;
  /** Payload bytes (the fixed part; extra data is not counted). */
  size: number;
  opId: number;
}

export function writeAioHeader(target: Uint8Array, at: number, type: number, size: number, opId: number): void {
  const v = view(target, at, AIO_HEADER_LENGTH);
  v.setUint32(0, AIO_MAGIC, true);
  v.setUint32(4, type >>> 0, true);
  v.setUint32(8, size >>> 0, true);
  v.setUint32(12, opId >>> 0, true);
}

/** The 16-byte header; a wrong magic is fatal ("invalid msg hdr magic"). */
export function decodeAioHeader(bytes: Uint8Array): AioHeader {
  return readAioHeader(bytes, { type: 0, size: 0, opId: 0 });
}

/** decodeAioHeader into an object the caller reuses (a parser's, once per frame). */
export function readAioHeader(bytes: Uint8Array, into: AioHeader): AioHeader {
  if (bytes.length >= 4) checkAioMagic(view(bytes, 0, 4).getUint32(0, true));
  if (bytes.length < AIO_HEADER_LENGTH) throw new NfcProtocolError(`an AIO header is 16 bytes, not ${bytes.length}`, true);
  const v = view(bytes, 0, AIO_HEADER_LENGTH);
  into.type = v.getUint32(4, true);
  into.size = v.getUint32(8, true);
  into.opId = v.getUint32(12, true);
  return into;
}

/** The first word of every AIO frame; anything else is fatal, known as soon as 4 bytes are in. */
export function checkAioMagic(word: number): void {
  if (word !== AIO_MAGIC) throw new NfcProtocolError(`invalid AIO message header magic 0x${word.toString(16).padStart(8, '0')}`, true);
}

/** Which way a frame goes: a client's request or a host's reply (their extra data differ). */
export type AioDirection = 'request' | 'reply';

export interface AioLimits {
  /** The session buffer size: the most uncompressed data one IO fragment carries. */
  maxFragmentLength: number;
}

export const DEFAULT_AIO_LIMITS: AioLimits = { maxFragmentLength: MAX_BUFFER_SIZE };

/**
 * Check a header against the catalogue and say how much payload follows (its `size`). A known type
 * with another size, an unknown reply type or an unbounded size cannot be skipped safely: fatal.
 * An unknown request type of a small size is returned as is (no extra); a host answers it with ERROR.
 */
export function checkAioHeader(header: AioHeader, direction: AioDirection): void {
  const expected = AIO_PAYLOAD_LENGTH[header.type];
  if (expected !== undefined) {
    if (header.size !== expected) {
      throw new NfcProtocolError(`AIO ${AIO_TYPE_NAMES[header.type]} payload is ${header.size} bytes, not ${expected}`, true, header.opId);
    }
    return;
  }
  if (header.type === AIO_ERROR && direction === 'reply') {
    if (header.size > MAX_ERROR_PAYLOAD) {
      throw new NfcProtocolError(`AIO ERROR payload of ${header.size} bytes is more than the ${MAX_ERROR_PAYLOAD} allowed`, true, header.opId);
    }
    return;
  }
  if (direction === 'reply') throw new NfcProtocolError(`unknown AIO reply type ${header.type}`, true, header.opId);
  if (header.size > MAX_UNKNOWN_PAYLOAD) {
    throw new NfcProtocolError(`unknown AIO message type ${header.type} with a ${header.size}-byte payload`, true, header.opId);
  }
}

/**
 * The extra bytes after a frame's payload, from the field inside the payload that gives it (§4.4).
 * Bounded here, before anything is read: a length past a limit is fatal, never an allocation.
 */
export function aioExtraLength(header: AioHeader, payload: Uint8Array, direction: AioDirection, limits: AioLimits = DEFAULT_AIO_LIMITS): number {
  const v = view(payload, 0, payload.length);
  const bounded = (n: number, max: number, what: string): number => {
    if (n > max) throw new NfcProtocolError(`AIO ${what} length ${n} is more than the ${max} bytes allowed`, true, header.opId);
    return n;
  };
  switch (header.type) {
    case AIO_OPEN_FILE: return direction === 'request' ? bounded(v.getUint32(0, true), MAX_PATH_LENGTH, 'OPEN_FILE path') : 0;
    case AIO_DDB_GET: return direction === 'request'
      ? bounded(v.getUint32(8, true), MAX_DDB_KEY_LENGTH, 'DDB_GET key')
      : bounded(v.getUint32(12, true), MAX_DDB_VALUE_LENGTH, 'DDB_GET value');
    case AIO_IO: {
      const ioDirection = v.getUint32(8, true);
      if (ioDirection !== IO_READ && ioDirection !== IO_WRITE) {
        throw new NfcProtocolError(`AIO IO direction ${ioDirection} is neither read (1) nor write (0)`, true, header.opId);
      }
      // Data travels with write requests and read replies; read requests and write replies carry none.
      const carriesData = (ioDirection === IO_WRITE) === (direction === 'request');
      return carriesData ? bounded(v.getUint32(36, true), maxIoExtra(limits.maxFragmentLength), 'IO fragment') : 0;
    }
    case AIO_QUERY_ALLOCATED_BLOCKS: {
      if (direction === 'request') return 0;
      const count = readU64(v, 32);
      if (count > MAX_QUERY_CHUNKS) {
        throw new NfcProtocolError(`allocated-blocks reply for ${count} chunks is more than the ${MAX_QUERY_CHUNKS} allowed`, true, header.opId);
      }
      return bitmapLength(count);
    }
    default: return 0;
  }
}

// ---- frames as wholes (everything but IO data is small) -------------------------------------------

/** A frame: header fields, and views of its payload and extra. */
export interface AioFrame extends AioHeader {
  payload: Uint8Array;
  extra: Uint8Array;
}

/** One frame as a new buffer: header, payload, extra. */
export function encodeAioFrame(type: number, opId: number, payload: Uint8Array, extra?: Uint8Array): Buffer {
  const extraLength = extra ? extra.length : 0;
  const b = Buffer.allocUnsafe(AIO_HEADER_LENGTH + payload.length + extraLength);
  writeAioHeader(b, 0, type, payload.length, opId);
  b.set(payload, AIO_HEADER_LENGTH);
  if (extra) b.set(extra, AIO_HEADER_LENGTH + payload.length);
  return b;
}

/**
 * The first frame of `bytes` if it is all there: views of payload and extra (no copy) and the
 * bytes it took; null when more bytes are needed. Errors as checkAioHeader and aioExtraLength.
 */
export function decodeAioFrame(bytes: Uint8Array, direction: AioDirection, limits: AioLimits = DEFAULT_AIO_LIMITS): { frame: AioFrame; length: number } | null {
  if (bytes.length < AIO_HEADER_LENGTH) return null;
  const header = decodeAioHeader(bytes);
  checkAioHeader(header, direction);
  const payloadEnd = AIO_HEADER_LENGTH + header.size;
  if (bytes.length < payloadEnd) return null;
  const payload = bytes.subarray(AIO_HEADER_LENGTH, payloadEnd);
  const end = payloadEnd + aioExtraLength(header, payload, direction, limits);
  if (bytes.length < end) return null;
  return { frame: { ...header, payload, extra: bytes.subarray(payloadEnd, end) }, length: end };
}

// ---- OPEN_SESSION (2) ---------------------------------------------------------------------------------

export interface OpenSession {
  /** Bytes per buffer, the most uncompressed data per IO fragment. */
  bufferSize: number;
  bufferCount: number;
}

/** Request: 0, buffer size, buffer count, 0. The reply is 16 zero bytes (bufferSize and bufferCount 0). */
export function encodeOpenSession(request: OpenSession): Buffer {
  const p = Buffer.alloc(16);
  p.writeUInt32LE(request.bufferSize >>> 0, 4);
  p.writeUInt32LE(request.bufferCount >>> 0, 8);
  return p;
}

export function decodeOpenSession(payload: Uint8Array): OpenSession {
  const v = fixed(payload, AIO_OPEN_SESSION);
  return { bufferSize: v.getUint32(4, true), bufferCount: v.getUint32(8, true) };
}

/** The buffer size a host uses for a request: 0 means 64 KiB; past 2 MiB is refused as ESXi 8 does. */
export function sessionBufferSize(request: OpenSession): number {
  const size = request.bufferSize === 0 ? DEFAULT_BUFFER_SIZE : request.bufferSize;
  if (size > MAX_BUFFER_SIZE) throw new NfcProtocolError(`NFC session buffer of ${size} bytes is more than the ${MAX_BUFFER_SIZE} allowed`, false);
  if (size % SECTOR_SIZE !== 0) throw new NfcProtocolError(`NFC session buffer of ${size} bytes is not a multiple of 512`, false);
  return size;
}

// ---- SET_SOCK_OPTS (9), SET_RES_POOL (22), CLOSE_SESSION (3), CLOSE_FILE (5) --------------------------

/** Both directions: send and receive buffer sizes, a flag (VDDK sends zeros; the host answers sizes and 1). */
export interface SocketOptions {
  sendBufferSize: number;
  receiveBufferSize: number;
  flag: number;
}

export function encodeSocketOptions(o: SocketOptions): Buffer {
  const p = Buffer.alloc(12);
  p.writeUInt32LE(o.sendBufferSize >>> 0, 0);
  p.writeUInt32LE(o.receiveBufferSize >>> 0, 4);
  p.writeUInt32LE(o.flag >>> 0, 8);
  return p;
}

export function decodeSocketOptions(payload: Uint8Array): SocketOptions {
  const v = fixed(payload, AIO_SET_SOCK_OPTS);
  return { sendBufferSize: v.getUint32(0, true), receiveBufferSize: v.getUint32(4, true), flag: v.getUint32(8, true) };
}

/** SET_RES_POOL and CLOSE_SESSION: one uint32 (1 and 0 from VDDK); replies echo it. */
export function encodeU32Payload(value: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(value >>> 0, 0);
  return p;
}

export function decodeU32Payload(payload: Uint8Array, type: typeof AIO_SET_RES_POOL | typeof AIO_CLOSE_SESSION): number {
  return fixed(payload, type).getUint32(0, true);
}

/** CLOSE_FILE, both directions: the file handle. */
export function encodeHandlePayload(handle: bigint): Buffer {
  const p = Buffer.alloc(8);
  p.writeBigUInt64LE(BigInt.asUintN(64, handle), 0);
  return p;
}

export function decodeHandlePayload(payload: Uint8Array): bigint {
  return fixed(payload, AIO_CLOSE_FILE).getBigUint64(0, true);
}

// ---- OPEN_FILE (4) ---------------------------------------------------------------------------------------

export interface OpenFileRequest {
  /** A datastore path, `[datastore1] web01/web01-000001.vmdk`. */
  path: string;
  fileType: number;
  openFlags: number;
}

/** The payload and the path bytes that follow it. */
export function encodeOpenFileRequest(r: OpenFileRequest): { payload: Buffer; extra: Buffer } {
  const extra = Buffer.from(r.path, 'utf8');
  if (extra.length === 0 || extra.length > MAX_PATH_LENGTH || extra.includes(0)) {
    throw new NfcProtocolError(`an NFC path is 1 to ${MAX_PATH_LENGTH} bytes without NUL`, false);
  }
  const payload = Buffer.alloc(60);
  payload.writeUInt32LE(extra.length, 0);
  payload.writeUInt32LE(r.fileType >>> 0, 16);
  payload.writeUInt32LE(r.openFlags >>> 0, 20);
  return { payload, extra };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeOpenFileRequest(payload: Uint8Array, extra: Uint8Array): OpenFileRequest {
  const v = fixed(payload, AIO_OPEN_FILE);
  const pathLength = v.getUint32(0, true);
  if (extra.length !== pathLength) throw new NfcProtocolError(`OPEN_FILE path is ${extra.length} bytes, not the ${pathLength} announced`, false);
  if (pathLength === 0) throw new NfcProtocolError('OPEN_FILE path is empty', false);
  if (extra.includes(0)) throw new NfcProtocolError('OPEN_FILE path contains a NUL byte', false);
  let path: string;
  try {
    path = utf8.decode(extra);
  } catch {
    throw new NfcProtocolError('OPEN_FILE path is not valid UTF-8', false);
  }
  return { path, fileType: v.getUint32(16, true), openFlags: v.getUint32(20, true) };
}

export interface OpenFileReply {
  handle: bigint;
  fileType: number;
  openFlags: number;
  capacityBytes: number;
  sectorSize: number;
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

export function encodeOpenFileReply(r: OpenFileReply): Buffer {
  const p = Buffer.alloc(60);
  p.writeBigUInt64LE(BigInt.asUintN(64, r.handle), 8);
  p.writeUInt32LE(r.fileType >>> 0, 16);
  p.writeUInt32LE(r.openFlags >>> 0, 20);
  p.writeBigUInt64LE(BigInt(r.capacityBytes), 28); // unaligned, as on the wire
  p.writeUInt32LE(r.sectorSize >>> 0, 36);
  p.writeUInt32LE(r.cylinders >>> 0, 40);
  p.writeUInt32LE(r.heads >>> 0, 44);
  p.writeUInt32LE(r.sectorsPerTrack >>> 0, 48);
  return p;
}

export function decodeOpenFileReply(payload: Uint8Array): OpenFileReply {
  const v = fixed(payload, AIO_OPEN_FILE);
  return {
    handle: v.getBigUint64(8, true),
    fileType: v.getUint32(16, true),
    openFlags: v.getUint32(20, true),
    capacityBytes: safeU64(v, 28, 'OPEN_FILE capacity'),
    sectorSize: v.getUint32(36, true),
    cylinders: v.getUint32(40, true),
    heads: v.getUint32(44, true),
    sectorsPerTrack: v.getUint32(48, true),
  };
}

// ---- DDB_GET (11) ---------------------------------------------------------------------------------------

/** Request: handle and key length, then the key (ASCII, no `ddb.` prefix, no NUL). */
export function encodeDdbGetRequest(handle: bigint, key: string): { payload: Buffer; extra: Buffer } {
  const extra = Buffer.from(key, 'latin1');
  if (extra.length === 0 || extra.length > MAX_DDB_KEY_LENGTH || !isPrintable(extra)) {
    throw new NfcProtocolError(`a DDB key is 1 to ${MAX_DDB_KEY_LENGTH} printable ASCII characters`, false);
  }
  const payload = Buffer.alloc(16);
  payload.writeBigUInt64LE(BigInt.asUintN(64, handle), 0);
  payload.writeUInt32LE(extra.length, 8);
  return { payload, extra };
}

export function decodeDdbGetRequest(payload: Uint8Array, extra: Uint8Array): { handle: bigint; key: string } {
  const v = fixed(payload, AIO_DDB_GET);
  const keyLength = v.getUint32(8, true);
  if (extra.length !== keyLength) throw new NfcProtocolError(`DDB_GET key is ${extra.length} bytes, not the ${keyLength} announced`, false);
  if (keyLength === 0 || !isPrintable(extra)) throw new NfcProtocolError('DDB_GET key is not printable ASCII', false);
  return { handle: v.getBigUint64(0, true), key: Buffer.from(extra).toString('latin1') };
}

/** Reply: 12 zero bytes and the value length (0: key not present), then the value. */
export function encodeDdbGetReply(value: string | undefined): { payload: Buffer; extra: Buffer } {
  const extra = Buffer.from(value ?? '', 'latin1');
  if (extra.length > MAX_DDB_VALUE_LENGTH || !isPrintable(extra)) {
    throw new NfcProtocolError(`a DDB value is at most ${MAX_DDB_VALUE_LENGTH} printable ASCII characters`, false);
  }
  const payload = Buffer.alloc(16);
  payload.writeUInt32LE(extra.length, 12);
  return { payload, extra };
}

/** The value, or undefined when the host has no such key. */
export function decodeDdbGetReply(payload: Uint8Array, extra: Uint8Array): string | undefined {
  const v = fixed(payload, AIO_DDB_GET);
  const valueLength = v.getUint32(12, true);
  if (extra.length !== valueLength) throw new NfcProtocolError(`DDB_GET value is ${extra.length} bytes, not the ${valueLength} announced`, false);
  if (!isPrintable(extra)) throw new NfcProtocolError('DDB_GET value is not printable ASCII', false);
  return valueLength === 0 ? undefined : Buffer.from(extra).toString('latin1');
}

// ---- IO (7) ----------------------------------------------------------------------------------------------

/**
 * The 44-byte IO payload, the same in requests, read fragments and write replies (§4.5). A read
 * request has fragmentOffset 0 and fragmentLength = extraLength = totalLength with no extra after it.
 */
export interface Io {
  /** 0 in read replies. */
  handle: bigint;
  /** IO_READ or IO_WRITE. */
  direction: number;
  compression: number;
  /** Disk byte offset of the whole request. */
  offset: number;
  totalLength: number;
  /** Where this fragment's data goes inside the request. */
  fragmentOffset: number;
  /** Uncompressed bytes of this fragment. */
  fragmentLength: number;
  /** Bytes of extra after the payload (equal to fragmentLength when uncompressed). */
  extraLength: number;
}

export const IO_PAYLOAD_LENGTH = 44;
/** Header plus IO payload: what precedes each fragment's data. */
export const IO_FRAME_PREFIX = AIO_HEADER_LENGTH + IO_PAYLOAD_LENGTH;

/** Write an IO frame's header and payload at `at` (60 bytes); the data, if any, goes after them. */
export function writeIoFrame(target: Uint8Array, at: number, opId: number, io: Io): void {
  writeAioHeader(target, at, AIO_IO, IO_PAYLOAD_LENGTH, opId);
  const v = view(target, at + AIO_HEADER_LENGTH, IO_PAYLOAD_LENGTH);
  v.setBigUint64(0, BigInt.asUintN(64, io.handle), true);
  v.setUint32(8, io.direction >>> 0, true);
  v.setUint32(12, io.compression >>> 0, true);
  writeU64(v, 16, io.offset);
  v.setUint32(24, io.totalLength >>> 0, true);
  v.setUint32(28, io.fragmentOffset >>> 0, true);
  v.setUint32(32, io.fragmentLength >>> 0, true);
  v.setUint32(36, io.extraLength >>> 0, true);
  v.setUint32(40, 0, true);
}

/**
 * The IO payload with its consistency checks (not fatal: the frame's extra length was known and
 * bounded, so the stream goes on and a host answers ERROR): direction and compression known, the
 * fragment inside the request, uncompressed data exactly its length, compressed no larger than
 * compressBound, a fragment no larger than the session buffer.
 */
export function decodeIo(payload: Uint8Array): Io {
  const v = fixed(payload, AIO_IO);
  const io: Io = {
    handle: v.getBigUint64(0, true),
    direction: v.getUint32(8, true),
    compression: v.getUint32(12, true),
    offset: safeU64(v, 16, 'IO offset'),
    totalLength: v.getUint32(24, true),
    fragmentOffset: v.getUint32(28, true),
    fragmentLength: v.getUint32(32, true),
    extraLength: v.getUint32(36, true),
  };
  const bad = (why: string) => new NfcProtocolError(`IO ${why}`, false);
  if (io.direction !== IO_READ && io.direction !== IO_WRITE) throw bad(`direction ${io.direction} is neither read nor write`);
  if (COMPRESSION_NAMES[io.compression] === undefined) throw bad(`compression type ${io.compression} is unknown`);
  if (io.fragmentOffset + io.fragmentLength > io.totalLength) {
    throw bad(`fragment ${io.fragmentOffset}+${io.fragmentLength} runs past the request's ${io.totalLength} bytes`);
  }
  if (io.offset + io.totalLength > Number.MAX_SAFE_INTEGER) throw bad('request runs past 2^53 bytes');
  return io;
}

/** The checks a data-carrying fragment (write request, read reply) must pass on top of decodeIo. */
export function checkIoFragment(io: Io, limits: AioLimits = DEFAULT_AIO_LIMITS): void {
  const bad = (why: string) => new NfcProtocolError(`IO fragment ${why}`, false);
  if (io.fragmentLength > limits.maxFragmentLength) {
    throw bad(`of ${io.fragmentLength} bytes is more than the ${limits.maxFragmentLength}-byte session buffer`);
  }
  if (io.compression === COMPRESSION_NONE ? io.extraLength !== io.fragmentLength : io.extraLength > compressBound(io.fragmentLength)) {
    throw bad(`carries ${io.extraLength} bytes for ${io.fragmentLength} uncompressed bytes (${COMPRESSION_NAMES[io.compression]})`);
  }
  if (io.fragmentLength === 0 && io.totalLength !== 0) throw bad('is empty');
}

// ---- QUERY_ALLOCATED_BLOCKS (13) --------------------------------------------------------------------------

/** Both directions (the reply echoes the request, then the bitmap). */
export interface AllocatedBlocksQuery {
  handle: bigint;
  chunkSizeBytes: number;
  startOffset: number;
  chunkCount: number;
}

export function encodeAllocatedBlocksQuery(q: AllocatedBlocksQuery): Buffer {
  const p = Buffer.alloc(48);
  p.writeBigUInt64LE(BigInt.asUintN(64, q.handle), 0);
  p.writeBigUInt64LE(BigInt(q.chunkSizeBytes), 16);
  p.writeBigUInt64LE(BigInt(q.startOffset), 24);
  p.writeBigUInt64LE(BigInt(q.chunkCount), 32);
  return p;
}

/** Checks (not fatal): chunk size a non-zero multiple of 512, start aligned to it, count bounded. */
export function decodeAllocatedBlocksQuery(payload: Uint8Array): AllocatedBlocksQuery {
  const v = fixed(payload, AIO_QUERY_ALLOCATED_BLOCKS);
  const q = {
    handle: v.getBigUint64(0, true),
    chunkSizeBytes: safeU64(v, 16, 'allocated-blocks chunk size'),
    startOffset: safeU64(v, 24, 'allocated-blocks start'),
    chunkCount: safeU64(v, 32, 'allocated-blocks chunk count'),
  };
  const bad = (why: string) => new NfcProtocolError(`allocated-blocks query ${why}`, false);
  if (q.chunkSizeBytes === 0 || q.chunkSizeBytes % SECTOR_SIZE !== 0) throw bad(`chunk size ${q.chunkSizeBytes} is not a multiple of 512`);
  if (q.startOffset % q.chunkSizeBytes !== 0) throw bad(`start ${q.startOffset} is not aligned to the ${q.chunkSizeBytes}-byte chunk`);
  if (q.chunkCount > MAX_QUERY_CHUNKS) throw bad(`for ${q.chunkCount} chunks is more than the ${MAX_QUERY_CHUNKS} allowed`);
  if (q.startOffset + q.chunkSizeBytes * q.chunkCount > Number.MAX_SAFE_INTEGER) throw bad('runs past 2^53 bytes');
  return q;
}

/** Whether chunk `i` is allocated in a reply's bitmap (LSB first in each byte). */
export function isChunkAllocated(bitmap: Uint8Array, i: number): boolean {
  return ((bitmap[i >>> 3] ?? 0) >>> (i & 7) & 1) === 1;
}

/** Set chunk `i` in a bitmap of bitmapLength(count) bytes. */
export function setChunkAllocated(bitmap: Uint8Array, i: number): void {
  bitmap[i >>> 3] = (bitmap[i >>> 3] ?? 0) | (1 << (i & 7));
}

// ---- ERROR (1) -----------------------------------------------------------------------------------------

/**
 * Our convention for the undecoded AIO ERROR payload (§4.5 [L]): +0 uint32 a VIX-style code
 * (0x0b for a write on a read-only open, as seen on ESXi), +4 uint32 0, +8 an ASCII message padded
 * with NULs to a multiple of 4, all counted in `size`; no extra. A real host's payload may be any
 * `size` bytes: decoding reads the code when there are 4 bytes and the message when there is one.
 */
export interface AioError {
  code: number;
  message: string;
}

export function encodeAioError(e: AioError): Buffer {
  const text = Buffer.from(printableAscii(e.message), 'latin1').subarray(0, MAX_ERROR_PAYLOAD - 12);
  const p = Buffer.alloc(8 + ((text.length + 4) & ~3)); // at least one NUL after the text
  p.writeUInt32LE(e.code >>> 0, 0);
  p.set(text, 8);
  return p;
}

export function decodeAioError(payload: Uint8Array): AioError {
  const v = view(payload, 0, payload.length);
  const code = payload.length >= 4 ? v.getUint32(0, true) : 0;
  const tail = payload.length > 8 ? payload.subarray(8) : payload.subarray(0, 0);
  const end = tail.indexOf(0);
  return { code, message: printableAscii(Buffer.from(end < 0 ? tail : tail.subarray(0, end)).toString('latin1')) };
}

// ---- helpers ----------------------------------------------------------------------------------------------

function view(b: Uint8Array, at: number, length: number): DataView {
  return new DataView(b.buffer, b.byteOffset + at, length);
}

function fixed(payload: Uint8Array, type: number): DataView {
  const length = AIO_PAYLOAD_LENGTH[type];
  if (payload.length !== length) throw new NfcProtocolError(`AIO ${AIO_TYPE_NAMES[type]} payload is ${payload.length} bytes, not ${length}`, true);
  return view(payload, 0, length!);
}

const TWO_32 = 2 ** 32;

/** A uint64 as a number; past 2^53 is a request-level error (no disk of ours is that large). */
function safeU64(v: DataView, at: number, what: string): number {
  const n = readU64(v, at);
  if (n > Number.MAX_SAFE_INTEGER) throw new NfcProtocolError(`${what} is past 2^53`, false);
  return n;
}

/** A uint64 as a number (rounded above 2^53; callers bound it). */
function readU64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * TWO_32 + v.getUint32(at, true);
}

function writeU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, n % TWO_32, true);
  v.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

function isPrintable(b: Uint8Array): boolean {
  for (const x of b) if (x < 0x20 || x > 0x7e) return false;
  return true;
}

function printableAscii(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\u0020-\u007e]/g, '?');
}
