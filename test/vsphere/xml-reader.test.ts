import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VIX_E_INVALID_ARG } from '../../src/errors/error-codes.js';
import { VixError } from '../../src/errors/vix-error.js';
import { readXml, XmlReader, XSD_NS, type XmlLimits } from '../../src/vsphere/xml-reader.js';

/** Assert that parsing `input` fails with a one-line VIX_E_INVALID_ARG matching `pattern`. */
function refuses(input: Buffer | string, pattern: RegExp, limits: Partial<XmlLimits> = {}): VixError {
  try {
    readXml(input, limits);
  } catch (err) {
    assert.ok(err instanceof VixError, `not a VixError: ${err}`);
    assert.equal(err.code, VIX_E_INVALID_ARG);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err;
  }
  assert.fail(`accepted: ${String(input).slice(0, 80)}`);
}

describe('xml-reader: a SOAP body as a small element tree', () => {
  it('resolves namespaces of elements, attributes and xsi:type values', () => {
    const root = readXml(
      '<?xml version="1.0" encoding="UTF-8"?>'
      + '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
      + ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:v="urn:vim25">'
      + '<e:Body><M xmlns="urn:vim25"><val xsi:type="xsd:int"> 5 </val><obj type="VirtualMachine" xsi:type="v:ManagedObjectReference">vm-1</obj>'
      + '<t><![CDATA[a<b]]>&amp;&#x41;</t></M></e:Body></e:Envelope>',
    );
    assert.equal(root.name, 'Envelope');
    assert.equal(root.ns, 'http://schemas.xmlsoap.org/soap/envelope/');
    const m = root.children[0]!.children[0]!;
    assert.equal(m.ns, 'urn:vim25');
    assert.deepEqual(m.children[0]!.xsiType, { ns: XSD_NS, name: 'int' });
    assert.equal(m.children[0]!.text, ' 5 ');
    assert.deepEqual(m.children[1]!.attributes, { type: 'VirtualMachine' });
    assert.deepEqual(m.children[1]!.xsiType, { ns: 'urn:vim25', name: 'ManagedObjectReference' });
    assert.equal(m.children[2]!.text, 'a<b&A');
  });

  it('reads a body fed in byte chunks split inside a multi-byte character', () => {
    const bytes = Buffer.from('<a>grüße ☃</a>');
    const reader = new XmlReader();
    for (let i = 0; i < bytes.length; i++) reader.write(bytes.subarray(i, i + 1));
    assert.equal(reader.end().text, 'grüße ☃');
  });

  it('refuses a DOCTYPE with entities (billion laughs) before expanding anything', () => {
    const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
      + Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')
      + ']><lolz>&lol9;</lolz>';
    refuses(lol, /line 1 column \d+: DOCTYPE is not allowed/);
  });

  it('refuses an external entity (XXE) and any DOCTYPE at all', () => {
    refuses('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', /DOCTYPE is not allowed/);
    refuses('<!DOCTYPE foo SYSTEM "http://127.0.0.1:1/x.dtd"><foo/>', /DOCTYPE is not allowed/);
  });

  it('never expands an entity that is not one of the five predefined ones', () => {
    refuses('<foo>&xxe;</foo>', /undefined entity/i);
    refuses('<foo>&nbsp;</foo>', /undefined entity/i);
  });

  it('refuses processing instructions', () => {
    refuses('<?xml version="1.0"?><?xml-stylesheet href="x"?><a/>', /processing instruction <\?xml-stylesheet\?> is not allowed/);
  });

  it('refuses a 50 MB body by its size, reading no further than the limit', () => {
    refuses(Buffer.alloc(50 * 1024 * 1024, 0x61), /document larger than 33554432 bytes/);
    // Streamed in 1 MiB chunks, the reader gives up as soon as the total passes the bound.
    const reader = new XmlReader({ maxBytes: 4 * 1024 * 1024 });
    const chunk = Buffer.from(`<a>${'x'.repeat(1024 * 1024 - 3)}`);
    let accepted = 0;
    assert.throws(() => { for (;;) { reader.write(chunk); accepted++; } }, /document larger than 4194304 bytes/);
    assert.equal(accepted, 4);
    assert.throws(() => reader.end(), /document larger than/);
  });

  it('refuses nesting 10000 deep at the depth bound', () => {
    refuses('<a>'.repeat(10000) + '</a>'.repeat(10000), /line 1 column \d+: nesting deeper than 64 elements/);
    refuses('<a><b><c/></b></a>', /nesting deeper than 2/, { maxDepth: 2 });
  });

  it('refuses 1e6 elements at the element bound', () => {
    refuses(`<r>${'<a/>'.repeat(1_000_000)}</r>`, /more than 500000 elements/);
  });

  it('refuses too many attributes and too long a text', () => {
    const attrs = Array.from({ length: 40 }, (_, i) => `a${i}="1"`).join(' ');
    refuses(`<a ${attrs}/>`, /more than 32 attributes on one element/);
    refuses(`<a>${'x'.repeat(2000)}</a>`, /text of <a> longer than 1000 characters/, { maxTextLength: 1000 });
  });

  it('refuses malformed XML with the place and the cause', () => {
    refuses('<a><b></a>', /line 1 column \d+: .*unexpected close tag/i);
    refuses('<a><b>', /unclosed tag/i);
    refuses('<a x="1" x="2"/>', /duplicate attribute/i);
    refuses('', /no root element|document must contain a root element/i);
    refuses('<a/><b/>', /text data outside of root node|root/i);
    refuses('<a>\u0001</a>', /disallowed character/i);
  });

  it('refuses undeclared namespace prefixes, on elements and in xsi:type', () => {
    refuses('<x:Envelope/>', /unbound namespace prefix: "x"/i);
    refuses('<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="nope:int"/>', /xsi:type 'nope:int' uses an undeclared prefix 'nope'/);
  });

  it('keeps failing with the first error once broken', () => {
    const reader = new XmlReader({ maxDepth: 1 });
    assert.throws(() => reader.write('<a><b>'), /nesting deeper than 1/);
    assert.throws(() => reader.write('</b></a>'), /nesting deeper than 1/);
  });
});
