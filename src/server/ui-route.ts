// --ui: which request targets are the page's, and whether the filter's Host rule lets them in.
//
// The prefix is `/-/ui/`: every path kube-apiserver serves starts with a word (`/api`, `/apis`,
// `/healthz`, `/livez`, `/readyz`, `/metrics`, `/openapi`, `/version`, `/logs`, `/.well-known`,
// `/openid`), none with `-`, and `/-/` is the reserved-path convention Prometheus and Alertmanager use
// (`/-/healthy`), so no API path is hidden by the page.

import { cleanPath } from './route.js';
import type { CompiledFilter } from './filter.js';

export const UI_PREFIX = '/-/ui/';

export type UiRoute =
  | { readonly kind: 'page'; readonly path: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'reject'; readonly message: string }
  | { readonly kind: 'method-not-allowed' };

/** Cheap first test, run for every request when --ui is on. */
export function isUiTarget(target: string): boolean {
  return target.startsWith('/-/ui') && (target.length === 5 || target[5] === '/' || target[5] === '?');
}

/**
 * The page's route, or undefined when the target is not clean (`/-/ui/../api`): those take the
 * ordinary route, whose clean-path redirect is Go's.
 */
export function resolveUiRoute(method: string, target: string, host: string, filter: CompiledFilter | undefined): UiRoute | undefined {
  const question = target.indexOf('?');
  const path = question === -1 ? target : target.slice(0, question);
  if (path === '/-/ui') return { kind: 'redirect', location: UI_PREFIX };
  if (cleanPath(path) !== path || path.includes('%')) return undefined;
  if (filter && !filter.acceptHosts.some((rule) => rule.test(host))) {
    return {
      kind: 'reject',
      message:
        `request rejected by kubegate's filter: Host ${JSON.stringify(host)} matches no --accept-hosts rule (${filter.flags.acceptHosts || 'empty: nothing is accepted'}); ` +
        'open the page at http://localhost:PORT/-/ui/ or http://127.0.0.1:PORT/-/ui/, or widen --accept-hosts',
    };
  }
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'method-not-allowed' };
  return { kind: 'page', path: path.slice(UI_PREFIX.length) };
}
