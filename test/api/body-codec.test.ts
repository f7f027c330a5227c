import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../src/api/body-codec.ts';
import { NimbusError } from '../../src/core/errors.ts';

describe('body codec', () => {
  it('decodes utf8 text and strict base64', () => {
    expect(decodeBody('héllo', undefined)).toEqual(new TextEncoder().encode('héllo'));
    expect(decodeBody('héllo', 'utf8')).toEqual(new TextEncoder().encode('héllo'));
    expect(decodeBody('AAEC/w==', 'base64')).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(decodeBody('', 'base64')).toEqual(new Uint8Array());
  });

  it('refuses base64 a lenient decoder would silently change', () => {
    for (const bad of ['AAEC/w', 'AAEC/w=', 'AA EC', 'AAEC_w==', 'A===', '=AAA', 'AA==AA==', 'YWJj\n']) {
      const error = (() => {
        try {
          decodeBody(bad, 'base64');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, bad).toBeInstanceOf(NimbusError);
      expect((error as NimbusError).code).toBe('INVALID_REQUEST');
    }
  });

  it('encodes valid UTF-8 as text (byte-exact, BOM kept) and anything else as base64', () => {
    expect(encodeBody(new TextEncoder().encode('✓ ok'))).toEqual({ body: '✓ ok', bodyEncoding: 'utf8' });
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
    const encoded = encodeBody(bom);
    expect(encoded.bodyEncoding).toBe('utf8');
    expect(new TextEncoder().encode(encoded.body)).toEqual(bom);
    expect(encodeBody(new Uint8Array([0xc3, 0x28]))).toEqual({ body: 'wyg=', bodyEncoding: 'base64' });
    const view = new Uint8Array([9, 0xff, 0xfe, 9]).subarray(1, 3);
    expect(encodeBody(view)).toEqual({ body: '//4=', bodyEncoding: 'base64' });
  });
});
