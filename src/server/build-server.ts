// Builds the server: each request (and each upgrade) is decided once, then answered, forwarded or tunnelled. Never listens.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactUrl, type Logger } from '../log.js';
import { reportHandlerPanic } from '../observe/internal-error.js';
import { NO_METRICS, type ProxyMetrics } from '../observe/observer.js';
import { writeStatus } from '../status.js';
import { forwardRequest, type ForwardContext } from '../upstream/forward.js';
import { createUpstreamAgent, type UpstreamAgent } from '../upstream/pool.js';
import { resolveUpstreamTarget, type UpstreamTarget } from '../upstream/target.js';
import { createTunnelHandler, type TunnelHandler } from '../upstream/tunnel.js';
import { answerOnSocket, answerRequest } from './answer.js';
import { ConnectionTracker } from './connection-tracker.js';
import { decideRequest, requestFacts, type Decision, type DecisionContext, type RequestFacts } from './decide.js';
import { createHttpApp } from './http-app.js';
import { refuseOnSocket } from './refusal.js';
import type { RequestRecorder } from './request-recorder.js';

/** What the server needs of the command's options, and nothing more (as kubectl's NewServer). */
export interface ServerOptions {
  /** The route options, the compiled filter (undefined with --disable-filter) and browser policy. */
  readonly decision: DecisionContext;
  /** The --www directory, when static files are served. */
  readonly wwwRoot: string | undefined;
  /** --keepalive for tunnels, in milliseconds (negative: off). */
  readonly keepaliveMs: number;
  readonly appendServerPath: boolean;
  /** -v: 8 traces headers, 9 bodies. */
  readonly verbosity: number;
}

export interface ServerDependencies {
  readonly restConfig: RestConfig;
  readonly credentials: Credentials;
  readonly logger: Logger;
  /** Where request, watch, tunnel and error counts go; none by default. */
  readonly metrics?: ProxyMetrics;
  /** Sent upstream when a client sends no User-Agent. */
  readonly userAgent?: string;
  /** With --contexts: the context this upstream serves (its errors name it). */
  readonly context?: string;
  /** --ui: records requests for the page and serves it; absent otherwise (nothing recorded at all). */
  readonly recorder?: RequestRecorder;
}

export interface KubegateServer {
  readonly app: FastifyInstance;
  /** The connection pool to the API server (readiness checks reuse it). */
  readonly agent: UpstreamAgent;
  readonly target: UpstreamTarget;
  /** Stops accepting, ends watches and follows, lets other requests finish within `graceMs`, then closes everything. */
  shutdown(graceMs: number): Promise<void>;
}

/** Everything one API server's requests and tunnels need: built once per upstream (once per context with --contexts). */
export interface Upstream {
  readonly forward: ForwardContext;
  readonly tunnels: TunnelHandler;
  /** The connection pool to the API server (readiness checks reuse it). */
  readonly agent: UpstreamAgent;
  readonly target: UpstreamTarget;
  /** Closes the pools and stops the credential watchers. */
  close(): Promise<void>;
}

/** How each request is decided, and which upstream a forwarded one goes to. */
export interface Routing {
  decide(method: string, target: string, facts: RequestFacts): Decision;
  upstreamFor(decision: Extract<Decision, { kind: 'api' }>): Upstream;
  readonly upstreams: readonly Upstream[];
  /** With --contexts: where a rejection inside a context is counted (with its `context` label). */
  metricsFor?(context: string): ProxyMetrics;
}

/** Everything the request and upgrade handlers share. */
interface ServerParts {
  readonly options: ServerOptions;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  readonly routing: Routing;
  readonly connections: ConnectionTracker;
  /** Decisions taken before the request reached the router (Expect: 100-continue). */
  readonly decidedEarly: WeakMap<IncomingMessage, Decision>;
  readonly recorder: RequestRecorder | undefined;
  /** Set when shutdown starts: a request that arrives after it (on a kept-alive connection) gets a 503 and the connection closes. */
  readonly state: { closing: boolean };
}

