import { deflateSync } from 'node:zlib';
import { checkRange, mergeExtents, type BlockDevice, type BlockStatusExtent } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import {
  VIX_E_FILE_READ_ONLY, VIX_E_HOST_NETBLKDEV_HANDSHAKE, VIX_E_HOST_NETWORK_CONN_REFUSED, VIX_E_HOST_SERVER_NOT_FOUND,
  VIX_E_HOST_TCP_CONN_LOST, VIX_E_HOST_TCP_SOCKET_ERROR, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED,
} from '../errors/error-codes.js';
import type { Geometry } from '../vmdk/geometry.js';
import {
  AIO_CLOSE_FILE, AIO_CLOSE_SESSION, AIO_DDB_GET, AIO_OPEN_FILE, AIO_OPEN_SESSION, AIO_QUERY_ALLOCATED_BLOCKS, AIO_SET_RES_POOL,
  AIO_SET_SOCK_OPTS, COMPRESSION_FASTLZ, COMPRESSION_NONE, COMPRESSION_SKIPZ, COMPRESSION_ZLIB, DEFAULT_BUFFER_COUNT, DEFAULT_BUFFER_SIZE,
  MAX_BUFFER_SIZE, MAX_QUERY_CHUNKS, NFC_FILE_DISK, OPEN_FLAGS_READ_ONLY, OPEN_FLAGS_READ_WRITE, SECTOR_SIZE, VDDK_RESOURCE_POOL,
  decodeAllocatedBlocksQuery, decodeDdbGetReply, decodeOpenFileReply, encodeAllocatedBlocksQuery, encodeDdbGetRequest,
  encodeHandlePayload, encodeOpenFileRequest, encodeOpenSession, encodeSocketOptions, encodeU32Payload, isChunkAllocated,
} from './aio-message.js';
import { authdDialogue, connectNfcSocket, type NfcTicket } from './authd-client.js';
import { ByteBudget } from '../block/byte-budget.js';
import { NfcProtocolError } from './nfc-protocol-error.js';
import type { NfcSocket } from './nfc-socket.js';
import { NfcSession, type FragmentCompressor, type NfcSessionTimeouts } from './nfc-session.js';
import { ReadScatter, type ReadSegment } from './read-scatter.js';
import { encodeFastlz } from './fastlz.js';
import { encodeSkipz } from './skipz.js';

export type { NfcTicket } from './authd-client.js';

// A disk on a vSphere host read and written over NFC, as VDDK's nbd and nbdssl transports do
// (vsphere-remote.md §4.12): one ticket, one connection, one open file. It is a BlockDevice, so
// convert, serve and the remote VixDiskLib use it as they use a local VMDK or an NBD export.
//
// Each read or write becomes IO requests of at most the session's buffer budget (BufSizeIn64KB ×
// 64 KiB × BufCount), many in flight at once on the one connection; requests past the budget wait
// in order. Block status comes from the allocated-blocks query (AIO 13). NFC has no zero and no
// flush: zero() writes zeros (a few bytes each with SkipZ), flush() waits for the writes the host
// has not acknowledged yet — an acknowledged NFC write is on the host's disk.

export interface NfcDiskOptions {
  ticket: NfcTicket;
  /** A datastore path, `[datastore1] web/web.vmdk`. */
  path: string;
  writable: boolean;
  /** nbdssl (true) or nbd (false). */
  ssl: boolean;
  compression?: 'none' | 'zlib' | 'skipz' | 'fastlz';
  /** vixDiskLib.nfcAio.Session.BufSizeIn64KB (1 to 32; default 1). */
  bufSizeIn64KB?: number;
  /** vixDiskLib.nfcAio.Session.BufCount (default 4). */
  bufCount?: number;
  /** vixDiskLib.nfc.AcceptTimeoutMs / RequestTimeoutMs / ReadTimeoutMs / WriteTimeoutMs; 0 = none. */
  timeouts?: { acceptMs?: number; requestMs?: number; readMs?: number; writeMs?: number };
  log?: (level: 'info' | 'warn', line: string) => void;
}

/** Defaults where VDDK's own vary or are undocumented (§7 of the sibling reference). */
export const NFC_DEFAULT_TIMEOUTS = { acceptMs: 60_000, requestMs: 120_000, readMs: 45_000, writeMs: 45_000 } as const;

