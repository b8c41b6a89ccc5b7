import { Command } from 'commander';
import { addJsonOutput } from './output-option.js';
import { addRemoteOptions, remoteConnection, type RemoteOptionValues } from './remote-options.js';
import { runAction } from './run-action.js';
import { formatTable } from './text-table.js';
import { UsageError } from './usage-error.js';
import type { VimClient } from '../vsphere/vim-client.js';
import {
  allChangedDiskAreas, closeVimSession, createSnapshot, findSnapshot, findVm, listVms, openVimSession, pickDisk,
  removeSnapshot, setChangeTracking, snapshotTree, vmDisks, type SnapshotNode,
} from '../vsphere/vm-operations.js';

// vixdisk vm: what a person does to drive a backup by hand — list VMs, take and remove snapshots,
// switch change tracking, ask which areas changed, see a VM's (or snapshot's) disks — over the
// shared connection options (remote-options.ts; the password never from argv). Every subcommand
// prints a table for people, or one JSON document with --json for scripts. The vim25 work is
// src/vsphere/vm-operations.ts, which the backup job uses too.

interface JsonOption { json?: boolean }

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Log in with the connection options, run, log out (also on failure). */
async function withVim<T>(opts: RemoteOptionValues, work: (client: VimClient) => Promise<T>): Promise<T> {
  const { params } = await remoteConnection(opts);
  const client = await openVimSession({
    host: params.serverName!, port: params.port, thumbprint: params.thumbPrint!,
    user: params.creds!.uid!.userName, password: params.creds!.uid!.password ?? '',
  });
  try {
    return await work(client);
  } finally {
    await closeVimSession(client);
  }
}

function leaf(cmd: Command, json: string): Command {
  return addJsonOutput(addRemoteOptions(cmd, undefined, { transport: false }), json);
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(bytes % 2 ** 30 ? 1 : 0)} GiB` : `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 ? 1 : 0)} MiB`;
}

async function list(opts: RemoteOptionValues & JsonOption): Promise<void> {
  const vms = await withVim(opts, listVms);
  if (opts.json) return printJson(vms);
  for (const line of formatTable(['MOREF', 'NAME', 'POWER', 'HOST', 'CBT', 'SNAPSHOTS', 'DISKS'], vms.map((v) => [
    v.moref, v.name, v.powerState, v.host, v.changeTracking ? 'on' : 'off', v.snapshots,
    v.disks.map((d) => `${d.fileName} (${gib(d.capacityBytes)})`).join(', '),
  ]))) print(line);
}

interface SnapshotCreateOptions extends RemoteOptionValues, JsonOption {
  name?: string;
  description?: string;
  quiesce?: boolean;
  memory?: boolean;
}

async function snapshotCreate(vmSpec: string, opts: SnapshotCreateOptions): Promise<void> {
  const name = opts.name ?? `vixdisk-${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
  const result = await withVim(opts, async (c) => {
    const vm = await findVm(c, vmSpec);
    const snapshot = await createSnapshot(c, vm.ref, { name, description: opts.description, quiesce: opts.quiesce, memory: opts.memory });
    return { vm: vm.ref.value, vmName: vm.name, snapshot: snapshot.value, name };
  });
  // The moref alone on stdout, so `S=$(vixdisk vm snapshot create web)` works.
  if (opts.json) printJson(result); else print(result.snapshot);
}

async function snapshotRemove(vmSpec: string, snapshotSpec: string, opts: RemoteOptionValues & JsonOption & { children?: boolean }): Promise<void> {
  const result = await withVim(opts, async (c) => {
    const vm = await findVm(c, vmSpec);
    const snap = await findSnapshot(c, vm.ref, snapshotSpec);
    await removeSnapshot(c, snap.ref, { removeChildren: !!opts.children });
    return { vm: vm.ref.value, removed: snap.ref.value, name: snap.name, children: !!opts.children };
  });
  if (opts.json) printJson(result);
  else print(`removed snapshot ${result.removed} "${result.name}"${result.children ? ' and its children' : ''} of ${result.vm}`);
}

