import { isIP } from 'node:net';
import { parsePasswordHash } from './auth/password-hash.js';
import { isPrivilegeId } from './auth/privileges.js';
import { SYSTEM_ROLES } from './auth/roles.js';

/**
 * `vixdisk host`'s configuration file (DIR/host.json or --config FILE), documented with a full
 * example in docs/host-config.md. Validation is strict: an unknown key, a wrong type or a bad
 * value is refused with one line naming the key (`users[1].passwordHash: ...`), since a typo in a
 * security setting must not be silently ignored.
 */

export type Personality = 'esxi' | 'vcenter';

export interface UserConfig {
  name: string;
  fullName: string;
  /** scrypt$log2N$r$p$salt$key (see auth/password-hash.ts); never a clear password. */
  passwordHash: string;
  /** Groups the user belongs to (a permission for a group applies to its members). */
  groups?: string[];
}

export interface RoleConfig {
  name: string;
  privileges: string[];
}

export interface PermissionConfig {
  /** `/` (the root folder), an inventory path `/dc1/vm/web`, or a moref `VirtualMachine:vm-16`. */
  entity: string;
  principal: string;
  /** `principal` names a group (of `groups` or of a user's `groups`), not a user. */
  group?: boolean;
  role: string;
  propagate: boolean;
}

/** Datastores on a LUN and the folder their devices appear in (docs/san.md). */
export interface SanConfig {
  /** The "fabric": where each LUN appears as `wwn-0x<naa>` (relative to the data folder unless absolute). */
  fabricDirectory: string;
  /** Datastores to put on a LUN; the LUN is made (sparse, sizeMiB) the first time. */
  luns: Array<{ datastore: string; sizeMiB: number }>;
}

export interface HostConfig {
  bind: string;
  port: number;
  /** First NFC (authd) port; ESXi host i listens on nfcPort + i (0: free ports). */
  nfcPort: number;
  personality: Personality;
  /**
   * PEM files, relative to the data folder unless absolute. Absent: DIR/rui.crt and DIR/rui.key,
   * made on first start (self-signed) as ESXi makes its own.
   */
  certificate?: { certFile: string; keyFile: string };
  sessionIdleTimeoutSeconds: number;
  users: UserConfig[];
  /** Groups with no member among `users` that permissions may still name. */
  groups?: string[];
  roles: RoleConfig[];
  permissions: PermissionConfig[];
  /**
   * VMs (by name) this host treats as backup proxies: made on the first datastore when missing;
   * their guest's identity and HotAdded devices are published under DIR/guests/ (docs/hotadd.md).
   */
  backupProxies?: string[];
  san?: SanConfig;
}

export const DEFAULT_PORT = 8443;
export const DEFAULT_NFC_PORT = 8902;
export const DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS = 1800; // vCenter's default: 30 minutes

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, key: string, allowed: readonly string[], required: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(key, 'must be an object');
  const obj = value as Json;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new ConfigError(key ? `${key}.${k}` : k, `unknown key (known: ${allowed.join(', ')})`);
  }
  for (const k of required) {
    if (obj[k] === undefined) throw new ConfigError(key ? `${key}.${k}` : k, 'is required');
  }
  return obj;
}

function string(value: unknown, key: string, pattern?: RegExp, what?: string): string {
  if (typeof value !== 'string') throw new ConfigError(key, 'must be a string');
  if (value.length === 0 || value.length > 1024) throw new ConfigError(key, 'must be 1..1024 characters');
  if (pattern && !pattern.test(value)) throw new ConfigError(key, what ?? `must match ${pattern}`);
  return value;
}

function port(value: unknown, key: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new ConfigError(key, 'must be an integer port 0..65535');
  }
  return value as number;
}

function array(value: unknown, key: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(key, 'must be an array');
  if (value.length > max) throw new ConfigError(key, `at most ${max} entries`);
  return value;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@\\-]{0,127}$/;

