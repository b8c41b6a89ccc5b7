// Worker thread of SealPool: seals blobs with the key it was started with. Input and output
// buffers are transferred, not copied.

import { parentPort, workerData } from 'node:worker_threads';
import { seal, type ResticKey } from './crypto.js';

const raw = workerData as { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
const key: ResticKey = { encrypt: Buffer.from(raw.encrypt), macK: Buffer.from(raw.macK), macR: Buffer.from(raw.macR) };

parentPort!.on('message', (m: { seq: number; data: ArrayBuffer }) => {
  const sealed = seal(key, new Uint8Array(m.data));
  // seal() allocates outside Node's pool, so the buffer is the whole ArrayBuffer: hand it over.
  const ab = sealed.byteOffset === 0 && sealed.buffer.byteLength === sealed.length
    ? sealed.buffer as ArrayBuffer
    : sealed.buffer.slice(sealed.byteOffset, sealed.byteOffset + sealed.length) as ArrayBuffer;
  parentPort!.postMessage({ seq: m.seq, sealed: ab }, [ab]);
});
