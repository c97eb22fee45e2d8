// The Content-Type Go's http.FileServer gives a file whose extension names no type: the WHATWG MIME
// sniffing table as Go's http.DetectContentType implements it, on at most the first 512 bytes.

/** Go's sniffLen: no more than this many bytes decide. */
export const SNIFF_LENGTH = 512;

const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

/** One row of the table: what the data must look like, and the type it then is. */
type Signature =
  /** `<TAG` followed by a space or `>`, case-insensitive, after leading whitespace. */
  | { readonly html: string }
  /** The data starts with these bytes. */
  | { readonly prefix: string; readonly type: string }
  /** Each byte ANDed with the mask equals the pattern; optionally after leading whitespace. */
  | { readonly pattern: string; readonly mask: string; readonly type: string; readonly skipWhitespace?: boolean }
  | { readonly mp4: true };

const HTML_TAGS = ['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE', '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'];

const RIFF_MASK = '\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF';

/** In Go's order: the first row that matches wins; text is tried last. Strings are bytes (latin1). */
const SIGNATURES: readonly Signature[] = [
  ...HTML_TAGS.map((html) => ({ html })),
  { pattern: '<?xml', mask: '\xFF\xFF\xFF\xFF\xFF', type: 'text/xml; charset=utf-8', skipWhitespace: true },
  { prefix: '%PDF-', type: 'application/pdf' },
  { prefix: '%!PS-Adobe-', type: 'application/postscript' },
  // Byte order marks (the masks need four bytes of data, as Go's do).
  { pattern: '\xFE\xFF\x00\x00', mask: '\xFF\xFF\x00\x00', type: 'text/plain; charset=utf-16be' },
  { pattern: '\xFF\xFE\x00\x00', mask: '\xFF\xFF\x00\x00', type: 'text/plain; charset=utf-16le' },
  { pattern: '\xEF\xBB\xBF\x00', mask: '\xFF\xFF\xFF\x00', type: TEXT },
  // Images.
  { prefix: '\x00\x00\x01\x00', type: 'image/x-icon' },
  { prefix: '\x00\x00\x02\x00', type: 'image/x-icon' },
  { prefix: 'BM', type: 'image/bmp' },
  { prefix: 'GIF87a', type: 'image/gif' },
  { prefix: 'GIF89a', type: 'image/gif' },
  { pattern: 'RIFF\x00\x00\x00\x00WEBPVP', mask: `${RIFF_MASK}\xFF\xFF`, type: 'image/webp' },
  { prefix: '\x89PNG\r\n\x1A\n', type: 'image/png' },
  { prefix: '\xFF\xD8\xFF', type: 'image/jpeg' },
  // Audio and video.
  { pattern: 'FORM\x00\x00\x00\x00AIFF', mask: RIFF_MASK, type: 'audio/aiff' },
  { prefix: 'ID3', type: 'audio/mpeg' },
  { prefix: 'OggS\x00', type: 'application/ogg' },
  { prefix: 'MThd\x00\x00\x00\x06', type: 'audio/midi' },
  { pattern: 'RIFF\x00\x00\x00\x00AVI ', mask: RIFF_MASK, type: 'video/avi' },
  { pattern: 'RIFF\x00\x00\x00\x00WAVE', mask: RIFF_MASK, type: 'audio/wave' },
  { mp4: true },
  { prefix: '\x1A\x45\xDF\xA3', type: 'video/webm' },
  // Fonts: an embedded OpenType font has "LP" after 34 bytes of anything.
  { pattern: `${'\x00'.repeat(34)}LP`, mask: `${'\x00'.repeat(34)}\xFF\xFF`, type: 'application/vnd.ms-fontobject' },
  { prefix: '\x00\x01\x00\x00', type: 'font/ttf' },
  { prefix: 'OTTO', type: 'font/otf' },
  { prefix: 'ttcf', type: 'font/collection' },
  { prefix: 'wOFF', type: 'font/woff' },
  { prefix: 'wOF2', type: 'font/woff2' },
  // Archives.
  { prefix: '\x1F\x8B\x08', type: 'application/x-gzip' },
  { prefix: 'PK\x03\x04', type: 'application/zip' },
  { prefix: 'Rar!\x1A\x07\x00', type: 'application/x-rar-compressed' },
  { prefix: 'Rar!\x1A\x07\x01\x00', type: 'application/x-rar-compressed' },
  { prefix: '\x00asm', type: 'application/wasm' },
];

