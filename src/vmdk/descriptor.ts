import { VixError } from '../errors/vix-error.js';
import { VIX_E_DISK_INVALIDDISK, VIX_E_DISK_UNSUPPORTEDDISKVERSION } from '../errors/error-codes.js';
import type { ChainBudget } from './chain-budget.js';

// The text descriptor of a VMDK link (Virtual Disk Format 5.0, "The Descriptor File"; QEMU and
// VirtualBox quirks in ../shared/reference/vmdk-format.md section 4). Parsed into lines that are kept
// verbatim, so unknown keys, comments and layout survive a round trip; a line is re-rendered only
// when its value changes. A chain may hold hundreds of thousands of lines, so a line is stored
// cheaply: a run of comment and blank lines is one string, a key line is its text and where its '='
// is, and an extent line keeps its text only when that differs from how it would be rendered.

export type ExtentAccess = 'RW' | 'RDONLY' | 'NOACCESS';
export const EXTENT_TYPES = ['FLAT', 'SPARSE', 'ZERO', 'VMFS', 'VMFSSPARSE', 'VMFSRDM', 'VMFSRAW', 'SESPARSE'] as const;
export type ExtentType = typeof EXTENT_TYPES[number];

export interface ExtentLine {
  access: ExtentAccess;
  sizeSectors: number;
  type: ExtentType;
  /** File name as written (relative to the descriptor's folder unless absolute); absent for ZERO. */
  fileName?: string;
  /** FLAT/VMFS: sector offset of the data inside the file. */
  offsetSectors?: number;
}

const EXTENT_ACCESS = ['RW', 'RDONLY', 'NOACCESS'] as const;

type KeyLine = { kind: 'header' | 'ddb'; raw: string; eq: number };
type Line =
  /** One or more comment or blank lines, joined by '\n'. */
  | { kind: 'text'; raw: string }
  | KeyLine
  /** `raw` only when the line is not written as renderExtentLine would write it. */
  | { kind: 'extent'; raw?: string; extent: ExtentLine };

function keyOf(l: KeyLine): string {
  return l.raw.slice(0, l.eq).trim();
}

function valueOf(l: KeyLine): string {
  return unquote(l.raw.slice(l.eq + 1));
}

function keyLine(kind: KeyLine['kind'], raw: string): KeyLine {
  return { kind, raw, eq: raw.indexOf('=') };
}

/** Largest descriptor text accepted (QEMU reads at most 1 MiB). */
export const MAX_DESCRIPTOR_BYTES = 1 << 20;
/** More extents than this is not a disk anyone made (a 64 TB twoGbMaxExtent disk has ~32000). */
export const MAX_EXTENTS = 65536;

/** Header keys whose values VMware writes unquoted. */
const UNQUOTED_KEYS = new Set(['version', 'cid', 'parentcid']);

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1);
  return t;
}

function parseExtentLine(line: string): ExtentLine | undefined {
  // access SP sectors SP type [SP "file" [SP offset [...]]], any whitespace between fields.
  const m = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?(?:\s+.*)?$/i.exec(line.trim());
  if (!m) return undefined;
  // The shared constant strings, not a copy per line.
  const type = EXTENT_TYPES.find((x) => x === m[3]!.toUpperCase());
  const access = EXTENT_ACCESS.find((x) => x === m[1]!.toUpperCase())!;
  if (type === undefined) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `unknown extent type ${m[3]} in descriptor line "${truncate(line.trim())}"`);
  }
  const sizeSectors = Number(m[2]);
  if (!Number.isSafeInteger(sizeSectors)) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `extent size ${m[2]} is out of range`);
  }
  const extent: ExtentLine = { access, sizeSectors, type };
  if (m[4] !== undefined) extent.fileName = m[4];
  if (m[5] !== undefined) {
    const off = Number(m[5]);
    if (!Number.isSafeInteger(off)) throw new VixError(VIX_E_DISK_INVALIDDISK, `extent offset ${m[5]} is out of range`);
    extent.offsetSectors = off;
  }
  if (type !== 'ZERO' && extent.fileName === undefined) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `extent line "${truncate(line.trim())}" names no file`);
  }
  return extent;
}

export function renderExtentLine(e: ExtentLine): string {
  let s = `${e.access} ${e.sizeSectors} ${e.type}`;
  if (e.fileName !== undefined) s += ` "${e.fileName}"`;
  if (e.offsetSectors !== undefined) s += ` ${e.offsetSectors}`;
  return s;
}

export class Descriptor {
  private lines: Line[];

  private constructor(lines: Line[]) {
    this.lines = lines;
  }

  /** True when `bytes` look like descriptor text (first meaningful line is a comment or key=value). */
  static looksLikeDescriptor(bytes: Uint8Array): boolean {
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1');
    for (const raw of head.split('\n')) {
      const line = raw.replace(/\r$/, '').trim();
      if (line === '') continue;
      if (line.startsWith('#')) continue;
      return /^[A-Za-z][\w.]*\s*=/.test(line);
    }
    return false;
  }

