import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BlockDevice } from '../block/block-device.js';
import { copyDevice } from '../block/copy.js';
import { toVixError, VixError } from '../errors/vix-error.js';
import {
  VIX_ASYNC, VIX_E_BUFFER_TOOSMALL, VIX_E_DISK_ATTACH_ROOTLINK, VIX_E_DISK_CAPACITY_MISMATCH, VIX_E_DISK_CID_MISMATCH,
  VIX_E_DISK_NOINIT, VIX_E_DISK_OUTOFRANGE, VIX_E_DISK_PARENT_NOTALLOWED, VIX_E_FAIL,
  VIX_E_FILE_ALREADY_EXISTS, VIX_E_FILE_READ_ONLY, VIX_E_INVALID_ARG, VIX_E_NOT_SUPPORTED, vixErrorText,
} from '../errors/error-codes.js';
import { DEFAULT_TRANSPORT_MODES, openWithTransports } from '../transport/select-transport.js';
import { checkDisk } from '../vmdk/check.js';
import { defragmentDisk } from '../vmdk/defragment.js';
import { growDisk } from '../vmdk/grow.js';
import { listMetadataKeys, readMetadata, writeMetadata } from '../vmdk/metadata.js';
import { renameDisk } from '../vmdk/rename.js';
import { repairDisk } from '../vmdk/repair.js';
import { shrinkDisk } from '../vmdk/shrink.js';
import { spaceNeededForClone } from '../vmdk/space-needed.js';
import { unlinkDisk } from '../vmdk/unlink.js';
import { createChild, createDisk, createDiskDevice, type ChildType, type DiskType } from '../vmdk/create.js';
import { formatCid } from '../vmdk/descriptor.js';
import { VmdkDisk } from '../vmdk/disk.js';
import { computeGeometry, type AdapterType } from '../vmdk/geometry.js';
import { VixConfig } from './config.js';
import { VixDiskLibConnection } from './connection.js';
import {
  VIXDISKLIB_ADAPTER_IDE, VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC, VIXDISKLIB_ADAPTER_SCSI_LSILOGIC, VIXDISKLIB_ADAPTER_UNKNOWN,
  VIXDISKLIB_DISK_MONOLITHIC_FLAT, VIXDISKLIB_DISK_MONOLITHIC_SPARSE, VIXDISKLIB_DISK_SPLIT_FLAT,
  VIXDISKLIB_DISK_SPLIT_SPARSE, VIXDISKLIB_DISK_STREAM_OPTIMIZED, VIXDISKLIB_DISK_VMFS_FLAT, VIXDISKLIB_DISK_VMFS_SPARSE,
  VIXDISKLIB_DISK_UNKNOWN, VIXDISKLIB_DISK_VMFS_THIN, VIXDISKLIB_FLAG_OPEN_READ_ONLY, VIXDISKLIB_FLAG_OPEN_SINGLE_LINK, VIXDISKLIB_MAX_CHUNK_NUMBER,
  VIXDISKLIB_MAX_CHUNK_SIZE, VIXDISKLIB_MIN_CHUNK_SIZE, VIXDISKLIB_SECTOR_SIZE, VIXDISKLIB_VERSION_MAJOR,
} from './constants.js';
import { VixDiskLibHandle } from './disk-handle.js';
import { compressionOf, nfcInfo, nfcMetadata, nfcMetadataKeys } from './remote-disk-info.js';
import { RemoteSession } from './remote-session.js';
import { NfcDisk } from '../nfc/nfc-disk.js';
import { cleanupHotAdd } from './hotadd.js';
import { LOG_AUDIT, LOG_INFO, LOG_WARNING, VixLogger } from './logger.js';
import type {
  SectorArg, VixDiskLibBlockList, VixDiskLibCompletionCB, VixDiskLibConnectParams, VixDiskLibCreateParams,
  VixDiskLibGenericLogFunc, VixDiskLibGeometry, VixDiskLibInfo, VixDiskLibProgressFunc,
} from './types.js';

// The VixDiskLib API: VMware's calls with their names, argument order and numeric error codes, over
// the layers below. This file translates, validates and maps errors; it holds no format logic.

const SECTOR = VIXDISKLIB_SECTOR_SIZE;

const DISK_TYPE_NAMES: Record<number, DiskType> = {
  [VIXDISKLIB_DISK_MONOLITHIC_SPARSE]: 'monolithicSparse',
  [VIXDISKLIB_DISK_MONOLITHIC_FLAT]: 'monolithicFlat',
  [VIXDISKLIB_DISK_SPLIT_SPARSE]: 'twoGbMaxExtentSparse',
  [VIXDISKLIB_DISK_SPLIT_FLAT]: 'twoGbMaxExtentFlat',
  [VIXDISKLIB_DISK_VMFS_FLAT]: 'vmfs',
  [VIXDISKLIB_DISK_STREAM_OPTIMIZED]: 'streamOptimized',
  [VIXDISKLIB_DISK_VMFS_THIN]: 'vmfsThin',
};

/** Child types CreateChild makes: VDDK's two hosted ones, and the ESXi redo log the host side uses. */
const CHILD_TYPE_NAMES: Record<number, ChildType> = {
  [VIXDISKLIB_DISK_MONOLITHIC_SPARSE]: 'monolithicSparse',
  [VIXDISKLIB_DISK_SPLIT_SPARSE]: 'twoGbMaxExtentSparse',
  [VIXDISKLIB_DISK_VMFS_SPARSE]: 'vmfsSparse',
};

const ADAPTER_NAMES: Record<number, AdapterType> = {
  [VIXDISKLIB_ADAPTER_IDE]: 'ide',
  [VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC]: 'buslogic',
  [VIXDISKLIB_ADAPTER_SCSI_LSILOGIC]: 'lsilogic',
};

