// Payload bytes a whole server holds at once (WRITE data read from sockets, READ data on its way
// out), shared by every connection. A connection takes its share before it reads a payload or
// starts a read; when the budget is spent it waits, reading nothing more from its socket (so TCP
// pushes back on the client), and goes on as other requests finish. Waiters are served in order.

export class PayloadBudget {
  private used = 0;
  private readonly waiters: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly limit: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Take `bytes`, waiting until they fit (a request alone may always have the whole budget). */
  acquire(bytes: number): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.used += bytes;
      return undefined;
    }
    return new Promise<void>((grant) => this.waiters.push({ bytes, grant }));
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