export function buildServer(options: ServerOptions, dependencies: ServerDependencies): KubegateServer {
  const upstream = buildUpstream(options, dependencies);
  const routing: Routing = { decide: (method, target, facts) => decideRequest(method, target, facts, options.decision), upstreamFor: () => upstream, upstreams: [upstream] };
  const { app, shutdown } = assembleServer(options, dependencies, routing);
  return { app, agent: upstream.agent, target: upstream.target, shutdown };
}

/** The pools, credentials and relays for one API server, exactly as a single-context kubegate has them. */
export function buildUpstream(options: ServerOptions, dependencies: ServerDependencies): Upstream {
  const { restConfig, credentials, logger } = dependencies;
  const agent = createUpstreamAgent(restConfig, credentials);
  const resolved = resolveUpstreamTarget(restConfig, options.appendServerPath);
  const target: UpstreamTarget = dependencies.context === undefined ? resolved : { ...resolved, context: dependencies.context };
  const metrics = dependencies.metrics ?? NO_METRICS;
  const userAgent = dependencies.userAgent ?? 'kubegate';
  const forward: ForwardContext = {
    pools: agent,
    target,
    credentials,
    impersonate: restConfig.impersonate,
    logger,
    userAgent,
    metrics,
    accessLog: logger.isLevelEnabled('debug'),
    traceHeaders: options.verbosity >= 8 && logger.isLevelEnabled('trace'),
    traceBodies: options.verbosity >= 9 && logger.isLevelEnabled('trace'),
    streams: new Set(),
    disableCompression: restConfig.disableCompression,
  };
  const tunnels = createTunnelHandler({ restConfig, credentials, target, keepaliveMs: options.keepaliveMs, logger, userAgent, metrics });
  const close = async (): Promise<void> => {
    await agent.close().catch(() => agent.destroy());
    credentials.close();
  };
  return { forward, tunnels, agent, target, close };
}

/** The server around a routing: fastify, the three ways a request arrives, shutdown. Never listens. */
export function assembleServer(options: ServerOptions, dependencies: Pick<ServerDependencies, 'logger' | 'metrics' | 'recorder'>, routing: Routing): Pick<KubegateServer, 'app' | 'shutdown'> {
  const logger = dependencies.logger;
  const parts: ServerParts = { options, logger, metrics: dependencies.metrics ?? NO_METRICS, routing, connections: new ConnectionTracker(), decidedEarly: new WeakMap(), recorder: dependencies.recorder, state: { closing: false } };
  const app = createHttpApp((request, response) => {
    // Counts each connection's responses in flight, so that an answer written on the raw socket
    // (an upgrade, a rejection that closes) never cuts into an earlier pipelined response.
    parts.connections.started(response);
    recovering(parts, request.socket, () => handleRequest(parts, request, response));
  });
  listenForRequests(app, parts);
  app.addHook('onClose', async () => {
    await Promise.all(routing.upstreams.map((upstream) => upstream.close()));
  });
  return { app, shutdown: (graceMs) => shutdown(app, parts, graceMs) };
}

/** Wires the three ways a request arrives: ordinary, with Expect: 100-continue, and as an upgrade. */
function listenForRequests(app: FastifyInstance, parts: ServerParts): void {
  // Expect: 100-continue is answered only for requests kubegate will forward: a rejected upload
  // gets its 403 at once and is never invited to send its body.
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) =>
    recovering(parts, request.socket, () => {
      const decision = decide(parts, request);
      parts.decidedEarly.set(request, decision);
      if (decision.kind === 'api' || decision.kind === 'static') response.writeContinue();
      app.server.emit('request', request, response);
    }),
  );
  // An Expect other than 100-continue: Go answers 417 and closes, once the request has passed its
  // own checks (Node's default 417 has no Content-Length).
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) =>
    recovering(parts, request.socket, () => {
      const decision = decide(parts, request);
      if (decision.kind === 'refuse') {
        parts.decidedEarly.set(request, decision);
        handleRequest(parts, request, response);
        return;
      }
      response.writeHead(417, { connection: 'close', 'content-length': 0 });
      response.end();
    }),
  );
  app.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => handleUpgrade(parts, request, socket, head));
}