/** Chunks of the allocated-blocks query: 64 KiB, VDDK's smallest (128 sectors), when the capacity allows. */
const QUERY_CHUNK_SIZE = 65536;
const ZEROS = new Uint8Array(1 << 20);
/** Reads merged into one request span at most this (or one session buffer, when that is larger). */
const MERGED_READ_SPAN = 1 << 20;

/** Requests a copy with fewer reads outstanding is brought up to by cutting its reads (pipelinedRead). */
const PIPELINE_DEPTH = 2;
/** Pieces of a cut read are whole grains of 64 KiB (the host reads and sends grains whole). */
const PIPELINE_MIN_PIECE = 65536;

/** A read handed over in this turn and not yet sent. */
interface QueuedRead {
  offset: number;
  target: Uint8Array;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const COMPRESSION_TYPES: Record<string, number> = { none: COMPRESSION_NONE, zlib: COMPRESSION_ZLIB, skipz: COMPRESSION_SKIPZ, fastlz: COMPRESSION_FASTLZ };

export class NfcDisk implements BlockDevice {
  readonly canZero = false;
  /** Sectors are 512 bytes; requests are widened to them (reads) or read-modify-written (writes). */
  readonly sectorSize: number;
  private readonly budget: ByteBudget;
  private readonly writesInFlight = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;
  /** Read-modify-write of partial sectors, one at a time. */
  private edgeLock: Promise<void> = Promise.resolve();
  /** Reads of this turn, sent together at its end (see sendQueuedReads). */
  private queuedReads: QueuedRead[] = [];
  /** Uncompressed read requests sent or waiting for budget (pipelinedRead cuts reads while few). */
  private readRequests = 0;

  private constructor(
    private readonly session: NfcSession,
    private readonly handle: bigint,
    readonly capacity: number,
    readonly readOnly: boolean,
    readonly geometry: Geometry,
    readonly bufferSize: number,
    bufferCount: number,
    private readonly compression: number,
    private readonly compress: FragmentCompressor | undefined,
    private readonly log: NfcDiskOptions['log'],
    readonly path: string,
  ) {
    this.sectorSize = SECTOR_SIZE;
    this.budget = new ByteBudget(bufferSize * bufferCount);
    session.onFail((err) => this.budget.fail(err));
  }

