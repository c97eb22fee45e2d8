// Builds the fastify server: kubectl proxy's mux (route), then the filter, then static files or the API proxy. Never listens.

import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import { fastify, type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Credentials } from './auth/credentials.js';
import { compileBrowserPolicy } from './browser-policy.js';
import { compileFilter, type CompiledFilter } from './filter.js';
import type { RestConfig } from './kubeconfig/rest-config.js';
import { redactUrl, type Logger } from './log.js';
import { NO_METRICS, type ProxyMetrics } from './observer.js';
import type { ResolvedOptions } from './options.js';
import { forwardRequest, type ForwardContext } from './proxy/forward.js';
import { createUpstreamAgent, resolveUpstreamTarget, type UpstreamTarget } from './proxy/upstream.js';
import { decideRequest, requestFacts, type DecisionContext } from './request-decision.js';
import type { RouteOptions } from './route.js';
import { serveStatic } from './static.js';
import { writeStatus } from './status.js';
import { createTunnelHandler } from './upgrade.js';

export interface ServerDependencies {
  readonly restConfig: RestConfig;
  readonly credentials: Credentials;
  readonly logger: Logger;
  /** Where request, watch, tunnel and error counts go; none by default. */
  readonly metrics?: ProxyMetrics;
  /** Sent upstream when a client sends no User-Agent. */
  readonly userAgent?: string;
  /** Injected in tests; by default built from the RestConfig. */
  readonly agent?: Dispatcher;
}

export interface KubegateServer {
  readonly app: FastifyInstance;
  /** The connection pool to the API server (readiness checks reuse it). */
  readonly agent: Dispatcher;
  readonly target: UpstreamTarget;
  /** Stops accepting, ends watches and follows, lets other requests finish within `graceMs`, then closes everything. */
  shutdown(graceMs: number): Promise<void>;
}

export function buildServer(options: ResolvedOptions, dependencies: ServerDependencies): KubegateServer {
  const { restConfig, credentials, logger } = dependencies;
  const filter: CompiledFilter | undefined = options.filter ? compileFilter(options.filter) : undefined;
  const browser = compileBrowserPolicy(options.browser);
  const routeOptions: RouteOptions = {
    apiPrefix: options.apiPrefix,
    ...(options.www ? { wwwPrefix: options.www.prefix } : {}),
  };
  const agent = dependencies.agent ?? createUpstreamAgent(restConfig, credentials);
  const forwardContext: ForwardContext = {
    agent,
    target: resolveUpstreamTarget(restConfig, options.appendServerPath),
    credentials,
    impersonate: restConfig.impersonate,
    logger,
    userAgent: dependencies.userAgent ?? 'kubegate',
    observer: dependencies.metrics ?? NO_METRICS,
    accessLog: logger.isLevelEnabled('debug'),
    traceHeaders: options.verbosity >= 8 && logger.isLevelEnabled('trace'),
    traceBodies: options.verbosity >= 9 && logger.isLevelEnabled('trace'),
    streams: new Set(),
  };
  const filterLogging = logger.isLevelEnabled('info');

  const app = fastify({
    logger: false,
    // kubectl's server has no read/write/idle timeouts: uploads and watches may take as long as they take.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 120_000,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 1 << 20 },
    // Malformed percent-escapes: Go's server answers a bare 400.
    frameworkErrors: (_error, _request, reply) => {
      reply.hijack();
      reply.raw.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      reply.raw.end('400 Bad Request');
    },
  });

  // Go accepts any method token; fastify knows a few by default. Teach it every method Node parses.
  for (const method of METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
  // Bodies are never parsed: they stream to the API server untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const decisionContext: DecisionContext = { route: routeOptions, filter, browser };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const method = request.method ?? 'GET';
    const decision = decideRequest(method, request.url ?? '/', requestFacts(request), decisionContext);
    switch (decision.kind) {
      case 'reply':
        if (decision.rejectedBy) forwardContext.observer.filterRejected(decision.rejectedBy);
        if (decision.rejectedBy && filterLogging) logger.info({ method, url: redactUrl(request.url), flag: decision.rejectedBy }, `Filter rejecting ${method} ${redactUrl(request.url)}`);
        response.writeHead(decision.status, { ...decision.headers, 'content-length': Buffer.byteLength(decision.body) });
        response.end(method === 'HEAD' ? undefined : decision.body);
        return;
      case 'static':
        if (!options.www) {
          writeStatus(response, 404, 'not found');
          return;
        }
        serveStatic(request, response, decision.path, { root: options.www.root }).catch((error: unknown) => {
          logger.error({ err: error }, 'static file error');
          if (!response.headersSent) writeStatus(response, 500, 'static file error');
          else response.destroy();
        });
        return;
      case 'api':
        if (filterLogging) logger.info({ method, path: decision.filterPath }, `Filter accepting ${method} ${decision.filterPath}`);
        if (decision.responseHeaders) for (const [name, value] of Object.entries(decision.responseHeaders)) response.setHeader(name, value);
        forwardRequest(forwardContext, request, response, decision.upstreamPath, decision.query);
        return;
      default: {
        const unreachable: never = decision;
        throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
      }
    }
  };

  const tunnels = createTunnelHandler({
    decision: decisionContext,
    restConfig,
    credentials,
    target: forwardContext.target,
    keepaliveMs: options.keepaliveMs,
    logger,
    userAgent: forwardContext.userAgent,
    metrics: forwardContext.observer,
  });
  app.server.on('upgrade', tunnels.handleUpgrade);

  app.route({
    method: app.supportedMethods,
    url: '*',
    handler: (request, reply) => {
      reply.hijack();
      handle(request.raw, reply.raw);
    },
  });

  app.addHook('onClose', async () => {
    await agent.close().catch(() => agent.destroy());
    credentials.close();
  });

  const shutdown = async (graceMs: number): Promise<void> => {
    // Streams never finish by themselves: end them cleanly (the client sees the end of a chunked body).
    for (const stop of forwardContext.streams) stop();
    tunnels.closeAll();
    const timer = setTimeout(() => {
      app.server.closeAllConnections();
      void agent.destroy();
    }, graceMs);
    timer.unref();
    try {
      await app.close();
    } finally {
      clearTimeout(timer);
    }
  };

  return { app, agent, target: forwardContext.target, shutdown };
}
