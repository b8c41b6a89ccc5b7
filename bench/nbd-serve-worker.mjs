#!/usr/bin/env node
// `vixdisk serve` for the NBD benchmark, until SIGTERM: serveCommand from the compiled tree (the
// same function the CLI calls). Usage: nbd-serve-worker.mjs DISK 'JSON options'
import { serveCommand } from '../dist/src/cli/serve.js';

const [disk, json] = process.argv.slice(2);
await serveCommand(disk, { ...JSON.parse(json ?? '{}'), log: () => undefined });
