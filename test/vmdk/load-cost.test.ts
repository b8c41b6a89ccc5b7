import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../support/temp-dir.js';

// Start-up is most of a small conversion's time. node:crypto (10-20 ms to load) and node:zlib (a
// few ms) are needed only for secrets and compressed grains: a process that creates, writes, opens
// and converts uncompressed VMDKs must not load them.

const run = promisify(execFile);

test('creating, writing, opening and converting monolithicSparse disks loads neither node:crypto nor node:zlib', async (t) => {
  const dir = await tempDir(t);
  const src = new URL('../../src/', import.meta.url).href;
  const script = join(dir, 'convert.mjs');
  await writeFile(script, `
    const { createDevice, openDevice } = await import('${src}device/open-device.js');
    const { copyDevice } = await import('${src}block/copy.js');
    const dir = ${JSON.stringify(dir)};
    const a = await createDevice(dir + '/a.vmdk', { capacity: 4 << 20, type: 'monolithicSparse' });
    await a.write(1 << 20, new Uint8Array(65536).fill(5));
    await a.close();
    for (const [from, to] of [['a.vmdk', 'b.raw'], ['b.raw', 'c.vmdk']]) {
      const s = await openDevice(dir + '/' + from, { readOnly: true });
      const d = await createDevice(dir + '/' + to, { capacity: s.capacity, type: 'monolithicSparse', cache: 'unsafe' });
      await copyDevice(s, d, { destinationIsZero: true });
      await s.close();
      await d.close();
    }
    const c = await openDevice(dir + '/c.vmdk', { readOnly: true });
    const back = new Uint8Array(65536);
    await c.read(1 << 20, back);
    await c.close();
    console.log(JSON.stringify({
      data: back.every((b) => b === 5),
      loaded: process.moduleLoadList.filter((m) => /^NativeModule (crypto|zlib)$/.test(m)),
    }));
  `);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // its certificates are parsed at start-up, with crypto
  const { stdout } = await run(process.execPath, [script], { env });
  assert.deepEqual(JSON.parse(stdout), { data: true, loaded: [] });
});
