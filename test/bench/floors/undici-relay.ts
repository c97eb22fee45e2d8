// The undici side of the two floors that forward with undici: dispatch one request, relay its answer.

import type { IncomingMessage, IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { Agent } from '../../../src/upstream/undici-parts.js';
import { endToEnd, type FloorArgs } from './floor-args.js';

/** kubegate's pool settings for ordinary requests (src/upstream/pool.ts), without its interceptors. */
export function floorAgent(args: FloorArgs): Agent {
  return new Agent({ connect: { ca: args.ca, cert: args.cert, key: args.key }, bodyTimeout: 0, headersTimeout: 0, keepAliveTimeout: 30_000 });
}

export function forwardWithUndici(agent: Agent, origin: string, request: IncomingMessage, response: ServerResponse): void {
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  agent.dispatch(
    { origin, method: request.method as Dispatcher.HttpMethod, path: request.url ?? '/', headers: endToEnd(request.headers), body: hasBody ? request : null },
    relayTo(response),
  );
}

/** Relays one answer: headers when they come, body chunks with backpressure. */
function relayTo(response: ServerResponse): Dispatcher.DispatchHandler {
  return {
    // undici 7's controller-style handler (kubegate's, src/upstream/forward.ts): it is recognised by this method.
    onRequestStart() {},
    onResponseStart(_controller, statusCode, headers: IncomingHttpHeaders) {
      response.writeHead(statusCode, endToEnd(headers));
    },
    onResponseData(controller, chunk: Buffer) {
      if (!response.write(chunk)) {
        controller.pause();
        response.once('drain', () => controller.resume());
      }
    },
    onResponseEnd() {
      response.end();
    },
    onResponseError() {
      if (response.headersSent) response.destroy();
      else response.writeHead(502).end();
    },
  };
}

