// The first leg through a proxy: a byte stream to the API server's host:port, opened by an HTTP
// CONNECT (http:// and https:// proxies, through undici's Client.connect, as undici's ProxyAgent does)
// or a SOCKS5 handshake (the `socks` package). TLS to the API server is layered on top by dial.ts.

import { STATUS_CODES } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { KubegateError, isKubegateError } from '../errors.js';
import { proxyAuthorization, type ProxiedRoute } from '../kubeconfig/proxy.js';
import { Client } from './undici-parts.js';

/** What the proxy's own TLS needs from the cluster's settings (a subset of dial.ts's UpstreamTlsOptions). */
export interface ProxyTrust {
  readonly ca: Buffer | undefined;
  readonly rejectUnauthorized: boolean;
}

/** How the first leg is opened: the trust for an https:// proxy, and client-go's 30 s dial timeout. */
export interface ProxyDialOptions {
  readonly trust: ProxyTrust | undefined;
  readonly timeoutMs: number;
}

/** host:port as it goes on a CONNECT line or in a message, IPv6 in brackets. */
export function authorityOf(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The proxy as messages name it: scheme, host and port, never the user or password. */
export function describeProxy(route: ProxiedRoute): string {
  return `${route.kind}://${authorityOf(route.host, route.port)}`;
}

/**
 * TLS to an https:// proxy. client-go reuses the cluster's TLS config for it (Go's Transport does);
 * kubegate trusts the usual roots plus the cluster's CA, keeps insecure-skip-tls-verify, and does
 * not present the client certificate to the proxy (it is meant for the API server).
 */
function proxyTlsOptions(route: ProxiedRoute, trust: ProxyTrust | undefined): ConnectionOptions {
  return {
    ...(trust?.ca ? { ca: [...rootCertificates, trust.ca.toString('utf8')] } : {}),
    rejectUnauthorized: trust?.rejectUnauthorized ?? true,
    ...(isIP(route.host) === 0 ? { servername: route.host } : {}),
    minVersion: 'TLSv1.2',
  };
}

function proxyError(route: ProxiedRoute, target: string, reason: string, cause?: unknown): KubegateError {
  return new KubegateError(
    'KG_ERR_UPSTREAM_UNREACHABLE',
    `cannot reach the API server at ${target} through the proxy ${describeProxy(route)} (from ${route.source}): ${reason}`,
    { cause },
  );
}

function reasonOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** HTTP CONNECT through an http:// or https:// proxy; Proxy-Authorization from the URL's user and password. */
async function connectThroughHttpProxy(route: ProxiedRoute, host: string, port: number, options: ProxyDialOptions): Promise<Socket> {
  const origin = `${route.kind}://${authorityOf(route.host, route.port)}`;
  const client = new Client(origin, {
    connect: { timeout: options.timeoutMs, ...(route.kind === 'https' ? proxyTlsOptions(route, options.trust) : {}) },
    headersTimeout: options.timeoutMs,
  });
  const authority = authorityOf(host, port);
  const authorization = proxyAuthorization(route);
  try {
    const { statusCode, socket } = await client.connect({
      path: authority,
      headers: { host: authority, ...(authorization !== undefined ? { 'proxy-authorization': authorization } : {}) },
    });
    if (statusCode !== 200) {
      socket.on('error', () => {}).destroy();
      const hint = statusCode === 407 ? `; check the user and password in ${route.source}` : '';
      throw proxyError(route, authority, `the proxy answered ${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trimEnd() + hint);
    }
    return socket as Socket;
  } catch (error) {
    throw isKubegateError(error) ? error : proxyError(route, authority, reasonOf(error), error);
  } finally {
    // The tunnel's socket has left the client (undici detaches it on CONNECT): closing frees only the client.
    void client.close().catch(() => {});
  }
}

/** SOCKS5 with username/password authentication when the URL has a user; the proxy resolves the host name (as Go's dialer lets it). */
async function connectThroughSocks(route: ProxiedRoute, host: string, port: number, options: ProxyDialOptions): Promise<Socket> {
  try {
    // Loaded on first use: a start without a SOCKS proxy does not evaluate socks and its address
    // parsers (about 190 KB). socks is CommonJS: `default` is its exports, in Node and in the bundle
    // alike (the bundle's chunk has no named exports; socks's own typings do not declare `default`).
    const socks: typeof import('socks') & { readonly default?: typeof import('socks') } = await import('socks');
    const { SocksClient } = socks.default ?? socks;
    const { socket } = await SocksClient.createConnection({
      command: 'connect',
      proxy: {
        host: route.host,
        port: route.port,
        type: 5,
        ...(route.username !== undefined ? { userId: route.username, password: route.password ?? '' } : {}),
      },
      destination: { host, port },
      timeout: options.timeoutMs,
      set_tcp_nodelay: true,
    });
    return socket;
  } catch (error) {
    throw proxyError(route, authorityOf(host, port), reasonOf(error), error);
  }
}

/** A connected byte stream to host:port through the proxy; failures are KubegateErrors naming the proxy (never its credentials). */
export function openProxyTunnel(route: ProxiedRoute, host: string, port: number, options: ProxyDialOptions): Promise<Socket> {
  return route.kind === 'socks5' ? connectThroughSocks(route, host, port, options) : connectThroughHttpProxy(route, host, port, options);
}
