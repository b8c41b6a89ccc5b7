// Opening a data blob (Poly1305-AES check, AES-256-CTR, SHA-256 of the plaintext against its ID) is
// the CPU cost of a restore or a verify; a pool of worker threads does it in parallel with the main
// thread, which keeps writing the destination. Each worker reads the sealed bytes itself (from the
// pack file, or from bytes the caller loaded when the backend is not a local folder) and deciphers
// into the caller's buffer, which is shared memory: the plaintext is written once, where it is
// used. With no workers, or into ordinary memory, the Repository opens blobs inline.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL, VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import type { ResticKey } from './crypto.js';

/** One blob to open, as posted to a worker. */
export interface OpenTask {
  seq: number;
  /** The pack file to read the sealed blob from (`length` bytes at `offset`)... */
  path?: string;
  /** ...or the sealed bytes themselves. */
  bytes?: ArrayBuffer;
  offset: number;
  length: number;
  /** Where the plaintext goes: `destLength` bytes at `destOffset` of shared memory. */
  dest: SharedArrayBuffer;
  destOffset: number;
  destLength: number;
  /** The blob's ID: the plaintext's SHA-256. */
  id: string;
  /** The blob, for messages ("data blob 1a2b3c4d in pack 5e6f7a8b"), and its file. */
  what: string;
  fileWhat: string;
}

export interface OpenReply {
  seq: number;
  error?: { code: number; message: string };
}

export interface OpenRequest {
  path?: string;
  bytes?: Uint8Array;
  offset: number;
  length: number;
  /** A view of a SharedArrayBuffer, exactly the plaintext's length. */
  dest: Uint8Array;
  id: string;
  what: string;
  fileWhat: string;
}

/** The first message a worker gets: the key it opens blobs with. */
export interface OpenKeyMessage {
  key: { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
}

const WORKER_URL = new URL('./open-worker.js', import.meta.url);
/** Threads started ahead of any pool (prestartOpenWorkers), handed to the first pool that starts. */
const prestarted: Worker[] = [];

/**
 * Start `count` open workers now, before the repository's key is known: a thread takes ~80 ms to
 * load, which then overlaps the password's key derivation (scrypt, ~150 ms) instead of following
 * it. For commands that will read many blobs (restore, verify).
 */
export function prestartOpenWorkers(count = Math.min(4, availableParallelism())): void {
  while (prestarted.length < count) {
    const w = new Worker(WORKER_URL);
    w.on('error', () => undefined); // a pool that took it reports it through its own listeners
    // One that ends before a pool takes it is not handed out (its exit would never be seen).
    w.on('exit', () => {
      const i = prestarted.indexOf(w);
      if (i >= 0) prestarted.splice(i, 1);
    });
    w.unref();
    prestarted.push(w);
  }
}

interface Waiting {
  resolve: () => void;
  reject: (e: unknown) => void;
  worker: number;
}

export class OpenPool {
  private workers: Worker[] = [];
  /** Tasks posted to each worker and not answered yet: a new task goes to the least busy. */
  private busy: number[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private closing = false;
  private broken: VixError | null = null;
  private readonly exited = new WeakSet<Worker>();

  /** `size` workers (default: one per CPU, at most 4); 0: none, blobs are opened inline. */
  constructor(private readonly key: ResticKey, private readonly size = Math.min(4, availableParallelism())) {}

  get workerCount(): number {
    return this.size;
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const w = prestarted.pop() ?? new Worker(WORKER_URL);
      const hello: OpenKeyMessage = { key: { encrypt: this.key.encrypt, macK: this.key.macK, macR: this.key.macR } };
      w.postMessage(hello);
      w.on('message', (m: OpenReply) => {
        const p = this.waiting.get(m.seq);
        if (!p) return;
        this.waiting.delete(m.seq);
        this.busy[p.worker]!--;
        if (m.error) p.reject(new VixError(m.error.code, m.error.message));
        else p.resolve();
      });
      // A worker that fails or ends unasked fails what it was doing and everything after it: a
      // task posted to a dead thread would never be answered.
      w.on('error', (e) => this.fail(toVixError(e, 'a blob-opening thread failed')));
      w.on('exit', (code) => {
        this.exited.add(w);
        if (!this.closing) this.fail(new VixError(VIX_E_FAIL, `a blob-opening thread ended unexpectedly (exit code ${code})`));
      });
      w.unref(); // an idle pool never keeps the process alive
      this.workers.push(w);
      this.busy.push(0);
    }
  }

  private fail(e: VixError): void {
    this.broken ??= e;
    this.failAll(e);
  }

  private failAll(e: unknown): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
    this.busy.fill(0);
  }

  /** Open one blob into `req.dest` on a worker; rejects with the blob's one-line problem. */
  open(req: OpenRequest): Promise<void> {
    if (!(req.dest.buffer instanceof SharedArrayBuffer)) throw new TypeError('OpenPool: the destination must be shared memory');
    if (this.broken) return Promise.reject(this.broken);
    if (this.workers.length === 0) this.start();
    let worker = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i]! < this.busy[worker]!) worker = i;
    const seq = this.seq++;
    let bytes: ArrayBuffer | undefined;
    if (req.bytes) {
      bytes = new ArrayBuffer(req.bytes.length);
      new Uint8Array(bytes).set(req.bytes);
    }
    const task: OpenTask = {
      seq, path: req.path, bytes, offset: req.offset, length: req.length,
      dest: req.dest.buffer, destOffset: req.dest.byteOffset, destLength: req.dest.length,
      id: req.id, what: req.what, fileWhat: req.fileWhat,
    };
    const w = this.workers[worker]!;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject, worker });
      this.busy[worker]!++;
      // While work is queued the workers must keep the process alive; unref'd again when idle.
      w.ref();
      w.postMessage(task, bytes ? [bytes] : []);
    }).finally(() => {
      if (this.waiting.size === 0) for (const x of this.workers) x.unref();
    });
  }

  /** Stop the workers (they close the pack files they hold open first). */
  async close(): Promise<void> {
    this.closing = true;
    const ws = this.workers;
    this.workers = [];
    this.busy = [];
    this.failAll(new VixError(VIX_E_INVALID_ARG, 'repository is closed'));
    await Promise.all(ws.filter((w) => !this.exited.has(w)).map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.ref(); // until it has closed its files and exited
      w.postMessage('close');
    })));
  }
}
