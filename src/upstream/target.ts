// Where requests go: the API server's origin, the Host header it expects, and an optional base path.

import type { RestConfig } from '../kubeconfig/rest-config.js';

export interface UpstreamTarget {
  /** `https://host:port` (scheme and authority of the configured server). */
  readonly origin: string;
  /** The Host header value: host:port exactly as written in the server URL. */
  readonly host: string;
  /** Server URL path to prepend (only with --append-server-path), without a trailing slash. */
  readonly basePath: string;
  readonly tls: boolean;
  /** With --contexts: the served context this upstream is, named in every error its requests get. */
  readonly context?: string;
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
