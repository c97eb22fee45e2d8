// Checks for requests made by web browsers, which kubectl proxy does not have: an opt-in Origin
// check (--accept-origins) and an opt-in CORS allowlist (--cors-allow-origins). Both are off by
// default, so kubegate behaves as kubectl proxy unless asked.
//
// Why: --accept-hosts stops DNS rebinding, but any page the user visits can still send requests to
// http://localhost:8001 (a form POST, or a WebSocket to exec: browsers do not apply CORS to either).
// Browsers always send Origin on those, so rejecting unknown origins closes that door.

import { compileRules, type CompiledRule } from './filter.js';
import { latin1BytesAsGo } from './go-utf8.js';

export interface BrowserPolicyFlags {
  /** Regexes; a request with an Origin header must match one. */
  readonly acceptOrigins?: string;
  /** Regexes; a matching Origin gets CORS response headers and its preflights are answered. */
  readonly corsAllowOrigins?: string;
}

export interface BrowserPolicy {
  readonly acceptOrigins: readonly CompiledRule[] | undefined;
  readonly corsOrigins: readonly CompiledRule[] | undefined;
}

export type BrowserVerdict =
  | { readonly kind: 'pass'; readonly responseHeaders: Readonly<Record<string, string>> | undefined }
  | { readonly kind: 'reject'; readonly flag: '--accept-origins' | '--cors-allow-origins'; readonly message: string }
  | { readonly kind: 'preflight'; readonly headers: Readonly<Record<string, string>> };

const PASS: BrowserVerdict = Object.freeze({ kind: 'pass', responseHeaders: undefined });
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
/** Headers a browser app needs to read from API responses. */
const EXPOSED_HEADERS = 'Audit-Id, Content-Type, Content-Encoding, Warning, Retry-After';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** Undefined when neither flag is set: the request path then skips this module entirely. */
export function compileBrowserPolicy(flags: BrowserPolicyFlags): BrowserPolicy | undefined {
  if (flags.acceptOrigins === undefined && flags.corsAllowOrigins === undefined) return undefined;
  return {
    acceptOrigins: flags.acceptOrigins === undefined ? undefined : compileRules('--accept-origins', flags.acceptOrigins),
    corsOrigins: flags.corsAllowOrigins === undefined ? undefined : compileRules('--cors-allow-origins', flags.corsAllowOrigins),
  };
}

/** Patterns that match more than the origin they seem to name (`https://app.example.com` also matches `https://app.example.com.evil.net`). */
export function unanchoredPatterns(flags: BrowserPolicyFlags): string[] {
  const patterns = [flags.acceptOrigins, flags.corsAllowOrigins].flatMap((value) => (value ? value.split(',') : []));
  return patterns.filter((pattern) => !pattern.startsWith('^') || !pattern.endsWith('$'));
}

/** `value` is a header as Node gives it (latin1); the rules see its bytes as Go does (UTF-8). */
const matches = (rules: readonly CompiledRule[] | undefined, value: string): boolean => {
  const text = latin1BytesAsGo(value);
  return rules?.some((rule) => rule.test(text)) ?? false;
};

export function checkBrowserRequest(policy: BrowserPolicy, method: string, origin: string | undefined, preflightMethod: string | undefined, preflightHeaders: string | undefined): BrowserVerdict {
  // Not a browser (curl, kubectl, scripts): nothing to check.
  if (origin === undefined) return PASS;
  const corsAllowed = matches(policy.corsOrigins, origin);

  if (method === 'OPTIONS' && preflightMethod !== undefined && policy.corsOrigins !== undefined) {
    if (!corsAllowed) {
      return { kind: 'reject', flag: '--cors-allow-origins', message: `request rejected by kubegate: Origin ${JSON.stringify(origin)} matches no --cors-allow-origins rule` };
    }
    return {
      kind: 'preflight',
      headers: {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': ALLOWED_METHODS,
        ...(preflightHeaders ? { 'access-control-allow-headers': preflightHeaders } : {}),
        'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    };
  }
  if (policy.acceptOrigins !== undefined && !corsAllowed && !matches(policy.acceptOrigins, origin)) {
    return {
      kind: 'reject',
      flag: '--accept-origins',
      message: `request rejected by kubegate's filter: Origin ${JSON.stringify(origin)} matches no --accept-origins rule; a web page may not use this proxy unless its origin is listed`,
    };
  }
  if (!corsAllowed) return PASS;
  return { kind: 'pass', responseHeaders: { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'Origin' } };
}
