import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { VixError, toVixError } from '../../errors/vix-error.js';
import { VIX_E_NOT_SUPPORTED } from '../../errors/error-codes.js';
import { BufferPool, type PooledBuffer } from '../../nbd/buffer-pool.js';
import {
  AIO_CLOSE_FILE, AIO_CLOSE_SESSION, AIO_DDB_GET, AIO_ERROR, AIO_HEADER_LENGTH, AIO_IO, AIO_OPEN_FILE, AIO_OPEN_SESSION,
  AIO_QUERY_ALLOCATED_BLOCKS, AIO_SET_RES_POOL, AIO_SET_SOCK_OPTS, AIO_TYPE_NAMES, COMPRESSION_NONE, DEFAULT_SOCKET_BUFFER_SIZE,
  IO_FRAME_PREFIX, IO_READ, IO_WRITE, NFC_FILE_DELTA_DISK, NFC_FILE_DISK, OPEN_FLAG_READ_ONLY_BIT, SECTOR_SIZE,
  checkIoFragment, decodeAllocatedBlocksQuery, decodeDdbGetRequest, decodeHandlePayload, decodeIo, decodeOpenFileRequest,
  decodeOpenSession, decodeSocketOptions, decodeU32Payload, encodeAioError, encodeAioFrame, encodeDdbGetReply,
  encodeHandlePayload, encodeOpenFileReply, encodeOpenSession, encodeSocketOptions, encodeU32Payload, sessionBufferSize,
  writeAioHeader, writeIoFrame, type AioHeader, type Io,
} from '../../nfc/aio-message.js';
import { AioFrameParser } from '../../nfc/aio-frame-parser.js';
import { ClassicHandshakeHost } from '../../nfc/classic-handshake.js';
import { NFC_SESSION_COMPLETE, encodeClassicMessage, type ClassicMessage } from '../../nfc/classic-message.js';
import {
  AIO_ERROR_INVALID, AIO_ERROR_NO_MEMORY, AIO_ERROR_OUT_OF_RANGE, AIO_ERROR_READ_ONLY,
} from '../../nfc/error-mapping.js';
import { IoFragmentTracker } from '../../nfc/io-fragment-tracker.js';
import { NfcProtocolError } from '../../nfc/nfc-protocol-error.js';
import { computeGeometry } from '../../vmdk/geometry.js';
import { allocatedBlocksBitmap } from './allocated-blocks.js';
import { ClassicFrameReader } from './classic-frame-reader.js';
import { ByteBudget } from '../../block/byte-budget.js';
import { compressFragment, decompressFragment } from './fragment-compression.js';
import type { NfcFileAccess, NfcOpenedDisk } from './nfc-file-access.js';
import type { NfcTicketGrant } from './ticket-store.js';

// The NFC phase of one connection, after authd's splice (vsphere-remote.md §4.9 steps 4-6): the
// classic handshake through the codec's host state machine, then AIO requests answered as ESXi
// does. Request errors are answered with AIO ERROR and the session goes on; protocol violations
// (the codec's fatal errors) end the connection. Many requests run at once: a read's fragments
// are read, compressed and sent as budget allows, possibly out of order (§4.5); a write's
// fragments are written to the disk as they arrive, in order, and answered once when all are in.
//
// Memory: read data waits for room in the connection's budget and the endpoint's before a
// fragment is read; write data is counted when it arrives and the socket is paused while the
// connection is over its budget or has too many requests running. A length from the wire never
// sizes an allocation beyond one session buffer.

export interface NfcSessionLimits {
  /** IO data one connection holds at once (reads on their way out, writes on their way to disk). */
  maxConnectionBytes: number;
  /** Files one session may have open (VDDK opens one). */
  maxOpenFiles: number;
  /** IO and allocated-blocks requests running at once before the socket is paused. */
  maxRunningRequests: number;
  /** Writes being assembled at once (fragments still to come); past it a new write is refused. */
  maxAssemblingWrites: number;
}

export const DEFAULT_SESSION_LIMITS: NfcSessionLimits = {
  maxConnectionBytes: 16 << 20,
  maxOpenFiles: 8,
  maxRunningRequests: 64,
  maxAssemblingWrites: 64,
};

