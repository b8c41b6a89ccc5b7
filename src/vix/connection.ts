import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVALID_CONNECTION } from '../errors/error-codes.js';
import type { VixDiskLibHandle } from './disk-handle.js';
import type { RemoteSession } from './remote-session.js';
import type { VixDiskLibConnectParams } from './types.js';

// A VixDiskLibConnection: a local connection (no serverName) or, later, a connection to an ESXi or
// vCenter host bound to a VM (vmxSpec), maybe a snapshot, with the transport modes to try on Open.

export class VixDiskLibConnection {
  private disconnected = false;
  private readonly handles = new Set<VixDiskLibHandle>();

  constructor(
    readonly params: VixDiskLibConnectParams | null,
    readonly readOnly: boolean,
    readonly snapshotRef: string | null,
    readonly transportModes: string,
    /** Whether the library generation that made it is still initialised. */
    private readonly alive: () => boolean,
    /** The vim25 session and VM of a remote connection; null for local disks. */
    readonly remote: RemoteSession | null = null,
  ) {}

  get local(): boolean {
    return !this.params?.serverName;
  }

  check(): void {
    if (this.disconnected) throw new VixError(VIX_E_DISK_INVALID_CONNECTION, 'the connection was disconnected');
    if (!this.alive()) throw new VixError(VIX_E_DISK_INVALID_CONNECTION, 'the connection belongs to a library that has exited');
  }

  track(handle: VixDiskLibHandle): void {
    this.handles.add(handle);
  }

  forget(handle: VixDiskLibHandle): void {
    this.handles.delete(handle);
  }

  get openHandles(): number {
    return this.handles.size;
  }

  /** Break the connection: open handles are closed (VixDiskLib leaves them invalid). */
  async disconnect(): Promise<void> {
    if (this.disconnected) return;
    const open = [...this.handles];
    this.disconnected = true;
    await Promise.all(open.map((h) => h.close().catch(() => undefined)));
    await this.remote?.close();
  }
}
