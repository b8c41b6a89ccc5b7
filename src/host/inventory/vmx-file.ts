/**
 * VMware's `key = "value"` configuration format (.vmx, .vmsd, .vmsn config): one setting per line,
 * keys case-insensitive, values quoted with VMware's `|XX` hex escapes for `"`, `|` and control
 * characters. Lines this code does not understand (comments, blank lines, odd shapes) are kept as
 * they are and written back in place, so a file another tool wrote survives our edits.
 */

type Line = { kind: 'setting'; key: string; value: string } | { kind: 'other'; text: string };

/** The largest configuration file read: a .vmx is a few KiB; a bigger one is not ours to parse. */
export const MAX_VMX_BYTES = 1 << 20;

export class VmxFile {
  private readonly lines: Line[];

  private constructor(lines: Line[]) {
    this.lines = lines;
  }

  static empty(): VmxFile {
    return new VmxFile([{ kind: 'setting', key: '.encoding', value: 'UTF-8' }]);
  }

  static parse(text: string): VmxFile {
    if (text.length > MAX_VMX_BYTES) throw new Error(`the configuration file is larger than ${MAX_VMX_BYTES} bytes`);
    const lines: Line[] = [];
    for (const raw of text.split(/\r?\n/)) {
      const m = /^\s*([^\s=#][^=]*?)\s*=\s*"(.*)"\s*$/.exec(raw);
      if (m) lines.push({ kind: 'setting', key: m[1]!, value: unescapeValue(m[2]!) });
      else lines.push({ kind: 'other', text: raw });
    }
    // The final newline splits into one empty line: not a line of the file.
    const last = lines[lines.length - 1];
    if (last && last.kind === 'other' && last.text === '') lines.pop();
    return new VmxFile(lines);
  }

  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.kind === 'setting' && l.key.toLowerCase() === k) return l.value;
    }
    return undefined;
  }

  getBool(key: string): boolean {
    const v = this.get(key)?.toLowerCase();
    return v === 'true' || v === '1' || v === 'yes';
  }

  getInt(key: string): number | undefined {
    const v = this.get(key);
    return v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
  }

  /** Replace the value of every line with this key (keeping its place), or append one. */
  set(key: string, value: string | number | boolean): this {
    const text = typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : String(value);
    const k = key.toLowerCase();
    let found = false;
    for (const l of this.lines) {
      if (l.kind === 'setting' && l.key.toLowerCase() === k) {
        l.value = text;
        found = true;
      }
    }
    if (!found) this.lines.push({ kind: 'setting', key, value: text });
    return this;
  }

  delete(key: string): this {
    const k = key.toLowerCase();
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.kind === 'setting' && l.key.toLowerCase() === k) this.lines.splice(i, 1);
    }
    return this;
  }

  /** Remove every setting whose key starts with `prefix` (e.g. `snapshot3.`). */
  deletePrefix(prefix: string): this {
    const p = prefix.toLowerCase();
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.kind === 'setting' && l.key.toLowerCase().startsWith(p)) this.lines.splice(i, 1);
    }
    return this;
  }

  /** Every key, in file order, as written. */
  keys(): string[] {
    return this.lines.flatMap((l) => (l.kind === 'setting' ? [l.key] : []));
  }

  clone(): VmxFile {
    return new VmxFile(this.lines.map((l) => ({ ...l })));
  }

  toString(): string {
    return this.lines.map((l) => (l.kind === 'setting' ? `${l.key} = "${escapeValue(l.value)}"` : l.text)).join('\n') + '\n';
  }
}

/** `|22` for a quote, `|7C` for a bar, `|XX` for control characters: VMware's escapes. */
function escapeValue(value: string): string {
  return value.replace(/[|"\x00-\x1f\x7f]/g, (c) => `|${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescapeValue(value: string): string {
  return value.replace(/\|([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
