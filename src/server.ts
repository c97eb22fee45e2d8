// Builds the fastify server: kubectl proxy's mux (route), then the filter, then static files or the API proxy. Never listens.

import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import { fastify, type FastifyInstance } from 'fastify';
import type { Agent } from 'undici';
import type { Credentials } from './auth/credentials.js';
import { acceptRequest, compileFilter, hostForFilter, type CompiledFilter } from './filter.js';
import type { RestConfig } from './kubeconfig/rest-config.js';
import type { Logger } from './log.js';
import type { ResolvedOptions } from './options.js';
import { forwardRequest, type ForwardContext } from './proxy/forward.js';
import { createUpstreamAgent, resolveUpstreamTarget } from './proxy/upstream.js';
import { resolveRoute, type RouteOptions } from './route.js';
import { serveStatic } from './static.js';
import { writeStatus } from './status.js';

export interface ServerDependencies {
  readonly restConfig: RestConfig;
  readonly credentials: Credentials;
  readonly logger: Logger;
  /** Sent upstream when a client sends no User-Agent. */
  readonly userAgent?: string;
  /** Injected in tests; by default built from the RestConfig. */
  readonly agent?: Agent;
}

export interface KubegateServer {
  readonly app: FastifyInstance;
  /** Stops accepting, ends watches and follows, lets other requests finish within `graceMs`, then closes everything. */
  shutdown(graceMs: number): Promise<void>;
}

/** Go's http.Error: plain text, nosniff, the message plus a newline. */
function writeGoError(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Go's http.Redirect with 301: an HTML body for GET, headers only for HEAD, nothing for other methods. */
function writeRedirect(request: IncomingMessage, response: ServerResponse, location: string): void {
  if (request.method === 'GET' || request.method === 'HEAD') {
    const body = `<a href="${escapeHtml(location)}">Moved Permanently</a>.\n\n`;
    response.writeHead(301, {
      location,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(request.method === 'GET' ? body : undefined);
    return;
  }
  response.writeHead(301, { location, 'content-length': 0 });
  response.end();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** An absolute-form request target (`GET http://host/path`) names the host the filter must check. */
function absoluteTargetHost(target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const match = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  if (!match) return undefined;
  const authority = match[1] as string;
  const at = authority.lastIndexOf('@');
  return at === -1 ? authority : authority.slice(at + 1);
}

export function buildServer(options: ResolvedOptions, dependencies: ServerDependencies): KubegateServer {
  const { restConfig, credentials, logger } = dependencies;
  const filter: CompiledFilter | undefined = options.filter ? compileFilter(options.filter) : undefined;
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
    frameworkErrors: (_error, request, reply) => {
      reply.hijack();
      writeGoError(reply.raw, 400, '400 Bad Request');
      void request;
    },
  });

  // Go accepts any method token; fastify knows a few by default. Teach it every method Node parses.
  for (const method of METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
  // Bodies are never parsed: they stream to the API server untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const target = request.url ?? '/';
    const route = resolveRoute(target, routeOptions);
    switch (route.kind) {
      case 'redirect':
        writeRedirect(request, response, route.location);
        return;
      case 'not-found':
        writeGoError(response, 404, '404 page not found\n');
        return;
      case 'bad-request':
        writeGoError(response, 400, '400 Bad Request');
        return;
      case 'static':
        if (!options.www) {
          writeGoError(response, 404, '404 page not found\n');
          return;
        }
        serveStatic(request, response, route.path, { root: options.www.root }).catch((error: unknown) => {
          logger.error({ err: error }, 'static file error');
          if (!response.headersSent) writeGoError(response, 500, '500 Internal Server Error\n');
          else response.destroy();
        });
        return;
      case 'api': {
        const method = request.method ?? 'GET';
        if (filter) {
          const host = hostForFilter(request.headers.host, absoluteTargetHost(target));
          const decision = acceptRequest(filter, method, route.filterPath, host);
          if (!decision.accepted) {
            if (filterLogging) logger.info({ method, path: route.filterPath, host }, `Filter rejecting ${method} ${route.filterPath}`);
            writeStatus(response, 403, decision.message);
            return;
          }
          if (filterLogging) logger.info({ method, path: route.filterPath, host }, `Filter accepting ${method} ${route.filterPath}`);
        }
        forwardRequest(forwardContext, request, response, route.upstreamPath, route.hasQuery ? route.rawQuery : undefined);
        return;
      }
      default: {
        const unreachable: never = route;
        throw new Error(`unhandled route ${JSON.stringify(unreachable)}`);
      }
    }
  };

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

  return { app, shutdown };
}
