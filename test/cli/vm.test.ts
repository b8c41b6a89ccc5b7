import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runVixdisk } from '../support/run-cli.js';
import { startVmCliWorld, type VmCliWorld } from '../support/vm-cli.js';

// `vixdisk vm …` against `vixdisk host` in its ESXi personality (numbered morefs, ha-host), as a
// person drives a backup by hand: list, CBT on, snapshot, changed areas, a guest write, a second
// snapshot, the areas since the first, snapshots removed (vm-failures.test.ts: errors, the prompt).

describe('vixdisk vm against vixdisk host (ESXi personality)', () => {
  let w: VmCliWorld;
  before(async () => { w = await startVmCliWorld('esxi'); });
  after(async () => { await w?.close(); });
  const vm = (args: string[], env?: NodeJS.ProcessEnv) => w.vm(args, env);
  const json = <T>(args: string[]) => w.json<T>(args);

  test('vm list: a table for people, one JSON document for scripts', async () => {
    const table = await vm(['list']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^MOREF +NAME +POWER +HOST +CBT +SNAPSHOTS +DISKS$/);
    assert.equal(lines.length, 3, 'an ESXi host shows its own VMs: web and app');
    assert.match(table.stdout, /\n13 +web +poweredOn +esx1\.local +off +0 +\[datastore1\] web\/web\.vmdk \(64 MiB\), \[datastore1\] web\/web_1\.vmdk/);
    const list = await json<Array<{ moref: string; name: string; snapshots: number; disks: unknown[] }>>(['list']);
    assert.deepEqual(list.map((v) => [v.moref, v.name, v.snapshots, v.disks.length]), [['15', 'app', 1, 1], ['13', 'web', 0, 2]]);
  });

  test('a backup by hand: CBT on, snapshot, all areas, a guest write, snapshot, the areas since, snapshots removed', async () => {
    const on = await vm(['cbt', 'enable', 'web']);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /change tracking of 13 "web": on\n.*next stun \(a snapshot or a power cycle\)/);

    const first = await vm(['snapshot', 'create', '13', '--name', 'full', '--description', 'first backup']);
    assert.equal(first.code, 0, first.stderr);
    const full = first.stdout.trim();
    assert.match(full, /^13-snapshot-\d+$/, 'the moref alone on stdout');
    const disks = await json<{ disks: Array<{ key: number; fileName: string; changeId: string | null; label: string }> }>(['disks', 'web', '--snapshot', 'full']);
    assert.equal(disks.disks.length, 2);
    const disk = disks.disks[0]!;
    assert.ok(disk.changeId, 'the snapshot disk has a change id once tracking is active');
    const table = await vm(['disks', 'web', '--snapshot', full]);
    assert.match(table.stdout, new RegExp(`${disk.key} +Hard disk 1 +\\[datastore1\\] web/web\\.vmdk +67108864 +${disk.changeId!.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const all = await json<{ areas: Array<{ start: number; length: number }>; bytes: number; newChangeId: string }>(
      ['changed-areas', 'web', '--snapshot', full, '--disk', String(disk.key), '--change-id', '*']);
    assert.ok(all.areas.length >= 1 && all.bytes > 0, 'the disk holds data');
    assert.equal(all.newChangeId, disk.changeId);

    // The guest writes 64 KiB at 32 MiB; the next snapshot's areas since the first name it.
    const write = await runVixdisk(['host', 'guest-write', '--data', w.dir, '--vm', 'web', '--disk', '0', '--offset', String(32 << 20), '--pattern', '7', '--length', '65536']);
    assert.equal(write.code, 0, write.stderr);
    const second = (await vm(['snapshot', 'create', 'web', '--name', 'incremental'])).stdout.trim();
    const since = await json<{ areas: Array<{ start: number; length: number }> }>(
      ['changed-areas', 'web', '--snapshot', 'incremental', '--disk', disk.fileName, '--change-id', disk.changeId!]);
    assert.ok(since.areas.some((a) => a.start <= 32 << 20 && a.start + a.length >= (32 << 20) + 65536), JSON.stringify(since.areas));
    assert.ok(since.areas.every((a) => a.start + a.length <= 64 << 20));
    const human = await vm(['changed-areas', 'web', '--snapshot', second, '--disk', String(disk.key), '--change-id', disk.changeId!]);
    assert.match(human.stdout, /^ *OFFSET +LENGTH$/m);
    assert.match(human.stdout, /\d+ areas, \d+ bytes of 67108864; this state's change id: /);

    const tree = await json<{ snapshots: Array<{ snapshot: string; name: string; children: Array<{ snapshot: string; current: boolean }> }> }>(['snapshot', 'list', 'web']);
    assert.equal(tree.snapshots[0]!.snapshot, full);
    assert.equal(tree.snapshots[0]!.children[0]!.snapshot, second);
    assert.equal(tree.snapshots[0]!.children[0]!.current, true);
    const shown = await vm(['snapshot', 'list', 'web']);
    assert.match(shown.stdout, new RegExp(`^\`- ${full}  "full"`, 'm'));

    const rm1 = await vm(['snapshot', 'rm', 'web', 'full', '--children']);
    assert.equal(rm1.code, 0, rm1.stderr);
    assert.match(rm1.stdout, new RegExp(`removed snapshot ${full} "full" and its children of 13`));
    assert.deepEqual((await json<{ snapshots: unknown[] }>(['snapshot', 'list', 'web'])).snapshots, []);
    const off = await json<{ enabled: boolean }>(['cbt', 'disable', 'moref=13']);
    assert.equal(off.enabled, false);
  });

});
