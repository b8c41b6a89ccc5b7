import type { BlockDevice } from '../block/block-device.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import { VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import { fileTransport } from './file-transport.js';
import { hotaddTransport, nbdsslTransport, nbdTransport, sanTransport } from './remote-transports.js';
import { TransportNotApplicable, type Transport, type TransportTarget } from './transport.js';

/** Every transport, in VixDiskLib's default order. */
export const TRANSPORTS: readonly Transport[] = [fileTransport, sanTransport, hotaddTransport, nbdsslTransport, nbdTransport];

/** "file:san:hotadd:nbdssl:nbd", what VixDiskLib_ListTransportModes returns. */
export const DEFAULT_TRANSPORT_MODES = TRANSPORTS.map((t) => t.mode).join(':');

export interface SkippedMode {
  mode: string;
  reason: string;
}

export interface OpenedDisk {
  device: BlockDevice;
  mode: string;
  skipped: SkippedMode[];
}

/**
 * Walk a colon-separated mode list left to right and open the disk with the first mode that works.
 * Unknown names are skipped (VixDiskLib does not validate the list). When none works, the error of
 * the first mode that applied is raised (it says what is wrong with the disk), else a list of why
 * each mode did not apply.
 */
export async function openWithTransports(modeList: string, target: TransportTarget, transports: readonly Transport[] = TRANSPORTS): Promise<OpenedDisk> {
  const skipped: SkippedMode[] = [];
  let firstFailure: VixError | null = null;
  for (const mode of modeList.split(':').map((m) => m.trim()).filter(Boolean)) {
    const t = transports.find((x) => x.mode === mode);
    if (!t) {
      skipped.push({ mode, reason: 'unknown transport mode' });
      continue;
    }
    try {
      return { device: await t.open(target), mode, skipped };
    } catch (err) {
      if (err instanceof TransportNotApplicable) {
        skipped.push({ mode, reason: err.message.slice(mode.length + 2) });
        continue;
      }
      const e = toVixError(err, target.path);
      skipped.push({ mode, reason: e.message });
      firstFailure ??= e;
    }
  }
  if (firstFailure) throw firstFailure;
  const why = skipped.map((s) => `${s.mode}: ${s.reason}`).join('; ');
  throw new VixError(VIX_E_NOT_SUPPORTED, `no transport mode in "${modeList}" can open ${target.path}${why ? ` (${why})` : ''}`);
}
