import { constants, type Stats } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVALIDDISK, VIX_E_FILE_ACCESS_ERROR } from '../errors/error-codes.js';

// The one confinement check: files a user did not name (the extents a descriptor lists, and the
// files maintenance makes beside them) must lie in the disk's folder, judged on real paths, so a
// symlink inside the folder that points out of it (to a file or a folder) does not escape. A
// symlink that stays inside keeps working; `allowOutside` is the caller's explicit permission.
//
// The check is made when a name is resolved, again right before a file is written by path,
// unlinked or renamed over (recheck), and on every handle opened (open): the file the handle
// really is (/proc/self/fd where the system has it, else the checked path's device and inode)
// must be the confined one, so a symlink swapped in between is caught too.

export class Confinement {
  private constructor(
    /** The folder the disk's descriptor was named in (as named). */
    readonly folder: string,
    /** Its real path: what every extent must lie under. */
    readonly realFolder: string,
    readonly allowOutside: boolean,
    /** The file the user named (the descriptor or monolithic file): never confined, it was chosen. */
    private readonly disk: string,
  ) {}

  /** The confinement of the disk whose descriptor (or monolithic file) is `diskPath`. */
  static async of(diskPath: string, allowOutside = false): Promise<Confinement> {
    const abs = resolve(diskPath);
    const folder = dirname(abs);
    return new Confinement(folder, await realPathOf(folder, abs), allowOutside, abs);
  }

  /** Whether the real path `path` lies in this folder or one below it. */
  holds(path: string): boolean {
    return isUnder(this.realFolder, path);
  }

  /**
   * The real path of the extent a descriptor names `fileName`, refused with VIX_E_FILE_ACCESS_ERROR
   * when it lies outside the folder (by its name: absolute or climbing with `..`; or by where its
   * symlinks lead). A name not yet on disk resolves through its nearest existing folder.
   */
  async extentPath(fileName: string): Promise<string> {
    const name = this.validName(fileName);
    const lexical = resolve(this.folder, name);
    if (!this.allowOutside && (isAbsolute(name) || !isUnder(this.folder, lexical))) throw this.outside(fileName);
    return this.confined(await realPathOf(lexical, this.disk), fileName);
  }

  /**
   * Resolve and open the extent `fileName` for I/O: extentPath then open, with the common case
   * (a plain file beside the descriptor) taken directly as the real folder's entry, opened without
   * following a symlink; when it is one, it is resolved and judged like any other name.
   */
  async openExtent(fileName: string, flags: 'r' | 'r+'): Promise<{ path: string; fh: FileHandle; stats: Stats }> {
    const name = this.validName(fileName);
    if (!name.includes('/') && name !== '.' && name !== '..') {
      const path = join(this.realFolder, name);
      try {
        return { path, ...(await this.openChecked(path, flags)) };
      } catch (err) {
        if (!isSymlinkRefusal(err)) throw err;
      }
    }
    const path = await this.extentPath(fileName);
    return { path, ...(await this.openChecked(path, flags)) };
  }

  /**
   * Check `path` (a real path from extentPath, or a new name in the folder) again, right before
   * acting on it. The disk's own file passes: the user named it.
   */
  async recheck(path: string): Promise<void> {
    if (path === this.disk) return;
    this.confined(await realPathOf(path, this.disk), path);
  }

  /**
   * Open the confined real path `path` (from extentPath) and make sure the handle is the file that
   * was checked: a symlink swapped in since the check is refused, the handle closed.
   */
  async open(path: string, flags: 'r' | 'r+'): Promise<FileHandle> {
    try {
      return (await this.openChecked(path, flags)).fh;
    } catch (err) {
      throw isSymlinkRefusal(err) ? this.outside(path) : err;
    }
  }

  /**
   * Open `path` without following a symlink at its end (a real path has none; one there now was
   * swapped in) and non-blocking (a FIFO cannot hang the open), then confirm where the handle
   * is; only regular files are extents. The disk's own file, named by the user, opens as named.
   */
  private async openChecked(path: string, flags: 'r' | 'r+'): Promise<{ fh: FileHandle; stats: Stats }> {
    const own = path === this.disk;
    const mode = (flags === 'r' ? constants.O_RDONLY : constants.O_RDWR) | (constants.O_NONBLOCK ?? 0) | (own ? 0 : constants.O_NOFOLLOW ?? 0);
    const fh = await open(path, mode);
    try {
      await this.confirm(fh, path);
      const stats = await fh.stat();
      if (!stats.isFile()) throw new VixError(VIX_E_DISK_INVALIDDISK, `${this.disk}: extent ${path} is not a file`);
      return { fh, stats };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  private validName(fileName: string): string {
    const name = fileName.replace(/\\/g, '/');
    if (name === '' || name.includes('\0')) {
      throw new VixError(VIX_E_DISK_INVALIDDISK, `${this.disk}: extent file name "${fileName}" is not valid`);
    }
    return name;
  }

  /** Make sure the open handle `fh`, opened by the checked path `path`, is confined. */
  async confirm(fh: FileHandle, path: string): Promise<void> {
    if (path === this.disk) return;
    const where = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => null);
    if (where !== null && isAbsolute(where)) {
      this.confined(where, path);
      return;
    }
    // No /proc: the handle must be the file now at the checked path, which must still be confined.
    const [opened, named] = await Promise.all([fh.stat(), stat(path)]);
    if (opened.dev !== named.dev || opened.ino !== named.ino) throw this.outside(path);
    await this.recheck(path);
  }

  private confined(real: string, name: string): string {
    if (!this.allowOutside && !isUnder(this.realFolder, real)) throw this.outside(name);
    return real;
  }

  private outside(name: string): VixError {
    return new VixError(VIX_E_FILE_ACCESS_ERROR,
      `${this.disk}: extent "${name}" lies outside the disk's folder; refused (allow outside paths to open it)`);
  }
}

/** The error open(2) gives for a symlink at the end of a path opened with O_NOFOLLOW. */
function isSymlinkRefusal(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ELOOP' || code === 'EMLINK';
}

/** Whether `path` lies strictly inside `folder` (both absolute). */
function isUnder(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Symlinks followed for one name before giving up, as the kernel's limit. */
const MAX_SYMLINKS = 40;

/**
 * The real path of `path`, symlinks resolved; for a name that does not exist (yet), the real path
 * of its nearest existing folder with the rest of the name appended. A dangling symlink resolves
 * to where it points: creating the file through it would create it there.
 */
async function realPathOf(path: string, what: string, links = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'ENOENT' && code !== 'ENOTDIR') || links > MAX_SYMLINKS) throw toVixError(err, what);
    const target = await readlink(path).catch(() => null);
    if (target !== null) return realPathOf(resolve(dirname(path), target), what, links + 1);
    const parent = dirname(path);
    if (parent === path) throw toVixError(err, what);
    return join(await realPathOf(parent, what, links), basename(path));
  }
}
