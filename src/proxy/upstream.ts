// The undici Agent that carries requests to the API server, with TLS settings spelled out from the kubeconfig.

import { Agent, buildConnector } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';

/** client-go's transport: dial timeout 30 s, TCP keep-alive 30 s (transport/cache.go). */
const CONNECT_TIMEOUT_MS = 30_000;
const TCP_KEEPALIVE_MS = 30_000;

export interface UpstreamTarget {
  /** `https://host:port` (scheme and authority of the configured server). */
  readonly origin: string;
  /** The Host header value: host:port exactly as written in the server URL. */
  readonly host: string;
  /** Server URL path to prepend (only with --append-server-path), without a trailing slash. */
  readonly basePath: string;
  readonly tls: boolean;
}

export function resolveUpstreamTarget(config: RestConfig, appendServerPath: boolean): UpstreamTarget {
  const url = config.serverUrl;
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return {
    origin: url.origin,
    host: url.host,
    basePath: appendServerPath ? path : '',
    tls: url.protocol === 'https:',
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

/**
 * An Agent whose connector rebuilds its TLS context only when the CA or client certificate changed.
 * Body and header timeouts are off: watches and `logs -f` stay open for as long as the client wants,
 * as with client-go, which sets no response timeout.
 */
export function createUpstreamAgent(config: RestConfig, credentials: Credentials): Agent {
  let cached: { readonly key: readonly (Buffer | undefined)[]; readonly connector: buildConnector.connector } | undefined;

  const connectorFor = (): buildConnector.connector => {
    const tls = currentTlsOptions(config, credentials);
    const key = [tls.ca, tls.cert, tls.key];
    if (cached && cached.key.every((value, i) => value === key[i])) return cached.connector;
    const connector = buildConnector({
      timeout: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelay: TCP_KEEPALIVE_MS,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
      minVersion: 'TLSv1.2',
    });
    cached = { key, connector };
    return connector;
  };

  return new Agent({
    connect: (options, callback) => connectorFor()(options, callback),
    bodyTimeout: 0,
    headersTimeout: 0,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  });
}
