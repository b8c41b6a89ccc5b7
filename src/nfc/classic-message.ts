import { NfcProtocolError } from './nfc-protocol-error.js';

// Classic NFC messages (vsphere-remote.md §4.2): a 264-byte frame, uint32 type at offset 0,
// type-specific fields from offset 4, zeros to 264; variable data (the connection-data strings,
// an error's message) follows the frame and is not counted in it. Little-endian throughout.
// One layout per type, used by the client to encode and the host to decode and vice versa.

export const CLASSIC_MESSAGE_LENGTH = 264;

export const NFC_HANDSHAKE = 0;
export const NFC_SESSION_COMPLETE = 4;
export const NFC_ERROR = 20;
/** VDDK 8 sends it zero-filled right after CLIENTRANDOM ("session params" in OVDL; FILE_COPY in VMware's enum). */
export const NFC_SESSION_PARAMS = 33;
/** The host's reply to 33: uint32 1 at offset 16. */
export const NFC_FILEOP_STATUS = 36;
export const NFC_CLIENTRANDOM = 43;
export const NFC_VERSION = 51;
/** Switch to AIO framing (NFC_AIO_SESSION_OPEN in OVDL). */
export const NFC_AIO_SESSION_OPEN = 52;
export const NFC_CONNECTION_DATA = 54;
export const NFC_SESSION_FEATURES = 55;

/** The nonce VDDK 8 sends for both nbd and nbdssl (§3.2). */
export const PLAINTEXT_NONCE = 'PlainText';
/** The version ESXi 8 and VDDK 8 announce; VDDK needs at least 3 for connection data and AIO. */
export const NFC_PROTOCOL_VERSION = 11;
export const MIN_AIO_VERSION = 3;
/** "interruption | switch", what VDDK 8 sends in type 55. */
export const VDDK_SESSION_FEATURES = 3;
/** Client name and op id VDDK 8 sends after type 54. */
export const VDDK_CLIENT_NAME = 'vddk';
export const VDDK_OP_ID = 'nbdmode';

/** The nonce sits in the frame from offset 4; it must leave a NUL before the end. */
export const MAX_NONCE_LENGTH = CLASSIC_MESSAGE_LENGTH - 5;
/** Bounds on the data after a frame (ours; VDDK sends 4 + 7 bytes and messages of a line). */
export const MAX_CONNECTION_DATA_STRING = 256;
export const MAX_ERROR_MESSAGE_LENGTH = 4096;

export const CLASSIC_TYPE_NAMES: Readonly<Record<number, string>> = {
  [NFC_SESSION_COMPLETE]: 'SESSION_COMPLETE', [NFC_ERROR]: 'ERROR', [NFC_SESSION_PARAMS]: 'SESSION_PARAMS',
  [NFC_FILEOP_STATUS]: 'FILEOP_STATUS', [NFC_CLIENTRANDOM]: 'CLIENTRANDOM', [NFC_VERSION]: 'VERSION',
  [NFC_AIO_SESSION_OPEN]: 'AIO_SESSION_OPEN', [NFC_CONNECTION_DATA]: 'CONNECTION_DATA',
  [NFC_SESSION_FEATURES]: 'SESSION_FEATURES',
};

/** The classic messages of the VDDK 8 handshake and close, as values. */
export type ClassicMessage =
  | { type: typeof NFC_CLIENTRANDOM; nonce: string }
  | { type: typeof NFC_SESSION_PARAMS }
  | { type: typeof NFC_FILEOP_STATUS; status: number }
  | { type: typeof NFC_VERSION; version: number }
  | { type: typeof NFC_CONNECTION_DATA; nameLength: number; opIdLength: number }
  | { type: typeof NFC_SESSION_FEATURES; features: number }
  | { type: typeof NFC_AIO_SESSION_OPEN }
  | { type: typeof NFC_SESSION_COMPLETE }
  | { type: typeof NFC_ERROR; errorType: number; errorCode: number; messageLength: number };

/** Write `message` as a 264-byte frame into `target` at `at` (the frame's bytes are all written). */
export function writeClassicMessage(message: ClassicMessage, target: Uint8Array, at = 0): void {
  if (target.length - at < CLASSIC_MESSAGE_LENGTH) throw new RangeError('a classic NFC message needs 264 bytes');
  const frame = target.subarray(at, at + CLASSIC_MESSAGE_LENGTH);
  frame.fill(0);
  const v = new DataView(frame.buffer, frame.byteOffset, CLASSIC_MESSAGE_LENGTH);
  v.setUint32(0, message.type, true);
  switch (message.type) {
    case NFC_CLIENTRANDOM: {
      const nonce = Buffer.from(message.nonce, 'latin1');
      if (!isNonce(nonce)) throw new NfcProtocolError('an NFC nonce is 1 to 259 printable ASCII characters', true);
      frame.set(nonce, 4);
      break;
    }
    case NFC_FILEOP_STATUS: v.setUint32(16, message.status >>> 0, true); break;
    case NFC_VERSION: v.setUint32(4, message.version >>> 0, true); break;
    case NFC_CONNECTION_DATA:
      v.setUint32(4, checkedLength(message.nameLength, MAX_CONNECTION_DATA_STRING, 'client name'), true);
      v.setUint32(8, checkedLength(message.opIdLength, MAX_CONNECTION_DATA_STRING, 'op id'), true);
      break;
    case NFC_SESSION_FEATURES: v.setUint32(4, message.features >>> 0, true); break;
    case NFC_ERROR:
      v.setUint32(4, message.errorType >>> 0, true);
      v.setUint32(8, message.errorCode >>> 0, true);
      v.setUint32(12, checkedLength(message.messageLength, MAX_ERROR_MESSAGE_LENGTH, 'error message'), true);
      break;
    default: break; // 33, 52, 4: the type alone
  }
}

