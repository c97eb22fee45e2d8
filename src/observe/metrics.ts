// Prometheus metrics for what goes through kubegate, with labels kept to a bounded set (resource, not path).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BUILT_IN_RESOURCE_LABELS } from './builtin-resources.js';
import type { ProxyMetrics } from './observer.js';

/** Methods outside this set are counted as OTHER, so a client cannot grow the label space. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface Metrics extends ProxyMetrics {
  readonly registry: Registry;
  /** A kubegate bug was caught (an unhandled promise rejection) and kubegate kept serving. */
  internalError(): void;
  /** With --contexts: the same metrics with a `context` label (absent without --contexts, so nothing changes then). */
  forContext(context: string): ProxyMetrics;
}

/** Per-request metrics take a `context` label only with --contexts. */
const CONTEXT = 'context';

/** Requests a policy refused, by rule: a bounded label (the three presets and --policy). */
function policyDeniedCounter(registry: Registry): Counter<'rule' | typeof CONTEXT> {
  return new Counter({
    name: 'kubegate_policy_denied_total',
    help: 'Requests refused by a policy, by the rule that refused them: --read-only, --deny-secrets, --namespaces or --policy.',
    labelNames: ['rule', CONTEXT] as const,
    registers: [registry],
  });
}

export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // The standard process_* and nodejs_* names, unprefixed, so stock Node.js dashboards and alerts work as they are.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const instruments = createInstruments(registry);
  const internalErrors = new Counter({
    name: 'kubegate_internal_errors_total',
    help: 'kubegate bugs caught while serving (a promise rejected with no handler); each one is logged as "internal error". Alert on any.',
    registers: [registry],
  });
  return { registry, ...sinkFor(instruments, undefined), internalError: () => internalErrors.inc(), forContext: (context) => sinkFor(instruments, context) };
}

type Instruments = ReturnType<typeof createInstruments>;

/** Every per-request counter, gauge and histogram, each with an optional `context` label. */
function createInstruments(registry: Registry) {
  const requests = new Counter({
    name: 'kubegate_requests_total',
    help: 'Requests forwarded to the API server, by method, API resource and status code.',
    labelNames: ['method', 'resource', 'code', CONTEXT] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kubegate_request_duration_seconds',
    help: 'Time from receiving a request to the end of its response (watches excluded).',
    labelNames: ['method', 'resource', CONTEXT] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const labels = [CONTEXT] as const;
  const bytesIn = new Counter({ name: 'kubegate_request_bytes_total', help: 'Request body bytes sent to the API server.', labelNames: labels, registers: [registry] });
  const bytesOut = new Counter({ name: 'kubegate_response_bytes_total', help: 'Response body bytes relayed to clients.', labelNames: labels, registers: [registry] });
  const inFlight = new Gauge({ name: 'kubegate_requests_in_flight', help: 'Requests being forwarded now (watches included).', labelNames: labels, registers: [registry] });
  const watches = new Gauge({ name: 'kubegate_open_watches', help: 'Watch and follow streams open now.', labelNames: labels, registers: [registry] });
  const tunnels = new Gauge({ name: 'kubegate_open_tunnels', help: 'Upgraded connections (exec, attach, port-forward) open now.', labelNames: labels, registers: [registry] });
  const rejections = new Counter({
    name: 'kubegate_filter_rejections_total',
    help: 'Requests rejected by the filter, by the flag whose rule rejected them.',
    labelNames: ['flag', CONTEXT] as const,
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'kubegate_upstream_errors_total',
    help: 'Failures reaching the API server, by kind.',
    labelNames: ['kind', CONTEXT] as const,
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'kubegate_credential_refreshes_total',
    help: 'Credential refreshes: exec plugin runs, token file rotations, and credentials the API server rejected (api-401), by outcome.',
    labelNames: ['source', 'outcome', CONTEXT] as const,
    registers: [registry],
  });
  const policyDenials = policyDeniedCounter(registry);
  return { requests, duration, bytesIn, bytesOut, inFlight, watches, tunnels, rejections, upstreamErrors, refreshes, policyDenials };
}

// Only labels from a fixed list: clients choose paths, so first-come label slots would go to their junk.
function boundedResource(resource: string): string {
  return BUILT_IN_RESOURCE_LABELS.has(resource) || resource === 'discovery' || resource === 'nonresource' ? resource : 'other';
}

/** The sink, with `context` on every label set when one is given. */
function sinkFor(instruments: Instruments, context: string | undefined): ProxyMetrics {
  const { requests, duration, bytesIn, bytesOut, inFlight, watches, tunnels, rejections, upstreamErrors, refreshes, policyDenials } = instruments;
  const extra: { context?: string } = context === undefined ? {} : { context };
  return {
    requestStarted: () => inFlight.inc(extra),
    requestFinished(method, rawResource, status, seconds, inBytes, outBytes) {
      const methodLabel = KNOWN_METHODS.has(method) ? method : 'OTHER';
      const resource = boundedResource(rawResource);
      inFlight.dec(extra);
      requests.inc({ method: methodLabel, resource, code: String(status), ...extra });
      if (seconds >= 0) duration.observe({ method: methodLabel, resource, ...extra }, seconds);
      if (inBytes > 0) bytesIn.inc(extra, inBytes);
      if (outBytes > 0) bytesOut.inc(extra, outBytes);
    },
    watchOpened: () => watches.inc(extra),
    watchClosed: () => watches.dec(extra),
    tunnelOpened: () => tunnels.inc(extra),
    tunnelClosed: () => tunnels.dec(extra),
    filterRejected: (flag) => rejections.inc({ flag, ...extra }),
    upstreamError: (kind) => upstreamErrors.inc({ kind, ...extra }),
    credentialRefresh: (source, outcome) => refreshes.inc({ source, outcome, ...extra }),
    policyDenied: (rule) => policyDenials.inc({ rule, ...extra }),
  };
}
