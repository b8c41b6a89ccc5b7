import type { BlockDevice } from '../block/block-device.js';
import { TransportNotApplicable, type Transport, type TransportTarget } from './transport.js';

// The transports that reach disks managed by an ESXi or vCenter host. For a local connection they
// do not apply. nbd and nbdssl go over NFC with a ticket the connection asks for (reference §1.2);
// hotadd attaches the disk to this machine's proxy VM; san lives in san-transport.ts.

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
/** hotadd: the session attaches the disk to the proxy VM this process runs in (src/vix/hotadd.ts). */
export const hotaddTransport: Transport = {
  mode: 'hotadd',
  async open(target: TransportTarget): Promise<BlockDevice> {
    if (target.local || !target.remote) throw new TransportNotApplicable('hotadd', 'needs a connection to a host (serverName); this disk is local');
    if (!target.remote.openHotAdd) throw new TransportNotApplicable('hotadd', 'this connection cannot attach disks to a proxy VM');
    return target.remote.openHotAdd({ path: target.path, writable: !target.readOnly, ssl: false });
  },
};
export const nbdsslTransport = overNfc('nbdssl');
export const nbdTransport = overNfc('nbd');
