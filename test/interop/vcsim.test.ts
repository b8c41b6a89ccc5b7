import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { createVixDiskLib } from '../../src/vix/vixdisklib.js';
import { VIXDISKLIB_FLAG_OPEN_READ_ONLY } from '../../src/vix/constants.js';
import { runVixdisk } from '../support/run-cli.js';
import { goProgram, govmomiMissing, missingPeer } from '../support/vsphere-peers.js';

// The SOAP half of issue 12 against govmomi's vcsim (built here from Debian's govmomi sources):
// VixDiskLib.ConnectEx with a thumbprint and a VM by moref, `vixdisk vm list --json` reading every
// VM's properties, snapshot create/remove through `vixdisk vm`, and Open failing with one clear
// VIX error, since vcsim has no NFC service.

describe('vcsim (govmomi simulator)', () => {
  let missing: string | undefined;
  let child: ChildProcess | undefined;
  let url: URL;
  let thumbprint: string;
  before(async () => {
    missing = await govmomiMissing();
    if (missing) return;
    const binary = await goProgram('vcsim/main.go');
    child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child!.once('exit', (code) => reject(new Error(`vcsim exited with ${code}`)));
    });
    url = new URL((JSON.parse(line) as { url: string }).url);
    // The thumbprint a user reads off the host (govc about.cert): the certificate's SHA-1.
    thumbprint = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().fingerprint);
        s.end();
      });
      s.on('error', reject);
    });
  });
  after(() => { child?.kill('SIGTERM'); });

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env, VIXDISK_HOST: url.hostname, VIXDISK_PORT: url.port, VIXDISK_THUMBPRINT: thumbprint,
    VIXDISK_USER: decodeURIComponent(url.username), VIXDISK_PASSWORD: decodeURIComponent(url.password),
  });

  test('vm list --json, snapshot create / list / rm by name and moref', async (t) => {
    if (missing) return missingPeer(t, missing);
    const list = await runVixdisk(['vm', 'list', '--json'], { env: env() });
    assert.equal(list.code, 0, list.stderr);
    const vms = JSON.parse(list.stdout) as Array<{ moref: string; name: string; powerState: string; host: string; disks: Array<{ fileName: string; capacityBytes: number }> }>;
    assert.ok(vms.length >= 2, list.stdout);
    const vm = vms.find((v) => v.name === 'DC0_H0_VM0')!;
    assert.ok(vm, 'the simulator\'s first VM');
    assert.match(vm.moref, /^vm-\d+$/);
    assert.equal(vm.powerState, 'poweredOn');
    assert.equal(vm.host, 'DC0_H0');
    assert.match(vm.disks[0]!.fileName, /^\[LocalDS_0\] DC0_H0_VM0\//);

    const created = await runVixdisk(['vm', 'snapshot', 'create', vm.moref, '--name', 'backup'], { env: env() });
    assert.equal(created.code, 0, created.stderr);
    const snapshot = created.stdout.trim();
    assert.match(snapshot, /^snapshot-\d+$/);
    const tree = await runVixdisk(['vm', 'snapshot', 'list', 'DC0_H0_VM0', '--json'], { env: env() });
    assert.equal(tree.code, 0, tree.stderr);
    assert.deepEqual((JSON.parse(tree.stdout) as { snapshots: Array<{ snapshot: string; name: string }> }).snapshots.map((s) => [s.snapshot, s.name]), [[snapshot, 'backup']]);
    const removed = await runVixdisk(['vm', 'snapshot', 'rm', `moref=${vm.moref}`, 'backup'], { env: env() });
    assert.equal(removed.code, 0, removed.stderr);
    const after = await runVixdisk(['vm', 'snapshot', 'list', vm.moref, '--json'], { env: env() });
    assert.deepEqual((JSON.parse(after.stdout) as { snapshots: unknown[] }).snapshots, []);
  });

  test('ConnectEx with a thumbprint and a VM by moref works; Open fails with one clear VIX error (no NFC)', async (t) => {
    if (missing) return missingPeer(t, missing);
    const list = JSON.parse((await runVixdisk(['vm', 'list', '--json'], { env: env() })).stdout) as Array<{ moref: string; name: string; disks: Array<{ fileName: string }> }>;
    const vm = list.find((v) => v.name === 'DC0_H0_VM0')!;
    const lib = createVixDiskLib();
    const logs: string[] = [];
    await lib.InitEx(8, 0, (m) => logs.push(m), (m) => logs.push(m), (m) => logs.push(`PANIC ${m}`), null, null);
    try {
      const params = {
        vmxSpec: `moref=${vm.moref}`, serverName: url.hostname, port: Number(url.port), thumbPrint: thumbprint, credType: 1,
        creds: { uid: { userName: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } },
      };
      const wrong = await lib.ConnectEx({ ...params, thumbPrint: thumbprint.replace(/^../, thumbprint.startsWith('00') ? '11' : '00') }, true, null, 'nbdssl')
        .then(() => null, (e: { code: number; message: string }) => e);
      assert.equal(wrong?.code, 1);
      assert.match(wrong!.message, /Failed to verify SSL certificate .* actual thumbprint=/);
      const conn = await lib.ConnectEx(params, true, null, 'nbdssl:nbd');
      try {
        const failure = await lib.Open(conn, list.find((v) => v.name === 'DC0_H0_VM0')!.disks[0]!.fileName, VIXDISKLIB_FLAG_OPEN_READ_ONLY)
          .then(() => null, (e: { code: number; message: string }) => e);
        assert.ok(failure, 'Open cannot work without NFC');
        assert.equal(typeof failure.code, 'number');
        assert.notEqual(failure.code, 0);
        assert.doesNotMatch(failure.message, /\n/);
        assert.match(failure.message, /NfcService|RetrieveInternalContent|NFC/);
        assert.ok(!logs.some((l) => l.startsWith('PANIC')), logs.join('\n'));
      } finally {
        await lib.Disconnect(conn);
      }
    } finally {
      lib.Exit();
    }
  });
});
