import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runVixdisk } from '../support/run-cli.js';
import { startRemoteWorld, type RemoteWorld } from './remote-support.js';

// `vixdisk info | convert` of a disk on a host named by a vix:// URI; the password from the
// environment or a file, never from argv.

let w: RemoteWorld;
before(async () => { w = await startRemoteWorld('vcenter'); });
after(async () => { await w?.close(); });

function uri(extra = ''): string {
  const u = new URL(w.host.ready.url);
  const q = new URLSearchParams({ vm: 'moref=vm-15', disk: '[datastore2] app/app-000001.vmdk', thumbprint: w.host.ready.thumbprintSha1, mode: 'nbd' });
  return `vix://backup@${u.host}/?${q.toString()}${extra}`;
}

test('info and convert of a remote disk; the password from VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE', async () => {
  const env = { ...process.env, VIXDISK_PASSWORD: w.host.password('backup') };
  const info = await runVixdisk(['info', uri()], { env });
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /67108864|64 MiB|131072/);

  const out = join(w.dir, 'copy.raw');
  const pwFile = join(w.dir, 'pw');
  await writeFile(pwFile, `${w.host.password('backup')}\n`, { mode: 0o600 });
  const fileEnv: NodeJS.ProcessEnv = { ...process.env, VIXDISK_PASSWORD_FILE: pwFile };
  delete fileEnv.VIXDISK_PASSWORD;
  const conv = await runVixdisk(['convert', uri(), out], { env: fileEnv });
  assert.equal(conv.code, 0, conv.stderr);
  const want = await w.readDatastoreFile('[datastore2] app/app-000001.vmdk');
  assert.ok((await readFile(out)).equals(want), 'the copy is the host\'s disk');

  const noPw = { ...process.env };
  delete noPw.VIXDISK_PASSWORD;
  delete noPw.VIXDISK_PASSWORD_FILE;
  const missing = await runVixdisk(['info', uri()], { env: noPw });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no password for backup: set VIXDISK_PASSWORD/);
  const inUri = await runVixdisk(['info', uri().replace('backup@', 'backup:secret@')], { env });
  assert.match(inUri.stderr, /a password in the URI would be visible/);
  const wrong = await runVixdisk(['info', uri()], { env: { ...env, VIXDISK_PASSWORD: 'wrong' } });
  assert.match(wrong.stderr, /incorrect user name or password/);
  assert.doesNotMatch(wrong.stderr, /wrong/);
});

test('vixdisk sample -info and -getallocatedblocks against the host (VDDK sample options)', async () => {
  const u = new URL(w.host.ready.url);
  const common = ['-host', u.hostname, '-port', u.port, '-user', 'backup', '-password', w.host.password('backup'),
    '-vm', 'moref=vm-15', '-thumb', w.host.ready.thumbprintSha256, '-mode', 'nbd'];
  const info = await runVixdisk(['sample', '-info', ...common, '[datastore2] app/app.vmdk']);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /capacity {10}= 131072 sectors/);
  assert.match(info.stdout, /adapter type {6}= LsiLogic SCSI/);
  assert.match(info.stdout, /transport mode {4}= nbd/);
  const blocks = await runVixdisk(['sample', '-getallocatedblocks', ...common, '[datastore2] app/app.vmdk']);
  assert.equal(blocks.code, 0, blocks.stderr);
  assert.match(blocks.stdout, /Number of blocks: \d+/);
});
