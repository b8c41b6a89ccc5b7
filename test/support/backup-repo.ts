import { chunkDigest, MANIFEST_FILE, MANIFEST_FORMAT, type BackupManifest, type DiskManifest } from '../../src/backup/manifest.js';
import { join } from 'node:path';
import { Repository } from '../../src/restic/repository.js';
import { saveTreeOf, type TreeEntry } from '../../src/restic/tree-builder.js';

// A vixdisk backup written straight through the Repository API, laid out exactly as
// src/backup/manifest.ts says (/<vm>/<vm>.vmx, /<vm>/<disk>.raw, /<vm>/vixdisk-manifest.json; tags
// vixdisk, vm=, moref=, full|incremental): restore, verify and snapshots are tested on it without
// a host. Zero chunks are stored as what they are, the zero blob (deduplicated), as backup does.

export interface TestDisk {
  file: string;
  /** The disk's whole content (its length is the capacity). */
  data: Buffer;
  chunkSize?: number;
  label?: string;
  adapterType?: string;
}

export interface TestBackup {
  vm: string;
  moref?: string;
  disks: TestDisk[];
  kind?: 'full' | 'incremental';
  parent?: string | null;
  /** Replace a disk's blob list before the manifest's digest is taken (a tree naming a blob the repository lacks). */
  contentOverride?: (index: number, content: string[]) => string[];
  /** Replace a disk's digest (to test that a mismatch is refused). */
  digestOverride?: (index: number, digest: string) => string;
  time?: string;
}

export async function writeTestBackup(repo: Repository, b: TestBackup): Promise<string> {
  const moref = b.moref ?? `vm-${b.vm}`;
  const kind = b.kind ?? 'full';
  const entries: TreeEntry[] = [];
  const disks: DiskManifest[] = [];
  for (const [i, d] of b.disks.entries()) {
    const chunkSize = d.chunkSize ?? 1 << 20;
    let content: string[] = [];
    for (let o = 0; o < d.data.length; o += chunkSize) content.push(await repo.saveBlob('data', d.data.subarray(o, Math.min(o + chunkSize, d.data.length))));
    if (b.contentOverride) content = b.contentOverride(i, content);
    entries.push({ path: [b.vm, d.file], node: { type: 'file', mode: 0o600, size: d.data.length, content } });
    const digest = chunkDigest(content);
    disks.push({
      key: 2000 + i, label: d.label ?? `Hard disk ${i + 1}`, file: d.file, datastorePath: `[datastore1] ${b.vm}/${d.file.replace(/\.raw$/, '.vmdk')}`,
      capacityBytes: d.data.length, chunkSize, adapterType: d.adapterType ?? 'lsilogic',
      biosGeometry: { cylinders: 100, heads: 16, sectors: 63 }, physGeometry: { cylinders: 100, heads: 16, sectors: 63 },
      thinProvisioned: true, uuid: null, changeId: `52 00 00 00 00 00 00 0${i}-00 00 00 00 00 00 00 00/1`, backupKind: kind,
      fullReason: kind === 'full' ? 'first backup' : null, digest: b.digestOverride ? b.digestOverride(i, digest) : digest,
      bytesRead: d.data.length, bytesNew: d.data.length,
    });
  }
  const vmx = Buffer.from(`.encoding = "UTF-8"\ndisplayName = "${b.vm}"\n` +
    b.disks.map((d, i) => `scsi0:${i}.fileName = "${d.file.replace(/\.raw$/, '.vmdk')}"\n`).join(''));
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT, vixdiskVersion: '0.1.0', createdAt: b.time ?? new Date().toISOString(),
    host: { url: 'https://127.0.0.1/sdk', apiType: 'VirtualCenter' },
    vm: { moref, name: b.vm, uuid: null, instanceUuid: null, vmxPath: `[datastore1] ${b.vm}/${b.vm}.vmx`, vmxFile: `${b.vm}.vmx`, guestId: 'otherGuest64', numCPU: 1, memoryMB: 512 },
    vsphereSnapshot: { moref: 'snapshot-1', name: 'vixdisk-backup test' }, parent: b.parent ?? null, transportMode: 'nbdssl', disks,
  };
  const small = async (path: string[], bytes: Buffer) => {
    entries.push({ path, node: { type: 'file', mode: 0o600, size: bytes.length, content: bytes.length ? [await repo.saveBlob('data', bytes)] : [] } });
  };
  await small([b.vm, `${b.vm}.vmx`], vmx);
  await small([b.vm, MANIFEST_FILE], Buffer.from(JSON.stringify(manifest, null, 2)));
  const tree = await saveTreeOf(repo, entries);
  return repo.saveSnapshot({
    tree, paths: [`/${b.vm}`], tags: ['vixdisk', `vm=${b.vm}`, `moref=${moref}`, kind], time: b.time,
    ...(b.parent ? { parent: b.parent } : {}),
  });
}

/** A snapshot of plain files, as another tool would make: no manifest. */
export async function writeOtherSnapshot(repo: Repository, files: Record<string, Buffer>): Promise<string> {
  const entries: TreeEntry[] = [];
  for (const [name, data] of Object.entries(files)) {
    entries.push({ path: ['home', name], node: { type: 'file', mode: 0o644, size: data.length, content: data.length ? [await repo.saveBlob('data', data)] : [] } });
  }
  return repo.saveSnapshot({ tree: await saveTreeOf(repo, entries), paths: ['/home'] });
}

/** The pack file that holds data blob `blob`, and where in it (for tests that damage one blob). */
export async function blobLocation(repoPath: string, password: string, blob: string): Promise<{ file: string; offset: number; length: number }> {
  const repo = await Repository.open(repoPath, password, { lock: 'none', sealWorkers: 0 });
  try {
    const loc = repo.index.lookup('data', blob)!;
    return { file: join(repoPath, 'data', loc.packId.slice(0, 2), loc.packId), offset: loc.offset, length: loc.length };
  } finally {
    await repo.close();
  }
}
