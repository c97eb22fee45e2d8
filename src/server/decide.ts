// Decides what to do with one request (redirect, 404, 403, static file, or forward) — the same for HTTP and upgrades.

import type { IncomingMessage } from 'node:http';
import { checkBrowserRequest, type BrowserPolicy } from './browser-policy.js';
import { acceptRequest, hostForFilter, type CompiledFilter } from './filter.js';
import { checkPolicy, type CompiledPolicy, type PolicyVerdict } from './policy.js';
import { BAD_REQUEST, badRequestBecause, refusalForVersion, UNSUPPORTED_TRANSFER_ENCODING, type Refusal } from './refusal.js';
import { readRequestInfo, type RequestInfo } from './request-info.js';
import { resolveRoute, type Route, type RouteOptions } from './route.js';
import { isUiTarget, resolveUiRoute } from './ui-route.js';
import { errorAnswer, statusBody, wantsPlainTextError } from '../status.js';

export type Decision =
  /** Refused before routing, as Go's server refuses a request it will not read (written raw, then closed). */
  | ({ readonly kind: 'refuse' } & Refusal)
  | {
      readonly kind: 'reply';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
      readonly rejectedBy?: string;
      /** A policy refusal: the preset or `--policy` that refused, and its Forbidden message (logged and counted by rule). */
      readonly refusedByPolicy?: { readonly rule: string; readonly message: string };
      /** With --contexts: the context a rejection happened in (counted with its label). */
      readonly context?: string;
    }
  | { readonly kind: 'static'; readonly path: string }
  | {
      readonly kind: 'api';
      readonly upstreamPath: string;
      readonly query: string | undefined;
      readonly filterPath: string;
      /** A watch or follow: never ends by itself (stream pool, flushed headers, ended at shutdown). */
      readonly streaming: boolean;
      /** kube-apiserver's reading of the request, when a policy asked for it. */
      readonly info?: RequestInfo;
      /** CORS headers to add to the API server's response (--cors-allow-origins). */
      readonly responseHeaders?: Readonly<Record<string, string>>;
      /** With --contexts: the served context whose upstream carries it (server/context-route.ts). */
      readonly context?: string;
    }
  /** --ui: the page, its assets and its event stream, under /-/ui/ (path after the prefix). */
  | { readonly kind: 'ui'; readonly path: string };

/** The parts of a request's headers the decision looks at. */
export interface RequestFacts {
  readonly host?: string;
  /** How many Host headers came (Node keeps only the first; Go rejects more than one). */
  readonly hostCount?: number;
  /** `1.1` or `1.0` (Go requires a Host from HTTP/1.1 on). */
  readonly httpVersion?: string;
  /** Each Transfer-Encoding header line's value, as sent. */
  readonly transferEncodings?: readonly string[];
  readonly origin?: string;
  readonly preflightMethod?: string;
  readonly preflightHeaders?: string;
}

/** A type's fields made assignable: hot-path objects are built field by field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function requestFacts(request: Pick<IncomingMessage, 'headers' | 'rawHeaders' | 'httpVersion'>): RequestFacts {
  let hostCount = 0;
  const transferEncodings: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Compared by length first: this runs for every header of every request.
    if (name.length === 4 && name.toLowerCase() === 'host') hostCount++;
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') transferEncodings.push(raw[i + 1] ?? '');
  }
  const headers = request.headers;
  // Assigned, not spread from conditional literals: six spreads cost about 3 us per request.
  const facts: Mutable<RequestFacts> = {};
  if (headers.host !== undefined) facts.host = headers.host;
  facts.hostCount = hostCount;
  facts.httpVersion = request.httpVersion;
  facts.transferEncodings = transferEncodings;
  if (headers.origin !== undefined) facts.origin = headers.origin;
  const preflightMethod = headers['access-control-request-method'];
  if (typeof preflightMethod === 'string') facts.preflightMethod = preflightMethod;
  const preflightHeaders = headers['access-control-request-headers'];
  if (typeof preflightHeaders === 'string') facts.preflightHeaders = preflightHeaders;
  return facts;
}

export interface DecisionContext {
  readonly route: RouteOptions;
  /** Undefined with --disable-filter. */
  readonly filter: CompiledFilter | undefined;
  /** Undefined unless --accept-origins or --cors-allow-origins is set. */
  readonly browser?: BrowserPolicy | undefined;
  /** Undefined unless --read-only, --deny-secrets or --namespaces is set. */
  readonly policy?: CompiledPolicy | undefined;
  /** --ui: /-/ui/ is the page's (src/server/ui-route.ts). */
  readonly ui?: boolean;
}

