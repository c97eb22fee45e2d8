// Applies kubegate's identity to one upstream request: Authorization and Impersonate-* headers (client-go's wrappers).

import type { ImpersonationConfig } from '../kubeconfig/rest-config.js';

/** Upstream request headers as kubegate builds them: lower-case names. */
export type HeaderMap = Record<string, string | string[]>;

/**
 * client-go's bearer/basic round-trippers add Authorization only when the request has none, so a
 * client's own token wins (spec 3.3). The impersonation round-tripper is skipped entirely when the
 * client already sent Impersonate-User; otherwise it sets user/uid and *adds* groups and extras.
 */
export function applyCredentials(
  headers: HeaderMap,
  authorization: string | undefined,
  impersonate: ImpersonationConfig | undefined,
): void {
  if (authorization !== undefined && headers.authorization === undefined) {
    headers.authorization = authorization;
  }
  if (impersonate === undefined || headers['impersonate-user'] !== undefined) return;
  headers['impersonate-user'] = impersonate.user;
  if (impersonate.uid !== undefined) headers['impersonate-uid'] = impersonate.uid;
  if (impersonate.groups.length > 0) {
    headers['impersonate-group'] = [...asList(headers['impersonate-group']), ...impersonate.groups];
  }
  for (const [key, values] of Object.entries(impersonate.extra)) {
    const name = `impersonate-extra-${escapeExtraKey(key)}`;
    headers[name] = [...asList(headers[name]), ...values];
  }
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * client-go escapes extra keys for use in a header name (transport/round_trippers.go headerKeyEscape):
 * bytes outside the legal header-name set are percent-encoded.
 */
export function escapeExtraKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&'*+.^_`|~-]/.test(ch) && ch !== '%' ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
