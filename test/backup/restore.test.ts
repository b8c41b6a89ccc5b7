import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MiB, PASSWORD, readDisk, restoreFixture, type RestoreFixture } from './restore-fixture.js';

// vixdisk snapshots and restore into new local disks (raw, VMDKs of several types).

let f: RestoreFixture;
before(async () => { f = await restoreFixture(); });
after(async () => { await f?.close(); });

test('snapshots lists each restore point with VM, kind and disks, and others as not vixdisk backups', async () => {
  const r = await f.ok(['snapshots', '--repo', f.repoPath]);
  assert.match(r.stdout, new RegExp(`${f.ids.webFull!.slice(0, 8)} .* web .* full .*0: web.raw 5 MiB.*1: web_1.raw 2 MiB`));
  assert.match(r.stdout, new RegExp(`${f.ids.webIncr!.slice(0, 8)} .* web .* incremental`));
  assert.match(r.stdout, new RegExp(`${f.ids.other!.slice(0, 8)} .* not a vixdisk backup`));
  assert.match(r.stdout, /4 restore points, 1 other snapshot/);
  const json = JSON.parse((await f.ok(['snapshots', '--repo', f.repoPath, '--vm', 'web', '--json'])).stdout) as Array<Record<string, any>>;
  assert.deepEqual(json.map((s) => s.id), [f.ids.webFull, f.ids.webIncr]);
  assert.equal(json[1]!.kind, 'incremental');
  assert.equal(json[1]!.parent, f.ids.webFull);
  assert.equal(json[0]!.disks[0].capacityBytes, 5 * MiB + 1536);
  // By moref, and through restic's environment variables only.
  const pwFile = join(f.dir, 'pw');
  await writeFile(pwFile, `${PASSWORD}\n`);
  const byMoref = JSON.parse((await f.ok(['snapshots', '--vm', 'vm-17', '--json'], { RESTIC_REPOSITORY: f.repoPath, RESTIC_PASSWORD: '', RESTIC_PASSWORD_FILE: pwFile })).stdout) as unknown[];
  assert.equal(byMoref.length, 1);
});

test('restore latest of a VM into a raw image: byte-exact, holes stay holes', async () => {
  const out = join(f.dir, 'web.img');
  const r = await f.ok(['restore', '--repo', f.repoPath, 'latest', '--vm', 'web', '--disk', '0', '--to', out]);
  assert.match(r.stdout, new RegExp(`snapshot ${f.ids.webIncr!.slice(0, 8)} of VM web`));
  assert.match(r.stdout, /digest verified/);
  const got = await readFile(out);
  assert.ok(got.equals(f.webIncr[0]!), 'restored bytes equal the incremental point');
  const st = await stat(out);
  assert.ok(st.blocks * 512 < 4 * MiB, `the two hole chunks are not written (${st.blocks * 512} bytes allocated)`);
});

test('restore an earlier point by ID prefix into VMDKs of several types; disk by file name', async () => {
  for (const type of ['monolithicSparse', 'streamOptimized', 'monolithicFlat']) {
    const out = join(f.dir, `full-${type}.vmdk`);
    const r = await f.ok(['restore', '-r', f.repoPath, f.ids.webFull!.slice(0, 10), '--disk', 'web.raw', '--to', out, '--type', type, '--json']);
    const j = JSON.parse(r.stdout) as { snapshot: string; disks: Array<{ destinationType: string; capacityBytes: number }> };
    assert.equal(j.snapshot, f.ids.webFull);
    assert.equal(j.disks[0]!.destinationType, type);
    assert.ok((await readDisk(out)).equals(f.webFull[0]!), `${type}: byte-exact`);
  }
  const out = join(f.dir, 'web_1.vmdk');
  await f.ok(['restore', '-r', f.repoPath, f.ids.webFull!, '--disk', '1', '--to', out, '-q']);
  assert.ok((await readDisk(out)).equals(f.webFull[1]!));
});

test('restore latest without --vm takes the newest restore point; a one-disk VM needs no --disk', async () => {
  const out = join(f.dir, 'db.vmdk');
  await f.ok(['restore', '-r', f.repoPath, '--to', out, '-q']);
  assert.ok((await readDisk(out)).equals(f.db));
  assert.match(await readFile(out, 'latin1').then((t) => t.slice(0, 4096)), /ddb.adapterType = "pvscsi"/);
});
