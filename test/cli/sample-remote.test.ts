import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runVixdisk } from '../support/run-cli.js';
import { startRemoteWorld, type RemoteWorld } from '../vix/remote-support.js';

// `vixdisk sample` with vixDiskLibSample's remote options against `vixdisk host` (vCenter): the
// password's sources, a fill landing in the host's datastore file, -readonly refusing it
// (sample-remote-read.test.ts: the reading commands).

describe('vixdisk sample against vixdisk host', () => {
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

  test('-password works as in VMware\'s sample but warns once that argv is visible; the variable does not warn', async () => {
    const noVar = { ...env };
    delete noVar.VIXDISK_PASSWORD;
    const password = w.host.password('administrator');
    const withFlag = await sample(['-info', ...common, '-password', password, '-vm', 'moref=vm-14', '[datastore1] db/db.vmdk'], noVar);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    const warnings = withFlag.stderr.split('\n').filter((l) => l !== '');
    assert.equal(warnings.length, 1, withFlag.stderr);
    assert.match(warnings[0]!, /-password is visible to every user of this machine .*VIXDISK_PASSWORD/);
    assert.ok(!(withFlag.stdout + withFlag.stderr).includes(password));
    const fromVar = await sample(['-info', ...common, '-vm', 'moref=vm-14', '[datastore1] db/db.vmdk']);
    assert.equal(fromVar.code, 0, fromVar.stderr);
    assert.equal(fromVar.stderr, '');
    assert.match(fromVar.stdout, /capacity {10}= 131072 sectors/);
    assert.match(fromVar.stdout, /transport mode {4}= nbdssl/);
    const none = await sample(['-info', ...common, '-vm', 'moref=vm-14', '[datastore1] db/db.vmdk'], noVar);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no password for administrator: set VIXDISK_PASSWORD/);
    const noUser = await sample(['-info', ...common.filter((a, i) => a !== 'administrator' && common[i + 1] !== 'administrator'), '-vm', 'moref=vm-14', '[datastore1] db/db.vmdk']);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /-user is required with -host/);
  });

  test('-fill of a powered-off VM\'s disk lands in the datastore file; with -readonly it is refused and changes nothing', async () => {
    const disk = '[datastore1] db/db.vmdk';
    const before = await w.readDatastoreFile(disk);
    const refused = await sample(['-fill', ...common, '-vm', 'moref=vm-14', '-readonly', '-start', '300', '-count', '3', '-val', '171', disk]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^vixdisk: \[datastore1\] db\/db\.vmdk is open read-only \(VIX error 11\)$/m);
    assert.ok((await w.readDatastoreFile(disk)).equals(before), 'a refused fill changes nothing');

    const fill = await sample(['-fill', ...common, '-vm', 'moref=vm-14', '-start', '300', '-count', '3', '-val', '171', disk]);
    assert.equal(fill.code, 0, fill.stderr);
    assert.match(fill.stdout, /Filled sectors 300\.\.302 with 0xab\./);
    const after = await w.readDatastoreFile(disk);
    assert.ok(after.subarray(300 * 512, 303 * 512).every((b) => b === 0xab), 'the three sectors hold 0xab');
    assert.ok(after.subarray(0, 300 * 512).equals(before.subarray(0, 300 * 512)));
    assert.ok(after.subarray(303 * 512).equals(before.subarray(303 * 512)));
  });
});
