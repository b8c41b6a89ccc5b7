import { copyFile, link, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createChild, createDisk, type ChildType } from '../../src/vmdk/create.js';
import { Descriptor } from '../../src/vmdk/descriptor.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { VmdkLink } from '../../src/vmdk/link.js';
import { encodeSparseHeader, FLAG_VALID_NEWLINE } from '../../src/vmdk/sparse-header.js';

/** Bytes each link of a deep chain writes, at link number × this: one grain of every child type. */
export const DEEP_CHAIN_STRIDE = 64 << 10;

/** The byte link `i` of a deep chain fills its stride with. */
export function deepChainByte(i: number): number {
  return (i % 255) + 1;
}

/**
 * A chain of `links` links in `dir`: a monolithicSparse base c0.vmdk and children c1..c{n-1} of
 * `type`, link i holding deepChainByte(i) at i × DEEP_CHAIN_STRIDE. Children are copies of one
 * made by createChild, given their own names, parent and CIDs: creating each from its parent would
 * open the whole chain every time. Returns the top link's path.
 */
export async function writeDeepChain(dir: string, type: ChildType, links: number): Promise<string> {
  const path = (i: number) => join(dir, `c${i}.vmdk`);
  await createDisk(path(0), { capacity: links * DEEP_CHAIN_STRIDE, type: 'monolithicSparse' });
  await mkdir(join(dir, 'template'));
  const template = join(dir, 'template', 't.vmdk');
  await createChild(template, path(0), { type });
  const t = await VmdkLink.open(template, { readOnly: true });
  const deltaName = t.extents[0]!.line.fileName!; // the template's own name when monolithic
  await t.close();
  let parentCid = await fill(path(0), 0);
  for (let i = 1; i < links; i++) {
    const delta = deltaName === 't.vmdk' ? null : deltaName.replace(/^t/, `c${i}`);
    const edit = (d: Descriptor) => {
      if (delta) d.extents = [{ ...d.extents[0]!, fileName: delta }];
      d.set('parentFileNameHint', `c${i - 1}.vmdk`);
      d.parentCid = parentCid;
    };
    if (delta) {
      // A descriptor file beside its own copy of the delta.
      await copyFile(join(dir, 'template', deltaName), join(dir, delta));
      const d = Descriptor.parse(await readFile(template));
      edit(d);
      await writeFile(path(i), d.toBytes());
    } else {
      // monolithicSparse: the descriptor is embedded in the copy.
      await copyFile(template, path(i));
      const l = await VmdkLink.open(path(i));
      edit(l.descriptor);
      await l.saveDescriptor();
      await l.close();
    }
    parentCid = await fill(path(i), i);
  }
  return path(links - 1);
}

/** Write link i's stride (whole grains: nothing is read from below) and return its new CID. */
async function fill(p: string, i: number): Promise<number> {
  const d = await VmdkDisk.open(p, { singleLink: true });
  await d.write(i * DEEP_CHAIN_STRIDE, new Uint8Array(DEEP_CHAIN_STRIDE).fill(deepChainByte(i)));
  const cid = d.top.descriptor.cid;
  await d.close();
  return cid;
}

/** Lines of a ZERO extent each descriptor of a hostile chain lists: today's per-link maximum. */
export const HOSTILE_EXTENTS_PER_LINK = 65536;

/**
 * The hostile chains of issue 9: `links` links, each a descriptor inside every per-link limit whose
 * body is `body` (by default 65536 one-sector ZERO extents). One file on disk, hard-linked as l.vmdk
 * into nested folders (each link's parent is sub/l.vmdk), all with the same CID, so the chain is
 * small on disk however deep. Returns the top link's path.
 */
export async function writeHostileChain(dir: string, links: number, body = 'RW 1 ZERO\n'.repeat(HOSTILE_EXTENTS_PER_LINK)): Promise<string> {
  const text = '# Disk DescriptorFile\nversion=1\nCID=0badc0de\nparentCID=0badc0de\ncreateType="monolithicFlat"\n'
    + `parentFileNameHint="sub/l.vmdk"\n\n${body}`;
  let folder = dir;
  const first = join(dir, 'l.vmdk');
  await writeFile(first, text);
  for (let i = 1; i < links; i++) {
    folder = join(folder, 'sub');
    await mkdir(folder);
    await link(first, join(folder, 'l.vmdk'));
  }
  return first;
}

/** Grain directory bytes each link of writeHostileSparseChain keeps in memory once open. */
export const HOSTILE_GD_BYTES_PER_LINK = 128 << 20;

/**
 * A chain of monolithicSparse links whose every header claims the largest capacity a grain
 * directory may describe (32M entries: 128 MiB of directory each), the file a hole of that size
 * (a few KiB on disk), each naming "sub/l.vmdk" as its parent, hard-linked down nested folders.
 */
export async function writeHostileSparseChain(dir: string, links: number): Promise<string> {
  const gdEntries = HOSTILE_GD_BYTES_PER_LINK / 4;
  const grainSectors = 128;
  const gtes = 512;
  const capacitySectors = gdEntries * gtes * grainSectors;
  const descriptorSectors = 20;
  const gdOffsetSectors = 1 + descriptorSectors;
  const overheadSectors = Math.ceil((gdOffsetSectors + HOSTILE_GD_BYTES_PER_LINK / 512) / grainSectors) * grainSectors;
  const header = encodeSparseHeader({
    version: 1, flags: FLAG_VALID_NEWLINE, capacitySectors, grainSizeSectors: grainSectors,
    descriptorOffsetSectors: 1, descriptorSizeSectors: descriptorSectors, numGTEsPerGT: gtes,
    rgdOffsetSectors: 0, gdOffsetSectors, overheadSectors, uncleanShutdown: false, compressAlgorithm: 0,
  });
  const descriptor = '# Disk DescriptorFile\nversion=1\nCID=0badc0de\nparentCID=0badc0de\ncreateType="monolithicSparse"\n'
    + `parentFileNameHint="sub/l.vmdk"\n\nRW ${capacitySectors} SPARSE "l.vmdk"\n`;
  const first = join(dir, 'l.vmdk');
  const fh = await open(first, 'w');
  try {
    await fh.write(header, 0, header.length, 0);
    await fh.write(Buffer.from(descriptor), 0, descriptor.length, 512);
    await fh.truncate(overheadSectors * 512);
  } finally {
    await fh.close();
  }
  let folder = dir;
  for (let i = 1; i < links; i++) {
    folder = join(folder, 'sub');
    await mkdir(folder);
    await link(first, join(folder, 'l.vmdk'));
  }
  return first;
}
