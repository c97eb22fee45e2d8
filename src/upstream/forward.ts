// Forwards one ordinary (non-upgrade) API request to the API server and streams the answer back.

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { decideIdentity, isIdentityHeader, type HeaderMap, type IdentityHeaders } from './identity.js';
import type { Credentials } from '../auth/credentials.js';
import type { ImpersonationConfig } from '../kubeconfig/rest-config.js';
import { redactBody, redactHeaders, redactUrl, type Logger } from '../log.js';
import { resourceLabel, type ProxyMetrics, type UpstreamErrorKind } from '../observe/observer.js';
import { writeStatus } from '../status.js';
import { describeUpstreamError } from './failure.js';
import type { UpstreamTarget } from './pool.js';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, and Go's httputil.ReverseProxy list), plus the ones
 * kubegate itself owns: Host is replaced, and Expect is answered by Node's server before we forward.
 */
const HOP_BY_HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const;

const REQUEST_HEADERS_NOT_FORWARDED = new Set<string>([...HOP_BY_HOP, 'host', 'expect', 'http2-settings']);

const RESPONSE_HEADERS_NOT_FORWARDED = new Set<string>(HOP_BY_HOP);

export interface ForwardContext {
  readonly agent: Dispatcher;
  readonly target: UpstreamTarget;
  readonly credentials: Credentials;
  readonly impersonate: ImpersonationConfig | undefined;
  readonly logger: Logger;
  /** Sent when the client sends no User-Agent (client-go's user-agent round-tripper does the same). */
  readonly userAgent: string;
  /** Metrics sink (NO_METRICS when the admin listener is off). */
  readonly observer: ProxyMetrics;
  /** Whether to write one access line per request (-v=6 and up). */
  readonly accessLog: boolean;
  /** -v=8: request and response headers, credentials redacted. */
  readonly traceHeaders: boolean;
  /** -v=9: request and response bodies, cut to TRACE_BODY_LIMIT (never watches or streams). */
  readonly traceBodies: boolean;
  /** Stoppers for responses that stream until someone stops them (watch, follow), so shutdown can end them. */
  readonly streams: Set<() => void>;
}

/** How much of a body -v=9 shows, as kubectl's -v=9 cuts long bodies. */
export const TRACE_BODY_LIMIT = 4096;

/** A body excerpt for -v=9: text shown (credentials redacted), anything else described. */
export function describeBody(chunks: readonly Buffer[], totalBytes: number, contentType: string | undefined, contentEncoding: string | undefined): string {
  if (totalBytes === 0) return '';
  if (contentEncoding && contentEncoding !== 'identity') return `[${totalBytes} bytes, ${contentEncoding}-encoded]`;
  if (contentType && !/json|yaml|text|xml/i.test(contentType)) return `[${totalBytes} bytes of ${contentType}]`;
  const text = redactBody(Buffer.concat(chunks).subarray(0, TRACE_BODY_LIMIT).toString('utf8'));
  return totalBytes > TRACE_BODY_LIMIT ? `${text}... [${totalBytes - TRACE_BODY_LIMIT} more bytes]` : text;
}

/** Keeps the first TRACE_BODY_LIMIT bytes of a body for -v=9 while counting all of it. */
class BodySample {
  readonly chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept < TRACE_BODY_LIMIT) {
      const part = chunk.subarray(0, TRACE_BODY_LIMIT - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
  }
}

/** The request body, passed through unchanged, counted, and sampled for -v=9 when asked. */
async function* countedBody(request: IncomingMessage, exchange: Exchange, sample: BodySample | undefined, done: () => void): AsyncGenerator<Buffer> {
  for await (const chunk of request) {
    const bytes = chunk as Buffer;
    exchange.bytesIn += bytes.length;
    sample?.add(bytes);
    yield bytes;
  }
  done();
}

/** The tokens of a comma-separated header (Connection, TE), lower-cased; names in Connection are hop-by-hop too. */
export function connectionListed(value: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  const names = joined
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  return names.length > 0 ? new Set(names) : undefined;
}

