// A child process for test/host/cbt.test.ts: opens a change tracking file, freezes once, then
// records scattered ranges from 16 concurrent loops, freezing and rewriting the file now and then, and prints each
// acknowledgment ("rec OFFSET LENGTH", "frozen ID") as soon as its promise resolved, until killed.
import { ChangeTracker } from '../../src/host/cbt/change-tracker.js';
import { xorshift32 } from './xorshift.js';

const [path, seedText] = process.argv.slice(2);
const next = xorshift32(Number(seedText));
const tracker = await ChangeTracker.open(path!);
process.stdout.write(`base ${await tracker.freeze()}\nopen\n`);
const capacity = tracker.capacity;
async function loop(): Promise<void> {
  for (;;) {
    const dice = next() % 400;
    if (dice < 2) {
      process.stdout.write(`frozen ${await tracker.freeze()}\n`);
      continue;
    }
    if (dice === 2) {
      // Same capacity: the whole file is rewritten aside and renamed over, under the kill too.
      await tracker.resize(capacity);
      continue;
    }
    const length = 1 + (next() % (3 * tracker.blockSize));
    const offset = next() % (capacity - length);
    await tracker.record(offset, length);
    process.stdout.write(`rec ${offset} ${length}\n`);
  }
}
await Promise.all(Array.from({ length: 16 }, loop));
