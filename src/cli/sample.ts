import { Command } from 'commander';
import { runAction } from './run-action.js';
import { UsageError } from './usage-error.js';
import { toVixError } from '../errors/vix-error.js';
import { VIX_OK } from '../errors/error-codes.js';
import {
  VIXDISKLIB_ADAPTER_IDE, VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC, VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, VIXDISKLIB_CRED_UID,
  VIXDISKLIB_DISK_MONOLITHIC_SPARSE, VIXDISKLIB_FLAG_OPEN_READ_ONLY, VIXDISKLIB_FLAG_OPEN_SINGLE_LINK,
  VIXDISKLIB_HWVERSION_WORKSTATION_5, VIXDISKLIB_MIN_CHUNK_SIZE, VIXDISKLIB_SECTOR_SIZE,
} from '../vix/constants.js';
import type { VixDiskLibConnection } from '../vix/connection.js';
import type { VixDiskLibHandle } from '../vix/disk-handle.js';
import type { VixDiskLibConnectParams } from '../vix/types.js';
import { VixDiskLib } from '../vix/vixdisklib.js';
import { hostPassword } from '../device/host-password.js';

// `vixdisk sample`: the same commands and options as VMware's vixDiskLibSample, written against the
// VixDiskLib API only, so it doubles as a worked example of the calling sequence.

const USAGE = `Usage: vixdisk sample command [options] diskPath

commands:
 -create                 create a sparse virtual disk with capacity -cap
 -redo parentPath        create a redo log diskPath for base disk parentPath
 -info                   display information for the virtual disk
 -dump                   dump sectors -start .. -start+-count in hexadecimal
 -fill                   fill sectors -start .. -start+-count with byte -val
 -wmeta key value        write (key, value) into the disk's metadata table
 -rmeta key              display the value of metadata entry key
 -meta                   dump all metadata entries
 -clone sourcePath       clone sourcePath into diskPath (monolithic sparse)
 -readbench blocksize    read the whole disk in blocks of blocksize sectors
 -writebench blocksize   write the whole disk in blocks of blocksize sectors (overwrites it!)
 -check repair           check the disk (repair: 0 or 1)
 -getallocatedblocks     list allocated blocks (chunks of 128 sectors)
 -cleanup                remove leftovers of an earlier run on the host

options:
 -host hostname          vCenter/ESXi host (remote disks)
 -user userid            user name on the host
 -password password      password on the host (visible in argv to every user: prefer
                         VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE; else you are asked)
 -port port              HTTPS port of the host (default 443)
 -nfchostport port       NFC port of the ESXi host (default 902)
 -vm moref=id            managed object reference of the VM
 -ssmoref moref          managed object reference of a VM snapshot (also -snapshot)
 -readonly               connect and open read-only
 -mode mode              transport modes for ConnectEx (e.g. nbd, nbdssl, san, hotadd)
 -thumb string           TLS thumbprint of the host
 -libdir dir             VDDK installation folder (noted, not needed)
 -initex configfile      configuration file for InitEx
 -cap megabytes          capacity for -create (default 100)
 -single                 open the disk as a single link
 -start sector           first sector for -dump/-fill (default 0)
 -count sectors          sectors for -dump/-fill (default 1)
 -val byteValue          byte for -fill (default 255)
 -multithread n          (accepted for compatibility; I/O here is asynchronous)
`;

interface SampleOptions {
  command: string;
  commandArgs: string[];
  diskPath: string;
  host?: string; user?: string; password?: string; port?: number; nfcHostPort?: number;
  vm?: string; ssMoref?: string; mode?: string; thumb?: string; libdir?: string; initex?: string;
  capMB: number; single: boolean; start: number; count: number; val: number; readOnly: boolean;
}

const COMMAND_ARITY: Record<string, number> = {
  create: 0, redo: 1, info: 0, dump: 0, fill: 0, wmeta: 2, rmeta: 1, meta: 0, clone: 1,
  readbench: 1, writebench: 1, check: 1, getallocatedblocks: 0, cleanup: 0,
};

/** The sample's own parser reports like every command: one line, exit status 2. */
function usageError(message: string): UsageError {
  return new UsageError(`${message}; run "vixdisk sample -help" for usage`);
}

