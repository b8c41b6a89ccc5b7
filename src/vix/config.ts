import { readFile } from 'node:fs/promises';
import { toVixError } from '../errors/vix-error.js';

// The InitEx configuration file (reference section 7): one `name = value` or `name = "value"` per
// line, `#` comments, keys compared case-insensitively. Unknown keys are kept and reported.

/** Keys VixDiskLib documents, in canonical spelling. */
export const KNOWN_CONFIG_KEYS = [
  'tmpDirectory',
  'vixDiskLib.transport.LogLevel',
  'vixDiskLib.nfc.LogLevel',
  'vixDiskLib.nfc.AcceptTimeoutMs',
  'vixDiskLib.nfc.RequestTimeoutMs',
  'vixDiskLib.nfc.ReadTimeoutMs',
  'vixDiskLib.nfc.WriteTimeoutMs',
  'vixDiskLib.nfcFssrvr.TimeoutMs',
  'vixDiskLib.nfcFssrvrWrite.TimeoutMs',
  'vixDiskLib.nfcAio.Session.BufSizeIn64KB',
  'vixDiskLib.nfcAio.Session.BufCount',
  'vixDiskLib.linuxSSL.verifyCertificates',
  'vixDiskLib.transport.san.blacklist',
  'vixDiskLib.transport.san.whitelist',
  'vixDiskLib.transport.san.denyList',
  'vixDiskLib.transport.san.allowList',
  // Ours (docs/san.md): where SAN mode looks for LUN devices instead of /dev/disk/by-id.
  'vixDiskLib.transport.san.deviceDirectory',
  'vixDiskLib.transport.hotadd.NoNfcSession',
  // Ours (docs/hotadd.md): the file standing for /sys/class/dmi/id/product_uuid in the simulator's proxy VM.
  'vixDiskLib.transport.hotadd.identityFile',
  'vixDiskLib.disklib.EnableCache',
  'log.fileName',
  'log.fileLevel',
] as const;

const CANONICAL = new Map(KNOWN_CONFIG_KEYS.map((k) => [k.toLowerCase(), k]));

export interface ConfigProblem {
  line: number;
  message: string;
}

export class VixConfig {
  private readonly values = new Map<string, { key: string; value: string }>();
  readonly unknownKeys: string[] = [];
  readonly problems: ConfigProblem[] = [];

  static parse(text: string): VixConfig {
    const cfg = new VixConfig();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq <= 0) {
        cfg.problems.push({ line: i + 1, message: `line ${i + 1} is not "name = value": ${line.slice(0, 60)}` });
        return;
      }
      const key = line.slice(0, eq).trim();
      let value = line.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      const lower = key.toLowerCase();
      cfg.values.set(lower, { key, value });
      if (!CANONICAL.has(lower)) cfg.unknownKeys.push(key);
    });
    return cfg;
  }

  static async load(path: string): Promise<VixConfig> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw toVixError(err, `configuration file ${path}`);
    }
    return VixConfig.parse(text);
  }

  get(key: string): string | undefined {
    return this.values.get(key.toLowerCase())?.value;
  }

  /** An integer setting, or `fallback` when absent or not a number. */
  int(key: string, fallback: number): number {
    const v = this.get(key);
    if (v === undefined || !/^-?\d+$/.test(v.trim())) return fallback;
    return Number(v);
  }

  /** A comma-separated list setting. */
  list(key: string): string[] {
    const v = this.get(key);
    return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
  }

  entries(): Array<[string, string]> {
    return [...this.values.values()].map(({ key, value }) => [key, value]);
  }
}
