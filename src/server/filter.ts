// kubectl proxy's request filter as a pure function: accept or reject (method, path, host), naming the rule.

import { KubegateError } from '../errors.js';
import { DEFAULT_ACCEPT_HOSTS, DEFAULT_ACCEPT_PATHS, DEFAULT_REJECT_METHODS, DEFAULT_REJECT_PATHS } from '../options/defaults.js';
import { compileGoRegexp } from './go-regexp.js';
import { latin1BytesAsGo } from './go-utf8.js';

/** The four filter flags, as given on the command line. */
export interface FilterFlags {
  readonly acceptHosts: string;
  readonly acceptPaths: string;
  readonly rejectPaths: string;
  readonly rejectMethods: string;
}

/** kubectl proxy's filter defaults (the values live in options/defaults.ts with every other default). */
export const DEFAULT_FILTER_FLAGS: FilterFlags = Object.freeze({
  acceptHosts: DEFAULT_ACCEPT_HOSTS,
  acceptPaths: DEFAULT_ACCEPT_PATHS,
  rejectPaths: DEFAULT_REJECT_PATHS,
  rejectMethods: DEFAULT_REJECT_METHODS,
});

export type FilterFlagName = '--accept-hosts' | '--accept-paths' | '--reject-paths' | '--reject-methods';

export interface CompiledRule {
  readonly source: string;
  /** Go's MatchString: true when the pattern matches anywhere in `text`. */
  test(text: string): boolean;
}

export interface CompiledFilter {
  readonly acceptHosts: readonly CompiledRule[];
  readonly acceptPaths: readonly CompiledRule[];
  readonly rejectPaths: readonly CompiledRule[];
  readonly rejectMethods: readonly CompiledRule[];
  /** The flag values, for messages. */
  readonly flags: FilterFlags;
}

export type FilterDecision =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly flag: FilterFlagName; readonly rule: string | undefined; readonly message: string };

const ACCEPTED: FilterDecision = Object.freeze({ accepted: true });

/**
 * The filter runs on every request, and most requests repeat the previous Host and method: a
 * one-entry memo skips re2js for those, about halving the filter's cost with the default rules
 * (test/bench/filter-match.ts).
 * Sound because a regexp test is a pure function of an immutable string; bounded to one string.
 */
function rememberLast(test: (text: string) => boolean): (text: string) => boolean {
  let lastText: string | undefined;
  let lastResult = false;
  return (text) => {
    if (text !== lastText) {
      lastResult = test(text);
      lastText = text;
    }
    return lastResult;
  };
}

/**
 * kubectl's MakeRegexpArray: split on every comma (no escaping), compile each part as a Go regexp
 * (RE2 syntax, linear-time matching); an empty flag value gives an empty list, which never matches.
 */
export function compileRules(flag: string, value: string): CompiledRule[] {
  if (value === '') return [];
  return value.split(',').map((source) => {
    try {
      const regexp = compileGoRegexp(source);
      return { source, test: rememberLast((text) => regexp.test(text)) };
    } catch (error) {
      throw new KubegateError(
        'KG_ERR_REGEX',
        `invalid regular expression ${JSON.stringify(source)} in ${flag}: ${(error as Error).message}` +
          (value.includes(',') ? ` (${flag} is split on every comma, so a comma cannot appear inside a pattern)` : ''),
        { cause: error },
      );
    }
  });
}

export function compileFilter(flags: FilterFlags): CompiledFilter {
  return Object.freeze({
    acceptHosts: compileRules('--accept-hosts', flags.acceptHosts),
    acceptPaths: compileRules('--accept-paths', flags.acceptPaths),
    rejectPaths: compileRules('--reject-paths', flags.rejectPaths),
    rejectMethods: compileRules('--reject-methods', flags.rejectMethods),
    flags,
  });
}

