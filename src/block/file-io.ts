import type { FileHandle } from 'node:fs/promises';

/**
 * Positioned reads and writes that finish the whole request (the OS may return short counts).
 * readAt fills what lies past end of file with zeros and returns how many bytes came from the file.
 */
export async function readAt(fh: FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done < buf.length) buf.fill(0, done);
  return done;
}

/**
 * One positioned read into several buffers, filled one after another from `position` on (preadv):
 * bytes that follow each other in the file but go to separate places cost one system call and one
 * trip through the thread pool, not one each. Past end of file they read as zeros, as readAt.
 */
export async function readvAt(fh: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let views = buffers;
  let at = position;
  while (views.length > 0) {
    const { bytesRead } = await fh.readv(views, at);
    if (bytesRead === 0) {
      for (const v of views) v.fill(0);
      return;
    }
    at += bytesRead;
    // A short read: go on from the first byte not read.
    let skip = bytesRead;
    let i = 0;
    while (i < views.length && skip >= views[i]!.length) skip -= views[i++]!.length;
    views = views.slice(i);
    if (skip > 0) views[0] = views[0]!.subarray(skip);
  }
}

export async function writeAt(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
