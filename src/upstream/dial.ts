// How kubegate dials the API server, shared by the HTTP/1.1 pool, the upgrade tunnels and the HTTP/2 watches.

import type { ConnectionOptions } from 'node:tls';
import type { UpstreamTlsOptions } from './pool.js';

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
