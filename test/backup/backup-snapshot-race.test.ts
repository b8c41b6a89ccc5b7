import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupSnapshotDescription, backupSnapshotName } from '../../src/backup/backup-snapshot-name.js';
import { callAdmin } from '../../src/host/admin-endpoint.js';
import type { ManagedObjectReference } from '../../src/vsphere/vim-types.js';
import { findVm, flattenSnapshots, snapshotTree } from '../../src/vsphere/vm-operations.js';
import { runVixdisk } from '../support/run-cli.js';
import { startBackupWorld, type BackupWorld } from './backup-support.js';

// The leftover-snapshot race: a backup killed right after it sent CreateSnapshot_Task, before the task
// ended, leaves a snapshot that exists only once the task ends. The next run must find it even when
// the task ends after that run started: it waits for the VM's running tasks before its leftover scan
// (else it misses the snapshot, or meets TaskInProgress on its own). The VM's storage stalls (the
// host's admin `stall`) so the killed run's task is certainly still running when the next run starts.

/** The pid of a process that has exited: the owner of the killed run's snapshot. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

for (const personality of ['vcenter', 'esxi'] as const) {
  describe(`vixdisk backup: a killed run's snapshot task still running (${personality})`, () => {
    let w: BackupWorld;
    before(async () => { w = await startBackupWorld(personality); });
    after(async () => { await w?.close(); });

    test('the next run waits for the task, then removes the snapshot it made, and completes', async () => {
      const init = await runVixdisk(['backup', '--vm', 'web', '--chunk-size', '256K', '--init', '--json'], { env: w.env, timeoutMs: 120_000 });
      assert.equal(init.code, 0, init.stderr);
      const vim = await w.vim();
      const vm = (await findVm(vim, 'web')).ref;

      // The killed run: its CreateSnapshot_Task is sent while the VM's storage stalls, and nobody waits for it.
      const runId = '20261208T000000Z-dead01';
      const pid = await deadPid();
      await callAdmin(join(w.dir, 'host'), { op: 'stall', vm: 'web', ms: 4000 });
      const task = await vim.call('CreateSnapshot_Task', vm, {
        name: backupSnapshotName(runId),
        description: backupSnapshotDescription({ runId, pid, machine: hostname(), started: new Date().toISOString() }),
        memory: false, quiesce: false,
      }) as ManagedObjectReference;
      const { info } = await vim.retrieveProperties(task, ['info']) as { info: { state: string } };
      assert.notEqual(info.state, 'success', 'the task is still running when the next run starts');

      const r = await runVixdisk(['backup', '--vm', 'web', '--chunk-size', '256K', '--json'], { env: w.env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`waiting for its task ${task.value} \\(VirtualMachine\\.createSnapshot, (running|queued)\\)`));
      assert.match(r.stderr, new RegExp(`removing leftover snapshot \\S+ "${backupSnapshotName(runId)}": its backup \\(pid ${pid} .*is no longer running`));
      const out = JSON.parse(r.stdout) as { kind: string; leftoversRemoved: string[] };
      assert.equal(out.kind, 'incremental');
      assert.equal(out.leftoversRemoved.length, 1);
      assert.equal(flattenSnapshots(await snapshotTree(vim, vm)).length, 0, 'no vSphere snapshot is left');
    });
  });
}
