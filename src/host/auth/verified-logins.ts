import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What makes a repeated Login cheap without weakening what is stored: after a password verified
 * against its scrypt hash, the host keeps in memory only HMAC-SHA256(key, user, password) under a
 * key drawn at start and never written anywhere. A later Login with the same name and password
 * costs one HMAC instead of a scrypt derivation; anything else (a wrong password, a user never
 * verified, an entry older than the lifetime) goes to scrypt as before. The clear password is
 * never kept, and the tag is worthless outside this process (the key dies with it), so a memory
 * dump gives an attacker nothing an offline scrypt attack on host.json would not cost more.
 * Failed logins are never remembered (a wrong password always pays the full scrypt price, so
 * guessing stays as slow as the stored hash makes it).
 */
export class VerifiedLogins {
  private readonly key = randomBytes(32);
  private readonly byUser = new Map<string, { tag: Buffer; verifiedAt: number; hash: unknown }>();

  constructor(private readonly lifetimeMs: number, private readonly maxUsers = 10_000, private readonly now: () => number = Date.now) {}

  private tag(userName: string, password: string): Buffer {
    // Length-prefixed so ("ab", "c") and ("a", "bc") differ.
    const user = Buffer.from(userName, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(user.length);
    return createHmac('sha256', this.key).update(length).update(user).update(password.normalize('NFC'), 'utf8').digest();
  }

  /**
   * True when this user logged in with exactly this password within the lifetime, against the
   * same stored hash (`hash` is compared by identity: a changed password hash drops the entry).
   */
  matches(userName: string, password: string, hash: unknown): boolean {
    const entry = this.byUser.get(userName);
    if (!entry) return false;
    if (entry.hash !== hash || this.now() - entry.verifiedAt > this.lifetimeMs) {
      this.byUser.delete(userName);
      return false;
    }
    return timingSafeEqual(entry.tag, this.tag(userName, password));
  }

  /** Remember a password scrypt has just verified. */
  remember(userName: string, password: string, hash: unknown): void {
    if (this.byUser.size >= this.maxUsers && !this.byUser.has(userName)) {
      // The oldest entry goes (Map keeps insertion order).
      this.byUser.delete(this.byUser.keys().next().value as string);
    }
    this.byUser.delete(userName);
    this.byUser.set(userName, { tag: this.tag(userName, password), verifiedAt: this.now(), hash });
  }

  forget(userName: string): void {
    this.byUser.delete(userName);
  }
}
