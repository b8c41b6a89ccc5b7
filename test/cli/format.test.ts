import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDevice } from '../../src/device/open-device.js';
import { createDisk } from '../../src/vmdk/create.js';
import { startServe } from '../support/serve-process.js';
import { assertOneLineError, runVixdisk, type CliRun } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

// The name decides the format (issue 9, part 2) and one exit rule for every command (part 5), as a
// user meets them: the built command in its own process, real files in a temporary folder.

const MiB = 1 << 20;


/** The timeout turns a hang (a disk served that should have been refused) into a failure. */
function vixdisk(cwd: string, ...args: string[]): Promise<CliRun> {
  return runVixdisk(args, { cwd, timeoutMs: 60_000 });
}

/** Run `jobs` a few at a time (the machine is shared; each is a process). */
async function inBatches<T>(jobs: Array<() => Promise<T>>, width = 4): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += width) out.push(...await Promise.all(jobs.slice(i, i + width).map((j) => j())));
  return out;
}

const DESCRIPTOR_HEAD = '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n';

/** .vmdk files that are not VMDKs, each refused by the engine with 16063. */
const CORRUPT: Record<string, () => Buffer> = {
  'bad-magic.vmdk': () => { const b = Buffer.alloc(64 << 10); b.write('KDMX', 0, 'latin1'); b.writeUInt32LE(1, 4); return b; },
  'random.vmdk': () => { const b = Buffer.alloc(MiB); for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24; return b; },
  'big-descriptor.vmdk': () => Buffer.from(DESCRIPTOR_HEAD + '# padding\n'.repeat(120_000) + 'RW 2048 ZERO\n'),
  'long-line.vmdk': () => Buffer.from(DESCRIPTOR_HEAD + `ddb.comment = "${'x'.repeat(10_000_000)}"\nRW 2048 ZERO\n`),
  'many-extents.vmdk': () => Buffer.from(DESCRIPTOR_HEAD + 'RW 1 ZERO\n'.repeat(100_000)),
};

test('a .vmdk that is not a VMDK is refused by every command with the engine\'s code, never read as raw', { timeout: 300_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-format-');
  await writeFile(join(dir, 'good.img'), Buffer.alloc(MiB, 1));
  for (const [name, make] of Object.entries(CORRUPT)) await writeFile(join(dir, name), make());
  const jobs: Array<() => Promise<void>> = [];
  for (const name of Object.keys(CORRUPT)) {
    const before = await readFile(join(dir, name));
    // Every command opens a disk through openDevice: each kind of damage goes through info and
    // convert, and one of them through every command and spelling.
    const commands: Array<[string[], number]> = [[['info', name], 1], [['convert', name, `out-${name}.img`], 1]];
    if (name === 'random.vmdk') {
      commands.push([['map', name], 1], [['dump', name], 1], [['compare', 'good.img', name], 2], [['compare', name, 'good.img'], 2],
        [['serve', '--read-only', '--workers', '2', '--port', '0', name], 1],
        [['info', '--json', name], 1], [['convert', name, `out-${name}`], 1]);
    }
    for (const [args, exit] of commands) {
      jobs.push(async () => {
        const r = await vixdisk(dir, ...args);
        assertOneLineError(r, 16063, args.join(' '), exit);
        assert.doesNotMatch(r.stdout, /format: +raw|"format": "raw"|serving/, `${args.join(' ')} did not treat it as raw`);
      });
    }
    jobs.push(async () => {
      const r = await vixdisk(dir, 'check', name);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /\(VIX error 16063\)/);
      assert.deepEqual(await readFile(join(dir, name)), before, `${name} is unchanged`);
    });
  }
  await inBatches(jobs);
  // A writer alone: beside the readers above it would meet their shared locks first (15).
  assertOneLineError(await vixdisk(dir, 'serve', '--port', '0', 'random.vmdk'), 16063, 'serve --port 0 random.vmdk', 1);
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('out-')), [], 'no destination was left behind');

  // --format raw says "read it as raw": then it is read as raw, because the user said so.
  const forced = JSON.parse((await vixdisk(dir, 'info', '--json', '--format', 'raw', 'random.vmdk')).stdout);
  assert.equal(forced.format, 'raw');
  assert.equal(forced.capacity, MiB);
});

