import assert from 'node:assert/strict';
import { get as httpsGet } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { VIX_E_AUTHENTICATION_FAIL, VIX_E_FILE_NOT_FOUND, VIX_E_OBJECT_NOT_FOUND } from '../../src/errors/error-codes.js';
import type { VmBackupResult } from '../../src/backup/vm-backup.js';
import { VimClient } from '../../src/vsphere/vim-client.js';
import { findVm, flattenSnapshots, setChangeTracking, snapshotTree } from '../../src/vsphere/vm-operations.js';
import { assertResticCheck, needRestic } from '../restic/restic-peer.js';
import { assertOneLineError, runVixdisk } from '../support/run-cli.js';
import { startBackupWorld, type BackupWorld } from './backup-support.js';

// `vixdisk backup` as a user runs it (ESXi personality: no PrepareForAccess there): --init, the
// summary, --json, a change tracking reset, --full, one-line errors; and GET /folder, the datastore
// file route the .vmx comes over.

describe('vixdisk backup on the command line (ESXi)', () => {
  let w: BackupWorld;
  before(async () => { w = await startBackupWorld('esxi'); });
  after(async () => { await w?.close(); });

  const backup = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = await runVixdisk(['backup', '--vm', 'web', '--chunk-size', '256K', ...args], { env: { ...w.env, ...env }, timeoutMs: 120_000 });
    return r;
  };
  const json = async (args: string[]): Promise<VmBackupResult> => {
    const r = await backup([...args, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as VmBackupResult;
  };

  test('no repository: a clear line; --init makes one; the summary names each disk', async () => {
    assert.match(assertOneLineError(await backup([]), VIX_E_FILE_NOT_FOUND, 'no repository'), /restic init --repo .*repo" or give --init/);
    const r = await backup(['--init']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^web \(\d+\): full backup, restic snapshot [0-9a-f]{8} over nbdssl/);
    assert.match(r.stdout, /web\.raw: full \(change tracking was off; enabled now, so this backup is full\): 64 MiB disk/);
    assert.match(r.stdout, /web_1\.raw: full/);
    assert.match(r.stderr, /PrepareForAccess: .*not a vCenter/);
    assert.match(r.stderr, /snapshot \S+ removed/);
  });

  test('a change tracking reset gives a full backup with the reason; the next is incremental again', async () => {
    const vim = await w.vim();
    const vm = (await findVm(vim, 'web')).ref;
    await setChangeTracking(vim, vm, false);
    await setChangeTracking(vim, vm, true);
    const full = await json([]);
    assert.equal(full.kind, 'full');
    for (const d of full.disks) assert.match(d.reason ?? '', /refused change id .*\(change tracking was reset\)/);
    assert.ok(full.disks.every((d) => d.bytesNew === 0), 'nothing changed: every chunk is already stored');
    assert.ok(full.parent, 'the previous restore point is the parent');
    const incr = await json([]);
    assert.equal(incr.kind, 'incremental');
    assert.ok(incr.disks.every((d) => d.bytesRead === 0 && d.reason === null));
    const forced = await json(['--full']);
    assert.ok(forced.disks.every((d) => d.kind === 'full' && d.reason === 'a full backup was asked for (--full)'));
    assert.equal(flattenSnapshots(await snapshotTree(vim, vm)).length, 0, 'no vSphere snapshot left behind');
  });

  test('one-line errors: wrong repository password, unknown VM, bad chunk size', async (t) => {
    assertOneLineError(await backup([], { RESTIC_PASSWORD: 'not the password' }), VIX_E_AUTHENTICATION_FAIL, 'a wrong repository password');
    const r = await runVixdisk(['backup', '--vm', 'nosuchvm'], { env: w.env, timeoutMs: 60_000 });
    assertOneLineError(r, VIX_E_OBJECT_NOT_FOUND, 'an unknown VM');
    assertOneLineError(await backup(['--chunk-size', '100K']), 3, 'a chunk size not a multiple of 64 KiB', 2);
    if (await needRestic(t)) await assertResticCheck(w.repoPath, w.env.RESTIC_PASSWORD!);
  });

  test('the session cookie authenticates, Datastore.Browse authorises, the path stays in the datastore', async () => {
    const vim = await w.vim(); // administrator
    const vmx = await vim.getFile('/folder/web/web.vmx?dcPath=ha-datacenter&dsName=datastore1', 1 << 20);
    assert.match(vmx.toString(), /displayName = "web"/);
    const status = async (c: VimClient, path: string) => c.getFile(path, 1 << 20).then(() => 200, (e: { message: string }) => Number(/HTTP (\d+)/.exec(e.message)?.[1]));
    assert.equal(await status(vim, '/folder/web/nothing.vmx?dcPath=ha-datacenter&dsName=datastore1'), 404);
    assert.equal(await status(vim, '/folder/..%2F..%2Fhost.json?dcPath=ha-datacenter&dsName=datastore1'), 404, 'no way out of the datastore');
    assert.equal(await status(vim, '/folder/web/web.vmx?dcPath=ha-datacenter&dsName=nosuch'), 404);
    const url = new URL(w.host.ready.url);
    const anonymous = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: w.host.ready.thumbprintSha1 });
    assert.equal(await status(anonymous, '/folder/web/web.vmx?dcPath=ha-datacenter&dsName=datastore1'), 401);
    anonymous.close();
    const viewer = new VimClient({ host: url.hostname, port: Number(url.port), thumbprint: w.host.ready.thumbprintSha1 });
    await viewer.login('viewer', w.host.password('viewer'));
    assert.equal(await status(viewer, '/folder/web/web.vmx?dcPath=ha-datacenter&dsName=datastore1'), 403, 'ReadOnly has no Datastore.Browse');
    await viewer.logout();
    viewer.close();
    // A generic service ticket for exactly this URL, in ESXi's vmware_cgi_ticket cookie, works once.
    const fileUrl = `https://${url.host}/folder/web/web.vmx?dcPath=ha-datacenter&dsName=datastore1`;
    const sc = await vim.serviceContent();
    const ticket = await vim.call('AcquireGenericServiceTicket', sc.sessionManager, {
      spec: { _type: 'SessionManagerHttpServiceRequestSpec', method: 'httpGet', url: fileUrl },
    }) as { id: string };
    const get = () => new Promise<number>((resolve, reject) => {
      httpsGet(fileUrl, { rejectUnauthorized: false, headers: { cookie: `vmware_cgi_ticket=${ticket.id}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(await get(), 200);
    assert.equal(await get(), 401, 'a ticket is spent by its first use');
  });
});
