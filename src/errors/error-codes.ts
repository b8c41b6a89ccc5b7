// VIX error codes used by VixDiskLib, with VMware's names and numeric values
// (vix.h / vixDiskLib.h; see ../shared/reference/vixdisklib-api.md section 5) and an English text
// equivalent to what VixDiskLib_GetErrorText returns.

export const VIX_OK = 0;
export const VIX_E_FAIL = 1;
export const VIX_E_OUT_OF_MEMORY = 2;
export const VIX_E_INVALID_ARG = 3;
export const VIX_E_FILE_NOT_FOUND = 4;
export const VIX_E_OBJECT_IS_BUSY = 5;
export const VIX_E_NOT_SUPPORTED = 6;
export const VIX_E_FILE_ERROR = 7;
export const VIX_E_DISK_FULL = 8;
export const VIX_E_INCORRECT_FILE_TYPE = 9;
export const VIX_E_CANCELLED = 10;
export const VIX_E_FILE_READ_ONLY = 11;
export const VIX_E_FILE_ALREADY_EXISTS = 12;
export const VIX_E_FILE_ACCESS_ERROR = 13;
export const VIX_E_REQUIRES_LARGE_FILES = 14;
export const VIX_E_FILE_ALREADY_LOCKED = 15;
export const VIX_E_VMDB = 16;
export const VIX_E_NOT_SUPPORTED_ON_REMOTE_OBJECT = 20;
export const VIX_E_FILE_TOO_BIG = 21;
export const VIX_E_FILE_NAME_INVALID = 22;
export const VIX_E_ALREADY_EXISTS = 23;
export const VIX_E_BUFFER_TOOSMALL = 24;
export const VIX_E_OBJECT_NOT_FOUND = 25;
export const VIX_E_HOST_NOT_CONNECTED = 26;
export const VIX_E_INVALID_UTF8_STRING = 27;
export const VIX_E_UNFINISHED_JOB = 29;
export const VIX_E_NEED_KEY = 30;
export const VIX_E_OPERATION_ALREADY_IN_PROGRESS = 31;
export const VIX_E_LICENSE = 32;
export const VIX_E_VM_HOST_DISCONNECTED = 34;
export const VIX_E_AUTHENTICATION_FAIL = 35;
export const VIX_E_HOST_CONNECTION_LOST = 36;
export const VIX_E_DUPLICATE_NAME = 41;
export const VIX_E_ARGUMENT_TOO_BIG = 44;

export const VIX_E_HOST_USER_PERMISSIONS = 3014;

export const VIX_E_HOST_DISK_INVALID_VALUE = 14003;
export const VIX_E_HOST_DISK_SECTORSIZE = 14004;
export const VIX_E_HOST_FILE_ERROR_EOF = 14005;
export const VIX_E_HOST_NETBLKDEV_HANDSHAKE = 14006;
export const VIX_E_HOST_SOCKET_CREATION_ERROR = 14007;
export const VIX_E_HOST_SERVER_NOT_FOUND = 14008;
export const VIX_E_HOST_NETWORK_CONN_REFUSED = 14009;
export const VIX_E_HOST_TCP_SOCKET_ERROR = 14010;
export const VIX_E_HOST_TCP_CONN_LOST = 14011;
export const VIX_E_HOST_NBD_HASHFILE_VOLUME = 14012;
export const VIX_E_HOST_NBD_HASHFILE_INIT = 14013;
export const VIX_E_HOST_SERVER_SHUTDOWN = 14014;
export const VIX_E_HOST_SERVER_NOT_AVAILABLE = 14015;

