import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccountTable } from '../../src/host/auth/accounts.js';
import { hashPassword, parsePasswordHash } from '../../src/host/auth/password-hash.js';
import { VerifiedLogins } from '../../src/host/auth/verified-logins.js';

test('a verified password is remembered as a tag: the same password matches, another one, another user, a changed hash or an old entry do not', () => {
  let now = 1_000;
  const logins = new VerifiedLogins(60_000, 2, () => now);
  const hash = {};
  assert.equal(logins.matches('backup', 'secret', hash), false, 'nothing verified yet');
  logins.remember('backup', 'secret', hash);
  assert.equal(logins.matches('backup', 'secret', hash), true);
  assert.equal(logins.matches('backup', 'Secret', hash), false);
  assert.equal(logins.matches('backu', 'psecret', hash), false);
  assert.equal(logins.matches('viewer', 'secret', hash), false);
  assert.equal(logins.matches('backup', 'secret', {}), false, 'a changed stored hash drops the entry');
  assert.equal(logins.matches('backup', 'secret', hash), false, 'and it stays dropped');
  logins.remember('backup', 'secret', hash);
  now += 60_001;
  assert.equal(logins.matches('backup', 'secret', hash), false, 'past its lifetime');
  // Bounded: the oldest entry goes.
  logins.remember('a', 'x', hash);
  logins.remember('b', 'x', hash);
  logins.remember('c', 'x', hash);
  assert.equal(logins.matches('a', 'x', hash), false);
  assert.equal(logins.matches('c', 'x', hash), true);
});

test('AccountTable: a repeated login with the right password skips scrypt; a wrong one never does, nor is it remembered', async () => {
  const passwordHash = parsePasswordHash(await hashPassword('right password'));
  const accounts = new AccountTable([{ name: 'backup', fullName: 'Backup', passwordHash, groups: [] }]);
  assert.equal(await accounts.verify('backup', 'wrong'), undefined);
  assert.equal(await accounts.verify('backup', 'wrong'), undefined, 'a refused password is not remembered');
  assert.equal((await accounts.verify('backup', 'right password'))?.userName, 'backup');
  // The stored hash, not the memory, decides the first time: a second table has no memory yet,
  // and a wrong password after a right one is still refused.
  assert.equal(await accounts.verify('backup', 'right passwor'), undefined);
  // The remembered path: many logins in the time of a handful of scrypt derivations would be
  // a timing assertion; instead check the tag path answers the same as scrypt did.
  for (let i = 0; i < 50; i++) assert.equal((await accounts.verify('backup', 'right password'))?.userName, 'backup');
  assert.equal(await accounts.verify('nobody', 'right password'), undefined);
});
