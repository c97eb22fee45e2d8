// Tunnels upgraded connections (exec, attach, port-forward; SPDY and WebSocket alike) as opaque bytes.
//
// Order matters, and it is the security boundary: the server has already decided on the request
// (route, filter, browser policy) before anything here runs. Until the API server answers 101,
// nothing from the client goes upstream but the request head built here; every byte the client sent
// after its head is held, and dropped if the upgrade is refused. Before the 101 every failure is an
// HTTP response; after it only teardown is possible.

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { applyCredentials, type HeaderMap } from './identity.js';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactHeaders, redactUrl, type Logger } from '../log.js';
import type { ProxyMetrics } from '../observe/observer.js';
import { tlsConnectOptions } from './dial.js';
import { clientAddress } from './forward.js';
import { describeUpstreamError } from './failure.js';
import { currentTlsOptions, type UpstreamTarget } from './pool.js';
import { readResponseHead, relayResponseBody, type ResponseHead } from './response-head.js';
import { statusBody, reasonForCode } from '../status.js';

/** Go's net.Dialer: KeepAlive 0 means the default 15 s probes; a negative value disables them. */
const DEFAULT_TUNNEL_KEEPALIVE_MS = 15_000;
const DIAL_TIMEOUT_MS = 30_000;
/** apimachinery's upgrade-aware proxy gives a refused upgrade's answer 10 s to reach the client. */
const REFUSAL_DEADLINE_MS = 10_000;
/** Go's server waits this long after a FIN before closing, so the client reads the answer before any RST. */
export const LINGER_MS = 500;

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

