import {
  AIO_HEADER_LENGTH, AIO_MAGIC, DEFAULT_AIO_LIMITS, MAX_ERROR_PAYLOAD, aioExtraLength, checkAioHeader, checkAioMagic, readAioHeader,
  type AioDirection, type AioHeader, type AioLimits,
} from './aio-message.js';
import {
  CLASSIC_MESSAGE_LENGTH, NFC_ERROR, NFC_SESSION_COMPLETE, classicExtraLength, decodeClassicMessage, type ClassicMessage,
} from './classic-message.js';
import { NfcProtocolError } from './nfc-protocol-error.js';

// The AIO phase of a connection as a push parser with no I/O: bytes go in as a socket delivers
// them, in pieces of any size. Each frame's header and payload are handed over whole (a view of the
// arriving bytes when they came in one piece, else of one small buffer the parser owns); its extra
// data — IO sector data, a path, a bitmap — is handed over as views of the arriving bytes, piece by
// piece with its offset, never gathered or copied here, so a read fragment can go straight into the
// caller's buffer. Every length is bounded before a byte of what it announces is awaited.
//
// Classic messages still occur in the AIO phase: the client ends a session with classic
// SESSION_COMPLETE (4) and a host may answer with it, and a host may report an error as classic
// NFC_ERROR (20) (§4.2). The first word tells them apart from the AIO magic.

export interface AioFrameHandler {
  /**
   * An AIO frame's header and payload; both are valid only during the call (the header object is
   * reused). `extraLength` bytes follow. Must not throw: a request error is answered, not raised.
   */
  frame(header: AioHeader, payload: Uint8Array, extraLength: number): void;
  /** A classic message met in the AIO phase; `extraLength` bytes follow (type 20's message). */
  classic(message: ClassicMessage, extraLength: number): void;
  /** A piece of the current frame's extra data, at `extraOffset` inside it; valid only during the call. */
  extra(bytes: Uint8Array, extraOffset: number): void;
}

const HEAD_CAPACITY = Math.max(AIO_HEADER_LENGTH + MAX_ERROR_PAYLOAD, CLASSIC_MESSAGE_LENGTH);

export class AioFrameParser {
  private readonly head = Buffer.alloc(HEAD_CAPACITY);
  private headFill = 0;
  /** Bytes of head needed before it can be interpreted further (4, 16, 16 + size, 264). */
  private headNeed = 4;
  /** The current frame's header, one object reused for every frame (handlers must not keep it). */
  private readonly header: AioHeader = { type: 0, size: 0, opId: 0 };
  private headerRead = false;
  private extraLeft = 0;
  private extraOffset = 0;
  private failure: NfcProtocolError | null = null;

  constructor(
    /** 'request': a host parsing what a client sends; 'reply': a client parsing a host. */
    readonly direction: AioDirection,
    private readonly handler: AioFrameHandler,
    private limits: AioLimits = DEFAULT_AIO_LIMITS,
  ) {}

  /** After OPEN_SESSION: fragments are bounded by the session buffer size. */
  setLimits(limits: AioLimits): void {
    this.limits = limits;
  }

  /** True between frames (nothing of a frame received yet): where a connection may end cleanly. */
  get atBoundary(): boolean {
    return this.headFill === 0 && this.extraLeft === 0 && this.failure === null;
  }

  /** Bytes of the current frame's extra still to come (0 between extras). */
  get extraRemaining(): number {
    return this.extraLeft;
  }

  /**
   * `n` bytes of the current frame's extra arrived somewhere the handler chose (a client reads a
   * read fragment's data straight into its caller's buffer): count them as received without
   * handing them over. At most extraRemaining.
   */
  skipExtra(n: number): void {
    if (this.failure) throw this.failure;
    if (n > this.extraLeft) throw new RangeError(`skipExtra(${n}) with ${this.extraLeft} extra bytes left`);
    this.extraLeft -= n;
    this.extraOffset += n;
  }

