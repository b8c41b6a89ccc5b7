import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';

// Characters XML 1.0 cannot carry at all (not even as references): C0 controls but tab, LF, CR;
// U+FFFE/U+FFFF; lone surrogates.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkXmlChars(value: string, what: string): void {
  if (NOT_XML.test(value)) {
    throw new VixError(VIX_E_INVALID_ARG, `XML: ${what} holds a character XML cannot carry`);
  }
}

// Anything escapeText must look at: what it escapes, and the candidates for NOT_XML. Most values
// (names, numbers, paths) hold none, and one cheap test lets them through as they are.
const NEEDS_A_LOOK = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Text content, escaped (`&`, `<`, `>`; CR kept as a reference so it survives parsing). */
export function escapeText(value: string, what = 'text'): string {
  if (!NEEDS_A_LOOK.test(value)) return value;
  checkXmlChars(value, what);
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** An attribute value for double quotes, escaped (whitespace as references, so it is not normalized). */
export function escapeAttribute(value: string, what = 'attribute'): string {
  checkXmlChars(value, what);
  return value.replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A document written once, front to back, as strings grown by concatenation (no DOM). V8 keeps a
 * grown string as a rope: for the millions of small pieces of a large RetrievePropertiesEx answer
 * that measured 3-5 times faster than pushing every piece into an array and joining them. The
 * rope is cut into parts of a few thousand pieces, each flattened when done and joined at the
 * end, so the live rope stays small (a whole answer as one rope held its millions of nodes until
 * the end). Names are trusted (they come from the type registry); values are escaped here.
 */
export class XmlWriter {
  private text = '';
  private pieces = 0;
  private readonly done: string[] = [];

  private add(piece: string): void {
    this.text += piece;
    if (++this.pieces === PIECES_PER_PART) this.cut();
  }

  /**
   * Ends the current part: flattened now (charCodeAt makes V8 flatten a rope), so the rope's
   * thousands of small nodes die young instead of living, and being copied by the collector,
   * until the whole answer is done.
   */
  private cut(): void {
    this.text.charCodeAt(0);
    this.done.push(this.text);
    this.text = '';
    this.pieces = 0;
  }

  raw(text: string): this {
    this.add(text);
    return this;
  }

  /** `<name attr="v"…>` (attributes with undefined values are left out). */
  open(name: string, attributes?: Record<string, string | undefined>): this {
    this.add(attributes === undefined ? `<${name}>` : `<${name}${attributeText(name, attributes)}>`);
    return this;
  }

  close(name: string): this {
    this.add(`</${name}>`);
    return this;
  }

  /** `<name attr…>text</name>`, or `<name attr…/>` for empty text. */
  leaf(name: string, text: string, attributes?: Record<string, string | undefined>): this {
    const attrs = attributes === undefined ? '' : attributeText(name, attributes);
    this.add(text === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${escapeText(text, `<${name}>`)}</${name}>`);
    return this;
  }

  toString(): string {
    if (this.done.length === 0) return this.text;
    return this.done.join('') + this.text;
  }
}

/** Pieces per flattened part of a document (a VM's worth of a large retrieval is a few hundred). */
const PIECES_PER_PART = 4096;

function attributeText(element: string, attributes: Record<string, string | undefined>): string {
  let text = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) text += ` ${key}="${escapeAttribute(value, `attribute ${key} of <${element}>`)}"`;
  }
  return text;
}