export function parseSampleArgs(argv: string[]): SampleOptions {
  const o: Partial<SampleOptions> & { capMB: number; single: boolean; start: number; count: number; val: number; readOnly: boolean } = {
    capMB: 100, single: false, start: 0, count: 1, val: 255, readOnly: false,
  };
  const num = (v: string | undefined, what: string) => {
    if (v === undefined || !/^\d+$/.test(v)) throw usageError(`${what} needs a number`);
    return Number(v);
  };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.replace(/^-+/, '').toLowerCase();
    if (!a.startsWith('-')) { rest.push(a); continue; }
    if (name in COMMAND_ARITY) {
      if (o.command) throw usageError(`two commands given (-${o.command} and -${name})`);
      o.command = name;
      o.commandArgs = argv.slice(i + 1, i + 1 + COMMAND_ARITY[name]!);
      if (o.commandArgs.length < COMMAND_ARITY[name]!) throw usageError(`-${name} needs ${COMMAND_ARITY[name]} argument(s)`);
      i += COMMAND_ARITY[name]!;
      continue;
    }
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw usageError(`-${name} needs a value`);
      return v;
    };
    switch (name) {
      case 'host': o.host = value(); break;
      case 'user': o.user = value(); break;
      case 'password': o.password = value(); break;
      case 'port': o.port = num(value(), '-port'); break;
      case 'nfchostport': o.nfcHostPort = num(value(), '-nfchostport'); break;
      case 'vm': o.vm = value(); break;
      case 'ssmoref':
      case 'snapshot': o.ssMoref = value(); break;
      case 'readonly': o.readOnly = true; break;
      case 'mode': o.mode = value(); break;
      case 'thumb': o.thumb = value(); break;
      case 'libdir': o.libdir = value(); break;
      case 'initex': o.initex = value(); break;
      case 'cap': o.capMB = num(value(), '-cap'); break;
      case 'single': o.single = true; break;
      case 'start': o.start = num(value(), '-start'); break;
      case 'count': o.count = num(value(), '-count'); break;
      case 'val': o.val = num(value(), '-val') & 0xff; break;
      case 'multithread': num(value(), '-multithread'); break;
      default: throw usageError(`unknown option ${a}`);
    }
  }
  if (!o.command) throw usageError('no command given');
  if (rest.length !== 1) throw usageError(rest.length ? `one diskPath expected, got ${rest.join(' ')}` : 'diskPath is missing');
  return { ...o, command: o.command, commandArgs: o.commandArgs ?? [], diskPath: rest[0]! } as SampleOptions;
}

/**
 * ConnectEx's parameters for -host. The password: -password as vixDiskLibSample takes it (kept for
 * scripts written for VMware's sample, with a warning, since argv is visible to every user of the
 * machine), else VIXDISK_PASSWORD, VIXDISK_PASSWORD_FILE or a prompt on the terminal.
 */
async function connectParams(o: SampleOptions, warn: (line: string) => void): Promise<VixDiskLibConnectParams | null> {
  if (!o.host) return null;
  if (!o.user) throw usageError('-user is required with -host');
  let password: string;
  if (o.password !== undefined) {
    warn('vixdisk sample: -password is visible to every user of this machine (ps, /proc); set VIXDISK_PASSWORD or VIXDISK_PASSWORD_FILE instead');
    password = o.password;
  } else {
    password = await hostPassword(o.user, o.host);
  }
  return {
    vmxSpec: o.vm ?? null,
    serverName: o.host,
    thumbPrint: o.thumb ?? null,
    credType: VIXDISKLIB_CRED_UID,
    creds: { uid: { userName: o.user, password } },
    port: o.port ?? 0,
    nfcHostPort: o.nfcHostPort ?? 0,
  };
}

const ADAPTER_TEXT: Record<number, string> = {
  [VIXDISKLIB_ADAPTER_IDE]: 'IDE',
  [VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC]: 'BusLogic SCSI',
  [VIXDISKLIB_ADAPTER_SCSI_LSILOGIC]: 'LsiLogic SCSI',
};

function hexDump(buf: Uint8Array, firstSector: number, out: (s: string) => void): void {
  for (let off = 0; off < buf.length; off += 16) {
    const row = buf.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out(`${(firstSector * VIXDISKLIB_SECTOR_SIZE + off).toString(16).padStart(8, '0')}: ${hex.padEnd(47)}  ${text}`);
  }
}

