import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VixError } from '../../src/errors/vix-error.js';
import { createVixDiskLib } from '../../src/vix/vixdisklib.js';
import { VIX_E_DISK_INVALIDDISK, VIX_E_DISK_OPENPARENT, VIX_E_FILE_ACCESS_ERROR } from '../../src/errors/error-codes.js';
import { Confinement } from '../../src/vmdk/confinement.js';
import { createChild, createDisk } from '../../src/vmdk/create.js';
import { defragmentDisk } from '../../src/vmdk/defragment.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { growDisk } from '../../src/vmdk/grow.js';
import { renameDisk } from '../../src/vmdk/rename.js';
import { shrinkDisk } from '../../src/vmdk/shrink.js';
import { unlinkDisk } from '../../src/vmdk/unlink.js';
import { requirePeer, run } from '../interop/peers.js';
import { assertOneLineError, runVixdisk, type CliRun } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

// Confinement that symlinks cannot escape (issue 9, part 3): every extent is judged on its real
// path, so a symlink in the disk's folder that leads out of it (to a file, or as a folder) is
// refused with VIX error 13 by open, convert, grow, shrink, defragment, rm and rename alike, and
// the outside file is left as it was; symlinks that stay inside keep working; allowOutsidePaths
// still opens the door on purpose. Maintenance touches only files that are extents of the kind
// the descriptor says; a FLAT extent naming its own descriptor is refused; a disk renamed into
// another folder with an extent in a subfolder opens there.

const SECTOR = 512;
const MiB = 1 << 20;

type Run = CliRun;

function vixdisk(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return runVixdisk(args, { cwd, env });
}

async function assertRejects(p: Promise<unknown>, code: number, what: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof VixError, `${what}: a VixError, got ${String(err)}`);
    assert.equal(err.code, code, `${what}: code (message: ${err.message})`);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  }, what);
}

/** Size and hash of a file, to show it was not touched. */
async function fingerprint(path: string): Promise<{ size: number; sha256: string }> {
  const bytes = await readFile(path);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function descriptor(createType: string, lines: string[]): string {
  return [
    '# Disk DescriptorFile', 'version=1', 'CID=12345678', 'parentCID=ffffffff', `createType="${createType}"`, '',
    '# Extent description', ...lines, '', '# The Disk Data Base', '#DDB', '', 'ddb.adapterType = "lsilogic"', '',
  ].join('\n');
}

function patterned(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) b.writeUInt32LE((Math.imul(i + 1, 2654435761) ^ seed) >>> 0, i);
  return b;
}

/** root/disk is the disk's folder, root/outside a folder beside it that holds what must stay untouched. */
async function layout(t: TestContext): Promise<{ root: string; disk: string; outside: string }> {
  const root = await tempDir(t, 'vixdisk-confine-');
  const disk = join(root, 'disk');
  const outside = join(root, 'outside');
  await mkdir(disk);
  await mkdir(outside);
  return { root, disk, outside };
}

/** A monolithicSparse disk at `path` with data in grains 0 and 5 and a written zero grain 2. */
async function sparseWithData(path: string, capacity = 1 * MiB): Promise<void> {
  await createDisk(path, { capacity, type: 'monolithicSparse' });
  const d = await VmdkDisk.open(path);
  await d.write(0, patterned(64 << 10, 1));
  await d.write(2 * (64 << 10), Buffer.alloc(64 << 10));
  await d.write(5 * (64 << 10), patterned(64 << 10, 5));
  await d.close();
}

