import type { BlockDevice } from '../block/block-device.js';
import type { VixConfig } from '../vix/config.js';
import type { VimClient } from '../vsphere/vim-client.js';
import type { ManagedObjectReference } from '../vsphere/vim-types.js';

// A transport is a way to obtain a BlockDevice for a disk (VixDiskLib's transport modes: file, san,
// hotadd, nbdssl, nbd). Each says precisely why it cannot serve a request, so the mode list can be
// walked left to right and the reasons reported.

export interface TransportTarget {
  /** Local (hosted) disks: no serverName in the connection. */
  local: boolean;
  /** The disk's path as the caller named it (a local path, or "[datastore] dir/disk.vmdk"). */
  path: string;
  readOnly: boolean;
  singleLink: boolean;
  snapshotRef: string | null;
  /** For a remote connection: how its disks are reached over NFC (nbd, nbdssl). */
  remote?: RemoteDiskSource | null;
  /** NFC compression asked in the open flags. */
  compression?: 'none' | 'zlib' | 'skipz' | 'fastlz';
}

export interface RemoteOpenRequest {
  /** `[datastore] dir/disk.vmdk`. */
  path: string;
  writable: boolean;
  /** nbdssl (true) or nbd (false). */
  ssl: boolean;
  compression?: 'none' | 'zlib' | 'skipz' | 'fastlz';
}

/**
 * A remote connection's vim25 side, for the transports that ask the host for more than an NFC
 * ticket (san: the datastore's LUN and the disk's block map): the logged-in client, the VM and
 * snapshot the connection is bound to, the InitEx config and the library's log.
 */
export interface RemoteVm {
  client: VimClient;
  vm: ManagedObjectReference;
  snapshot: ManagedObjectReference | null;
  config: VixConfig;
  log(level: 'info' | 'warn', line: string): void;
}

/** A remote connection's way to open one of its VM's disks over NFC, or by HotAdd to this proxy VM. */
export interface RemoteDiskSource {
  openDisk(req: RemoteOpenRequest): Promise<BlockDevice>;
  /** Attach the disk to the VM this process runs in and open it locally; TransportNotApplicable when it cannot. */
  openHotAdd?(req: RemoteOpenRequest): Promise<BlockDevice>;
  /** The connection's vim25 session and VM (san). */
  readonly remoteVm?: RemoteVm;
}

export interface Transport {
  /** The mode name VixDiskLib uses ("file", "san", "hotadd", "nbdssl", "nbd"). */
  readonly mode: string;
  /**
   * Open the disk, or throw a VixError. `applies` false in the thrown error's `notApplicable`
   * property means "this mode cannot serve this kind of request" (try the next one quietly).
   */
  open(target: TransportTarget): Promise<BlockDevice>;
}

/** Thrown by a transport that does not apply to a request at all (as opposed to one that failed). */
export class TransportNotApplicable extends Error {
  constructor(readonly mode: string, reason: string) {
    super(`${mode}: ${reason}`);
    this.name = 'TransportNotApplicable';
  }
}
