// Bytes of IO data a holder may keep in memory at once: one per NFC connection (read data on its
// way out, write data on its way to the disk) and one for the whole endpoint. Reads wait for room
// before they read a fragment; write data has already arrived when it is counted, so it is taken
// at once and the connection stops reading its socket while the budget is over (TCP then pushes
// back on the client). A request alone may always have the whole budget, so nothing waits forever.

export class ByteBudget {
  private used = 0;
  private readonly waiters: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly limit: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** More is held than the limit allows (after take). */
  get over(): boolean {
    return this.used > this.limit;
  }

  /** Wait until `bytes` fit, then hold them. Waiters are served in order. */
  acquire(bytes: number): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.used += bytes;
      return undefined;
    }
    return new Promise<void>((grant) => this.waiters.push({ bytes, grant }));
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

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }
}

/** Hold `bytes` of two budgets (a connection's, then the endpoint's), always taken in that order. */
export async function acquireBoth(first: ByteBudget, second: ByteBudget, bytes: number): Promise<void> {
  await first.acquire(bytes);
  await second.acquire(bytes);
}
