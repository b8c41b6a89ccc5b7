import { join } from 'node:path';
import { VmdkDisk } from '../../src/vmdk/disk.js';

// Reading a VMDK (or chain) whole through our engine, and where a `vixdisk host`'s datastore path
// lies in its data folder: what the host, remote and backup tests compare against.

export async function readWholeDisk(path: string, options: { lock?: boolean } = {}): Promise<Buffer> {
  const disk = await VmdkDisk.open(path, { readOnly: true, ...(options.lock === false ? { lock: false } : {}) });
  try {
    const out = Buffer.alloc(disk.capacity);
    await disk.read(0, out);
    return out;
  } finally {
    await disk.close();
  }
}

/** `[datastore1] web/web.vmdk` of the host whose data folder is `hostDir`, as a local path. */
export function datastoreFile(hostDir: string, path: string): string {
  const m = /^\[([^\]]+)\]\s*(.+)$/.exec(path);
  if (!m) throw new Error(`not a datastore path: ${path}`);
  return join(hostDir, 'datastores', m[1]!, m[2]!);
}
