// The fastify instance kubegate serves on, set up to read requests the way Go's net/http server does.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fastify, type ConnectionError, type FastifyInstance } from 'fastify';
import { refusalForParseError, refuseOnSocket } from './refusal.js';

/** Go's http.DefaultMaxHeaderBytes: the request line and headers together. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Go reads that much plus 4096 bytes of "bufio slop" (initialReadLimitSize) before a 431. */
const GO_READ_LIMIT = MAX_HEADER_BYTES + 4096;

/**
 * fastify's schema compilers, for apps that declare no schema (kubegate's two). fastify builds its
 * default ones (ajv, fast-json-stringify) when an app is created, whether a route ever uses them or
 * not: about 19 ms of a start's CPU evaluating ajv. A schema added to a route would fail to register.
 * The bundle leaves those compilers out (package.json's `bundle`: --external), with light-my-request
 * (fastify's inject(), for tests): 0.46 MB less source for V8 to hold, 2-3 MiB of idle memory.
 * test/e2e/bundle-start.test.ts checks that src/ calls neither.
 */
export const NO_SCHEMA_COMPILERS = {
  compilersFactory: {
    buildValidator: noSchemaCompiler,
    buildSerializer: noSchemaCompiler,
  },
};

function noSchemaCompiler(): never {
  throw new Error('kubegate declares no JSON schemas: route schemas need a compiler (see NO_SCHEMA_COMPILERS in src/server/http-app.ts)');
}

/** Handles a request on Node's own objects (kubegate routes every request itself: route.ts, decide.ts). */
export type RawHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Builds the app around a Node server that hands every request straight to `handle`. kubegate
 * routes each request itself, as Go's ServeMux does (route.ts), so fastify's router, its
 * Request/Reply objects and hooks were pure cost on the hot path: 10-20 µs of CPU per proxied GET
 * (`npm run bench -- --only floors`: the fastify+undici floor against node:http+undici). fastify keeps its hooks (onClose closes the upstream pools) and the client-error
 * handler; the listener is opened by listen.ts and closed by build-server.ts's shutdown (fastify
 * closes only a server it started listening itself; Node's server.close() also closes idle
 * keep-alive connections, which fastify's forceCloseConnections did before).
 *
 * The server: timeouts off (kubectl's server has none: uploads and watches take as long as they
 * take), Go's header limits, no Host requirement (Go checks a request's Host itself, before routing,
 * and answers in its own words: decide.ts), no header count limit.
 */
export function createHttpApp(handle: RawHandler): FastifyInstance {
  const app = fastify({
    logger: false,
    serverFactory: () => {
      // Go's server reads up to 1 MB of request head; a larger one is a 431.
      const server = createServer({ maxHeaderSize: GO_READ_LIMIT, requireHostHeader: false }, handle);
      server.keepAliveTimeout = 120_000;
      server.requestTimeout = 0;
      server.setTimeout(0);
      // Node drops headers past the 2,000th silently (a late Impersonate-User or second Host would be
      // lost); Go has no count limit, only the byte limit above.
      server.maxHeadersCount = 0;
      return server;
    },
    clientErrorHandler: answerClientError,
    schemaController: NO_SCHEMA_COMPILERS,
  });
  return app;
}

/** A request Node's parser cannot read: answered as Go's server answers what its own parser refuses. */
function answerClientError(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Node hands over the bytes it was parsing as a Buffer (fastify's type says otherwise).
  const packet: unknown = error.rawPacket;
  refuseOnSocket(socket, refusalForParseError(error.code, Buffer.isBuffer(packet) ? packet : undefined));
}