function treeJson(nodes: SnapshotNode[]): unknown[] {
  return nodes.map((n) => ({
    snapshot: n.ref.value, name: n.name, description: n.description, createTime: n.createTime,
    state: n.state, quiesced: n.quiesced, current: n.current, children: treeJson(n.children),
  }));
}

function treeLines(nodes: SnapshotNode[], indent = ''): string[] {
  return nodes.flatMap((n, i) => {
    const last = i === nodes.length - 1;
    const line = `${indent}${last ? '`- ' : '|- '}${n.ref.value}  "${n.name}"  ${n.createTime}${n.quiesced ? '  quiesced' : ''}${n.current ? '  (current)' : ''}`;
    return [line, ...treeLines(n.children, indent + (last ? '   ' : '|  '))];
  });
}

async function snapshotList(vmSpec: string, opts: RemoteOptionValues & JsonOption): Promise<void> {
  const { vm, tree } = await withVim(opts, async (c) => {
    const found = await findVm(c, vmSpec);
    return { vm: found, tree: await snapshotTree(c, found.ref) };
  });
  if (opts.json) return printJson({ vm: vm.ref.value, name: vm.name, snapshots: treeJson(tree) });
  print(`${vm.ref.value} "${vm.name}"${tree.length === 0 ? ': no snapshots' : ''}`);
  for (const line of treeLines(tree)) print(line);
}

async function cbt(action: string, vmSpec: string, opts: RemoteOptionValues & JsonOption): Promise<void> {
  if (action !== 'enable' && action !== 'disable') throw new UsageError(`vm cbt takes enable or disable, not "${action}"`);
  const result = await withVim(opts, async (c) => {
    const vm = await findVm(c, vmSpec);
    return { vm: vm.ref.value, name: vm.name, ...await setChangeTracking(c, vm.ref, action === 'enable') };
  });
  if (opts.json) return printJson(result);
  print(`change tracking of ${result.vm} "${result.name}": ${result.enabled ? 'on' : 'off'}`);
  if (result.pendingStun) {
    print('the VM is powered on: its disks start tracking at its next stun (a snapshot or a power cycle), as on ESXi; take a snapshot before the first backup');
  }
}

interface ChangedAreasOptions extends RemoteOptionValues, JsonOption {
  snapshot?: string;
  disk?: string;
  changeId?: string;
}

