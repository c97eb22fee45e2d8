// Go strings are bytes: the filter regexps see r.URL.Path as Go's regexp reads it, one rune per
// valid UTF-8 sequence and one U+FFFD per byte of anything else (utf8.DecodeRune's (RuneError, 1)).
// Node's decoder instead replaces a whole truncated sequence (`E2 82`) with a single U+FFFD, so
// `^/x/..$` would match differently in kubegate than in kubectl.

/** Length of the valid UTF-8 sequence at `at`, or 0 (Go's accept ranges: no overlongs, surrogates, > U+10FFFF). */
function validSequenceLength(bytes: Uint8Array, at: number): number {
  const first = bytes[at] as number;
  if (first < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) length = 2;
  else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    if (first === 0xe0) low = 0xa0;
    if (first === 0xed) high = 0x9f;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    if (first === 0xf0) low = 0x90;
    if (first === 0xf4) high = 0x8f;
  } else return 0;
  for (let index = 1; index < length; index++) {
    const byte = bytes[at + index];
    if (byte === undefined || byte < (index === 1 ? low : 0x80) || byte > (index === 1 ? high : 0xbf)) return 0;
  }
  return length;
}

/** The text Go's regexp matches for these bytes. */
export function decodeUtf8AsGo(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // Only ill-formed input (or a real U+FFFD) can decode differently: the common case is one pass.
  if (!text.includes('\uFFFD')) return text;
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = validSequenceLength(bytes, at);
    parts.push(length === 0 ? '\uFFFD' : Buffer.from(bytes.subarray(at, at + length)).toString('utf8'));
    at += Math.max(length, 1);
  }
  return parts.join('');
}

/**
 * Node hands header values and the request target over as latin1 (one character per byte); Go's
 * regexp reads the same bytes as UTF-8. ASCII, by far the common case, is the same either way.
 */
export function latin1BytesAsGo(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : decodeUtf8AsGo(Buffer.from(text, 'latin1'));
}
