import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { moref } from '../../vsphere/vim-types.js';
import { SoapFault } from '../../vsphere/soap-fault.js';

/**
 * Datastore paths as vSphere writes them, `[datastore1] web/web.vmdk`, and their resolution to a
 * file inside the datastore's folder. The one confinement rule for the host: a path is judged on
 * real paths (symlinks resolved, the nearest existing folder for a name not yet made), so neither
 * `..` nor a symlink leads out of the datastore.
 */

export interface DatastorePath {
  datastore: string;
  /** The path inside the datastore, `/`-separated, never starting with `/`, without `.` or `..`. */
  path: string;
}

export function formatDatastorePath(datastore: string, path: string): string {
  return `[${datastore}] ${path}`;
}

/** Parse `[name] a/b.vmdk`; InvalidArgument for anything else or for a path climbing out. */
export function parseDatastorePath(text: string, argument = 'fileName'): DatastorePath {
  const m = /^\[([^\]\0]+)\]\s*(.*)$/s.exec(text);
  if (!m) throw invalidDatastorePath(text, argument);
  const raw = m[2]!.replace(/\\/g, '/');
  if (raw.includes('\0') || raw.startsWith('/')) throw invalidDatastorePath(text, argument);
  const normal = posix.normalize(raw === '' ? '.' : raw);
  if (normal === '..' || normal.startsWith('../')) throw invalidDatastorePath(text, argument);
  return { datastore: m[1]!, path: normal === '.' ? '' : normal.replace(/\/$/, '') };
}

function invalidDatastorePath(text: string, argument: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: argument },
    `A specified parameter was not correct: ${argument} (${JSON.stringify(text.slice(0, 200))} is not a datastore path inside a datastore)`);
}

/** FileNotFound as hosts raise it for a datastore path. */
export function fileNotFound(datastorePath: string): SoapFault {
  return new SoapFault({ _type: 'FileNotFound', file: datastorePath }, `File ${datastorePath} was not found`);
}

/**
 * The absolute path of `path` inside the datastore folder `root`, refused (InvalidArgument) when
 * its real path, or the real path of its nearest existing ancestor, lies outside the folder.
 */
export async function confinedPath(root: string, path: string, shown: string): Promise<string> {
  const realRoot = await realpath(root);
  const lexical = resolve(realRoot, path);
  if (!isInside(realRoot, lexical)) throw invalidDatastorePath(shown, 'fileName');
  let probe = lexical;
  let rest = '';
  for (;;) {
    try {
      const real = await realpath(probe);
      const full = rest === '' ? real : join(real, rest);
      if (!isInside(realRoot, full)) throw invalidDatastorePath(shown, 'fileName');
      return full;
    } catch (err) {
      if (err instanceof SoapFault) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fileNotFound(shown);
      if (probe === realRoot) return lexical;
      rest = rest === '' ? relative(dirname(probe), probe) : join(relative(dirname(probe), probe), rest);
      probe = dirname(probe);
    }
  }
}

export function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/** The datastore's moref for faults that name one. */
export const datastoreRef = (value: string) => moref('Datastore', value);
