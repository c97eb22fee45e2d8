import t from 'tap';
import { detectContentType } from '../../src/server/sniff.js';

// The cases of Go's net/http sniff_test.go, rewritten: what http.DetectContentType says for each.
const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

t.test('detectContentType gives the type Go does', async (t) => {
  const rows: [string, string, string][] = [
    ['empty is text', '', 'text/plain; charset=utf-8'],
    ['control bytes are binary', '\x01\x02\x03', 'application/octet-stream'],
    ['mixed-case HTML tags', '<HtMl><bOdY>blah blah blah</body></html>', 'text/html; charset=utf-8'],
    ['upper-case HTML', '<HTML></HTML>', 'text/html; charset=utf-8'],
    ['doctype after spaces', '   <!DOCTYPE HTML>...', 'text/html; charset=utf-8'],
    ['HTML after CRLF', '\r\n<html>...', 'text/html; charset=utf-8'],
    ['a tag must end with a space or >', '<htmlx>', 'text/plain; charset=utf-8'],
    ['a comment', '<!-- hi -->', 'text/html; charset=utf-8'],
    ['<p followed by a space', '<p class=x>', 'text/html; charset=utf-8'],
    ['a tag with nothing after it is not HTML', '<B', 'text/plain; charset=utf-8'],
    ['plain text with UTF-8', 'This is not HTML. It has \xe2\x98\x83 though.', 'text/plain; charset=utf-8'],
    ['XML after whitespace', '\n<?xml!', 'text/xml; charset=utf-8'],
    ['PDF', '%PDF-1.7\n', 'application/pdf'],
    ['PostScript', '%!PS-Adobe-3.0', 'application/postscript'],
    ['UTF-16BE BOM', '\xfe\xff\x00h', 'text/plain; charset=utf-16be'],
    ['UTF-16LE BOM', '\xff\xfeh\x00', 'text/plain; charset=utf-16le'],
    ['UTF-8 BOM', '\xef\xbb\xbfhi', 'text/plain; charset=utf-8'],
    ['a BOM needs four bytes', '\xfe\xff\x00', 'application/octet-stream'],
    ['Windows icon', '\x00\x00\x01\x00', 'image/x-icon'],
    ['Windows cursor', '\x00\x00\x02\x00', 'image/x-icon'],
    ['BMP', 'BM...', 'image/bmp'],
    ['GIF 87a', 'GIF87a', 'image/gif'],
    ['GIF 89a', 'GIF89a...', 'image/gif'],
    ['WebP', 'RIFF\x00\x00\x00\x00WEBPVP', 'image/webp'],
    ['PNG', '\x89PNG\x0D\x0A\x1A\x0A', 'image/png'],
    ['JPEG', '\xFF\xD8\xFF', 'image/jpeg'],
    ['AIFF', 'FORM\x00\x00\x00\x00AIFF', 'audio/aiff'],
    ['MP3 with ID3', 'ID3', 'audio/mpeg'],
    ['Ogg', 'OggS\x00', 'application/ogg'],
    ['MIDI', 'MThd\x00\x00\x00\x06', 'audio/midi'],
    ['WAVE', 'RIFF\x00\x00\x00\x00WAVE', 'audio/wave'],
    ['AVI with a real size', 'RIFF,O\n\x00AVI LISTÀ', 'video/avi'],
    ['MP4', '\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbfmdat', 'video/mp4'],
    ['a box larger than the data is not MP4', '\x00\x00\x00\x40ftypmp42\x00\x00\x00\x00mp42', 'application/octet-stream'],
    ['the minor version is not a brand', '\x00\x00\x00\x10ftypxxxxmp4x', 'application/octet-stream'],
    ['WebM', '\x1A\x45\xDF\xA3', 'video/webm'],
    ['embedded OpenType', `${'\x07'.repeat(34)}LP`, 'application/vnd.ms-fontobject'],
    ['TrueType', '\x00\x01\x00\x00', 'font/ttf'],
    ['OpenType', 'OTTO', 'font/otf'],
    ['font collection', 'ttcf', 'font/collection'],
    ['WOFF', 'wOFF', 'font/woff'],
    ['WOFF2', 'wOF2', 'font/woff2'],
    ['gzip', '\x1F\x8B\x08', 'application/x-gzip'],
    ['zip', 'PK\x03\x04', 'application/zip'],
    ['RAR 1.5', 'Rar!\x1A\x07\x00', 'application/x-rar-compressed'],
    ['RAR 5', 'Rar!\x1A\x07\x01\x00', 'application/x-rar-compressed'],
    ['not quite RAR', 'Rar \x1A\x07\x00', 'application/octet-stream'],
    ['WebAssembly', '\x00asm\x01\x00', 'application/wasm'],
    ['ESC and form feed are text', 'a\x1b[0m\x0cb', 'text/plain; charset=utf-8'],
    ['vertical tab is binary', 'a\x0bb', 'application/octet-stream'],
    ['signatures are not searched after whitespace', ' %PDF-1.7', 'text/plain; charset=utf-8'],
  ];
  for (const [name, data, expected] of rows) t.equal(detectContentType(bytes(data)), expected, name);
});

t.test('only the first 512 bytes count', async (t) => {
  t.equal(detectContentType(bytes(`${' '.repeat(512)}<html>`)), 'text/plain; charset=utf-8', 'an HTML tag past 512 bytes of whitespace is not seen');
  t.equal(detectContentType(bytes(`${'a'.repeat(512)}\x00`)), 'text/plain; charset=utf-8', 'a NUL past 512 bytes is not seen');
  t.equal(detectContentType(bytes(`${'a'.repeat(511)}\x00`)), 'application/octet-stream', 'a NUL at byte 512 is');
});
