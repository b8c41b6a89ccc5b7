import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `vixdisk sample`: VMware's vixDiskLibSample commands, run as a user runs them.

const BIN = fileURLToPath(new URL('../../../bin/vixdisk.js', import.meta.url));

function sample(cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'sample', ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

test('vixdisk sample: create, fill, dump, info, metadata, redo, clone, benchmarks, check, allocated blocks', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-sample-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ok = async (...args: string[]) => {
    const r = await sample(dir, ...args);
    assert.equal(r.code, 0, `sample ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  assert.match(await ok('-create', '-cap', '4', 'd.vmdk'), /Created d\.vmdk: 4 MB/);
  await ok('-fill', '-start', '10', '-count', '2', '-val', '171', 'd.vmdk');
  const dump = await ok('-dump', '-start', '10', '-count', '1', 'd.vmdk');
  assert.match(dump, /^00001400: ab ab ab/m);
  assert.equal(dump.trim().split('\n').length, 32, 'one sector is 32 rows of 16 bytes');
  const info = await ok('-info', 'd.vmdk');
  assert.match(info, /capacity {10}= 8192 sectors/);
  assert.match(info, /adapter type {6}= BusLogic SCSI/);
  assert.match(info, /Transport modes supported by vixDiskLib: file:san:hotadd:nbdssl:nbd/);
  await ok('-wmeta', 'owner', 'backup-team', 'd.vmdk');
  assert.match(await ok('-rmeta', 'owner', 'd.vmdk'), /^owner = backup-team$/m);
  assert.match(await ok('-meta', 'd.vmdk'), /^adapterType = buslogic$/m);
  assert.match(await ok('-redo', 'd.vmdk', 'child.vmdk'), /redo log/);
  assert.match(await ok('-info', 'child.vmdk'), /number of links {3}= 2/);
  assert.match(await ok('-getallocatedblocks', 'child.vmdk'), /offset 0, length 128\nNumber of blocks: 1/);
  assert.match(await ok('-clone', 'child.vmdk', 'copy.vmdk'), /Cloned child\.vmdk to copy\.vmdk/);
  assert.match(await ok('-dump', '-start', '11', 'copy.vmdk'), /^00001600: ab/m);
  assert.match(await ok('-readbench', '256', 'copy.vmdk'), /Read 4\.0 MB/);
  assert.match(await ok('-writebench', '256', 'copy.vmdk'), /Wrote 4\.0 MB/);
  assert.match(await ok('-check', '0', 'copy.vmdk'), /no problems found/);
  assert.match(await ok('-cleanup', 'd.vmdk'), /0 cleaned up, 0 remaining/);
  assert.match(await ok('-help'), /Usage: vixdisk sample command/);

  const remote = await sample(dir, '-info', '-host', 'esx.example', '-user', 'root', '-password', 'x', '-vm', 'moref=2', '-thumb', 'AA:BB', 'd.vmdk');
  assert.equal(remote.code, 1);
  // Remote connections are checked before anything is sent: a malformed thumbprint is refused.
  // -password (VMware's sample takes it) warns once that argv is visible, then the one error line.
  assert.match(remote.stderr, /^vixdisk sample: -password is visible to every user of this machine .*VIXDISK_PASSWORD.*\nvixdisk: thumbprint "AA:BB" is not 20 \(SHA-1\) or 32 \(SHA-256\) colon-separated hex pairs \(VIX error 3\)\n$/);
  const bad = await sample(dir, '-info', '-bogus', 'd.vmdk');
  assert.match(bad.stderr, /unknown option -bogus.*\(VIX error 3\)/);
  const missing = await sample(dir, '-info', 'nope.vmdk');
  assert.match(missing.stderr, /\(VIX error 4\)/);
});
