// What every kind of extent inside a link provides to the link (flat, sparse, zero, ...).
// Offsets are bytes relative to the start of the extent.

/** The state of a run of an extent: stored here, known to be zeros here, or not in this extent. */
export type ExtentRunState = 'data' | 'zero' | 'absent';

export interface ExtentRun {
  offset: number;
  length: number;
  state: ExtentRunState;
}

/** A region of a read buffer that the extent does not hold (to be filled from the parent link). */
export interface AbsentRange {
  offset: number;
  length: number;
}

/** Reads the same virtual bytes from below this link (the parent chain, or zeros). */
export type BackingReader = (offset: number, buffer: Uint8Array) => Promise<void>;

export interface ExtentIo {
  readonly sizeBytes: number;
  readonly writable: boolean;
  /** When set: the error a write would get (more precise than plain read-only). */
  readonly writeRefusal?: Error | null;
  /** Bytes of directory this extent keeps in memory while it is open (a chain's budget counts them). */
  readonly metadataBytes?: number;
  /** Fill `buffer` with bytes at `offset`; return the parts this extent does not hold (left untouched). */
  read(offset: number, buffer: Uint8Array): Promise<AbsentRange[]>;
  /** Write; `backing` supplies the bytes below for the rest of a grain that must be allocated. */
  write(offset: number, data: Uint8Array, backing: BackingReader): Promise<void>;
  /** Make a range read as zeros; `hasBacking` says whether a hole would show a parent's data. */
  zero(offset: number, length: number, hasBacking: boolean, backing: BackingReader): Promise<void>;
  status(offset: number, length: number): Promise<ExtentRun[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
