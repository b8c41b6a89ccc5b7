import type { BlockDevice } from '../block/block-device.js';
import { VixError } from '../errors/vix-error.js';
import { VIX_E_NOT_SUPPORTED } from '../errors/error-codes.js';
import { TransportNotApplicable, type Transport, type TransportTarget } from './transport.js';

// The transports that reach disks managed by an ESXi or vCenter host. For a local connection they
// do not apply; for a remote one, what they need is named in their refusal.

function remoteOnly(mode: string, whatItNeeds: string): Transport {
  return {
    mode,
    async open(target: TransportTarget): Promise<BlockDevice> {
      if (target.local) throw new TransportNotApplicable(mode, 'needs a connection to a host (serverName); this disk is local');
      throw new VixError(VIX_E_NOT_SUPPORTED, `${mode}: ${whatItNeeds}`);
    },
  };
}

export const sanTransport = remoteOnly('san', 'no SAN LUN holding the datastore is visible to this machine');
export const hotaddTransport = remoteOnly('hotadd', 'this machine is not a virtual machine the host can hot-add the disk to');
export const nbdsslTransport = remoteOnly('nbdssl', 'NFC connections to hosts are not implemented yet');
export const nbdTransport = remoteOnly('nbd', 'NFC connections to hosts are not implemented yet');