/** What a guest could write into its own disk's first sector: a descriptor naming `extent` as its flat extent. */
function descriptorNaming(extent: string, sectors: number): Buffer {
  return Buffer.from(`${DESCRIPTOR_HEAD}RW ${sectors} FLAT "${extent}" 0\n`);
}

/** A monolithicSparse header whose embedded descriptor is rewritten to name `extent` as a flat extent. */
async function kdmvNaming(dir: string, extent: string): Promise<Buffer> {
  await createDisk(join(dir, 'template.vmdk'), { capacity: MiB });
  const b = (await readFile(join(dir, 'template.vmdk'))).subarray(0, 64 << 10);
  const text = b.toString('latin1')
    .replace('createType="monolithicSparse"', 'createType="monolithicFlat"  ')
    .replace('RW 2048 SPARSE "template.vmdk"', `RW 2048 FLAT "${extent}" 0`.padEnd('RW 2048 SPARSE "template.vmdk"'.length));
  return Buffer.from(text, 'latin1');
}

test('a raw image whose sector 0 names a sibling as its extent is read, converted and served as raw; --format vmdk forces', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-format-');
  const sibling = Buffer.alloc(MiB, 0x22);
  await writeFile(join(dir, 'vm2.img'), sibling);
  const images: Record<string, Buffer> = {};
  for (const [name, head] of [['vm1.img', descriptorNaming('vm2.img', 2048)], ['vm3.img', await kdmvNaming(dir, 'vm2.img')]] as const) {
    const image = Buffer.alloc(MiB);
    head.copy(image);
    image.fill('the guest\'s own data;', 512 << 10, 640 << 10);
    images[name] = image;
    await writeFile(join(dir, name), image);
  }
  for (const name of Object.keys(images)) {
    const info = JSON.parse((await vixdisk(dir, 'info', '--output=json', name)).stdout);
    assert.equal(info.format, 'raw', `${name} is raw by its name`);
    const r = await vixdisk(dir, 'convert', name, `copy-${name}`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readFile(join(dir, `copy-${name}`)), images[name], `convert ${name} copies its own bytes`);
    const cmp = await vixdisk(dir, 'compare', name, 'vm2.img');
    assert.equal(cmp.code, 1, `compare ${name} with the sibling: different`);
  }

  // Served writable: an NBD client's write lands in vm1.img; vm2.img is never written.
  const serve = await startServe(t, ['--port', '0', 'vm1.img'], { cwd: dir });
  const client = await openDevice(serve.uri);
  try {
    assert.equal(client.capacity, MiB, 'the export is vm1.img itself');
    await client.write(8192, Buffer.alloc(4096, 0x77));
    await client.flush();
  } finally {
    await client.close();
  }
  assert.equal(await serve.stop(), 0, `serve exit status (stderr: ${serve.stderr()})`);
  images['vm1.img']!.fill(0x77, 8192, 8192 + 4096);
  assert.deepEqual(await readFile(join(dir, 'vm1.img')), images['vm1.img'], 'the write landed in vm1.img');
  assert.deepEqual(await readFile(join(dir, 'vm2.img')), sibling, 'vm2.img is unchanged');

  // --format vmdk opens it as the VMDK it claims to be, because the user said so.
  const forced = JSON.parse((await vixdisk(dir, 'info', '--json', '-f', 'vmdk', 'vm1.img')).stdout);
  assert.equal(forced.format, 'vmdk');
  assert.equal(forced.createType, 'monolithicFlat');
  // A check of a raw name is a usage error unless --format vmdk says it is a VMDK.
  assertOneLineError(await vixdisk(dir, 'check', 'vm1.img'), 3, 'check vm1.img', 2);
  assert.equal((await vixdisk(dir, 'check', '--format', 'vmdk', 'vm1.img')).code, 0);
});

