// Forwards one ordinary (non-upgrade) API request to the API server and streams the answer back.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Agent, Dispatcher } from 'undici';
import { applyCredentials, type HeaderMap } from '../auth/apply-credentials.js';
import type { Credentials } from '../auth/credentials.js';
import type { ImpersonationConfig } from '../kubeconfig/rest-config.js';
import type { Logger } from '../log.js';
import { writeStatus } from '../status.js';
import { describeUpstreamError } from './upstream-errors.js';
import type { UpstreamTarget } from './upstream.js';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, and Go's httputil.ReverseProxy list), plus the ones
 * kubegate itself owns: Host is replaced, and Expect is answered by Node's server before we forward.
 */
const REQUEST_HEADERS_NOT_FORWARDED = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
  'http2-settings',
]);

const RESPONSE_HEADERS_NOT_FORWARDED = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface ForwardContext {
  readonly agent: Agent;
  readonly target: UpstreamTarget;
  readonly credentials: Credentials;
  readonly impersonate: ImpersonationConfig | undefined;
  readonly logger: Logger;
  /** Sent when the client sends no User-Agent (client-go's user-agent round-tripper does the same). */
  readonly userAgent: string;
  /** Stoppers for responses that stream until someone stops them (watch, follow), so shutdown can end them. */
  readonly streams: Set<() => void>;
}

/** The names listed in a Connection header, lower-cased; those headers are hop-by-hop too. */
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

/** What httputil.ReverseProxy sends upstream: client headers minus hop-by-hop, Host replaced, XFF appended. */
export function buildUpstreamHeaders(request: IncomingMessage, target: UpstreamTarget, userAgent: string): HeaderMap {
  const incoming = request.headers;
  const listed = connectionListed(incoming.connection);
  const headers: HeaderMap = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || REQUEST_HEADERS_NOT_FORWARDED.has(name) || listed?.has(name)) continue;
    headers[name] = value;
  }
  // Go keeps `TE: trailers` (gRPC needs it); every other TE value is dropped.
  if (incoming.te === 'trailers') headers.te = 'trailers';
  headers.host = target.host;
  if (incoming['user-agent'] === undefined) headers['user-agent'] = userAgent;
  const address = clientAddress(request);
  if (address !== undefined) {
    const prior = incoming['x-forwarded-for'];
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
  const { target, credentials } = context;
  const headers = buildUpstreamHeaders(request, target, context.userAgent);
  const path = `${target.basePath}${upstreamPath}${query === undefined ? '' : `?${query}`}`;

  const send = (authorization: string | undefined): void => {
    applyCredentials(headers, target.tls ? authorization : undefined, context.impersonate);
    dispatch(context, request, response, path, headers, isStreamingRequest(upstreamPath, query ?? ''));
  };
  const fail = (error: unknown): void => {
    const described = describeUpstreamError(error, target.origin);
    context.logger.error({ err: described, code: described.code }, 'Error while proxying request');
    if (!response.headersSent) writeStatus(response, described.status, described.message);
    else response.destroy();
  };

  if (!target.tls) {
    // client-go loads no credentials for http:// servers; impersonation still applies (spec 3.3).
    send(undefined);
    return;
  }
  try {
    const authorization = credentials.authorization();
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
  streaming: boolean,
): void {
  let controller: Dispatcher.DispatchController | undefined;
  let clientGone = false;
  let started = false;

  const onClientClose = (): void => {
    if (response.writableFinished) return;
    clientGone = true;
    // A client that goes away cancels its upstream request (and the watch behind it).
    controller?.abort(new Error('client closed the connection'));
  };
  response.once('close', onClientClose);
  // Every stream gets an error listener at creation: an aborted upload must not crash the process.
  request.once('error', () => controller?.abort(new Error('client request aborted')));
  if (streaming) {
    const stop = (): void => {
      clientGone = true;
      controller?.abort(new Error('kubegate is shutting down'));
      if (started) response.end();
      else writeStatus(response, 503, 'kubegate is shutting down');
    };
    context.streams.add(stop);
    response.once('close', () => context.streams.delete(stop));
  }

  const options: Dispatcher.DispatchOptions = {
    origin: context.target.origin,
    path,
    method: request.method as Dispatcher.HttpMethod,
    headers,
    body: hasRequestBody(request) ? request : null,
    // A retried non-idempotent request could be applied twice upstream.
    idempotent: request.method === 'GET' || request.method === 'HEAD',
  };

  context.agent.dispatch(options, {
    onRequestStart(ctrl) {
      controller = ctrl;
      if (clientGone) ctrl.abort(new Error('client closed the connection'));
    },
    onResponseStart(ctrl, statusCode, upstreamHeaders) {
      started = true;
      if (statusCode === 401) context.credentials.invalidate();
      response.writeHead(statusCode, buildResponseHeaders(upstreamHeaders));
      // Send headers now: a watch may not produce its first event for minutes.
      if (streaming) response.flushHeaders();
      void ctrl;
    },
    onResponseData(ctrl, chunk) {
      if (clientGone) return;
      if (!response.write(chunk)) {
        ctrl.pause();
        response.once('drain', () => ctrl.resume());
      }
    },
    onResponseEnd() {
      if (!clientGone) response.end();
    },
    onResponseError(_ctrl, error) {
      if (clientGone) return;
      if (!started && !response.headersSent) {
        const described = describeUpstreamError(error, context.target.origin);
        context.logger.error({ err: described, code: described.code }, 'Error while proxying request');
        writeStatus(response, described.status, described.message);
        return;
      }
      context.logger.warn({ code: (error as { code?: string }).code }, 'upstream response aborted');
      response.destroy();
    },
  });
}
