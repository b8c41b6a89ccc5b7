import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { login, soapCall, startHost } from '../support/host-process.js';
import { runVixdisk } from '../support/run-cli.js';
import { parsePasswordHash, verifyPassword } from '../../src/host/auth/password-hash.js';

const folders: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vixdisk-host-cli-'));
  folders.push(dir);
  return dir;
}
after(async () => {
  for (const f of folders) await rm(f, { recursive: true, force: true });
});

const BIN = fileURLToPath(new URL('../../../bin/vixdisk.js', import.meta.url));

test('first start: JSON ready line, loopback, files of mode 0600, hashes only in the config, no password in the log', async () => {
  const dir = await dataDir();
  const host = await startHost(['--data', dir]);
  try {
    const { ready } = host;
    assert.match(ready.url, /^https:\/\/127\.0\.0\.1:\d+\/sdk$/);
    assert.equal(ready.personality, 'vcenter');
    assert.match(ready.thumbprintSha1, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    assert.match(ready.thumbprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(ready.nfcPorts.length, 2, 'one NFC endpoint per ESXi host of the cluster');
    assert.deepEqual(ready.users.map((u) => [u.name, u.role]), [['administrator', 'Admin'], ['backup', 'backup'], ['viewer', 'ReadOnly']]);

    const passwords = JSON.parse(await readFile(join(dir, 'passwords.json'), 'utf8')) as Record<string, string>;
    for (const u of ready.users) assert.equal(passwords[u.name], u.password);
    for (const file of ['passwords.json', 'host.json', 'rui.key', 'admin.sock']) {
      assert.equal((await stat(join(dir, file))).mode & 0o077, 0, `${file} is readable by others`);
    }
    assert.equal((await stat(dir)).mode & 0o077, 0, 'the data folder is open to others');
    const config = await readFile(join(dir, 'host.json'), 'utf8');

    // A real login with the generated password, a wrong one refused.
    const ok = await login(host, 'backup', host.password('backup'));
    assert.equal(ok.status, 200);
    assert.match(ok.body, /<userName>backup<\/userName>/);
    assert.match(ok.cookie ?? '', /^vmware_soap_session=/);
    const bad = await login(host, 'backup', 'wrong');
    assert.equal(bad.status, 500);
    assert.match(bad.body, /InvalidLogin/);

    for (const password of Object.values(passwords)) {
      assert.ok(!config.includes(password), 'clear password in host.json');
      assert.ok(!host.stderr().includes(password), 'password in the log');
    }
    assert.ok(!host.stderr().includes('wrong'), 'attempted password in the log');
    assert.ok(!(host.child.spawnargs.join(' ').includes(host.password('backup'))));
  } finally {
    assert.equal(await host.stop(), 0, 'SIGTERM exits 0');
  }
});

test('a restarted host finds its accounts, certificate and data as they were', async () => {
  const dir = await dataDir();
  const first = await startHost(['--data', dir, '--personality', 'esxi']);
  const firstReady = first.ready;
  assert.equal(firstReady.nfcPorts.length, 1, 'a bare ESXi host has one NFC endpoint');
  const disabled = await soapCall(firstReady.url, firstReady.thumbprintSha1,
    '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>');
  assert.match(disabled.body, /<apiType>HostAgent<\/apiType>/);
  const uuid = /<instanceUuid>([^<]+)<\/instanceUuid>/.exec(disabled.body)?.[1];
  assert.equal(await first.stop(), 0);

  const second = await startHost(['--data', dir]);
  try {
    assert.equal(second.ready.personality, 'esxi', 'the personality is kept in the config');
    assert.equal(second.ready.thumbprintSha1, firstReady.thumbprintSha1);
    assert.deepEqual(second.ready.users, firstReady.users);
    const content = await soapCall(second.ready.url, second.ready.thumbprintSha1,
      '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>');
    assert.equal(/<instanceUuid>([^<]+)<\/instanceUuid>/.exec(content.body)?.[1], uuid);
    assert.equal((await login(second, 'viewer', second.password('viewer'))).status, 200);
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

test('the human ready line names the URL, both thumbprints and the users', async () => {
  const dir = await dataDir();
  const child = spawn(process.execPath, [BIN, 'host', '--data', dir, '--port', '0', '--nfc-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/viewer .*\n/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  assert.equal(await exited, 0, 'SIGINT exits 0');
  assert.match(out, /^vixdisk host \(vCenter\) ready at https:\/\/127\.0\.0\.1:\d+\/sdk$/m);
  assert.match(out, /thumbprint \(SHA-1\): +([0-9A-F]{2}:){19}[0-9A-F]{2}$/m);
  assert.match(out, /thumbprint \(SHA-256\): +([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
  assert.match(out, /^ +backup +role backup +password [A-Za-z0-9]{20}$/m);
});

test('hash-password reads stdin and prints a hash the config accepts', async () => {
  const child = spawn(process.execPath, [BIN, 'host', 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.end('s3cret pass\n');
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
  const hash = out.trim();
  assert.match(hash, /^scrypt\$15\$8\$1\$/);
  assert.equal(await verifyPassword('s3cret pass', parsePasswordHash(hash)), true);
});

test('bad options and bad configs: one line, the right exit status, nothing started', async () => {
  const dir = await dataDir();
  const cases: Array<[string[], number, RegExp]> = [
    [['host', '--data', dir, '--port', '99999'], 2, /--port "99999" is not a TCP port number/],
    [['host', '--data', dir, '--personality', 'hyperv'], 2, /--personality: must be 'esxi' or 'vcenter'/],
    [['host', '--data', dir, '--bind', 'nowhere'], 2, /--bind: must be an IP address/],
    [['host', '--data', dir, '--config', join(dir, 'missing.json')], 1, /missing\.json: no such config file/],
    [['host', 'guest-write', '--data', dir, '--vm', 'web', '--disk', '0', '--offset', '0', '--pattern', '7', '--length', '512'], 1, /no vixdisk host is running on/],
    [['host', 'guest-write', '--data', dir, '--vm', 'web', '--disk', '0', '--offset', '0'], 2, /give either --file F or --pattern BYTE --length L/],
    [['host', 'power', 'sideways', '--data', dir, '--vm', 'web'], 2, /power state "sideways" is not on or off/],
  ];
  for (const [args, status, message] of cases) {
    const r = await runVixdisk(args);
    assert.equal(r.code, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ users: [{ name: 'a', password: 'clear' }], permissions: [] }));
  const r = await runVixdisk(['host', '--data', dir, '--config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.json: users\[0\]\.password: unknown key/);
  assert.ok(!r.stderr.includes('clear'));
});
