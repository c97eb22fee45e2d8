// Tunnels upgraded connections (exec, attach, port-forward; SPDY and WebSocket alike) as opaque bytes.
//
// Order matters, and it is the security boundary: the server has already decided on the request
// (route, filter, browser policy) before anything here runs. Until the API server answers 101,
// nothing from the client goes upstream but the request head built here; every byte the client sent
// after its head is held, and dropped if the upgrade is refused. Before the 101 every failure is an
// HTTP response; after it only teardown is possible.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactHeaders, redactUrl, type Logger } from '../log.js';
import type { ProxyMetrics } from '../observe/observer.js';
import { closeAfterAnswer, writeRawStatus } from '../status.js';
import { authorize } from './authorize.js';
import { currentTlsOptions, dialTunnel } from './dial.js';
import { reportFailure, type FailureSink } from './failure.js';
import { forwardedFor } from './headers.js';
import { decideIdentity, isIdentityHeader, type HeaderMap, type IdentityDecision } from './identity.js';
import { readResponseHead, relayResponseBody, type ResponseHead } from './response-head.js';
import type { UpstreamTarget } from './target.js';

/** apimachinery's upgrade-aware proxy gives a refused upgrade's answer 10 s to reach the client. */
const REFUSAL_DEADLINE_MS = 10_000;

/**
 * Request headers never sent upstream on an upgrade: the client's body framing (Go's Request.Write
 * leaves them out too) and Host, which is replaced. Everything else goes as sent, as in
 * apimachinery's upgrade-aware proxy: Connection and Upgrade are the upgrade itself.
 */
const TUNNEL_HEADERS_NOT_FORWARDED = new Set(['host', 'content-length', 'transfer-encoding', 'trailer']);

export interface TunnelOptions {
  readonly restConfig: RestConfig;
  readonly credentials: Credentials;
  readonly target: UpstreamTarget;
  readonly keepaliveMs: number;
  readonly logger: Logger;
  readonly userAgent: string;
  readonly metrics: ProxyMetrics;
}

/** One upgrade request the server has decided to forward. */
export interface TunnelRequest {
  readonly request: IncomingMessage;
  readonly client: Socket;
  /** Bytes the client sent after its request head: held until the API server has answered 101. */
  readonly held: Buffer;
  /** The upstream path and query, already checked by the filter. */
  readonly path: string;
}

export interface TunnelHandler {
  open(tunnel: TunnelRequest): void;
  /** Closes every live tunnel (shutdown). */
  closeAll(): void;
  /** Live tunnels, for tests and metrics. */
  readonly size: number;
}

/**
 * The upstream request head: the client's headers in order (Connection, Upgrade, Sec-WebSocket-*,
 * X-Stream-Protocol-Version) minus its body framing, Host replaced, X-Forwarded-For appended, then
 * the identity headers as decided (Authorization, Impersonate-*, User-Agent). Nothing else: this
 * head is all the API server sees until it answers 101.
 */