function adapterCode(name: string | undefined): number {
  switch (name?.toLowerCase()) {
    case 'ide': return VIXDISKLIB_ADAPTER_IDE;
    case 'buslogic': return VIXDISKLIB_ADAPTER_SCSI_BUSLOGIC;
    case 'lsilogic': return VIXDISKLIB_ADAPTER_SCSI_LSILOGIC;
    default: return VIXDISKLIB_ADAPTER_UNKNOWN;
  }
}

/** A sector number or count as a safe integer. */
function sectors(v: SectorArg, what: string): number {
  const n = typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : -1) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new VixError(VIX_E_INVALID_ARG, `${what} must be a non-negative whole number of sectors (got ${String(v)})`);
  }
  return n;
}

function checkBuffer(buf: unknown, numSectors: number): Uint8Array {
  if (!(buf instanceof Uint8Array)) throw new VixError(VIX_E_INVALID_ARG, 'the buffer must be a Uint8Array');
  if (buf.length !== numSectors * SECTOR) {
    throw new VixError(VIX_E_INVALID_ARG, `the buffer holds ${buf.length} bytes; ${numSectors} sectors need exactly ${numSectors * SECTOR}`);
  }
  return buf;
}

function checkHandle(h: unknown): VixDiskLibHandle {
  if (!(h instanceof VixDiskLibHandle)) throw new VixError(VIX_E_INVALID_ARG, 'not a disk handle (from VixDiskLib.Open)');
  h.check();
  return h;
}

function checkConnection(c: unknown): VixDiskLibConnection {
  if (!(c instanceof VixDiskLibConnection)) throw new VixError(VIX_E_INVALID_ARG, 'not a connection (from VixDiskLib.Connect or ConnectEx)');
  c.check();
  return c;
}

function checkPath(p: unknown, what = 'path'): string {
  if (typeof p !== 'string' || p === '') throw new VixError(VIX_E_INVALID_ARG, `${what} must be a non-empty string`);
  return p;
}

function copyParams(p: VixDiskLibConnectParams | null | undefined): VixDiskLibConnectParams | null {
  return p ? structuredClone(p) : null;
}

function progressReporter(fn: VixDiskLibProgressFunc | null | undefined, data: unknown): (percent: number) => void {
  let last = -1;
  return (percent: number) => {
    const p = Math.max(0, Math.min(100, Math.floor(percent)));
    if (!fn || p === last) return;
    last = p;
    try {
      fn(data, p);
    } catch {
      // The return value is ignored in VDDK; so is a throwing callback.
    }
  };
}

/** The chain of a handle as a VmdkDisk, for calls that only make sense on VMDK disks. */
function vmdkOf(h: VixDiskLibHandle, call: string): VmdkDisk {
  if (!(h.device instanceof VmdkDisk)) throw new VixError(VIX_E_NOT_SUPPORTED, `${call} is not supported over the ${h.transportMode} transport`);
  return h.device;
}

/**
 * One VixDiskLib library instance: what InitEx sets up and Exit tears down. `VixDiskLib` (the
 * export) is the process-wide one, as in C; `createVixDiskLib()` makes independent ones.
 */
export class VixDiskLibApi {
  private initialized = false;
  private generation = 0;
  private logger = new VixLogger(null, null, null);
  private config = VixConfig.parse('');
  /** Handles this library opened (closed ones are pruned when looked at). */

  // ---- Library lifecycle ------------------------------------------------------------------

  async InitEx(majorVersion: number, minorVersion: number, log: VixDiskLibGenericLogFunc | null, warn: VixDiskLibGenericLogFunc | null,
    panic: VixDiskLibGenericLogFunc | null, libDir: string | null, configFile: string | null): Promise<void> {
    if (!Number.isInteger(majorVersion) || !Number.isInteger(minorVersion) || majorVersion < 1 || minorVersion < 0) {
      throw new VixError(VIX_E_INVALID_ARG, `API version ${majorVersion}.${minorVersion} is not valid`);
    }
    if (majorVersion > VIXDISKLIB_VERSION_MAJOR + 1) {
      throw new VixError(VIX_E_NOT_SUPPORTED, `API version ${majorVersion}.${minorVersion} is newer than this library (${VIXDISKLIB_VERSION_MAJOR}.x)`);
    }
    const config = configFile ? await VixConfig.load(configFile) : VixConfig.parse('');
    const level = config.int('vixDiskLib.transport.LogLevel', LOG_AUDIT);
    this.logger.close();
    this.logger = new VixLogger(log, warn, panic, level, config.get('log.fileName') ?? null);
    this.config = config;
    for (const p of config.problems) this.logger.warn(`config ${configFile}: ${p.message}; ignored`);
    for (const k of config.unknownKeys) this.logger.warn(`config ${configFile}: unknown key "${k}" kept and ignored`);
    if (libDir) this.logger.log(LOG_INFO, `libDir ${libDir} noted; this implementation needs no plugins from it`);
    this.initialized = true;
    this.generation++;
    this.logger.log(LOG_INFO, `initialised for API ${majorVersion}.${minorVersion}`);
  }

  /** VixDiskLib_Init: InitEx without a configuration file. */
  Init(majorVersion: number, minorVersion: number, log: VixDiskLibGenericLogFunc | null, warn: VixDiskLibGenericLogFunc | null,
    panic: VixDiskLibGenericLogFunc | null, libDir: string | null): Promise<void> {
    return this.InitEx(majorVersion, minorVersion, log, warn, panic, libDir, null);
  }

  Exit(): void {
    if (!this.initialized) return;
    this.logger.log(LOG_INFO, 'exit');
    this.initialized = false;
    this.logger.close();
  }

  ListTransportModes(): string {
    return DEFAULT_TRANSPORT_MODES;
  }

