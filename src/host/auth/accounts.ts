import { burnVerifyTime, verifyPassword, type ScryptHash } from './password-hash.js';
import { VerifiedLogins } from './verified-logins.js';

/** How long a verified password is remembered (as an HMAC tag) before scrypt checks it again. */
export const VERIFIED_LOGIN_LIFETIME_MS = 15 * 60_000;

/** A local user of the host (vim UserSession names it by `name`). */
export interface UserAccount {
  readonly name: string;
  readonly fullName: string;
  readonly passwordHash: ScryptHash;
  /** Groups the user belongs to. */
  readonly groups: readonly string[];
}

/** What Login asks: the account of a user name and password, or undefined (InvalidLogin). */
export class AccountTable {
  private readonly byName = new Map<string, UserAccount>();
  private readonly verified = new VerifiedLogins(VERIFIED_LOGIN_LIFETIME_MS);

  constructor(users: readonly UserAccount[]) {
    for (const u of users) {
      if (this.byName.has(u.name)) throw new Error(`user '${u.name}' is defined twice`);
      this.byName.set(u.name, u);
    }
  }

  get(name: string): UserAccount | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Checks a password against the stored scrypt hash. An unknown user costs the same time as a
   * wrong password, so a caller cannot probe which names exist. A password verified in the last
   * VERIFIED_LOGIN_LIFETIME_MS is checked by its in-memory HMAC tag (verified-logins.ts).
   */
  async authenticate(userName: string, password: string): Promise<UserAccount | undefined> {
    const user = this.byName.get(userName);
    if (!user) {
      await burnVerifyTime(password);
      return undefined;
    }
    if (this.verified.matches(userName, password, user.passwordHash)) return user;
    if (!(await verifyPassword(password, user.passwordHash))) return undefined;
    this.verified.remember(userName, password, user.passwordHash);
    return user;
  }

  /** The SOAP side's Authenticator: who logged in, or undefined for a wrong name or password alike. */
  async verify(userName: string, password: string): Promise<{ userName: string; fullName: string } | undefined> {
    const user = await this.authenticate(userName, password);
    return user ? { userName: user.name, fullName: user.fullName } : undefined;
  }
}
