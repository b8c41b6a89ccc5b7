// One pack being filled: sealed blobs appended in order, then the sealed header and its length
// (design.rst "Pack Format"). A pack holds one blob type only, as repository v2 requires.
//
// The pack is never assembled into one buffer: its parts are hashed as they arrive (the pack's ID
// is the SHA-256 of the whole file) and written with one gathered write, so a sealed blob's bytes
// are copied once, by the kernel, into the file.

import { createHash, type Hash } from 'node:crypto';
import { CRYPTO_OVERHEAD, seal, type ResticKey } from './crypto.js';
import { MAX_HEADER_SIZE, encodeHeader, headerEntrySize, type BlobType, type PackedBlob } from './pack.js';

/** restic 0.14's default --pack-size: a pack is closed once it reaches this many bytes. */
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

export interface FinishedPack {
  id: string;
  /** The pack file: its parts in order (sealed blobs, sealed header, header length). */
  parts: Buffer[];
  blobs: PackedBlob[];
}

export class Packer {
  readonly blobs: PackedBlob[] = [];
  private readonly parts: Buffer[] = [];
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private headerSize = 0;

  constructor(readonly type: BlobType, private readonly targetSize: number) {}

  get count(): number {
    return this.blobs.length;
  }

  /** Whether one more blob would push the header past restic's 16 MiB limit. */
  headerFull(): boolean {
    return this.headerSize + 41 + CRYPTO_OVERHEAD > MAX_HEADER_SIZE;
  }

  /** Append an already sealed blob; true when the pack has reached its target size. */
  add(id: string, sealed: Buffer, uncompressedLength: number): boolean {
    const b: PackedBlob = { type: this.type, id, offset: this.size, length: sealed.length, uncompressedLength };
    this.blobs.push(b);
    this.parts.push(sealed);
    this.hash.update(sealed);
    this.size += sealed.length;
    this.headerSize += headerEntrySize(b);
    return this.size >= this.targetSize || this.headerFull();
  }

  /** The complete pack file and its ID (the SHA-256 of the whole file). */
  finish(key: ResticKey): FinishedPack {
    const header = seal(key, encodeHeader(this.blobs));
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(header.length);
    this.hash.update(header).update(trailer);
    const parts = [...this.parts, header, trailer];
    this.parts.length = 0;
    return { id: this.hash.digest('hex'), parts, blobs: this.blobs };
  }
}
