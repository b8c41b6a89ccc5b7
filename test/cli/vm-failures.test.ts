import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { assertOneLineError, VIXDISK_BIN } from '../support/run-cli.js';
import { startVmCliWorld, type VmCliWorld } from '../support/vm-cli.js';

// `vixdisk vm …` failures, each one line with its VIX code, and the password: from the
// environment, or asked on a real pseudo-terminal with echo off, never from argv.

const PTY_SESSION = fileURLToPath(new URL('../../../test/support/pty-session.py', import.meta.url));

describe('vixdisk vm failures and the password prompt (ESXi personality)', () => {
  let w: VmCliWorld;
  before(async () => { w = await startVmCliWorld('esxi'); });
  after(async () => { await w?.close(); });
  const vm = (args: string[], env?: NodeJS.ProcessEnv) => w.vm(args, env);
  const env = (user?: string, extra?: NodeJS.ProcessEnv) => w.env(user, extra);

  test('failures are one line with the VIX code: wrong password, NoPermission naming the privilege, not found, usage', async () => {
    const wrong = await vm(['list'], env('administrator', { VIXDISK_PASSWORD: 'Wrong-Pass-1' }));
    assert.match(assertOneLineError(wrong, 35, 'wrong password', 1), /incorrect user name or password/);
    assert.doesNotMatch(wrong.stderr + wrong.stdout, /Wrong-Pass-1/);
    const denied = await vm(['snapshot', 'create', 'app'], env('viewer'));
    assert.match(assertOneLineError(denied, 3014, 'viewer snapshot', 1), /needs privilege VirtualMachine\.State\.CreateSnapshot on 15/);
    const cbtDenied = await vm(['cbt', 'enable', 'app'], env('viewer'));
    assert.match(assertOneLineError(cbtDenied, 3014, 'viewer cbt', 1), /VirtualMachine\.Config\.ChangeTracking/);
    assert.match(assertOneLineError(await vm(['disks', 'moref=99']), 25, 'unknown VM', 1), /VM 99 was not found/);
    assert.match(assertOneLineError(await vm(['disks', 'nosuch']), 25, 'unknown name', 1), /no VM named "nosuch"/);
    assert.match(assertOneLineError(await vm(['snapshot', 'rm', 'app', 'weekly']), 25, 'unknown snapshot', 1), /has no snapshot weekly \(its snapshots: .*"nightly"/);
    assert.match(assertOneLineError(await vm(['changed-areas', 'app', '--change-id', '*']), 3, 'no disk', 2), /--disk is required/);
    assertOneLineError(await vm(['cbt', 'toggle', 'app']), 3, 'bad action', 2);
    assertOneLineError(await vm(['list', '--bogus']), 3, 'unknown option', 2);
    const noHost = env();
    delete noHost.VIXDISK_HOST;
    assert.match(assertOneLineError(await vm(['list'], noHost), 3, 'no host', 2), /no host: give --host or set VIXDISK_HOST/);
    const noPassword = env();
    delete noPassword.VIXDISK_PASSWORD;
    assert.match(assertOneLineError(await vm(['list'], noPassword), 3, 'no password, no terminal', 1), /set VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE, or run on a terminal/);
  });

  test('on a terminal without the variables the password is asked with echo off, and shows nowhere', async (t) => {
    const python = '/usr/bin/python3';
    const check = await new Promise<number>((resolve) => execFile(python, ['-c', 'import pty'], (err) => resolve(err ? 1 : 0)));
    if (check !== 0) return t.skip('/usr/bin/python3 with its pty module is needed to play a terminal');
    const e = env();
    const password = e.VIXDISK_PASSWORD!;
    delete e.VIXDISK_PASSWORD;
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(python, [PTY_SESSION, 'Password for administrator@127\\.0\\.0\\.1: ', '--', process.execPath, VIXDISK_BIN, 'vm', 'list'],
        { env: { ...e, PTY_ANSWER: password }, timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
    });
    const session = JSON.parse(r.stdout) as { code: number; prompted: boolean; transcript: string };
    assert.equal(session.prompted, true, session.transcript);
    assert.equal(session.code, 0, session.transcript);
    assert.match(session.transcript, /Password for administrator@127\.0\.0\.1: /);
    assert.match(session.transcript, /MOREF +NAME/);
    assert.ok(!session.transcript.includes(password), 'the typed password is not echoed');
    assert.ok(!r.stderr.includes(password));
    assert.doesNotMatch(w.host.stderr(), new RegExp(password), 'nor in the host\'s log');
  });
});
