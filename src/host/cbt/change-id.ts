import { randomBytes } from 'node:crypto';

// The change id ESXi puts in a tracked disk's backing (reference §5.2): the tracking generation
// as 16 bytes in spaced hex pairs with a dash after the eighth pair, a slash, and a decimal
// sequence number, e.g. `52 f3 b6 37 30 8d ea 3e-58 70 c0 fd 61 44 26 62/2`. Clients treat it as
// opaque; the host parses it back to answer QueryChangedDiskAreas.

/** The largest sequence number a change id may carry (marks are stored as sequence + 1 in a u32). */
export const MAX_SEQUENCE = 0xffff_fffe;

export interface ParsedChangeId {
  uuid: string;
  sequence: number;
}

const CHANGE_ID = /^((?:[0-9a-f]{2} ){7}[0-9a-f]{2}-(?:[0-9a-f]{2} ){7}[0-9a-f]{2})\/(0|[1-9][0-9]{0,9})$/i;

/** 16 bytes in the tracking-uuid text form. */
export function formatTrackingUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError('a tracking uuid is 16 bytes');
  const pairs = Array.from(bytes, (b) => b.toString(16).padStart(2, '0'));
  return `${pairs.slice(0, 8).join(' ')}-${pairs.slice(8).join(' ')}`;
}

/** The 16 bytes of a tracking uuid in text form. */
export function trackingUuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/[ -]/g, ''), 'hex');
}

/**
 * A new tracking generation. The first byte is 0x52 as in every change id seen from ESXi (VMware
 * instance uuids start so); the other 15 are random, so an id from an earlier generation (tracking
 * turned off and on, reset after damage) never names this one.
 */
export function newTrackingUuid(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x52;
  return formatTrackingUuid(bytes);
}

export function formatChangeId(uuid: string, sequence: number): string {
  return `${uuid}/${sequence}`;
}

/** A change id in ESXi's shape, or undefined when `text` is not one (`*` included). */
export function parseChangeId(text: string): ParsedChangeId | undefined {
  const m = CHANGE_ID.exec(text);
  if (!m) return undefined;
  const sequence = Number(m[2]);
  if (sequence > MAX_SEQUENCE) return undefined;
  return { uuid: m[1]!.toLowerCase(), sequence };
}