/**
 * Runs one request's (or upgrade's) work. A throw is a bug: as Go's server recovers a handler's
 * panic, it is logged and that connection dropped, and everything else is served on.
 */
function recovering(parts: ServerParts, socket: Socket, work: () => void): void {
  try {
    work();
  } catch (error) {
    reportHandlerPanic(parts.logger, error, socket.remoteAddress);
    socket.destroy();
  }
}

/** The one decision per request, for ordinary requests and upgrades alike, counted and logged here. */
function decide(parts: ServerParts, request: IncomingMessage): Decision {
  const method = request.method ?? 'GET';
  const decision = parts.routing.decide(method, request.url ?? '/', requestFacts(request));
  if (decision.kind === 'reply') {
    noteRefusal(parts, request, method, decision);
  } else if (decision.kind === 'api' && parts.logger.isLevelEnabled('info')) {
    parts.logger.info({ method, path: decision.filterPath, ...(decision.context !== undefined ? { context: decision.context } : {}) }, `Filter accepting ${method} ${decision.filterPath}`);
  }
  return decision;
}

/** A refusal by the filter or by a policy: counted (in its context, with --contexts) and logged with the flag or rule. */
function noteRefusal(parts: ServerParts, request: IncomingMessage, method: string, decision: Extract<Decision, { kind: 'reply' }>): void {
  const { context, refusedByPolicy, rejectedBy } = decision;
  if (refusedByPolicy === undefined && rejectedBy === undefined) return;
  const metrics = context === undefined ? parts.metrics : (parts.routing.metricsFor?.(context) ?? parts.metrics);
  const where = context !== undefined ? { context } : {};
  const logged = parts.logger.isLevelEnabled('info');
  if (refusedByPolicy !== undefined) {
    metrics.policyDenied(refusedByPolicy.rule);
    if (logged) parts.logger.info({ method, url: redactUrl(request.url), rule: refusedByPolicy.rule, ...where }, `Policy refusing ${method} ${redactUrl(request.url)}: ${refusedByPolicy.message}`);
  } else if (rejectedBy !== undefined) {
    metrics.filterRejected(rejectedBy);
    if (logged) parts.logger.info({ method, url: redactUrl(request.url), host: request.headers.host, flag: rejectedBy, ...where }, `Filter rejecting ${method} ${redactUrl(request.url)}`);
  }
}

function handleRequest(parts: ServerParts, request: IncomingMessage, response: ServerResponse): void {
  // A connection kubegate is closing serves nothing more, whatever was pipelined behind.
  if (parts.connections.isClosing(request.socket)) return;
  if (parts.state.closing) {
    writeStatus(response, 503, 'kubegate is shutting down', { connection: 'close' });
    return;
  }
  const decision = parts.decidedEarly.get(request) ?? decide(parts, request);
  if (parts.recorder !== undefined && decision.kind !== 'ui' && decision.kind !== 'refuse') parts.recorder.record(request, response, decision);
  switch (decision.kind) {
    case 'refuse': {
      // Go never reads past a request it refuses: nothing pipelined behind it is served.
      const socket = request.socket;
      parts.connections.markClosing(socket);
      request.pause();
      void parts.connections.whenEarlierWritten(socket, response).then(() => refuseOnSocket(socket, decision));
      return;
    }
    case 'reply':
      answerRequest(parts.connections, request, response, decision);
      return;
    case 'static':
      serveStaticFile(parts, request, response, decision.path);
      return;
    case 'api':
      if (decision.responseHeaders) for (const [name, value] of Object.entries(decision.responseHeaders)) response.setHeader(name, value);
      forwardRequest(parts.routing.upstreamFor(decision).forward, { request, response, upstreamPath: decision.upstreamPath, query: decision.query, streaming: decision.streaming });
      return;
    case 'ui':
      if (parts.recorder !== undefined) parts.recorder.serve(request, response, decision.path);
      else writeStatus(response, 404, 'not found');
      return;
    default: {
      const unreachable: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
    }
  }
}

