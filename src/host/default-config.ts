import { readFile } from 'node:fs/promises';
import { writeFileReplacing } from '../vmdk/replace-file.js';
import { generatePassword, hashPassword } from './auth/password-hash.js';
import { BACKUP_ROLE_PRIVILEGES } from './auth/roles.js';
import {
  DEFAULT_NFC_PORT, DEFAULT_PORT, DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS, type HostConfig, type Personality,
} from './config.js';

/** The embedded default's users, with the role each holds on the root (propagating). */
const DEFAULT_USERS = [
  { name: 'administrator', fullName: 'Administrator', role: 'Admin' },
  { name: 'backup', fullName: 'Backup operator', role: 'backup' },
  { name: 'viewer', fullName: 'Read-only viewer', role: 'ReadOnly' },
] as const;

export type GeneratedPasswords = Record<string, string>;

/** Writes a file whole or not at all (aside, sync, rename, folder sync), with the given mode. */
export async function writeFileAtomic(file: string, text: string, mode: number): Promise<void> {
  await writeFileReplacing(file, text, { mode });
}

/**
 * First start: generates the three accounts' passwords, keeps them in the passwords file (the one
 * place a clear password is written, mode 0600, for the user to read back) and writes the config
 * with their scrypt hashes. The passwords file is written first: a crash in between leaves no
 * config, so the next start generates both again.
 */
export async function createDefaultConfig(configFile: string, passwordsFile: string, personality: Personality): Promise<GeneratedPasswords> {
  const passwords: GeneratedPasswords = {};
  const users = [];
  for (const u of DEFAULT_USERS) {
    passwords[u.name] = generatePassword();
    users.push({ name: u.name, fullName: u.fullName, passwordHash: await hashPassword(passwords[u.name]!) });
  }
  await writeFileAtomic(passwordsFile, `${JSON.stringify(passwords, null, 2)}\n`, 0o600);
  const config: HostConfig = {
    bind: '127.0.0.1',
    port: DEFAULT_PORT,
    nfcPort: DEFAULT_NFC_PORT,
    personality,
    sessionIdleTimeoutSeconds: DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS,
    users,
    roles: [{ name: 'backup', privileges: [...BACKUP_ROLE_PRIVILEGES] }],
    permissions: DEFAULT_USERS.map((u) => ({ entity: '/', principal: u.name, role: u.role, propagate: true })),
  };
  await writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return passwords;
}

/** The generated passwords kept from first start, or undefined when there is no such file. */
export async function readGeneratedPasswords(passwordsFile: string): Promise<GeneratedPasswords | undefined> {
  let text: string;
  try {
    text = await readFile(passwordsFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
    const out: GeneratedPasswords = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
    return out;
  } catch {
    throw new Error(`${passwordsFile}: not a JSON object of user names and passwords`);
  }
}
