// kubectl proxy's mux, as a pure function: raw request target → redirect, 404, 400, static file or API request.
//
// Reproduces Go 1.23's http.ServeMux (clean-path and trailing-slash 301s on the *escaped* path),
// kubectl's stripLeaveSlash quirk, and net/url's EscapedPath rules for what is sent upstream
// (spec sections 2.1, 2.2, 2.4 and 3.1).

import { decodeUtf8AsGo } from './go-utf8.js';

export interface RouteOptions {
  /** Normalised: trailing '/' (e.g. '/', '/custom/', '/api/'). */
  readonly apiPrefix: string;
  /** Normalised the same way; undefined when --www is not set. */
  readonly wwwPrefix?: string;
}

export type Route =
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'bad-request'; readonly reason: string }
  | { readonly kind: 'static'; readonly path: string }
  | {
      readonly kind: 'api';
      /** Percent-decoded path after prefix stripping: what the filter regexes see. */
      readonly filterPath: string;
      /** Escaped path sent upstream, exactly as kubectl would send it. */
      readonly upstreamPath: string;
      /** Raw query without '?', untouched. */
      readonly rawQuery: string;
      /** True when the target had a '?', even with an empty query. */
      readonly hasQuery: boolean;
    };

/** kubectl: an empty prefix is '/', and a '/' is appended when missing. */
export function normalizePrefix(prefix: string): string {
  if (prefix === '') return '/';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

const HEX = '0123456789ABCDEF';

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/**
 * net/url shouldEscape(c, encodePath): unreserved characters and `$&+,/:;=@` stay; everything
 * else (including `!'()*[]`, space, `"<>^`{|}`, `#`, `?` and bytes >= 0x80) is escaped.
 */
function shouldEscapeInPath(byte: number): boolean {
  if ((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39)) return false;
  switch (byte) {
    case 0x2d: // -
    case 0x5f: // _
    case 0x2e: // .
    case 0x7e: // ~
    case 0x24: // $
    case 0x26: // &
    case 0x2b: // +
    case 0x2c: // ,
    case 0x2f: // /
    case 0x3a: // :
    case 0x3b: // ;
    case 0x3d: // =
    case 0x40: // @
      return false;
    default:
      return true;
  }
}

/** net/url validEncoded(s, encodePath): may this raw path be sent as is? */
function validEncodedPath(raw: Buffer): boolean {
  for (const byte of raw) {
    switch (byte) {
      case 0x21: // !
      case 0x24: // $
      case 0x26: // &
      case 0x27: // '
      case 0x28: // (
      case 0x29: // )
      case 0x2a: // *
      case 0x2b: // +
      case 0x2c: // ,
      case 0x3b: // ;
      case 0x3d: // =
      case 0x3a: // :
      case 0x40: // @
      case 0x5b: // [
      case 0x5d: // ]
      case 0x25: // %
        continue;
      default:
        if (shouldEscapeInPath(byte)) return false;
    }
  }
  return true;
}

/** net/url escape(s, encodePath), on bytes. */
function escapePath(decoded: Buffer): string {
  let out = '';
  for (const byte of decoded) {
    out += shouldEscapeInPath(byte) ? `%${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
  }
  return out;
}

/** net/url unescape(s, encodePath): decodes %XX; undefined for a malformed escape. */
function unescapePath(raw: Buffer): Buffer | undefined {
  if (!raw.includes(0x25)) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte === 0x25) {
      const high = raw[i + 1];
      const low = raw[i + 2];
      if (high === undefined || low === undefined || !isHex(high) || !isHex(low)) return undefined;
      out[length++] = Number.parseInt(String.fromCharCode(high, low), 16);
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return out.subarray(0, length);
}

/** net/url EscapedPath: the raw form when it is valid and encodes the decoded path, else re-escaped. */
function escapedPath(decoded: Buffer, raw: Buffer | undefined): string {
  if (raw !== undefined && validEncodedPath(raw)) {
    const again = unescapePath(raw);
    if (again !== undefined && again.equals(decoded)) return raw.toString('latin1');
  }
  return escapePath(decoded);
}

/** Go's path.Clean on a rooted path. */
function cleanRooted(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** A `//`, or a `.` or `..` segment: what Clean changes in a rooted path (besides a trailing slash). */
const NEEDS_CLEANING = /\/\/|\/\.\.?(?:\/|$)/;

/** Go's ServeMux cleanPath: Clean, but keep a trailing slash. */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  // Clean leaves such a path as it is, and cleanPath puts back the trailing slash Clean drops.
  if (!NEEDS_CLEANING.test(rooted)) return rooted;
  let cleaned = cleanRooted(rooted);
  if (rooted.endsWith('/') && cleaned !== '/') cleaned += '/';
  return cleaned;
}

/** ASCII that net/url neither decodes nor escapes in a path: such a raw path is its EscapedPath. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~$&+,/:;=@]*$/;

/** A Location built as Go's url.URL{Path: p, RawQuery: q}.String() does. */
function locationFor(path: string, rawQuery: string | undefined): string {
  const escaped = escapePath(Buffer.from(path, 'latin1'));
  return rawQuery === undefined || rawQuery === '' ? escaped : `${escaped}?${rawQuery}`;
}

/** Splits a request target into its path and query, following absolute-form targets. */
function splitTarget(target: string): { path: string; query: string | undefined } {
  let rest = target;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length);
  const question = rest.indexOf('?');
  const path = question === -1 ? rest : rest.slice(0, question);
  const query = question === -1 ? undefined : rest.slice(question + 1);
  // Only an absolute-form target (`http://host`, `http://host?x`) can have an empty path.
  return { path, query };
}

/**
 * `target` is the request target as Node gives it (`request.url`): bytes as latin1 characters,
 * so non-ASCII bytes round-trip exactly.
 */
export function resolveRoute(target: string, options: RouteOptions): Route {
  return routeTarget(target, options, true);
}

/**
 * resolveRoute without its shortcut: every path through the byte-level rules. For the test that
 * checks the shortcut gives the same answers; kubegate itself calls resolveRoute.
 */
export function resolveRouteByBytes(target: string, options: RouteOptions): Route {
  return routeTarget(target, options, false);
}

function routeTarget(target: string, options: RouteOptions, shortcut: boolean): Route {
  if (target === '*' || (!target.startsWith('/') && !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(target))) {
    return { kind: 'not-found' };
  }
  const { path: rawPathText, query } = splitTarget(target);
  // Go's mux cleans the empty path to `/` and, the two differing, redirects there.
  if (rawPathText === '') return { kind: 'redirect', location: locationFor('/', query) };
  // The common case: a path of characters net/url neither decodes nor escapes is its own decoded
  // and escaped form, so no bytes need converting or checking (on a proxy idle between requests the
  // byte-level route took about 90 µs of each, this one 25; README, Performance).
  if (shortcut && PLAIN_PATH.test(rawPathText)) return routePath(rawPathText, query, options, undefined);
  const rawPath = Buffer.from(rawPathText, 'latin1');
  const decoded = unescapePath(rawPath);
  if (decoded === undefined) return { kind: 'bad-request', reason: `invalid URL escape in ${JSON.stringify(rawPathText)}` };
  // The mux works on the escaped path (so %2e%2e is never cleaned).
  return routePath(escapedPath(decoded, rawPath), query, options, { rawPath, decoded });
}

/**
 * The mux's decisions on the escaped path, then what goes upstream. `bytes` is undefined for a
 * plain path (no escapes, nothing to escape: raw, decoded and escaped forms are one ASCII string).
 */
function routePath(escaped: string, query: string | undefined, options: RouteOptions, bytes: { readonly rawPath: Buffer; readonly decoded: Buffer } | undefined): Route {
  const cleaned = cleanPath(escaped);

  const prefixes = [options.apiPrefix, options.wwwPrefix].filter(
    (prefix): prefix is string => prefix !== undefined && prefix.startsWith('/'),
  );
  // `/custom` when only `/custom/` is registered: 301 to `/custom/` (checked before clean-path redirects).
  for (const prefix of prefixes) {
    if (prefix !== '/' && cleaned === prefix.slice(0, -1)) return { kind: 'redirect', location: locationFor(prefix, query) };
  }
  if (cleaned !== escaped) return { kind: 'redirect', location: locationFor(cleaned, query) };

  // Longest prefix wins; a tie goes to the API (kubectl registers it first).
  let matched: string | undefined;
  for (const prefix of prefixes) {
    if (escaped.startsWith(prefix) && (matched === undefined || prefix.length > matched.length)) matched = prefix;
  }
  if (matched === undefined) return { kind: 'not-found' };

  const rawQuery = query ?? '';
  const hasQuery = query !== undefined;
  if (bytes === undefined) return plainTail(escaped, matched, options, rawQuery, hasQuery);
  const { rawPath, decoded } = bytes;
  if (matched !== options.apiPrefix) {
    const decodedText = decoded.toString('utf8');
    const stripped = decodedText.startsWith(matched) ? decodedText.slice(matched.length) : '';
    return { kind: 'static', path: `/${stripped}` };
  }

  if (matched.startsWith('/api')) {
    // kubectl does not strip prefixes that start with /api (including the /apix bug).
    return { kind: 'api', filterPath: decodeUtf8AsGo(decoded), upstreamPath: escaped, rawQuery, hasQuery };
  }
  // stripLeaveSlash: trim the prefix from the decoded path and re-add '/'. RawPath is not updated,
  // so unless the path is unchanged the upstream form is re-escaped from the decoded path.
  const decodedLatin1 = decoded.toString('latin1');
  if (!decodedLatin1.startsWith(matched)) return { kind: 'not-found' };
  const strippedBytes = Buffer.from(stripLeaveSlash(decodedLatin1, matched), 'latin1');
  const unchanged = strippedBytes.equals(decoded);
  const upstreamPath = strippedBytes.length === 0 ? '/' : escapedPath(strippedBytes, unchanged ? rawPath : undefined);
  return { kind: 'api', filterPath: decodeUtf8AsGo(strippedBytes), upstreamPath, rawQuery, hasQuery };
}

/**
 * routePath's tail for a plain path: the same steps on the one string. ASCII decodes to itself
 * (as UTF-8 and as latin1), and stripping a prefix leaves only characters that need no escape.
 */
function plainTail(path: string, matched: string, options: RouteOptions, rawQuery: string, hasQuery: boolean): Route {
  if (matched !== options.apiPrefix) return { kind: 'static', path: `/${path.slice(matched.length)}` };
  if (matched.startsWith('/api')) return { kind: 'api', filterPath: path, upstreamPath: path, rawQuery, hasQuery };
  const stripped = stripLeaveSlash(path, matched);
  return { kind: 'api', filterPath: stripped, upstreamPath: stripped === '' ? '/' : stripped, rawQuery, hasQuery };
}

/** kubectl's stripLeaveSlash on a path that starts with the prefix: what follows it, with a leading '/' put back. */
function stripLeaveSlash(path: string, prefix: string): string {
  const stripped = path.slice(prefix.length);
  return stripped.length > 0 && !stripped.startsWith('/') ? `/${stripped}` : stripped;
}
