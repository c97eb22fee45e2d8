// The fastify instance kubegate serves on, set up to read requests the way Go's net/http server does.

import { METHODS } from 'node:http';
import type { Socket } from 'node:net';
import { fastify, type FastifyInstance } from 'fastify';
import { closeAfterAnswer } from '../status.js';

/** Go's http.DefaultMaxHeaderBytes: the request line and headers together. */
export const MAX_HEADER_BYTES = 1 << 20;

/**
 * Builds the app with no routes: timeouts off (kubectl's server has none: uploads and watches take
 * as long as they take), Go's header limits, every method token Node parses, bodies never parsed.
 */
export function createHttpApp(): FastifyInstance {
  const app = fastify({
    logger: false,
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 120_000,
    forceCloseConnections: 'idle',
    // Go's server reads up to 1 MB of request head; a larger one is a 431.
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
  // Go accepts any method token; fastify knows a few by default.
  for (const method of METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
  // Bodies stream to the API server untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  return app;
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
