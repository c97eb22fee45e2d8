// --contexts: which served context a request is for, decided before the ordinary decision, which then runs unchanged on the rest.
//
// The filter rule with several contexts (README "Several clusters on one port"):
//   1. The whole path, as received, goes through kubectl's mux and the complete filter first
//      (--accept-hosts, --reject-methods, --accept-paths and --reject-paths on the decoded path
//      with its /clusters/NAME in front): so --accept-paths=^/clusters/dev/ serves one context only.
//   2. The raw path after /clusters/NAME, byte for byte, then takes exactly the decision a
//      single-context kubegate takes (route with --api-prefix, --accept-hosts, --reject-methods,
//      --reject-paths, browser policy, presets), only --accept-paths being left to step 1.
// Every rule that refuses a request in a single-context kubegate refuses the same request here.

import type { KubegateError } from '../errors.js';
import { errorAnswer, wantsPlainTextError } from '../status.js';
import { CLUSTERS_PATH, contextSegment, matchContextPath } from './context-path.js';
import { decideRequest, redirect, type Decision, type DecisionContext, type RequestFacts } from './decide.js';
import type { CompiledFilter, CompiledRule } from './filter.js';

/** One context as the router knows it. */
export interface ServedContext {
  readonly name: string;
  /** The server URL with any userinfo removed, for the listing; undefined when the entry could not be read. */
  readonly server: string | undefined;
  /** Why the context cannot be served at all (its kubeconfig entry is invalid): every request to it is answered with this. */
  readonly unusable?: KubegateError;
  /** Whether a credential is in hand without running a plugin or waiting on I/O. */
  credentialsReady(): boolean;
}

export interface ContextTable {
  readonly contexts: readonly ServedContext[];
  readonly bySegment: ReadonlyMap<string, ServedContext>;
  /** Step 1: the mux at `/` (plus --www) and the complete filter, on the whole path. */
  readonly whole: DecisionContext;
  /** Step 2: the user's decision context, --accept-paths left to step 1. */
  readonly within: DecisionContext;
}

type Reply = Extract<Decision, { kind: 'reply' }>;
type ApiDecision = Extract<Decision, { kind: 'api' }>;

const EVERY_PATH: CompiledRule = Object.freeze({ source: '^.*', test: () => true });

/** The table the router reads, built once at start. */
export function compileContextTable(contexts: readonly ServedContext[], decision: DecisionContext): ContextTable {
  const bySegment = new Map(contexts.map((context) => [contextSegment(context.name), context] as const));
  const filter: CompiledFilter | undefined = decision.filter && Object.freeze({ ...decision.filter, acceptPaths: [EVERY_PATH] });
  return {
    contexts,
    bySegment,
    // --ui: the page lives at /-/ui/ on the listener, once, never under a context's prefix.
    whole: { route: { apiPrefix: '/', ...(decision.route.wwwPrefix !== undefined ? { wwwPrefix: decision.route.wwwPrefix } : {}) }, filter: decision.filter, browser: decision.browser, ...(decision.ui === true ? { ui: true } : {}) },
    within: { ...decision, filter, ui: false },
  };
}

