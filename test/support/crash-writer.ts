// Child process of the crash-safety test: writes the planned writes into a disk and reports each
// flush on stdout ("flushed N" = writes 0..N-1 are durable), until it is killed.
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { fillFor, plannedWrite } from './crash-plan.js';

const [path, seedArg, flushEveryArg] = process.argv.slice(2);
const seed = Number(seedArg);
const flushEvery = Number(flushEveryArg ?? 4);
const disk = await VmdkDisk.open(path!);
process.stdout.write('open\n');
for (let i = 0; ; i++) {
  const w = plannedWrite(seed, i, disk.capacity);
  await disk.write(w.offset, fillFor(w, i));
  if ((i + 1) % flushEvery === 0) {
    await disk.flush();
    process.stdout.write(`flushed ${i + 1}\n`);
  }
}
