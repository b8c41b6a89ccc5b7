import { promisify } from 'node:util';
import { constants as zlibConstants, deflate, inflate } from 'node:zlib';
import {
  COMPRESSION_FASTLZ, COMPRESSION_NONE, COMPRESSION_SKIPZ, COMPRESSION_ZLIB, compressBound,
} from '../../nfc/aio-message.js';
import { NfcProtocolError } from '../../nfc/nfc-protocol-error.js';
import { decodeSkipz, encodeSkipz } from '../../nfc/skipz.js';
import { decodeFastlz, encodeFastlz } from '../../nfc/fastlz.js';

// Compression of one IO fragment (vsphere-remote.md §4.6), as the host does it: each fragment on
// its own; a read fragment is sent with the type the client asked for, or uncompressed when that
// does not make it smaller (the reference says a host may); a write fragment is decompressed into
// exactly its uncompressed length, never more. zlib runs in Node's thread pool, off the event loop.

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

/** A read fragment as sent: the compression type used and the bytes that follow the IO payload. */
export interface EncodedFragment {
  compression: number;
  extra: Uint8Array;
}

/** `data` in the requested compression (FastLZ at level 1), or uncompressed when that does not help. */
export async function compressFragment(compression: number, data: Uint8Array): Promise<EncodedFragment> {
  if (compression === COMPRESSION_SKIPZ) {
    const encoded = encodeSkipz(data);
    if (encoded) return { compression, extra: encoded };
  } else if (compression === COMPRESSION_FASTLZ) {
    const encoded = encodeFastlz(data);
    if (encoded) return { compression, extra: encoded };
  } else if (compression === COMPRESSION_ZLIB && data.length > 0) {
    const encoded = await deflateAsync(data, { level: zlibConstants.Z_BEST_SPEED });
    if (encoded.length < data.length) return { compression, extra: encoded };
  }
  return { compression: COMPRESSION_NONE, extra: data };
}

/**
 * A write fragment's extra as `length` uncompressed bytes, into `target` when given (exactly
 * `length` bytes). Errors are request errors (the frame was consumed): NfcProtocolError, not fatal.
 */
export async function decompressFragment(compression: number, extra: Uint8Array, length: number, target: Uint8Array): Promise<Uint8Array> {
  switch (compression) {
    case COMPRESSION_NONE:
      if (extra.length !== length) throw new NfcProtocolError(`IO fragment carries ${extra.length} bytes for ${length}`, false);
      return extra;
    case COMPRESSION_SKIPZ:
      decodeSkipz(extra, target);
      return target;
    case COMPRESSION_FASTLZ:
      decodeFastlz(extra, target);
      return target;
    case COMPRESSION_ZLIB: {
      if (extra.length > compressBound(length)) throw new NfcProtocolError('zlib fragment is larger than its bound', false);
      let out: Buffer;
      try {
        out = await inflateAsync(extra, { maxOutputLength: Math.max(length, 1) });
      } catch (err) {
        const why = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past its ${length} bytes` : 'is not a valid zlib stream';
        throw new NfcProtocolError(`zlib fragment ${why}`, false);
      }
      if (out.length !== length) throw new NfcProtocolError(`zlib fragment inflates to ${out.length} bytes, not ${length}`, false);
      return out;
    }
    default:
      throw new NfcProtocolError(`IO compression type ${compression} is unknown`, false);
  }
}