/** Writes a complete HTTP/1.1 response on a raw socket and closes it the way Go does (FIN, linger, close). */
export function writeRawResponse(socket: Socket, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  for (const [name, value] of Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })) {
    lines.push(`${name}: ${value}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  closeAfterAnswer(socket);
}

/**
 * Ends our side and closes a little later without reading anything more: whatever the client sent
 * after its head is never relayed anywhere. Closing at once with unread bytes would send an RST that
 * can destroy the answer before the client reads it.
 */
export function closeAfterAnswer(socket: Socket): void {
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function writeStatusResponse(socket: Socket, status: number, message: string): void {
  writeRawResponse(socket, status, { 'content-type': 'application/json' }, JSON.stringify(statusBody(status, reasonForCode(status), message)));
}

/**
 * The upstream request head: the client's headers in order (Connection, Upgrade, Sec-WebSocket-*,
 * X-Stream-Protocol-Version) minus its body framing, Host replaced, X-Forwarded-For appended, then
 * kubegate's identity. Nothing else: this head is all the API server sees until it answers 101.
 */
export function buildTunnelRequestHead(
  request: IncomingMessage,
  path: string,
  target: UpstreamTarget,
  authorization: string | undefined,
  impersonate: RestConfig['impersonate'],
  userAgent: string,
): string {
  const headers = collectTunnelHeaders(request);
  if (headers['user-agent'] === undefined || headers['user-agent'] === '') headers['user-agent'] = userAgent;
  const address = clientAddress(request);
  if (address !== undefined) {
    const prior = headers['x-forwarded-for'];
    const priorText = Array.isArray(prior) ? prior.join(', ') : prior;
    headers['x-forwarded-for'] = priorText ? `${priorText}, ${address}` : address;
  }
  applyCredentials(headers, target.tls ? authorization : undefined, impersonate);

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
    if (TUNNEL_HEADERS_NOT_FORWARDED.has(name)) continue;
    const value = raw[i + 1] as string;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return headers;
}

export function createTunnelHandler(options: TunnelOptions): TunnelHandler {
  const live = new Set<Socket>();
  const [host, port] = splitOrigin(options.target.origin);

  const dial = (): Socket => dialUpstream(options, host, port);

  const open = (tunnel: TunnelRequest): void => {
    const { client } = tunnel;
    // Error handlers first: a reset client must never crash the process. Nothing is read from the
    // client until the API server has switched protocols.
    client.on('error', (error) => options.logger.debug({ err: error }, 'tunnel client socket error'));
    client.pause();
    client.setTimeout(0);
    authorize(options, (error, authorization) => {
      if (error) {
        reportFailure(options, tunnel, error, 'credential');
        return;
      }
      if (!client.destroyed) connectTunnel(options, tunnel, authorization, dial(), live);
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

/** The credential step: synchronous when cached, asynchronous for an exec plugin; none for http:// servers. */
function authorize(options: TunnelOptions, done: (error: unknown, authorization?: string) => void): void {
  // client-go loads no credentials for http:// servers; impersonation still applies (spec 3.3).
  if (!options.target.tls) {
    done(undefined, undefined);
    return;
  }
  try {
    const authorization = options.credentials.authorization();
    if (typeof authorization === 'object' && authorization !== null) authorization.then((value) => done(undefined, value), done);
    else done(undefined, authorization);
  } catch (error) {
    done(error);
  }
}

function dialUpstream(options: TunnelOptions, host: string, port: number): Socket {
  const keepalive = options.keepaliveMs === 0 ? DEFAULT_TUNNEL_KEEPALIVE_MS : options.keepaliveMs;
  let upstream: Socket;
  if (options.target.tls) {
    const tls = currentTlsOptions(options.restConfig, options.credentials);
    // allowHalfOpen lives on the TCP socket; the TLS socket inherits it. Dial errors of the TCP
    // socket are passed on so they surface as one error on the socket the tunnel watches.
    const tcp = netConnect({ host, port, allowHalfOpen: true });
    // Upgrades only exist in HTTP/1.1: never let ALPN pick h2 (client-go forces http/1.1 too).
    upstream = tlsConnect({ socket: tcp, host, ...tlsConnectOptions(tls), ALPNProtocols: ['http/1.1'] });
    const tlsSocket = upstream;
    tcp.on('error', (error) => tlsSocket.destroy(error));
  } else {
    upstream = netConnect({ host, port, allowHalfOpen: true });
  }
  if (keepalive > 0) upstream.setKeepAlive(true, keepalive);
  upstream.setNoDelay(true);
  upstream.setTimeout(DIAL_TIMEOUT_MS, () => upstream.destroy(Object.assign(new Error('dial timeout'), { code: 'ETIMEDOUT' })));
  return upstream;
}

/** Sends the head kubegate built (and only that), then lets the API server's answer decide what happens. */
function connectTunnel(options: TunnelOptions, tunnel: TunnelRequest, authorization: string | undefined, upstream: Socket, live: Set<Socket>): void {
  const { request, client, path } = tunnel;
  const method = request.method ?? 'GET';
  let answered = false;
  upstream.on('error', (error) => {
    if (answered) {
      options.logger.debug({ err: error }, 'tunnel upstream socket error');
      client.destroy();
      return;
    }
    answered = true;
    reportFailure(options, tunnel, error, undefined);
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
      options.logger.trace({ method, url: redactUrl(path), headers: redactHeaders(request.headers) }, `Upgrade request headers: ${method} ${redactUrl(path)}`);
    }
    upstream.write(buildTunnelRequestHead(request, path, options.target, authorization, options.restConfig.impersonate, options.userAgent));
  });

  readResponseHead(upstream, (error, answer) => {
    if (answered) return;
    answered = true;
    client.off('close', onEarlyClose);
    if (error || answer === undefined) {
      options.metrics.upstreamError('protocol');
      writeStatusResponse(client, 502, `invalid upgrade response from the API server at ${options.target.origin}: ${error?.message ?? 'no response'}`);
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
  writeStatusResponse(client, 500, `invalid upgrade response: status code ${status}`);
  upstream.destroy();
}

function reportFailure(options: TunnelOptions, tunnel: TunnelRequest, error: unknown, kind: 'credential' | undefined): void {
  const described = describeUpstreamError(error, options.target.origin);
  options.metrics.upstreamError(kind ?? (described.code === 'KG_ERR_UPSTREAM_TLS' ? 'tls' : described.code === 'KG_ERR_UPSTREAM_UNREACHABLE' ? 'unreachable' : 'protocol'));
  options.logger.error({ err: described, code: described.code }, 'Proxy upgrade error');
  const message = kind === 'credential' ? described.message : `error dialing backend: ${described.message}`;
  writeStatusResponse(tunnel.client, described.status, message);
}

function splitOrigin(origin: string): [string, number] {
  const url = new URL(origin);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return [host, port];
}
