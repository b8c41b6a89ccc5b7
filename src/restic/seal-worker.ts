// Worker thread of SealPool: hashes the blobs it is given, then seals or drops each as the main
// thread says, with the key it was started with. Buffers are transferred, not copied.

import { parentPort, workerData } from 'node:worker_threads';
import { seal, type ResticKey } from './crypto.js';
import { hashId } from './id.js';

const raw = workerData as { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
const key: ResticKey = { encrypt: Buffer.from(raw.encrypt), macK: Buffer.from(raw.macK), macR: Buffer.from(raw.macR) };
/** Blobs hashed and waiting for the main thread's seal or drop. */
const held = new Map<number, Uint8Array>();

type Message = { op: 'hash'; seq: number; data: ArrayBuffer } | { op: 'seal' | 'drop'; seq: number };

parentPort!.on('message', (m: Message) => {
  if (m.op === 'hash') {
    const data = new Uint8Array(m.data);
    held.set(m.seq, data);
    parentPort!.postMessage({ seq: m.seq, id: hashId(data) });
    return;
  }
  const data = held.get(m.seq);
  held.delete(m.seq);
  if (!data) return;
  // The plaintext's memory goes back with the answer, for the main thread's next read.
  const spare = data.buffer as ArrayBuffer;
  if (m.op === 'drop') {
    parentPort!.postMessage({ seq: -1, spare }, [spare]);
    return;
  }
  const sealed = seal(key, data);
  // seal() allocates outside Node's pool, so the buffer is the whole ArrayBuffer: hand it over.
  const ab = sealed.byteOffset === 0 && sealed.buffer.byteLength === sealed.length
    ? sealed.buffer as ArrayBuffer
    : sealed.buffer.slice(sealed.byteOffset, sealed.byteOffset + sealed.length) as ArrayBuffer;
  parentPort!.postMessage({ seq: m.seq, sealed: ab, spare }, [ab, spare]);
});
