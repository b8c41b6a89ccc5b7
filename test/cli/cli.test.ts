import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runVixdisk, type CliRun } from '../support/run-cli.js';

// The built CLI, run as a user runs it: `node bin/vixdisk.js ...` in a temporary folder.

const MiB = 1 << 20;
const TYPES = ['monolithicSparse', 'twoGbMaxExtentSparse', 'monolithicFlat', 'twoGbMaxExtentFlat', 'streamOptimized', 'vmfs', 'vmfsThin'];

type Run = CliRun;

let dir: string;

function vixdisk(...args: string[]): Promise<Run> {
  return runVixdisk(args, { cwd: dir });
}

async function ok(...args: string[]): Promise<Run> {
  const r = await vixdisk(...args);
  assert.equal(r.code, 0, `vixdisk ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '', `vixdisk ${args.join(' ')} wrote to stderr`);
  return r;
}

/** The error contract: exactly one line `vixdisk: ... (VIX error N)` on stderr, no stack trace. */
function assertOneLineError(r: Run, code: number, exitCode: number): void {
  assert.equal(r.code, exitCode, `exit status (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^vixdisk: .+ \\(VIX error ${code}\\)$`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** A raw image of `size` bytes with text blocks at the given offsets, zeros elsewhere. */
async function rawWith(name: string, size: number, blocks: Array<[number, number]>): Promise<Buffer> {
  const data = Buffer.alloc(size);
  for (const [offset, length] of blocks) data.fill(`block at ${offset};`, offset, offset + length);
  await writeFile(join(dir, name), data);
  return data;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vixdisk-cli-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('create makes every type; info --json reports it', async () => {
  await Promise.all(TYPES.map((t) => ok('create', '--type', t, `c-${t}.vmdk`, '100M')));
  const infos = await Promise.all(TYPES.map(async (t) => JSON.parse((await ok('info', '--json', `c-${t}.vmdk`)).stdout)));
  for (const [i, t] of TYPES.entries()) {
    const info = infos[i];
    assert.equal(info.format, 'vmdk');
    assert.equal(info.createType, t);
    assert.equal(info.capacity, 100 * MiB);
    assert.equal(info.capacitySectors, 204800);
    assert.equal(info.adapterType, 'ide');
    assert.deepEqual(info.geometry, { cylinders: 203, heads: 16, sectors: 63 });
    assert.equal(info.hwVersion, '4');
    assert.equal(info.parentCid, 'ffffffff');
    assert.match(info.cid, /^[0-9a-f]{8}$/);
    // Sparse types store nothing yet; flat extents (vmfsThin too: no SEEK_DATA in Node) are data throughout.
    assert.equal(info.allocatedBytes, /Sparse|streamOptimized/.test(t) ? 0 : 100 * MiB);
    assert.equal(typeof info.fileBytes, 'number');
    assert.ok(info.extents.length >= 1);
    assert.equal(info.chain.length, 1);
  }
  await ok('create', '--adapter', 'lsilogic', '--hwversion', '11', 'lsi.vmdk', '100M');
  const lsi = JSON.parse((await ok('info', '--json', 'lsi.vmdk')).stdout);
  assert.equal(lsi.adapterType, 'lsilogic');
  assert.deepEqual(lsi.geometry, { cylinders: 12, heads: 255, sectors: 63 });
  assert.equal(lsi.hwVersion, '11');

  const human = (await ok('info', 'lsi.vmdk')).stdout;
  assert.match(human, /^createType: +monolithicSparse$/m);
  assert.match(human, /^geometry: +12\/255\/63/m);
  // Aligned: every value starts in the same column.
  const columns = new Set(human.trimEnd().split('\n').map((l) => l.search(/(?<=: +)\S/)));
  assert.equal(columns.size, 1);

  await ok('create', '--type', 'raw', 'plain.img', '1M');
  const raw = JSON.parse((await ok('info', '--json', 'plain.img')).stdout);
  assert.equal(raw.format, 'raw');
  assert.equal(raw.capacity, MiB);
});

test('create refuses bad requests without touching anything', async () => {
  await ok('create', 'keep.vmdk', '10M');
  const before = await readFile(join(dir, 'keep.vmdk'));
  assertOneLineError(await vixdisk('create', 'keep.vmdk', '20M'), 12, 1);
  assert.deepEqual(await readFile(join(dir, 'keep.vmdk')), before);

  assertOneLineError(await vixdisk('create', 'bad-size.vmdk', '10Q'), 3, 2);
  assertOneLineError(await vixdisk('create', '--type', 'nonsense', 'bad-type.vmdk', '10M'), 3, 2);
  assertOneLineError(await vixdisk('create', 'no-size.vmdk'), 3, 2);
  assertOneLineError(await vixdisk('create', '--parent', 'keep.vmdk', 'child-bad.vmdk', '20M'), 16067, 1);
  const files = await readdir(dir);
  for (const f of ['bad-size.vmdk', 'bad-type.vmdk', 'no-size.vmdk', 'child-bad.vmdk']) assert.ok(!files.includes(f), `${f} was created`);
});

test('create --parent makes a child whose chain reaches the parent', async () => {
  await ok('create', '--adapter', 'buslogic', 'base.vmdk', '10M');
  await ok('create', '--parent', 'base.vmdk', 'child.vmdk');
  await ok('create', '--parent', 'base.vmdk', 'child-sized.vmdk', '10M');
  const base = JSON.parse((await ok('info', '--json', 'base.vmdk')).stdout);
  const child = JSON.parse((await ok('info', '--json', 'child.vmdk')).stdout);
  assert.equal(child.parentCid, base.cid);
  assert.equal(child.adapterType, 'buslogic');
  assert.equal(child.chain.length, 2);
  assert.equal(child.parentFileNameHint, 'base.vmdk');
  assert.equal((await vixdisk('check', 'child.vmdk')).code, 0);
});

test('convert round trip raw -> every VMDK type -> raw; compare says 0 then 1', async () => {
  const size = 8 * MiB;
  const data = await rawWith('src.img', size, [[0, 4096], [3 * MiB + 512, 100_000], [size - 65536, 65536]]);
  // Types in parallel (each its own files), steps of one type in order.
  await Promise.all(TYPES.map(async (t) => {
    const r = await ok('convert', '--json', '--type', t, 'src.img', `rt-${t}.vmdk`);
    const stats = JSON.parse(r.stdout);
    assert.equal(typeof stats.bytesRead, 'number');
    assert.ok(stats.bytesWritten > 0 && stats.bytesWritten <= size);
    assert.equal(typeof stats.seconds, 'number');
    await ok('convert', `rt-${t}.vmdk`, `rt-${t}.img`);
    assert.deepEqual(await readFile(join(dir, `rt-${t}.img`)), data, `${t} round trip`);
    assert.equal((await vixdisk('compare', 'src.img', `rt-${t}.vmdk`)).code, 0);
    assert.equal((await vixdisk('compare', `rt-${t}.vmdk`, `rt-${t}.img`)).code, 0);
    assert.equal((await vixdisk('check', `rt-${t}.vmdk`)).code, 0);
  }));
  // One byte changed: compare exits 1 and names the offset.
  const fh = await open(join(dir, 'rt-monolithicSparse.img'), 'r+');
  await fh.write(Buffer.from([0xee]), 0, 1, 5 * MiB + 7);
  await fh.close();
  const diff = await vixdisk('compare', 'rt-streamOptimized.vmdk', 'rt-monolithicSparse.img');
  assert.equal(diff.code, 1);
  assert.match(diff.stdout, new RegExp(`mismatch at offset ${5 * MiB + 7}\\b`));
});

test('convert keeps the source adapter unless --adapter is given, and refuses to overwrite', async () => {
  await ok('create', '--adapter', 'pvscsi', 'pv.vmdk', '4M');
  await ok('convert', '--type', 'streamOptimized', 'pv.vmdk', 'pv-stream.vmdk');
  assert.equal(JSON.parse((await ok('info', '--json', 'pv-stream.vmdk')).stdout).adapterType, 'pvscsi');
  await ok('convert', '--adapter', 'ide', 'pv.vmdk', 'pv-ide.vmdk');
  assert.equal(JSON.parse((await ok('info', '--json', 'pv-ide.vmdk')).stdout).adapterType, 'ide');
  assertOneLineError(await vixdisk('convert', 'pv.vmdk', 'pv-ide.vmdk'), 12, 1);
  assertOneLineError(await vixdisk('convert', '--force', 'pv.vmdk', 'pv.vmdk'), 3, 1);
  assert.equal((await vixdisk('check', 'pv.vmdk')).code, 0);
});

test('a failed convert removes the partly written destination', async () => {
  await rawWith('noise.img', 2 * MiB, [[0, 2 * MiB]]);
  await ok('convert', '--type', 'streamOptimized', 'noise.img', 'broken.vmdk');
  // Damage the first compressed grain (its record starts at sector 128: 12-byte header, then zlib).
  const fh = await open(join(dir, 'broken.vmdk'), 'r+');
  await fh.write(Buffer.alloc(64, 0xff), 0, 64, 128 * 512 + 12 + 100);
  await fh.close();
  await Promise.all(['monolithicSparse', 'twoGbMaxExtentFlat', 'streamOptimized'].map(async (t) => {
    const r = await vixdisk('convert', '--type', t, 'broken.vmdk', `from-broken-${t}.vmdk`);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^vixdisk: .* \(VIX error \d+\)\n$/);
  }));
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('from-broken')), []);
});

test('compare: different capacities compare the common part and need a zero tail', async () => {
  await rawWith('short.img', 4 * MiB, [[MiB, 4096]]);
  await rawWith('long.img', 6 * MiB, [[MiB, 4096]]);
  await rawWith('long-dirty.img', 6 * MiB, [[MiB, 4096], [5 * MiB, 10]]);
  assert.equal((await vixdisk('compare', 'short.img', 'long.img')).code, 0);
  const r = await vixdisk('compare', 'long-dirty.img', 'short.img');
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`offset ${5 * MiB}\\b`));
  assertOneLineError(await vixdisk('compare', 'short.img', 'missing.img'), 4, 2);
});

test('map --json and the nbdinfo-style listing of a disk with two written regions', async () => {
  await rawWith('two.img', 8 * MiB, [[0, 4096], [5 * MiB, 128 * 1024]]);
  await ok('convert', 'two.img', 'two.vmdk');
  const map = JSON.parse((await ok('map', '--json', 'two.vmdk')).stdout);
  assert.deepEqual(map, [
    { offset: 0, length: 65536, allocated: true, zero: false },
    { offset: 65536, length: 5 * MiB - 65536, allocated: false, zero: true },
    { offset: 5 * MiB, length: 131072, allocated: true, zero: false },
    { offset: 5 * MiB + 131072, length: 3 * MiB - 131072, allocated: false, zero: true },
  ]);
  const text = (await ok('map', 'two.vmdk')).stdout.split('\n').filter(Boolean);
  assert.deepEqual(text.map((l) => l.trim().split(/\s+/)), [
    ['0', '65536', '0', 'data'],
    ['65536', String(5 * MiB - 65536), '3', 'hole,zero'],
    [String(5 * MiB), '131072', '0', 'data'],
    [String(5 * MiB + 131072), String(3 * MiB - 131072), '3', 'hole,zero'],
  ]);
  const coarse = JSON.parse((await ok('map', '--json', '--granularity', '1M', 'two.vmdk')).stdout);
  assert.deepEqual(coarse[0], { offset: 0, length: MiB, allocated: true, zero: false });
  assertOneLineError(await vixdisk('map', '--granularity', '100', 'two.vmdk'), 3, 2);
  const info = JSON.parse((await ok('info', '--json', 'two.vmdk')).stdout);
  assert.equal(info.allocatedBytes, 65536 + 131072);
});

test('dump prints offset, 16 bytes of hex and ASCII', async () => {
  await rawWith('text.img', MiB, [[4096, 512]]);
  await ok('convert', '--type', 'streamOptimized', 'text.img', 'text.vmdk');
  const lines = (await ok('dump', 'text.vmdk', '--start', '8', '--count', '1')).stdout.trimEnd().split('\n');
  assert.equal(lines.length, 32);
  assert.equal(lines[0], '00001000: 62 6c 6f 63 6b 20 61 74  20 34 30 39 36 3b 62 6c  block at 4096;bl');
  assert.match(lines[31]!, /^000011f0: /);
  const zeros = (await ok('dump', 'text.vmdk', '--start', '0')).stdout.split('\n')[0];
  assert.equal(zeros, '00000000: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................');
  assertOneLineError(await vixdisk('dump', 'text.vmdk', '--start', '2048'), 16007, 1);
  assertOneLineError(await vixdisk('dump', 'text.vmdk', '--start', 'x'), 3, 2);
});

test('check: exit 0 when consistent, non-zero with the problem printed otherwise', async () => {
  await ok('create', 'fine.vmdk', '1M');
  const good = await vixdisk('check', '--json', 'fine.vmdk');
  assert.equal(good.code, 0);
  assert.equal(JSON.parse(good.stdout).ok, true);
  await writeFile(join(dir, 'junk.vmdk'), Buffer.alloc(4096, 'not a disk'));
  const bad = await vixdisk('check', 'junk.vmdk');
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^problem: .+ \(VIX error \d+\)$/m);
});

test('a missing file is one line with VIX error 4 on every command', async () => {
  await Promise.all([['info', 'missing.vmdk'], ['map', 'missing.vmdk'], ['dump', 'missing.vmdk'],
    ['convert', 'missing.vmdk', 'out.vmdk'], ['create', '--parent', 'missing.vmdk', 'kid.vmdk']].map(async (args) => {
    assertOneLineError(await vixdisk(...args), 4, 1);
  }));
  const check = await vixdisk('check', 'missing.vmdk');
  assert.notEqual(check.code, 0);
  assert.match(check.stdout + check.stderr, /\(VIX error 4\)/);
  assert.ok(!(await readdir(dir)).includes('out.vmdk'));
});

test('--help of every command says what it does; usage errors exit 2', async () => {
  await Promise.all(['info', 'create', 'convert', 'check', 'map', 'compare', 'dump', 'demo'].map(async (cmd) => {
    const r = await ok(cmd, '--help');
    assert.match(r.stdout, new RegExp(`^Usage: vixdisk ${cmd} `));
    assert.ok(r.stdout.split('\n').length > 5);
  }));
  assert.equal((await vixdisk('info')).code, 2);
  assert.equal((await vixdisk('no-such-command')).code, 2);
});

test('the top-level help lists every command (each is loaded only when it runs); --version needs none', async () => {
  const help = await ok('--help');
  for (const cmd of ['info', 'create', 'convert', 'check', 'map', 'compare', 'dump', 'grow', 'shrink', 'defrag', 'rename', 'rm', 'metadata', 'space-needed', 'serve', 'sample', 'demo']) {
    assert.match(help.stdout, new RegExp(`^  ${cmd} `, 'm'), `--help lists ${cmd}`);
  }
  const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
  assert.equal((await ok('--version')).stdout.trim(), pkg.version);
  assert.equal((await ok('-V')).stdout.trim(), pkg.version);
});
