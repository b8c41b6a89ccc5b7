import type { FileHandle } from 'node:fs/promises';
import { readAt } from '../../block/file-io.js';
import { MAX_SEQUENCE } from './change-id.js';
import { crc32 } from './crc32.js';
import { ctkDamaged, decodeRecord, HEADER_SIZE, RECORD_SIZE, type CtkHeader } from './ctk-file.js';

// Reading a tracking file back at open: the map, checked, then the journal replayed over it.

/** What a tracking file holds, in memory. */
export interface TrackingState {
  uuid: string;
  capacity: number;
  blockSize: number;
  /** Per block: 0 = unchanged since tracking began, s + 1 = last changed while sequence s was open. */
  marks: Uint32Array;
  /** The open sequence: writes now are marked with it; freeze() closes it. */
  sequence: number;
}

/** The block map of a file whose header checked out, refused if its CRC or any mark is wrong. */
export async function readMarks(fh: FileHandle, header: CtkHeader, name: string): Promise<Uint32Array> {
  const marks = new Uint32Array(header.blockCount);
  const bytes = new Uint8Array(marks.buffer);
  await readAt(fh, bytes, HEADER_SIZE);
  if (crc32(bytes) !== header.mapCrc) throw ctkDamaged(name, 'block map checksum mismatch');
  const open = header.sequence + 1;
  for (let i = 0; i < marks.length; i++) {
    if (marks[i]! > open) throw ctkDamaged(name, `block ${i} marked with a sequence after the open one`);
  }
  return marks;
}

/**
 * Apply the journal's records to `state`. Records are appended in batches (one write, one datasync,
 * the last record flagged), and a batch is written only after the one before is durable, so a torn
 * write can only hit the last batch, which nobody was told is durable: replay stops at the first
 * record that does not check out. If a record of a later batch still follows that point, the damage
 * is not a torn tail but a hole in acknowledged history: refuse.
 */
export function replayJournal(journal: Buffer, state: TrackingState, seed: number, name: string): void {
  const whole = journal.length - (journal.length % RECORD_SIZE);
  let pos = 0;
  let index = 0;
  let batch = 0; // the batch the next record belongs to
  for (; pos < whole; pos += RECORD_SIZE) {
    const got = decodeRecord(journal, pos, seed);
    if (!got || got.place.index !== index || got.place.batch !== batch) break;
    const { rec } = got;
    if (rec.kind === 'unknown') throw ctkDamaged(name, `journal record ${index} of unknown kind ${rec.code}`);
    if (rec.sequence !== state.sequence) throw ctkDamaged(name, `journal record ${index} out of sequence`);
    if (rec.kind === 'mark') {
      if (rec.blockCount === 0 || rec.firstBlock + rec.blockCount > state.marks.length) {
        throw ctkDamaged(name, `journal record ${index} outside the block map`);
      }
      state.marks.fill(rec.sequence + 1, rec.firstBlock, rec.firstBlock + rec.blockCount);
    } else {
      if (rec.sequence >= MAX_SEQUENCE) throw ctkDamaged(name, 'sequence out of range');
      state.sequence = rec.sequence + 1;
    }
    index++;
    if (got.place.batchEnd) batch++;
  }
  for (let rest = pos + RECORD_SIZE; rest < whole; rest += RECORD_SIZE) {
    const later = decodeRecord(journal, rest, seed);
    if (later && later.place.batch > batch) throw ctkDamaged(name, `journal damaged before record ${later.place.index}`);
  }
}