  /** authd, TLS by thumbprint, the classic handshake, OPEN_SESSION … OPEN_FILE (§4.12 steps 3–5). */
  static async open(o: NfcDiskOptions): Promise<NfcDisk> {
    const t = o.ticket;
    const where = `NFC host ${t.host}:${t.port}`;
    const bufSizeIn64KB = o.bufSizeIn64KB ?? DEFAULT_BUFFER_SIZE / 65536;
    const bufferCount = o.bufCount ?? DEFAULT_BUFFER_COUNT;
    if (!Number.isInteger(bufSizeIn64KB) || bufSizeIn64KB < 1 || bufSizeIn64KB * 65536 > MAX_BUFFER_SIZE) {
      throw new VixError(VIX_E_INVALID_ARG, `vixDiskLib.nfcAio.Session.BufSizeIn64KB must be 1 to ${MAX_BUFFER_SIZE / 65536}, not ${bufSizeIn64KB}`);
    }
    if (!Number.isInteger(bufferCount) || bufferCount < 1 || bufferCount > 64) {
      throw new VixError(VIX_E_INVALID_ARG, `vixDiskLib.nfcAio.Session.BufCount must be 1 to 64, not ${bufferCount}`);
    }
    const compressionName = o.compression ?? 'none';
    const compression = COMPRESSION_TYPES[compressionName];
    if (compression === undefined) {
      throw new VixError(VIX_E_NOT_SUPPORTED, `NFC compression ${compressionName} is not one of none, zlib, skipz and fastlz`);
    }
    const bufferSize = bufSizeIn64KB * 65536;
    const timeouts = { ...NFC_DEFAULT_TIMEOUTS, ...definedOnly(o.timeouts ?? {}) };
    const sessionTimeouts: NfcSessionTimeouts = { requestMs: timeouts.requestMs, readMs: timeouts.readMs, writeMs: timeouts.writeMs };

    let socket: NfcSocket | null = null;
    let session: NfcSession | null = null;
    let timer: NodeJS.Timeout | undefined;
    const attempt = async (): Promise<NfcDisk> => {
      try {
        socket = await connectNfcSocket(t);
      } catch (err) {
        throw connectError(err, where);
      }
      const channel = await authdDialogue(socket, { ticket: t, ssl: o.ssl, where });
      session = new NfcSession(channel, where, sessionTimeouts);
      await session.handshake();
      await session.call(AIO_OPEN_SESSION, encodeOpenSession({ bufferSize, bufferCount }));
      session.setBufferSize(bufferSize);
      await session.call(AIO_SET_SOCK_OPTS, encodeSocketOptions({ sendBufferSize: 0, receiveBufferSize: 0, flag: 0 }));
      await session.call(AIO_SET_RES_POOL, encodeU32Payload(VDDK_RESOURCE_POOL));
      let request;
      try {
        request = encodeOpenFileRequest({ path: o.path, fileType: NFC_FILE_DISK, openFlags: o.writable ? OPEN_FLAGS_READ_WRITE : OPEN_FLAGS_READ_ONLY });
      } catch (err) {
        throw new VixError(VIX_E_INVALID_ARG, `${where}: ${(err as Error).message}`);
      }
      const reply = decodeOpenFileReply((await session.call(AIO_OPEN_FILE, request.payload, request.extra)).payload);
      if (reply.sectorSize !== SECTOR_SIZE || reply.capacityBytes % SECTOR_SIZE !== 0) {
        throw new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, `${where} opened ${o.path} with ${reply.sectorSize}-byte sectors and ${reply.capacityBytes} bytes; 512-byte sectors expected`);
      }
      const compress: FragmentCompressor | undefined = compression === COMPRESSION_ZLIB ? (b) => deflateSync(b, { level: 1 })
        : compression === COMPRESSION_SKIPZ ? (b) => encodeSkipz(b)
          : compression === COMPRESSION_FASTLZ ? (b) => encodeFastlz(b) : undefined;
      const geometry = { cylinders: reply.cylinders, heads: reply.heads, sectors: reply.sectorsPerTrack };
      return new NfcDisk(session, reply.handle, reply.capacityBytes, !o.writable, geometry, bufferSize, bufferCount,
        compression, compress, o.log, o.path);
    };
    try {
      const disk = await (timeouts.acceptMs > 0
        ? Promise.race([attempt(), new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new VixError(VIX_E_HOST_TCP_CONN_LOST, `${where}: no NFC session within ${timeouts.acceptMs} ms`)), timeouts.acceptMs);
        })])
        : attempt());
      o.log?.('info', `NFC: opened ${o.path} on ${t.host}:${t.port} over ${o.ssl ? 'nbdssl' : 'nbd'}` +
        ` (${disk.capacity} bytes, ${disk.readOnly ? 'read-only' : 'read-write'}, buffers ${bufferCount} x ${bufferSize / 1024} KiB, compression ${compressionName})`);
      return disk;
    } catch (err) {
      const e = err instanceof VixError ? err : err instanceof NfcProtocolError
        ? new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, `${where}: ${err.message}`)
        : new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `${where}: ${err instanceof Error ? err.message : String(err)}`);
      (session as NfcSession | null)?.fail(e);
      (socket as NfcSocket | null)?.destroy();
      o.log?.('warn', `NFC: could not open ${o.path}: ${e.message}`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- data ----------------------------------------------------------------------------------------------

  async read(offset: number, buffer: Uint8Array): Promise<void> {
    checkRange(this.capacity, offset, buffer.length);
    if (buffer.length === 0) return;
    const { head, body, tail } = splitSectors(offset, buffer.length);
    const parts: Array<Promise<void>> = [];
    if (body.length > 0) parts.push(this.readSectors(body.offset, buffer.subarray(body.offset - offset, body.offset - offset + body.length)));
    for (const edge of [head, tail]) {
      if (edge.length === 0) continue;
      parts.push((async () => {
        const sector = new Uint8Array(SECTOR_SIZE);
        const start = edge.offset - (edge.offset % SECTOR_SIZE);
        await this.readSectors(start, sector);
        buffer.set(sector.subarray(edge.offset - start, edge.offset - start + edge.length), edge.offset - offset);
      })());
    }
    await settleAll(parts);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path} was opened read-only over NFC`);
    checkRange(this.capacity, offset, data.length);
    if (data.length === 0) return;
    const { head, body, tail } = splitSectors(offset, data.length);
    const parts: Array<Promise<void>> = [];
    if (body.length > 0) parts.push(this.writeSectors(body.offset, data.subarray(body.offset - offset, body.offset - offset + body.length)));
    for (const edge of [head, tail]) {
      if (edge.length > 0) parts.push(this.patchSector(edge.offset, data.subarray(edge.offset - offset, edge.offset - offset + edge.length)));
    }
    await settleAll(parts);
  }

  /** NFC has no zero request: zeros are written (with SkipZ, 8 bytes a fragment on the wire). */
  async zero(offset: number, length: number): Promise<void> {
    if (this.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${this.path} was opened read-only over NFC`);
    checkRange(this.capacity, offset, length);
    // In windows of 64 writes of 1 MiB: a zero of a whole large disk holds a bounded number of promises.
    const end = offset + length;
    for (let window = offset; window < end; window += 64 * ZEROS.length) {
      const parts: Array<Promise<void>> = [];
      for (let at = window; at < Math.min(end, window + 64 * ZEROS.length); at += ZEROS.length) {
        parts.push(this.write(at, ZEROS.subarray(0, Math.min(ZEROS.length, end - at))));
      }
      await settleAll(parts);
    }
  }

  /** Waits for every write the host has not acknowledged; an acknowledged write is on its disk. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writesInFlight]);
    this.session.throwIfFailed();
  }

  /**
   * From the allocated-blocks query (AIO 13): chunks the host reports allocated are data, the rest
   * holes that read as zeros (NBD's base:allocation), clipped to what was asked.
   */
  async blockStatus(offset: number, length: number): Promise<BlockStatusExtent[]> {
    checkRange(this.capacity, offset, length);
    if (length === 0) return [];
    let chunk = QUERY_CHUNK_SIZE;
    while (this.capacity % chunk !== 0) chunk /= 2; // the last chunk must end at the capacity
    const end = offset + length;
    const first = Math.floor(offset / chunk) * chunk;
    const last = Math.ceil(end / chunk) * chunk;
    const out: BlockStatusExtent[] = [];
    // One query at a time, each at most 2^24 chunks (a 2 MiB bitmap): memory stays bounded.
    for (let at = first; at < last;) {
      const chunkCount = Math.min(MAX_QUERY_CHUNKS, (last - at) / chunk);
      const query = { handle: this.handle, chunkSizeBytes: chunk, startOffset: at, chunkCount };
      const reply = await this.session.call(AIO_QUERY_ALLOCATED_BLOCKS, encodeAllocatedBlocksQuery(query), undefined, (payload) => {
        const echo = decodeAllocatedBlocksQuery(payload);
        if (echo.chunkSizeBytes !== chunk || echo.startOffset !== at || echo.chunkCount !== chunkCount) {
          throw new NfcProtocolError(`the host answered an allocated-blocks query for ${chunkCount} chunks at ${at} with one for ${echo.chunkCount} at ${echo.startOffset}`, true);
        }
      });
      // Runs of equal bits become one extent each; whole bytes of 0x00 or 0xff are stepped over
      // (a 1 TiB disk is 2^24 chunks: one object per chunk would take seconds and gigabytes).
      const bitmap = reply.extra;
      let runStart = 0;
      let runAllocated = isChunkAllocated(bitmap, 0);
      const emit = (from: number, to: number, allocated: boolean) => {
        const s = Math.max(offset, at + from * chunk);
        const e = Math.min(end, at + to * chunk);
        if (e > s) out.push({ offset: s, length: e - s, allocated, zero: !allocated });
      };
      for (let i = 1; i < chunkCount;) {
        if ((i & 7) === 0 && i + 8 <= chunkCount && bitmap[i >>> 3] === (runAllocated ? 0xff : 0)) {
          i += 8;
          continue;
        }
        const allocated = isChunkAllocated(bitmap, i);
        if (allocated !== runAllocated) {
          emit(runStart, i, runAllocated);
          runStart = i;
          runAllocated = allocated;
        }
        i++;
      }
      emit(runStart, chunkCount, runAllocated);
      at += chunkCount * chunk;
    }
    return mergeExtents(out);
  }

  /** A DDB entry of the disk's descriptor (`adapterType`, `geometry.biosCylinders`, …; no `ddb.`), or undefined. */
  async ddb(key: string): Promise<string | undefined> {
    let request;
    try {
      request = encodeDdbGetRequest(this.handle, key);
    } catch (err) {
      throw new VixError(VIX_E_INVALID_ARG, `DDB key ${JSON.stringify(key.slice(0, 64))}: ${(err as Error).message}`);
    }
    const reply = await this.session.call(AIO_DDB_GET, request.payload, request.extra);
    try {
      return decodeDdbGetReply(reply.payload, reply.extra);
    } catch (err) {
      const e = new VixError(VIX_E_HOST_NETBLKDEV_HANDSHAKE, `${this.session.where}: ${(err as Error).message}`);
      this.session.fail(e);
      throw e;
    }
  }

  /** CLOSE_FILE, CLOSE_SESSION, the classic close, the socket's end (§4.2); idempotent. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (this.queuedReads.length > 0) this.sendQueuedReads();
    await this.session.idle();
    if (!this.session.dead) {
      try {
        await this.session.call(AIO_CLOSE_FILE, encodeHandlePayload(this.handle));
        await this.session.call(AIO_CLOSE_SESSION, encodeU32Payload(0));
      } catch (err) {
        this.log?.('warn', `NFC: closing ${this.path}: ${(err as Error).message}`);
      }
    }
    await this.session.end();
  }

  // ---- requests --------------------------------------------------------------------------------------------

  /** Sector-aligned read as IO requests within the budget, all in flight together. */
  private readSectors(offset: number, target: Uint8Array): Promise<void> {
    const parts: Array<Promise<void>> = [];
    const step = this.budget.limit;
    for (let at = 0; at < target.length; at += step) {
      parts.push(this.queueRead(offset + at, target.subarray(at, Math.min(target.length, at + step))));
    }
    return settleAll(parts);
  }

  /**
   * A read goes out at the end of the turn with the others handed over in it, so that reads a
   * small gap apart can share one request (sendQueuedReads). Compressed reads go alone: their
   * fragments are decoded into one buffer.
   */
  private queueRead(offset: number, target: Uint8Array): Promise<void> {
    if (this.compression !== COMPRESSION_NONE) {
      return this.withBudget(target.length, () => this.session.read(this.handle, offset, target.length, new ReadScatter(target), this.compression));
    }
    return new Promise<void>((resolve, reject) => {
      if (this.queuedReads.push({ offset, target, resolve, reject }) === 1) process.nextTick(() => this.sendQueuedReads());
    });
  }

  /**
   * The turn's reads as IO requests. Reads in offset order that do not overlap, lie at most one
   * session buffer apart and span at most max(1 MiB, one buffer) within the budget become one
   * request: the host sends the gap's bytes too (NFC has no holes on the wire), which costs less
   * than a request of its own — a round of parsing, a disk read and a reply on both ends, the
   * whole cost when a copy keeps one request in flight and its block map leaves pieces of a grain
   * or two between holes. The bytes go straight into each caller's buffer; the gap's are dropped.
   */
  private sendQueuedReads(): void {
    const reads = this.queuedReads;
    if (reads.length === 0) return;
    this.queuedReads = [];
    reads.sort((a, b) => a.offset - b.offset);
    const maxSpan = Math.min(this.budget.limit, Math.max(this.bufferSize, MERGED_READ_SPAN));
    const requests: Array<{ offset: number; length: number; target: ReadScatter; group: QueuedRead[] }> = [];
    for (let i = 0; i < reads.length;) {
      const first = reads[i]!;
      let end = first.offset + first.target.length;
      let j = i + 1;
      for (; j < reads.length; j++) {
        const r = reads[j]!;
        if (r.offset < end || r.offset - end > this.bufferSize || r.offset + r.target.length - first.offset > maxSpan) break;
        end = r.offset + r.target.length;
      }
      const group = reads.slice(i, j);
      i = j;
      let target: ReadScatter;
      if (group.length === 1) {
        target = new ReadScatter(first.target);
      } else {
        const segments: ReadSegment[] = [];
        let pos = first.offset;
        for (const r of group) {
          if (r.offset > pos) segments.push({ at: pos - first.offset, length: r.offset - pos, bytes: null });
          segments.push({ at: r.offset - first.offset, length: r.target.length, bytes: r.target });
          pos = r.offset + r.target.length;
        }
        target = new ReadScatter(segments);
      }
      requests.push({ offset: first.offset, length: end - first.offset, target, group });
    }
    // Each request's share of the pipeline's free places (see pipelinedRead).
    const share = Math.floor((PIPELINE_DEPTH - this.readRequests) / requests.length);
    for (const { offset, length, target, group } of requests) {
      settleAll(this.pipelinedRead(offset, length, target, share)).then(
        () => { for (const r of group) r.resolve(); },
        (err) => { for (const r of group) r.reject(err); },
      );
    }
  }

  /**
   * One read as IO requests. While fewer than PIPELINE_DEPTH requests are in flight (a copy that
   * keeps one read outstanding), the read is cut into `share` pieces of whole grains sent together
   * (its share of the free places, when several reads go out in this turn), as
   * VDDK's AIO path keeps several buffers busy: the host reads the next piece from its disk while
   * the previous one is on the wire, and the first bytes arrive after a piece's disk read rather
   * than the whole read's. With enough reads in flight a read stays one request (fewer requests).
   */
  private pipelinedRead(offset: number, length: number, target: ReadScatter, share: number): Array<Promise<void>> {
    const pieces = Math.min(share, Math.floor(length / PIPELINE_MIN_PIECE));
    if (pieces < 2) return [this.readRequest(offset, length, target)];
    const step = Math.ceil(length / pieces / PIPELINE_MIN_PIECE) * PIPELINE_MIN_PIECE;
    const parts: Array<Promise<void>> = [];
    for (let at = 0; at < length; at += step) {
      const n = Math.min(step, length - at);
      const piece = target.slice(at, n);
      parts.push(this.readRequest(offset + at, n, piece));
    }
    return parts;
  }

  /** One uncompressed IO read request, counted from now until it settles (queued for budget too). */
  private readRequest(offset: number, length: number, target: ReadScatter): Promise<void> {
    this.readRequests++;
    const done = () => { this.readRequests--; };
    const p = this.withBudget(length, () => this.session.read(this.handle, offset, length, target, COMPRESSION_NONE));
    p.then(done, done);
    return p;
  }

  private writeSectors(offset: number, data: Uint8Array): Promise<void> {
    const parts: Array<Promise<void>> = [];
    const step = this.budget.limit;
    for (let at = 0; at < data.length; at += step) {
      const piece = data.subarray(at, Math.min(data.length, at + step));
      const p = this.withBudget(piece.length, () => this.session.write(this.handle, offset + at, piece, this.compression, this.compress));
      this.writesInFlight.add(p);
      const forget = () => { this.writesInFlight.delete(p); };
      p.then(forget, forget);
      parts.push(p);
    }
    return settleAll(parts);
  }

  /** Part of one sector: read it, patch it, write it back, one edge at a time. */
  private patchSector(offset: number, data: Uint8Array): Promise<void> {
    const run = async () => {
      const start = offset - (offset % SECTOR_SIZE);
      const sector = new Uint8Array(SECTOR_SIZE);
      await this.readSectors(start, sector);
      sector.set(data, offset - start);
      await this.writeSectors(start, sector);
    };
    const next = this.edgeLock.then(run, run);
    this.edgeLock = next.catch(() => undefined);
    return next;
  }

  private async withBudget(bytes: number, send: () => Promise<void>): Promise<void> {
    await this.budget.acquire(bytes);
    try {
      await send();
    } finally {
      this.budget.release(bytes);
    }
  }
}