  GetErrorText(err: number | bigint | VixError, locale: string | null = null): string {
    void locale; // VixDiskLib takes NULL here and answers in English.
    const code = err instanceof VixError ? err.code : Number(BigInt(err) & 0xffffn);
    return vixErrorText(code);
  }

  FreeErrorText(_errMsg: string | null): void {
    // Strings are garbage-collected; the call exists for the C calling sequence.
  }

  /** The configuration InitEx read (for transports and tools built on this instance). */
  get configuration(): VixConfig {
    return this.config;
  }

  // ---- Connections -----------------------------------------------------------------------

  AllocateConnectParams(): VixDiskLibConnectParams {
    return { vmxSpec: null, serverName: null, thumbPrint: null, credType: 0, creds: {}, port: 0, nfcHostPort: 0, specType: 0 };
  }

  async GetConnectParams(connection: VixDiskLibConnection): Promise<VixDiskLibConnectParams> {
    return this.call('GetConnectParams', async () => copyParams(checkConnection(connection).params) ?? this.AllocateConnectParams());
  }

  FreeConnectParams(_params: VixDiskLibConnectParams | null): void {
    // Garbage-collected.
  }

  Connect(connectParams: VixDiskLibConnectParams | null): Promise<VixDiskLibConnection> {
    return this.ConnectEx(connectParams, false, null, null);
  }

  async ConnectEx(connectParams: VixDiskLibConnectParams | null, readOnly: boolean, snapshotRef: string | null,
    transportModes: string | null): Promise<VixDiskLibConnection> {
    return this.call('ConnectEx', async () => {
      if (transportModes !== null && transportModes !== undefined && typeof transportModes !== 'string') {
        throw new VixError(VIX_E_INVALID_ARG, 'transportModes must be a string such as "file:nbdssl" or null');
      }
      const params = copyParams(connectParams);
      const gen = this.generation;
      const alive = () => this.initialized && this.generation === gen;
      const modes = transportModes || DEFAULT_TRANSPORT_MODES;
      if (params?.serverName) {
        if (snapshotRef !== null && snapshotRef !== undefined && (typeof snapshotRef !== 'string' || snapshotRef === '')) {
          throw new VixError(VIX_E_INVALID_ARG, 'snapshotRef must be a snapshot moref such as "snapshot-12" or null');
        }
        const remote = await RemoteSession.connect({
          params, readOnly: Boolean(readOnly), snapshotRef: snapshotRef ?? null, config: this.config,
          log: (level, line) => (level === 'warn' ? this.logger.warn(line) : this.logger.log(LOG_INFO, line)),
        });
        const conn = new VixDiskLibConnection(params, Boolean(readOnly), snapshotRef ?? null, modes, alive, remote);
        this.logger.log(LOG_INFO, `connected: ${params.serverName} VM ${remote.vm.value}${remote.snapshot ? ` snapshot ${remote.snapshot.value}` : ''}, `
          + `${readOnly ? 'read-only' : 'read-write'}, modes ${conn.transportModes}`);
        return conn;
      }
      const conn = new VixDiskLibConnection(params, Boolean(readOnly), snapshotRef ?? null, modes, alive);
      this.logger.log(LOG_INFO, `connected: local, ${readOnly ? 'read-only' : 'read-write'}, modes ${conn.transportModes}`);
      return conn;
    });
  }

  async Disconnect(connection: VixDiskLibConnection): Promise<void> {
    return this.call('Disconnect', async () => {
      if (!(connection instanceof VixDiskLibConnection)) throw new VixError(VIX_E_INVALID_ARG, 'not a connection');
      if (connection.openHandles > 0) this.logger.warn(`Disconnect with ${connection.openHandles} disks still open; they are closed`);
      await connection.disconnect();
    });
  }

  async Cleanup(connectParams: VixDiskLibConnectParams | null): Promise<{ numCleanedUp: number; numRemaining: number }> {
    return this.call('Cleanup', async () => {
      if (connectParams?.serverName) {
        // nbd and nbdssl leave nothing on the host (an NFC session ends with its connection, an
        // unused ticket expires); HotAdd attachments of processes that died are undone (hotadd.ts).
        // A vmxSpec (VDDK wants none) is not needed: the records name the proxy.
        const log = (level: 'info' | 'warn', line: string) => (level === 'warn' ? this.logger.warn(line) : this.logger.log(LOG_INFO, line));
        const { client, owns } = await RemoteSession.authenticate({ params: copyParams(connectParams)!, config: this.config, log });
        try {
          const counts = await cleanupHotAdd(client, this.config, log);
          this.logger.log(LOG_INFO, `Cleanup on ${connectParams.serverName}: ${counts.numCleanedUp} cleaned up, ${counts.numRemaining} remaining`);
          return counts;
        } finally {
          if (owns) await client.logout().catch(() => undefined);
          client.close();
        }
      }
      if (connectParams?.vmxSpec) throw new VixError(VIX_E_INVALID_ARG, 'Cleanup takes connection parameters without a vmxSpec');
      // Local connections leave nothing behind (no hot-added disks, no SAN state).
      return { numCleanedUp: 0, numRemaining: 0 };
    });
  }

  async PrepareForAccess(connectParams: VixDiskLibConnectParams | null, identity: string): Promise<void> {
    return this.accessControl('PrepareForAccess', connectParams, identity);
  }

  async EndAccess(connectParams: VixDiskLibConnectParams | null, identity: string): Promise<void> {
    return this.accessControl('EndAccess', connectParams, identity);
  }

