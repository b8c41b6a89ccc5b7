import type { VixError } from '../errors/vix-error.js';

/**
 * Bytes a holder may keep in memory or in flight at once, the one mechanism behind every such
 * bound: the NBD server's payload bytes (shared by its connections), the NFC host's read and write
 * data (per connection and per endpoint) and the NFC client's in-flight IO (the session buffers
 * the host set aside, §4.7). A holder takes its share before it reads a payload or starts a
 * request; when the budget is spent it waits, reading nothing more from its socket (so TCP pushes
 * back on the peer). Waiters are served in order, and a request alone may always have the whole
 * budget, however large, so nothing waits forever.
 */
export class ByteBudget {
  private used = 0;
  private waiters: Array<{ bytes: number; grant: () => void; refuse: (err: VixError) => void }> = [];
  private failure: VixError | null = null;

  constructor(readonly limit: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** More is held than the limit allows (after `take`). */
  get over(): boolean {
    return this.used > this.limit;
  }

  /**
   * Hold `bytes`, waiting until they fit: undefined when granted at once (no promise on the hot
   * path), else a promise granted in turn. Rejects once the budget has failed.
   */
  acquire(bytes: number): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.used += bytes;
      return undefined;
    }
    return new Promise<void>((grant, refuse) => this.waiters.push({ bytes, grant, refuse }));
  }

  /** Hold `bytes` now, past the limit if need be (data that has already arrived). */
  take(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used -= bytes;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.grant();
    }
  }

  /** Every waiter, and every later acquire, fails with `err` (the connection is gone). */
  fail(err: VixError): void {
    if (this.failure) return;
    this.failure = err;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.refuse(err);
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }
}
