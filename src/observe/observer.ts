// What the proxy reports as it works (requests, streams, tunnels, rejections, errors): the interface metrics implement.

import { BUILT_IN_RESOURCE_LABELS } from './builtin-resources.js';

export type CredentialRefreshSource = 'exec' | 'token-file' | 'api-401';

export type UpstreamErrorKind = 'unreachable' | 'tls' | 'protocol' | 'credential' | 'aborted';

export interface ProxyMetrics {
  requestStarted(): void;
  requestFinished(method: string, resource: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void;
  watchOpened(): void;
  watchClosed(): void;
  tunnelOpened(): void;
  tunnelClosed(): void;
  filterRejected(flag: string): void;
  upstreamError(kind: UpstreamErrorKind): void;
  /** A credential was fetched again: an exec plugin run, a rotated token file, or the API server rejecting one (401). */
  credentialRefresh(source: CredentialRefreshSource, outcome: 'success' | 'failure'): void;
  /** A request refused by a policy: `--read-only`, `--deny-secrets`, `--namespaces` or `--policy`. */
  policyDenied(rule: string): void;
}

/** Metrics switched off: the same calls, no work. */
export const NO_METRICS: ProxyMetrics = {
  requestStarted: () => {},
  requestFinished: () => {},
  watchOpened: () => {},
  watchClosed: () => {},
  tunnelOpened: () => {},
  tunnelClosed: () => {},
  filterRejected: () => {},
  upstreamError: () => {},
  credentialRefresh: () => {},
  policyDenied: () => {},
};

/**
 * The API resource a path names, for a bounded metric label: `pods`, `pods/log`, `apps/deployments`,
 * `nonresource` for `/version`, `/healthz`..., `discovery` for `/api`, `/apis/apps/v1`, and `other` for
 * anything that is not a built-in resource (custom resources, typos, a client's junk paths), so clients
 * cannot choose labels. Names and namespaces never become labels.
 */
export function resourceLabel(path: string): string {
  const parts = path.split('/').filter((part) => part.length > 0);
  let rest: string[];
  let group = '';
  if (parts[0] === 'api' && parts.length >= 2) {
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else if (parts[0] === 'api' || parts[0] === 'apis') {
    return 'discovery';
  } else {
    return 'nonresource';
  }
  if (rest[0] === 'watch') rest = rest.slice(1);
  if (rest.length === 0) return 'discovery';
  if (rest[0] === 'namespaces' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')) {
    // A namespace's own subresources (/api/v1/namespaces/NAME/status), not a resource inside it.
    rest = ['namespaces', rest[1] as string, rest[2]];
  } else if (rest[0] === 'namespaces' && rest.length >= 3) {
    rest = rest.slice(2);
  }
  const resource = rest[0] as string;
  const subresource = rest.length >= 3 ? `/${rest[2] as string}` : '';
  const label = `${group ? `${group}/` : ''}${resource}${subresource}`;
  return BUILT_IN_RESOURCE_LABELS.has(label) ? label : 'other';
}
