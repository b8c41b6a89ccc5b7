import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readXml } from '../../src/vsphere/xml-reader.js';
import { XmlWriter } from '../../src/vsphere/xml-writer.js';

// The writer cuts a long document into flattened parts (so a thousand-VM answer does not live as
// one rope of millions of nodes); what it writes must be exactly the document, wherever the cuts fall.
describe('XmlWriter', () => {
  it('writes a document of many thousand pieces exactly as written, across its parts', () => {
    for (const count of [1, 4095, 4096, 4097, 30_000]) {
      const w = new XmlWriter().raw('<?xml version="1.0"?>').open('root', { xmlns: 'urn:test' });
      let expected = '<?xml version="1.0"?><root xmlns="urn:test">';
      for (let i = 0; i < count; i++) {
        w.open('item', { key: `k${i}` }).leaf('name', `vm-${i} & <co>`).leaf('empty', '').close('item');
        expected += `<item key="k${i}"><name>vm-${i} &amp; &lt;co&gt;</name><empty/></item>`;
      }
      w.close('root');
      expected += '</root>';
      const text = w.toString();
      assert.equal(text, expected, `${count} items`);
      assert.equal(w.toString(), expected, 'toString twice gives the same document');
      const root = readXml(text, { maxBytes: 64 << 20, maxElements: 1 << 20 });
      assert.equal(root.children.length, count);
      assert.equal(root.children.at(-1)!.children[0]!.text, `vm-${count - 1} & <co>`);
    }
  });

  it('keeps writing after toString (a part cut before it is not lost)', () => {
    const w = new XmlWriter();
    for (let i = 0; i < 5000; i++) w.raw('a');
    assert.equal(w.toString().length, 5000);
    w.raw('b');
    assert.equal(w.toString(), `${'a'.repeat(5000)}b`);
  });
});
