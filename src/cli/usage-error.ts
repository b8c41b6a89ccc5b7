import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';

/** A command line that asks for something impossible: reported like any error, but exit status 2. */
export class UsageError extends VixError {
  constructor(message: string) {
    super(VIX_E_INVALID_ARG, message);
    this.name = 'UsageError';
  }
}
