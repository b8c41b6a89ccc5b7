// Servers the benchmarks start as child processes: a free loopback port for one, and waiting until
// it listens (or failing at once when it exits first).
import net from 'node:net';

/** A TCP port free on 127.0.0.1 now. */
export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Wait until `target` ({ port } on 127.0.0.1, or { path } of a Unix socket) accepts, for up to 10 s. */
export async function waitForListening(target, child) {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${child.spawnargs.join(' ')} exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = target.path ? net.createConnection({ path: target.path }) : net.createConnection({ port: target.port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listening at ${JSON.stringify(target)}`);
}
