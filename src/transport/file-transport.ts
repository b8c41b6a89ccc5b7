import { resolve } from 'node:path';
import type { BlockDevice } from '../block/block-device.js';
import { VmdkDisk } from '../vmdk/disk.js';
import { TransportNotApplicable, type Transport, type TransportTarget } from './transport.js';

/** `file`: direct access to a disk on this machine's file system. */
export const fileTransport: Transport = {
  mode: 'file',
  async open(target: TransportTarget): Promise<BlockDevice> {
    if (!target.local) {
      throw new TransportNotApplicable('file', 'the disk is on a remote host, not on this machine\'s file system');
    }
    return VmdkDisk.open(resolve(target.path), { readOnly: target.readOnly, singleLink: target.singleLink });
  },
};
