// The local-folder backend, laid out as restic's "default" layout: config, keys/, locks/,
// snapshots/, index/, data/<first two hex digits>/. Saves are atomic the way restic's local backend
// does them: write "<name>-tmp-<random>" in the target folder, fsync, rename, fsync the folder,
// then make the file read-only (0400). Names that are not IDs are never listed, so a temp file left
// by a crash is harmless to us and to restic.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { VixError, toVixError } from '../errors/vix-error.js';
import { VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_ERROR } from '../errors/error-codes.js';
import type { Backend, FileInfo, FileType } from './backend.js';
import { isId } from './id.js';

const DIRS: Record<Exclude<FileType, 'config'>, string> = {
  key: 'keys', lock: 'locks', snapshot: 'snapshots', index: 'index', data: 'data',
};

export class LocalBackend implements Backend {
  constructor(readonly location: string) {}

  private dir(type: FileType, name = ''): string {
    if (type === 'config') return this.location;
    if (type === 'data') return join(this.location, 'data', name.slice(0, 2));
    return join(this.location, DIRS[type]);
  }

  private path(type: FileType, name: string): string {
    if (type === 'config') return join(this.location, 'config');
    if (!isId(name)) throw new VixError(VIX_E_FILE_ERROR, `invalid ${type} file name "${name}"`);
    return join(this.dir(type, name), name);
  }

  async create(): Promise<void> {
    try {
      await stat(join(this.location, 'config'));
      throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${this.location}: a repository already exists there`);
    } catch (e) {
      if (e instanceof VixError) throw e;
    }
    try {
      await mkdir(this.location, { recursive: true, mode: 0o700 });
      for (const d of Object.values(DIRS)) await mkdir(join(this.location, d), { mode: 0o700 }).catch(ignoreExists);
      // restic init makes all 256 data subfolders; doing the same keeps the two indistinguishable.
      for (let i = 0; i < 256; i++) {
        await mkdir(join(this.location, 'data', i.toString(16).padStart(2, '0')), { mode: 0o700 }).catch(ignoreExists);
      }
    } catch (e) {
      throw toVixError(e, this.location);
    }
  }

  async save(type: FileType, name: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const final = this.path(type, name);
    const dir = this.dir(type, name);
    const tmp = `${final}-tmp-${randomBytes(8).toString('hex')}`;
    try {
      if (type === 'data') await mkdir(dir, { recursive: true, mode: 0o700 });
      const fh = await open(tmp, 'wx', 0o600);
      try {
        if (data instanceof Uint8Array) await fh.writeFile(data);
        else await writeAll(fh, data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      await syncDir(dir);
      await chmod(final, 0o400);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw toVixError(e, `${this.location}: saving ${type} ${name}`);
    }
  }

  async load(type: FileType, name: string, offset = 0, length?: number): Promise<Buffer> {
    const p = this.path(type, name);
    let fh;
    try {
      fh = await open(p, 'r');
    } catch (e) {
      throw toVixError(e, `${type} file ${name}`);
    }
    try {
      const size = (await fh.stat()).size;
      const want = length ?? size - offset;
      if (offset < 0 || want < 0 || offset + want > size) {
        throw new VixError(VIX_E_FILE_ERROR, `${type} file ${name}: ${want} bytes at ${offset} lie beyond its end (${size} bytes)`);
      }
      const buf = Buffer.allocUnsafe(want);
      let done = 0;
      while (done < want) {
        const { bytesRead } = await fh.read(buf, done, want - done, offset + done);
        if (bytesRead === 0) throw new VixError(VIX_E_FILE_ERROR, `${type} file ${name}: unexpected end of file`);
        done += bytesRead;
      }
      return buf;
    } catch (e) {
      throw toVixError(e, `${type} file ${name}`);
    } finally {
      await fh.close();
    }
  }

  localPath(type: FileType, name: string): string {
    return this.path(type, name);
  }

  async stat(type: FileType, name: string): Promise<FileInfo> {
    try {
      return { name, size: (await stat(this.path(type, name))).size };
    } catch (e) {
      throw toVixError(e, `${type} file ${name}`);
    }
  }

  async list(type: FileType): Promise<FileInfo[]> {
    if (type === 'config') return [];
    const dirs = type === 'data'
      ? (await readdirOrEmpty(join(this.location, 'data'))).filter((d) => /^[0-9a-f]{2}$/.test(d)).map((d) => join(this.location, 'data', d))
      : [this.dir(type)];
    const out: FileInfo[] = [];
    for (const d of dirs) {
      for (const name of await readdirOrEmpty(d)) {
        if (!isId(name)) continue;
        try {
          out.push({ name, size: (await stat(join(d, name))).size });
        } catch {
          // removed while listing (a lock refreshed by its holder): not there any more
        }
      }
    }
    return out;
  }

  async remove(type: FileType, name: string): Promise<void> {
    try {
      await rm(this.path(type, name), { force: true });
    } catch (e) {
      throw toVixError(e, `removing ${type} ${name}`);
    }
  }
}

function ignoreExists(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EEXIST') throw e;
}

/** One gathered write of every part (libuv's writev goes on until all of it is written or it fails). */
async function writeAll(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const { bytesWritten } = await fh.writev(parts as Uint8Array[]);
  if (bytesWritten !== total) throw new VixError(VIX_E_FILE_ERROR, `short write: ${bytesWritten} of ${total} bytes`);
}

async function readdirOrEmpty(d: string): Promise<string[]> {
  try {
    return await readdir(d);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw toVixError(e, d);
  }
}

/** Make a rename durable: fsync the folder that holds the new name. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