test('an extent symlinked to /proc/self/environ: convert refused, nothing of the environment in any output', async (t) => {
  const { disk } = await layout(t);
  const secret = `vixdisk-secret-${randomBytes(12).toString('hex')}`;
  await symlink('/proc/self/environ', join(disk, 'env-flat.vmdk'));
  await writeFile(join(disk, 'env.vmdk'), descriptor('monolithicFlat', ['RW 8 FLAT "env-flat.vmdk" 0']));

  for (const out of ['out.raw', 'out.vmdk']) {
    const r = await vixdisk(disk, ['convert', 'env.vmdk', out], { ...process.env, VIXDISK_TEST_SECRET: secret });
    assertOneLineError(r, VIX_E_FILE_ACCESS_ERROR, `convert env.vmdk ${out}`);
    assert.match(r.stderr, /outside the disk's folder/);
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the secret is not printed');
  }
  for (const name of await readdir(disk)) {
    const p = join(disk, name);
    if ((await lstat(p)).isSymbolicLink()) continue;
    assert.ok(!(await readFile(p)).includes(secret), `${name} holds nothing of the environment`);
  }
  await assertRejects(VmdkDisk.open(join(disk, 'env.vmdk'), { readOnly: true }), VIX_E_FILE_ACCESS_ERROR, 'library open');
});

test('an extent reached through a folder symlink that leaves the folder: refused, unless outside paths are allowed', async (t) => {
  const { disk, outside } = await layout(t);
  const data = patterned(4 * SECTOR, 7);
  await writeFile(join(outside, 'data.bin'), data);
  await symlink(outside, join(disk, 'sub'));
  const p = join(disk, 'd.vmdk');
  await writeFile(p, descriptor('monolithicFlat', ['RW 4 FLAT "sub/data.bin" 0']));

  await assertRejects(VmdkDisk.open(p, { readOnly: true }), VIX_E_FILE_ACCESS_ERROR, 'open through a folder symlink');
  assertOneLineError(await vixdisk(disk, ['info', 'd.vmdk']), VIX_E_FILE_ACCESS_ERROR, 'info');

  // allowOutsidePaths stays the explicit way out: library and `check --allow-outside-paths`.
  const d = await VmdkDisk.open(p, { readOnly: true, allowOutsidePaths: true });
  const back = Buffer.alloc(data.length);
  await d.read(0, back);
  await d.close();
  assert.deepEqual(back, data);
  const checked = await vixdisk(disk, ['check', '--allow-outside-paths', 'd.vmdk']);
  assert.equal(checked.code, 0, checked.stderr);
  const refused = await vixdisk(disk, ['check', 'd.vmdk']);
  assert.equal(refused.code, 1, 'check without the option finds a problem');
  assert.match(refused.stdout, /outside the disk's folder.*\(VIX error 13\)/);
});

test('grow through a file symlink and through a folder symlink leaves the outside file untouched', async (t) => {
  const { disk, outside } = await layout(t);
  await writeFile(join(outside, 'big.bin'), patterned(1 * MiB, 3));
  await sparseWithData(join(outside, 'o.vmdk'));
  await symlink(join(outside, 'big.bin'), join(disk, 'g-flat.vmdk'));
  await symlink(outside, join(disk, 'sub'));
  const cases = [
    ['file symlink, flat', 'g.vmdk', descriptor('monolithicFlat', ['RW 2048 FLAT "g-flat.vmdk" 0']), 'big.bin'],
    ['folder symlink, flat', 'h.vmdk', descriptor('monolithicFlat', ['RW 2048 FLAT "sub/big.bin" 0']), 'big.bin'],
    ['folder symlink, sparse', 's.vmdk', descriptor('twoGbMaxExtentSparse', ['RW 2048 SPARSE "sub/o.vmdk"']), 'o.vmdk'],
  ] as const;
  for (const [what, name, text, target] of cases) {
    await writeFile(join(disk, name), text);
    const before = await fingerprint(join(outside, target));
    assertOneLineError(await vixdisk(disk, ['grow', name, '4M']), VIX_E_FILE_ACCESS_ERROR, `grow (${what})`);
    await assertRejects(growDisk(join(disk, name), 4 * MiB), VIX_E_FILE_ACCESS_ERROR, `growDisk (${what})`);
    assert.deepEqual(await fingerprint(join(outside, target)), before, `${what}: outside file unchanged`);
    assert.equal(await readFile(join(disk, name), 'utf8'), text, `${what}: descriptor unchanged`);
  }
  assert.deepEqual((await readdir(outside)).sort(), ['big.bin', 'o.vmdk'], 'no new file outside');
});

test('shrink and defragment of an outside sparse file through a symlink leave it untouched', async (t) => {
  const { disk, outside } = await layout(t);
  const target = join(outside, 'o.vmdk');
  await sparseWithData(target);
  await symlink(target, join(disk, 'o-link.vmdk'));
  await writeFile(join(disk, 's.vmdk'), descriptor('twoGbMaxExtentSparse', ['RW 2048 SPARSE "o-link.vmdk"']));
  const before = await fingerprint(target);
  assertOneLineError(await vixdisk(disk, ['shrink', 's.vmdk']), VIX_E_FILE_ACCESS_ERROR, 'shrink');
  assertOneLineError(await vixdisk(disk, ['defrag', 's.vmdk']), VIX_E_FILE_ACCESS_ERROR, 'defrag');
  await assertRejects(shrinkDisk(join(disk, 's.vmdk')), VIX_E_FILE_ACCESS_ERROR, 'shrinkDisk');
  await assertRejects(defragmentDisk(join(disk, 's.vmdk')), VIX_E_FILE_ACCESS_ERROR, 'defragmentDisk');
  assert.deepEqual(await fingerprint(target), before, 'outside sparse file unchanged');
  assert.deepEqual(await readdir(outside), ['o.vmdk'], 'no aside file left outside');
});

test('rm evil.vmdk through a folder symlink: the outside file stays, and so does evil.vmdk', async (t) => {
  const { disk, outside } = await layout(t);
  const victim = join(outside, 'victim.bin');
  await writeFile(victim, patterned(4 * SECTOR, 9));
  await symlink(outside, join(disk, 'sub'));
  await symlink(victim, join(disk, 'v-flat.vmdk'));
  await writeFile(join(disk, 'evil.vmdk'), descriptor('monolithicFlat', ['RW 4 FLAT "sub/victim.bin" 0']));
  await writeFile(join(disk, 'evil2.vmdk'), descriptor('monolithicFlat', ['RW 4 FLAT "v-flat.vmdk" 0']));
  const before = await fingerprint(victim);
  assertOneLineError(await vixdisk(disk, ['rm', 'evil.vmdk']), VIX_E_FILE_ACCESS_ERROR, 'rm through a folder symlink');
  assertOneLineError(await vixdisk(disk, ['rm', 'evil2.vmdk']), VIX_E_FILE_ACCESS_ERROR, 'rm through a file symlink');
  await assertRejects(unlinkDisk(join(disk, 'evil.vmdk')), VIX_E_FILE_ACCESS_ERROR, 'unlinkDisk');
  assert.deepEqual(await fingerprint(victim), before, 'outside file still there, unchanged');
  await stat(join(disk, 'evil.vmdk'));
  await stat(join(disk, 'evil2.vmdk'));
});

test('symlinks that stay inside the folder keep working: open, write, grow, rm', async (t) => {
  const { disk } = await layout(t);
  await mkdir(join(disk, 'real'));
  await writeFile(join(disk, 'real', 'a-flat.bin'), Buffer.alloc(1 * MiB));
  await writeFile(join(disk, 'real', 'b-flat.bin'), Buffer.alloc(1 * MiB));
  await symlink('real/a-flat.bin', join(disk, 'alias.bin'));
  await symlink('real', join(disk, 'linkdir'));
  const a = join(disk, 'a.vmdk');
  const b = join(disk, 'b.vmdk');
  await writeFile(a, descriptor('monolithicFlat', ['RW 2048 FLAT "alias.bin" 0']));
  await writeFile(b, descriptor('monolithicFlat', ['RW 2048 FLAT "linkdir/b-flat.bin" 0']));
  for (const [p, file] of [[a, 'a-flat.bin'], [b, 'b-flat.bin']] as const) {
    const data = patterned(64 << 10, file.length);
    const d = await VmdkDisk.open(p);
    await d.write(4096, data);
    await d.close();
    assert.deepEqual((await readFile(join(disk, 'real', file))).subarray(4096, 4096 + data.length), data, `${file} written through the link`);
    await growDisk(p, 2 * MiB);
    assert.equal((await stat(join(disk, 'real', file))).size, 2 * MiB, `${file} grown through the link`);
    const r = await vixdisk(disk, ['info', '--json', p]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).capacity, 2 * MiB);
  }
  const r = await vixdisk(disk, ['rm', 'b.vmdk']);
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(stat(join(disk, 'real', 'b-flat.bin')), 'the extent behind the inside folder link is removed');
  const ra = await vixdisk(disk, ['rm', 'a.vmdk']);
  assert.equal(ra.code, 0, ra.stderr);
  await assert.rejects(stat(join(disk, 'real', 'a-flat.bin')), 'the extent behind the inside file link is removed');
  await assert.rejects(lstat(join(disk, 'alias.bin')), 'and so is the link that named it');
  assert.deepEqual((await readdir(disk)).sort(), ['linkdir', 'real']);
});

test('rm and grow refuse a descriptor naming a non-disk sibling (thesis.txt): untouched', async (t) => {
  const { disk } = await layout(t);
  const thesis = join(disk, 'thesis.txt');
  await writeFile(thesis, 'Chapter 1. On the confinement of virtual disks.\n'.repeat(60));
  const before = await fingerprint(thesis);
  // 128 MiB claimed of a 3 KB text file; and the same file as a sparse extent.
  await writeFile(join(disk, 't.vmdk'), descriptor('monolithicFlat', ['RW 262144 FLAT "thesis.txt" 0']));
  await writeFile(join(disk, 'u.vmdk'), descriptor('twoGbMaxExtentSparse', ['RW 2048 SPARSE "thesis.txt"']));
  for (const name of ['t.vmdk', 'u.vmdk']) {
    assertOneLineError(await vixdisk(disk, ['rm', name]), VIX_E_DISK_INVALIDDISK, `rm ${name}`);
    assertOneLineError(await vixdisk(disk, ['grow', name, '256M']), VIX_E_DISK_INVALIDDISK, `grow ${name}`);
    assertOneLineError(await vixdisk(disk, ['rename', name, 'moved.vmdk']), VIX_E_DISK_INVALIDDISK, `rename ${name}`);
    await assertRejects(unlinkDisk(join(disk, name)), VIX_E_DISK_INVALIDDISK, `unlinkDisk ${name}`);
    await stat(join(disk, name));
  }
  assert.deepEqual(await fingerprint(thesis), before, 'thesis.txt unchanged');
  assert.deepEqual((await readdir(disk)).sort(), ['t.vmdk', 'thesis.txt', 'u.vmdk']);
});

test('a FLAT extent naming its own descriptor (directly or through a symlink) is refused at open and in maintenance', async (t) => {
  const { disk } = await layout(t);
  const self = join(disk, 'self.vmdk');
  const text = descriptor('monolithicFlat', ['RW 1 FLAT "self.vmdk" 0']).padEnd(SECTOR, '#') + '\n';
  await writeFile(self, text);
  await symlink('self.vmdk', join(disk, 'alias.vmdk'));
  const viaLink = join(disk, 'via.vmdk');
  const viaText = descriptor('monolithicFlat', ['RW 1 FLAT "via.vmdk" 0']).padEnd(SECTOR, '#') + '\n';
  await writeFile(viaLink, viaText);
  const selfAlias = join(disk, 'selfalias.vmdk');
  const aliasText = descriptor('monolithicFlat', ['RW 1 FLAT "alias2.vmdk" 0']).padEnd(SECTOR, '#') + '\n';
  await writeFile(selfAlias, aliasText);
  await symlink('selfalias.vmdk', join(disk, 'alias2.vmdk'));
  for (const [p, body] of [[self, text], [viaLink, viaText], [selfAlias, aliasText]] as const) {
    await assertRejects(VmdkDisk.open(p), VIX_E_DISK_INVALIDDISK, `open ${p}`);
    await assertRejects(VmdkDisk.open(p, { readOnly: true }), VIX_E_DISK_INVALIDDISK, `open read-only ${p}`);
    await assertRejects(growDisk(p, 1 * MiB), VIX_E_DISK_INVALIDDISK, `grow ${p}`);
    assertOneLineError(await vixdisk(disk, ['convert', p, 'x.raw']), VIX_E_DISK_INVALIDDISK, `convert ${p}`);
    assert.equal(await readFile(p, 'utf8'), body, 'descriptor unchanged');
  }
});

test('a folder swapped for an outside symlink after the extent name was checked is refused before use', async (t) => {
  const { disk, outside } = await layout(t);
  await mkdir(join(disk, 'sub'));
  await writeFile(join(disk, 'sub', 'x.bin'), Buffer.alloc(SECTOR));
  await writeFile(join(outside, 'x.bin'), patterned(SECTOR, 11));
  const before = await fingerprint(join(outside, 'x.bin'));
  const c = await Confinement.of(join(disk, 'd.vmdk'));
  const checked = await c.extentPath('sub/x.bin');
  await rename(join(disk, 'sub'), join(disk, 'sub.old'));
  await symlink(outside, join(disk, 'sub'));
  await assertRejects(c.open(checked, 'r+'), VIX_E_FILE_ACCESS_ERROR, 'open after the swap');
  await assertRejects(c.recheck(checked), VIX_E_FILE_ACCESS_ERROR, 'recheck after the swap');
  // The file itself swapped for a symlink out, after its name was checked.
  await writeFile(join(disk, 'y.bin'), Buffer.alloc(SECTOR));
  const y = await c.extentPath('y.bin');
  await rm(join(disk, 'y.bin'));
  await symlink(join(outside, 'x.bin'), join(disk, 'y.bin'));
  await assertRejects(c.open(y, 'r+'), VIX_E_FILE_ACCESS_ERROR, 'open of a file swapped for a symlink');
  assert.deepEqual(await fingerprint(join(outside, 'x.bin')), before);
});

test('rename into another folder of a disk whose extent sits in a subfolder: the renamed disk opens and passes qemu-img check', async (t) => {
  const { root, disk } = await layout(t);
  const src = join(disk, 'd.vmdk');
  await createDisk(src, { capacity: 2 * MiB, type: 'twoGbMaxExtentSparse' });
  await mkdir(join(disk, 'data'));
  await rename(join(disk, 'd-s001.vmdk'), join(disk, 'data', 'd-s001.vmdk'));
  await writeFile(src, (await readFile(src, 'utf8')).replace('"d-s001.vmdk"', '"data/d-s001.vmdk"'));
  const content = patterned(2 * MiB, 13);
  let d = await VmdkDisk.open(src);
  await d.write(0, content);
  await d.close();

  const other = join(root, 'other');
  await mkdir(other);
  const r = await vixdisk(disk, ['rename', 'd.vmdk', join(other, 'e.vmdk')]);
  assert.equal(r.code, 0, r.stderr);
  d = await VmdkDisk.open(join(other, 'e.vmdk'), { readOnly: true });
  const back = Buffer.alloc(content.length);
  await d.read(0, back);
  const names = d.info().extents.map((e) => e.fileName);
  await d.close();
  assert.ok(back.equals(content), 'the renamed disk reads what was written');
  assert.deepEqual(names, ['e-s001.vmdk'], 'the extent moved beside the new descriptor');
  assert.deepEqual(await readdir(join(disk, 'data')), [], 'nothing left at the old place');
  await assert.rejects(stat(src));
  const qemu = await requirePeer(t, 'qemu-img');
  if (qemu) await qemuCheck(join(other, 'e.vmdk'));

  // Renamed within its own folder, a subfolder extent stays where it is.
  await mkdir(join(other, 'data'));
  await rename(join(other, 'e-s001.vmdk'), join(other, 'data', 'e-s001.vmdk'));
  const e = join(other, 'e.vmdk');
  await writeFile(e, (await readFile(e, 'utf8')).replace('"e-s001.vmdk"', '"data/e-s001.vmdk"'));
  await renameDisk(e, join(other, 'f.vmdk'));
  d = await VmdkDisk.open(join(other, 'f.vmdk'), { readOnly: true });
  await d.read(0, back);
  await d.close();
  assert.ok(back.equals(content));
  if (qemu) await qemuCheck(join(other, 'f.vmdk'));
});

async function qemuCheck(path: string): Promise<void> {
  const check = await run('qemu-img', ['check', '-f', 'vmdk', path]);
  assert.equal(check.code, 0, `qemu-img check ${path}: ${check.stdout}${check.stderr}`);
}

test('create does not follow a symlink left where an extent goes (dangling or not, with --force too)', async (t) => {
  const { disk, outside } = await layout(t);
  const kept = join(outside, 'kept.bin');
  await writeFile(kept, patterned(4 * SECTOR, 17));
  const before = await fingerprint(kept);
  await symlink(join(outside, 'new.bin'), join(disk, 'd-flat.vmdk'));
  await symlink(kept, join(disk, 'e-flat.vmdk'));
  await symlink(outside, join(disk, 'f-s001.vmdk'));
  assertOneLineError(await vixdisk(disk, ['create', 'd.vmdk', '1M', '--type', 'monolithicFlat']), VIX_E_FILE_ACCESS_ERROR, 'create over a dangling symlink');
  assertOneLineError(await vixdisk(disk, ['create', 'e.vmdk', '1M', '--type', 'monolithicFlat', '--force']), VIX_E_FILE_ACCESS_ERROR, 'create --force over a symlink');
  await assertRejects(createDisk(join(disk, 'f.vmdk'), { capacity: MiB, type: 'twoGbMaxExtentSparse', overwrite: true }), VIX_E_FILE_ACCESS_ERROR, 'createDisk');
  assert.deepEqual((await readdir(outside)).sort(), ['kept.bin'], 'nothing created outside');
  assert.deepEqual(await fingerprint(kept), before, 'outside file unchanged');
  assert.deepEqual((await readdir(disk)).sort(), ['d-flat.vmdk', 'e-flat.vmdk', 'f-s001.vmdk'], 'no descriptor written');
  // A symlink that stays inside may be overwritten by --force, as any file there.
  await writeFile(join(disk, 'g-target.bin'), Buffer.alloc(SECTOR));
  await symlink('g-target.bin', join(disk, 'g-flat.vmdk'));
  const r = await vixdisk(disk, ['create', 'g.vmdk', '1M', '--type', 'monolithicFlat', '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await stat(join(disk, 'g-target.bin'))).size, 1 * MiB);
});

test('a parent in another folder still opens (hints are not confined); its own extents are confined to its folder', async (t) => {
  const { root, disk, outside } = await layout(t);
  await mkdir(join(root, 'base'));
  const base = join(root, 'base', 'base.vmdk');
  await createDisk(base, { capacity: 1 * MiB, type: 'monolithicFlat' });
  const data = patterned(64 << 10, 19);
  let d = await VmdkDisk.open(base);
  await d.write(0, data);
  await d.close();
  const child = join(disk, 'child.vmdk');
  await createChild(child, base);
  d = await VmdkDisk.open(child, { readOnly: true });
  const back = Buffer.alloc(data.length);
  await d.read(0, back);
  await d.close();
  assert.deepEqual(back, data, 'the child reads its parent in ../base');

  // The parent's flat file becomes a symlink out of the parent's folder: refused like any extent.
  await writeFile(join(outside, 'x.bin'), patterned(1 * MiB, 23));
  await rm(join(root, 'base', 'base-flat.vmdk'));
  await symlink(join(outside, 'x.bin'), join(root, 'base', 'base-flat.vmdk'));
  await assert.rejects(VmdkDisk.open(child, { readOnly: true }), (err: unknown) => {
    assert.ok(err instanceof VixError);
    assert.equal(err.code, VIX_E_DISK_OPENPARENT);
    assert.match(err.message, /outside the disk's folder/);
    return true;
  });
});

test('a FIFO named as an extent: rm, grow and rename refuse it at once, the FIFO left in place', async (t) => {
  const { disk } = await layout(t);
  const made = await run('mkfifo', [join(disk, 'pipe-flat.vmdk')]);
  assert.equal(made.code, 0, made.stderr);
  await writeFile(join(disk, 'p.vmdk'), descriptor('monolithicFlat', ['RW 8 FLAT "pipe-flat.vmdk" 0']));
  for (const args of [['rm', 'p.vmdk'], ['grow', 'p.vmdk', '1M'], ['rename', 'p.vmdk', 'q.vmdk'], ['info', 'p.vmdk']]) {
    assertOneLineError(await vixdisk(disk, args), VIX_E_DISK_INVALIDDISK, args.join(' '));
  }
  assert.ok((await lstat(join(disk, 'pipe-flat.vmdk'))).isFIFO());
  assert.deepEqual((await readdir(disk)).sort(), ['p.vmdk', 'pipe-flat.vmdk']);
});

test('through the VixDiskLib API: Open, Grow and Unlink of a disk whose extent leads out are refused with 13', async (t) => {
  const { disk, outside } = await layout(t);
  const victim = join(outside, 'victim.bin');
  await writeFile(victim, patterned(2048 * SECTOR, 29));
  const before = await fingerprint(victim);
  await symlink(victim, join(disk, 'evil-flat.vmdk'));
  const evil = join(disk, 'evil.vmdk');
  await writeFile(evil, descriptor('monolithicFlat', ['RW 2048 FLAT "evil-flat.vmdk" 0']));
  const lib = createVixDiskLib();
  await lib.InitEx(8, 0, null, null, null, null, null);
  t.after(() => lib.Exit());
  const conn = await lib.ConnectEx(null, false, null, null);
  await assertRejects(lib.Open(conn, evil, 0), VIX_E_FILE_ACCESS_ERROR, 'VixDiskLib.Open');
  await assertRejects(lib.Grow(conn, evil, 4096n, false, null, null), VIX_E_FILE_ACCESS_ERROR, 'VixDiskLib.Grow');
  await assertRejects(lib.Unlink(conn, evil), VIX_E_FILE_ACCESS_ERROR, 'VixDiskLib.Unlink');
  await lib.Disconnect(conn);
  assert.deepEqual(await fingerprint(victim), before);
  await stat(evil);
});