test('convert speaks qemu-img: -f, -O vmdk|raw (qcow2 is a usage error), --output=json, -p, -q (grow, shrink too)', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-format-');
  const data = Buffer.alloc(2 * MiB);
  data.fill('some data;', 0, 65536);
  data.fill('more data;', MiB, MiB + 4096);
  await writeFile(join(dir, 'a.img'), data);
  const ok = async (...args: string[]) => {
    const r = await vixdisk(dir, ...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  await ok('convert', '-f', 'raw', '-O', 'vmdk', 'a.img', 'a.vmdk');
  const q = await ok('convert', '-f', 'vmdk', '-O', 'raw', '-q', 'a.vmdk', 'b.raw');
  assert.equal(q.stdout + q.stderr, '', '-q prints nothing');
  assert.deepEqual(await readFile(join(dir, 'b.raw')), data);

  // -O overrides the name, both ways; reading it back then needs -f too.
  await ok('convert', '-O', 'vmdk', '--type', 'streamOptimized', 'a.img', 'stream.bin');
  assert.equal(JSON.parse((await ok('info', '--json', 'stream.bin')).stdout).format, 'raw');
  const asVmdk = JSON.parse((await ok('info', '--output=json', '-f', 'vmdk', 'stream.bin')).stdout);
  assert.equal(asVmdk.createType, 'streamOptimized');
  assert.equal((await vixdisk(dir, 'compare', '-F', 'vmdk', 'a.img', 'stream.bin')).code, 0);
  await ok('convert', '-O', 'raw', 'a.img', 'plain.vmdk');
  assert.deepEqual(await readFile(join(dir, 'plain.vmdk')), data);
  assert.equal((await vixdisk(dir, 'compare', '-f', 'raw', 'plain.vmdk', 'a.img')).code, 0);

  const json = JSON.parse((await ok('convert', '--output=json', 'a.img', 'c.vmdk')).stdout);
  assert.equal(typeof json.bytesWritten, 'number');
  // --output=json wherever --json is.
  assert.equal(JSON.parse((await ok('check', '--output=json', 'c.vmdk')).stdout).ok, true);
  assert.equal(typeof JSON.parse((await ok('space-needed', '--output=json', 'c.vmdk')).stdout).bytes, 'number');
  assert.ok(Array.isArray(JSON.parse((await ok('map', '--output=json', 'c.vmdk')).stdout)));
  assert.equal(JSON.parse((await ok('compare', '--output=json', 'a.img', 'c.vmdk')).stdout).identical, true);
  const p = await ok('convert', '-p', 'a.img', 'd.img');
  assert.match(p.stderr, /^converting: 100% /m, '-p shows progress off a terminal');
  assert.match(p.stdout, /^converted /);

  // -p and -q where a command shows progress: grow, shrink, defrag.
  await ok('create', 'g.vmdk', '1M');
  const grow = await ok('grow', '-p', 'g.vmdk', '2M');
  assert.match(grow.stderr, /^grow: 100%$/m);
  const shrink = await ok('shrink', '-q', 'g.vmdk');
  assert.equal(shrink.stdout + shrink.stderr, '', 'shrink -q prints nothing');

  const qcow = assertOneLineError(await vixdisk(dir, 'convert', '-O', 'qcow2', 'a.img', 'e.qcow2'), 3, '-O qcow2', 2);
  assert.match(qcow, /qemu-img/);
  assertOneLineError(await vixdisk(dir, 'convert', '-f', 'vdi', 'a.img', 'e.img'), 3, '-f vdi', 2);
  assertOneLineError(await vixdisk(dir, 'convert', '--type', 'streamOptimized', 'a.img', 'e.img'), 3, 'a VMDK type named .img', 2);
  assertOneLineError(await vixdisk(dir, 'convert', '--type', 'raw', 'a.img', 'e.vmdk'), 3, 'raw named .vmdk', 2);
  assertOneLineError(await vixdisk(dir, 'convert', '-O', 'raw', '--type', 'vmfs', 'a.img', 'e.vmdk'), 3, '-O and --type disagree', 2);
  assertOneLineError(await vixdisk(dir, 'info', '--output=yaml', 'a.img'), 3, '--output=yaml', 2);
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('e.')), []);
  for (const cmd of ['convert', 'info', 'map', 'dump', 'compare', 'serve', 'check', 'create']) {
    const help = (await ok(cmd, '--help')).stdout;
    assert.match(help, /-f, --format <format>/, `${cmd} --help lists -f`);
  }
  const help = (await ok('convert', '--help')).stdout;
  for (const flag of ['-O, --output-format <format>', '-p, --progress', '-q, --quiet', '--output <format>', '--force']) assert.ok(help.includes(flag), `convert --help lists ${flag}`);
});

