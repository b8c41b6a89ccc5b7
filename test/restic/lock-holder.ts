import { Repository } from '../../src/restic/repository.js';

// Holds a shared lock on a repository until its stdin closes: for the test that `restic unlock`'s
// SIGHUP probe neither kills a lock holder nor removes its lock. Prints "open" once locked.

const repo = await Repository.open(process.argv[2], process.env.VIXDISK_TEST_PASSWORD ?? '');
process.stdout.write('open\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void repo.close().then(() => process.stdout.write('closed\n'));
});