export function buildTunnelRequestHead(request: IncomingMessage, path: string, target: UpstreamTarget, identity: IdentityDecision, authorization: string | undefined): string {
  const headers = collectTunnelHeaders(request);
  const xff = forwardedFor(request, headers['x-forwarded-for']);
  if (xff !== undefined) headers['x-forwarded-for'] = xff;
  Object.assign(headers, identity.headers(target.tls ? authorization : undefined));
  const lines = [`${request.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${target.host}`];
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      // Node's parser refuses CR/LF in values already; this keeps the head well-formed whatever the caller passes.
      if (!/[\r\n]/.test(one)) lines.push(`${name}: ${one}`);
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The client's headers worth forwarding on an upgrade, lower-cased, repeated ones kept as lists in order. */
function collectTunnelHeaders(request: IncomingMessage): HeaderMap {
  const headers: HeaderMap = {};
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (TUNNEL_HEADERS_NOT_FORWARDED.has(name) || isIdentityHeader(name)) continue;
    const value = raw[i + 1] as string;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return headers;
}

export function createTunnelHandler(options: TunnelOptions): TunnelHandler {
  const live = new Set<Socket>();
  const origin = new URL(options.target.origin);
  const open = (tunnel: TunnelRequest): void => {
    const { client, request } = tunnel;
    // Nothing is read from the client until the API server has switched protocols.
    client.pause();
    client.setTimeout(0);
    // Upgrade tunnels forward the client's head verbatim (spec 3.6): Connection-listed names stay.
    const identity = decideIdentity(request.rawHeaders, { impersonate: options.restConfig.impersonate, userAgent: options.userAgent, dropConnectionListed: false });
    authorize(options.credentials, options.target.tls && !identity.clientAuthorization, (error, authorization) => {
      if (error !== undefined) {
        reportFailure(failureSink(options), error, { kind: 'socket', socket: client }, { what: 'Proxy upgrade error' });
        return;
      }
      if (client.destroyed) return;
      const tls = options.target.tls ? currentTlsOptions(options.restConfig, options.credentials) : undefined;
      const head = buildTunnelRequestHead(request, tunnel.path, options.target, identity, authorization);
      // Through the cluster's proxy-url or HTTPS_PROXY when one applies; a proxy that refuses is answered like any dial failure.
      dialTunnel(origin, tls, options.keepaliveMs, options.restConfig.proxy, (dialError, upstream) => {
        if (dialError !== undefined || upstream === undefined) reportFailure(failureSink(options), dialError, { kind: 'socket', socket: client }, { what: 'Proxy upgrade error' });
        else if (client.destroyed) upstream.destroy();
        else connectTunnel(options, tunnel, head, upstream, live);
      });
    });
  };
  return {
    open,
    closeAll() {
      for (const socket of live) socket.destroy();
      live.clear();
    },
    get size() {
      return live.size;
    },
  };
}

function failureSink(options: TunnelOptions): FailureSink {
  return { logger: options.logger, metrics: options.metrics, origin: options.target.origin, context: options.target.context };
}

/** Sends the head kubegate built (and only that), then lets the API server's answer decide what happens. */
function connectTunnel(options: TunnelOptions, tunnel: TunnelRequest, head: string, upstream: Socket, live: Set<Socket>): void {
  const { request, client, path } = tunnel;
  let answered = false;
  upstream.on('error', (error) => {
    if (answered) {
      options.logger.debug({ err: error }, 'tunnel upstream socket error');
      client.destroy();
      return;
    }
    answered = true;
    reportFailure(failureSink(options), error, { kind: 'socket', socket: client }, { what: 'Proxy upgrade error' });
    upstream.destroy();
  });
  // A client that goes away before the answer cancels the dial.
  const onEarlyClose = (): void => {
    if (!answered) upstream.destroy();
  };
  client.once('close', onEarlyClose);
  upstream.once(options.target.tls ? 'secureConnect' : 'connect', () => {
    upstream.setTimeout(0);
    if (options.logger.isLevelEnabled('trace')) {
      const method = request.method ?? 'GET';
      options.logger.trace({ method, url: redactUrl(path), headers: redactHeaders(request.headers) }, `Upgrade request headers: ${method} ${redactUrl(path)}`);
    }
    upstream.write(head);
  });
  readResponseHead(upstream, (error, answer) => {
    if (answered) return;
    answered = true;
    client.off('close', onEarlyClose);
    if (error || answer === undefined) {
      options.metrics.upstreamError('protocol');
      writeRawStatus(client, 502, `invalid upgrade response from the API server at ${options.target.origin}: ${error?.message ?? 'no response'}`);
      upstream.destroy();
      return;
    }
    if (answer.status === 101) switchProtocols(options, tunnel, upstream, answer, live);
    else if (answer.status >= 400) relayRefusal(client, upstream, answer);
    else refuseInvalidUpgrade(options, client, upstream, answer.status);
  });
}

/** 101: relay the answer, then the held client bytes go upstream first, and bytes flow both ways. */
function switchProtocols(options: TunnelOptions, tunnel: TunnelRequest, upstream: Socket, answer: ResponseHead, live: Set<Socket>): void {
  const { client, held } = tunnel;
  live.add(client);
  options.metrics.tunnelOpened();
  let closed = false;
  const teardown = (): void => {
    if (!closed) {
      closed = true;
      options.metrics.tunnelClosed();
    }
    live.delete(client);
    client.destroy();
    upstream.destroy();
  };
  // The client's close ends the tunnel. The upstream's end reaches the client through the pipe as a
  // FIN after the last byte (destroying the client on the upstream's close could drop output in flight).
  client.once('close', teardown);
  client.write(answer.head);
  if (answer.rest.length > 0) client.write(answer.rest);
  if (held.length > 0) upstream.write(held);
  // Opaque bytes both ways; end() on one side's EOF keeps half-close working (stdin closed, output flowing).
  upstream.pipe(client);
  client.pipe(upstream);
  upstream.resume();
  client.resume();
}

/** >= 400: the API server refused (401/403/404...). Relay its answer, then close both; no client byte goes upstream. */
function relayRefusal(client: Socket, upstream: Socket, answer: ResponseHead): void {
  const deadline = setTimeout(() => {
    upstream.destroy();
    client.destroy();
  }, REFUSAL_DEADLINE_MS);
  deadline.unref();
  client.write(answer.head);
  relayResponseBody(upstream, client, answer, () => {
    clearTimeout(deadline);
    upstream.destroy();
    closeAfterAnswer(client);
  });
}

/** 1xx (other than 101), 2xx, 3xx: not an upgrade. kubectl answers 500 with this message. */
function refuseInvalidUpgrade(options: TunnelOptions, client: Socket, upstream: Socket, status: number): void {
  options.metrics.upstreamError('protocol');
  options.logger.error({ status }, 'Proxy upgrade error: invalid upgrade response');
  writeRawStatus(client, 500, `invalid upgrade response: status code ${status}`);
  upstream.destroy();
}