/** What the session needs of its connection. */
export interface NfcSessionTransport {
  /** Where replies go: the socket (nbd) or the second TLS session (nbdssl). */
  readonly out: Writable;
  pauseInput(): void;
  resumeInput(): void;
  /** The classic handshake is over: the connection's handshake deadline no longer applies. */
  handshakeDone(): void;
  /** End the connection: `reason` null for the client's own close, else a one-line reason to log. */
  end(reason: string | null): void;
}

export interface NfcSessionContext {
  grant: NfcTicketGrant;
  files: NfcFileAccess;
  /** The nonce the client gave authd, which its classic 43 must repeat (§3.2). */
  nonce: string | undefined;
  limits: NfcSessionLimits;
  /** The endpoint's budget for read data, shared by every connection. */
  endpointBudget: ByteBudget;
  pool: BufferPool;
  log: (line: string) => void;
}

interface OpenFile {
  handle: bigint;
  disk: NfcOpenedDisk;
  writable: boolean;
  /** IO on this file still running; CLOSE_FILE and the session's end wait for it. */
  work: Set<Promise<void>>;
}

interface AssemblingWrite {
  request: Io;
  file: OpenFile | undefined;
  tracker: IoFragmentTracker;
  /** The refusal to send once every fragment is in (one reply per opId), or null. */
  failure: { code: number; message: string } | null;
  /** Uncompressed bytes announced by the fragments seen, valid or not (when a refused write is over). */
  seen: number;
  writes: Array<Promise<void>>;
}

/** Extra bytes of the current frame go here; `done` when the last piece came. */
type ExtraSink = (bytes: Uint8Array, extraOffset: number) => void;

/** The most disk bytes one engine read fetches for a read request (a whole number of fragments, at least one). */
const READ_BATCH = 1 << 20;

export class NfcSession {
  private phase: 'classic' | 'aio' | 'over' = 'classic';
  private readonly handshake: ClassicHandshakeHost;
  private readonly classicFrames = new ClassicFrameReader();
  private readonly parser: AioFrameParser;
  private extraSink: ExtraSink | null = null;
  private bufferSize = 0;
  private readonly files = new Map<bigint, OpenFile>();
  private readonly writes = new Map<number, AssemblingWrite>();
  private readonly work = new Set<Promise<void>>();
  private readonly budget: ByteBudget;
  private running = 0;
  private paused = false;

  constructor(private readonly transport: NfcSessionTransport, private readonly ctx: NfcSessionContext) {
    this.handshake = new ClassicHandshakeHost(ctx.nonce);
    this.budget = new ByteBudget(ctx.limits.maxConnectionBytes);
    this.parser = new AioFrameParser('request', {
      frame: (header, payload, extraLength) => this.frame(header, payload, extraLength),
      classic: (message, extraLength) => this.classicInAio(message, extraLength),
      extra: (bytes, at) => this.extraSink?.(bytes, at),
    });
  }

  /** Bytes from the client. Never throws: a protocol violation ends the connection. */
  push(chunk: Buffer): void {
    if (this.phase === 'over') return;
    try {
      let pos = 0;
      while (this.phase === 'classic' && pos < chunk.length) {
        const r = this.classicFrames.push(chunk.subarray(pos));
        pos += r.used;
        if (r.message) this.classicHandshake(r.message, r.extra);
      }
      if (this.phase === 'aio' && pos < chunk.length) this.parser.push(pos === 0 ? chunk : chunk.subarray(pos));
    } catch (err) {
      this.fatal(err);
      return;
    }
    this.updateInput();
  }

