import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, symlink, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tempDir } from '../support/temp-dir.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { moref, type ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import {
  APP_DELTA_OFFSET, DEFAULT_DATA_LENGTH, DEFAULT_DATA_OFFSETS, defaultDiskData,
} from '../../src/host/inventory/default-inventory.js';
import { VmxFile } from '../../src/host/inventory/vmx-file.js';

/** Every file under `dir` (lock folders aside) with its SHA-256 (big ones: size and mtime). */
async function fileHashes(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.endsWith('.lck')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        // Big extents (sparse flat files) by size and modification time: hashing them is slow.
        const st = await stat(p);
        out.set(relative(dir, p), st.size > (1 << 20) ? `${st.size}@${st.mtimeMs}` : createHash('sha256').update(await readFile(p)).digest('hex'));
      }
    }
  };
  await walk(dir);
  return out;
}

/** Every object reachable from the root folder through the properties that name children. */
function walkInventory(inv: HostInventory): Map<string, ManagedObjectReference> {
  const seen = new Map<string, ManagedObjectReference>();
  const queue: ManagedObjectReference[] = [inv.ref('Folder', inv.record.rootFolder)];
  while (queue.length) {
    const ref = queue.shift()!;
    const key = `${ref.type}:${ref.value}`;
    if (seen.has(key)) continue;
    seen.set(key, ref);
    const obj = inv.lookup(ref);
    assert.ok(obj, `${key} resolves`);
    for (const p of ['childEntity', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder', 'host', 'datastore', 'vm', 'resourcePool', 'rootSnapshot', 'childSnapshot']) {
      const v = obj.property(p);
      for (const r of Array.isArray(v) ? v : v ? [v] : []) {
        if ((r as ManagedObjectReference)._type === 'ManagedObjectReference') queue.push(r as ManagedObjectReference);
      }
    }
  }
  return seen;
}

test('a new data folder gets the embedded default (about 0.2 s; bounded generously for loaded machines), with the documented objects', async (t) => {
  const dir = await tempDir(t);
  const started = Date.now();
  const inv = await HostInventory.open(dir);
  assert.ok(Date.now() - started < 20_000, `created in ${Date.now() - started} ms`);
  const objects = walkInventory(inv);
  const names = (type: string) => [...objects.values()].filter((r) => r.type === type).map((r) => inv.lookup(r)!.property('name')).sort();
  assert.deepEqual(names('Datacenter'), ['dc1']);
  assert.deepEqual(names('ClusterComputeResource'), ['cluster1']);
  assert.deepEqual(names('HostSystem'), ['esx1.local', 'esx2.local']);
  assert.deepEqual(names('Datastore'), ['datastore1', 'datastore2']);
  assert.deepEqual(names('VirtualMachine'), ['app', 'db', 'web']);
  assert.equal([...objects.values()].filter((r) => r.type === 'VirtualMachineSnapshot').length, 1);
  assert.ok([...objects.values()].every((r) => /^(group-[dvhsn]\d+|datacenter-\d+|domain-c\d+|resgroup-\d+|host-\d+|datastore-\d+|vm-\d+|snapshot-\d+)$/.test(r.value)),
    [...objects.values()].map((r) => r.value).join(' '));

  const vm = (name: string) => inv.visibleVms.find((v) => v.name === name)!;
  const web = inv.lookup(inv.vmRef(vm('web')))!;
  assert.equal((web.property('runtime') as { powerState: string }).powerState, 'poweredOn');
  const config = web.property('config') as { hardware: { device: Array<Record<string, any>> }; changeTrackingEnabled: boolean; uuid: string; files: { vmPathName: string } };
  const disks = config.hardware.device.filter((d) => d._type === 'VirtualDisk');
  assert.deepEqual(disks.map((d) => [d.key, d.backing.fileName, d.capacityInBytes, d.backing.thinProvisioned]),
    [[2000, '[datastore1] web/web.vmdk', 64 << 20, false], [2001, '[datastore1] web/web_1.vmdk', 64 << 20, true]]);
  assert.equal(config.changeTrackingEnabled, false);
  assert.match(config.uuid, /^42[0-9a-f]{6}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(config.files.vmPathName, '[datastore1] web/web.vmx');
  assert.equal((web.property('capability') as { changeTrackingSupported: boolean }).changeTrackingSupported, true);
  assert.equal(web.property('snapshot'), undefined);

  const app = inv.lookup(inv.vmRef(vm('app')))!;
  const snap = app.property('snapshot') as { currentSnapshot: ManagedObjectReference; rootSnapshotList: Array<{ name: string; snapshot: ManagedObjectReference }> };
  assert.equal(snap.rootSnapshotList[0]!.name, 'nightly');
  assert.deepEqual(snap.currentSnapshot, snap.rootSnapshotList[0]!.snapshot);
  const appDisk = (app.property('config') as typeof config).hardware.device.find((d) => d._type === 'VirtualDisk')!;
  assert.equal(appDisk.backing.fileName, '[datastore2] app/app-000001.vmdk');
  assert.equal(appDisk.backing.deltaDiskFormat, 'redoLogFormat');
  assert.equal(appDisk.backing.parent.fileName, '[datastore2] app/app.vmdk');
  const frozen = inv.lookup(snap.currentSnapshot)!.property('config') as typeof config;
  assert.equal(frozen.hardware.device.find((d) => d._type === 'VirtualDisk')!.backing.fileName, '[datastore2] app/app.vmdk');

  const ds1 = inv.lookup(inv.ref('Datastore', inv.datastore('datastore1')!.morefs))!;
  const summary = ds1.property('summary') as { url: string; capacity: number; freeSpace: number; type: string };
  assert.match(summary.url, /^ds:\/\/\/vmfs\/volumes\/[0-9a-f-]+\/$/);
  assert.ok(summary.capacity > 0 && summary.freeSpace > 0 && summary.freeSpace <= summary.capacity);
  assert.equal(summary.type, 'VMFS');
  assert.equal((ds1.property('info') as { vmfs: { majorVersion: number } }).vmfs.majorVersion, 6);

  inv.setHostRuntime('esx1.local', { nfcPort: 902, sslThumbprint: 'AA:BB', certificate: Buffer.from('cert') });
  const host = inv.lookup(inv.ref('HostSystem', inv.host('esx1.local')!.morefs))!;
  assert.equal((host.property('summary') as { config: { sslThumbprint: string } }).config.sslThumbprint, 'AA:BB');
  assert.deepEqual((host.property('config') as { certificate: Uint8Array }).certificate, Buffer.from('cert'));
  assert.equal(inv.lookup(moref('VirtualMachine', 'vm-999')), undefined);

  // The disks hold the documented data, read through our engine.
  const disk = await VmdkDisk.open(join(dir, 'datastores/datastore2/app/app-000001.vmdk'), { readOnly: true });
  try {
    for (const offset of DEFAULT_DATA_OFFSETS) {
      const b = Buffer.alloc(DEFAULT_DATA_LENGTH);
      await disk.read(offset, b);
      assert.ok(b.equals(defaultDiskData('app/app.vmdk', offset, DEFAULT_DATA_LENGTH)), `app data at ${offset}`);
    }
    const b = Buffer.alloc(DEFAULT_DATA_LENGTH);
    await disk.read(APP_DELTA_OFFSET, b);
    assert.ok(b.equals(defaultDiskData('app/app-000001.vmdk', APP_DELTA_OFFSET, DEFAULT_DATA_LENGTH)));
  } finally {
    await disk.close();
  }
});

test('a restart finds every moref, .vmx, .vmsd and disk as it was', async (t) => {
  const dir = await tempDir(t);
  const first = await HostInventory.open(dir);
  const refsBefore = [...walkInventory(first).keys()].sort();
  const filesBefore = await fileHashes(dir);
  const second = await HostInventory.open(dir);
  assert.deepEqual([...walkInventory(second).keys()].sort(), refsBefore);
  assert.deepEqual(await fileHashes(dir), filesBefore);
  for (const v of first.visibleVms) {
    const again = second.lookup(first.vmRef(v))!;
    assert.deepEqual((again.property('config') as { uuid: string }).uuid, (first.lookup(first.vmRef(v))!.property('config') as { uuid: string }).uuid);
  }
});

test('the esxi personality shows the first host and its VMs under the ha-* morefs', async (t) => {
  const dir = await tempDir(t);
  await HostInventory.open(dir);
  const inv = await HostInventory.open(dir, { personality: 'esxi' });
  const refs = [...walkInventory(inv).values()];
  const of = (type: string) => refs.filter((r) => r.type === type).map((r) => r.value);
  assert.deepEqual(of('Folder').sort(), ['ha-folder-datastore', 'ha-folder-host', 'ha-folder-network', 'ha-folder-root', 'ha-folder-vm']);
  assert.deepEqual(of('Datacenter'), ['ha-datacenter']);
  assert.deepEqual(of('ComputeResource'), ['ha-compute-res']);
  assert.deepEqual(of('HostSystem'), ['ha-host']);
  assert.deepEqual(of('ResourcePool'), ['ha-root-pool']);
  assert.deepEqual(inv.visibleVms.map((v) => v.name), ['web', 'app']);
  assert.ok(of('VirtualMachine').every((v) => /^\d+$/.test(v)));
  const app = inv.visibleVms.find((v) => v.name === 'app')!;
  const snapRef = (inv.lookup(inv.vmRef(app))!.property('snapshot') as { currentSnapshot: ManagedObjectReference }).currentSnapshot;
  assert.equal(snapRef.value, `${app.record.morefs.esxi}-snapshot-1`);
  // A VM on the other host is not part of this host's view.
  const db = inv.record.vms.find((v) => v.vmx.includes('db.vmx'))!;
  assert.equal(inv.lookup(moref('VirtualMachine', db.morefs.esxi)), undefined);
});

test('datastore paths stay inside their datastore: .., unknown datastores and symlinks out are refused', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  assert.equal(await inv.resolveDatastorePath('[datastore1] web/web.vmdk'), join(inv.dir, 'datastores/datastore1/web/web.vmdk'));
  const refused = async (path: string, fault: string) => {
    await assert.rejects(inv.resolveDatastorePath(path), (e: unknown) => e instanceof SoapFault && e.faultType === fault, path);
  };
  await refused('[datastore1] ../../etc/passwd', 'InvalidArgument');
  await refused('[datastore1] web/../../datastore2/app/app.vmdk', 'InvalidArgument');
  await refused('[datastore1] /etc/passwd', 'InvalidArgument');
  await refused('datastore1 web/web.vmdk', 'InvalidArgument');
  await refused('[nosuch] web/web.vmdk', 'InvalidDatastore');
  await mkdir(join(dir, 'outside'));
  await symlink(join(dir, 'outside'), join(dir, 'datastores/datastore1/escape'));
  await refused('[datastore1] escape/x.vmdk', 'InvalidArgument');
  await symlink('/etc/passwd', join(dir, 'datastores/datastore1/web/passwd.vmdk'));
  await refused('[datastore1] web/passwd.vmdk', 'InvalidArgument');
  assert.ok((await stat('/etc/passwd')).isFile());
});

test('.vmx files keep unknown lines and VMware escapes through a parse and a write', () => {
  const text = '.encoding = "UTF-8"\n# a comment\ndisplayName = "say |22hi|22 |7C x"\nodd line without equals\nmemSize = "2048"\n';
  const f = VmxFile.parse(text);
  assert.equal(f.get('displayname'), 'say "hi" | x');
  assert.equal(f.getInt('MEMSIZE'), 2048);
  assert.equal(f.toString(), text);
  f.set('memSize', 4096).set('ctkEnabled', true);
  assert.equal(f.toString(), text.replace('2048', '4096') + 'ctkEnabled = "TRUE"\n');
});

test('a default creation killed half way is redone or finished; a damaged inventory.json is one readable error', async (t) => {
  const dir = await tempDir(t);
  // Killed while building: only the staging folder exists.
  await mkdir(join(dir, '.creating/datastores/datastore1/web'), { recursive: true });
  const inv = await HostInventory.open(dir);
  assert.equal(inv.allVms.length, 3);
  await inv.close();
  // Killed between the two renames: the datastores are in place, inventory.json still staged.
  const dir2 = await tempDir(t);
  const staged = await HostInventory.open(join(dir2, 'a'));
  await staged.close();
  await mkdir(join(dir2, 'a/.creating'));
  const { rename, writeFile } = await import('node:fs/promises');
  await rename(join(dir2, 'a/inventory.json'), join(dir2, 'a/.creating/inventory.json'));
  const finished = await HostInventory.open(join(dir2, 'a'));
  assert.deepEqual(finished.allVms.map((v) => v.record.morefs), staged.allVms.map((v) => v.record.morefs));
  await finished.close();
  await writeFile(join(dir2, 'a/inventory.json'), '{"version": 1, "nextNumber": "x"');
  await assert.rejects(HostInventory.open(join(dir2, 'a')), /inventory\.json is not valid JSON/);
  await writeFile(join(dir2, 'a/inventory.json'), '{"version": 2}');
  await assert.rejects(HostInventory.open(join(dir2, 'a')), /version 2 is not supported/);
});

test('the start-up scan removes only unreferenced deltas the host made in VM folders, never a user\'s files', async (t) => {
  const dir = await tempDir(t);
  const inv = await HostInventory.open(dir);
  await inv.close();
  const { createChild, createDisk } = await import('../../src/vmdk/create.js');
  const mine = join(dir, 'datastores/datastore1/mine');
  await mkdir(mine);
  await createDisk(join(mine, 'foo-000001.vmdk'), { capacity: 1 << 20, type: 'vmfs' });
  // What a snapshot killed before its journal leaves: a delta nothing refers to.
  await createChild(join(dir, 'datastores/datastore1/db/db-000001.vmdk'), join(dir, 'datastores/datastore1/db/db.vmdk'), { type: 'seSparse' });
  const again = await HostInventory.open(dir);
  await again.close();
  assert.ok((await stat(join(mine, 'foo-000001.vmdk'))).isFile());
  assert.ok((await stat(join(mine, 'foo-000001-flat.vmdk'))).isFile());
  const left = await readdir(join(dir, 'datastores/datastore1/db'));
  assert.ok(!left.some((n) => n.startsWith('db-000001')), left.join());
});
