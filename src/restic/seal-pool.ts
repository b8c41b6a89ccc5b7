// Sealing (AES-256-CTR + Poly1305-AES) is the CPU cost of storing a blob; a pool of worker threads
// does it in parallel with the main thread, which keeps reading, hashing and writing packs.
// With no workers, sealing happens inline.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { seal, type ResticKey } from './crypto.js';

interface Waiting {
  resolve: (b: Buffer) => void;
  reject: (e: unknown) => void;
}

export class SealPool {
  private workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private next = 0;

  /** `size` workers (default: one per CPU, at most 4); 0 seals on the calling thread. */
  constructor(private readonly key: ResticKey, private readonly size = Math.min(4, availableParallelism())) {}

  /** Threads sealing (0: inline). */
  get workerCount(): number {
    return this.size;
  }

  private start(): void {
    const url = new URL('./seal-worker.js', import.meta.url);
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(url, { workerData: { encrypt: this.key.encrypt, macK: this.key.macK, macR: this.key.macR } });
      w.on('message', (m: { seq: number; sealed: ArrayBuffer }) => {
        const p = this.waiting.get(m.seq);
        this.waiting.delete(m.seq);
        p?.resolve(Buffer.from(m.sealed));
      });
      w.on('error', (e) => this.failAll(e));
      w.unref(); // an idle pool never keeps the process alive
      this.workers.push(w);
    }
  }

  private failAll(e: unknown): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  /** Seal a copy of `data` (the caller may reuse `data` as soon as this returns). */
  seal(data: Uint8Array): Promise<Buffer> {
    if (this.size === 0) return Promise.resolve(seal(this.key, data));
    if (this.workers.length === 0) this.start();
    const copy = new ArrayBuffer(data.length);
    new Uint8Array(copy).set(data);
    const seq = this.seq++;
    const w = this.workers[this.next++ % this.workers.length];
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      // While work is queued the workers must keep the process alive; unref'd again when idle.
      w.ref();
      w.postMessage({ seq, data: copy }, [copy]);
    }).finally(() => {
      if (this.waiting.size === 0) for (const x of this.workers) x.unref();
    });
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