type Reply = Extract<Decision, { kind: 'reply' }>;
type ApiDecision = Extract<Decision, { kind: 'api' }>;

/** Go's http.Error: plain text, nosniff, the message plus a newline. */
function goError(status: number, text: string): Reply {
  return {
    kind: 'reply',
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body: text,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Go's http.Redirect with 301: an HTML body for GET and HEAD (HEAD sends no body), nothing for other methods. */
export function redirect(method: string, location: string): Decision {
  if (method === 'GET' || method === 'HEAD') {
    return {
      kind: 'reply',
      status: 301,
      headers: { location, 'content-type': 'text/html; charset=utf-8' },
      body: `<a href="${escapeHtml(location)}">Moved Permanently</a>.\n\n`,
    };
  }
  return { kind: 'reply', status: 301, headers: { location }, body: '' };
}

/**
 * A filter rejection naming the rule (deliberate difference 2; kubectl sends plain `Forbidden`): a
 * Kubernetes Status, or the message as text for the discovery documents client-go reads raw.
 */
export function rejection(message: string, flag: string, method: string, path: string): Reply {
  const { headers, body } = errorAnswer({ code: 403, reason: 'Forbidden', message }, wantsPlainTextError(method, path));
  return { kind: 'reply', status: 403, headers, body, rejectedBy: flag };
}

/** A policy refusal: the Status kube-apiserver writes for an RBAC denial (reason Forbidden, details naming the object). */
function policyRejection(verdict: Extract<PolicyVerdict, { allowed: false }>): Reply {
  const body = { ...statusBody(403, 'Forbidden', verdict.message), details: verdict.details };
  return {
    kind: 'reply',
    status: 403,
    headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify(body),
    refusedByPolicy: { rule: verdict.rule, message: verdict.message },
  };
}

/** An absolute-form request target (`GET http://host/path`) names the host the filter must check. */
export function absoluteTargetHost(target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const match = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  if (!match) return undefined;
  const authority = match[1] as string;
  const at = authority.lastIndexOf('@');
  return at === -1 ? authority : authority.slice(at + 1);
}

/** httpguts.ValidHostHeader: only the bytes a host, an IP literal and a port can hold (and `%`). */
const VALID_HOST = /^[A-Za-z0-9!$%&'()*+,\-.:;=[\]_~]*$/;

/**
 * What Go's server refuses before any handler, in its order (request.go readRequest, then
 * server.go): a request line without a version, a target it cannot parse, a second Host, a transfer coding other than one `chunked`
 * (HTTP/1.1; Go ignores Transfer-Encoding on HTTP/1.0), an HTTP major version other than 1, no
 * Host from HTTP/1.1 on, a Host with a byte no host can hold. Node's parser lets each of these through.
 */
function refusalBeforeRouting(method: string, route: Route, facts: RequestFacts): Refusal | undefined {
  const version = facts.httpVersion === undefined ? undefined : refusalForVersion(facts.httpVersion);
  if (version === BAD_REQUEST || route.kind === 'bad-request') return BAD_REQUEST;
  const hostCount = facts.hostCount ?? (facts.host === undefined ? 0 : 1);
  if (hostCount > 1) return BAD_REQUEST;
  const http11 = facts.httpVersion === undefined || facts.httpVersion !== '1.0';
  const codings = facts.transferEncodings ?? [];
  if (http11 && codings.length > 0 && (codings.length > 1 || (codings[0] as string).trim().toLowerCase() !== 'chunked')) {
    return UNSUPPORTED_TRANSFER_ENCODING;
  }
  if (version !== undefined) return version;
  if (http11 && hostCount === 0 && method !== 'CONNECT') return badRequestBecause('missing required Host header');
  if (hostCount === 1 && !VALID_HOST.test(facts.host ?? '')) return badRequestBecause('malformed Host header');
  return undefined;
}

/**
 * The `*` target: Go's server answers `OPTIONS *` itself (200, empty); its ServeMux answers any
 * other method with an empty 400 and closes.
 */
function serverWide(method: string): Reply {
  if (method === 'OPTIONS') return { kind: 'reply', status: 200, headers: {}, body: '' };
  return { kind: 'reply', status: 400, headers: { connection: 'close' }, body: '' };
}

/**
 * kubectl's order: the mux (clean-path 301, prefix 301, 404, static vs API) runs first, then the
 * filter on the decoded, prefix-stripped path, then the proxy. Upgrades take the same path.
 */
export function decideRequest(method: string, target: string, facts: RequestFacts, context: DecisionContext): Decision {
  const route = resolveRoute(target, context.route);
  const refusal = refusalBeforeRouting(method, route, facts);
  if (refusal !== undefined) return { kind: 'refuse', ...refusal };
  if (target === '*') return serverWide(method);
  if (context.ui === true && isUiTarget(target)) {
    const ui = decideUi(method, target, facts, context.filter);
    if (ui !== undefined) return ui;
  }
  switch (route.kind) {
    case 'redirect':
      return redirect(method, route.location);
    case 'not-found':
      return goError(404, '404 page not found\n');
    case 'bad-request':
      // refused above: Go's server cannot parse such a target
      return { kind: 'refuse', ...BAD_REQUEST };
    case 'static':
      return { kind: 'static', path: route.path };
    case 'api': {
      if (context.filter) {
        const host = hostForFilter(facts.host, absoluteTargetHost(target));
        const verdict = acceptRequest(context.filter, method, route.filterPath, host);
        if (!verdict.accepted) return rejection(verdict.message, verdict.flag, method, route.filterPath);
      }
      const browser = context.browser ? checkBrowserRequest(context.browser, method, facts.origin, facts.preflightMethod, facts.preflightHeaders) : undefined;
      if (browser?.kind === 'reject') return rejection(browser.message, browser.flag, method, route.filterPath);
      if (browser?.kind === 'preflight') return { kind: 'reply', status: 204, headers: browser.headers, body: '' };
      // kube-apiserver's reading of the request, once, from the path the filter checked; only when a policy needs it.
      const info = context.policy ? readRequestInfo(method, route.filterPath, new URLSearchParams(route.hasQuery ? route.rawQuery : '')) : undefined;
      if (context.policy && info) {
        const verdict = checkPolicy(context.policy, info);
        if (!verdict.allowed) return policyRejection(verdict);
      }
      // Optional fields assigned, not spread from conditional literals (as in requestFacts).
      const api: Mutable<ApiDecision> = {
        kind: 'api',
        upstreamPath: route.upstreamPath,
        query: route.hasQuery ? route.rawQuery : undefined,
        filterPath: route.filterPath,
        streaming: isStreamingRequest(route.upstreamPath, route.hasQuery ? route.rawQuery : ''),
      };
      if (info) api.info = info;
      if (browser?.responseHeaders) api.responseHeaders = browser.responseHeaders;
      return api;
    }
    default: {
      const unreachable: never = route;
      throw new Error(`unhandled route ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The page's route (--ui), answered with the same redirect and filter rejection as the API's. */
function decideUi(method: string, target: string, facts: RequestFacts, filter: CompiledFilter | undefined): Decision | undefined {
  const ui = resolveUiRoute(method, target, hostForFilter(facts.host, undefined), filter);
  if (ui === undefined) return undefined;
  if (ui.kind === 'redirect') return redirect(method, ui.location);
  if (ui.kind === 'reject') return rejection(ui.message, '--accept-hosts', method, target);
  if (ui.kind === 'method-not-allowed') return { ...goError(405, 'Method Not Allowed\n'), headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', allow: 'GET, HEAD' } };
  return { kind: 'ui', path: ui.path };
}

/** Watches and `logs?follow=true` never end on their own (the path form `/watch/` is kube-apiserver's legacy one). */
export function isStreamingRequest(path: string, rawQuery: string): boolean {
  if (path.includes('/watch/')) return true;
  return /(^|&)(watch|follow)=(true|1)(&|$)/.test(rawQuery);
}