/** The client address for X-Forwarded-For, as Go prints it (IPv4-mapped IPv6 shown as IPv4). */
export function clientAddress(request: IncomingMessage): string | undefined {
  const address = request.socket.remoteAddress;
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * What httputil.ReverseProxy sends upstream: client headers minus hop-by-hop, Host replaced, XFF
 * appended, and the identity headers (Authorization, Impersonate-*, User-Agent) exactly as decided
 * by decideIdentity: no client line of those reaches upstream any other way.
 */
export function buildUpstreamHeaders(request: IncomingMessage, target: UpstreamTarget, identity: IdentityHeaders): HeaderMap {
  const incoming = request.headers;
  const listed = connectionListed(incoming.connection);
  const headers: HeaderMap = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || REQUEST_HEADERS_NOT_FORWARDED.has(name) || listed?.has(name) || isIdentityHeader(name)) continue;
    headers[name] = value;
  }
  // Go re-adds `TE: trailers` when the client's TE lists that token (gRPC needs it); other TE values are dropped.
  if (connectionListed(incoming.te)?.has('trailers')) headers.te = 'trailers';
  headers.host = target.host;
  for (const [name, lines] of Object.entries(identity)) headers[name] = lines.length === 1 ? (lines[0] as string) : lines;
  const address = clientAddress(request);
  if (address !== undefined) {
    // A client that names X-Forwarded-For in Connection made its own value hop-by-hop: Go starts afresh then.
    const prior = listed?.has('x-forwarded-for') ? undefined : incoming['x-forwarded-for'];
    const priorText = Array.isArray(prior) ? prior.join(', ') : prior;
    headers['x-forwarded-for'] = priorText ? `${priorText}, ${address}` : address;
  }
  return headers;
}

export function buildResponseHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(upstream.connection);
  const headers: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || RESPONSE_HEADERS_NOT_FORWARDED.has(name) || listed?.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function hasRequestBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Watches and `logs?follow=true` never end on their own; shutdown ends them instead of waiting. */
export function isStreamingRequest(path: string, rawQuery: string): boolean {
  if (path.includes('/watch/')) return true;
  return /(^|&)(watch|follow)=(true|1)(&|$)/.test(rawQuery);
}

/**
 * Sends the request upstream through the agent and relays status, headers and body with
 * backpressure. Failures before the response starts become a `Status` body (503/500); after it,
 * the client connection is aborted, as Go's ReverseProxy does.
 */
export function forwardRequest(
  context: ForwardContext,
  request: IncomingMessage,
  response: ServerResponse,
  upstreamPath: string,
  query: string | undefined,
): void {
  const { target } = context;
  const identity = decideIdentity(request.rawHeaders, { impersonate: context.impersonate, userAgent: context.userAgent, dropConnectionListed: true });
  const method = request.method ?? 'GET';
  const exchange: Exchange = {
    id: typeof request.headers['audit-id'] === 'string' ? request.headers['audit-id'] : randomUUID(),
    method,
    path: upstreamPath,
    started: performance.now(),
    upstreamMs: -1,
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
    streaming: isStreamingRequest(upstreamPath, query ?? ''),
    // Only a request kubegate authenticated, with no body to replay, is retried after a 401.
    retryable: (method === 'GET' || method === 'HEAD') && !hasRequestBody(request) && !identity.clientAuthorization,
  };
  // The id reaches the API server's audit log (kube-apiserver adopts a client's Audit-ID) and the client.
  response.setHeader('audit-id', exchange.id);
  context.observer.requestStarted();
  if (exchange.streaming) context.observer.watchOpened();
  response.once('close', () => finish(context, exchange));
  const path = `${target.basePath}${upstreamPath}${query === undefined ? '' : `?${query}`}`;
  // A client's own Authorization wins, so no credential is asked for (client-go runs no exec plugin then).
  const needsCredential = target.tls && !identity.clientAuthorization;
  withCredentials(context, needsCredential, response, exchange, (authorization) => {
    const headers = buildUpstreamHeaders(request, target, identity.headers(authorization));
    headers['audit-id'] = exchange.id;
    if (context.traceHeaders) {
      context.logger.trace({ reqId: exchange.id, method, url: redactUrl(path), headers: redactHeaders(headers) }, `Request headers: ${method} ${redactUrl(path)}`);
    }
    dispatch(context, request, response, path, headers, exchange, authorization);
  });
}

/** Per-request bookkeeping for the access log and metrics. */
interface Exchange {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly started: number;
  upstreamMs: number;
  status: number;
  bytesIn: number;
  bytesOut: number;
  readonly streaming: boolean;
  retryable: boolean;
}

