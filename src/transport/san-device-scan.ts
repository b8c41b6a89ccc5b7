import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';

// Which device of a LUN SAN mode may open (reference: vixdisklib-api.md §6-7). Linux names a SCSI
// LUN under /dev/disk/by-id after its NAA id (`wwn-0x6000c29…`, `scsi-36000c29…`); a device whose
// name carries the id is a candidate. The config's deny list (`vixDiskLib.transport.san.blacklist`,
// 8.0's `denyList`) removes devices, `all` meaning "every device not in the allow list"; a
// non-empty allow list (`whitelist`, `allowList`) keeps only its members. Entries are device paths,
// separated by commas, compared with the path as scanned and with its real path (the node a by-id
// link leads to), with the wildcards 8.0.1 added: `*`, `?`, `[xyz]`, `[a-z]`.

export interface SanLists {
  deny: string[];
  allow: string[];
}

export interface DeviceChoice {
  /** The device to open, or undefined when none may be used. */
  device?: string;
  /** Why no device may be used (when `device` is undefined). */
  reason?: string;
}

function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close > i + 1) {
        re += `[${pattern.slice(i + 1, close).replace(/\\/g, '\\\\')}]`;
        i = close;
      } else re += '\\[';
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function listed(list: string[], names: string[]): string | undefined {
  return list.find((p) => p !== 'all' && names.some((n) => globRegExp(p).test(n)));
}

/** Devices in `directory` whose name carries the NAA id's digits (`naa.6000c29…` -> `6000c29…`), sorted. */
export async function devicesOfLun(directory: string, naa: string): Promise<string[]> {
  const digits = naa.replace(/^naa\./i, '').toLowerCase();
  const names = await readdir(directory).catch(() => [] as string[]);
  // A partition (`-part1`) is not the LUN: VMFS's offsets are the whole device's.
  return names.filter((n) => n.toLowerCase().includes(digits) && !/-part\d+$/.test(n)).sort().map((n) => join(directory, n));
}

/** The first candidate the lists allow, or why none is allowed. */
export async function chooseDevice(candidates: string[], lists: SanLists, naa: string, directory: string): Promise<DeviceChoice> {
  if (candidates.length === 0) return { reason: `no device of LUN ${naa} is visible in ${directory}` };
  const denyAll = lists.deny.includes('all');
  const refusals: string[] = [];
  for (const device of candidates) {
    const names = [device, await realpath(device).catch(() => device)];
    const allowed = listed(lists.allow, names);
    const denied = listed(lists.deny, names);
    if (denied !== undefined) {
      refusals.push(`${device} is in the SAN deny list (vixDiskLib.transport.san.blacklist: ${denied})`);
    } else if ((lists.allow.length > 0 || denyAll) && allowed === undefined) {
      refusals.push(`${device} is not in the SAN allow list (vixDiskLib.transport.san.whitelist)`);
    } else {
      return { device };
    }
  }
  return { reason: `LUN ${naa}: ${refusals.join('; ')}` };
}
