// A bounded cache of loaded grain tables, keyed by grain directory index. Tables are loaded (and
// validated) once; concurrent lookups of the same table share one load; the least recently used
// table is dropped past `capacity`, so a large disk read end to end holds a fixed amount of memory.
// Dropping is safe: every change to a table is written to the file before its writer lets go of
// the allocation lock, so a table loaded again from the file is the same table.

export class GrainTableCache<T> {
  private readonly entries = new Map<number, T | Promise<T | null>>();

  constructor(private readonly capacity: number) {}

  async get(index: number, load: () => Promise<T | null>): Promise<T | null> {
    const hit = this.entries.get(index);
    if (hit !== undefined) {
      this.entries.delete(index);
      this.entries.set(index, hit);
      return hit;
    }
    const p = load();
    this.entries.set(index, p);
    try {
      const t = await p;
      if (this.entries.get(index) === p) {
        if (t === null) this.entries.delete(index);
        else this.entries.set(index, t);
      }
      this.evict();
      return t;
    } catch (err) {
      if (this.entries.get(index) === p) this.entries.delete(index);
      throw err;
    }
  }

  /** Put a table the caller built (a new table) or changed. */
  set(index: number, table: T): void {
    this.entries.delete(index);
    this.entries.set(index, table);
    this.evict();
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
    }
  }
}
