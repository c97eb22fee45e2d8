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
 * by decideIdentity: no client line of those reaches upstream any other way.
 */
export function buildUpstreamHeaders(request: IncomingMessage, target: UpstreamTarget, identity: IdentityHeaders): HeaderMap {
  const incoming = request.headers;
  const listed = connectionListed(incoming.connection);
  const headers: HeaderMap = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || REQUEST_HEADERS_NOT_FORWARDED.has(name) || listed?.has(name) || isIdentityHeader(name)) continue;
    headers[name] = value;
  }
  // Go re-adds `TE: trailers` when the client's TE lists that token (gRPC needs it); other TE values are dropped.
  if (connectionListed(incoming.te)?.has('trailers')) headers.te = 'trailers';
  headers.host = target.host;
  for (const [name, lines] of Object.entries(identity)) headers[name] = lines.length === 1 ? (lines[0] as string) : lines;
  // A client that names X-Forwarded-For in Connection made its own value hop-by-hop: Go starts afresh then.
  const xff = forwardedFor(request, listed?.has('x-forwarded-for') ? undefined : incoming['x-forwarded-for']);
  if (xff !== undefined) headers['x-forwarded-for'] = xff;
  return headers;
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
