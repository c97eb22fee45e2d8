// Decides who an upstream request runs as: Authorization, Impersonate-* and User-Agent, read as client-go reads them.

import type { ImpersonationConfig } from '../kubeconfig/rest-config.js';

/** Upstream request headers as kubegate builds them: lower-case names. */
export type HeaderMap = Record<string, string | string[]>;

/** Identity headers for upstream: lower-case name → the lines to send, in order. */
export type IdentityHeaders = Record<string, string[]>;

const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';
/** Headers client-go reads with Header.Get: the first line is the value, and an empty one means absent. */
const SINGLE_VALUED = new Set(['authorization', 'impersonate-user', 'impersonate-uid', 'user-agent']);

/** Whether kubegate decides this (lower-case) header itself instead of copying the client's lines. */
export function isIdentityHeader(name: string): boolean {
  return SINGLE_VALUED.has(name) || name === 'impersonate-group' || name.startsWith(IMPERSONATE_EXTRA_PREFIX);
}

export interface IdentityOptions {
  /** The kubeconfig's `as`, `as-groups`, `as-uid`, `as-user-extra` (or the flags). */
  readonly impersonate: ImpersonationConfig | undefined;
  /** Sent when the client sends no (or an empty) User-Agent, as client-go's user-agent round-tripper does. */
  readonly userAgent: string;
  /**
   * Ignore client headers named in `Connection` (ReverseProxy drops them before the credential
   * round-trippers run, spec 3.2). Upgrade tunnels forward the client's head verbatim (spec 3.6): false.
   */
  readonly dropConnectionListed: boolean;
}

export interface IdentityDecision {
  /**
   * The client sent a non-empty Authorization. It is forwarded as sent and wins: kubegate adds no
   * credential, so the caller asks no credential source (no exec plugin run), and a 401 is the
   * client's to handle (no invalidation, no retry), as client-go's bearer/basic/exec round-trippers.
   */
  readonly clientAuthorization: boolean;
  /**
   * Every identity header to send upstream. `authorization` is kubegate's credential (undefined for
   * none, e.g. an http:// server); it is ignored when `clientAuthorization`. The caller forwards no
   * client header for which isIdentityHeader(name) holds and sends these instead.
   */
  headers(authorization: string | undefined): IdentityHeaders;
}

/**
 * Reads the client's identity headers from Node's raw list ([name, value, name, value, …], as in
 * `request.rawHeaders`) the way client-go does (transport/round_trippers.go): Header.Get returns the
 * first line, and `len(value) == 0` counts as no header. So an empty first `Authorization`,
 * `Impersonate-User`, `Impersonate-Uid` or `User-Agent` line makes that header absent (all its
 * lines dropped, kubegate's own value used), and empty `Impersonate-Group`/`-Extra-*` lines name
 * nothing and are dropped one by one. Repeated lines stay separate lines, never joined with ", ".
 */
export function decideIdentity(rawHeaders: readonly string[], options: IdentityOptions): IdentityDecision {
  const lines = identityLines(rawHeaders, options.dropConnectionListed);
  const clientAuthorization = lines.has('authorization');
  return {
    clientAuthorization,
    headers(authorization) {
      const out: IdentityHeaders = {};
      const own = clientAuthorization ? lines.get('authorization') : authorization === undefined ? undefined : [authorization];
      if (own) out.authorization = own;
      out['user-agent'] = lines.get('user-agent') ?? [options.userAgent];
      addImpersonation(out, lines, options.impersonate);
      return out;
    },
  };
}

/** The client's identity lines that count: Connection-listed names skipped, absent and empty ones removed. */
function identityLines(rawHeaders: readonly string[], dropConnectionListed: boolean): Map<string, string[]> {
  // One pass: Connection may come after the lines it names, so those are dropped at the end.
  let listed: Set<string> | undefined;
  const lines = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === 'connection') {
      if (dropConnectionListed) for (const listedName of value.split(',')) (listed ??= new Set()).add(listedName.trim().toLowerCase());
      continue;
    }
    if (!isIdentityHeader(name)) continue;
    const prior = lines.get(name);
    if (prior === undefined) lines.set(name, [value]);
    else prior.push(value);
  }
  for (const [name, values] of lines) {
    const kept = listed?.has(name) ? [] : SINGLE_VALUED.has(name) ? (isEmpty(values[0]) ? [] : values) : values.filter((value) => !isEmpty(value));
    if (kept.length === 0) lines.delete(name);
    else lines.set(name, kept);
  }
  return lines;
}

/** Go's textproto trims spaces and tabs around a value, so a value of only those is empty. */
function isEmpty(value: string | undefined): boolean {
  return value === undefined || /^[ \t]*$/.test(value);
}

/**
 * client-go's impersonating round-tripper: skipped when the client names a user; otherwise it
 * *sets* Impersonate-User (and Impersonate-Uid when configured) and *adds* groups and extras after
 * the client's own lines.
 */
function addImpersonation(out: IdentityHeaders, lines: ReadonlyMap<string, string[]>, impersonate: ImpersonationConfig | undefined): void {
  for (const [name, values] of lines) if (name.startsWith('impersonate-')) out[name] = [...values];
  if (impersonate === undefined || lines.has('impersonate-user')) return;
  out['impersonate-user'] = [impersonate.user];
  if (impersonate.uid !== undefined && impersonate.uid !== '') out['impersonate-uid'] = [impersonate.uid];
  if (impersonate.groups.length > 0) out['impersonate-group'] = [...(out['impersonate-group'] ?? []), ...impersonate.groups];
  for (const [key, values] of Object.entries(impersonate.extra)) {
    const name = `${IMPERSONATE_EXTRA_PREFIX}${escapeExtraKey(key).toLowerCase()}`;
    out[name] = [...(out[name] ?? []), ...values];
  }
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
