// Which proxy, if any, carries the connections to the API server: client-go's rules, decided once at load.
//
// client-go (clientcmd, rest, transport/cache.go, apimachinery's SetTransportDefaults) does this:
// a cluster's `proxy-url` is used for every connection, whatever the server's host (http.ProxyURL);
// without one, Go's http.ProxyFromEnvironment decides, wrapped so NO_PROXY CIDR entries also count
// (NewProxierWithNoProxyCIDR). ProxyFromEnvironment is golang.org/x/net/http/httpproxy: HTTPS_PROXY
// (then https_proxy) for https:// servers, HTTP_PROXY (then http_proxy) for http:// ones, never the
// other; localhost and loopback addresses are never proxied; NO_PROXY (then no_proxy) lists hosts
// that go direct. Those rules are written out here as data and small predicates.

import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** Where the proxy setting came from: the kubeconfig, or the environment variable that was read. */
export type ProxySource = 'proxy-url' | 'HTTPS_PROXY' | 'https_proxy' | 'HTTP_PROXY' | 'http_proxy';

export interface ProxiedRoute {
  readonly kind: 'http' | 'https' | 'socks5';
  /** The proxy URL as configured: it may carry a password, so print it only through redactUrlUserinfo. */
  readonly url: string;
  /** Host without IPv6 brackets, and port (the scheme's default when the URL has none: 80, 443, 1080). */
  readonly host: string;
  readonly port: number;
  /** From the URL's userinfo, percent-decoded (Go's url.User.Username/Password). */
  readonly username?: string;
  readonly password?: string;
  readonly source: ProxySource;
}

/** Direct; `skipped` says which variable was set but not used for this server, and why. */
export interface DirectRoute {
  readonly kind: 'direct';
  readonly skipped?: { readonly variable: ProxySource; readonly why: string };
}

export type ProxyRoute = DirectRoute | ProxiedRoute;

type Environment = Readonly<Record<string, string | undefined>>;

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:']);
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443, 'socks5:': 1080 };

/**
 * The route for connections to `serverUrl`: `proxyUrl` (the cluster's proxy-url, already validated
 * by the kubeconfig resolver) when set and non-empty, else the environment's proxy variables.
 */
export function resolveProxy(serverUrl: URL, proxyUrl: string | undefined, env: Environment): ProxyRoute {
  // clientcmd uses proxy-url only when it is non-empty; an empty one leaves the environment in charge.
  if (proxyUrl) {
    const parsed = parseUrl(proxyUrl);
    if (parsed && PROXY_SCHEMES.has(parsed.protocol)) return proxiedRoute(parsed, proxyUrl, 'proxy-url');
    return { kind: 'direct' };
  }
  const names: readonly ProxySource[] = serverUrl.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : serverUrl.protocol === 'http:' ? ['HTTP_PROXY', 'http_proxy'] : [];
  const variable = names.find((name) => Boolean(env[name]));
  if (variable === undefined) return { kind: 'direct' };
  const value = env[variable] as string;
  const parsed = parseEnvironmentProxy(value);
  if (parsed === undefined) return { kind: 'direct', skipped: { variable, why: 'its value is not a proxy URL' } };
  const why = whyNotProxied(serverUrl, env.NO_PROXY || env.no_proxy || '');
  if (why !== undefined) return { kind: 'direct', skipped: { variable, why } };
  return proxiedRoute(parsed, value, variable);
}

/** The Proxy-Authorization value for an HTTP proxy (Go sends Basic with user:password whenever the URL has a user). */
export function proxyAuthorization(route: ProxiedRoute): string | undefined {
  if (route.username === undefined) return undefined;
  return `Basic ${Buffer.from(`${route.username}:${route.password ?? ''}`).toString('base64')}`;
}

/**
 * The proxy as a log line may show it: rebuilt from its parts, the user kept and the password never
 * (the configured text may lack a scheme, or hold an `@` in the password, which pattern-based redaction misses).
 */
