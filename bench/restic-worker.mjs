// One timed run of our restic writer: store a raw image into an existing repository in 1 MiB
// fixed-size chunks and snapshot it, as the backup job will. The password comes from the
// environment (VIXDISK_BENCH_PASSWORD), never argv.
// Usage: node bench/restic-worker.mjs REPO IMAGE
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { Repository } from '../dist/src/restic/repository.js';
import { saveTreeOf } from '../dist/src/restic/tree-builder.js';

const CHUNK = 1 << 20;
const [repoPath, image] = process.argv.slice(2);
const repo = await Repository.open(repoPath, process.env.VIXDISK_BENCH_PASSWORD ?? '');
const fh = await open(image, 'r');
const size = (await fh.stat()).size;
const content = [];
for (let off = 0; off < size; off += CHUNK) {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - off));
  const { bytesRead } = await fh.read(buf, 0, buf.length, off);
  if (bytesRead !== buf.length) throw new Error(`short read at ${off}`);
  content.push(await repo.saveBlob('data', buf));
}
await fh.close();
const time = new Date().toISOString();
const tree = await saveTreeOf(repo, [{ path: [basename(image)], node: { type: 'file', mode: 0o644, mtime: time, atime: time, ctime: time, size, links: 1, content } }]);
await repo.saveSnapshot({ tree, paths: ['/' + basename(image)], tags: ['bench'] });
await repo.close();
process.stdout.write(`${JSON.stringify(repo.stats)}\n`);