test('one exit rule: 0 success, 1 failure, 2 usage (compare 0 same, 1 different, 2 error), usage errors on one line', { timeout: 300_000 }, async (t) => {
  const dir = await tempDir(t, 'vixdisk-format-');
  await writeFile(join(dir, 'r.img'), Buffer.alloc(MiB, 5));
  await writeFile(join(dir, 'r2.img'), Buffer.alloc(MiB, 6));
  for (const args of [['create', 'd.vmdk', '1M'], ['create', 'g.vmdk', '1M'], ['convert', 'd.vmdk', 'out.img']]) {
    const setup = await vixdisk(dir, ...args);
    assert.equal(setup.code, 0, setup.stderr);
  }
  const cases: Array<[string[], number, number | null]> = [
    // [args, exit status, VIX code of the one stderr line (null: success, nothing on stderr)]
    [['info', 'd.vmdk'], 0, null], [['info', 'missing.vmdk'], 1, 4], [['info'], 2, 3], [['info', '--bogus', 'd.vmdk'], 2, 3],
    [['create', 'new.vmdk', '1M'], 0, null], [['create', 'd.vmdk', '1M'], 1, 12], [['create', 'no/such/folder/x.vmdk', '1M'], 1, 4],
    [['create', 'x.vmdk', '1Q'], 2, 3], [['create', '-f', 'qcow2', 'x.img', '1M'], 2, 3],
    [['convert', 'd.vmdk', 'out2.img'], 0, null], [['convert', 'd.vmdk', 'out.img'], 1, 12], [['convert', 'missing.img', 'y.img'], 1, 4],
    [['convert', 'd.vmdk', 'no/such/folder/y.img'], 1, 4], [['convert', 'd.vmdk'], 2, 3],
    [['check', 'd.vmdk'], 0, null], [['check', 'r.img'], 2, 3], [['check', '-f', 'raw', 'd.vmdk'], 2, 3],
    [['map', 'r.img'], 0, null], [['map', 'missing.img'], 1, 4], [['map', '-f', 'qcow2', 'r.img'], 2, 3],
    [['dump', 'r.img'], 0, null], [['dump', 'r.img', '--start', '4096'], 1, 16007], [['dump', 'r.img', '--start', 'x'], 2, 3],
    [['compare', 'r.img', 'r.img'], 0, null], [['compare', 'r.img', 'r2.img'], 1, null], [['compare', 'r.img', 'missing.img'], 2, 4],
    [['compare', 'r.img'], 2, 3],
    [['grow', 'g.vmdk', '2M'], 0, null], [['grow', 'r.img', '2M'], 2, 3], [['grow', 'missing.vmdk', '2M'], 1, 4],
    [['shrink', 'r.img'], 2, 3], [['defrag', 'r.img'], 2, 3], [['rm', 'r.img'], 2, 3], [['rename', 'r.img', 'r3.img'], 2, 3],
    [['metadata', 'd.vmdk', 'list'], 0, null], [['metadata', 'r.img', 'list'], 2, 3], [['metadata', 'd.vmdk', 'frob'], 2, 3],
    [['space-needed', 'd.vmdk'], 0, null], [['space-needed', 'r.img'], 2, 3],
    [['serve', '--port', 'x', 'd.vmdk'], 2, 3], [['serve', '--port', '0', 'missing.img'], 1, 4],
    [['sample', '-info', 'd.vmdk'], 0, null], [['sample', '-info', 'missing.vmdk'], 1, 4], [['sample', '-info', '-bogus', 'd.vmdk'], 2, 3],
    [['sample'], 2, 3], [['sample', '-info'], 2, 3],
    [['no-such-command'], 2, 3],
  ];
  // The cases are independent of each other (each writes its own files), so they run a few at a time.
  await inBatches(cases.map(([args, exit, code]) => async () => {
    const r = await vixdisk(dir, ...args);
    const what = `vixdisk ${args.join(' ')}`;
    if (code === null) {
      assert.equal(r.code, exit, `${what}: exit status (stderr: ${r.stderr})`);
      assert.equal(r.stderr, '', `${what}: nothing on stderr`);
    } else {
      const line = assertOneLineError(r, code, what, exit);
      if (code === 12) assert.match(line, /--force/, `${what}: names --force`);
      if (args.some((a) => a.includes('no/such/folder'))) assert.match(line, /folder .* does not exist/, what);
    }
  }));
  assert.deepEqual((await readdir(dir)).sort(), ['d.vmdk', 'g.vmdk', 'new.vmdk', 'out.img', 'out2.img', 'r.img', 'r2.img'], 'refusals made no files');
});