export function proxyForDisplay(route: ProxiedRoute): string {
  const host = isIP(route.host) === 6 ? `[${route.host}]` : route.host;
  const user = route.username === undefined ? '' : `${encodeURIComponent(route.username)}${route.password ? ':xxxxx' : ''}@`;
  return `${route.kind}://${user}${host}:${route.port}`;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** httpproxy's parseProxy: a full URL of a known scheme, or a bare host[:port] taken as http://. */
function parseEnvironmentProxy(value: string): URL | undefined {
  const direct = parseUrl(value);
  if (direct && PROXY_SCHEMES.has(direct.protocol) && direct.hostname !== '') return direct;
  // "proxy.corp:3128" parses as the scheme "proxy.corp:"; a value with its own unknown "scheme://" is not a host.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  const withScheme = parseUrl(`http://${value}`);
  return withScheme && withScheme.hostname !== '' ? withScheme : undefined;
}

function proxiedRoute(url: URL, text: string, source: ProxySource): ProxiedRoute {
  const kind = url.protocol.slice(0, -1) as ProxiedRoute['kind'];
  const hasUser = url.username !== '' || url.password !== '' || /^[a-z0-9+.-]+:\/\/[^/?#]*@/i.test(text);
  return {
    kind,
    url: text,
    host: unbracket(url.hostname),
    port: url.port ? Number(url.port) : (DEFAULT_PORTS[url.protocol] as number),
    ...(hasUser ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : {}),
    source,
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** httpproxy's useProxy, inverted: why the environment's proxy is not used for this server (undefined: it is). */
export function whyNotProxied(serverUrl: URL, noProxy: string): string | undefined {
  const host = unbracket(serverUrl.hostname).toLowerCase();
  const port = serverUrl.port || String(DEFAULT_PORTS[serverUrl.protocol] ?? '');
  if (host === 'localhost' || isLoopbackAddress(host)) return 'requests to localhost and loopback addresses are never proxied from the environment';
  const entry = noProxyEntries(noProxy).find((one) => one.matches(host, port));
  return entry === undefined ? undefined : `NO_PROXY entry "${entry.text}" matches ${host}`;
}

function isLoopbackAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family !== 6) return false;
  const canonical = canonicalIp(host);
  return canonical === '::1' || /^::ffff:127\./.test(canonical) || /^::ffff:7f[0-9a-f]{2}:/.test(canonical);
}

/** One IP in one spelling (IPv6 compressed, lower case), so NO_PROXY entries compare as addresses. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? unbracket(new URL(`http://[${ip}]/`).hostname) : ip;
}

interface NoProxyEntry {
  readonly text: string;
  matches(host: string, port: string): boolean;
}

/** Parses NO_PROXY as httpproxy does: `*`, CIDR, IP[:port], [IPv6]:port, domain[:port], .domain, *.domain; bad entries are skipped. */
export function noProxyEntries(noProxy: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const raw of noProxy.split(',')) {
    const text = raw.trim().toLowerCase();
    if (text === '') continue;
    if (text === '*') return [{ text, matches: () => true }];
    const entry = cidrEntry(text) ?? hostEntry(text);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function cidrEntry(text: string): NoProxyEntry | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const [, address = '', bits = ''] = match;
  const family = isIP(address);
  const prefix = Number(bits);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return { text, matches: (host) => isIP(host) !== 0 && list.check(host, isIP(host) === 4 ? 'ipv4' : 'ipv6') };
}

/** Go's net.SplitHostPort, loosely: `[v6]:port`, `host:port` with one colon; anything else has no port. */
function splitHostPort(text: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(text);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ?? '' };
  const colon = text.indexOf(':');
  if (colon !== -1 && colon === text.lastIndexOf(':')) return { host: text.slice(0, colon), port: text.slice(colon + 1) };
  return { host: text, port: '' };
}

function hostEntry(text: string): NoProxyEntry | undefined {
  const { host, port } = splitHostPort(text);
  if (host === '') return undefined;
  const portMatches = (actual: string): boolean => port === '' || port === actual;
  if (isIP(host) !== 0) {
    const ip = canonicalIp(host);
    return { text, matches: (actual, actualPort) => isIP(actual) !== 0 && canonicalIp(actual) === ip && portMatches(actualPort) };
  }
  // "foo.com" matches foo.com and its subdomains; ".foo.com" and "*.foo.com" only the subdomains.
  const bare = host.startsWith('*.') ? host.slice(1) : host;
  const matchesItself = !bare.startsWith('.');
  const name = matchesItself ? bare : bare.slice(1);
  // The server's host is already in ASCII (punycode) from URL parsing; the entry is brought to the same form.
  const dotted = `.${domainToASCII(name) || name}`;
  return {
    text,
    matches: (actual, actualPort) => (actual.endsWith(dotted) || (matchesItself && actual === dotted.slice(1))) && portMatches(actualPort),
  };
}
