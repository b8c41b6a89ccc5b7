import { Duplex } from 'node:stream';

// The byte pipe a TLS session of the NFC port runs over (vsphere-remote.md §3.4): the TLS engine
// must not own the TCP socket, because the first TLS session (authd) is abandoned mid-stream at
// `200 Connect` and the bytes after it belong to NFC or to a second TLS session. The connection
// reads the socket itself and feeds this pipe while a TLS session should see the bytes; what the
// TLS engine writes goes to `sink` until `detach()`, after which it is dropped (no close_notify or
// other record of an abandoned session may reach the NFC stream).

export class FeedDuplex extends Duplex {
  private sink: ((chunk: Buffer, done: (err?: Error | null) => void) => void) | null;

  constructor(
    sink: (chunk: Buffer, done: (err?: Error | null) => void) => void,
    /** Called when the TLS engine wants more input after `feed` returned false. */
    private readonly onDemand: () => void,
  ) {
    super({ allowHalfOpen: true });
    this.sink = sink;
  }

  /** Bytes from the socket; false: the reader is full, pause the socket until onDemand. */
  feed(chunk: Buffer): boolean {
    return this.push(chunk);
  }

  /** Stop sending what the TLS engine writes (the splice point passed). */
  detach(): void {
    this.sink = null;
  }

  override _read(): void {
    this.onDemand();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.sink) this.sink(chunk, done);
    else done();
  }

  override _final(done: (err?: Error | null) => void): void {
    done();
  }
}
