// Every blob of the repository: type and ID -> pack, offset, length, uncompressed length. A backup of
// a 1 TiB disk in 1 MiB chunks has a million blobs, so entries are not JS objects (~200 bytes each
// with their hex strings) but rows of typed arrays (53 bytes each) found through an open-addressing
// hash table keyed by the ID's first four bytes (SHA-256 bytes are uniform already): ~60 MB per
// million blobs.

import type { BlobType, PackedBlob } from './pack.js';

export interface BlobLocation {
  packId: string;
  offset: number;
  length: number;
  uncompressedLength: number;
}

export class MasterIndex {
  private count = 0;
  private capacity = 0;
  private ids = new Uint8Array(0);
  private types = new Uint8Array(0);
  private packNos = new Uint32Array(0);
  private offsets = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  private ulengths = new Uint32Array(0);
  private table = new Int32Array(0); // row + 1; 0 = empty
  private packIds: string[] = [];
  private packNo = new Map<string, number>();

  get size(): number {
    return this.count;
  }

  /** Distinct pack IDs the index names. */
  get packs(): readonly string[] {
    return this.packIds;
  }

  private grow(): void {
    const cap = Math.max(1024, this.capacity * 2);
    const ids = new Uint8Array(cap * 32);
    ids.set(this.ids);
    const grow32 = (a: Uint32Array) => {
      const n = new Uint32Array(cap);
      n.set(a);
      return n;
    };
    const types = new Uint8Array(cap);
    types.set(this.types);
    this.ids = ids;
    this.types = types;
    this.packNos = grow32(this.packNos);
    this.offsets = grow32(this.offsets);
    this.lengths = grow32(this.lengths);
    this.ulengths = grow32(this.ulengths);
    this.capacity = cap;
    this.table = new Int32Array(cap * 2);
    for (let row = 0; row < this.count; row++) this.insertSlot(row);
  }

  private slotStart(id: Uint8Array, off: number): number {
    return ((id[off] | (id[off + 1] << 8) | (id[off + 2] << 16) | (id[off + 3] << 24)) >>> 0) & (this.table.length - 1);
  }

  private insertSlot(row: number): void {
    const mask = this.table.length - 1;
    let s = this.slotStart(this.ids, row * 32);
    while (this.table[s] !== 0) s = (s + 1) & mask;
    this.table[s] = row + 1;
  }

  private find(type: BlobType, id: Buffer): number {
    if (this.count === 0) return -1;
    const t = type === 'data' ? 0 : 1;
    const mask = this.table.length - 1;
    for (let s = this.slotStart(id, 0); ; s = (s + 1) & mask) {
      const e = this.table[s];
      if (e === 0) return -1;
      const row = e - 1;
      if (this.types[row] === t && id.equals(this.ids.subarray(row * 32, row * 32 + 32))) return row;
    }
  }

  has(type: BlobType, id: string): boolean {
    return this.find(type, Buffer.from(id, 'hex')) >= 0;
  }

  lookup(type: BlobType, id: string): BlobLocation | undefined {
    const row = this.find(type, Buffer.from(id, 'hex'));
    if (row < 0) return undefined;
    return { packId: this.packIds[this.packNos[row]], offset: this.offsets[row], length: this.lengths[row], uncompressedLength: this.ulengths[row] };
  }

  /** Add one entry; a blob already known (a duplicate in another pack) keeps its first location. */
  add(packId: string, b: PackedBlob): void {
    const idb = Buffer.from(b.id, 'hex');
    if (this.find(b.type, idb) >= 0) return;
    if (this.count >= this.capacity) this.grow();
    let pn = this.packNo.get(packId);
    if (pn === undefined) {
      pn = this.packIds.length;
      this.packIds.push(packId);
      this.packNo.set(packId, pn);
    }
    const row = this.count++;
    this.ids.set(idb, row * 32);
    this.types[row] = b.type === 'data' ? 0 : 1;
    this.packNos[row] = pn;
    this.offsets[row] = b.offset;
    this.lengths[row] = b.length;
    this.ulengths[row] = b.uncompressedLength;
    this.insertSlot(row);
  }
}