  /** The connection is gone (or going): stop, let running IO settle, close every file. Idempotent. */
  async shutdown(): Promise<void> {
    this.phase = 'over';
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => this.closeFile(f)));
  }

  // ---- classic phase ---------------------------------------------------------------------------

  private classicHandshake(message: ClassicMessage, extra: Uint8Array): void {
    const reply = this.handshake.receive(message, extra);
    if (reply) this.send(encodeClassicMessage(reply));
    if (this.handshake.done) {
      this.phase = 'aio';
      this.transport.handshakeDone();
    }
  }

  /** SESSION_COMPLETE (4) in the AIO phase: the client is done (§4.2 closing). */
  private classicInAio(message: ClassicMessage, _extraLength: number): void {
    if (message.type === NFC_SESSION_COMPLETE) {
      this.phase = 'over';
      this.transport.end(null);
    }
  }

  // ---- AIO dispatch ----------------------------------------------------------------------------

  private frame(header: AioHeader, payload: Uint8Array, extraLength: number): void {
    this.extraSink = null;
    const opId = header.opId;
    if (this.phase !== 'aio') {
      this.extraSink = discard;
      return;
    }
    try {
      switch (header.type) {
        case AIO_OPEN_SESSION: return this.openSession(opId, payload);
        case AIO_SET_SOCK_OPTS: {
          const o = decodeSocketOptions(payload);
          return this.reply(header.type, opId, encodeSocketOptions({
            sendBufferSize: o.sendBufferSize || DEFAULT_SOCKET_BUFFER_SIZE,
            receiveBufferSize: o.receiveBufferSize || DEFAULT_SOCKET_BUFFER_SIZE,
            flag: 1,
          }));
        }
        case AIO_SET_RES_POOL: return this.reply(header.type, opId, encodeU32Payload(decodeU32Payload(payload, AIO_SET_RES_POOL)));
        case AIO_CLOSE_SESSION: return this.reply(header.type, opId, encodeU32Payload(decodeU32Payload(payload, AIO_CLOSE_SESSION)));
        case AIO_OPEN_FILE: {
          const request = Buffer.from(payload);
          return this.gather(extraLength, (path) => this.run(opId, this.openFile(opId, request, path)));
        }
        case AIO_CLOSE_FILE: {
          const handle = decodeHandlePayload(payload);
          return this.run(opId, this.closeFileRequest(opId, handle));
        }
        case AIO_DDB_GET: {
          const request = Buffer.from(payload);
          return this.gather(extraLength, (key) => this.ddbGet(opId, request, key));
        }
        case AIO_QUERY_ALLOCATED_BLOCKS: {
          const q = decodeAllocatedBlocksQuery(payload);
          const file = this.fileFor(q.handle);
          return this.runIo(opId, file, this.allocatedBlocks(opId, file, q));
        }
        case AIO_IO: return this.io(opId, payload, extraLength);
        default:
          // Unknown (GET_FILE_INFO, 10, was seen once and never decoded) or a client-sent ERROR (§4.4).
          this.extraSink = discard;
          return this.refuse(opId, VIX_E_NOT_SUPPORTED, `AIO message type ${header.type}${AIO_TYPE_NAMES[header.type] ? ` (${AIO_TYPE_NAMES[header.type]})` : ''} is not supported`);
      }
    } catch (err) {
      if (err instanceof NfcProtocolError && err.fatal) throw err;
      if (extraLength > 0 && this.extraSink === null) this.extraSink = discard;
      this.refuseWith(opId, err);
    }
  }

  private openSession(opId: number, payload: Uint8Array): void {
    if (this.bufferSize !== 0) throw new NfcProtocolError('the NFC session is already open', false);
    this.bufferSize = sessionBufferSize(decodeOpenSession(payload));
    this.parser.setLimits({ maxFragmentLength: this.bufferSize });
    this.reply(AIO_OPEN_SESSION, opId, encodeOpenSession({ bufferSize: 0, bufferCount: 0 }));
  }

  /** Gather a small extra (a path or a key, bounded by the codec) and hand it over whole. */
  private gather(length: number, then: (bytes: Buffer) => void): void {
    const bytes = Buffer.alloc(length);
    if (length === 0) return then(bytes);
    this.extraSink = (piece, at) => {
      bytes.set(piece, at);
      if (at + piece.length === length) {
        this.extraSink = null;
        then(bytes);
      }
    };
  }

  // ---- files -----------------------------------------------------------------------------------

  private async openFile(opId: number, payload: Buffer, pathBytes: Buffer): Promise<void> {
    const request = decodeOpenFileRequest(payload, pathBytes);
    if (this.bufferSize === 0) throw new NfcProtocolError('OPEN_FILE before OPEN_SESSION', false);
    if (request.fileType !== NFC_FILE_DISK && request.fileType !== NFC_FILE_DELTA_DISK) {
      throw new VixError(VIX_E_NOT_SUPPORTED, `NFC file type ${request.fileType} is not supported (disks only)`);
    }
    const writable = (request.openFlags & OPEN_FLAG_READ_ONLY_BIT) === 0;
    // The ticket's mode is the server's to enforce (§2.3.8): a GetVmFiles ticket never writes.
    if (writable && this.ctx.grant.readOnly) throw new VixError(AIO_ERROR_READ_ONLY, 'the ticket allows read-only access');
    if (this.files.size >= this.ctx.limits.maxOpenFiles) {
      throw new VixError(AIO_ERROR_NO_MEMORY, `no more than ${this.ctx.limits.maxOpenFiles} files may be open in one NFC session`);
    }
    const disk = await this.ctx.files.open(this.ctx.grant, request.path, writable);
    if (this.phase === 'over' || (writable && disk.device.readOnly)) {
      await disk.close().catch(() => undefined);
      if (this.phase === 'over') return;
      throw new VixError(AIO_ERROR_READ_ONLY, `${request.path} is read-only`);
    }
    let handle: bigint;
    do handle = randomBytes(8).readBigUInt64LE(0); while (handle === 0n || this.files.has(handle));
    this.files.set(handle, { handle, disk, writable, work: new Set() });
    const capacity = disk.device.capacity;
    const g = geometryOf(disk.ddb, capacity);
    this.ctx.log(`NFC: opened ${request.path} ${writable ? 'read-write' : 'read-only'} for ${this.ctx.grant.userName}`);
    this.reply(AIO_OPEN_FILE, opId, encodeOpenFileReply({
      handle, fileType: request.fileType, openFlags: request.openFlags, capacityBytes: capacity, sectorSize: SECTOR_SIZE,
      cylinders: g.cylinders, heads: g.heads, sectorsPerTrack: g.sectors,
    }));
  }

  private async closeFileRequest(opId: number, handle: bigint): Promise<void> {
    const file = this.fileFor(handle);
    this.files.delete(handle);
    await this.closeFile(file);
    this.reply(AIO_CLOSE_FILE, opId, encodeHandlePayload(handle));
  }

  /** Wait for the file's running IO, then release the disk. */
  private async closeFile(file: OpenFile): Promise<void> {
    while (file.work.size > 0) await Promise.allSettled([...file.work]);
    await file.disk.close();
  }

  private fileFor(handle: bigint): OpenFile {
    const file = this.files.get(handle);
    if (!file) throw new NfcProtocolError(`file handle 0x${handle.toString(16)} is not open`, false);
    return file;
  }

  private ddbGet(opId: number, payload: Buffer, keyBytes: Buffer): void {
    try {
      const { handle, key } = decodeDdbGetRequest(payload, keyBytes);
      const ddb = this.fileFor(handle).disk.ddb;
      const value = Object.prototype.hasOwnProperty.call(ddb, key) ? ddb[key] : undefined;
      const r = encodeDdbGetReply(value);
      this.reply(AIO_DDB_GET, opId, r.payload, r.extra);
    } catch (err) {
      this.refuseWith(opId, err);
    }
  }

  private async allocatedBlocks(opId: number, file: OpenFile, q: ReturnType<typeof decodeAllocatedBlocksQuery>): Promise<void> {
    const capacity = file.disk.device.capacity;
    // The last chunk may run past the capacity (a capacity need not be a multiple of the chunk).
    if (q.chunkCount > 0 && q.startOffset + q.chunkSizeBytes * (q.chunkCount - 1) >= capacity) {
      throw new VixError(AIO_ERROR_OUT_OF_RANGE, `allocated-blocks query past the disk's ${capacity} bytes`);
    }
    const bitmap = await allocatedBlocksBitmap(file.disk.device, q);
    const payload = Buffer.alloc(48);
    payload.writeBigUInt64LE(q.handle, 0);
    payload.writeBigUInt64LE(BigInt(q.chunkSizeBytes), 16);
    payload.writeBigUInt64LE(BigInt(q.startOffset), 24);
    payload.writeBigUInt64LE(BigInt(q.chunkCount), 32);
    this.reply(AIO_QUERY_ALLOCATED_BLOCKS, opId, payload, bitmap);
  }

  // ---- IO --------------------------------------------------------------------------------------

  private io(opId: number, payload: Uint8Array, extraLength: number): void {
    const io = decodeIo(payload);
    if (io.direction === IO_READ) {
      const file = this.fileFor(io.handle);
      this.checkRequest(file, io);
      if (io.fragmentOffset !== 0) throw new NfcProtocolError(`a read request starts at fragment 0, not ${io.fragmentOffset}`, false);
      this.runIo(opId, file, this.read(opId, file, io));
      return;
    }
    this.writeFragment(opId, io, extraLength);
  }

  /** A request's whole range: sector-aligned, inside the disk. */
  private checkRequest(file: OpenFile, io: Io): void {
    if (io.offset % SECTOR_SIZE !== 0 || io.totalLength % SECTOR_SIZE !== 0) {
      throw new NfcProtocolError(`IO at ${io.offset}+${io.totalLength} is not sector-aligned`, false);
    }
    const capacity = file.disk.device.capacity;
    if (io.offset + io.totalLength > capacity) {
      throw new VixError(AIO_ERROR_OUT_OF_RANGE, `IO at ${io.offset}+${io.totalLength} runs past the disk's ${capacity} bytes`);
    }
  }

  private async read(opId: number, file: OpenFile, io: Io): Promise<void> {
    // The disk is read a batch of whole fragments at a time (one engine call for up to 1 MiB of
    // 64 KiB fragments), and the batch's fragments are sent as views of it. No block-status call
    // first: the engine reads a hole as zeros without touching the file, and the status call cost
    // as much again per request (a client copying a disk asks for data only anyway).
    const batch = Math.max(this.bufferSize, Math.floor(READ_BATCH / this.bufferSize) * this.bufferSize);
    const sends: Array<Promise<void>> = [];
    let failed: unknown = null;
    for (let at = 0; at < io.totalLength || (at === 0 && io.totalLength === 0); at += batch) {
      const length = Math.min(batch, io.totalLength - at);
      // A promise only when the budget is spent: most batches go on at once.
      const wait = this.budget.acquire(length);
      if (wait) await wait;
      const endpointWait = this.ctx.endpointBudget.acquire(length);
      if (endpointWait) await endpointWait;
      if (failed !== null || this.phase === 'over') {
        this.releaseBudget(length);
        break;
      }
      sends.push(this.readBatch(opId, file, io, at, length).catch((err) => {
        failed ??= err;
      }));
      if (length === 0) break;
    }
    await Promise.all(sends);
    if (failed !== null) throw failed;
  }

  /**
   * Read one batch, compress and send its fragments; the buffer and the budget it holds are
   * released once the socket has taken the last of them.
   */
  private async readBatch(opId: number, file: OpenFile, io: Io, at: number, length: number): Promise<void> {
    const held = length;
    const buffer: PooledBuffer = this.ctx.pool.get(length);
    let handedOff = false;
    try {
      await file.disk.device.read(io.offset + at, buffer.data);
      const data = buffer.data;
      const parts: Array<[number, number]> = [];
      for (let f = 0; f < length || f === 0; f += this.bufferSize) {
        parts.push([f, Math.min(this.bufferSize, length - f)]);
        if (length === 0) break;
      }
      const encoded = await Promise.all(parts.map(([f, n]) => (io.compression === COMPRESSION_NONE
        ? { compression: COMPRESSION_NONE, extra: data.subarray(f, f + n) }
        : compressFragment(io.compression, data.subarray(f, f + n)))));
      if (this.phase === 'over') return;
      handedOff = true;
      let left = parts.length;
      const sent = () => {
        if (--left > 0) return;
        this.ctx.pool.release(buffer);
        this.releaseBudget(held);
      };
      parts.forEach(([f, n], i) => {
        const head = Buffer.allocUnsafe(IO_FRAME_PREFIX);
        writeIoFrame(head, 0, opId, {
          handle: 0n, direction: IO_READ, compression: encoded[i]!.compression, offset: io.offset, totalLength: io.totalLength,
          fragmentOffset: at + f, fragmentLength: n, extraLength: encoded[i]!.extra.length,
        });
        this.sendParts(head, encoded[i]!.extra, sent);
      });
    } finally {
      if (!handedOff) {
        this.ctx.pool.release(buffer);
        this.releaseBudget(held);
      }
    }
  }

  private writeFragment(opId: number, io: Io, extraLength: number): void {
    let w = this.writes.get(opId);
    if (!w) {
      if (this.writes.size >= this.ctx.limits.maxAssemblingWrites) {
        this.extraSink = discard;
        throw new VixError(AIO_ERROR_NO_MEMORY, `more than ${this.ctx.limits.maxAssemblingWrites} writes in progress`);
      }
      w = { request: io, file: undefined, tracker: new IoFragmentTracker(io, true), failure: null, seen: 0, writes: [] };
      this.writes.set(opId, w);
      try {
        if (io.fragmentOffset !== 0) throw new NfcProtocolError(`IO fragment at ${io.fragmentOffset} is out of order (expected 0)`, false);
        const file = this.fileFor(io.handle);
        if (!file.writable) throw new VixError(AIO_ERROR_READ_ONLY, 'the file is open read-only');
        this.checkRequest(file, io);
        w.file = file;
      } catch (err) {
        w.failure = failureOf(err);
      }
    }
    w.seen += io.fragmentLength;
    if (!w.failure) {
      try {
        if (io.handle !== w.request.handle) throw new NfcProtocolError('IO fragment names another file than its request', false);
        checkIoFragment(io, { maxFragmentLength: this.bufferSize });
        if (io.totalLength > 0) w.tracker.add(io);
      } catch (err) {
        w.failure = failureOf(err);
      }
    }
    if (w.failure || extraLength === 0) {
      this.extraSink = discard;
      this.writeProgress(opId, w);
      return;
    }
    this.receiveWriteData(opId, w, io, extraLength);
  }

  /** Collect one fragment's data (a view when it came in one piece), then decompress and write it. */
  private receiveWriteData(opId: number, w: AssemblingWrite, io: Io, extraLength: number): void {
    const held = Math.max(extraLength, io.fragmentLength);
    this.budget.take(held);
    let gathered: PooledBuffer | null = null;
    const complete = (extra: Uint8Array) => {
      this.extraSink = null;
      const file = w.file!;
      const write = (async () => {
        let target: PooledBuffer | null = null;
        try {
          if (io.compression !== COMPRESSION_NONE) target = this.ctx.pool.get(io.fragmentLength);
          const data = await decompressFragment(io.compression, extra, io.fragmentLength, target ? target.data : extra);
          if (this.phase === 'over') return;
          await file.disk.device.write(io.offset + io.fragmentOffset, data);
        } catch (err) {
          w.failure ??= failureOf(err);
        } finally {
          if (target) this.ctx.pool.release(target);
          if (gathered) this.ctx.pool.release(gathered);
          this.releaseBudget(held);
        }
      })();
      this.track(file, write);
      w.writes.push(write);
      this.writeProgress(opId, w);
    };
    this.extraSink = (piece, at) => {
      if (at === 0 && piece.length === extraLength) return complete(piece);
      if (!gathered) gathered = this.ctx.pool.get(extraLength);
      gathered.data.set(piece, at);
      if (at + piece.length === extraLength) complete(gathered.data);
    };
  }

  /** When every fragment of a write is in and written, answer it once. */
  private writeProgress(opId: number, w: AssemblingWrite): void {
    const allIn = w.failure ? w.seen >= w.request.totalLength : w.tracker.complete || w.request.totalLength === 0;
    if (!allIn) return;
    this.writes.delete(opId);
    // Counted as running only once all its data is in: a write still being assembled needs the
    // socket read, so it must never be what keeps the socket paused.
    this.running++;
    const finish = (async () => {
      await Promise.all(w.writes);
      this.running--;
      if (w.failure) return this.refuse(opId, w.failure.code, w.failure.message);
      const head = Buffer.allocUnsafe(IO_FRAME_PREFIX);
      const r = w.request;
      writeIoFrame(head, 0, opId, {
        handle: r.handle, direction: IO_WRITE, compression: COMPRESSION_NONE, offset: r.offset, totalLength: r.totalLength,
        fragmentOffset: 0, fragmentLength: r.totalLength, extraLength: 0,
      });
      this.send(head);
    })();
    this.track(undefined, finish);
    void finish.then(() => this.updateInput());
  }

  // ---- running requests ------------------------------------------------------------------------

  /** A request on a file: counted as running (input pauses past the limit), tracked for CLOSE_FILE. */
  private runIo(opId: number, file: OpenFile, work: Promise<void>): void {
    this.running++;
    const done = work.catch((err) => this.refuseWith(opId, err)).finally(() => {
      this.running--;
      this.updateInput();
    });
    this.track(file, done);
  }

  /** Any other asynchronous request: errors become its AIO ERROR. */
  private run(opId: number, work: Promise<void>): void {
    this.track(undefined, work.catch((err) => this.refuseWith(opId, err)));
  }

  private track(file: OpenFile | undefined, p: Promise<void>): void {
    this.work.add(p);
    file?.work.add(p);
    void p.finally(() => {
      this.work.delete(p);
      file?.work.delete(p);
    });
  }

  private releaseBudget(bytes: number): void {
    if (bytes === 0) return;
    this.budget.release(bytes);
    this.ctx.endpointBudget.release(bytes);
    this.updateInput();
  }

  /** Pause the socket while the connection holds too much or runs too many requests. */
  private updateInput(): void {
    if (this.phase === 'over') return;
    const pause = this.budget.over || this.running >= this.ctx.limits.maxRunningRequests;
    if (pause !== this.paused) {
      this.paused = pause;
      if (pause) this.transport.pauseInput();
      else this.transport.resumeInput();
    }
  }

  // ---- output ----------------------------------------------------------------------------------

  private reply(type: number, opId: number, payload: Uint8Array, extra?: Uint8Array): void {
    const head = Buffer.allocUnsafe(AIO_HEADER_LENGTH + payload.length);
    writeAioHeader(head, 0, type, payload.length, opId);
    head.set(payload, AIO_HEADER_LENGTH);
    if (extra && extra.length > 0) this.sendParts(head, extra, () => undefined);
    else this.send(head);
  }

  private refuseWith(opId: number, err: unknown): void {
    const f = failureOf(err);
    this.refuse(opId, f.code, f.message);
  }

  private refuse(opId: number, code: number, message: string): void {
    this.send(encodeAioFrame(AIO_ERROR, opId, encodeAioError({ code, message })));
  }

  private send(bytes: Uint8Array): void {
    if (this.phase === 'over' && !this.transport.out.writable) return;
    const out = this.transport.out;
    if (out.destroyed) return;
    out.write(bytes);
  }

  /** Header and data as one corked batch (one writev), the data never copied; `done` once written. */
  private sendParts(head: Uint8Array, data: Uint8Array, done: () => void): void {
    const out = this.transport.out;
    if (out.destroyed) {
      done();
      return;
    }
    out.cork();
    out.write(head);
    out.write(data, () => done());
    out.uncork();
  }

  private fatal(err: unknown): void {
    this.phase = 'over';
    const message = err instanceof Error ? err.message : String(err);
    this.transport.end(`NFC protocol error: ${message}`);
  }
}

/** The AIO ERROR a request error becomes (our convention, docs/nfc.md): a VIX code and one line. */
function failureOf(err: unknown): { code: number; message: string } {
  if (err instanceof NfcProtocolError) return { code: AIO_ERROR_INVALID, message: err.message };
  const e = toVixError(err);
  return { code: e.code, message: e.message };
}

function discard(): void {}

/** The geometry an OPEN_FILE reply carries: the descriptor's, or VMware's computation for its adapter. */
function geometryOf(ddb: Record<string, string>, capacity: number): { cylinders: number; heads: number; sectors: number } {
  const n = (k: string) => {
    const v = Number(ddb[k]);
    return Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff ? v : undefined;
  };
  const cylinders = n('geometry.cylinders');
  const heads = n('geometry.heads');
  const sectors = n('geometry.sectors');
  if (cylinders !== undefined && heads !== undefined && sectors !== undefined) return { cylinders, heads, sectors };
  return computeGeometry(capacity, ddb.adapterType === 'ide' ? 'ide' : 'lsilogic');
}
