// How kubegate dials the API server, shared by the HTTP/1.1 pool, the upgrade tunnels and the HTTP/2 watches.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';

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

/**
 * A raw connection for an upgrade tunnel: TLS with HTTP/1.1 forced by ALPN (upgrades only exist in
 * HTTP/1.1; client-go forces it too), half-open allowed so a closed stdin still lets output flow.
 * Connection errors surface as one 'error' on the returned socket; it times out like the pool's dials.
 */
export function dialTunnel(origin: URL, tls: UpstreamTlsOptions | undefined, keepaliveMs: number): Socket {
  const host = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
  const port = origin.port ? Number(origin.port) : origin.protocol === 'https:' ? 443 : 80;
  // allowHalfOpen lives on the TCP socket; the TLS socket inherits it.
  const tcp = netConnect({ host, port, allowHalfOpen: true });
  let upstream: Socket = tcp;
  if (tls) {
    const secure = tlsConnect({ socket: tcp, host, ...tlsConnectOptions(tls), ALPNProtocols: ['http/1.1'] });
    tcp.on('error', (error) => secure.destroy(error));
    upstream = secure;
  }
  const keepalive = keepaliveMs === 0 ? DEFAULT_TUNNEL_KEEPALIVE_MS : keepaliveMs;
  if (keepalive > 0) upstream.setKeepAlive(true, keepalive);
  upstream.setNoDelay(true);
  upstream.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy(Object.assign(new Error('dial timeout'), { code: 'ETIMEDOUT' })));
  return upstream;
}
