// --contexts: one upstream per served context, each built exactly as a single-context kubegate builds its one, behind one listener.

import type { CredentialsWithProblems } from '../auth/create-credentials.js';
import type { KubegateError } from '../errors.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactUrlUserinfo, type Logger } from '../log.js';
import type { ProxyMetrics } from '../observe/observer.js';
import type { RequestRecorder } from './request-recorder.js';
import { assembleServer, buildUpstream, type KubegateServer, type Routing, type ServerOptions, type Upstream } from './build-server.js';
import { compileContextTable, decideContextRequest, type ServedContext } from './context-route.js';

/** A context to serve: its configuration and live credentials, or why its kubeconfig entry cannot be used. */
export type ContextSource =
  | { readonly name: string; readonly restConfig: RestConfig; readonly credentials: CredentialsWithProblems }
  | { readonly name: string; readonly error: KubegateError };

export interface ContextServerDependencies {
  readonly contexts: readonly ContextSource[];
  /** Each context logs through a child of it, every line naming the context. */
  readonly logger: Logger;
  /** Requests kubegate answers itself (filter rejections); the per-context ones go to `metricsFor`. */
  readonly metrics?: ProxyMetrics;
  readonly metricsFor?: (context: string) => ProxyMetrics;
  readonly userAgent?: string;
  /** --ui: one recorder for every context's requests. */
  readonly recorder?: RequestRecorder;
  /**
   * Told once per context, when its first request is routed to it (the request is not held up): what
   * a single-context kubegate does at start, a context with an exec plugin must not do before it is used.
   */
  readonly onFirstUse?: (context: LiveContext) => void;
}

/** A served context at run time. */
export interface LiveContext {
  readonly name: string;
  readonly source: ContextSource;
  /** Undefined for a context whose entry cannot be used. */
  readonly upstream: Upstream | undefined;
  /** Whether a request has gone to it yet (exec plugins run on first use, and readiness does not start them). */
  used(): boolean;
}

export interface ContextServer extends Pick<KubegateServer, 'app' | 'shutdown'> {
  readonly contexts: readonly LiveContext[];
}

export function buildContextServer(options: ServerOptions, dependencies: ContextServerDependencies): ContextServer {
  const used = new Set<string>();
  const contexts: LiveContext[] = dependencies.contexts.map((source) => ({
    name: source.name,
    source,
    upstream: 'error' in source ? undefined : buildContextUpstream(options, dependencies, source),
    used: () => used.has(source.name),
  }));
  const byName = new Map(contexts.map((context) => [context.name, context] as const));
  const table = compileContextTable(contexts.map(servedContext), options.decision);
  const routing: Routing = {
    decide: (method, target, facts) => decideContextRequest(method, target, facts, table),
    upstreamFor(decision) {
      const live = decision.context === undefined ? undefined : byName.get(decision.context);
      // The router only names contexts that have an upstream: anything else is a kubegate bug.
      if (live?.upstream === undefined) throw new Error(`no upstream for context ${JSON.stringify(decision.context)}`);
      if (!used.has(live.name)) {
        used.add(live.name);
        dependencies.onFirstUse?.(live);
      }
      return live.upstream;
    },
    upstreams: contexts.flatMap((context) => (context.upstream ? [context.upstream] : [])),
    ...(dependencies.metricsFor ? { metricsFor: dependencies.metricsFor } : {}),
  };
  return { ...assembleServer(options, dependencies, routing), contexts };
}

function buildContextUpstream(options: ServerOptions, dependencies: ContextServerDependencies, source: Extract<ContextSource, { restConfig: RestConfig }>): Upstream {
  return buildUpstream(options, {
    restConfig: source.restConfig,
    credentials: source.credentials,
    logger: dependencies.logger.child({ context: source.name }),
    ...(dependencies.metricsFor ? { metrics: dependencies.metricsFor(source.name) } : dependencies.metrics ? { metrics: dependencies.metrics } : {}),
    ...(dependencies.userAgent !== undefined ? { userAgent: dependencies.userAgent } : {}),
    context: source.name,
  });
}

/** What the router and the /clusters/ listing know of a context: never its credentials. */
function servedContext(context: LiveContext): ServedContext {
  const source = context.source;
  if ('error' in source) return { name: context.name, server: undefined, unusable: source.error, credentialsReady: () => false };
  return { name: context.name, server: redactUrlUserinfo(source.restConfig.server), credentialsReady: () => source.credentials.inHand() };
}
