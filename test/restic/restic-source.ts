import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Repository } from '../../src/restic/repository.js';
import type { Node } from '../../src/restic/tree.js';

// What restic backs up in the tests where restic writes and we read, and how we read it back.

/** Files restic backs up: random (compressed by restic anyway), text-like, zeros, empty, nested, odd names. */
export async function makeSource(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['random.bin', randomBytes(3 * 1024 * 1024 + 17)],
    ['text.txt', Buffer.from('vixdisk writes restic repositories\n'.repeat(40_000))],
    ['zeros.img', Buffer.alloc(4 * 1024 * 1024)],
    ['empty', Buffer.alloc(0)],
    ['sub/deeper/small', Buffer.from('hello restic\n')],
    ['sub/a\\b"c\té', randomBytes(100)],
  ]);
  for (const [rel, data] of files) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), data);
  }
  await symlink('random.bin', join(dir, 'link'));
  return files;
}

/** Every file under `tree` (paths relative to it), read back through our reader. */
export async function readAll(repo: Repository, tree: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const n of await repo.loadTree(tree)) {
    const p = prefix + n.name;
    if (n.type === 'dir') for (const [k, v] of await readAll(repo, n.subtree!, p + '/')) out.set(k, v);
    else if (n.type === 'file') out.set(p, await readNode(repo, n));
  }
  return out;
}

export async function readNode(repo: Repository, n: Node): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of repo.readFile(n)) parts.push(b);
  return Buffer.concat(parts);
}

/** The tree of the backed-up folder `src` inside a snapshot of its absolute path. */
export async function sourceTree(repo: Repository, root: string, src: string): Promise<string> {
  const node = await repo.findNode(root, src.split('/').filter(Boolean));
  assert.equal(node.type, 'dir');
  return node.subtree!;
}

