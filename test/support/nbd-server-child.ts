import { createInterface } from 'node:readline';
import { RawFileDevice } from '../../src/block/raw-file.js';
import { NbdServer, type NbdServerOptions } from '../../src/nbd/server.js';

// An NBD server in a process of its own, so a test can measure its memory: `node
// nbd-server-child.js RAW OPTIONS_JSON` serves the raw image on a free loopback port, prints
// {"port": N}, then answers each line on stdin ("stats") with its peak RSS and connection count,
// and stops at the end of stdin.

const [path, optionsJson] = process.argv.slice(2);
const device = await RawFileDevice.open(path!, {});
const options = JSON.parse(optionsJson ?? '{}') as Omit<NbdServerOptions, 'exports'>;
const server = await new NbdServer({ ...options, exports: [{ name: '', device }], port: 0 }).listen();
const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
print({ port: server.port, rssMiB: process.memoryUsage().rss / (1 << 20) });
const lines = createInterface({ input: process.stdin });
lines.on('line', () => print({ maxRssMiB: process.resourceUsage().maxRSS / 1024, connections: server.connectionCount }));
lines.on('close', () => {
  void server.close().then(() => device.close()).then(() => process.exit(0));
});