export const VIX_E_DISK_INVAL = 16000;
export const VIX_E_DISK_NOINIT = 16001;
export const VIX_E_DISK_NOIO = 16002;
export const VIX_E_DISK_PARTIALCHAIN = 16003;
export const VIX_E_DISK_NEEDSREPAIR = 16006;
export const VIX_E_DISK_OUTOFRANGE = 16007;
export const VIX_E_DISK_CID_MISMATCH = 16008;
export const VIX_E_DISK_CANTSHRINK = 16009;
export const VIX_E_DISK_PARTMISMATCH = 16010;
export const VIX_E_DISK_UNSUPPORTEDDISKVERSION = 16011;
export const VIX_E_DISK_OPENPARENT = 16012;
export const VIX_E_DISK_NOTSUPPORTED = 16013;
export const VIX_E_DISK_NEEDKEY = 16014;
export const VIX_E_DISK_NOKEYOVERRIDE = 16015;
export const VIX_E_DISK_NOTENCRYPTED = 16016;
export const VIX_E_DISK_NOKEY = 16017;
export const VIX_E_DISK_INVALIDPARTITIONTABLE = 16018;
export const VIX_E_DISK_NOTNORMAL = 16019;
export const VIX_E_DISK_NOTENCDESC = 16020;
export const VIX_E_DISK_NEEDVMFS = 16022;
export const VIX_E_DISK_RAWTOOBIG = 16024;
export const VIX_E_DISK_TOOMANYOPENFILES = 16027;
export const VIX_E_DISK_TOOMANYREDO = 16028;
export const VIX_E_DISK_RAWTOOSMALL = 16029;
export const VIX_E_DISK_INVALIDCHAIN = 16030;
export const VIX_E_DISK_KEY_NOTFOUND = 16052;
export const VIX_E_DISK_SUBSYSTEM_INIT_FAIL = 16053;
export const VIX_E_DISK_INVALID_CONNECTION = 16054;
export const VIX_E_DISK_ENCODING = 16061;
export const VIX_E_DISK_CANTREPAIR = 16062;
export const VIX_E_DISK_INVALIDDISK = 16063;
export const VIX_E_DISK_NOLICENSE = 16064;
export const VIX_E_DISK_NODEVICE = 16065;
export const VIX_E_DISK_UNSUPPORTEDDEVICE = 16066;
export const VIX_E_DISK_CAPACITY_MISMATCH = 16067;
export const VIX_E_DISK_PARENT_NOTALLOWED = 16068;
export const VIX_E_DISK_ATTACH_ROOTLINK = 16069;

export const VIX_E_CANNOT_CONNECT_TO_HOST = 18000;
export const VIX_ASYNC = 25000;
export const VIX_E_ASYNC_MIXEDMODE_UNSUPPORTED = 26000;

