// The VixDiskLib structures as JavaScript objects (reference section 3). Sector numbers and counts
// are accepted as number or bigint and returned as number (exact up to 2^53 sectors).

export type SectorArg = number | bigint;

export interface VixDiskLibGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export interface VixDiskLibUidCreds {
  userName: string;
  password: string;
}

export interface VixDiskLibSessionIdCreds {
  cookie: string;
  userName: string;
  key: string;
}

export interface VixDiskLibConnectParams {
  /** VM selector: "moref=vm-16" (or the legacy "path.vmx?dcPath=…&dsName=…"). */
  vmxSpec?: string | null;
  /** vCenter or ESXi host; absent or null for local (hosted) disks. */
  serverName?: string | null;
  /** SHA-1 (or SHA-256) of the server's certificate, colon-separated hex pairs. */
  thumbPrint?: string | null;
  credType?: number;
  creds?: {
    uid?: VixDiskLibUidCreds;
    sessionId?: VixDiskLibSessionIdCreds;
    ticketId?: string;
  };
  /** HTTPS port; 0 or absent means 443. */
  port?: number;
  /** NFC port of the ESXi host; 0 or absent means 902. */
  nfcHostPort?: number;
  specType?: number;
  spec?: {
    vStorageObjSpec?: { id: string; datastoreMoRef: string; ssId?: string | null };
    dsSpec?: { datastoreMoRef: string; diskFolder: string };
  };
}

export interface VixDiskLibCreateParams {
  diskType: number;
  adapterType: number;
  hwVersion: number;
  /** Capacity in sectors. */
  capacity: SectorArg;
  logicalSectorSize?: number;
  physicalSectorSize?: number;
}

export interface VixDiskLibInfo {
  biosGeo: VixDiskLibGeometry;
  physGeo: VixDiskLibGeometry;
  /** Capacity in sectors. */
  capacity: number;
  adapterType: number;
  numLinks: number;
  parentFileNameHint: string | null;
  uuid: string | null;
  logicalSectorSize: number;
  physicalSectorSize: number;
}

export interface VixDiskLibBlock {
  /** First sector of the run. */
  offset: number;
  /** Sectors in the run. */
  length: number;
}

export interface VixDiskLibBlockList {
  numBlocks: number;
  blocks: VixDiskLibBlock[];
}

/** printf-style sinks in C; here each receives one formatted line. */
export type VixDiskLibGenericLogFunc = (message: string) => void;
/** Called with (progressData, percentCompleted); the return value is ignored, as in VDDK. */
export type VixDiskLibProgressFunc = (progressData: unknown, percentCompleted: number) => unknown;
/** Async completion: (cbData, result) with result VIX_OK or a VIX error code. */
export type VixDiskLibCompletionCB = (cbData: unknown, result: number) => void;
