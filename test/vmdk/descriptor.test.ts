import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Descriptor } from '../../src/vmdk/descriptor.js';
import { VixError } from '../../src/errors/vix-error.js';

const QEMU_TEXT = `# Disk DescriptorFile
version=1
CID=2449856
parentCID=ffffffff
createType="twoGbMaxExtentSparse"

# Extent description
RW 4194304 SPARSE "ts-s001.vmdk"
RW 2097152 SPARSE "ts-s002.vmdk"

# The Disk Data Base
#DDB

ddb.virtualHWVersion = "6"
ddb.geometry.cylinders = "6241"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.adapterType = "ide"
ddb.toolsVersion = "2147483647"
`;

test('a descriptor round-trips byte for byte, unknown keys and comments included', () => {
  const text = QEMU_TEXT.replace('#DDB', '#DDB\n# a comment of ours\nddb.someVendorKey = "x y"');
  assert.equal(Descriptor.parse(text).toString(), text);
});

test('header values, CIDs of any width, extents and ddb keys are read', () => {
  const d = Descriptor.parse(QEMU_TEXT);
  assert.equal(d.createType, 'twoGbMaxExtentSparse');
  assert.equal(d.cid, 0x2449856);
  assert.equal(d.parentCid, 0xffffffff);
  assert.deepEqual(d.extents, [
    { access: 'RW', sizeSectors: 4194304, type: 'SPARSE', fileName: 'ts-s001.vmdk' },
    { access: 'RW', sizeSectors: 2097152, type: 'SPARSE', fileName: 'ts-s002.vmdk' },
  ]);
  assert.equal(d.getDdb('ddb.geometry.cylinders'), '6241');
  assert.equal(d.getDdb('DDB.ADAPTERTYPE'), 'ide', 'keys compare case-insensitively');
});

test('changing a value rewrites only its line; CID stays right before parentCID', () => {
  const d = Descriptor.parse(QEMU_TEXT);
  d.cid = 0xabc;
  d.setDdb('ddb.adapterType', 'lsilogic');
  d.setDdb('ddb.uuid', '60 00 c2 97 ee 00 4e ed-cb 09 ab 10 91 3f 7f 99');
  const out = d.toString();
  assert.match(out, /\nCID=00000abc\nparentCID=ffffffff\n/);
  assert.match(out, /ddb.adapterType = "lsilogic"/);
  assert.match(out, /ddb.toolsVersion = "2147483647"\nddb.uuid = "60 00/);
  assert.equal(out.split('\n').length, QEMU_TEXT.split('\n').length + 1);
});

test('ovftool and VMware variants parse: unquoted values, spaces, RDONLY, CRLF, NUL padding, offsets', () => {
  const text = '# Disk DescriptorFile\r\nversion=1\r\nCID=fffffffe\r\nparentCID=ffffffff\r\ncreateType=streamOptimized\r\n' +
    'RDONLY 2048 SPARSE "a b.vmdk"\r\nRW 100   FLAT   "dev.img"   63\r\nNOACCESS 8 ZERO\r\nddb.adapterType="lsilogic"\r\n\0\0\0garbage';
  const d = Descriptor.parse(new TextEncoder().encode(text));
  assert.equal(d.createType, 'streamOptimized');
  assert.deepEqual(d.extents.map((e) => [e.access, e.sizeSectors, e.type, e.fileName, e.offsetSectors]), [
    ['RDONLY', 2048, 'SPARSE', 'a b.vmdk', undefined],
    ['RW', 100, 'FLAT', 'dev.img', 63],
    ['NOACCESS', 8, 'ZERO', undefined, undefined],
  ]);
  assert.equal(d.getDdb('ddb.adapterType'), 'lsilogic');
});

test('a new descriptor is what VMware writes and QEMU parses', () => {
  const d = Descriptor.create({
    cid: 0x1234, createType: 'monolithicSparse', extents: [{ access: 'RW', sizeSectors: 2048, type: 'SPARSE', fileName: 'x.vmdk' }],
    ddb: [['ddb.adapterType', 'ide']],
  });
  const lines = d.toString().split('\n');
  assert.equal(lines[0], '# Disk DescriptorFile');
  assert.equal(lines[1], 'version=1');
  assert.ok(lines.indexOf('CID=00001234') + 1 === lines.indexOf('parentCID=ffffffff'));
  assert.ok(lines.includes('createType="monolithicSparse"'), 'createType="…" without spaces, as QEMU requires');
  assert.ok(lines.includes('RW 2048 SPARSE "x.vmdk"'));
});

test('bad descriptors are refused with the right code', () => {
  const code = (text: string) => {
    try {
      Descriptor.parse(text);
    } catch (err) {
      assert.ok(err instanceof VixError);
      assert.ok(!err.message.includes('\n'));
      return err.code;
    }
    return 0;
  };
  assert.equal(code('version=9\nCID=1\ncreateType="monolithicFlat"\n'), 16011);
  assert.equal(code('version=1\nCID=1\n'), 16063, 'no createType');
  assert.equal(code('hello world\n'), 16063);
  assert.equal(code('version=1\nCID=zz\ncreateType="x"\nRW 1 FLAT "a"\n'), 0, 'CID is only checked when used');
  assert.equal(code('version=1\ncreateType="x"\nRW 1 BOGUS "a"\n'), 16063);
  assert.equal(code('version=1\ncreateType="x"\nRW 1 FLAT\n'), 16063, 'FLAT extent without a file');
  assert.equal(code('version=1\ncreateType="x"\nRW 99999999999999999999 FLAT "a" 0\n'), 16063);
});
