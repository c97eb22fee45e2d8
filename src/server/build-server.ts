// Builds the fastify server: kubectl proxy's mux (route), then the filter, then static files or the API proxy. Never listens.

import { METHODS, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fastify, type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import { compileBrowserPolicy } from './browser-policy.js';
import { compileFilter, type CompiledFilter } from './filter.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactUrl, type Logger } from '../log.js';
import { NO_METRICS, type ProxyMetrics } from '../observe/observer.js';
import type { ResolvedOptions } from '../options/complete.js';
import { forwardRequest, type ForwardContext } from '../upstream/forward.js';
import { createUpstreamAgent, resolveUpstreamTarget, type UpstreamTarget } from '../upstream/pool.js';
import { ConnectionTracker } from './connection-tracker.js';
import { decideRequest, requestFacts, type Decision, type DecisionContext } from './decide.js';
import type { RouteOptions } from './route.js';
import { serveStatic } from './static.js';
import { writeStatus } from '../status.js';
import { closeAfterAnswer, createTunnelHandler, writeRawResponse } from '../upstream/tunnel.js';

/** Go's http.DefaultMaxHeaderBytes: the request line and headers together. */
export const MAX_HEADER_BYTES = 1 << 20;

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
    // Go's server reads up to 1 MB of request head (http.DefaultMaxHeaderBytes); a larger one is a 431.
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    // Malformed percent-escapes: Go's server answers a bare 400.
    frameworkErrors: (_error, _request, reply) => {
      reply.hijack();
      reply.raw.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      reply.raw.end('400 Bad Request');
    },
    clientErrorHandler: answerClientError,
  });
  // Node drops headers past the 2,000th silently (a late Impersonate-User or second Host would be
  // lost); Go has no count limit, only the byte limit above.
  app.server.maxHeadersCount = 0;

  // Go accepts any method token; fastify knows a few by default. Teach it every method Node parses.
  for (const method of METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
  // Bodies are never parsed: they stream to the API server untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const decisionContext: DecisionContext = { route: routeOptions, filter, browser };
  const connections = new ConnectionTracker();
  const decide = (request: IncomingMessage): Decision => {
    const method = request.method ?? 'GET';
    const decision = decideRequest(method, request.url ?? '/', requestFacts(request), decisionContext);
    if (decision.kind === 'reply' && decision.rejectedBy) {
      forwardContext.observer.filterRejected(decision.rejectedBy);
      if (filterLogging) logger.info({ method, url: redactUrl(request.url), host: request.headers.host, flag: decision.rejectedBy }, `Filter rejecting ${method} ${redactUrl(request.url)}`);
    } else if (decision.kind === 'api' && filterLogging) {
      logger.info({ method, path: decision.filterPath }, `Filter accepting ${method} ${decision.filterPath}`);
    }
    return decision;
  };
  /** Decisions taken before the request reached the router (Expect: 100-continue). */
  const decidedEarly = new WeakMap<IncomingMessage, Decision>();

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    // A connection kubegate is closing serves nothing more, whatever was pipelined behind.
    if (connections.isClosing(request.socket)) return;
    const decision = decidedEarly.get(request) ?? decide(request);
    const method = request.method ?? 'GET';
    switch (decision.kind) {
      case 'reply':
        replyWithDecision(connections, request, response, decision);
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
        if (decision.responseHeaders) for (const [name, value] of Object.entries(decision.responseHeaders)) response.setHeader(name, value);
        forwardRequest(forwardContext, request, response, decision.upstreamPath, decision.query);
        return;
      default: {
        const unreachable: never = decision;
        throw new Error(`unhandled decision ${JSON.stringify(unreachable)} for ${method}`);
      }
    }
  };

  const tunnels = createTunnelHandler({
    restConfig,
    credentials,
    target: forwardContext.target,
    keepaliveMs: options.keepaliveMs,
    logger,
    userAgent: forwardContext.userAgent,
    metrics: forwardContext.observer,
  });

  // Counts each connection's responses in flight, so that an answer written on the raw socket
  // (an upgrade, a rejection that closes) never cuts into an earlier pipelined response.
  app.server.on('request', (_request: IncomingMessage, response: ServerResponse) => connections.started(response));

  // Expect: 100-continue is answered only for requests kubegate will forward: a rejected upload
  // gets its 403 at once and is never invited to send its body.
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const decision = decide(request);
    decidedEarly.set(request, decision);
    if (decision.kind !== 'reply') response.writeContinue();
    app.server.emit('request', request, response);
  });

  app.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade client socket error'));
    // Nothing is read from this connection until kubegate knows what to do with the upgrade.
    socket.pause();
    connections.adoptDetached(socket);
    void connections.whenEarlierWritten(socket, undefined).then(() => {
      if (socket.destroyed) return;
      const decision = decide(request);
      switch (decision.kind) {
        case 'reply':
          writeRawResponse(socket, decision.status, decision.headers, decision.body);
          return;
        case 'static':
          writeRawResponse(socket, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'static files cannot be upgraded\n');
          return;
        case 'api': {
          const path = `${forwardContext.target.basePath}${decision.upstreamPath}${decision.query === undefined ? '' : `?${decision.query}`}`;
          tunnels.open({ request, client: socket, held: head, path });
          return;
        }
        default: {
          const unreachable: never = decision;
          throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
        }
      }
    });
  });

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

function hasRequestBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Answers a request kubegate itself decided (redirect, 404, filter rejection). A request with a
 * body is answered without reading the body, and its connection closed, as Go's server does when a
 * handler leaves a large body unread: nothing pipelined behind it is served.
 */
function replyWithDecision(connections: ConnectionTracker, request: IncomingMessage, response: ServerResponse, decision: Extract<Decision, { kind: 'reply' }>): void {
  const method = request.method ?? 'GET';
  const body = method === 'HEAD' ? '' : decision.body;
  if (!hasRequestBody(request) && decision.headers.connection !== 'close') {
    response.writeHead(decision.status, { ...decision.headers, 'content-length': Buffer.byteLength(decision.body) });
    response.end(body);
    return;
  }
  const socket = request.socket;
  connections.markClosing(socket);
  // Stop the parser from reading the body into memory; the client gets its answer and a FIN.
  request.pause();
  void connections.whenEarlierWritten(socket, response).then(() => {
    if (socket.destroyed) return;
    const lines = [`HTTP/1.1 ${decision.status} ${STATUS_CODES[decision.status] ?? 'Unknown'}`];
    for (const [name, value] of Object.entries({ ...decision.headers, 'content-length': String(Buffer.byteLength(decision.body)), connection: 'close' })) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    closeAfterAnswer(socket);
  });
}

/**
 * What Go's server answers to a request it cannot parse: plain text, then it closes the connection
 * (net/http server.go: "431 Request Header Fields Too Large", otherwise "400 Bad Request").
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`);
  closeAfterAnswer(socket);
}
