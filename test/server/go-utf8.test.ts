import t from 'tap';
import { decodeUtf8AsGo } from '../../src/server/go-utf8.js';

// What Go's regexp sees in a path's bytes: utf8.DecodeRune semantics, one U+FFFD per bad byte.
t.test('invalid UTF-8 decodes as Go does: one U+FFFD per byte that does not start a valid sequence', async (t) => {
  const rows: [string, number[], string][] = [
    ['ASCII', [0x2f, 0x61], '/a'],
    ['two-byte letter', [0xc3, 0xa9], 'é'],
    ['four-byte emoji', [0xf0, 0x9f, 0x98, 0x80], '\u{1F600}'],
    ['a real U+FFFD stays one', [0xef, 0xbf, 0xbd], '\uFFFD'],
    ['truncated three-byte sequence: two (Node says one)', [0xe2, 0x82], '\uFFFD\uFFFD'],
    ['truncated four-byte sequence: three (Node says one)', [0xf0, 0x9f, 0x98, 0x41], '\uFFFD\uFFFD\uFFFDA'],
    ['lone byte FF', [0xff], '\uFFFD'],
    ['overlong C0 AF', [0xc0, 0xaf], '\uFFFD\uFFFD'],
    ['overlong E0 80 80', [0xe0, 0x80, 0x80], '\uFFFD\uFFFD\uFFFD'],
    ['surrogate ED A0 80', [0xed, 0xa0, 0x80], '\uFFFD\uFFFD\uFFFD'],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\uFFFD\uFFFD\uFFFD\uFFFD'],
    ['valid after invalid', [0xff, 0xc3, 0xa9], '\uFFFDé'],
  ];
  for (const [name, bytes, expected] of rows) t.equal(decodeUtf8AsGo(Uint8Array.from(bytes)), expected, name);
});
