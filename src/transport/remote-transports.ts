import type { BlockDevice } from '../block/block-device.js';
import { TransportNotApplicable, type Transport, type TransportTarget } from './transport.js';

// The transports that reach disks managed by an ESXi or vCenter host. For a local connection they
// do not apply. nbd and nbdssl go over NFC with a ticket the connection asks for (reference §1.2);
// san lives in san-transport.ts; hotadd says what it would need.

function refusing(mode: string, whatItNeeds: string): Transport {
  return {
    mode,
    async open(target: TransportTarget): Promise<BlockDevice> {
      if (target.local) throw new TransportNotApplicable(mode, 'needs a connection to a host (serverName); this disk is local');
      throw new TransportNotApplicable(mode, whatItNeeds);
    },
  };
}

function overNfc(mode: 'nbd' | 'nbdssl'): Transport {
  return {
    mode,
    async open(target: TransportTarget): Promise<BlockDevice> {
      if (target.local || !target.remote) throw new TransportNotApplicable(mode, 'needs a connection to a host (serverName); this disk is local');
      return target.remote.openDisk({
        path: target.path, writable: !target.readOnly, ssl: mode === 'nbdssl',
        ...(target.compression ? { compression: target.compression } : {}),
      });
    },
  };
}

export { sanTransport } from './san-transport.js';
export const hotaddTransport = refusing('hotadd', 'this machine is not a virtual machine the host can hot-add the disk to');
export const nbdsslTransport = overNfc('nbdssl');
export const nbdTransport = overNfc('nbd');