/** The one decision for a request when several contexts are served; an `api` decision names its context. */
export function decideContextRequest(method: string, target: string, facts: RequestFacts, table: ContextTable): Decision {
  const whole = decideRequest(method, target, facts, table.whole);
  if (whole.kind !== 'api') return whole;
  const { lead, path, query } = splitTarget(target);
  const match = matchContextPath(path, table.bySegment);
  switch (match.kind) {
    case 'listing':
      return listing(method, table);
    case 'listing-redirect':
      return redirect(method, `${CLUSTERS_PATH}${query === undefined || query === '' ? '' : `?${query}`}`);
    case 'outside':
      return notServed(method, whole.filterPath, `kubegate serves several clusters here, each under ${CLUSTERS_PATH}NAME/`, table);
    case 'unknown':
      return notServed(method, whole.filterPath, `no context with the URL form ${JSON.stringify(match.segment)} is served here`, table);
    case 'context-redirect':
      return redirect(method, `${CLUSTERS_PATH}${match.segment}/${query === undefined || query === '' ? '' : `?${query}`}`);
    case 'context': {
      const context = table.bySegment.get(match.segment) as ServedContext;
      const inner = decideRequest(method, `${lead}${match.rest}${query === undefined ? '' : `?${query}`}`, facts, table.within);
      return withinContext(method, inner, context, `${CLUSTERS_PATH}${match.segment}`);
    }
    default: {
      const unreachable: never = match;
      throw new Error(`unhandled context path ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The inner decision, tied to its context: forwarded there, or answered for it. */
function withinContext(method: string, inner: Decision, context: ServedContext, prefix: string): Decision {
  if (inner.kind === 'reply' && inner.status === 301 && inner.headers.location?.startsWith('/')) return redirect(method, `${prefix}${inner.headers.location}`);
  if (inner.kind === 'reply' && (inner.rejectedBy !== undefined || inner.refusedByPolicy !== undefined)) return { ...inner, context: context.name };
  if (inner.kind !== 'api') return inner;
  if (context.unusable) return unusable(method, inner, context, context.unusable);
  const decided: ApiDecision = { ...inner, context: context.name };
  return decided;
}

/** A context whose kubeconfig entry cannot be used: its own requests say why, the others are untouched. */
function unusable(method: string, inner: ApiDecision, context: ServedContext, error: KubegateError): Reply {
  const message = `context ${JSON.stringify(context.name)} cannot be served: ${error.message}`;
  const { headers, body } = errorAnswer({ code: error.status, reason: error.reason, message }, wantsPlainTextError(method, inner.upstreamPath));
  return { kind: 'reply', status: error.status, headers, body };
}

/** 404 naming every served context and where it lives. */
function notServed(method: string, path: string, why: string, table: ContextTable): Reply {
  const served = table.contexts.map((context) => `${JSON.stringify(context.name)} (${CLUSTERS_PATH}${contextSegment(context.name)}/)`).join(', ');
  const message = `${why}; served: ${served || 'none'}; the list is at ${CLUSTERS_PATH}`;
  const { headers, body } = errorAnswer({ code: 404, reason: 'NotFound', message }, wantsPlainTextError(method, path));
  return { kind: 'reply', status: 404, headers, body };
}

/** `GET /clusters/`: the served contexts as JSON; never a secret (the server URL's userinfo is removed by the caller). */
function listing(method: string, table: ContextTable): Reply {
  if (method !== 'GET' && method !== 'HEAD') {
    const { headers, body } = errorAnswer({ code: 405, reason: 'MethodNotAllowed', message: `${CLUSTERS_PATH} lists the served contexts; only GET and HEAD are allowed` }, false);
    return { kind: 'reply', status: 405, headers: { ...headers, allow: 'GET, HEAD' }, body };
  }
  const clusters = table.contexts.map((context) => ({
    name: context.name,
    path: `${CLUSTERS_PATH}${contextSegment(context.name)}/`,
    server: context.server ?? null,
    credentialsReady: context.unusable ? false : context.credentialsReady(),
    ...(context.unusable ? { error: context.unusable.message } : {}),
  }));
  return {
    kind: 'reply',
    status: 200,
    headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache, private' },
    body: `${JSON.stringify({ kind: 'ClusterList', clusters })}\n`,
  };
}

/** A request target's absolute-form lead (`http://host`), raw path and raw query (undefined: no `?`). */
function splitTarget(target: string): { lead: string; path: string; query: string | undefined } {
  const lead = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(target)?.[0] ?? '';
  const rest = target.slice(lead.length);
  const question = rest.indexOf('?');
  return { lead, path: question === -1 ? rest : rest.slice(0, question), query: question === -1 ? undefined : rest.slice(question + 1) };
}