function finish(context: ForwardContext, exchange: Exchange): void {
  const totalMs = performance.now() - exchange.started;
  const resource = resourceLabel(exchange.path);
  if (exchange.streaming) context.observer.watchClosed();
  context.observer.requestFinished(exchange.method, resource, exchange.status, exchange.streaming ? -1 : totalMs / 1000, exchange.bytesIn, exchange.bytesOut);
  if (context.accessLog) {
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
}

/**
 * Asks the credential source for the Authorization value (sync on the hot path, async for plugins).
 * client-go loads no credentials for http:// servers (impersonation still applies, spec 3.3), and
 * none is needed when the client brought its own Authorization.
 */
function withCredentials(
  context: ForwardContext,
  needsCredential: boolean,
  response: ServerResponse,
  exchange: Exchange,
  send: (authorization: string | undefined) => void,
): void {
  const fail = (error: unknown): void => {
    const described = describeUpstreamError(error, context.target.origin);
    context.observer.upstreamError('credential');
    context.logger.error({ err: described, code: described.code }, 'Error while proxying request');
    // Counted in kubegate_requests_total with the status the client got (issue 14 item 6).
    exchange.status = described.status;
    if (!response.headersSent) writeStatus(response, described.status, described.message);
    else response.destroy();
  };
  if (!needsCredential) {
    send(undefined);
    return;
  }
  try {
    const authorization = context.credentials.authorization();
    if (typeof authorization === 'object' && authorization !== null) authorization.then(send, fail);
    else send(authorization);
  } catch (error) {
    fail(error);
  }
}

function dispatch(
  context: ForwardContext,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  headers: HeaderMap,
  exchange: Exchange,
  usedAuthorization: string | undefined,
): void {
  let controller: Dispatcher.DispatchController | undefined;
  let clientGone = false;
  let started = false;
  let retrying = false;
  const dispatchedAt = performance.now();

  const onClientClose = (): void => {
    if (response.writableFinished || retrying) return;
    clientGone = true;
    // A client that goes away cancels its upstream request (and the watch behind it).
    controller?.abort(new Error('client closed the connection'));
  };
  response.once('close', onClientClose);
  // Every stream gets an error listener at creation: an aborted upload must not crash the process.
  request.once('error', () => controller?.abort(new Error('client request aborted')));
  let stop: (() => void) | undefined;
  if (exchange.streaming) {
    stop = (): void => {
      clientGone = true;
      controller?.abort(new Error('kubegate is shutting down'));
      if (started) response.end();
      else writeStatus(response, 503, 'kubegate is shutting down');
    };
    context.streams.add(stop);
  }
  const release = (): void => {
    response.off('close', onClientClose);
    if (stop) context.streams.delete(stop);
  };
  response.once('close', release);

  const traceBody = context.traceBodies && !exchange.streaming;
  let body: Dispatcher.DispatchOptions['body'] = null;
  if (hasRequestBody(request)) {
    // Streamed through a generator that counts bytes (metrics) and keeps a sample for -v=9.
    const sample = traceBody ? new BodySample() : undefined;
    body = Readable.from(
      countedBody(request, exchange, sample, () => {
        if (!sample) return;
        const text = describeBody(sample.chunks, sample.total, headerText(headers['content-type']), headerText(headers['content-encoding']));
        context.logger.trace({ reqId: exchange.id, bytes: sample.total, body: text }, `Request body (${sample.total} bytes)`);
      }),
      { objectMode: false },
    );
  }
  const responseSample = traceBody ? new BodySample() : undefined;
  let responseType: string | undefined;
  let responseEncoding: string | undefined;

  const options: Dispatcher.DispatchOptions = {
    origin: context.target.origin,
    path,
    method: request.method as Dispatcher.HttpMethod,
    headers,
    body,
    // A retried non-idempotent request could be applied twice upstream.
    idempotent: request.method === 'GET' || request.method === 'HEAD',
  };

  context.agent.dispatch(options, {
    onRequestStart(ctrl) {
      controller = ctrl;
      if (clientGone) ctrl.abort(new Error('client closed the connection'));
    },
    onResponseStart(ctrl, statusCode, upstreamHeaders) {
      // undici hands interim answers (103 Early Hints, 102) to the handler like final ones; the final one follows.
      if (statusCode < 200) {
        if (!clientGone && !retrying && !started) relayInterim(request, response, statusCode, upstreamHeaders);
        return;
      }
      exchange.upstreamMs = performance.now() - dispatchedAt;
      if (statusCode === 401 && usedAuthorization !== undefined) {
        // The credential was rejected: drop the cached one so the next read sees a rotated file or re-runs a plugin.
        context.credentials.invalidate();
        context.observer.credentialRefresh('api-401', 'failure');
        if (exchange.retryable) {
          exchange.retryable = false;
          const fresh = safeAuthorization(context.credentials);
          if (typeof fresh === 'string' && fresh !== usedAuthorization) {
            // Retry once with the new credential; the 401 never reaches the client.
            retrying = true;
            release();
            ctrl.abort(new Error('retrying with a refreshed credential'));
            headers.authorization = fresh;
            dispatch(context, request, response, path, headers, exchange, fresh);
            return;
          }
          if (typeof fresh === 'object' && fresh !== null) {
            // An exec plugin is re-running: drop this 401 and retry once with whatever it returns
            // (the same token is retried too, and that second 401 then reaches the client).
            retrying = true;
            release();
            ctrl.abort(new Error('retrying with a refreshed credential'));
            fresh.then(
              (authorization) => {
                if (authorization === undefined) delete headers.authorization;
                else headers.authorization = authorization;
                dispatch(context, request, response, path, headers, exchange, authorization);
              },
              (error: unknown) => {
                const described = describeUpstreamError(error, context.target.origin);
                context.observer.upstreamError('credential');
                context.logger.error({ err: described, code: described.code }, 'Error while proxying request');
                exchange.status = described.status;
                if (!response.headersSent) writeStatus(response, described.status, described.message);
              },
            );
            return;
          }
        }
      }
      started = true;
      exchange.status = statusCode;
      const responseHeaders = buildResponseHeaders(upstreamHeaders);
      if (responseHeaders['audit-id'] === undefined) responseHeaders['audit-id'] = exchange.id;
      if (context.traceHeaders) {
        context.logger.trace({ reqId: exchange.id, status: statusCode, headers: redactHeaders(responseHeaders) }, `Response status: ${statusCode}`);
      }
      responseType = headerText(responseHeaders['content-type']);
      responseEncoding = headerText(responseHeaders['content-encoding']);
      response.writeHead(statusCode, responseHeaders);
      // Send headers now: a watch may not produce its first event for minutes.
      if (exchange.streaming) response.flushHeaders();
    },
    onResponseData(ctrl, chunk) {
      if (clientGone || retrying) return;
      exchange.bytesOut += chunk.length;
      responseSample?.add(chunk);
      if (!response.write(chunk)) {
        ctrl.pause();
        response.once('drain', () => ctrl.resume());
      }
    },
    onResponseEnd() {
      if (clientGone || retrying) return;
      if (responseSample) {
        const text = describeBody(responseSample.chunks, responseSample.total, responseType, responseEncoding);
        context.logger.trace({ reqId: exchange.id, bytes: responseSample.total, body: text }, `Response body (${responseSample.total} bytes)`);
      }
      response.end();
    },
    onResponseError(_ctrl, error) {
      if (clientGone || retrying) return;
      const described = describeUpstreamError(error, context.target.origin);
      context.observer.upstreamError(errorKind(described.code));
      if (!started && !response.headersSent) {
        context.logger.error({ err: described, code: described.code }, 'Error while proxying request');
        exchange.status = described.status;
        writeStatus(response, described.status, described.message);
        return;
      }
      context.logger.warn({ reqId: exchange.id, code: described.code }, 'upstream response aborted');
      response.destroy();
    },
  });
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

function safeAuthorization(credentials: Credentials): string | undefined | Promise<string | undefined> {
  try {
    return credentials.authorization();
  } catch {
    return undefined;
  }
}

function errorKind(code: string): UpstreamErrorKind {
  switch (code) {
    case 'KG_ERR_UPSTREAM_TLS':
      return 'tls';
    case 'KG_ERR_UPSTREAM_UNREACHABLE':
      return 'unreachable';
    case 'KG_ERR_CREDENTIAL':
      return 'credential';
    default:
      return 'protocol';
  }
}