  /**
   * Parse descriptor text. Text ends at the first NUL (embedded descriptors are NUL-padded). With a
   * chain's budget, the text is charged to it before any line is parsed.
   */
  static parse(input: Uint8Array | string, budget?: ChainBudget): Descriptor {
    let text: string;
    if (typeof input === 'string') {
      text = input;
    } else {
      const nul = input.indexOf(0);
      const bytes = nul >= 0 ? input.subarray(0, nul) : input;
      if (bytes.length > MAX_DESCRIPTOR_BYTES) {
        throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor is ${bytes.length} bytes, more than the ${MAX_DESCRIPTOR_BYTES} a disk descriptor may have`);
      }
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    }
    const nul = text.indexOf('\0');
    if (nul >= 0) text = text.slice(0, nul);
    if (text.length > MAX_DESCRIPTOR_BYTES) {
      throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor is larger than ${MAX_DESCRIPTOR_BYTES} bytes`);
    }
    // Count extent lines in one cheap pass first, so a descriptor listing absurdly many is refused
    // before tens of thousands of line objects are built.
    let extentLines = 0;
    for (const _ of text.matchAll(/^[ \t]*(?:RW|RDONLY|NOACCESS)[ \t]/gim)) {
      if (++extentLines > MAX_EXTENTS) throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor lists more than ${MAX_EXTENTS} extents`);
    }
    budget?.spend(Buffer.byteLength(text), extentLines);
    const lines: Line[] = [];
    let textRun: string[] = [];
    const endText = () => {
      if (textRun.length) lines.push({ kind: 'text', raw: textRun.join('\n') });
      textRun = [];
    };
    let extents = 0;
    let sawKey = false;
    for (const rawLine of text.split('\n')) {
      const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      const t = raw.trim();
      if (t === '' || t.startsWith('#')) {
        textRun.push(raw);
        continue;
      }
      endText();
      // Keys, values and file names are text: a control character or line separator (a lone CR,
      // as VirtualBox also refuses, or binary junk) means damage, and must never reach a file name
      // or a message.
      const control = /[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]/.exec(t);
      if (control) {
        throw new VixError(VIX_E_DISK_INVALIDDISK,
          `descriptor line "${truncate(t)}" holds the control character 0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')}`);
      }
      if (/^(RW|RDONLY|NOACCESS)\s/i.test(t)) {
        const extent = parseExtentLine(t);
        if (!extent) throw new VixError(VIX_E_DISK_INVALIDDISK, `malformed extent line "${truncate(t)}"`);
        if (++extents > MAX_EXTENTS) {
          throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor lists more than ${MAX_EXTENTS} extents`);
        }
        lines.push(raw === renderExtentLine(extent) ? { kind: 'extent', extent } : { kind: 'extent', raw, extent });
        continue;
      }
      const eq = t.indexOf('=');
      if (eq <= 0) throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor line "${truncate(t)}" is neither a key, an extent nor a comment`);
      const key = t.slice(0, eq).trim();
      if (!/^[A-Za-z0-9_.\-:]+$/.test(key)) {
        throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor key "${truncate(key)}" is not valid`);
      }
      sawKey = true;
      lines.push(keyLine(key.toLowerCase().startsWith('ddb.') ? 'ddb' : 'header', raw));
    }
    endText();
    const d = new Descriptor(lines);
    if (!sawKey) throw new VixError(VIX_E_DISK_INVALIDDISK, 'descriptor holds no keys');
    const version = d.get('version');
    if (version === undefined) throw new VixError(VIX_E_DISK_INVALIDDISK, 'descriptor has no version');
    if (!/^\d+$/.test(version)) throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor version "${truncate(version)}" is not a number`);
    if (Number(version) < 1 || Number(version) > 3) {
      throw new VixError(VIX_E_DISK_UNSUPPORTEDDISKVERSION, `descriptor version ${version} is not supported (1 to 3 are)`);
    }
    if (d.get('createType') === undefined) throw new VixError(VIX_E_DISK_INVALIDDISK, 'descriptor has no createType');
    return d;
  }

  /** A new descriptor with VMware's header, one extent section and a DDB. */
  static create(fields: {
    cid: number;
    parentCid?: number;
    createType: string;
    parentFileNameHint?: string;
    extents: ExtentLine[];
    ddb: Array<[string, string]>;
  }): Descriptor {
    const parts = [
      '# Disk DescriptorFile',
      'version=1',
      'encoding="UTF-8"',
      `CID=${formatCid(fields.cid)}`,
      `parentCID=${formatCid(fields.parentCid ?? 0xffffffff)}`,
      'isNativeSnapshot="no"',
      `createType="${fields.createType}"`,
    ];
    if (fields.parentFileNameHint !== undefined) parts.push(`parentFileNameHint="${fields.parentFileNameHint}"`);
    parts.push('', '# Extent description', ...fields.extents.map(renderExtentLine), '', '# The Disk Data Base', '#DDB', '');
    for (const [k, v] of fields.ddb) parts.push(`${k} = "${v}"`);
    return Descriptor.parse(parts.join('\n') + '\n');
  }

  /** Header value (keys compare case-insensitively), unquoted. */
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const l of this.lines) if (l.kind === 'header' && keyOf(l).toLowerCase() === k) return valueOf(l);
    return undefined;
  }

  set(key: string, value: string): void {
    const k = key.toLowerCase();
    const raw = UNQUOTED_KEYS.has(k) ? `${key}=${value}` : `${key}="${value}"`;
    const i = this.lines.findIndex((l) => l.kind === 'header' && keyOf(l).toLowerCase() === k);
    if (i >= 0) {
      this.lines[i] = keyLine('header', raw);
      return;
    }
    // Insert after the last header key, before the extents (VirtualBox requires this order).
    let at = -1;
    for (let j = 0; j < this.lines.length; j++) if (this.lines[j]!.kind === 'header') at = j;
    this.lines.splice(at + 1, 0, keyLine('header', raw));
  }

  delete(key: string): void {
    const k = key.toLowerCase();
    this.lines = this.lines.filter((l) => !(l.kind === 'header' && keyOf(l).toLowerCase() === k));
  }

  get createType(): string {
    return this.get('createType')!;
  }

  get cid(): number {
    return parseCid(this.get('CID'), 'CID');
  }
  set cid(v: number) {
    this.set('CID', formatCid(v));
  }

  get parentCid(): number {
    const v = this.get('parentCID');
    return v === undefined ? 0xffffffff : parseCid(v, 'parentCID');
  }
  set parentCid(v: number) {
    this.set('parentCID', formatCid(v));
  }

  get parentFileNameHint(): string | undefined {
    return this.get('parentFileNameHint');
  }

  get extents(): ExtentLine[] {
    const out: ExtentLine[] = [];
    for (const l of this.lines) if (l.kind === 'extent') out.push(l.extent);
    return out;
  }

  set extents(list: ExtentLine[]) {
    const first = this.lines.findIndex((l) => l.kind === 'extent');
    const rest: Line[] = this.lines.filter((l) => l.kind !== 'extent');
    const at = first >= 0 ? first : rest.findIndex((l) => l.kind === 'ddb' || (l.kind === 'text' && /Disk Data Base/i.test(l.raw)));
    const newLines: Line[] = list.map((extent) => ({ kind: 'extent', extent }));
    rest.splice(at >= 0 ? at : rest.length, 0, ...newLines);
    this.lines = rest;
  }

  /** DDB keys in file order, with their `ddb.` prefix. */
  ddbKeys(): string[] {
    return this.lines.filter((l) => l.kind === 'ddb').map((l) => keyOf(l as KeyLine));
  }

  getDdb(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const l of this.lines) if (l.kind === 'ddb' && keyOf(l).toLowerCase() === k) return valueOf(l);
    return undefined;
  }

  setDdb(key: string, value: string): void {
    const k = key.toLowerCase();
    const i = this.lines.findIndex((l) => l.kind === 'ddb' && keyOf(l).toLowerCase() === k);
    if (i >= 0) {
      this.lines[i] = keyLine('ddb', `${keyOf(this.lines[i] as KeyLine)} = "${value}"`);
      return;
    }
    let at = -1;
    for (let j = 0; j < this.lines.length; j++) if (this.lines[j]!.kind === 'ddb') at = j;
    if (at < 0) {
      // No DDB yet: append the section.
      for (let last = this.lines.at(-1); last?.kind === 'text' && last.raw.trim() === ''; last = this.lines.at(-1)) this.lines.pop();
      this.lines.push({ kind: 'text', raw: '' }, { kind: 'text', raw: '# The Disk Data Base' }, { kind: 'text', raw: '#DDB' }, { kind: 'text', raw: '' });
      at = this.lines.length - 1;
    }
    this.lines.splice(at + 1, 0, keyLine('ddb', `${key} = "${value}"`));
  }

  deleteDdb(key: string): boolean {
    const k = key.toLowerCase();
    const before = this.lines.length;
    this.lines = this.lines.filter((l) => !(l.kind === 'ddb' && keyOf(l).toLowerCase() === k));
    return this.lines.length !== before;
  }

  toString(): string {
    let s = this.lines.map((l) => (l.kind === 'extent' ? l.raw ?? renderExtentLine(l.extent) : l.raw)).join('\n');
    // Keep exactly one final newline.
    s = s.replace(/\n*$/, '\n');
    return s;
  }

  toBytes(): Buffer {
    return Buffer.from(this.toString(), 'utf8');
  }
}

export function formatCid(cid: number): string {
  return (cid >>> 0).toString(16).padStart(8, '0');
}

export function parseCid(v: string | undefined, what: string): number {
  if (v === undefined || !/^[0-9a-fA-F]{1,8}$/.test(v.trim())) {
    throw new VixError(VIX_E_DISK_INVALIDDISK, `descriptor ${what} "${truncate(v ?? '')}" is not a 32-bit hex number`);
  }
  return parseInt(v.trim(), 16) >>> 0;
}

/** A piece of descriptor text for a one-line message: shortened, control characters escaped. */
function truncate(s: string): string {
  const short = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return short.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
