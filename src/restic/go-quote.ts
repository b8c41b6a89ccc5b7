// restic stores node names Go-quoted inside the JSON string (node.go MarshalJSON applies
// strconv.Quote and strips the outer quotes; UnmarshalJSON undoes it), so a name "a\b" is stored as
// the JSON text "a\\\\b". These two functions are strconv.Quote's body and strconv.Unquote for the
// names we write and read.

const SIMPLE: Record<string, string> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"',
};

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** strconv.Quote(name) without the surrounding quotes. */
export function goQuote(name: string): string {
  let out = '';
  for (const ch of name) {
    const simple = SIMPLE[ch];
    if (simple) out += simple;
    else if (PRINTABLE.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out;
}

const UNESCAPE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };

/** strconv.Unquote of a quoted body; bytes from \x and octal escapes are reassembled as UTF-8. */
export function goUnquote(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  const pushText = (t: string) => { for (const b of Buffer.from(t, 'utf8')) bytes.push(b); };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length - 1;
      continue;
    }
    const c = s[++i];
    if (c in UNESCAPE) bytes.push(UNESCAPE[c]);
    else if (c === 'x') { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }
    else if (c === 'u') { pushText(String.fromCodePoint(parseInt(s.slice(i + 1, i + 5), 16))); i += 4; }
    else if (c === 'U') { pushText(String.fromCodePoint(parseInt(s.slice(i + 1, i + 9), 16))); i += 8; }
    else if (c >= '0' && c <= '7') { bytes.push(parseInt(s.slice(i, i + 3), 8) & 0xff); i += 2; }
    else throw new Error(`invalid escape \\${c}`);
  }
  return Buffer.from(bytes).toString('utf8');
}