  private async accessControl(call: string, params: VixDiskLibConnectParams | null, identity: string): Promise<void> {
    return this.call(call, async () => {
      checkPath(identity, 'identity');
      if (params?.serverName) {
        // One short-lived session: VDDK's PrepareForAccess logs in, disables, logs out.
        const session = await RemoteSession.connect({
          params: copyParams(params)!, readOnly: true, snapshotRef: null, config: this.config,
          log: (level, line) => (level === 'warn' ? this.logger.warn(line) : this.logger.log(LOG_INFO, line)),
        });
        try {
          await session.setMethodsDisabled(call === 'PrepareForAccess', identity);
        } finally {
          await session.close().catch(() => undefined);
        }
        this.logger.log(LOG_INFO, `${call} for "${identity}" on VM ${session.vm.value}: RelocateVM_Task ${call === 'PrepareForAccess' ? 'disabled' : 'enabled'}`);
        return;
      }
      // Without a vCenter there are no methods to disable: nothing to do, as for direct ESXi connections.
      this.logger.log(LOG_INFO, `${call} for "${identity}": local disks need no access control`);
    });
  }

  // ---- Opening and inspecting disks ------------------------------------------------------

  async Open(connection: VixDiskLibConnection, path: string, flags: number): Promise<VixDiskLibHandle> {
    return this.call('Open', async () => {
      const conn = checkConnection(connection);
      checkPath(path);
      if (!Number.isInteger(flags) || flags < 0) throw new VixError(VIX_E_INVALID_ARG, `open flags ${flags} are not valid`);
      const readOnly = conn.readOnly || (flags & VIXDISKLIB_FLAG_OPEN_READ_ONLY) !== 0;
      const singleLink = (flags & VIXDISKLIB_FLAG_OPEN_SINGLE_LINK) !== 0;
      const compression = compressionOf(flags);
      const opened = await openWithTransports(conn.transportModes, {
        local: conn.local, path, readOnly, singleLink, snapshotRef: conn.snapshotRef, remote: conn.remote,
        ...(compression ? { compression } : {}),
      });
      for (const s of opened.skipped) this.logger.log(LOG_INFO, `Open ${path}: skipped ${s.mode}: ${s.reason}`);
      const handle = new VixDiskLibHandle(conn, path, flags, opened.mode, opened.device, singleLink);
      conn.track(handle);
      this.logger.log(LOG_INFO, `opened ${path} (${opened.mode}${readOnly ? ', read-only' : ''})`);
      return handle;
    });
  }

  async Close(diskHandle: VixDiskLibHandle): Promise<void> {
    return this.call('Close', async () => {
      if (!(diskHandle instanceof VixDiskLibHandle)) throw new VixError(VIX_E_INVALID_ARG, 'not a disk handle');
      await diskHandle.close();
    });
  }

  GetTransportMode(diskHandle: VixDiskLibHandle | null): string | null {
    return diskHandle instanceof VixDiskLibHandle ? diskHandle.transportMode : null;
  }

  async GetInfo(diskHandle: VixDiskLibHandle): Promise<VixDiskLibInfo> {
    return this.call('GetInfo', async () => {
      const h = checkHandle(diskHandle);
      const capacity = h.device.capacity / SECTOR;
      if (h.device instanceof NfcDisk) return nfcInfo(h.device);
      if (!(h.device instanceof VmdkDisk)) {
        const geo = computeGeometry(h.device.capacity, 'lsilogic');
        return { biosGeo: geo, physGeo: geo, capacity, adapterType: VIXDISKLIB_ADAPTER_UNKNOWN, numLinks: 1, parentFileNameHint: null, uuid: null, logicalSectorSize: SECTOR, physicalSectorSize: SECTOR };
      }
      const info = h.device.info();
      const adapter = adapterCode(info.adapterType ?? undefined);
      const physGeo: VixDiskLibGeometry = info.geometry ?? computeGeometry(h.device.capacity, adapter === VIXDISKLIB_ADAPTER_IDE ? 'ide' : 'lsilogic');
      const d = h.device.top.descriptor;
      const size = (k: string) => {
        const v = d.getDdb(k);
        return v && /^\d+$/.test(v) ? Number(v) : SECTOR;
      };
      return {
        biosGeo: info.biosGeometry ?? { ...physGeo },
        physGeo,
        capacity,
        adapterType: adapter,
        numLinks: h.device.links.length + (h.device.hasBacking ? 1 : 0),
        parentFileNameHint: info.parentFileNameHint,
        uuid: info.uuid,
        logicalSectorSize: size('ddb.logicalSectorSize'),
        physicalSectorSize: size('ddb.physicalSectorSize'),
      };
    });
  }

  FreeInfo(_info: VixDiskLibInfo | null): void {
    // Garbage-collected.
  }

  // ---- I/O -------------------------------------------------------------------------------

  async Read(diskHandle: VixDiskLibHandle, startSector: SectorArg, numSectors: SectorArg, readBuffer: Uint8Array): Promise<void> {
    return this.call('Read', async () => {
      const h = checkHandle(diskHandle);
      const { offset, buf } = this.ioArgs(h, startSector, numSectors, readBuffer);
      await h.sync(() => h.device.read(offset, buf));
    });
  }

  async Write(diskHandle: VixDiskLibHandle, startSector: SectorArg, numSectors: SectorArg, writeBuffer: Uint8Array): Promise<void> {
    return this.call('Write', async () => {
      const h = checkHandle(diskHandle);
      const { offset, buf } = this.ioArgs(h, startSector, numSectors, writeBuffer);
      this.checkWritable(h);
      await h.sync(() => h.device.write(offset, buf));
    });
  }

  /**
   * Queue a read; returns VIX_ASYNC. The callback runs with (cbData, VIX_OK or the error code) when
   * the read completes; callbacks come in order of completion. An immediate failure throws and the
   * callback never runs.
   */
  ReadAsync(diskHandle: VixDiskLibHandle, startSector: SectorArg, numSectors: SectorArg, readBuffer: Uint8Array,
    callback: VixDiskLibCompletionCB, cbData: unknown): number {
    this.requireInit();
    const h = checkHandle(diskHandle);
    const { offset, buf } = this.ioArgs(h, startSector, numSectors, readBuffer);
    this.queue(h, () => h.device.read(offset, buf), callback, cbData);
    return VIX_ASYNC;
  }