async function changedAreas(vmSpec: string, opts: ChangedAreasOptions): Promise<void> {
  if (!opts.disk) throw new UsageError('--disk is required (the device key, e.g. 2000, or the disk\'s datastore path)');
  if (!opts.changeId) throw new UsageError('--change-id is required (the change id of the earlier backup, or * for every area in use)');
  const result = await withVim(opts, async (c) => {
    const vm = await findVm(c, vmSpec);
    const snap = opts.snapshot ? await findSnapshot(c, vm.ref, opts.snapshot) : null;
    const owner = snap ? snap.ref : vm.ref;
    const disk = pickDisk(await vmDisks(c, owner), opts.disk!, snap ? `snapshot ${snap.ref.value} of ${vm.ref.value}` : vm.ref.value);
    const { areas, pages } = await allChangedDiskAreas(c, {
      vm: vm.ref, snapshot: snap?.ref ?? null, deviceKey: disk.key, changeId: opts.changeId!, capacityBytes: disk.capacityBytes,
    });
    return {
      vm: vm.ref.value, snapshot: snap?.ref.value ?? null, disk: disk.key, fileName: disk.fileName, changeId: opts.changeId!,
      // The id to give next time: this state's.
      newChangeId: disk.changeId, capacity: disk.capacityBytes, pages,
      bytes: areas.reduce((n, a) => n + a.length, 0), areas,
    };
  });
  if (opts.json) return printJson(result);
  print(`${result.fileName} (disk ${result.disk}) of ${result.vm}${result.snapshot ? ` at ${result.snapshot}` : ''}, since ${result.changeId}:`);
  for (const line of formatTable(['OFFSET', 'LENGTH'], result.areas.map((a) => [a.start, a.length]))) print(line);
  print(`${result.areas.length} areas, ${result.bytes} bytes of ${result.capacity}${result.newChangeId ? `; this state's change id: ${result.newChangeId}` : ''}`);
}

async function disks(vmSpec: string, opts: RemoteOptionValues & JsonOption & { snapshot?: string }): Promise<void> {
  const result = await withVim(opts, async (c) => {
    const vm = await findVm(c, vmSpec);
    const snap = opts.snapshot ? await findSnapshot(c, vm.ref, opts.snapshot) : null;
    return { vm: vm.ref.value, snapshot: snap?.ref.value ?? null, disks: await vmDisks(c, snap ? snap.ref : vm.ref) };
  });
  if (opts.json) return printJson(result);
  for (const line of formatTable(['KEY', 'LABEL', 'DATASTORE PATH', 'CAPACITY', 'CHANGE ID'], result.disks.map((d) => [
    d.key, d.label, d.fileName, d.capacityBytes, d.changeId ?? '-',
  ]))) print(line);
}

export function vmCommand(): Command {
  const vm = new Command('vm')
    .description('VMs on a vSphere host: list, snapshots, change tracking, changed areas, disks (password: VIXDISK_PASSWORD, VIXDISK_PASSWORD_FILE or a prompt)');
  leaf(vm.command('list'), 'one JSON array of the VMs')
    .description('every VM: moref, name, power state, host, CBT on/off, snapshot count, disks')
    .action(runAction(list));

  const snapshot = vm.command('snapshot').description('create, remove and list a VM\'s snapshots');
  leaf(snapshot.command('create'), 'a JSON object with the snapshot\'s moref')
    .description('take a snapshot and print its moref (CreateSnapshot_Task, waited for)')
    .argument('<vm>', 'moref (vm-16, moref=vm-16, ESXi 16) or name')
    .option('--name <name>', 'snapshot name (default vixdisk-<UTC time>)')
    .option('--description <text>', 'snapshot description')
    .option('--quiesce', 'quiesce the guest file systems first (VMware Tools)')
    .option('--memory', 'include the memory of a running VM')
    .action(runAction(snapshotCreate));
  leaf(snapshot.command('rm'), 'a JSON object naming what was removed')
    .description('remove a snapshot, consolidating its changes (RemoveSnapshot_Task, waited for)')
    .argument('<vm>', 'moref or name')
    .argument('<snapshot>', 'snapshot moref or name')
    .option('--children', 'remove the snapshots below it too')
    .action(runAction(snapshotRemove));
  leaf(snapshot.command('list'), 'the tree as JSON')
    .description('the VM\'s snapshot tree')
    .argument('<vm>', 'moref or name')
    .action(runAction(snapshotList));

  leaf(vm.command('cbt'), 'the resulting state as JSON')
    .description('switch changed-block tracking on or off (ReconfigVM_Task changeTrackingEnabled)')
    .argument('<action>', 'enable or disable')
    .argument('<vm>', 'moref or name')
    .action(runAction(cbt));

  leaf(vm.command('changed-areas'), 'the areas as JSON')
    .description('the areas of a disk changed since a change id, every page (QueryChangedDiskAreas)')
    .argument('<vm>', 'moref or name')
    .option('--snapshot <snapshot>', 'the snapshot whose state is compared (moref or name; needed for a running VM)')
    .option('--disk <key|path>', 'the disk: device key (2000) or datastore path')
    .option('--change-id <id>', 'the change id of the earlier backup, or * for every area in use')
    .action(runAction(changedAreas));

  leaf(vm.command('disks'), 'the disks as JSON')
    .description("each disk's key, label, datastore path, capacity and change id")
    .argument('<vm>', 'moref or name')
    .option('--snapshot <snapshot>', "the snapshot's disks instead of the VM's (moref or name)")
    .action(runAction(disks));
  return vm;
}
