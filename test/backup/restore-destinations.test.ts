import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertOneLineError } from '../support/run-cli.js';
import { startServe } from '../support/serve-process.js';
import { readDisk, restoreFixture, type RestoreFixture } from './restore-fixture.js';

// vixdisk restore --all into a folder, into an NBD export in place, and what it refuses.

let f: RestoreFixture;
before(async () => { f = await restoreFixture(); });
after(async () => { await f?.close(); });

test('restore --all writes every disk named as on the datastore, and the .vmx', async () => {
  const folder = join(f.dir, 'all');
  await f.ok(['restore', '-r', f.repoPath, 'latest', '--vm', 'web', '--all', '--to', folder, '-q']);
  assert.deepEqual((await readdir(folder)).sort(), ['web.vmdk', 'web.vmx', 'web_1.vmdk']);
  assert.ok((await readDisk(join(folder, 'web.vmdk'))).equals(f.webIncr[0]!));
  assert.ok((await readDisk(join(folder, 'web_1.vmdk'))).equals(f.webIncr[1]!));
  assert.match(await readFile(join(folder, 'web.vmx'), 'utf8'), /scsi0:1.fileName = "web_1.vmdk"/);
});

test('refusals: one line each, nothing written', async () => {
  const out = join(f.dir, 'refused.img');
  assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, 'latest', '--vm', 'web', '--to', out]), 3, 'two disks, none picked', 2);
  assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, f.ids.other!.slice(0, 8), '--to', out]), 3, 'not a vixdisk backup', 1);
  const line = assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, f.ids.badDigest!, '--to', out]), 7, 'digest mismatch', 1);
  assert.match(line, /digest/);
  assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, 'latest', '--to', out], { RESTIC_PASSWORD: 'wrong' }), 35, 'wrong password', 1);
  assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, 'latest', '--vm', 'nosuchvm', '--to', out]), 25, 'no such VM', 1);
  assertOneLineError(await f.vixdisk(['restore', '-r', join(f.dir, 'nothing'), 'latest', '--to', out]), 4, 'no repository', 1);
  assertOneLineError(await f.vixdisk(['restore', '--to', out], { RESTIC_REPOSITORY: '' }), 3, 'no --repo', 2);
  await assert.rejects(stat(out), /ENOENT/);
  const existing = join(f.dir, 'existing.img');
  await writeFile(existing, 'keep me');
  assert.match(assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, '--to', existing]), 12, 'existing destination', 1), /--force/);
  assert.equal(await readFile(existing, 'utf8'), 'keep me');
  await f.ok(['restore', '-r', f.repoPath, '--to', existing, '--force', '-q']);
  assert.ok((await readFile(existing)).equals(f.db));
});

test('restore into an NBD export: written in place, holes as zeros over what was there', async (t) => {
  const target = join(f.dir, 'export.img');
  await writeFile(target, Buffer.alloc(f.webIncr[0]!.length, 0xee));
  const sock = join(f.dir, 'restore.sock');
  const serve = await startServe(t, ['--socket', sock, target]);
  const r = await f.ok(['restore', '-r', f.repoPath, f.ids.webIncr!, '--disk', '0', '--to', serve.uri, '--json']);
  assert.equal((JSON.parse(r.stdout) as { disks: Array<{ destinationType: string }> }).disks[0]!.destinationType, 'raw');
  assert.equal(await serve.stop(), 0);
  assert.ok((await readFile(target)).equals(f.webIncr[0]!), 'the export holds the restore point, its holes zeroed');
  assertOneLineError(await f.vixdisk(['restore', '-r', f.repoPath, '--to', 'nbd+unix:///?socket=' + sock, '--type', 'streamOptimized']), 3, 'NBD with a VMDK type', 2);
});