/** `message` as a new 264-byte buffer (the handshake is not a hot path). */
export function encodeClassicMessage(message: ClassicMessage): Buffer {
  const b = Buffer.alloc(CLASSIC_MESSAGE_LENGTH);
  writeClassicMessage(message, b);
  return b;
}

/**
 * Parse a 264-byte frame. Every error is fatal: the classic phase has one expected order and no
 * way to answer a bad message but closing (§4.9 step 4).
 */
export function decodeClassicMessage(frame: Uint8Array): ClassicMessage {
  if (frame.length !== CLASSIC_MESSAGE_LENGTH) {
    throw new NfcProtocolError(`a classic NFC message is 264 bytes, not ${frame.length}`, true);
  }
  const v = new DataView(frame.buffer, frame.byteOffset, CLASSIC_MESSAGE_LENGTH);
  const type = v.getUint32(0, true);
  switch (type) {
    case NFC_CLIENTRANDOM: {
      const end = frame.indexOf(0, 4);
      const nonce = frame.subarray(4, end < 0 ? CLASSIC_MESSAGE_LENGTH : end);
      if (end < 0 || !isNonce(nonce)) throw new NfcProtocolError('the NFC nonce is not NUL-terminated printable ASCII', true);
      return { type, nonce: Buffer.from(nonce).toString('latin1') };
    }
    case NFC_SESSION_PARAMS: return { type };
    case NFC_FILEOP_STATUS: return { type, status: v.getUint32(16, true) };
    case NFC_VERSION: return { type, version: v.getUint32(4, true) };
    case NFC_CONNECTION_DATA: return {
      type,
      nameLength: decodedLength(v.getUint32(4, true), MAX_CONNECTION_DATA_STRING, 'client name'),
      opIdLength: decodedLength(v.getUint32(8, true), MAX_CONNECTION_DATA_STRING, 'op id'),
    };
    case NFC_SESSION_FEATURES: return { type, features: v.getUint32(4, true) };
    case NFC_AIO_SESSION_OPEN: return { type };
    case NFC_SESSION_COMPLETE: return { type };
    case NFC_ERROR: return {
      type,
      errorType: v.getUint32(4, true),
      errorCode: v.getUint32(8, true),
      messageLength: decodedLength(v.getUint32(12, true), MAX_ERROR_MESSAGE_LENGTH, 'error message'),
    };
    default: throw new NfcProtocolError(`unknown classic NFC message type ${type}`, true);
  }
}

/** How many bytes follow the frame of `message` (type 54: both strings; type 20: the message). */
export function classicExtraLength(message: ClassicMessage): number {
  if (message.type === NFC_CONNECTION_DATA) return message.nameLength + message.opIdLength;
  if (message.type === NFC_ERROR) return message.messageLength;
  return 0;
}

/** The two strings after type 54: client name then op id, ASCII, no NULs. */
export function encodeConnectionData(clientName: string, opId: string): { message: ClassicMessage; extra: Buffer } {
  const name = Buffer.from(clientName, 'latin1');
  const op = Buffer.from(opId, 'latin1');
  if (!isPrintable(name) || !isPrintable(op)) throw new NfcProtocolError('connection data strings are printable ASCII', true);
  return {
    message: { type: NFC_CONNECTION_DATA, nameLength: name.length, opIdLength: op.length },
    extra: Buffer.concat([name, op]),
  };
}

export function decodeConnectionData(
  message: { nameLength: number; opIdLength: number }, extra: Uint8Array,
): { clientName: string; opId: string } {
  if (extra.length !== message.nameLength + message.opIdLength) {
    throw new NfcProtocolError(`connection data is ${extra.length} bytes, not the ${message.nameLength + message.opIdLength} announced`, true);
  }
  if (!isPrintable(extra)) throw new NfcProtocolError('connection data is not printable ASCII', true);
  const text = Buffer.from(extra).toString('latin1');
  return { clientName: text.slice(0, message.nameLength), opId: text.slice(message.nameLength) };
}

/** A classic error: the frame and its message (NUL-terminated, counted in messageLength). */
export function encodeClassicError(errorType: number, errorCode: number, text: string): { message: ClassicMessage; extra: Buffer } {
  const bytes = Buffer.from(`${printable(text)}\0`, 'latin1');
  const extra = bytes.length > MAX_ERROR_MESSAGE_LENGTH
    ? Buffer.concat([bytes.subarray(0, MAX_ERROR_MESSAGE_LENGTH - 1), Buffer.alloc(1)]) : bytes;
  return { message: { type: NFC_ERROR, errorType, errorCode, messageLength: extra.length }, extra };
}

/** The text of a classic error's message: up to the first NUL, control characters replaced. */
export function decodeClassicErrorText(extra: Uint8Array): string {
  const end = extra.indexOf(0);
  return printable(Buffer.from(end < 0 ? extra : extra.subarray(0, end)).toString('latin1'));
}

function isPrintable(b: Uint8Array): boolean {
  for (const x of b) if (x < 0x20 || x > 0x7e) return false;
  return true;
}

function isNonce(b: Uint8Array): boolean {
  return b.length >= 1 && b.length <= MAX_NONCE_LENGTH && isPrintable(b);
}

/** A peer's text made safe for a one-line message. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\uffff]/g, '?');
}

function checkedLength(n: number, max: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new NfcProtocolError(`${what} length ${n} is outside 0..${max}`, true);
  return n;
}

function decodedLength(n: number, max: number, what: string): number {
  if (n > max) throw new NfcProtocolError(`${what} length ${n} is more than the ${max} bytes allowed`, true);
  return n;
}
