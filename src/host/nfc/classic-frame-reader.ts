import { CLASSIC_MESSAGE_LENGTH, classicExtraLength, decodeClassicMessage, type ClassicMessage } from '../../nfc/classic-message.js';

// Classic 264-byte NFC frames with the bytes that follow them (type 54's two strings), gathered
// from arriving bytes for the handshake (vsphere-remote.md §4.2). The extra is bounded by the
// codec (256 bytes per string) before anything is awaited; bytes after a frame stay with the
// caller (the AIO phase may follow in the same chunk).

export class ClassicFrameReader {
  private readonly frame = Buffer.alloc(CLASSIC_MESSAGE_LENGTH);
  private fill = 0;
  private message: ClassicMessage | null = null;
  private extra: Buffer | null = null;
  private extraFill = 0;

  /**
   * Take bytes from `chunk` until one frame and its extra are complete: the message, its extra and
   * the bytes used; or null message when the chunk ran out (all used). Codec errors are fatal.
   */
  push(chunk: Uint8Array): { message: ClassicMessage | null; extra: Uint8Array; used: number } {
    let pos = 0;
    if (this.message === null) {
      const n = Math.min(CLASSIC_MESSAGE_LENGTH - this.fill, chunk.length);
      this.frame.set(chunk.subarray(0, n), this.fill);
      this.fill += n;
      pos = n;
      if (this.fill < CLASSIC_MESSAGE_LENGTH) return { message: null, extra: new Uint8Array(0), used: pos };
      this.message = decodeClassicMessage(this.frame);
      this.extra = Buffer.alloc(classicExtraLength(this.message));
      this.extraFill = 0;
    }
    const extra = this.extra!;
    const n = Math.min(extra.length - this.extraFill, chunk.length - pos);
    extra.set(chunk.subarray(pos, pos + n), this.extraFill);
    this.extraFill += n;
    pos += n;
    if (this.extraFill < extra.length) return { message: null, extra: new Uint8Array(0), used: pos };
    const message = this.message;
    this.message = null;
    this.extra = null;
    this.fill = 0;
    return { message, extra, used: pos };
  }
}