function serveStaticFile(parts: ServerParts, request: IncomingMessage, response: ServerResponse, path: string): void {
  const root = parts.options.wwwRoot;
  if (root === undefined) {
    writeStatus(response, 404, 'not found');
    return;
  }
  // The file server (with @fastify/send and its MIME table) loads with the first file --www serves:
  // a start without --www never needs it (evaluating it took a few ms of every start).
  import('./static.js')
    .then(({ serveStatic }) => serveStatic(request, response, path, { root }))
    .catch((error: unknown) => {
      parts.logger.error({ err: error }, 'static file error');
      if (!response.headersSent) writeStatus(response, 500, 'static file error');
      else response.destroy();
    });
}

/**
 * An upgrade: nothing is read from the connection until every earlier pipelined response is written
 * and the request is decided; then it is answered on the socket or handed to the tunnel.
 */
function handleUpgrade(parts: ServerParts, request: IncomingMessage, socket: Socket, head: Buffer): void {
  socket.on('error', (error) => parts.logger.debug({ err: error }, 'upgrade client socket error'));
  socket.pause();
  parts.connections.adoptDetached(socket);
  void parts.connections.whenEarlierWritten(socket, undefined).then(() => {
    if (!socket.destroyed) recovering(parts, socket, () => answerUpgrade(parts, request, socket, head));
  });
}

/** The decided upgrade: refused or answered on the socket, or handed to the tunnel. */
function answerUpgrade(parts: ServerParts, request: IncomingMessage, socket: Socket, head: Buffer): void {
  const decision = decide(parts, request);
  if (parts.recorder !== undefined && decision.kind !== 'ui' && decision.kind !== 'refuse') parts.recorder.recordUpgrade(request, socket, decision);
  switch (decision.kind) {
    case 'refuse':
      refuseOnSocket(socket, decision);
      return;
    case 'ui':
      answerOnSocket(socket, { kind: 'reply', status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'the page cannot be upgraded\n' });
      return;
    case 'reply':
      answerOnSocket(socket, decision, request.method === 'HEAD');
      return;
    case 'static':
      answerOnSocket(socket, { kind: 'reply', status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'static files cannot be upgraded\n' });
      return;
    case 'api': {
      const upstream = parts.routing.upstreamFor(decision);
      const path = `${upstream.target.basePath}${decision.upstreamPath}${decision.query === undefined ? '' : `?${decision.query}`}`;
      upstream.tunnels.open({ request, client: socket, held: head, path });
      return;
    }
    default: {
      const unreachable: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
    }
  }
}

async function shutdown(app: FastifyInstance, parts: ServerParts, graceMs: number): Promise<void> {
  const upstreams = parts.routing.upstreams;
  parts.state.closing = true;
  // Streams never finish by themselves: end them cleanly (the client sees the end of a chunked body).
  for (const upstream of upstreams) for (const stop of upstream.forward.streams) stop();
  parts.recorder?.close();
  for (const upstream of upstreams) upstream.tunnels.closeAll();
  const timer = setTimeout(() => {
    app.server.closeAllConnections();
    for (const upstream of upstreams) void upstream.agent.destroy();
  }, graceMs);
  timer.unref();
  try {
    // fastify closes only a server it started listening itself (serverFactory); kubegate listens
    // through listen.ts, so it stops accepting here and waits for the open connections to finish.
    await closeListener(app.server);
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/** Stops accepting and resolves once every connection has ended (idle keep-alive ones are closed at once). */
function closeListener(server: FastifyInstance['server']): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