  /** Feed bytes. A fatal NfcProtocolError ends the parser: every later push throws it again. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      let pos = 0;
      while (pos < chunk.length) {
        if (this.extraLeft > 0) {
          const n = Math.min(this.extraLeft, chunk.length - pos);
          const piece = chunk.subarray(pos, pos + n);
          const at = this.extraOffset;
          this.extraLeft -= n;
          this.extraOffset += n;
          pos += n;
          this.handler.extra(piece, at);
          continue;
        }
        if (this.headFill === 0) {
          const whole = this.wholeFrameLength(chunk, pos);
          if (whole > 0) {
            this.interpret(chunk.subarray(pos, pos + whole));
            pos += whole;
            continue;
          }
        }
        const n = Math.min(this.headNeed - this.headFill, chunk.length - pos);
        this.head.set(chunk.subarray(pos, pos + n), this.headFill);
        this.headFill += n;
        pos += n;
        if (this.headFill === this.headNeed) this.advanceHead();
      }
    } catch (err) {
      if (err instanceof NfcProtocolError && err.fatal) this.failure = err;
      throw err;
    }
  }

  /** Length of the header-and-payload starting at `pos` when it is entirely inside `chunk`, else 0. */
  private wholeFrameLength(chunk: Uint8Array, pos: number): number {
    const left = chunk.length - pos;
    if (left < AIO_HEADER_LENGTH) return 0;
    const v = new DataView(chunk.buffer, chunk.byteOffset + pos, AIO_HEADER_LENGTH);
    if (v.getUint32(0, true) !== AIO_MAGIC) return 0; // classic or bad: the slow path decides
    const header = readAioHeader(chunk.subarray(pos, pos + AIO_HEADER_LENGTH), this.header);
    checkAioHeader(header, this.direction);
    return left >= AIO_HEADER_LENGTH + header.size ? AIO_HEADER_LENGTH + header.size : 0;
  }

  /** The head buffer holds headNeed bytes: decide what they are, or how many more are needed. */
  private advanceHead(): void {
    if (this.headNeed === 4) {
      const first = this.head.readUInt32LE(0);
      if (first === AIO_MAGIC) {
        this.headNeed = AIO_HEADER_LENGTH;
      } else if (first === NFC_SESSION_COMPLETE || (first === NFC_ERROR && this.direction === 'reply')) {
        this.headNeed = CLASSIC_MESSAGE_LENGTH;
      } else {
        checkAioMagic(first);
      }
      return;
    }
    if (this.headNeed === AIO_HEADER_LENGTH && !this.headerRead && this.head.readUInt32LE(0) === AIO_MAGIC) {
      const header = readAioHeader(this.head.subarray(0, AIO_HEADER_LENGTH), this.header);
      checkAioHeader(header, this.direction);
      this.headerRead = true;
      this.headNeed = AIO_HEADER_LENGTH + header.size;
      if (header.size > 0) return;
    }
    const bytes = this.head.subarray(0, this.headNeed);
    this.headFill = 0;
    this.headNeed = 4;
    this.headerRead = false;
    this.interpret(bytes);
  }

  /** A whole AIO header-and-payload or classic frame: hand it over and expect its extra. */
  private interpret(bytes: Uint8Array): void {
    if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== AIO_MAGIC) {
      const message = decodeClassicMessage(bytes);
      const extraLength = classicExtraLength(message);
      this.expectExtra(extraLength);
      this.handler.classic(message, extraLength);
      return;
    }
    const header = readAioHeader(bytes, this.header);
    const payload = bytes.subarray(AIO_HEADER_LENGTH, AIO_HEADER_LENGTH + header.size);
    const extraLength = aioExtraLength(header, payload, this.direction, this.limits);
    this.expectExtra(extraLength);
    this.handler.frame(header, payload, extraLength);
  }

  private expectExtra(length: number): void {
    this.extraLeft = length;
    this.extraOffset = 0;
  }
}
