import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { commitChild, relinkChild } from '../../vmdk/commit.js';
import { syncFolder, writeFileReplacing } from '../../vmdk/replace-file.js';
import { unlinkDisk } from '../../vmdk/unlink.js';
import { writeFilesReplacing } from './replace-files.js';

/**
 * One VM state change as a roll-forward journal, so a host killed at any moment leaves a state the
 * next start opens. A VM's state is several files (.vmx, .vmsd, .vmsn, delta links); a change is
 * planned in full first, the new disks it needs are made, and then the journal — which says
 * everything left to do — is written atomically. From then on the change happens even if the
 * process dies: the next start replays the journal from its first step, every step being
 * idempotent, and removes it last. Before the journal is written nothing the VM refers to has
 * changed; the new disks made for it are unreferenced leftovers the start-up scan removes.
 *
 * Steps, in order: commits (a child link's data into its parent: consolidation), relinks (a delta
 * pointed at a new parent with that parent's CID now), file writes (.vmx/.vmsd/.vmsn contents),
 * file removals (.vmsn), disk unlinks (links nothing refers to any more). Paths are kept relative
 * to the data folder.
 *
 * Within a step the work overlaps where it is independent, so an operation waits for about one
 * sync per step rather than one per file: the writes are synced together and renamed (their order
 * does not matter: until the journal is removed a crash replays all of them); removals and unlinks
 * touch distinct files; commits run together only on different chains (`chainOf`, which the live
 * path knows from the VM's links), in journal order within one chain. A replay at start-up has no
 * chain facts and commits one at a time: slower, same result.
 */

export interface VmJournal {
  commits: Array<{ child: string; parent: string }>;
  relinks: Array<{ child: string; parent: string }>;
  writes: Array<{ file: string; text: string }>;
  removeFiles: string[];
  unlinkDisks: string[];
}

export const JOURNAL_NAME = '.vixdisk-journal.json';

export function emptyJournal(): VmJournal {
  return { commits: [], relinks: [], writes: [], removeFiles: [], unlinkDisks: [] };
}

export interface JournalRunOptions {
  progress?: (fraction: number) => void;
  /** The chain a commit's parent belongs to (e.g. its base link): commits on different chains overlap. */
  chainOf?: (parent: string) => string;
}

/** Record `journal` for the VM whose folder is `vmFolder`, then carry it out. */
export async function runJournal(dataDir: string, vmFolder: string, journal: VmJournal, options: JournalRunOptions = {}): Promise<void> {
  const rel = (p: string): string => relative(dataDir, p);
  const stored: VmJournal = {
    commits: journal.commits.map((c) => ({ child: rel(c.child), parent: rel(c.parent) })),
    relinks: journal.relinks.map((c) => ({ child: rel(c.child), parent: rel(c.parent) })),
    writes: journal.writes.map((w) => ({ file: rel(w.file), text: w.text })),
    removeFiles: journal.removeFiles.map(rel),
    unlinkDisks: journal.unlinkDisks.map(rel),
  };
  await writeFileReplacing(join(vmFolder, JOURNAL_NAME), Buffer.from(JSON.stringify(stored)));
  await replayJournal(dataDir, vmFolder, options);
}

/** Carry out the journal left in `vmFolder`, if any; true when there was one. */
export async function replayJournal(dataDir: string, vmFolder: string, options: JournalRunOptions = {}): Promise<boolean> {
  const file = join(vmFolder, JOURNAL_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const j = parseJournal(text, file);
  const abs = (p: string): string => {
    const full = resolve(dataDir, p);
    const r = relative(dataDir, full);
    if (r.startsWith('..') || isAbsolute(r)) throw new Error(`${file}: ${p} is outside the data folder`);
    return full;
  };
  const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
  const done = new Array<number>(j.commits.length).fill(0);
  const report = (): void => options.progress?.(done.reduce((a, b) => a + b, 0) / Math.max(1, j.commits.length));
  await inChains(j.commits.map((c, i) => ({ c, i })), ({ c }) => options.chainOf?.(abs(c.parent)), async ({ c, i }) => {
    // A child already gone was committed and unlinked by the run this one repeats.
    if (await exists(abs(c.child))) {
      await commitChild(abs(c.child), abs(c.parent), (f) => { done[i] = f; report(); });
    }
    done[i] = 1;
    report();
  });
  for (const r of j.relinks) if (await exists(abs(r.child))) await relinkChild(abs(r.child), abs(r.parent));
  await writeFilesReplacing(j.writes.map((w) => ({ file: abs(w.file), bytes: Buffer.from(w.text) })));
  await Promise.all(j.removeFiles.map((f) => rm(abs(f), { force: true })));
  await Promise.all(j.unlinkDisks.map(async (d) => { if (await exists(abs(d))) await unlinkDisk(abs(d)); }));
  const folders = new Set([...j.removeFiles, ...j.unlinkDisks].map((p) => dirname(abs(p))));
  await Promise.all([...folders].map(syncFolder));
  await rm(file, { force: true });
  await syncFolder(vmFolder);
  return true;
}

/**
 * Run `work` on every item: items of one chain one after another in their order, different chains
 * at the same time. Items without a chain (undefined) all form one chain. The first failure is
 * thrown once every chain has stopped (nothing keeps running behind the caller's back).
 */
async function inChains<T>(items: T[], chainOf: (item: T) => string | undefined, work: (item: T) => Promise<void>): Promise<void> {
  const chains = new Map<string | undefined, T[]>();
  for (const item of items) {
    const key = chainOf(item);
    const list = chains.get(key);
    if (list) list.push(item);
    else chains.set(key, [item]);
  }
  const results = await Promise.allSettled([...chains.values()].map(async (list) => {
    for (const item of list) await work(item);
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function parseJournal(text: string, file: string): VmJournal {
  let v: Partial<VmJournal>;
  try {
    v = JSON.parse(text) as Partial<VmJournal>;
  } catch {
    throw new Error(`${file} is damaged (not JSON); the VM's last operation cannot be finished`);
  }
  const pairs = (x: unknown): x is Array<{ child: string; parent: string }> =>
    Array.isArray(x) && x.every((p) => typeof p?.child === 'string' && typeof p?.parent === 'string');
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (!pairs(v.commits) || !pairs(v.relinks) || !strings(v.removeFiles) || !strings(v.unlinkDisks) ||
      !Array.isArray(v.writes) || !v.writes.every((w) => typeof w?.file === 'string' && typeof w?.text === 'string')) {
    throw new Error(`${file} is damaged (unexpected shape); the VM's last operation cannot be finished`);
  }
  return v as VmJournal;
}
