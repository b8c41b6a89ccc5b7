import type { VixError } from '../errors/vix-error.js';

// How many bytes of IO one NFC session keeps in flight: the host set aside BufCount buffers of
// BufSize for the session (OPEN_SESSION), and a client asking for more at once makes it queue or
// refuse (NFC error 5, §4.7). Requests past the budget wait here, first come first served; one
// request is always let through when nothing is in flight, however large.

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: VixError) => void;
}

export class ByteBudget {
  private used = 0;
  private waiters: Waiter[] = [];
  private failure: VixError | null = null;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Take `bytes`, waiting for room; rejects once the budget has failed. */
  acquire(bytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.used += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ bytes, resolve, reject }));
  }

  release(bytes: number): void {
    this.used -= bytes;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.resolve();
    }
  }

  /** Every waiter, and every later acquire, fails with `err`. */
  fail(err: VixError): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.capacity;
  }
}
