import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findSnapshot } from '../../src/vsphere/vm-operations.js';
import { moRef } from '../../src/vsphere/vim-client.js';
import { runVixdisk } from '../support/run-cli.js';
import { startRemoteWorld, type RemoteWorld } from '../vix/remote-support.js';

// `vixdisk sample`'s reading commands with vixDiskLibSample's remote options against `vixdisk host`
// (vCenter), on a snapshot's disk, checked against the host's datastore file (create, redo, clone
// and check are local-only in VDDK too).

describe('vixdisk sample reading a snapshot disk on vixdisk host', () => {
  let w: RemoteWorld;
  let common: string[];
  let env: NodeJS.ProcessEnv;
  before(async () => {
    w = await startRemoteWorld('vcenter');
    const u = new URL(w.host.ready.url);
    common = ['-host', u.hostname, '-port', u.port, '-user', 'administrator', '-thumb', w.host.ready.thumbprintSha1, '-mode', 'nbdssl'];
    env = { ...process.env, VIXDISK_PASSWORD: w.host.password('administrator') };
    delete env.VIXDISK_PASSWORD_FILE;
  });
  after(async () => { await w?.close(); });
  const sample = (args: string[], e: NodeJS.ProcessEnv = env) => runVixdisk(['sample', ...args], { env: e, timeoutMs: 120_000 });

  test('-dump, -rmeta, -meta, -readbench and -getallocatedblocks of a snapshot disk (-ssmoref, -readonly)', async () => {
    const vim = await w.vim('administrator');
    const nightly = await findSnapshot(vim, moRef('VirtualMachine', 'vm-15'), 'nightly');
    const disk = '[datastore2] app/app.vmdk';
    const at = ['-vm', 'moref=vm-15', '-ssmoref', nightly.ref.value, '-readonly'];
    const want = await w.readDatastoreFile(disk);
    // The first sector with data, dumped: the hex is the host's file.
    let sector = 0;
    while (sector * 512 < want.length && want.subarray(sector * 512, sector * 512 + 512).every((b) => b === 0)) sector++;
    assert.ok(sector * 512 < want.length, 'the default disk holds data');
    const dump = await sample(['-dump', ...common, ...at, '-start', String(sector), '-count', '2', disk]);
    assert.equal(dump.code, 0, dump.stderr);
    const bytes = Buffer.from(dump.stdout.split('\n').filter((l) => /^[0-9a-f]{8}: /.test(l)).map((l) => l.slice(10, 57).replace(/ /g, '')).join(''), 'hex');
    assert.equal(bytes.length, 1024);
    assert.ok(bytes.equals(want.subarray(sector * 512, sector * 512 + 1024)), 'dumped sectors are the host\'s');

    const rmeta = await sample(['-rmeta', 'adapterType', ...common, ...at, disk]);
    assert.equal(rmeta.code, 0, rmeta.stderr);
    assert.equal(rmeta.stdout.trim(), 'adapterType = lsilogic');
    const meta = await sample(['-meta', ...common, ...at, disk]);
    assert.equal(meta.code, 0, meta.stderr);
    assert.match(meta.stdout, /^adapterType = lsilogic$/m);
    assert.match(meta.stdout, /^geometry\.cylinders = \d+$/m);
    const bench = await sample(['-readbench', '2048', ...common, ...at, disk]);
    assert.equal(bench.code, 0, bench.stderr);
    assert.match(bench.stdout, /^Read 64\.0 MB in [\d.]+ s: [\d.]+ MB\/s \(block 2048 sectors\)$/m);
    const blocks = await sample(['-getallocatedblocks', ...common, '-snapshot', nightly.ref.value, '-vm', 'moref=vm-15', disk]);
    assert.equal(blocks.code, 0, blocks.stderr);
    const listed = [...blocks.stdout.matchAll(/^offset (\d+), length (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    assert.ok(listed.length >= 1);
    assert.match(blocks.stdout, new RegExp(`Number of blocks: ${listed.length}\\n`));
    // Every non-zero 64 KiB chunk is inside a listed block.
    for (let c = 0; c < want.length / 65536; c++) {
      if (want.subarray(c * 65536, (c + 1) * 65536).every((b) => b === 0)) continue;
      assert.ok(listed.some(([o, l]) => o <= c * 128 && c * 128 < o + l), `chunk ${c} has data and is listed`);
    }
    const cleanup = await sample(['-cleanup', ...common, '-vm', 'moref=vm-15', disk]);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, /^Did cleanup: \d+ cleaned up, \d+ remaining\.$/m);
  });

});
