// The headers a forwarded request and its answer carry: hop-by-hop rules, Host, X-Forwarded-For, as Go's ReverseProxy.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIdentityHeader, type HeaderMap, type IdentityHeaders } from './identity.js';
import type { UpstreamTarget } from './target.js';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, and Go's httputil.ReverseProxy list), plus the ones
 * kubegate itself owns: Host is replaced, and Expect is answered by Node's server before we forward.
 */
const HOP_BY_HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const;

const REQUEST_HEADERS_NOT_FORWARDED = new Set<string>([...HOP_BY_HOP, 'host', 'expect', 'http2-settings']);

const RESPONSE_HEADERS_NOT_FORWARDED = new Set<string>(HOP_BY_HOP);

/** The tokens of a comma-separated header (Connection, TE), lower-cased; names in Connection are hop-by-hop too. */
export function connectionListed(value: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  const names = joined
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  return names.length > 0 ? new Set(names) : undefined;
}

/** The client address for X-Forwarded-For, as Go prints it (IPv4-mapped IPv6 shown as IPv4). */
export function clientAddress(request: IncomingMessage): string | undefined {
  const address = request.socket.remoteAddress;
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * What httputil.ReverseProxy sends upstream: client headers minus hop-by-hop, Host replaced, XFF
 * appended, and the identity headers (Authorization, Impersonate-*, User-Agent) exactly as decided
 * by decideIdentity: no client line of those reaches upstream any other way. Repeated client lines
 * stay separate lines, in order (not Node's comma-joined `headers`, which also drops repeats of
 * Content-Type, Referer and the like): Go forwards every line of a header. Read from `rawHeaders`
 * in one pass, not from Node's `headersDistinct`, which would build every line's array first.
 */
export function buildUpstreamHeaders(request: IncomingMessage, target: UpstreamTarget, identity: IdentityHeaders): HeaderMap {
  const raw = request.rawHeaders;
  const listed = connectionListed(linesNamed(raw, 'connection'));
  const headers: HeaderMap = {};
  let te: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'te') (te ??= []).push(value);
    if (REQUEST_HEADERS_NOT_FORWARDED.has(name) || listed?.has(name) || isIdentityHeader(name)) continue;
    // Own lines only: a name like `constructor` finds Object.prototype's member, not an earlier line.
    const prior = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (prior === undefined) headers[name] = value;
    else if (typeof prior === 'string') headers[name] = [prior, value];
    else prior.push(value);
  }
  // Go re-adds `TE: trailers` when the client's TE lists that token (gRPC needs it); other TE values are dropped.
  if (connectionListed(te)?.has('trailers')) headers.te = 'trailers';
  headers.host = target.host;
  for (const [name, lines] of Object.entries(identity)) headers[name] = oneOrMany(lines);
  // A client that names X-Forwarded-For in Connection made its own value hop-by-hop: Go starts afresh
  // then (the loop above left its lines out).
  const xff = forwardedFor(request, headers['x-forwarded-for']);
  if (xff !== undefined) headers['x-forwarded-for'] = xff;
  return headers;
}

/** Every value of one (lower-case) header in a raw [name, value, ...] list, or undefined for none. */
function linesNamed(raw: readonly string[], lowerName: string): string[] | undefined {
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    // Compared by length first: this runs for every header of every request.
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) (lines ??= []).push(raw[i + 1] as string);
  }
  return lines;
}

/** One line as a string (undici and node:http take either), several as a list: each becomes a line of its own. */
function oneOrMany(lines: readonly string[]): string | string[] {
  return lines.length === 1 ? (lines[0] as string) : [...lines];
}

/** Header.Get in Go: the first line, where an empty one counts as no header. */
function firstLine(value: string | readonly string[] | undefined): string {
  return (typeof value === 'string' ? value : value?.[0]) ?? '';
}

