// Builds the server: each request (and each upgrade) is decided once, then answered, forwarded or tunnelled. Never listens.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactUrl, type Logger } from '../log.js';
import { NO_METRICS, type ProxyMetrics } from '../observe/observer.js';
import { writeStatus } from '../status.js';
import { forwardRequest, type ForwardContext } from '../upstream/forward.js';
import { createUpstreamAgent, type UpstreamAgent } from '../upstream/pool.js';
import { resolveUpstreamTarget, type UpstreamTarget } from '../upstream/target.js';
import { createTunnelHandler, type TunnelHandler } from '../upstream/tunnel.js';
import { answerOnSocket, answerRequest } from './answer.js';
import { ConnectionTracker } from './connection-tracker.js';
import { decideRequest, requestFacts, type Decision, type DecisionContext } from './decide.js';
import { createHttpApp } from './http-app.js';
import { refuseOnSocket } from './refusal.js';
import { serveStatic } from './static.js';

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
}

export interface KubegateServer {
  readonly app: FastifyInstance;
  /** The connection pool to the API server (readiness checks reuse it). */
  readonly agent: UpstreamAgent;
  readonly target: UpstreamTarget;
  /** Stops accepting, ends watches and follows, lets other requests finish within `graceMs`, then closes everything. */
  shutdown(graceMs: number): Promise<void>;
}

/** Everything the request and upgrade handlers share. */
interface ServerParts {
  readonly options: ServerOptions;
  readonly logger: Logger;
  readonly forward: ForwardContext;
  readonly tunnels: TunnelHandler;
  readonly connections: ConnectionTracker;
  /** Decisions taken before the request reached the router (Expect: 100-continue). */
  readonly decidedEarly: WeakMap<IncomingMessage, Decision>;
}

export function buildServer(options: ServerOptions, dependencies: ServerDependencies): KubegateServer {
  const { restConfig, credentials, logger } = dependencies;
  const agent = createUpstreamAgent(restConfig, credentials);
  const target = resolveUpstreamTarget(restConfig, options.appendServerPath);
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
  const parts: ServerParts = { options, logger, forward, tunnels, connections: new ConnectionTracker(), decidedEarly: new WeakMap() };

  // What fastify's router will not route (`/%FF`) takes the same path as everything else.
  const app = createHttpApp((request, response) => handleRequest(parts, request, response));
  listenForRequests(app, parts);
  app.addHook('onClose', async () => {
    await agent.close().catch(() => agent.destroy());
    credentials.close();
  });
  return { app, agent, target, shutdown: (graceMs) => shutdown(app, parts, agent, graceMs) };
}

/** Wires the three ways a request arrives: ordinary, with Expect: 100-continue, and as an upgrade. */
function listenForRequests(app: FastifyInstance, parts: ServerParts): void {
  // Counts each connection's responses in flight, so that an answer written on the raw socket
  // (an upgrade, a rejection that closes) never cuts into an earlier pipelined response.
  app.server.on('request', (_request: IncomingMessage, response: ServerResponse) => parts.connections.started(response));
  // Expect: 100-continue is answered only for requests kubegate will forward: a rejected upload
  // gets its 403 at once and is never invited to send its body.
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const decision = decide(parts, request);
    parts.decidedEarly.set(request, decision);
    if (decision.kind === 'api' || decision.kind === 'static') response.writeContinue();
    app.server.emit('request', request, response);
  });
  // An Expect other than 100-continue: Go answers 417 and closes, once the request has passed its
  // own checks (Node's default 417 has no Content-Length).
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const decision = decide(parts, request);
    if (decision.kind === 'refuse') {
      parts.decidedEarly.set(request, decision);
      handleRequest(parts, request, response);
      return;
    }
    response.writeHead(417, { connection: 'close', 'content-length': 0 });
    response.end();
  });
  app.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => handleUpgrade(parts, request, socket, head));
  app.route({
    method: app.supportedMethods,
    url: '*',
    handler: (request, reply) => {
      reply.hijack();
      handleRequest(parts, request.raw, reply.raw);
    },
  });
}

/** The one decision per request, for ordinary requests and upgrades alike, counted and logged here. */
function decide(parts: ServerParts, request: IncomingMessage): Decision {
  const method = request.method ?? 'GET';
  const decision = decideRequest(method, request.url ?? '/', requestFacts(request), parts.options.decision);
  if (decision.kind === 'reply' && decision.refusedByPolicy) {
    const { rule, message } = decision.refusedByPolicy;
    parts.forward.metrics.policyDenied(rule);
    if (parts.logger.isLevelEnabled('info')) parts.logger.info({ method, url: redactUrl(request.url), rule }, `Policy refusing ${method} ${redactUrl(request.url)}: ${message}`);
  } else if (decision.kind === 'reply' && decision.rejectedBy) {
    parts.forward.metrics.filterRejected(decision.rejectedBy);
    if (parts.logger.isLevelEnabled('info')) {
      parts.logger.info({ method, url: redactUrl(request.url), host: request.headers.host, flag: decision.rejectedBy }, `Filter rejecting ${method} ${redactUrl(request.url)}`);
    }
  } else if (decision.kind === 'api' && parts.logger.isLevelEnabled('info')) {
    parts.logger.info({ method, path: decision.filterPath }, `Filter accepting ${method} ${decision.filterPath}`);
  }
  return decision;
}

function handleRequest(parts: ServerParts, request: IncomingMessage, response: ServerResponse): void {
  // A connection kubegate is closing serves nothing more, whatever was pipelined behind.
  if (parts.connections.isClosing(request.socket)) return;
  const decision = parts.decidedEarly.get(request) ?? decide(parts, request);
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
      forwardRequest(parts.forward, { request, response, upstreamPath: decision.upstreamPath, query: decision.query, streaming: decision.streaming });
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
  serveStatic(request, response, path, { root }).catch((error: unknown) => {
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
    if (socket.destroyed) return;
    const decision = decide(parts, request);
    switch (decision.kind) {
      case 'refuse':
        refuseOnSocket(socket, decision);
        return;
      case 'reply':
        answerOnSocket(socket, decision, request.method === 'HEAD');
        return;
      case 'static':
        answerOnSocket(socket, { kind: 'reply', status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'static files cannot be upgraded\n' });
        return;
      case 'api': {
        const path = `${parts.forward.target.basePath}${decision.upstreamPath}${decision.query === undefined ? '' : `?${decision.query}`}`;
        parts.tunnels.open({ request, client: socket, held: head, path });
        return;
      }
      default: {
        const unreachable: never = decision;
        throw new Error(`unhandled decision ${JSON.stringify(unreachable)}`);
      }
    }
  });
}

async function shutdown(app: FastifyInstance, parts: ServerParts, agent: UpstreamAgent, graceMs: number): Promise<void> {
  // Streams never finish by themselves: end them cleanly (the client sees the end of a chunked body).
  for (const stop of parts.forward.streams) stop();
  parts.tunnels.closeAll();
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
}
