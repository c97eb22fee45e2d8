// Forwards one ordinary (non-upgrade) API request to the API server and streams the answer back.
//
// The order of steps: identity (who the request runs as) → the credential step → headers →
// dispatch through the pool the caller chose (with the 401-refresh wrapper) → the relay, one method
// per undici callback. Failures before the answer starts are a Status body; after it, the client
// connection is aborted, as Go's ReverseProxy does.

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import type { ImpersonationConfig } from '../kubeconfig/rest-config.js';
import { redactHeaders, redactUrl, type Logger } from '../log.js';
import { NO_METRICS, resourceLabel, type ProxyMetrics } from '../observe/observer.js';
import { writeStatus } from '../status.js';
import { authorize } from './authorize.js';
import { reportFailure, type FailureSink } from './failure.js';
import { answerIsGzip, askForGzip, buildResponseHeaders, buildUpstreamHeaders, hasRequestBody, responseHead } from './headers.js';
import { decideIdentity, type HeaderMap } from './identity.js';
import { GzipInflater } from './inflate.js';
import { dispatchRefreshingOn401, type Dispatch } from './retry-401.js';
import type { UpstreamTarget } from './target.js';
import { recheckAfterAnswer } from './recheck-after-answer.js';
import { BodySample, describeBody, headerText } from './trace.js';

