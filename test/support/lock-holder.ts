// Child process of the lock tests: opens a disk through the VixDiskLib API (argv: PATH rw|ro) and
// holds it. Prints "open" once it holds the disk, or "error CODE MESSAGE" when Open fails (then
// exits 0). On the line "close" on stdin it closes the disk, prints "closed" and exits; otherwise
// it stays until it is killed.
import { createInterface } from 'node:readline';
import { createVixDiskLib, VixError, VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/index.js';

const [path, mode] = process.argv.slice(2);
const lib = createVixDiskLib();
await lib.InitEx(8, 0, () => {}, () => {}, null, null, null);
const conn = await lib.Connect(null);
try {
  const handle = await lib.Open(conn, path!, mode === 'ro' ? VIXDISKLIB_FLAG_OPEN_READ_ONLY : 0);
  process.stdout.write('open\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'close') continue;
    await lib.Close(handle);
    process.stdout.write('closed\n');
    break;
  }
} catch (err) {
  process.stdout.write(`error ${err instanceof VixError ? err.code : -1} ${err instanceof Error ? err.message : String(err)}\n`);
}
await lib.Disconnect(conn);
lib.Exit();
process.exit(0);
