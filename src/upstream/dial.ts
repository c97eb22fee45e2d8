// How kubegate dials the API server, shared by the HTTP/1.1 pool, the upgrade tunnels and the HTTP/2 watches.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { buildConnector } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import type { ProxiedRoute, ProxyRoute } from '../kubeconfig/proxy.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { openProxyTunnel } from './proxy-dial.js';

/** client-go's transport: dial timeout 30 s, TCP keep-alive 30 s (transport/cache.go). */
export const CONNECT_TIMEOUT_MS = 30_000;
export const TCP_KEEPALIVE_MS = 30_000;

/** node:tls options for one connection to the API server: its CA, client certificate and SNI. */
export function tlsConnectOptions(tls: UpstreamTlsOptions): ConnectionOptions {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
    rejectUnauthorized: tls.rejectUnauthorized,
    minVersion: 'TLSv1.2',
  };
}

/** TLS options for one connection to the API server; shared by the HTTP agent and the upgrade tunnel. */
export interface UpstreamTlsOptions {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
}

/**
 * Reads the current CA and client certificate from the credential source, so a rotated file (or an
 * exec plugin's new certificate) is used by the next new connection.
 */
export function currentTlsOptions(config: RestConfig, credentials: Credentials): UpstreamTlsOptions {
  const clientCertificate = credentials.clientCertificate();
  return {
    ca: config.tls.insecureSkipTlsVerify ? undefined : credentials.certificateAuthority(),
    cert: clientCertificate?.cert,
    key: clientCertificate?.key,
    servername: config.tls.serverName,
    // Verification is skipped only when the kubeconfig or a flag says insecure-skip-tls-verify.
    rejectUnauthorized: !config.tls.insecureSkipTlsVerify,
  };
}

/** Go's net.Dialer: KeepAlive 0 means the default 15 s probes; a negative value disables them. */
const DEFAULT_TUNNEL_KEEPALIVE_MS = 15_000;

/** Gets the dialled socket, or why the dial failed before any socket existed (a proxy that refused). */
export type OnSocket = (error: Error | undefined, socket: Socket | undefined) => void;

/** The proxied route, or undefined when connections go direct. */
function proxied(route: ProxyRoute | undefined): ProxiedRoute | undefined {
  return route !== undefined && route.kind !== 'direct' ? route : undefined;
}

/** Where and how to dial: the API server's host and port, TLS options for it (none: plain HTTP), the https:// proxy's trust. */
export interface DialTarget {
  readonly host: string;
  readonly port: number;
  readonly secure: ConnectionOptions | undefined;
  readonly trust: UpstreamTlsOptions | undefined;
  /** Upgrade tunnels keep reading after the server's FIN (allowHalfOpen lives on the TCP socket; TLS inherits it). */
  readonly allowHalfOpen: boolean;
}

/** TLS to the API server over an open TCP socket or proxy tunnel; a failure below TLS fails the TLS socket. */
function secureOver(socket: Socket, target: DialTarget, secure: ConnectionOptions): Socket {
  const tls = tlsConnect({ socket, host: target.host, ...secure });
  socket.on('error', (error) => tls.destroy(error));
  return tls;
}

/**
 * The one dial recipe: TCP to host:port, or a tunnel to it through the proxy (proxy-dial.ts), then
 * TLS to the API server over it when `secure` is given (its servername, CA, client certificate and
 * ALPN as the caller sets them). Direct, `onSocket` runs at once with a socket still connecting; through
 * a proxy it runs once the tunnel is open, the TLS handshake (if any) under way. Either way 'secureConnect'
 * tells a TLS caller the connection is ready; a plain proxied socket is connected already.
 */
export function dialUpstream(route: ProxyRoute | undefined, target: DialTarget, onSocket: OnSocket): void {
  const { host, port, secure } = target;
  const proxy = proxied(route);
  if (proxy === undefined) {
    if (secure && !target.allowHalfOpen) onSocket(undefined, tlsConnect({ host, port, ...secure }));
    else {
      const tcp = netConnect({ host, port, allowHalfOpen: target.allowHalfOpen });
      onSocket(undefined, secure ? secureOver(tcp, target, secure) : tcp);
    }
    return;
  }
  openProxyTunnel(proxy, host, port, { trust: target.trust, timeoutMs: CONNECT_TIMEOUT_MS }).then(
    (tunnel) => {
      tunnel.allowHalfOpen = target.allowHalfOpen;
      onSocket(undefined, secure ? secureOver(tunnel, target, secure) : tunnel);
    },
    (error: unknown) => onSocket(error as Error, undefined),
  );
}

/**
 * undici's connector with the proxy in front: the tunnel first, then undici's own connector does TLS
 * over it (its `httpSocket`, as undici's ProxyAgent hands it a CONNECT socket); plain http:// servers
 * get the tunnel as it is. Connections go direct when there is no proxy.
 */
export function proxiedConnector(route: ProxyRoute | undefined, trust: UpstreamTlsOptions, connect: buildConnector.connector): buildConnector.connector {
  const proxy = proxied(route);
  if (proxy === undefined) return connect;
  return (options, callback) => {
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    openProxyTunnel(proxy, unbracket(options.hostname), port, { trust, timeoutMs: CONNECT_TIMEOUT_MS }).then(
      (tunnel) => (options.protocol === 'https:' ? connect({ ...options, httpSocket: tunnel }, callback) : callback(null, tunnel)),
      (error: unknown) => callback(error as Error, null),
    );
  };
}

/**
 * undici derives each request's TLS servername from its Host header and lets it win over the
 * connector's own (lib/core/request.js, lib/core/connect.js), so a tls-server-name would be ignored
 * for a server with a DNS name. client-go verifies and sends SNI for tls-server-name: pin it.
 */
export function pinServerName(connect: buildConnector.connector, servername: string | undefined): buildConnector.connector {
  if (servername === undefined) return connect;
  return (options, callback) => connect({ ...options, servername }, callback);
}

function unbracket(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/**
 * A raw connection for an upgrade tunnel: TLS with HTTP/1.1 forced by ALPN (upgrades only exist in
 * HTTP/1.1; client-go forces it too), half-open allowed so a closed stdin still lets output flow.
 * `onSocket` gets a socket that emits 'secureConnect' (TLS) or 'connect' once ready, or one 'error';
 * it times out like the pool's dials. Through a proxy, a refused tunnel is `onSocket`'s error.
 */
export function dialTunnel(origin: URL, tls: UpstreamTlsOptions | undefined, keepaliveMs: number, route: ProxyRoute | undefined, onSocket: OnSocket): void {
  const host = unbracket(origin.hostname);
  const port = origin.port ? Number(origin.port) : origin.protocol === 'https:' ? 443 : 80;
  const secure = tls ? { ...tlsConnectOptions(tls), ALPNProtocols: ['http/1.1'] } : undefined;
  const viaProxy = proxied(route) !== undefined;
  dialUpstream(route, { host, port, secure, trust: tls, allowHalfOpen: true }, (error, socket) => {
    if (error !== undefined || socket === undefined) {
      onSocket(error ?? new Error('no socket'), undefined);
      return;
    }
    const keepalive = keepaliveMs === 0 ? DEFAULT_TUNNEL_KEEPALIVE_MS : keepaliveMs;
    if (keepalive > 0) socket.setKeepAlive(true, keepalive);
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('dial timeout'), { code: 'ETIMEDOUT' })));
    onSocket(undefined, socket);
    // A plain tunnel from a proxy is connected already: say so the way a fresh TCP socket would.
    if (viaProxy && tls === undefined) process.nextTick(() => socket.emit('connect'));
  });
}