/** The two ways to the API server; the caller picks one per request, nothing here re-reads the path. */
export interface UpstreamPools {
  /** The HTTP/1.1 keep-alive pool: ordinary requests. */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
  /** Long-running streams (watch, follow): HTTP/2 streams when the server speaks it. */
  dispatchStream(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
}

export interface ForwardContext {
  readonly pools: UpstreamPools;
  readonly target: UpstreamTarget;
  readonly credentials: Credentials;
  readonly impersonate: ImpersonationConfig | undefined;
  readonly logger: Logger;
  /** Sent when the client sends no User-Agent (client-go's user-agent round-tripper does the same). */
  readonly userAgent: string;
  /** Metrics sink (NO_METRICS when the admin listener is off). */
  readonly metrics: ProxyMetrics;
  /** Whether to write one access line per request (-v=6 and up). */
  readonly accessLog: boolean;
  /** -v=8: request and response headers, credentials redacted. */
  readonly traceHeaders: boolean;
  /** -v=9: request and response bodies, cut to TRACE_BODY_LIMIT (never watches or streams). */
  readonly traceBodies: boolean;
  /** Stoppers for responses that stream until someone stops them (watch, follow), so shutdown can end them. */
  readonly streams: Set<() => void>;
  /**
   * RestConfig.disableCompression (`--disable-compression`): do not ask the API server for gzip on
   * the client's behalf. Honoured for https servers only, as kubectl (client-go uses Go's default
   * transport, which always asks, for a plain-http server).
   */
  readonly disableCompression: boolean;
}

/** One request the server decided to forward. */
export interface ForwardRequest {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** The path the filter checked, as it goes upstream, and the raw query (undefined: no '?'). */
  readonly upstreamPath: string;
  readonly query: string | undefined;
  /** A watch or follow: never ends by itself, so it rides the stream pool and shutdown ends it. */
  readonly streaming: boolean;
}

/** Per-request bookkeeping for the access log and metrics. */
interface Exchange {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly started: number;
  readonly streaming: boolean;
  upstreamMs: number;
  status: number;
  bytesIn: number;
  bytesOut: number;
}

export function forwardRequest(context: ForwardContext, forward: ForwardRequest): void {
  const { request, response, target } = { ...forward, target: context.target };
  const identity = decideIdentity(request.rawHeaders, { impersonate: context.impersonate, userAgent: context.userAgent, dropConnectionListed: true });
  const exchange = openExchange(context, forward);
  const path = `${target.basePath}${forward.upstreamPath}${forward.query === undefined ? '' : `?${forward.query}`}`;
  // A client's own Authorization wins, so no credential is asked for (client-go runs no exec plugin then).
  authorize(context.credentials, target.tls && !identity.clientAuthorization, (error, authorization) => {
    if (error !== undefined) {
      // No relay will be made: the exchange ends with this answer.
      response.once('close', () => closeExchange(context, exchange));
      stampAuditId(response, exchange.id);
      exchange.status = reportFailure(failureSink(context), error, { kind: 'response', response }, { what: 'Error while proxying request', requestId: exchange.id });
      return;
    }
    const headers = buildUpstreamHeaders(request, target, identity.headers(authorization));
    headers['audit-id'] = exchange.id;
    const askedGzip = askForGzip(exchange.method, headers, context.disableCompression && target.tls);
    if (context.traceHeaders) {
      context.logger.trace({ reqId: exchange.id, method: exchange.method, url: redactUrl(path), headers: redactHeaders(headers) }, `Request headers: ${exchange.method} ${redactUrl(path)}`);
    }
    // No token of kubegate's and none of the client's: kubegate's client certificate, if any, is what a 401 rejects.
    const certificateOnly = target.tls && authorization === undefined && !identity.clientAuthorization;
    const relay = new ForwardRelay(context, forward, exchange, headers, askedGzip, certificateOnly);
    const dispatch: Dispatch = (options, handler) => (forward.streaming ? context.pools.dispatchStream(options, handler) : context.pools.dispatch(options, handler));
    dispatchRefreshingOn401(dispatch, relay.dispatchOptions(path), relay, {
      credentials: context.credentials,
      used: authorization,
      // Only a request kubegate authenticated, with no body to replay, is retried after a 401.
      retryable: (exchange.method === 'GET' || exchange.method === 'HEAD') && !hasRequestBody(request) && !identity.clientAuthorization,
      onRejected: () => context.metrics.credentialRefresh('api-401', 'failure'),
    });
  });
}

function failureSink(context: ForwardContext): FailureSink {
  return { logger: context.logger, metrics: context.metrics, origin: context.target.origin, context: context.target.context };
}

/** Starts the bookkeeping: the request id (also the API server's Audit-ID), counters, the access line at the end. */
function openExchange(context: ForwardContext, forward: ForwardRequest): Exchange {
  const { request, response } = forward;
  const exchange: Exchange = {
    id: typeof request.headers['audit-id'] === 'string' ? request.headers['audit-id'] : randomUUID(),
    method: request.method ?? 'GET',
    path: forward.upstreamPath,
    started: performance.now(),
    streaming: forward.streaming,
    upstreamMs: -1,
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  // The id reaches the API server's audit log (kube-apiserver adopts a client's Audit-ID) and the
  // client: in the head onResponseStart writes, or by stampAuditId on an answer kubegate writes itself.
  context.metrics.requestStarted();
  if (exchange.streaming) context.metrics.watchOpened();
  return exchange;
}

/**
 * The Audit-Id on an answer kubegate writes itself (an error, a shutdown's 503). Set only there: a
 * header set before writeHead makes Node merge the API server's head into it with one setHeader per
 * line, each validated again when the head is written; without one, writeHead takes the head as it is.
 */
function stampAuditId(response: ServerResponse, id: string): void {
  if (!response.headersSent) response.setHeader('audit-id', id);
}

function closeExchange(context: ForwardContext, exchange: Exchange): void {
  const totalMs = performance.now() - exchange.started;
  if (exchange.streaming) context.metrics.watchClosed();
  // The label splits the path: not worth it for metrics that record nothing (no --admin-address).
  const resource = context.metrics === NO_METRICS ? '' : resourceLabel(exchange.path);
  context.metrics.requestFinished(exchange.method, resource, exchange.status, exchange.streaming ? -1 : totalMs / 1000, exchange.bytesIn, exchange.bytesOut);
  if (!context.accessLog) return;
  context.logger.debug(
    {
      reqId: exchange.id,
      method: exchange.method,
      path: exchange.path,
      status: exchange.status,
      bytes: exchange.bytesOut,
      upstreamMs: Math.round(exchange.upstreamMs * 10) / 10,
      totalMs: Math.round(totalMs * 10) / 10,
      ...(exchange.streaming ? { streamSeconds: Math.round(totalMs / 100) / 10 } : {}),
    },
    `${exchange.method} ${exchange.path} ${exchange.status}`,
  );
}

/**
 * The relay of one forwarded request: its state in fields, one method per undici callback. The
 * client going away cancels the upstream request (and the watch behind it); shutdown ends a stream
 * cleanly; backpressure runs both ways. A gzip answer to a request kubegate asked gzip for is
 * inflated on the way (Go's Transport does the same for kubectl).
 */
class ForwardRelay implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #clientGone = false;
  #started = false;
  #finished = false;
  readonly #dispatchedAt = performance.now();
  readonly #sample: BodySample | undefined;
  #inflater: GzipInflater | undefined;
  #responseType: string | undefined;
  #responseEncoding: string | undefined;

  constructor(
    private readonly context: ForwardContext,
    private readonly forward: ForwardRequest,
    private readonly exchange: Exchange,
    private readonly headers: HeaderMap,
    /** kubegate added `Accept-Encoding: gzip` (the client sent none): a gzip answer is kubegate's to inflate. */
    private readonly askedGzip: boolean,
    /** Only a client certificate of kubegate's can have authenticated the request (see #certificateRejected). */
    private readonly certificateOnly: boolean,
  ) {
    this.#sample = context.traceBodies && !exchange.streaming ? new BodySample() : undefined;
    const { request, response } = forward;
    const stop = exchange.streaming ? (): void => this.#stop() : undefined;
    if (stop) context.streams.add(stop);
    // One listener for the end of the exchange, whichever side ends it (one per request: the hot path).
    response.once('close', () => {
      if (stop) context.streams.delete(stop);
      if (!response.writableFinished) {
        // A client that goes away cancels its upstream request (and the watch behind it).
        this.#clientGone = true;
        this.#inflater?.destroy();
        this.#controller?.abort(new Error('client closed the connection'));
      }
      closeExchange(context, exchange);
    });
    // Every stream gets an error listener at creation: an aborted upload must not crash the process.
    request.once('error', () => this.#controller?.abort(new Error('client request aborted')));
  }

  /** The request as undici sends it: the body streamed (counted, and sampled for -v=9), never buffered. */
  dispatchOptions(path: string): Dispatcher.DispatchOptions {
    const method = this.exchange.method;
    return {
      origin: this.context.target.origin,
      path,
      method: method as Dispatcher.HttpMethod,
      headers: this.headers,
      body: hasRequestBody(this.forward.request) ? Readable.from(this.#requestBody(), { objectMode: false }) : null,
      // A retried non-idempotent request could be applied twice upstream.
      idempotent: method === 'GET' || method === 'HEAD',
    };
  }

  async *#requestBody(): AsyncGenerator<Buffer> {
    const sample = this.#sample ? new BodySample() : undefined;
    for await (const chunk of this.forward.request) {
      const bytes = chunk as Buffer;
      this.exchange.bytesIn += bytes.length;
      sample?.add(bytes);
      yield bytes;
    }
    if (sample) {
      const text = describeBody(sample.chunks, sample.total, headerText(this.headers['content-type']), headerText(this.headers['content-encoding']));
      this.context.logger.trace({ reqId: this.exchange.id, bytes: sample.total, body: text }, `Request body (${sample.total} bytes)`);
    }
  }

  /** Shutdown: a stream ends with a clean end of body (or a 503 when it had not started). */
  #stop(): void {
    this.#clientGone = true;
    this.#inflater?.destroy();
    this.#controller?.abort(new Error('kubegate is shutting down'));
    if (this.#started) this.forward.response.end();
    else {
      stampAuditId(this.forward.response, this.exchange.id);
      writeStatus(this.forward.response, 503, 'kubegate is shutting down');
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, upstreamHeaders: IncomingHttpHeaders): void {
    const { request, response } = this.forward;
    // undici hands interim answers (103 Early Hints, 102) to the handler like final ones; the final one follows.
    if (statusCode < 200) {
      if (!this.#clientGone && !this.#started) relayInterim(request, response, statusCode, upstreamHeaders);
      return;
    }
    this.exchange.upstreamMs = performance.now() - this.#dispatchedAt;
    this.#started = true;
    if (statusCode === 401 && this.certificateOnly) this.#certificateRejected();
    this.exchange.status = statusCode;
    const responseHeaders = buildResponseHeaders(upstreamHeaders);
    if (this.askedGzip && answerIsGzip(statusCode, upstreamHeaders)) {
      // As Go's Transport: the client gets the inflated body, its length unknown (chunked).
      delete responseHeaders['content-encoding'];
      delete responseHeaders['content-length'];
      this.#inflater = this.#inflaterFor(controller);
    }
    if (responseHeaders['audit-id'] === undefined) responseHeaders['audit-id'] = this.exchange.id;
    if (this.context.traceHeaders) {
      this.context.logger.trace({ reqId: this.exchange.id, status: statusCode, headers: redactHeaders(responseHeaders) }, `Response status: ${statusCode}`);
    }
    this.#responseType = headerText(responseHeaders['content-type']);
    this.#responseEncoding = headerText(responseHeaders['content-encoding']);
    response.writeHead(statusCode, responseHead(responseHeaders));
    this.#sendHeadSoon();
  }

  /**
   * The API server refused kubegate's client certificate. As client-go's exec authenticator does on
   * a 401 (plugin/pkg/client/auth/exec: RoundTrip → maybeRefreshCreds), a plugin's certificate is
   * dropped so the next request runs the plugin again and gets a pool with the new certificate; the
   * 401 itself goes to the client, as in client-go: the request is not replayed. A token of
   * kubegate's is handled before this, by retry-401.ts.
   */
  #certificateRejected(): void {
    if (this.context.credentials.certificateRejected()) this.context.metrics.credentialRefresh('api-401', 'failure');
  }

  /**
   * The head goes to the client when the API server sent it, not with the first body byte (which
   * may come much later). A watch flushes at once. Otherwise the flush waits one turn of the event
   * loop: a small answer's body arrives in the same read as its head (undici parses both in one
   * go), goes out in the same write, and the check below finds a body already written.
   */
  #sendHeadSoon(): void {
    const response = this.forward.response;
    if (this.exchange.streaming) {
      response.flushHeaders();
      return;
    }
    setImmediate(() => {
      if (this.exchange.bytesOut === 0 && !this.#clientGone && !response.writableEnded && !response.destroyed) response.flushHeaders();
    });
  }

  #inflaterFor(controller: Dispatcher.DispatchController): GzipInflater {
    const response = this.forward.response;
    return new GzipInflater({
      write: (chunk) => this.#toClient(chunk),
      onceDrained: (resume) => response.once('drain', resume),
      end: () => this.#finish(),
      fail: (error) => {
        // A corrupt or cut-off gzip body breaks the answer off, like any upstream failure mid-body.
        controller.abort(error);
        this.onResponseError(controller, error);
      },
    });
  }

  /** Writes body bytes to the client (counted, sampled for -v=9); false when the client takes no more for now. */
  #toClient(chunk: Buffer): boolean {
    this.exchange.bytesOut += chunk.length;
    this.#sample?.add(chunk);
    return this.forward.response.write(chunk);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#clientGone) return;
    if (this.#inflater) {
      this.#inflater.write(chunk, controller);
      return;
    }
    if (!this.#toClient(chunk)) {
      controller.pause();
      this.forward.response.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#clientGone) return;
    if (this.#inflater) this.#inflater.end();
    else this.#finish();
  }

  /** The whole body reached the client: the -v=9 sample (of the bytes the client got), then the end. */
  #finish(): void {
    if (this.#clientGone || this.#finished) return;
    this.#finished = true;
    const sample = this.#sample;
    if (sample) {
      const text = describeBody(sample.chunks, sample.total, this.#responseType, this.#responseEncoding);
      this.context.logger.trace({ reqId: this.exchange.id, bytes: sample.total, body: text }, `Response body (${sample.total} bytes)`);
    }
    this.forward.response.end();
    recheckAfterAnswer(this.context.credentials, this.context.logger);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#clientGone || this.#finished) return;
    this.#finished = true;
    this.#inflater?.destroy();
    stampAuditId(this.forward.response, this.exchange.id);
    const status = reportFailure(failureSink(this.context), error, { kind: 'response', response: this.forward.response }, { what: 'Error while proxying request', requestId: this.exchange.id });
    if (status !== 0) this.exchange.status = status;
  }
}

/**
 * An interim upstream answer: 103 Early Hints is relayed (Go's ReverseProxy relays 1xx since Go
 * 1.20), to HTTP/1.1 clients only (RFC 9110 15.2: none to HTTP/1.0); any other 1xx is dropped.
 * Never fatal: a Link value Node refuses is dropped too, and the final answer still follows.
 */
function relayInterim(request: IncomingMessage, response: ServerResponse, statusCode: number, upstreamHeaders: IncomingHttpHeaders): void {
  if (statusCode !== 103 || request.httpVersionMajor !== 1 || request.httpVersionMinor < 1 || response.headersSent) return;
  const hints = buildResponseHeaders(upstreamHeaders);
  if (hints.link === undefined) return;
  try {
    response.writeEarlyHints(hints);
  } catch {
    // validateLinkHeaderValue refused the Link value: the hint is only a hint.
  }
}
