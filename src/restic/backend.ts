// Where a repository's files live. restic's files are immutable once written (except `config`), so
// a backend needs only whole-file saves, ranged loads, listing and removal: a local folder today,
// an object store later, behind this one interface.

/** The kinds of file a repository holds (design.rst "Repository Layout"). */
export type FileType = 'config' | 'key' | 'lock' | 'snapshot' | 'index' | 'data';

export interface FileInfo {
  name: string;
  size: number;
}

export interface Backend {
  /** Where the repository is, for messages. */
  readonly location: string;
  /** Make the folders of an empty repository; fails if a config already exists. */
  create(): Promise<void>;
  /**
   * Store a whole file atomically: after a crash it is either absent or complete. The file is
   * `data`, or the concatenation of its parts (written as they are, not joined first).
   */
  save(type: FileType, name: string, data: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /**
   * Read `length` bytes at `offset` (the whole file without them); a short file is an error. The
   * buffer is the caller's own: blobs are deciphered in place in it.
   */
  load(type: FileType, name: string, offset?: number, length?: number): Promise<Buffer>;
  /** Size of a stored file; throws VIX_E_FILE_NOT_FOUND when absent. */
  stat(type: FileType, name: string): Promise<FileInfo>;
  /** Every stored file of a type whose name is an ID; anything else (temp files) is skipped. */
  list(type: FileType): Promise<FileInfo[]>;
  remove(type: FileType, name: string): Promise<void>;
  /**
   * A path this process can read the stored file at directly (a local folder, an NFS mount), so
   * worker threads opening blobs read their packs themselves; absent for remote stores.
   */
  localPath?(type: FileType, name: string): string;
}
