import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';

/** `vixdisk host` as the tests run it: a child process, its ready line, its log, its exit. */

const BIN = fileURLToPath(new URL('../../../bin/vixdisk.js', import.meta.url));

export interface HostReadyLine {
  url: string;
  personality: 'vcenter' | 'esxi';
  thumbprintSha1: string;
  thumbprintSha256: string;
  nfcPorts: number[];
  dataDir: string;
  users: Array<{ name: string; role: string; password?: string }>;
}

export interface RunningHost {
  ready: HostReadyLine;
  child: ChildProcess;
  /** Everything written to stderr so far (the host's log). */
  stderr(): string;
  password(user: string): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startHost(args: string[], timeoutMs = 60_000): Promise<RunningHost> {
  const child = spawn(process.execPath, [BIN, 'host', '--json', '--port', '0', '--nfc-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<HostReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vixdisk host not ready in ${timeoutMs} ms: ${err.trim()}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, newline)) as HostReadyLine);
        } catch {
          reject(new Error(`not a JSON ready line: ${out.slice(0, newline)}`));
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vixdisk host exited with ${code} before ready: ${err.trim()}`));
    });
  });
  return {
    ready,
    child,
    stderr: () => err,
    password: (user) => {
      const found = ready.users.find((u) => u.name === user)?.password;
      if (found === undefined) throw new Error(`no generated password for ${user}`);
      return found;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** One SOAP call to the host: the status and body, trusting its self-signed certificate by thumbprint. */
export function soapCall(url: string, thumbprintSha1: string, body: string, cookie?: string): Promise<{ status: number; body: string; cookie?: string }> {
  const envelope = '<?xml version="1.0" encoding="UTF-8"?>'
    + '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    + `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      rejectUnauthorized: false,
      headers: {
        'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/8.0.1.0',
        ...(cookie ? { cookie } : {}),
      },
    }, (res) => {
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      if (cert.fingerprint !== thumbprintSha1) {
        req.destroy();
        reject(new Error(`certificate thumbprint ${cert.fingerprint} is not ${thumbprintSha1}`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie']?.[0]?.split(';')[0];
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(setCookie ? { cookie: setCookie } : {}) });
      });
    });
    req.on('error', reject);
    req.end(envelope);
  });
}

/** Login as `user`; the session cookie, or throws with the fault. */
export async function login(host: RunningHost, user: string, password: string): Promise<{ status: number; body: string; cookie?: string }> {
  const sessionManager = host.ready.personality === 'vcenter' ? 'SessionManager' : 'ha-sessionmgr';
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return soapCall(host.ready.url, host.ready.thumbprintSha1,
    `<Login xmlns="urn:vim25"><_this type="SessionManager">${sessionManager}</_this><userName>${escape(user)}</userName><password>${escape(password)}</password></Login>`);
}
