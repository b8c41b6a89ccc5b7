// Worker thread of OpenPool: opens blobs with the key it was started with. For each one it reads
// the sealed bytes from the pack file into Poly1305's memory (no copy before the MAC), checks the
// MAC, deciphers straight into the caller's shared buffer and checks the plaintext's SHA-256
// against the blob's ID. Reads are synchronous on purpose: this thread has no other work to keep
// responsive, and the region it reads into must stay put until the MAC is computed.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { VixError, toVixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import { openInto, type ResticKey } from './crypto.js';
import type { OpenKeyMessage, OpenReply, OpenTask } from './open-pool.js';
import { poly1305Memory } from './poly1305.js';

/** Set by the pool's first message (the thread may start before the key is known). */
let key: ResticKey | null = null;

/** Pack files kept open, least recently used first: a restore reads a pack's blobs one after another. */
const MAX_OPEN = 8;
const files = new Map<string, number>();

function fileOf(path: string): number {
  let fd = files.get(path);
  if (fd !== undefined) {
    files.delete(path);
  } else {
    fd = openSync(path, 'r');
    if (files.size >= MAX_OPEN) {
      const [oldPath, oldFd] = files.entries().next().value as [string, number];
      files.delete(oldPath);
      closeSync(oldFd);
    }
  }
  files.set(path, fd);
  return fd;
}

function readSealed(t: OpenTask, into: Uint8Array): void {
  if (t.bytes) {
    into.set(new Uint8Array(t.bytes));
    return;
  }
  let fd: number;
  try {
    fd = fileOf(t.path!);
  } catch (e) {
    throw toVixError(e, t.fileWhat);
  }
  for (let done = 0; done < into.length;) {
    const n = readSync(fd, into, done, into.length - done, t.offset + done);
    if (n === 0) throw new VixError(VIX_E_FILE_ERROR, `${t.fileWhat}: ${t.length} bytes at ${t.offset} lie beyond its end (truncated)`);
    done += n;
  }
}

parentPort!.on('message', (t: OpenTask | OpenKeyMessage | 'close') => {
  if (typeof t === 'object' && 'key' in t) {
    key = { encrypt: Buffer.from(t.key.encrypt), macK: Buffer.from(t.key.macK), macR: Buffer.from(t.key.macR) };
    return;
  }
  if (t === 'close') {
    for (const fd of files.values()) closeSync(fd);
    files.clear();
    parentPort!.close();
    return;
  }
  let reply: OpenReply;
  try {
    const sealed = poly1305Memory(t.length);
    readSealed(t, sealed);
    const dest = new Uint8Array(t.dest, t.destOffset, t.destLength);
    const hash = createHash('sha256');
    openInto(key!, sealed, dest, t.what, hash);
    if (hash.digest('hex') !== t.id) throw new VixError(VIX_E_FILE_ERROR, `${t.what}: content does not match its ID (corrupted)`);
    reply = { seq: t.seq };
  } catch (e) {
    const v = toVixError(e);
    reply = { seq: t.seq, error: { code: v.code, message: v.message } };
  }
  parentPort!.postMessage(reply);
});
