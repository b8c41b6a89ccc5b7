// Payload buffers reused across requests: a buffer goes back to the pool once the socket has taken
// the reply (or the device the write), so a busy connection does not allocate per request.

/** A pooled buffer: `data` is the requested length, a view of `backing`. */
export interface PooledBuffer {
  data: Buffer;
  backing: Buffer;
}

const MIN_CLASS = 1 << 16;

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooledBytes = 0;

  /** At most `maxPooledBytes` are kept idle; buffers larger than `maxPooledSize` are never kept. */
  constructor(private readonly maxPooledBytes = 64 << 20, private readonly maxPooledSize = 32 << 20) {}

  get(length: number): PooledBuffer {
    const size = sizeClass(length);
    if (size > this.maxPooledSize) {
      const b = Buffer.allocUnsafe(length);
      return { data: b, backing: b };
    }
    const list = this.free.get(size);
    let backing = list?.pop();
    if (backing) this.pooledBytes -= size;
    else backing = Buffer.allocUnsafeSlow(size);
    return { data: backing.subarray(0, length), backing };
  }

  release(b: PooledBuffer): void {
    const size = b.backing.length;
    if (size > this.maxPooledSize || size !== sizeClass(size)) return;
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    if (this.pooledBytes + size <= this.maxPooledBytes) {
      list.push(b.backing);
      this.pooledBytes += size;
    }
  }
}

function sizeClass(length: number): number {
  let s = MIN_CLASS;
  while (s < length) s *= 2;
  return s;
}