export function personality(value: unknown, key: string): Personality {
  if (value !== 'esxi' && value !== 'vcenter') throw new ConfigError(key, "must be 'esxi' or 'vcenter'");
  return value;
}

export function bindAddress(value: unknown, key: string): string {
  const text = string(value, key);
  if (isIP(text) === 0 && text !== 'localhost') throw new ConfigError(key, 'must be an IP address');
  return text;
}

/** Parses and validates the file's text; `file` names it in errors. */
export function parseHostConfig(text: string, file: string): HostConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  try {
    return validate(raw);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`${file}: ${error.message}`);
    throw error;
  }
}

function validate(raw: unknown): HostConfig {
  const top = object(raw, '', ['bind', 'port', 'nfcPort', 'personality', 'certificate', 'sessionIdleTimeoutSeconds', 'users', 'groups', 'roles', 'permissions', 'backupProxies', 'san'], ['users', 'permissions']);

  const certificate = top.certificate === undefined
    ? undefined
    : (() => {
        const c = object(top.certificate, 'certificate', ['certFile', 'keyFile'], ['certFile', 'keyFile']);
        return { certFile: string(c.certFile, 'certificate.certFile'), keyFile: string(c.keyFile, 'certificate.keyFile') };
      })();

  let idle = DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS;
  if (top.sessionIdleTimeoutSeconds !== undefined) {
    const v = top.sessionIdleTimeoutSeconds;
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 7 * 24 * 3600) {
      throw new ConfigError('sessionIdleTimeoutSeconds', 'must be an integer 1..604800');
    }
    idle = v as number;
  }

  const users = array(top.users, 'users', 1000).map((u, i): UserConfig => {
    const key = `users[${i}]`;
    const o = object(u, key, ['name', 'fullName', 'passwordHash', 'groups'], ['name', 'passwordHash']);
    const name = string(o.name, `${key}.name`, USER_NAME, 'must be a user name (letters, digits, . _ @ \\ -)');
    const passwordHash = string(o.passwordHash, `${key}.passwordHash`);
    try {
      parsePasswordHash(passwordHash);
    } catch (error) {
      throw new ConfigError(`${key}.passwordHash`, (error as Error).message);
    }
    const groups = o.groups === undefined ? [] : array(o.groups, `${key}.groups`, 100).map((g, j) =>
      string(g, `${key}.groups[${j}]`, USER_NAME, 'must be a group name (letters, digits, . _ @ \\ -)'));
    return { name, fullName: o.fullName === undefined ? name : string(o.fullName, `${key}.fullName`), passwordHash, groups };
  });
  const userNames = new Set<string>();
  users.forEach((u, i) => {
    if (userNames.has(u.name)) throw new ConfigError(`users[${i}].name`, `'${u.name}' is defined twice`);
    userNames.add(u.name);
  });

  const systemRoleNames = new Set(SYSTEM_ROLES.map((r) => r.name));
  const roleNames = new Set(systemRoleNames);
  const roles = (top.roles === undefined ? [] : array(top.roles, 'roles', 1000)).map((r, i): RoleConfig => {
    const key = `roles[${i}]`;
    const o = object(r, key, ['name', 'privileges'], ['name', 'privileges']);
    const name = string(o.name, `${key}.name`, /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, 'must be a role name');
    if (roleNames.has(name)) {
      throw new ConfigError(`${key}.name`, systemRoleNames.has(name) ? `'${name}' is a system role` : `'${name}' is defined twice`);
    }
    roleNames.add(name);
    const privileges = array(o.privileges, `${key}.privileges`, 1000).map((p, j) => {
      const id = string(p, `${key}.privileges[${j}]`);
      if (!isPrivilegeId(id)) throw new ConfigError(`${key}.privileges[${j}]`, `'${id}' is not a vSphere privilege id`);
      return id;
    });
    return { name, privileges };
  });

  const declaredGroups = top.groups === undefined ? [] : array(top.groups, 'groups', 1000).map((g, i) =>
    string(g, `groups[${i}]`, USER_NAME, 'must be a group name (letters, digits, . _ @ \\ -)'));
  const groupNames = new Set([...declaredGroups, ...users.flatMap((u) => u.groups ?? [])]);
  const permissions = array(top.permissions, 'permissions', 10000).map((p, i): PermissionConfig => {
    const key = `permissions[${i}]`;
    const o = object(p, key, ['entity', 'principal', 'group', 'role', 'propagate'], ['entity', 'principal', 'role']);
    const entity = string(o.entity, `${key}.entity`, /^(\/.*|[A-Za-z]+:[^/\s]+)$/, "must be '/', an inventory path '/dc/vm/name' or a moref 'Type:value'");
    const principal = string(o.principal, `${key}.principal`);
    if (o.group !== undefined && typeof o.group !== 'boolean') throw new ConfigError(`${key}.group`, 'must be true or false');
    const group = o.group === true;
    if (!group && !userNames.has(principal)) throw new ConfigError(`${key}.principal`, `no user '${principal}'`);
    if (group && !groupNames.has(principal)) throw new ConfigError(`${key}.principal`, `no group '${principal}' (declare it in groups or a user's groups)`);
    const role = string(o.role, `${key}.role`);
    if (!roleNames.has(role)) throw new ConfigError(`${key}.role`, `no role '${role}'`);
    if (o.propagate !== undefined && typeof o.propagate !== 'boolean') throw new ConfigError(`${key}.propagate`, 'must be true or false');
    return { entity, principal, group, role, propagate: o.propagate === undefined ? true : (o.propagate as boolean) };
  });

  const backupProxies = top.backupProxies === undefined ? undefined : array(top.backupProxies, 'backupProxies', 16).map((n, i) =>
    string(n, `backupProxies[${i}]`, /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'must be a VM name (letters, digits, . _ -; at most 80)'));
  if (backupProxies && new Set(backupProxies).size !== backupProxies.length) throw new ConfigError('backupProxies', 'names a VM twice');
  const san = top.san === undefined ? undefined : sanConfig(top.san);

  return {
    bind: top.bind === undefined ? '127.0.0.1' : bindAddress(top.bind, 'bind'),
    port: top.port === undefined ? DEFAULT_PORT : port(top.port, 'port'),
    nfcPort: top.nfcPort === undefined ? DEFAULT_NFC_PORT : port(top.nfcPort, 'nfcPort'),
    personality: top.personality === undefined ? 'vcenter' : personality(top.personality, 'personality'),
    ...(certificate ? { certificate } : {}),
    sessionIdleTimeoutSeconds: idle,
    users,
    ...(declaredGroups.length > 0 ? { groups: declaredGroups } : {}),
    roles,
    permissions,
    ...(backupProxies ? { backupProxies } : {}),
    ...(san ? { san } : {}),
  };
}

function sanConfig(value: unknown): SanConfig {
  const o = object(value, 'san', ['fabricDirectory', 'luns'], ['luns']);
  const seen = new Set<string>();
  const luns = array(o.luns, 'san.luns', 64).map((l, i) => {
    const key = `san.luns[${i}]`;
    const lun = object(l, key, ['datastore', 'sizeMiB'], ['datastore']);
    const datastore = string(lun.datastore, `${key}.datastore`, /^[A-Za-z0-9._-]+$/, 'must be a datastore name');
    if (seen.has(datastore)) throw new ConfigError(`${key}.datastore`, `'${datastore}' is named twice`);
    seen.add(datastore);
    const size = lun.sizeMiB ?? 1024;
    if (!Number.isInteger(size) || (size as number) < 16 || (size as number) > 64 * 1024 * 1024) {
      throw new ConfigError(`${key}.sizeMiB`, 'must be an integer 16..67108864 (64 TiB)');
    }
    return { datastore, sizeMiB: size as number };
  });
  return { fabricDirectory: o.fabricDirectory === undefined ? 'fabric' : string(o.fabricDirectory, 'san.fabricDirectory'), luns };
}
