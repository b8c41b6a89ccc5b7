import { randomBytes } from 'node:crypto';
import type { Repository } from '../../src/restic/repository.js';
import { saveTreeOf, type TreeEntry } from '../../src/restic/tree-builder.js';

// Files for the round-trip tests: random data with a repeated chunk, zero chunks, an odd tail, an
// empty file, nested folders and names restic must quote.

export const CHUNK = 1 << 20;

export interface SampleFile {
  path: string[];
  data: Buffer;
}

export function sampleFiles(): SampleFile[] {
  const a = randomBytes(CHUNK);
  const disk = Buffer.concat([a, randomBytes(CHUNK), Buffer.alloc(2 * CHUNK), a, randomBytes(CHUNK / 3)]);
  return [
    { path: ['vm', 'disk-0.raw'], data: disk },
    { path: ['vm', 'empty.raw'], data: Buffer.alloc(0) },
    { path: ['vm', 'deep', 'er', 'small.txt'], data: Buffer.from('hello restic\n') },
    { path: ['odd names', 'a\\b"c\té.txt'], data: randomBytes(1000) },
  ];
}

/** Store `files` in fixed-size chunks and return the root tree ID (no snapshot yet). */
export async function storeFiles(repo: Repository, files: SampleFile[], chunk = CHUNK): Promise<string> {
  const time = '2026-01-02T03:04:05.123456789Z';
  const entries: TreeEntry[] = [];
  for (const f of files) {
    const content: string[] = [];
    for (let o = 0; o < f.data.length; o += chunk) content.push(await repo.saveBlob('data', f.data.subarray(o, o + chunk)));
    entries.push({ path: f.path, node: { type: 'file', mode: 0o644, mtime: time, atime: time, ctime: time, size: f.data.length, links: 1, content } });
  }
  return saveTreeOf(repo, entries, time);
}

/** A file's bytes read back through our reader. */
export async function readBack(repo: Repository, tree: string, path: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of repo.readFile(await repo.findNode(tree, path))) parts.push(b);
  return Buffer.concat(parts);
}