/**
 * Run the sample; returns the process exit code (0; failures throw: usage errors a UsageError, exit
 * 2, others a VixError, exit 1). `out` receives result lines.
 */
export async function runSample(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  if (argv.some((a) => /^-+(help|h|\?)$/.test(a))) {
    out(USAGE.trimEnd());
    return 0;
  }
  if (argv.length === 0) throw usageError('no command given');
  const o = parseSampleArgs(argv);
  const params = await connectParams(o, warn);
  const lib = VixDiskLib;
  await lib.InitEx(8, 0, null, null, null, o.libdir ?? null, o.initex ?? null);
  let conn: VixDiskLibConnection | null = null;
  let handle: VixDiskLibHandle | null = null;
  try {
    if (o.command === 'cleanup') {
      const r = await lib.Cleanup(params ? { ...params, vmxSpec: null } : null);
      out(`Did cleanup: ${r.numCleanedUp} cleaned up, ${r.numRemaining} remaining.`);
      return VIX_OK;
    }
    conn = o.mode || o.ssMoref || o.readOnly
      ? await lib.ConnectEx(params, o.readOnly, o.ssMoref ?? null, o.mode ?? null)
      : await lib.Connect(params);
    const open = async (flags: number) => {
      const readOnly = o.readOnly ? VIXDISKLIB_FLAG_OPEN_READ_ONLY : 0;
      handle = await lib.Open(conn!, o.diskPath, flags | readOnly | (o.single ? VIXDISKLIB_FLAG_OPEN_SINGLE_LINK : 0));
      return handle;
    };
    const createParams = {
      diskType: VIXDISKLIB_DISK_MONOLITHIC_SPARSE,
      adapterType: VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC,
      hwVersion: VIXDISKLIB_HWVERSION_WORKSTATION_5,
      capacity: o.capMB * 2048,
    };
    switch (o.command) {
      case 'create':
        await lib.Create(conn, o.diskPath, createParams, null, null);
        out(`Created ${o.diskPath}: ${o.capMB} MB, monolithic sparse, BusLogic.`);
        break;
      case 'redo': {
        const parent = await lib.Open(conn, o.commandArgs[0]!, 0);
        try {
          await lib.CreateChild(parent, o.diskPath, VIXDISKLIB_DISK_MONOLITHIC_SPARSE, null, null);
        } finally {
          await lib.Close(parent);
        }
        out(`Created redo log ${o.diskPath} of ${o.commandArgs[0]}.`);
        break;
      }
      case 'info': {
        const h = await open(VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        const info = await lib.GetInfo(h);
        out(`capacity          = ${info.capacity} sectors`);
        out(`number of links   = ${info.numLinks}`);
        out(`adapter type      = ${ADAPTER_TEXT[info.adapterType] ?? 'unknown'}`);
        out(`BIOS geometry     = ${info.biosGeo.cylinders}/${info.biosGeo.heads}/${info.biosGeo.sectors}`);
        out(`physical geometry = ${info.physGeo.cylinders}/${info.physGeo.heads}/${info.physGeo.sectors}`);
        if (info.parentFileNameHint) out(`parent            = ${info.parentFileNameHint}`);
        if (info.uuid) out(`uuid              = ${info.uuid}`);
        out(`transport mode    = ${lib.GetTransportMode(h)}`);
        out(`Transport modes supported by vixDiskLib: ${lib.ListTransportModes()}`);
        lib.FreeInfo(info);
        break;
      }
      case 'dump': {
        const h = await open(VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        const buf = new Uint8Array(VIXDISKLIB_SECTOR_SIZE);
        for (let s = o.start; s < o.start + o.count; s++) {
          await lib.Read(h, s, 1, buf);
          hexDump(buf, s, out);
        }
        break;
      }
      case 'fill': {
        const h = await open(0);
        const buf = new Uint8Array(VIXDISKLIB_SECTOR_SIZE).fill(o.val);
        for (let s = o.start; s < o.start + o.count; s++) await lib.Write(h, s, 1, buf);
        out(`Filled sectors ${o.start}..${o.start + o.count - 1} with 0x${o.val.toString(16).padStart(2, '0')}.`);
        break;
      }
      case 'wmeta': {
        const h = await open(0);
        await lib.WriteMetadata(h, o.commandArgs[0]!, o.commandArgs[1]!);
        break;
      }
      case 'rmeta': {
        const h = await open(VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        const { requiredLen } = await lib.ReadMetadata(h, o.commandArgs[0]!, null);
        const buf = new Uint8Array(requiredLen);
        const { value } = await lib.ReadMetadata(h, o.commandArgs[0]!, buf, requiredLen);
        out(`${o.commandArgs[0]} = ${value}`);
        break;
      }
      case 'meta': {
        const h = await open(VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        const { keys } = await lib.GetMetadataKeys(h, null);
        for (const k of keys) out(`${k} = ${(await lib.ReadMetadata(h, k)).value}`);
        break;
      }
      case 'clone': {
        let last = -1;
        await lib.Clone(conn, o.diskPath, conn, o.commandArgs[0]!, { ...createParams, capacity: 0 }, (_d, pct) => {
          if (pct !== last && pct % 10 === 0) out(`Clone progress: ${pct}%`);
          last = pct;
        }, null, true);
        out(`Cloned ${o.commandArgs[0]} to ${o.diskPath}.`);
        break;
      }
      case 'readbench':
      case 'writebench': {
        const blockSectors = Number(o.commandArgs[0]);
        if (!Number.isInteger(blockSectors) || blockSectors < 1) throw usageError(`-${o.command} needs a block size in sectors`);
        const write = o.command === 'writebench';
        const h = await open(write ? 0 : VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        const { capacity } = await lib.GetInfo(h);
        const buf = new Uint8Array(blockSectors * VIXDISKLIB_SECTOR_SIZE).fill(write ? 0x5a : 0);
        const t0 = process.hrtime.bigint();
        let done = 0;
        for (let s = 0; s + blockSectors <= capacity; s += blockSectors) {
          if (write) await lib.Write(h, s, blockSectors, buf); else await lib.Read(h, s, blockSectors, buf);
          done += blockSectors;
        }
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        const mb = (done * VIXDISKLIB_SECTOR_SIZE) / 2 ** 20;
        out(`${write ? 'Wrote' : 'Read'} ${mb.toFixed(1)} MB in ${secs.toFixed(3)} s: ${(mb / secs).toFixed(1)} MB/s (block ${blockSectors} sectors)`);
        break;
      }
      case 'check': {
        const repair = o.commandArgs[0] === '1' || /^true$/i.test(o.commandArgs[0]!);
        await lib.CheckRepair(conn, o.diskPath, repair);
        out(`${o.diskPath}: no problems found.`);
        break;
      }
      case 'getallocatedblocks': {
        const h = await open(VIXDISKLIB_FLAG_OPEN_READ_ONLY);
        const { capacity } = await lib.GetInfo(h);
        const chunk = VIXDISKLIB_MIN_CHUNK_SIZE;
        // Whole calls of at most 32 GiB each, as VMware's sample walks the disk.
        const step = chunk * 524288;
        let n = 0;
        for (let s = 0; s < capacity; s += step) {
          const count = Math.min(step, capacity - s);
          const list = await lib.QueryAllocatedBlocks(h, s, count, chunk);
          for (const b of list.blocks) out(`offset ${b.offset}, length ${b.length}`);
          n += list.numBlocks;
          lib.FreeBlockList(list);
        }
        out(`Number of blocks: ${n}`);
        break;
      }
    }
    return VIX_OK;
  } finally {
    if (handle) await lib.Close(handle).catch(() => undefined);
    if (conn) await lib.Disconnect(conn).catch(() => undefined);
    lib.Exit();
  }
}

/** Message for a failed sample run, in the sample's words. */
export function sampleErrorLine(err: unknown): string {
  const e = toVixError(err);
  return `Error: [${e.code}] ${e.message}`;
}

/** The `vixdisk sample` subcommand: its single-dash options go to the sample's own parser. */
export function sampleCommand(): Command {
  return new Command('sample')
    .description("VMware's vixDiskLibSample over the VixDiskLib API (vixdisk sample -help)")
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(runAction(async (_args: string[], _opts: unknown, cmd: Command) => runSample(cmd.args)));
}
