import type { BlockDevice } from '../block/block-device.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_ASYNC_MIXEDMODE_UNSUPPORTED, VIX_E_INVALID_ARG, VIX_OK } from '../errors/error-codes.js';
import type { VixDiskLibConnection } from './connection.js';

// A VixDiskLibHandle: one opened disk (or chain) with the transport that opened it, its open flags,
// and the bookkeeping VixDiskLib's rules need: outstanding asynchronous I/O (drained by Wait and
// Close) and which kind of I/O the handle is doing (sync and async must not be mixed).

export class VixDiskLibHandle {
  /** The device; replaced when Attach stacks this link over a parent. */
  device: BlockDevice;
  private closed = false;
  /** Set when Attach consumed this handle as a parent: closing it is then harmless. */
  absorbed = false;
  private readonly pending = new Set<Promise<void>>();
  private syncInFlight = 0;

  constructor(
    readonly connection: VixDiskLibConnection,
    readonly path: string,
    readonly flags: number,
    readonly transportMode: string,
    device: BlockDevice,
    readonly singleLink: boolean,
  ) {
    this.device = device;
  }

  get isOpen(): boolean {
    return !this.closed && !this.absorbed;
  }

  /** Throws unless the handle can be used for I/O. */
  check(): void {
    if (this.closed) throw new VixError(VIX_E_INVALID_ARG, `the disk handle for ${this.path} was closed`);
    if (this.absorbed) throw new VixError(VIX_E_INVALID_ARG, `the disk handle for ${this.path} was attached under a child and can no longer be used`);
    this.connection.check();
  }

  /** Run a synchronous-style request (Read, Write, ...); refused while async I/O is outstanding. */
  async sync<T>(op: () => Promise<T>): Promise<T> {
    this.check();
    if (this.pending.size > 0) {
      throw new VixError(VIX_E_ASYNC_MIXEDMODE_UNSUPPORTED,
        `${this.path}: synchronous I/O while ${this.pending.size} asynchronous requests are outstanding; call Wait first`);
    }
    this.syncInFlight++;
    try {
      return await op();
    } finally {
      this.syncInFlight--;
    }
  }

  /** Queue an asynchronous request; the callback gets VIX_OK or the error code when it completes. */
  async(op: () => Promise<void>, onDone: (result: number, err: VixError | null) => void): void {
    this.check();
    if (this.syncInFlight > 0) {
      throw new VixError(VIX_E_ASYNC_MIXEDMODE_UNSUPPORTED, `${this.path}: asynchronous I/O while a synchronous request is in progress`);
    }
    const entry: { done?: Promise<void> } = {};
    entry.done = (async () => {
      await Promise.resolve(); // never complete inside the submitting call, so `p` is registered first
      let result = VIX_OK;
      let error: VixError | null = null;
      try {
        await op();
      } catch (err) {
        error = toVixError(err, this.path);
        result = error.code;
      }
      this.pending.delete(entry.done!);
      onDone(result, error);
    })();
    this.pending.add(entry.done);
  }

  /** Wait until every outstanding asynchronous request has completed (and called back). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    this.connection.forget(this);
    if (!this.absorbed) await this.device.close();
  }
}
