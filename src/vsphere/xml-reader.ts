import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { VIX_E_INVALID_ARG } from '../errors/error-codes.js';
import { VixError } from '../errors/vix-error.js';

/** A namespace-qualified name: `{uri}local`. */
export interface QName {
  ns: string;
  name: string;
}

/** One element of a parsed XML document: names resolved against their namespaces. */
export interface XmlElement {
  name: string;
  ns: string;
  /** Attributes by name: a bare local name when unqualified, `{uri}local` when qualified. */
  attributes: Record<string, string>;
  /** The resolved `xsi:type`, when the element carries one. */
  xsiType?: QName;
  /** Character data directly inside the element (text and CDATA, concatenated). */
  text: string;
  children: XmlElement[];
}

/** Hard bounds on a document, checked while it is parsed (never after). */
export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributesPerElement: number;
  maxTextLength: number;
}

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

/**
 * Defaults sized for the largest vim25 answers a client reads (a 1000-VM inventory with its
 * devices is a few MB and ~200k elements); a host reading requests passes tighter ones.
 */
export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 500_000,
  maxAttributesPerElement: 32,
  maxTextLength: 8 * 1024 * 1024,
};

/** Every XML failure: VIX_E_INVALID_ARG with one line that names the place and the cause. */
export function xmlError(what: string): VixError {
  return new VixError(VIX_E_INVALID_ARG, `XML: ${what}`);
}

const CHUNK_CHARS = 64 * 1024;

/**
 * An XML document read incrementally: feed bytes as they arrive with `write`, then `end` returns
 * the root element. Every bound is enforced as the bytes come in, so a hostile body costs at most
 * `maxBytes` of input and `maxElements` small objects. A DOCTYPE is refused outright, so no entity
 * other than the five predefined ones (and character references) is ever expanded.
 */
export class XmlReader {
  private readonly limits: XmlLimits;
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly decoder = new StringDecoder('utf8');
  private readonly stack: XmlElement[] = [];
  private root: XmlElement | undefined;
  private bytes = 0;
  private elements = 0;
  private attributes = 0;
  private failure: VixError | undefined;

  constructor(limits: Partial<XmlLimits> = {}) {
    this.limits = { ...DEFAULT_XML_LIMITS, ...limits };
    const p = this.parser;
    p.on('doctype', () => this.stop('DOCTYPE is not allowed (no DTDs or entities in SOAP)'));
    p.on('processinginstruction', (pi) => this.stop(`processing instruction <?${pi.target}?> is not allowed`));
    p.on('opentagstart', () => {
      if (++this.elements > this.limits.maxElements) this.stop(`more than ${this.limits.maxElements} elements`);
      if (this.stack.length >= this.limits.maxDepth) this.stop(`nesting deeper than ${this.limits.maxDepth} elements`);
      this.attributes = 0;
    });
    p.on('attribute', () => {
      if (++this.attributes > this.limits.maxAttributesPerElement) {
        this.stop(`more than ${this.limits.maxAttributesPerElement} attributes on one element`);
      }
    });
    p.on('opentag', (tag) => this.open(tag as SaxesTagNS));
    p.on('closetag', () => {
      const element = this.stack.pop();
      if (this.stack.length === 0) this.root = element;
    });
    p.on('text', (text) => this.addText(text));
    p.on('cdata', (text) => this.addText(text));
  }

  /** Feed the next bytes (or text) of the document. */
  write(chunk: Buffer | string): void {
    if (this.failure) throw this.failure;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) this.fail(xmlError(`document larger than ${this.limits.maxBytes} bytes`));
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // Small slices: a hostile construct is noticed within one slice, not after the whole body.
    for (let i = 0; i < text.length; i += CHUNK_CHARS) this.feed(text.slice(i, i + CHUNK_CHARS));
  }

  /** The document is complete: return its root element, or fail precisely if it is not well formed. */
  end(): XmlElement {
    if (this.failure) throw this.failure;
    this.feed(this.decoder.end());
    try {
      this.parser.close();
    } catch (err) {
      this.fail(this.wrap(err));
    }
    if (!this.root) this.fail(xmlError('no root element'));
    return this.root;
  }

  private feed(text: string): void {
    if (text.length === 0) return;
    try {
      this.parser.write(text);
    } catch (err) {
      this.fail(this.wrap(err));
    }
  }

  private open(tag: SaxesTagNS): void {
    const attributes: Record<string, string> = {};
    let xsiType: QName | undefined;
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      if (attribute.uri === XSI_NS && attribute.local === 'type') {
        xsiType = this.resolveQName(attribute.value.trim());
        continue;
      }
      attributes[attribute.uri ? `{${attribute.uri}}${attribute.local}` : attribute.local] = attribute.value;
    }
    const element: XmlElement = { name: tag.local, ns: tag.uri, attributes, text: '', children: [] };
    if (xsiType) element.xsiType = xsiType;
    this.stack.at(-1)?.children.push(element);
    this.stack.push(element);
  }

  private resolveQName(value: string): QName {
    const colon = value.indexOf(':');
    const prefix = colon < 0 ? '' : value.slice(0, colon);
    const ns = this.parser.resolve(prefix);
    if (ns === undefined) this.stop(`xsi:type '${value}' uses an undeclared prefix '${prefix}'`);
    return { ns: ns ?? '', name: value.slice(colon + 1) };
  }

  private addText(text: string): void {
    const element = this.stack.at(-1);
    if (!element) return; // whitespace around the root
    if (element.text.length + text.length > this.limits.maxTextLength) {
      this.stop(`text of <${element.name}> longer than ${this.limits.maxTextLength} characters`);
    }
    element.text += text;
  }

  /** Abort from inside a parser callback: the error leaves `parser.write` and is kept. */
  private stop(what: string): never {
    throw this.remember(xmlError(`${this.where()}: ${what}`));
  }

  private fail(err: VixError): never {
    throw this.remember(err);
  }

  private remember(err: VixError): VixError {
    this.failure ??= err;
    return this.failure;
  }

  private wrap(err: unknown): VixError {
    if (err instanceof VixError) return err;
    // saxes says "file:line:column: message"; keep line:column and the message.
    const message = err instanceof Error ? err.message : String(err);
    return xmlError(message.replace(/^(?:undefined:)?(\d+):(\d+): /, 'line $1 column $2: ').replace(/\s+/g, ' '));
  }

  private where(): string {
    return `line ${this.parser.line} column ${this.parser.column}`;
  }
}

/** Parse a whole document (bytes or text) into its root element under `limits`. */
export function readXml(input: Buffer | string, limits: Partial<XmlLimits> = {}): XmlElement {
  const reader = new XmlReader(limits);
  reader.write(input);
  return reader.end();
}
