import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Repository } from '../../src/restic/repository.js';
import { writeTestBackup } from '../support/backup-repo.js';
import { assertOneLineError, runVixdisk, type CliRun } from '../support/run-cli.js';
import { startRemoteWorld, type RemoteWorld } from '../vix/remote-support.js';
import { xorshift32 } from '../support/xorshift.js';

// vixdisk restore into a VM's disk on a host, written over NFC (a writable vix:// URI): a
// powered-off VM's disk takes the backup byte for byte, holes written as zeros over what was
// there; a powered-on VM's disk is refused as the host refuses it, in one line.

const MiB = 1 << 20;
const PASSWORD = 'host restore';
let w: RemoteWorld;
let repoPath: string;
let data: Buffer;

before(async () => {
  w = await startRemoteWorld('vcenter');
  repoPath = join(w.dir, 'repo');
  // The host's default disks are 64 MiB: data in some chunks, holes in the others.
  data = Buffer.alloc(64 * MiB);
  const next = xorshift32(5);
  for (const at of [0, 7 * MiB, 40 * MiB + 4096, 63 * MiB]) for (let i = 0; i < 512 * 1024; i += 4) data.writeUInt32LE(next(), at + i);
  const repo = await Repository.create(repoPath, PASSWORD, { kdf: { N: 1024, r: 8, p: 1 } });
  try {
    await writeTestBackup(repo, { vm: 'db', moref: 'vm-14', disks: [{ file: 'db.raw', data }] });
  } finally {
    await repo.close();
  }
});
after(async () => { await w?.close(); });

function uri(vm: string, disk: string): string {
  const u = new URL(w.host.ready.url);
  const q = new URLSearchParams({ vm: `moref=${vm}`, disk, thumbprint: w.host.ready.thumbprintSha1, mode: 'nbdssl' });
  return `vix://administrator@${u.host}/?${q.toString()}`;
}

function vixdisk(args: string[]): Promise<CliRun> {
  return runVixdisk(args, {
    cwd: w.dir, timeoutMs: 120_000,
    env: { ...process.env, RESTIC_PASSWORD: PASSWORD, VIXDISK_PASSWORD: w.host.password('administrator') },
  });
}

test('restore into a powered-off VM\'s disk over NFC: byte for byte, holes zeroed', async () => {
  const target = '[datastore1] db/db.vmdk';
  const r = await vixdisk(['restore', '-r', repoPath, 'latest', '--to', uri('vm-14', target), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { disks: Array<{ destination: string; bytesWritten: number }> };
  assert.equal(j.disks[0]!.destination.startsWith('vix://administrator@'), true);
  assert.doesNotMatch(j.disks[0]!.destination, /thumbprint/, 'the summary names the disk, not the whole URI');
  assert.ok((await w.readDatastoreFile(target)).equals(data), 'the VM disk holds the backup');
});

test('a powered-on VM\'s disk is refused in one line, as the host refuses it', async () => {
  const line = assertOneLineError(await vixdisk(['restore', '-r', repoPath, 'latest', '--to', uri('vm-13', '[datastore1] web/web.vmdk')]), 15, 'powered-on VM', 1);
  assert.match(line, /lock|powered/i);
});
