// vixdisk: the library's public surface.
export * from './errors/error-codes.js';
export { VixError, toVixError } from './errors/vix-error.js';
export type { BlockDevice, BlockStatusExtent } from './block/block-device.js';
export { RawFileDevice } from './block/raw-file.js';
export { copyDevice, type CopyOptions, type CopyResult } from './block/copy.js';
export { allocationMap } from './block/allocation-map.js';
export { Descriptor, type ExtentLine, type ExtentType, type ExtentAccess } from './vmdk/descriptor.js';
export { VmdkDisk, MAX_CHAIN_DEPTH, type DiskInfo, type DiskOpenOptions } from './vmdk/disk.js';
export {
  createDisk, createDiskDevice, createChild, nextSnapshotPath, DISK_TYPES, CHILD_TYPES, SPLIT_EXTENT_SECTORS,
  type DiskType, type ChildType, type CreateOptions, type ChildOptions,
} from './vmdk/create.js';
export { growDisk, type GrowOptions } from './vmdk/grow.js';
export { shrinkDisk, type ShrinkOptions, type ShrinkResult } from './vmdk/shrink.js';
export { defragmentDisk, type DefragmentOptions, type DefragmentResult } from './vmdk/defragment.js';
export { renameDisk, type RenameOptions, type RenameResult } from './vmdk/rename.js';
export { unlinkDisk } from './vmdk/unlink.js';
export { repairDisk, type RepairReport } from './vmdk/repair.js';
export { listMetadataKeys, readMetadata, writeMetadata } from './vmdk/metadata.js';
export { spaceNeededForClone } from './vmdk/space-needed.js';
export { checkDisk, type CheckReport, type CheckProblem } from './vmdk/check.js';
export { computeGeometry, ADAPTER_TYPES, type AdapterType, type Geometry } from './vmdk/geometry.js';
export { StreamOptimizedWriter } from './vmdk/stream-writer.js';
export { openDevice, createDevice, formatOfName, type DeviceFormat, type OpenDeviceOptions, type CreateDeviceOptions } from './device/open-device.js';
export { VixDiskLib, createVixDiskLib, VixDiskLibApi } from './vix/vixdisklib.js';
export * from './vix/constants.js';
export type * from './vix/types.js';
export { VixDiskLibConnection } from './vix/connection.js';
export { VixDiskLibHandle } from './vix/disk-handle.js';
export { DEFAULT_TRANSPORT_MODES } from './transport/select-transport.js';
export { NfcDisk, type NfcDiskOptions, type NfcTicket } from './nfc/nfc-disk.js';

// openDevice of a vix:// name: the remote VixDiskLib opens it (device/ cannot import vix/).
import { setVixUriOpener } from './device/open-device.js';
setVixUriOpener(async () => (await import('./vix/vix-uri-device.js')).openVixUri);
