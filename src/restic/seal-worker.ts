// Worker thread of SealPool: seals blobs, or opens them (MAC check, then decrypt), with the key it
// was started with. Input and output buffers are transferred, not copied.

import { parentPort, workerData } from 'node:worker_threads';
import { open, seal, type ResticKey } from './crypto.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_FAIL } from '../errors/error-codes.js';

const raw = workerData as { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
const key: ResticKey = { encrypt: Buffer.from(raw.encrypt), macK: Buffer.from(raw.macK), macR: Buffer.from(raw.macR) };

/** The bytes of `b` as an ArrayBuffer that can be transferred: its own when it spans all of it. */
function transferable(b: Buffer): ArrayBuffer {
  return b.byteOffset === 0 && b.buffer.byteLength === b.length
    ? b.buffer as ArrayBuffer
    : b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

parentPort!.on('message', (m: { seq: number; data: ArrayBuffer; openWhat?: string }) => {
  if (m.openWhat === undefined) {
    const ab = transferable(seal(key, new Uint8Array(m.data)));
    parentPort!.postMessage({ seq: m.seq, sealed: ab }, [ab]);
    return;
  }
  try {
    const ab = transferable(open(key, new Uint8Array(m.data), m.openWhat));
    parentPort!.postMessage({ seq: m.seq, sealed: ab }, [ab]);
  } catch (e) {
    // A failed MAC check is a VixError; its code and one-line message cross back to the caller.
    const code = e instanceof VixError ? e.code : VIX_E_FAIL;
    parentPort!.postMessage({ seq: m.seq, error: { code, message: (e as Error).message } });
  }
});
