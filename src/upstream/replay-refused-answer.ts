// Replays a bodyless idempotent request through node:http(s) when undici refused the API server's answer (a dispatcher interceptor).

import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { HandlerController } from './handler-controller.js';
import type { ProxyRoute } from '../kubeconfig/proxy.js';
import { CONNECT_TIMEOUT_MS, dialUpstream, tlsConnectOptions } from './dial.js';
import { isReplayable, ReplayOnceHandler } from './retry-stale-connection.js';
import type { UpstreamTlsOptions } from './dial.js';

/**
 * undici's HTTP/1.1 parser destroys the connection on an interim `100 Continue` it did not ask
 * for (client-h1.js onHeadersComplete: 'bad response'), although RFC 9110 section 15.2 says a
 * client must accept 1xx answers it does not expect; Go's Transport skips them (kubectl relays them).
 * kube-apiserver never sends one (kubegate sends no Expect), but a proxy in front of it may.
 */
export function isRefusedAnswer(error: Error): boolean {
  return (error as { code?: unknown }).code === 'UND_ERR_SOCKET' && error.message === 'bad response';
}

/**
 * When undici refuses an answer before any final response started, sends the request once more
 * through node:http(s), whose parser skips interim answers ('information' events), on a one-off
 * connection with the same TLS settings. Only for requests that may be sent twice (isReplayable).
 */
export function replayRefusedAnswer(origin: string, tls: () => UpstreamTlsOptions, route?: ProxyRoute): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    if (!isReplayable(options)) return dispatch(options, handler);
    return dispatch(options, new ReplayOnceHandler(handler, isRefusedAnswer, () => sendThroughNode(origin, tls(), route, options, handler)));
  };
}

/** The replay's connection, dialled as every other one (through the proxy when there is one). */
function replayConnection(url: URL, tls: UpstreamTlsOptions, route: ProxyRoute | undefined): (options: unknown, oncreate: (error: Error | null, socket: Duplex) => void) => undefined {
  const secure = url.protocol === 'https:' ? { ...tlsConnectOptions(tls), ALPNProtocols: ['http/1.1'] } : undefined;
  const target = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (secure ? 443 : 80), secure, trust: tls, allowHalfOpen: false };
  return (_options, oncreate) => {
    dialUpstream(route, target, (error, socket) => {
      if (socket !== undefined) oncreate(null, socket);
      // Node reads no socket when there is an error (its typings ask for one anyway).
      else (oncreate as (failure: Error) => void)(error ?? new Error('no socket'));
    });
    return undefined;
  };
}

/** The undici controller interface over one node:http request, so the caller's handler needs no second code path. */
class NodeRequestController extends HandlerController {
  request: ClientRequest | undefined;
  response: IncomingMessage | undefined;

  abort(reason: Error): void {
    this.fail(reason);
    this.request?.destroy();
  }
  pause(): void {
    this.isPaused = true;
    this.response?.pause();
  }
  resume(): void {
    this.isPaused = false;
    this.response?.resume();
  }
}

function sendThroughNode(origin: string, tls: UpstreamTlsOptions, route: ProxyRoute | undefined, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
  const controller = new NodeRequestController(handler);
  handler.onRequestStart?.(controller, {});
  if (controller.aborted) return;
  const url = new URL(origin);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const request = send(url, {
    method: options.method,
    path: options.path,
    headers: plainHeaders(options.headers),
    agent: false,
    timeout: CONNECT_TIMEOUT_MS,
    ...(url.protocol === 'https:' ? tlsConnectOptions(tls) : {}),
    ...(route !== undefined && route.kind !== 'direct' ? { createConnection: replayConnection(url, tls, route) } : {}),
  });
  controller.request = request;
  request.on('error', (error) => controller.fail(error));
  request.on('timeout', () => request.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
  request.on('information', (info) => {
    // 100 is skipped as Go's Transport skips it; 103 and the like reach the handler as undici passes them.
    if (info.statusCode !== 100 && !controller.aborted) handler.onResponseStart?.(controller, info.statusCode, info.headers, info.statusMessage);
  });
  request.on('response', (response) => {
    request.setTimeout(0);
    controller.response = response;
    if (controller.aborted) return;
    handler.onResponseStart?.(controller, response.statusCode ?? 502, response.headers, response.statusMessage);
    if (controller.paused) response.pause();
    response.on('data', (chunk: Buffer) => {
      if (!controller.aborted) handler.onResponseData?.(controller, chunk);
    });
    response.on('end', () => {
      if (!controller.aborted) handler.onResponseEnd?.(controller, response.trailers);
    });
    response.on('error', (error) => controller.fail(error));
  });
  request.end();
}

function plainHeaders(headers: Dispatcher.DispatchOptions['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (headers === null || headers === undefined || Array.isArray(headers) || Symbol.iterator in headers) return out;
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) if (value !== undefined) out[name] = value;
  return out;
}
