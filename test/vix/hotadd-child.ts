import { createVixDiskLib } from '../../src/vix/vixdisklib.js';
import { VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';

// A backup process killed mid-HotAdd (remote-hotadd.test.ts): it attaches a snapshot disk to the
// proxy, says so on stdout, and waits to be SIGKILLed with the disk attached and open.
// The connection parameters (with the password) come in the environment, never argv.

const params = JSON.parse(process.env.VIXDISK_TEST_PARAMS ?? '{}');
const lib = createVixDiskLib();
await lib.InitEx(8, 0, null, null, null, null, process.env.VIXDISK_TEST_CONFIG ?? null);
const conn = await lib.ConnectEx(params, true, process.env.VIXDISK_TEST_SNAPSHOT ?? null, 'hotadd');
const h = await lib.Open(conn, process.env.VIXDISK_TEST_DISK ?? '', VIXDISKLIB_FLAG_OPEN_READ_ONLY);
process.stdout.write(`attached ${lib.GetTransportMode(h)}\n`);
setInterval(() => undefined, 1 << 30);
