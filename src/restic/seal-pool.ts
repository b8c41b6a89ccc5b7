// Hashing (SHA-256, the blob's ID) and sealing (AES-256-CTR + Poly1305-AES) are the CPU cost of
// storing a blob; a pool of worker threads does both in parallel with the main thread, which keeps
// reading and writing packs. A blob goes to a worker once (transferred, not copied, when the caller
// gives it up): the worker hashes it and answers with the ID; the main thread, which owns the
// index, then tells it to seal the blob or drop it (already stored). With no workers, both happen
// inline.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { seal, type ResticKey } from './crypto.js';
import { hashId } from './id.js';

/** Handed-back buffers kept for reuse (bounds the memory they hold: a few reads in flight). */
const MAX_SPARES = 32;

interface Waiting {
  resolve: (v: string | Buffer) => void;
  reject: (e: unknown) => void;
}

/** A blob hashed by the pool: its ID, and seal() or drop() (exactly one of them, once). */
export interface HashedBlob {
  id: string;
  seal(): Promise<Buffer>;
  drop(): void;
}

export class SealPool {
  private workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private next = 0;
  private failed: unknown;
  /** Plaintext memory the workers are done with, kept for buffer(): no allocation, page faults or GC per blob. */
  private spares: ArrayBuffer[] = [];

  /** `size` workers (default: one per CPU, at most 4); 0 hashes and seals on the calling thread. */
  constructor(private readonly key: ResticKey, private readonly size = Math.min(4, availableParallelism())) {}

  /** Threads sealing (0: inline). */
  get workerCount(): number {
    return this.size;
  }

  /** Start the worker threads now (a writer about to store blobs: their start overlaps its other work). */
  prestart(): void {
    if (this.size > 0 && this.workers.length === 0 && this.failed === undefined) this.start();
  }

  private start(): void {
    const url = new URL('./seal-worker.js', import.meta.url);
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(url, { workerData: { encrypt: this.key.encrypt, macK: this.key.macK, macR: this.key.macR } });
      w.on('message', (m: { seq: number; id?: string; sealed?: ArrayBuffer; spare?: ArrayBuffer }) => {
        if (m.spare && this.spares.length < MAX_SPARES) this.spares.push(m.spare);
        if (m.seq < 0) return;
        const p = this.waiting.get(m.seq);
        this.waiting.delete(m.seq);
        p?.resolve(m.id ?? Buffer.from(m.sealed!));
        if (this.waiting.size === 0) for (const x of this.workers) x.unref();
      });
      w.on('error', (e) => this.failAll(e));
      w.unref(); // an idle pool never keeps the process alive
      this.workers.push(w);
    }
  }

  private failAll(e: unknown): void {
    this.failed ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  private ask<T extends string | Buffer>(w: Worker, seq: number, message: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(seq, { resolve: resolve as (v: string | Buffer) => void, reject });
      // While work is queued the workers must keep the process alive; unref'd again when idle.
      w.ref();
      w.postMessage(message, transfer);
    });
  }

  /**
   * A buffer of `length` bytes, of a whole ArrayBuffer of its own, to fill and give up to hash():
   * memory a worker has handed back when one fits, else new memory (contents undefined).
   */
  buffer(length: number): Buffer {
    for (let i = this.spares.length - 1; i >= 0; i--) {
      if (this.spares[i]!.byteLength === length) {
        const ab = this.spares[i]!;
        this.spares.splice(i, 1);
        return Buffer.from(ab);
      }
    }
    return Buffer.allocUnsafeSlow(length);
  }

  /**
   * Hash `data` on a worker. With `giveUp` the caller hands `data` over (it must be a whole
   * ArrayBuffer of its own, e.g. Buffer.allocUnsafeSlow()) and must not touch it again; otherwise
   * the pool copies it and the caller may reuse `data` as soon as this returns.
   */
  hash(data: Uint8Array, giveUp = false): Promise<HashedBlob> {
    if (this.size === 0) {
      const id = hashId(data);
      const kept = giveUp ? data : Uint8Array.from(data);
      return Promise.resolve({ id, seal: () => Promise.resolve(seal(this.key, kept)), drop: () => undefined });
    }
    if (this.workers.length === 0) this.start();
    let ab: ArrayBuffer;
    if (giveUp && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) {
      ab = data.buffer;
    } else {
      ab = new ArrayBuffer(data.length);
      new Uint8Array(ab).set(data);
    }
    const seq = this.seq++;
    const w = this.workers[this.next++ % this.workers.length]!;
    return this.ask<string>(w, seq, { op: 'hash', seq, data: ab }, [ab]).then((id) => ({
      id,
      seal: () => this.ask<Buffer>(w, seq, { op: 'seal', seq }),
      drop: () => w.postMessage({ op: 'drop', seq }),
    }));
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    this.spares = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