function firstMatch(rules: readonly CompiledRule[], value: string): CompiledRule | undefined {
  for (const rule of rules) if (rule.test(value)) return rule;
  return undefined;
}

/**
 * kubectl's FilterServer.accept: reject-paths, then reject-methods, then accept only when both an
 * accept-paths and an accept-hosts rule match. `path` is percent-decoded and prefix-stripped.
 */
export function acceptRequest(filter: CompiledFilter, method: string, path: string, host: string): FilterDecision {
  const rejectedPath = firstMatch(filter.rejectPaths, path);
  if (rejectedPath) {
    return {
      accepted: false,
      flag: '--reject-paths',
      rule: rejectedPath.source,
      message:
        `request rejected by kubegate's filter: path ${JSON.stringify(path)} matches --reject-paths rule ${JSON.stringify(rejectedPath.source)}` +
        (/exec|attach/.test(path) ? ` (exec and attach are blocked by default, as in kubectl proxy; start kubegate with --reject-paths='^$' to allow them)` : ''),
    };
  }
  const rejectedMethod = firstMatch(filter.rejectMethods, method);
  if (rejectedMethod) {
    return {
      accepted: false,
      flag: '--reject-methods',
      rule: rejectedMethod.source,
      message: `request rejected by kubegate's filter: method ${method} matches --reject-methods rule ${JSON.stringify(rejectedMethod.source)}`,
    };
  }
  if (!firstMatch(filter.acceptPaths, path)) {
    return {
      accepted: false,
      flag: '--accept-paths',
      rule: undefined,
      message: `request rejected by kubegate's filter: path ${JSON.stringify(path)} matches no --accept-paths rule (${filter.flags.acceptPaths || 'empty: nothing is accepted'})`,
    };
  }
  if (!firstMatch(filter.acceptHosts, host)) {
    return {
      accepted: false,
      flag: '--accept-hosts',
      rule: undefined,
      message:
        `request rejected by kubegate's filter: Host ${JSON.stringify(host)} matches no --accept-hosts rule (${filter.flags.acceptHosts || 'empty: nothing is accepted'}); ` +
        'use http://localhost:PORT or http://127.0.0.1:PORT, or widen --accept-hosts',
    };
  }
  return ACCEPTED;
}

/** Go's net.SplitHostPort; undefined where Go returns an error. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host: string;
  let afterHost: number;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== colon) return undefined;
    host = hostport.slice(1, end);
    afterHost = end + 1;
    if (hostport.slice(1).includes('[')) return undefined;
  } else {
    host = hostport.slice(0, colon);
    if (host.includes(':')) return undefined;
    afterHost = colon;
    if (hostport.includes('[')) return undefined;
  }
  if (hostport.slice(afterHost).includes(']')) return undefined;
  return { host, port: hostport.slice(colon + 1) };
}

/**
 * kubectl's extractHost: the Host without its port, or the raw value when it has no port. One
 * deliberate difference: an IPv6 literal keeps its brackets (`[::1]:8001` → `[::1]`), so the
 * default `^\[::1\]$` accepts it (kubectl bug kubernetes#77496). An absolute-form request target's
 * host wins over the Host header, as in Go. Node gives both as latin1; the result is the text Go's
 * regexp would see in the same bytes (UTF-8).
 */
export function hostForFilter(hostHeader: string | undefined, absoluteTargetHost: string | undefined): string {
  const raw = absoluteTargetHost !== undefined && absoluteTargetHost !== '' ? absoluteTargetHost : (hostHeader ?? '');
  const split = splitHostPort(raw);
  // Stricter than kubectl: Go would split `localhost:8001@evil.com` into host "localhost" and port
  // "8001@evil.com". A port is digits; anything else is checked whole, and fails the default rules.
  if (split === undefined || !/^\d*$/.test(split.port)) return latin1BytesAsGo(raw);
  return latin1BytesAsGo(raw.startsWith('[') ? `[${split.host}]` : split.host);
}