  WriteAsync(diskHandle: VixDiskLibHandle, startSector: SectorArg, numSectors: SectorArg, writeBuffer: Uint8Array,
    callback: VixDiskLibCompletionCB, cbData: unknown): number {
    this.requireInit();
    const h = checkHandle(diskHandle);
    const { offset, buf } = this.ioArgs(h, startSector, numSectors, writeBuffer);
    this.checkWritable(h);
    this.queue(h, () => h.device.write(offset, buf), callback, cbData);
    return VIX_ASYNC;
  }

  async Wait(diskHandle: VixDiskLibHandle): Promise<void> {
    return this.call('Wait', async () => {
      await checkHandle(diskHandle).drain();
    });
  }

  async Flush(diskHandle: VixDiskLibHandle): Promise<void> {
    return this.call('Flush', async () => {
      const h = checkHandle(diskHandle);
      await h.drain();
      await h.device.flush();
    });
  }

  private queue(h: VixDiskLibHandle, op: () => Promise<void>, callback: VixDiskLibCompletionCB, cbData: unknown): void {
    if (typeof callback !== 'function') throw new VixError(VIX_E_INVALID_ARG, 'the completion callback must be a function');
    h.async(op, (result, err) => {
      if (err) this.logger.log(LOG_WARNING, `async I/O on ${h.path} failed: ${err.message} (VIX error ${err.code})`);
      try {
        callback(cbData, result);
      } catch (cbErr) {
        this.logger.warn(`a completion callback threw: ${(cbErr as Error)?.message ?? cbErr}`);
      }
    });
  }

  private ioArgs(h: VixDiskLibHandle, startSector: SectorArg, numSectors: SectorArg, buffer: Uint8Array): { offset: number; buf: Uint8Array } {
    const start = sectors(startSector, 'startSector');
    const count = sectors(numSectors, 'numSectors');
    const buf = checkBuffer(buffer, count);
    const capacitySectors = h.device.capacity / SECTOR;
    if (start + count > capacitySectors) {
      throw new VixError(VIX_E_DISK_OUTOFRANGE, `sectors ${start}..${start + count} are past the end of ${h.path} (${capacitySectors} sectors)`);
    }
    return { offset: start * SECTOR, buf };
  }