/** English text for each code, as VixDiskLib_GetErrorText gives it. */
export const VIX_ERROR_TEXT: Readonly<Record<number, string>> = {
  [VIX_OK]: 'The operation was successful',
  [VIX_E_FAIL]: 'Unknown error',
  [VIX_E_OUT_OF_MEMORY]: 'Memory allocation failed: out of memory',
  [VIX_E_INVALID_ARG]: 'One of the parameters was invalid',
  [VIX_E_FILE_NOT_FOUND]: 'A file was not found',
  [VIX_E_OBJECT_IS_BUSY]: 'This function cannot be performed because the handle is executing another function',
  [VIX_E_NOT_SUPPORTED]: 'The operation is not supported',
  [VIX_E_FILE_ERROR]: 'A file access error occurred on the host or guest operating system',
  [VIX_E_DISK_FULL]: 'An error occurred while writing a file; the disk is full',
  [VIX_E_INCORRECT_FILE_TYPE]: 'An error occurred while accessing a file: wrong file type',
  [VIX_E_CANCELLED]: 'The operation was canceled',
  [VIX_E_FILE_READ_ONLY]: 'The file is write-protected',
  [VIX_E_FILE_ALREADY_EXISTS]: 'The file already exists',
  [VIX_E_FILE_ACCESS_ERROR]: 'You do not have access rights to this file',
  [VIX_E_REQUIRES_LARGE_FILES]: 'The file system does not support sufficiently large files',
  [VIX_E_FILE_ALREADY_LOCKED]: 'The file is already in use',
  [VIX_E_VMDB]: 'The system returned an error. Communication with the virtual machine may have been interrupted',
  [VIX_E_NOT_SUPPORTED_ON_REMOTE_OBJECT]: 'The command is not supported on remote objects',
  [VIX_E_FILE_TOO_BIG]: 'The file is too big for the filesystem',
  [VIX_E_FILE_NAME_INVALID]: 'The file name is not valid',
  [VIX_E_ALREADY_EXISTS]: 'The object already exists',
  [VIX_E_BUFFER_TOOSMALL]: 'Buffer is too small',
  [VIX_E_OBJECT_NOT_FOUND]: 'The request refers to an object that does not exist',
  [VIX_E_HOST_NOT_CONNECTED]: 'Unable to connect to the host',
  [VIX_E_INVALID_UTF8_STRING]: 'The string parameter has incorrect encoding',
  [VIX_E_UNFINISHED_JOB]: 'The job has not finished',
  [VIX_E_NEED_KEY]: 'A decryption key is required to perform the operation',
  [VIX_E_OPERATION_ALREADY_IN_PROGRESS]: 'The operation is already in progress',
  [VIX_E_LICENSE]: 'This operation requires a license',
  [VIX_E_VM_HOST_DISCONNECTED]: 'The host is disconnected',
  [VIX_E_AUTHENTICATION_FAIL]: 'Authentication failed',
  [VIX_E_HOST_CONNECTION_LOST]: 'The connection to the host was lost',
  [VIX_E_DUPLICATE_NAME]: 'Another object is using this name',
  [VIX_E_ARGUMENT_TOO_BIG]: 'One of the parameters was too big',
  [VIX_E_HOST_USER_PERMISSIONS]: 'Insufficient permissions in the host operating system',
  [VIX_E_HOST_DISK_INVALID_VALUE]: 'The specified device is not a valid physical disk device',
  [VIX_E_HOST_DISK_SECTORSIZE]: 'The disk sector size check failed',
  [VIX_E_HOST_FILE_ERROR_EOF]: 'Read beyond the end of file',
  [VIX_E_HOST_NETBLKDEV_HANDSHAKE]: 'Error in protocol',
  [VIX_E_HOST_SOCKET_CREATION_ERROR]: 'Unable to create a socket',
  [VIX_E_HOST_SERVER_NOT_FOUND]: 'The specified server could not be contacted',
  [VIX_E_HOST_NETWORK_CONN_REFUSED]: 'The server refused connection',
  [VIX_E_HOST_TCP_SOCKET_ERROR]: 'There was an error in communication',
  [VIX_E_HOST_TCP_CONN_LOST]: 'The connection was lost',
  [VIX_E_HOST_NBD_HASHFILE_VOLUME]: 'NBD_ERR_HASHFILE_VOLUME',
  [VIX_E_HOST_NBD_HASHFILE_INIT]: 'NBD_ERR_HASHFILE_INIT',
  [VIX_E_HOST_SERVER_SHUTDOWN]: 'The server is shutting down or powered off',
  [VIX_E_HOST_SERVER_NOT_AVAILABLE]: 'The server is not available (maintenance mode)',
  [VIX_E_DISK_INVAL]: 'One of the parameters supplied is invalid',
  [VIX_E_DISK_NOINIT]: 'The disk library has not been initialized',
  [VIX_E_DISK_NOIO]: 'The called function requires the virtual disk to be opened for I/O',
  [VIX_E_DISK_PARTIALCHAIN]: 'The called function cannot be performed on partial chains. Please open the parent virtual disk',
  [VIX_E_DISK_NEEDSREPAIR]: 'The specified virtual disk needs repair',
  [VIX_E_DISK_OUTOFRANGE]: 'You have requested access to an area of the virtual disk that is out of bounds',
  [VIX_E_DISK_CID_MISMATCH]: 'The parent virtual disk has been modified since the child was created. The content ID of the parent virtual disk does not match the corresponding parent content ID in the child',
  [VIX_E_DISK_CANTSHRINK]: 'The specified virtual disk cannot be shrunk because it is not the parent disk',
  [VIX_E_DISK_PARTMISMATCH]: "The partition table on the physical disk has changed since the disk was created. Remove the physical disk from the virtual machine, then add it again",
  [VIX_E_DISK_UNSUPPORTEDDISKVERSION]: 'The version of the virtual disk is newer than the version supported by this program',
  [VIX_E_DISK_OPENPARENT]: 'The parent of this virtual disk could not be opened',
  [VIX_E_DISK_NOTSUPPORTED]: 'The specified feature is not supported by this version',
  [VIX_E_DISK_NEEDKEY]: 'One or more required keys were not provided',
  [VIX_E_DISK_NOKEYOVERRIDE]: "Won't create unencrypted child of encrypted disk without explicit request",
  [VIX_E_DISK_NOTENCRYPTED]: 'Not an encrypted disk',
  [VIX_E_DISK_NOKEY]: 'No keys were supplied for encrypting the disk',
  [VIX_E_DISK_INVALIDPARTITIONTABLE]: 'The partition table is invalid',
  [VIX_E_DISK_NOTNORMAL]: 'Only sparse extents with embedded descriptors may be encrypted',
  [VIX_E_DISK_NOTENCDESC]: 'Not an encrypted descriptor file',
  [VIX_E_DISK_NEEDVMFS]: 'The file system is not VMFS',
  [VIX_E_DISK_RAWTOOBIG]: 'The physical disk is too big. The maximum size allowed is 2TB',
  [VIX_E_DISK_TOOMANYOPENFILES]: "The host's limit for open files has been exceeded",
  [VIX_E_DISK_TOOMANYREDO]: 'Too many levels of redo logs',
  [VIX_E_DISK_RAWTOOSMALL]: 'The physical disk is too small',
  [VIX_E_DISK_INVALIDCHAIN]: 'Invalid disk chain: cannot mix hosted and managed style disks in the same chain',
  [VIX_E_DISK_KEY_NOTFOUND]: 'The specified key was not found in the disk data base',
  [VIX_E_DISK_SUBSYSTEM_INIT_FAIL]: 'One of the subsystems could not be initialized',
  [VIX_E_DISK_INVALID_CONNECTION]: 'Invalid connection handle',
  [VIX_E_DISK_ENCODING]: 'Disk encoding error',
  [VIX_E_DISK_CANTREPAIR]: 'The disk is corrupted and unrepairable',
  [VIX_E_DISK_INVALIDDISK]: 'The specified file is not a virtual disk',
  [VIX_E_DISK_NOLICENSE]: 'The host is not licensed for this feature',
  [VIX_E_DISK_NODEVICE]: 'The device does not exist',
  [VIX_E_DISK_UNSUPPORTEDDEVICE]: 'The operation is not supported on this type of device',
  [VIX_E_DISK_CAPACITY_MISMATCH]: 'The parent virtual disk capacity is not the same as the child',
  [VIX_E_DISK_PARENT_NOTALLOWED]: 'Disk type cannot be used as a parent',
  [VIX_E_DISK_ATTACH_ROOTLINK]: 'Both parent and child virtual disks are root links',
  [VIX_E_CANNOT_CONNECT_TO_HOST]: 'Cannot connect to host',
  [VIX_ASYNC]: 'The asynchronous operation was queued',
  [VIX_E_ASYNC_MIXEDMODE_UNSUPPORTED]: 'Mixing synchronous and asynchronous I/O on one handle is not supported',
};

export function vixErrorText(code: number): string {
  return VIX_ERROR_TEXT[code] ?? `Unknown error (${code})`;
}
