// Child process of the maintenance crash test: runs one maintenance operation on a disk again and
// again until it is killed (grow: a given number of steps, then it waits). "open" is printed once
// the modules are loaded (the test starts its timer then); "done N" after each completed operation
// (for grow: N = the capacity reached).
import { defragmentDisk } from '../../src/vmdk/defragment.js';
import { growDisk } from '../../src/vmdk/grow.js';
import { shrinkDisk } from '../../src/vmdk/shrink.js';

const [op, path, stepArg] = process.argv.slice(2);
const step = Number(stepArg ?? 0);
let capacity = Number(process.argv[5] ?? 0);
let growSteps = Number(process.argv[6] ?? Infinity);
process.stdout.write('open\n');
for (;;) {
  if (op === 'grow') {
    if (growSteps-- <= 0) {
      await new Promise((r) => setTimeout(r, 60_000)); // done: wait to be killed
      continue;
    }
    capacity += step;
    await growDisk(path!, capacity, { updateGeometry: true });
    process.stdout.write(`done ${capacity}\n`);
  } else if (op === 'shrink') {
    await shrinkDisk(path!);
    process.stdout.write('done 0\n');
  } else if (op === 'defragment') {
    await defragmentDisk(path!);
    process.stdout.write('done 0\n');
  } else {
    throw new Error(`unknown operation ${op}`);
  }
}