  private checkWritable(h: VixDiskLibHandle): void {
    if (h.device.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${h.path} is open read-only`);
  }

  // ---- Allocation ------------------------------------------------------------------------

  async QueryAllocatedBlocks(diskHandle: VixDiskLibHandle, startSector: SectorArg, numSectors: SectorArg,
    chunkSize: SectorArg): Promise<VixDiskLibBlockList> {
    return this.call('QueryAllocatedBlocks', async () => {
      const h = checkHandle(diskHandle);
      const start = sectors(startSector, 'startSector');
      const count = sectors(numSectors, 'numSectors');
      const chunk = sectors(chunkSize, 'chunkSize');
      if (chunk < VIXDISKLIB_MIN_CHUNK_SIZE || chunk > VIXDISKLIB_MAX_CHUNK_SIZE) {
        throw new VixError(VIX_E_INVALID_ARG, `chunkSize ${chunk} is outside ${VIXDISKLIB_MIN_CHUNK_SIZE}..${VIXDISKLIB_MAX_CHUNK_SIZE} sectors`);
      }
      const capacitySectors = h.device.capacity / SECTOR;
      if (start + count > capacitySectors) {
        throw new VixError(VIX_E_DISK_OUTOFRANGE, `sectors ${start}..${start + count} are past the end of the disk (${capacitySectors} sectors)`);
      }
      // Only a query that ends at the disk's end may have an unaligned count: that tail is reported
      // allocated, as VDDK's own callers (its sample, nbdkit) treat it.
      const endsAtCapacity = start + count === capacitySectors;
      if (start % chunk !== 0 || (count % chunk !== 0 && !endsAtCapacity)) {
        throw new VixError(VIX_E_INVALID_ARG, `startSector ${start} and numSectors ${count} must be multiples of chunkSize ${chunk}`);
      }
      if (Math.ceil(count / chunk) > VIXDISKLIB_MAX_CHUNK_NUMBER) {
        throw new VixError(VIX_E_INVALID_ARG, `${Math.ceil(count / chunk)} chunks is more than the ${VIXDISKLIB_MAX_CHUNK_NUMBER} one query may cover`);
      }
      const runs = await h.sync(() => this.allocatedRuns(h, start * SECTOR, count * SECTOR));
      const blocks: Array<{ offset: number; length: number }> = [];
      const chunkBytes = chunk * SECTOR;
      const fullEnd = start * SECTOR + Math.floor(count / chunk) * chunkBytes;
      const add = (offsetBytes: number, endBytes: number) => {
        const last = blocks[blocks.length - 1];
        const o = offsetBytes / SECTOR;
        const l = (endBytes - offsetBytes) / SECTOR;
        if (last && last.offset + last.length >= o) last.length = Math.max(last.length, o + l - last.offset);
        else blocks.push({ offset: o, length: l });
      };
      for (const r of runs) {
        const from = Math.floor(r.offset / chunkBytes) * chunkBytes;
        const to = Math.min(Math.ceil((r.offset + r.length) / chunkBytes) * chunkBytes, fullEnd);
        if (from < to) add(from, to);
      }
      if (fullEnd < (start + count) * SECTOR) add(fullEnd, (start + count) * SECTOR);
      return { numBlocks: blocks.length, blocks };
    });
  }

  FreeBlockList(_blockList: VixDiskLibBlockList | null): void {
    // Garbage-collected.
  }

  /** Byte runs holding data: the chain's allocation, or one link's own with SINGLE_LINK. */
  private async allocatedRuns(h: VixDiskLibHandle, offset: number, length: number): Promise<Array<{ offset: number; length: number }>> {
    if (h.singleLink && h.device instanceof VmdkDisk) {
      return (await h.device.linkStatus(0, offset, length)).filter((r) => r.state !== 'absent');
    }
    return (await h.device.blockStatus(offset, length)).filter((e) => e.allocated);
  }

  // ---- Metadata --------------------------------------------------------------------------

  async GetMetadataKeys(diskHandle: VixDiskLibHandle, keys: Uint8Array | null = null, maxLen?: number): Promise<{ keys: string[]; requiredLen: number }> {
    return this.call('GetMetadataKeys', async () => {
      const h = checkHandle(diskHandle);
      const names = h.device instanceof NfcDisk ? await h.sync(() => nfcMetadataKeys(h.device as NfcDisk))
        : await listMetadataKeys(vmdkOf(h, 'GetMetadataKeys'));
      const encoded = Buffer.from(names.map((n) => `${n}\0`).join('') + '\0', 'utf8');
      this.fillBuffer(keys, maxLen, encoded, 'metadata keys');
      return { keys: names, requiredLen: encoded.length };
    });
  }

  async ReadMetadata(diskHandle: VixDiskLibHandle, key: string, buf: Uint8Array | null = null, bufLen?: number): Promise<{ value: string; requiredLen: number }> {
    return this.call('ReadMetadata', async () => {
      const h = checkHandle(diskHandle);
      checkPath(key, 'key');
      const value = h.device instanceof NfcDisk ? await h.sync(() => nfcMetadata(h.device as NfcDisk, key))
        : await readMetadata(vmdkOf(h, 'ReadMetadata'), key);
      const encoded = Buffer.from(`${value}\0`, 'utf8');
      this.fillBuffer(buf, bufLen, encoded, `metadata value of "${key}"`);
      return { value, requiredLen: encoded.length };
    });
  }

  async WriteMetadata(diskHandle: VixDiskLibHandle, key: string, val: string): Promise<void> {
    return this.call('WriteMetadata', async () => {
      const h = checkHandle(diskHandle);
      checkPath(key, 'key');
      if (typeof val !== 'string') throw new VixError(VIX_E_INVALID_ARG, 'the metadata value must be a string');
      this.checkWritable(h);
      const disk = vmdkOf(h, 'WriteMetadata');
      await h.sync(() => writeMetadata(disk, key, val));
    });
  }

  /** The C two-call pattern: no buffer asks for the size; a short buffer is VIX_E_BUFFER_TOOSMALL. */
  private fillBuffer(buf: Uint8Array | null, len: number | undefined, data: Uint8Array, what: string): void {
    if (buf === null || buf === undefined) return;
    if (!(buf instanceof Uint8Array)) throw new VixError(VIX_E_INVALID_ARG, 'the buffer must be a Uint8Array or null');
    const room = Math.min(len ?? buf.length, buf.length);
    if (room < data.length) {
      const e = new VixError(VIX_E_BUFFER_TOOSMALL, `${what} need ${data.length} bytes; the buffer has ${room}`);
      (e as VixError & { requiredLen: number }).requiredLen = data.length;
      throw e;
    }
    buf.set(data);
  }

  // ---- Creating and copying disks --------------------------------------------------------

  async Create(connection: VixDiskLibConnection, path: string, createParams: VixDiskLibCreateParams,
    progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown): Promise<void> {
    return this.call('Create', async () => {
      const conn = checkConnection(connection);
      checkPath(path);
      if (!conn.local) throw new VixError(VIX_E_NOT_SUPPORTED, 'disks can only be created locally; create one here and Clone it to the host');
      const progress = progressReporter(progressFunc, progressCallbackData);
      progress(0);
      await createDisk(resolve(path), this.createOptions(createParams, sectors(createParams?.capacity ?? -1, 'capacity') * SECTOR));
      progress(100);
    });
  }

  async CreateChild(diskHandle: VixDiskLibHandle, childPath: string, diskType: number,
    progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown): Promise<void> {
    return this.call('CreateChild', async () => {
      const h = checkHandle(diskHandle);
      checkPath(childPath, 'childPath');
      const childType = CHILD_TYPE_NAMES[diskType];
      if (!childType) {
        throw new VixError(VIX_E_INVALID_ARG, `a child disk must be MONOLITHIC_SPARSE, SPLIT_SPARSE or VMFS_SPARSE (got disk type ${diskType})`);
      }
      const disk = vmdkOf(h, 'CreateChild');
      if (!h.connection.local) throw new VixError(VIX_E_NOT_SUPPORTED, 'children can only be created for local disks');
      const progress = progressReporter(progressFunc, progressCallbackData);
      progress(0);
      await h.sync(() => disk.flush().catch(() => undefined));
      await h.sync(() => createChild(resolve(childPath), disk, { type: childType }));
      progress(100);
    });
  }

  async Clone(dstConnection: VixDiskLibConnection, dstPath: string, srcConnection: VixDiskLibConnection, srcPath: string,
    createParams: VixDiskLibCreateParams, progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown,
    overWrite: boolean): Promise<void> {
    return this.call('Clone', async () => {
      const dstConn = checkConnection(dstConnection);
      const srcConn = checkConnection(srcConnection);
      checkPath(dstPath, 'dstPath');
      checkPath(srcPath, 'srcPath');
      if (!dstConn.local) throw new VixError(VIX_E_NOT_SUPPORTED, 'cloning to a remote host is not implemented yet');
      const dst = resolve(dstPath);
      if (!overWrite && await stat(dst).then(() => true, () => false)) {
        throw new VixError(VIX_E_FILE_ALREADY_EXISTS, `${dst} already exists (pass overWrite to replace it)`);
      }
      const src = await openWithTransports(srcConn.transportModes, {
        local: srcConn.local, path: srcPath, readOnly: true, singleLink: false, snapshotRef: srcConn.snapshotRef,
      });
      let out: BlockDevice | null = null;
      try {
        const options = this.createOptions(createParams, src.device.capacity, src.device instanceof VmdkDisk ? src.device.info().adapterType : null);
        out = await createDiskDevice(dst, { ...options, overwrite: Boolean(overWrite) });
        const progress = progressReporter(progressFunc, progressCallbackData);
        progress(0);
        await copyDevice(src.device, out, { destinationIsZero: true, onProgress: (done, total) => progress((done / total) * 100) });
        await out.close();
        out = null;
        progress(100);
      } finally {
        await out?.close().catch(() => undefined);
        await src.device.close();
      }
    });
  }

  private createOptions(p: VixDiskLibCreateParams, capacityBytes: number, sourceAdapter: string | null = null) {
    if (!p || typeof p !== 'object') throw new VixError(VIX_E_INVALID_ARG, 'createParams are required');
    if (p.diskType === VIXDISKLIB_DISK_VMFS_SPARSE) {
      throw new VixError(VIX_E_NOT_SUPPORTED, 'VMFS sparse disks are created by the host as snapshot deltas, not by Create');
    }
    const type = DISK_TYPE_NAMES[p.diskType];
    if (!type) throw new VixError(VIX_E_INVALID_ARG, `disk type ${p.diskType} is not one of VixDiskLib's disk types`);
    const adapterType = ADAPTER_NAMES[p.adapterType] ?? (p.adapterType === VIXDISKLIB_ADAPTER_UNKNOWN && sourceAdapter ? sourceAdapter as AdapterType : undefined);
    if (!adapterType) throw new VixError(VIX_E_INVALID_ARG, `adapter type ${p.adapterType} is not IDE (1), BusLogic (2) or LSI Logic (3)`);
    if (!Number.isInteger(p.hwVersion) || p.hwVersion < 0 || p.hwVersion > 0xffff) {
      throw new VixError(VIX_E_INVALID_ARG, `hwVersion ${p.hwVersion} is not a 16-bit number`);
    }
    const logical = p.logicalSectorSize || SECTOR;
    const physical = p.physicalSectorSize || SECTOR;
    if (logical !== SECTOR) throw new VixError(VIX_E_NOT_SUPPORTED, `logical sector size ${logical}: only 512-byte logical sectors are supported`);
    if (physical !== SECTOR && physical !== 4096) throw new VixError(VIX_E_INVALID_ARG, `physical sector size ${physical} is not 512 or 4096`);
    if (capacityBytes <= 0) throw new VixError(VIX_E_INVALID_ARG, 'capacity must be at least one sector');
    return { capacity: capacityBytes, type, adapterType, hwVersion: p.hwVersion || 4 };
  }

  // ---- Chains ----------------------------------------------------------------------------

  async IsAttachPossible(parent: VixDiskLibHandle, child: VixDiskLibHandle): Promise<void> {
    return this.call('IsAttachPossible', async () => {
      this.attachCheck(checkHandle(parent), checkHandle(child));
    });
  }

  async Attach(parent: VixDiskLibHandle, child: VixDiskLibHandle): Promise<void> {
    return this.call('Attach', async () => {
      const p = checkHandle(parent);
      const c = checkHandle(child);
      let attached = false;
      try {
        const disk = this.attachCheck(p, c);
        await p.drain();
        disk.attachBacking(p.device);
        attached = true;
      } finally {
        // Afterwards (and on failure too) the parent handle is spent; closing it is harmless.
        if (p !== c) {
          if (!attached) await p.device.close().catch(() => undefined);
          p.absorbed = true;
          p.connection.forget(p);
        }
      }
    });
  }

  private attachCheck(p: VixDiskLibHandle, c: VixDiskLibHandle): VmdkDisk {
    if (p === c) throw new VixError(VIX_E_INVALID_ARG, 'a disk cannot be attached to itself');
    if (!(c.device instanceof VmdkDisk)) throw new VixError(VIX_E_NOT_SUPPORTED, 'only VMDK links can be attached');
    const child = c.device;
    const hint = child.top.descriptor.parentFileNameHint;
    if (!hint || child.links.length > 1 || child.hasBacking) {
      throw new VixError(VIX_E_DISK_ATTACH_ROOTLINK, `${c.path} is not a lone child link (open it with SINGLE_LINK; it must name a parent)`);
    }
    if (p.device.capacity !== child.capacity) {
      throw new VixError(VIX_E_DISK_CAPACITY_MISMATCH, `parent capacity ${p.device.capacity / SECTOR} sectors differs from the child's ${child.capacity / SECTOR}`);
    }
    if (p.device instanceof VmdkDisk) {
      if (p.device.top.descriptor.createType === 'streamOptimized') {
        throw new VixError(VIX_E_DISK_PARENT_NOTALLOWED, 'a streamOptimized disk cannot be a parent');
      }
      const want = child.top.descriptor.parentCid;
      const have = p.device.top.descriptor.cid;
      if (want !== have) {
        throw new VixError(VIX_E_DISK_CID_MISMATCH, `the child expects parent CID ${formatCid(want)}; ${p.path} has ${formatCid(have)}`);
      }
    }
    return child;
  }

  // ---- Checks ----------------------------------------------------------------------------

  async CheckRepair(connection: VixDiskLibConnection, filename: string, repair: boolean): Promise<void> {
    return this.call('CheckRepair', async () => {
      const conn = checkConnection(connection);
      checkPath(filename, 'filename');
      if (!conn.local) throw new VixError(VIX_E_NOT_SUPPORTED, 'CheckRepair works on local disks');
      if (repair) {
        const r = await repairDisk(resolve(filename));
        for (const a of r.actions) this.logger.log(LOG_AUDIT, `repair ${filename}: ${a}`);
        for (const g of r.lostGrains) this.logger.warn(`repair ${filename}: lost grain ${g.grain} of ${g.file}: ${g.reason}`);
        for (const u of r.unrepaired) this.logger.warn(`repair ${filename}: not repaired: ${u}`);
        if (!r.check.ok) throw new VixError(r.check.problems[0]!.code, r.check.problems[0]!.message);
        return;
      }
      const report = await checkDisk(resolve(filename));
      for (const w of report.warnings) this.logger.warn(w);
      for (const p of report.problems) this.logger.log(LOG_WARNING, `${p.message} (VIX error ${p.code})`);
      if (!report.ok) throw new VixError(report.problems[0]!.code, report.problems[0]!.message);
    });
  }

  // ---- Disk management -------------------------------------------------------------------

  async Grow(connection: VixDiskLibConnection, path: string, capacity: SectorArg, updateGeometry: boolean,
    progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown): Promise<void> {
    return this.call('Grow', async () => {
      const conn = checkConnection(connection);
      checkPath(path);
      if (!conn.local) throw new VixError(VIX_E_NOT_SUPPORTED, 'Grow works on local disks');
      const newCapacity = sectors(capacity, 'capacity') * SECTOR;
      await growDisk(resolve(path), newCapacity, { updateGeometry: Boolean(updateGeometry), onProgress: progressReporter(progressFunc, progressCallbackData) });
    });
  }

  async Shrink(diskHandle: VixDiskLibHandle, progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown): Promise<void> {
    return this.rewrite('Shrink', diskHandle, (path, onProgress) => shrinkDisk(path, { onProgress }), progressFunc, progressCallbackData);
  }

  async Defragment(diskHandle: VixDiskLibHandle, progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown): Promise<void> {
    return this.rewrite('Defragment', diskHandle, (path, onProgress) => defragmentDisk(path, { onProgress }), progressFunc, progressCallbackData);
  }

  /**
   * Shrink and Defragment rewrite the top link beside itself and switch files; the handle's own
   * files are closed for it and reopened after, so the handle stays usable.
   */
  private async rewrite(call: string, diskHandle: VixDiskLibHandle, work: (path: string, onProgress: (p: number) => void) => Promise<unknown>,
    progressFunc: VixDiskLibProgressFunc | null, progressCallbackData: unknown): Promise<void> {
    return this.call(call, async () => {
      const h = checkHandle(diskHandle);
      const disk = vmdkOf(h, call);
      if (disk.readOnly) throw new VixError(VIX_E_FILE_READ_ONLY, `${h.path} is open read-only; ${call} rewrites it`);
      if (disk.hasBacking) throw new VixError(VIX_E_NOT_SUPPORTED, `${call} of an attached chain is not supported`);
      await h.sync(async () => {
        const path = disk.path;
        await disk.close();
        try {
          await work(path, progressReporter(progressFunc, progressCallbackData));
        } finally {
          h.device = await VmdkDisk.open(path, { readOnly: false, singleLink: h.singleLink });
        }
      });
    });
  }

  async Rename(srcFileName: string, dstFileName: string): Promise<void> {
    return this.call('Rename', async () => {
      // An open handle (here or in another process) holds the link's lock: Rename gets 15.
      await renameDisk(resolve(checkPath(srcFileName, 'srcFileName')), resolve(checkPath(dstFileName, 'dstFileName')));
    });
  }

  async Unlink(connection: VixDiskLibConnection, path: string): Promise<void> {
    return this.call('Unlink', async () => {
      const conn = checkConnection(connection);
      checkPath(path);
      if (!conn.local) throw new VixError(VIX_E_NOT_SUPPORTED, 'Unlink works on local disks');
      await unlinkDisk(resolve(path));
    });
  }

  async SpaceNeededForClone(diskHandle: VixDiskLibHandle, cloneDiskType: number): Promise<number> {
    return this.call('SpaceNeededForClone', async () => {
      const h = checkHandle(diskHandle);
      const disk = vmdkOf(h, 'SpaceNeededForClone');
      let type: DiskType | undefined;
      if (cloneDiskType !== VIXDISKLIB_DISK_UNKNOWN) {
        type = DISK_TYPE_NAMES[cloneDiskType];
        if (!type) throw new VixError(VIX_E_INVALID_ARG, `disk type ${cloneDiskType} is not one of VixDiskLib's disk types`);
      }
      return h.sync(() => spaceNeededForClone(disk, type));
    });
  }

  // ---- Internals -------------------------------------------------------------------------

  private requireInit(): void {
    if (!this.initialized) throw new VixError(VIX_E_DISK_NOINIT, 'VixDiskLib is not initialised (call InitEx first)');
  }

  /**
   * Every call goes through here: the library must be initialised; VixErrors pass through; anything
   * else is an internal fault: reported through the panic sink and turned into VIX_E_FAIL, ending the
   * operation, never the process.
   */
  private async call<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.requireInit();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof VixError) {
        this.logger.log(LOG_INFO, `${name} failed: ${err.message} (VIX error ${err.code})`);
        throw err;
      }
      const e = err as NodeJS.ErrnoException;
      if (e && typeof e.code === 'string') throw toVixError(err, name);
      const message = err instanceof Error ? err.message : String(err);
      this.logger.panic(`${name}: internal error: ${message}`);
      throw new VixError(VIX_E_FAIL, `${name}: internal error: ${message}`, { cause: err });
    }
  }
}

export function createVixDiskLib(): VixDiskLibApi {
  return new VixDiskLibApi();
}

/** The process-wide library, as VixDiskLib is in C. */
export const VixDiskLib: VixDiskLibApi = createVixDiskLib();
