import assert from 'node:assert/strict';
import { VixError } from '../../src/errors/vix-error.js';

/** Assert that `p` rejects with a VixError of `code` (and a message matching `pattern`); returns it. */
export async function rejectsWith(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<VixError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof VixError, `not a VixError: ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected VIX error ${code}`);
}