/** [offset, offset + length) as a partial first sector, whole sectors, a partial last sector. */
function splitSectors(offset: number, length: number): Record<'head' | 'body' | 'tail', { offset: number; length: number }> {
  const end = offset + length;
  const bodyStart = Math.ceil(offset / SECTOR_SIZE) * SECTOR_SIZE;
  const bodyEnd = Math.floor(end / SECTOR_SIZE) * SECTOR_SIZE;
  if (bodyStart > bodyEnd) return { head: { offset, length }, body: { offset, length: 0 }, tail: { offset: end, length: 0 } };
  return {
    head: { offset, length: bodyStart - offset },
    body: { offset: bodyStart, length: bodyEnd - bodyStart },
    tail: { offset: bodyEnd, length: end - bodyEnd },
  };
}

/** Wait for all (none is left writing into a caller's buffer), then throw the first error. */
async function settleAll(parts: Array<Promise<void>>): Promise<void> {
  if (parts.length === 1) return parts[0];
  const results = await Promise.allSettled(parts);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function connectError(err: unknown, where: string): VixError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return new VixError(VIX_E_HOST_NETWORK_CONN_REFUSED, `${where}: connection refused`);
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return new VixError(VIX_E_HOST_SERVER_NOT_FOUND, `${where}: no such host`);
  return new VixError(VIX_E_HOST_TCP_SOCKET_ERROR, `${where}: ${e?.code ?? e?.message ?? String(err)}`);
}
