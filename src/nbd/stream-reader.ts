import type { Duplex } from 'node:stream';

// Exact-length reads from a socket for a sequential parser: bytes are queued as they arrive, a read
// takes exactly n of them (no copy when one arrival holds them all, one copy otherwise), the socket
// is paused while enough is queued and nobody asks (back-pressure), and a message that stops
// arriving half-way fails after a stall timeout.

export class StreamClosedError extends Error {
  constructor(message = 'the connection was closed') {
    super(message);
    this.name = 'StreamClosedError';
  }
}

export class StreamStallError extends Error {
  constructor(timeoutMs: number) {
    super(`the peer stopped sending in the middle of a message (nothing for ${timeoutMs} ms)`);
    this.name = 'StreamStallError';
  }
}

interface PendingRead {
  length: number;
  /** Fill this buffer instead of returning a new one, as bytes arrive (never queued twice over). */
  target?: Uint8Array;
  /** Bytes of `target` filled so far. */
  filled?: number;
  /** Discard instead of returning (draining a payload). */
  discard?: boolean;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

export interface StreamReaderOptions {
  /** Pause the stream when this much is queued and no read needs more (default 4 MiB). */
  highWaterMark?: number;
  /** A read that has started receiving (or is part of a started message) fails after this long without progress; 0 = never. */
  stallTimeoutMs?: number;
  /** false: do not listen for 'data'; the owner calls push() (a socket read with its own buffer). */
  attach?: boolean;
}

const EMPTY = Buffer.alloc(0);

export class StreamReader {
  private chunks: Buffer[] = [];
  private queued = 0;
  private pending: PendingRead | null = null;
  private failure: Error | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private detached = false;
  private readonly highWaterMark: number;
  readonly stallTimeoutMs: number;

  private readonly onData = (chunk: Buffer) => this.push(chunk);
  private readonly onEnd = () => this.fail(new StreamClosedError());
  private readonly onClose = () => this.fail(new StreamClosedError());
  private readonly onError = (err: Error) => this.fail(new StreamClosedError(`connection error: ${err.message}`));

  constructor(private readonly stream: Duplex, options: StreamReaderOptions = {}) {
    this.highWaterMark = options.highWaterMark ?? 4 << 20;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 0;
    if (options.attach ?? true) stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onClose);
    stream.on('error', this.onError);
  }

  /** Bytes received and not yet read. */
  get bufferedLength(): number {
    return this.queued;
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  /**
   * Exactly `length` bytes. `midMessage`: the caller is inside a message (a payload after its
   * header), so the stall clock runs from now rather than from the first byte.
   */
  read(length: number, midMessage = false): Promise<Buffer> {
    if (length === 0) return Promise.resolve(EMPTY);
    if (this.queued >= length && !this.pending) return Promise.resolve(this.take(length));
    return this.wait({ length }, midMessage);
  }

  /** Fill `target` exactly. */
  readInto(target: Uint8Array, midMessage = true): Promise<Buffer> {
    if (target.length === 0) return Promise.resolve(EMPTY);
    if (this.queued >= target.length && !this.pending) {
      this.copyOut(target);
      return Promise.resolve(EMPTY);
    }
    return this.wait({ length: target.length, target, filled: 0 }, midMessage);
  }

  /** Read and throw away `length` bytes without holding them (draining a refused payload). */
  skip(length: number, midMessage = true): Promise<Buffer> {
    if (length === 0) return Promise.resolve(EMPTY);
    return this.wait({ length, discard: true }, midMessage);
  }

  /** Synchronous read when the bytes are already here (the hot path of a pipelining peer). */
  tryRead(length: number): Buffer | null {
    if (this.pending || this.queued < length) return null;
    return this.take(length);
  }

  /** Stop listening; returns how many received bytes were never read (STARTTLS: must be 0). */
  detach(): number {
    this.detached = true;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onClose);
    this.stream.off('error', this.onError);
    this.stream.pause();
    this.clearStall();
    const left = this.queued;
    this.chunks = [];
    this.queued = 0;
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      p.reject(new StreamClosedError('the reader was detached'));
    }
    return left;
  }

  /** Fail the pending read and every later one (connection teardown). */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.clearStall();
    this.chunks = [];
    this.queued = 0;
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      p.reject(err);
    }
  }

  private wait(p: Omit<PendingRead, 'resolve' | 'reject'>, midMessage: boolean): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('StreamReader: only one read at a time'));
    return new Promise<Buffer>((resolve, reject) => {
      this.pending = { ...p, resolve, reject };
      if (midMessage || this.queued > 0) this.armStall();
      this.serve();
      this.updateFlow();
    });
  }

  /** Bytes that arrived (called by the 'data' listener, or by the owner when attach is false). */
  push(chunk: Buffer): void {
    if (this.failure || this.detached || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.pending) {
      this.armStall(true);
      this.serve();
    }
    this.updateFlow();
  }

  private serve(): void {
    const p = this.pending;
    if (!p) return;
    if (p.discard) {
      while (p.length > 0 && this.queued > 0) {
        const head = this.chunks[0]!;
        const n = Math.min(head.length, p.length);
        this.drop(n);
        p.length -= n;
      }
      if (p.length > 0) return;
      this.finish(p, EMPTY);
      return;
    }
    if (p.target) {
      const n = Math.min(this.queued, p.length - p.filled!);
      this.copyOut(p.target.subarray(p.filled!, p.filled! + n));
      p.filled! += n;
      if (p.filled === p.length) this.finish(p, EMPTY);
      return;
    }
    if (this.queued < p.length) return;
    this.finish(p, this.take(p.length));
  }

  private finish(p: PendingRead, b: Buffer): void {
    this.pending = null;
    this.clearStall();
    p.resolve(b);
  }

  private take(length: number): Buffer {
    const head = this.chunks[0]!;
    if (head.length >= length) {
      const out = head.subarray(0, length);
      this.drop(length);
      this.updateFlow();
      return out;
    }
    const out = Buffer.allocUnsafe(length);
    this.copyOut(out);
    return out;
  }

  private copyOut(target: Uint8Array): void {
    let at = 0;
    while (at < target.length) {
      const head = this.chunks[0]!;
      const n = Math.min(head.length, target.length - at);
      target.set(n === head.length ? head : head.subarray(0, n), at);
      this.drop(n);
      at += n;
    }
    this.updateFlow();
  }

  private drop(n: number): void {
    const head = this.chunks[0]!;
    if (n === head.length) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.queued -= n;
  }

  private updateFlow(): void {
    if (this.detached || this.failure) return;
    const need = this.pending ? (this.pending.discard || this.pending.target ? 1 : this.pending.length) : 0;
    const shouldPause = this.queued >= this.highWaterMark && this.queued >= need;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.stream.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.stream.resume();
    }
  }

  private armStall(restart = false): void {
    if (this.stallTimeoutMs <= 0) return;
    if (this.stallTimer && !restart) return;
    if (this.stallTimer) {
      this.stallTimer.refresh();
      return;
    }
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      this.fail(new StreamStallError(this.stallTimeoutMs));
    }, this.stallTimeoutMs);
    this.stallTimer.unref?.();
  }

  private clearStall(): void {
    if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }
}
