import {
  VIX_E_DISK_FULL, VIX_E_FILE_ACCESS_ERROR, VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_ERROR,
  VIX_E_FILE_NOT_FOUND, VIX_E_FILE_READ_ONLY, VIX_E_FILE_TOO_BIG, VIX_E_DISK_TOOMANYOPENFILES,
  VIX_E_FAIL, VIX_E_OUT_OF_MEMORY, VIX_E_INCORRECT_FILE_TYPE, vixErrorText,
} from './error-codes.js';

/**
 * The one error type vixdisk throws: VMware's numeric VIX code plus a readable message that says
 * what went wrong (one line, no stack trace needed to understand it).
 */
export class VixError extends Error {
  readonly code: number;
  constructor(code: number, detail?: string, options?: { cause?: unknown }) {
    super(detail ? detail : vixErrorText(code), options);
    this.name = 'VixError';
    this.code = code;
  }
  /** The GetErrorText text for this code. */
  get vixText(): string {
    return vixErrorText(this.code);
  }
}

const ERRNO_TO_VIX: Record<string, number> = {
  ENOENT: VIX_E_FILE_NOT_FOUND,
  ENOTDIR: VIX_E_FILE_NOT_FOUND,
  EACCES: VIX_E_FILE_ACCESS_ERROR,
  EPERM: VIX_E_FILE_ACCESS_ERROR,
  EROFS: VIX_E_FILE_READ_ONLY,
  EEXIST: VIX_E_FILE_ALREADY_EXISTS,
  ENOSPC: VIX_E_DISK_FULL,
  EDQUOT: VIX_E_DISK_FULL,
  EFBIG: VIX_E_FILE_TOO_BIG,
  EMFILE: VIX_E_DISK_TOOMANYOPENFILES,
  ENFILE: VIX_E_DISK_TOOMANYOPENFILES,
  EISDIR: VIX_E_INCORRECT_FILE_TYPE,
  ENOMEM: VIX_E_OUT_OF_MEMORY,
  EIO: VIX_E_FILE_ERROR,
};

/**
 * Turn any thrown value into a VixError. Node system errors keep their errno meaning; `what`
 * names the file or operation so the one-line message is useful.
 */
export function toVixError(err: unknown, what?: string): VixError {
  if (err instanceof VixError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    const code = ERRNO_TO_VIX[e.code] ?? VIX_E_FILE_ERROR;
    // Node's text is "ECODE: description, syscall 'path'": the path is named by `what` already.
    const reason = e.code === 'ENOENT' ? 'no such file'
      : (e.message ?? e.code).replace(/^[A-Z]+: /, '').replace(/, [a-z_]+ '[^']*'( -> '[^']*')?$/, '');
    return new VixError(code, what ? `${what}: ${reason}` : reason, { cause: err });
  }
  if (err instanceof RangeError && /allocat|Array buffer/i.test(err.message)) {
    return new VixError(VIX_E_OUT_OF_MEMORY, what ? `${what}: ${err.message}` : err.message, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new VixError(VIX_E_FAIL, what ? `${what}: ${msg}` : msg, { cause: err });
}
