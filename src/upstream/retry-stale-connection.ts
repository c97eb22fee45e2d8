// Replays a bodyless idempotent request once when its keep-alive connection died before any answer (a dispatcher interceptor).

import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';

/** Go's Transport replays these methods (net/http transport.go isReplayable). */
const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * How undici reports a connection the server closed under a request: the socket ended ('other side
 * closed', 'closed') or was reset. Anything else (TLS, DNS, refused, an abort) is not retried.
 */
const CONNECTION_LOST = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * Whether a request may be sent twice: no body (kubegate streams bodies and cannot replay them),
 * and a safe method or an Idempotency-Key header, as Go decides.
 */
export function isReplayable(options: Dispatcher.DispatchOptions): boolean {
  if (options.body !== null && options.body !== undefined) return false;
  if (options.upgrade) return false;
  if (REPLAYABLE_METHODS.has(options.method)) return true;
  return hasHeader(options.headers, 'idempotency-key') || hasHeader(options.headers, 'x-idempotency-key');
}

function hasHeader(headers: Dispatcher.DispatchOptions['headers'], name: string): boolean {
  if (headers === null || headers === undefined) return false;
  if (Array.isArray(headers)) return headers.some((item, i) => i % 2 === 0 && String(item).toLowerCase() === name);
  if (Symbol.iterator in headers) return false; // kubegate passes plain objects; iterables are not inspected
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/**
 * undici also uses UND_ERR_SOCKET for answers it refuses to parse ('bad response': e.g. an
 * unsolicited 100 Continue; 'bad upgrade'): the server did answer, and would answer the same again.
 */
const ANSWERED = new Set(['bad response', 'bad upgrade']);

export function isConnectionLost(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && CONNECTION_LOST.has(code) && !ANSWERED.has(error.message);
}

/**
 * A pooled keep-alive connection can be closed by the API server (or a load balancer) just as a
 * request is written on it; undici then fails that request with 'other side closed', and the
 * client would get a 503 for a request the server never saw. Go's Transport retries such requests
 * on a new connection (shouldRetryRequest); this does the same, once, and only when no response
 * had started, so nothing reached the client and the server cannot have acted on a replayable one.
 */
export function retryStaleConnection(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    if (!isReplayable(options)) return dispatch(options, handler);
    return dispatch(options, new ReplayOnceHandler(handler, isConnectionLost, () => dispatch(options, handler)));
  };
}

/**
 * Passes every event through, except a failure `shouldReplay` recognises before any final answer
 * started (and not an abort): then it replays once instead. Both retry interceptors use it.
 */
export class ReplayOnceHandler implements Dispatcher.DispatchHandler {
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #shouldReplay: (error: Error) => boolean;
  readonly #replay: () => void;
  #responded = false;

  constructor(handler: Dispatcher.DispatchHandler, shouldReplay: (error: Error) => boolean, replay: () => void) {
    this.#handler = handler;
    this.#shouldReplay = shouldReplay;
    this.#replay = replay;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode >= 200) this.#responded = true;
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    // undici passes no controller when the connection failed before the request started (hence `?.`).
    if (!this.#responded && controller?.aborted !== true && this.#shouldReplay(error)) {
      this.#replay();
      return;
    }
    this.#handler.onResponseError?.(controller, error);
  }
}
