import { Repository } from '../../src/restic/repository.js';
import { xorshift32 } from '../support/xorshift.js';
import { CHUNK, storeFiles } from './sample-files.js';

// A writer for the crash test: stores `chunks` deterministic chunks (the same for one seed, so a
// rerun can reuse what a killed run uploaded) as one file, and snapshots it. The password comes
// through the environment. Prints "open" once the repository is open, then "snapshot <id>".

/** The file a seed stands for: pseudo-random chunks with every fourth chunk zero. */
export function crashData(seed: number, chunks: number): Buffer {
  const next = xorshift32(seed);
  const data = Buffer.alloc(chunks * CHUNK);
  for (let c = 0; c < chunks; c++) {
    if (c % 4 === 3) continue;
    for (let o = c * CHUNK; o < (c + 1) * CHUNK; o += 4) data.writeUInt32LE(next(), o);
  }
  return data;
}

async function main(): Promise<void> {
  const [repoPath, seed, chunks] = process.argv.slice(2);
  const data = crashData(Number(seed), Number(chunks));
  const repo = await Repository.open(repoPath, process.env.VIXDISK_TEST_PASSWORD ?? '', { packSize: 2 * CHUNK, indexIntervalMs: 0 });
  process.stdout.write('open\n');
  const tree = await storeFiles(repo, [{ path: ['disk.raw'], data }]);
  const id = await repo.saveSnapshot({ tree, paths: ['/disk.raw'] });
  await repo.close();
  process.stdout.write(`snapshot ${id} stored ${repo.stats.blobsStored} known ${repo.stats.blobsKnown}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