/** The WHATWG whitespace bytes: tab, LF, FF, CR, space. */
function isWhitespace(byte: number): boolean {
  return byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x20;
}

function matchesHtml(data: Uint8Array, start: number, tag: string): boolean {
  if (data.length - start < tag.length + 1) return false;
  for (let index = 0; index < tag.length; index++) {
    const expected = tag.charCodeAt(index);
    let byte = data[start + index] as number;
    // Letters in the table are upper case; clearing 0x20 folds the data's lower case onto them.
    if (expected >= 0x41 && expected <= 0x5a) byte &= 0xdf;
    if (byte !== expected) return false;
  }
  const after = data[start + tag.length];
  return after === 0x20 || after === 0x3e;
}

function matchesMasked(data: Uint8Array, start: number, pattern: string, mask: string): boolean {
  if (data.length - start < pattern.length) return false;
  for (let index = 0; index < pattern.length; index++) {
    if (((data[start + index] as number) & mask.charCodeAt(index)) !== pattern.charCodeAt(index)) return false;
  }
  return true;
}

/** An ISO base media file whose `ftyp` box lists an `mp4` brand (the minor version is skipped). */
function isMp4(data: Uint8Array): boolean {
  if (data.length < 12) return false;
  const boxSize = (((data[0] as number) << 24) | ((data[1] as number) << 16) | ((data[2] as number) << 8) | (data[3] as number)) >>> 0;
  if (data.length < boxSize || boxSize % 4 !== 0) return false;
  if (!matchesMasked(data, 4, 'ftyp', '\xFF\xFF\xFF\xFF')) return false;
  for (let at = 8; at < boxSize; at += 4) {
    if (at !== 12 && matchesMasked(data, at, 'mp4', '\xFF\xFF\xFF')) return true;
  }
  return false;
}

function matches(signature: Signature, data: Uint8Array, firstNonWhitespace: number): string | undefined {
  if ('html' in signature) return matchesHtml(data, firstNonWhitespace, signature.html) ? HTML : undefined;
  if ('prefix' in signature) return matchesMasked(data, 0, signature.prefix, '\xFF'.repeat(signature.prefix.length)) ? signature.type : undefined;
  if ('pattern' in signature) {
    const start = signature.skipWhitespace ? firstNonWhitespace : 0;
    return matchesMasked(data, start, signature.pattern, signature.mask) ? signature.type : undefined;
  }
  return isMp4(data) ? 'video/mp4' : undefined;
}

/** Text has no control bytes other than tab, LF, FF, CR and ESC (after the leading whitespace). */
function isText(data: Uint8Array, from: number): boolean {
  for (let index = from; index < data.length; index++) {
    const byte = data[index] as number;
    if (byte <= 0x08 || byte === 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f)) return false;
  }
  return true;
}

/** Go's http.DetectContentType: always a type, `application/octet-stream` when nothing fits. */
export function detectContentType(bytes: Uint8Array): string {
  const data = bytes.subarray(0, SNIFF_LENGTH);
  let firstNonWhitespace = 0;
  while (firstNonWhitespace < data.length && isWhitespace(data[firstNonWhitespace] as number)) firstNonWhitespace++;
  for (const signature of SIGNATURES) {
    const type = matches(signature, data, firstNonWhitespace);
    if (type !== undefined) return type;
  }
  return isText(data, firstNonWhitespace) ? TEXT : 'application/octet-stream';
}