/**
 * Go's Transport (HTTP/1.1 and HTTP/2 alike) asks for gzip on the caller's behalf when
 * DisableCompression is off, the request has no Accept-Encoding and no Range, and is not a HEAD;
 * it then inflates the answer itself. It decides on the headers after ReverseProxy removed the
 * hop-by-hop ones, so an Accept-Encoding named in Connection counts as absent. Adds the line and
 * says whether it did (the answer must then be inflated for the client).
 */
export function askForGzip(method: string, headers: HeaderMap, disableCompression: boolean): boolean {
  if (disableCompression || method === 'HEAD' || firstLine(headers['accept-encoding']) !== '' || firstLine(headers.range) !== '') return false;
  // An empty client line stays, and `gzip` follows it, as Go writes its extra header after the request's own.
  const prior = headers['accept-encoding'];
  headers['accept-encoding'] = prior === undefined ? 'gzip' : [...(typeof prior === 'string' ? [prior] : prior), 'gzip'];
  return true;
}

/** Whether Go's Transport inflates this answer to a request it asked gzip for: a body that says gzip (first line, any case). */
export function answerIsGzip(statusCode: number, headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  // Go reads no body (and so inflates none) for 204, 304 and a Content-Length of 0: their headers pass as sent.
  if (statusCode === 204 || statusCode === 304 || firstLine(headers['content-length']).trim() === '0') return false;
  return firstLine(headers['content-encoding']).trim().toLowerCase() === 'gzip';
}

export function buildResponseHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(upstream.connection);
  const headers: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || RESPONSE_HEADERS_NOT_FORWARDED.has(name) || listed?.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}

/**
 * The response head as Go's server writes it: names in Go's canonical form (the client side of
 * ReverseProxy reads them through textproto.CanonicalMIMEHeaderKey: `audit-id` → `Audit-Id`),
 * sorted by name as Header.Write sorts them, repeated lines (Set-Cookie) as a list, each its own
 * line. An object, not writeHead's flat [name, value, ...] form: once setHeader was called (the
 * Audit-ID, CORS), Node 20 applies a flat list with setHeader pair by pair, and the last
 * Set-Cookie would win. writeHead keeps the case of the names it is given.
 */
export function responseHead(headers: Readonly<Record<string, string | string[]>>): Record<string, string | string[]> {
  const named = Object.keys(headers).map((name) => [canonicalHeaderName(name), name] as const);
  named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const head: Record<string, string | string[]> = {};
  for (const [canonical, name] of named) head[canonical] = headers[name] as string | string[];
  return head;
}

/** RFC 9110 token characters: what Go's validHeaderFieldByte accepts in a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's textproto.CanonicalMIMEHeaderKey: the first letter and every letter after a '-' upper case,
 * the rest lower case (`x-kubernetes-pf-flowschema-uid` → `X-Kubernetes-Pf-Flowschema-Uid`). A name
 * with a byte outside the token set (a space, say) is left exactly as it is, as Go leaves it.
 */
export function canonicalHeaderName(name: string): string {
  const known = CANONICAL_NAMES.get(name);
  if (known !== undefined) return known;
  const canonical = computeCanonicalName(name);
  // The API server sends the same few dozen names again and again: remember them (bounded).
  if (CANONICAL_NAMES.size < 512) CANONICAL_NAMES.set(name, canonical);
  return canonical;
}

const CANONICAL_NAMES = new Map<string, string>();

function computeCanonicalName(name: string): string {
  if (!TOKEN.test(name)) return name;
  let upper = true;
  let out = '';
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}

/** X-Forwarded-For after this hop: the client's value (unless it made it hop-by-hop) plus the client address. */
export function forwardedFor(request: IncomingMessage, prior: string | string[] | undefined): string | undefined {
  const address = clientAddress(request);
  if (address === undefined) return undefined;
  const priorText = Array.isArray(prior) ? prior.join(', ') : prior;
  return priorText ? `${priorText}, ${address}` : address;
}

export function hasRequestBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
