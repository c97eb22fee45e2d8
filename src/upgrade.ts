// Tunnels upgraded connections (exec, attach, port-forward; SPDY and WebSocket alike) as opaque bytes.
//
// Order matters: the filter and credentials are settled before the upstream is dialled; until the
// API server answers 101 every failure is an HTTP response; after the 101 only teardown is possible.

import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { STATUS_CODES } from 'node:http';
import { applyCredentials, type HeaderMap } from './auth/apply-credentials.js';
import type { Credentials } from './auth/credentials.js';
import type { RestConfig } from './kubeconfig/rest-config.js';
import { redactHeaders, redactUrl, type Logger } from './log.js';
import type { ProxyMetrics } from './observer.js';
import { clientAddress } from './proxy/forward.js';
import { describeUpstreamError } from './proxy/upstream-errors.js';
import { tlsConnectOptions } from './proxy/dial.js';
import { currentTlsOptions, type UpstreamTarget } from './proxy/upstream.js';
import { decideRequest, requestFacts, type DecisionContext } from './request-decision.js';
import { statusBody, reasonForCode } from './status.js';

/** Go's net.Dialer: KeepAlive 0 means the default 15 s probes; a negative value disables them. */
const DEFAULT_TUNNEL_KEEPALIVE_MS = 15_000;
const DIAL_TIMEOUT_MS = 30_000;
/** An upstream that answers an upgrade with more header bytes than this is not an API server. */
const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

export interface TunnelOptions {
  readonly decision: DecisionContext;
  readonly restConfig: RestConfig;
  readonly credentials: Credentials;
  readonly target: UpstreamTarget;
  readonly keepaliveMs: number;
  readonly logger: Logger;
  readonly userAgent: string;
  readonly metrics: ProxyMetrics;
}

export interface TunnelHandler {
  handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void;
  /** Closes every live tunnel (shutdown). */
  closeAll(): void;
  /** Live tunnels, for tests and metrics. */
  readonly size: number;
}

/** Writes a complete HTTP/1.1 response on a raw socket and closes it. */
export function writeRawResponse(socket: Socket, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  for (const [name, value] of Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })) {
    lines.push(`${name}: ${value}`);
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function writeStatusResponse(socket: Socket, status: number, message: string): void {
  writeRawResponse(socket, status, { 'content-type': 'application/json' }, JSON.stringify(statusBody(status, reasonForCode(status), message)));
}

/**
 * The upstream request: every client header verbatim (Connection, Upgrade, Sec-WebSocket-*,
 * X-Stream-Protocol-Version), Host replaced, X-Forwarded-For appended, then kubegate's identity.
 */
export function buildTunnelRequestHead(
  request: IncomingMessage,
  path: string,
  target: UpstreamTarget,
  authorization: string | undefined,
  impersonate: RestConfig['impersonate'],
  userAgent: string,
): string {
  const headers: HeaderMap = {};
  const raw = request.rawHeaders;
  const order: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'host') continue;
    const existing = headers[name];
    if (existing === undefined) {
      headers[name] = value;
      order.push(name);
    } else {
      headers[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
  }
  if (headers['user-agent'] === undefined) {
    headers['user-agent'] = userAgent;
    order.push('user-agent');
  }
  const address = clientAddress(request);
  if (address !== undefined) {
    const prior = headers['x-forwarded-for'];
    const priorText = Array.isArray(prior) ? prior.join(', ') : prior;
    if (prior === undefined) order.push('x-forwarded-for');
    headers['x-forwarded-for'] = priorText ? `${priorText}, ${address}` : address;
  }
  applyCredentials(headers, target.tls ? authorization : undefined, impersonate);
  for (const name of Object.keys(headers)) if (!order.includes(name)) order.push(name);

  const lines = [`${request.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${target.host}`];
  for (const name of order) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (/[\r\n]/.test(one)) continue;
      lines.push(`${name}: ${one}`);
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export function createTunnelHandler(options: TunnelOptions): TunnelHandler {
  const { target, logger } = options;
  const live = new Set<Socket>();
  const [host, port] = splitOrigin(target.origin);

  const dial = (): Socket => {
    const keepalive = options.keepaliveMs === 0 ? DEFAULT_TUNNEL_KEEPALIVE_MS : options.keepaliveMs;
    let upstream: Socket;
    if (target.tls) {
      const tls = currentTlsOptions(options.restConfig, options.credentials);
      // allowHalfOpen lives on the TCP socket; the TLS socket inherits it. Dial errors of the TCP
      // socket are passed on so they surface as one error on the socket the tunnel watches.
      const tcp = netConnect({ host, port, allowHalfOpen: true });
      upstream = tlsConnect({
        socket: tcp,
        host,
        ...tlsConnectOptions(tls),
        // Upgrades only exist in HTTP/1.1: never let ALPN pick h2 (client-go forces http/1.1 too).
        ALPNProtocols: ['http/1.1'],
      });
      const tlsSocket = upstream;
      tcp.on('error', (error) => tlsSocket.destroy(error));
    } else {
      upstream = netConnect({ host, port, allowHalfOpen: true });
    }
    if (keepalive > 0) upstream.setKeepAlive(true, keepalive);
    upstream.setNoDelay(true);
    upstream.setTimeout(DIAL_TIMEOUT_MS, () => upstream.destroy(Object.assign(new Error('dial timeout'), { code: 'ETIMEDOUT' })));
    return upstream;
  };

  const handleUpgrade = (request: IncomingMessage, client: Socket, head: Buffer): void => {
    // Error handlers first: a reset client must never crash the process.
    client.on('error', (error) => logger.debug({ err: error }, 'tunnel client socket error'));
    const method = request.method ?? 'GET';
    const decision = decideRequest(method, request.url ?? '/', requestFacts(request), options.decision);
    if (decision.kind === 'reply') {
      if (decision.rejectedBy) options.metrics.filterRejected(decision.rejectedBy);
      if (decision.rejectedBy) logger.info({ method, url: redactUrl(request.url), flag: decision.rejectedBy }, `Filter rejecting upgrade ${method} ${redactUrl(request.url)}`);
      writeRawResponse(client, decision.status, decision.headers, decision.body);
      return;
    }
    if (decision.kind === 'static') {
      writeRawResponse(client, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'static files cannot be upgraded\n');
      return;
    }
    const path = `${target.basePath}${decision.upstreamPath}${decision.query === undefined ? '' : `?${decision.query}`}`;

    const open = (authorization: string | undefined): void => {
      if (client.destroyed) return;
      // -v=8: the upgrade request's headers (the tunnel's bytes are never logged).
      if (logger.isLevelEnabled('trace')) logger.trace({ method, url: redactUrl(path), headers: redactHeaders(request.headers) }, `Upgrade request headers: ${method} ${redactUrl(path)}`);
      const upstream = dial();
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
      let established = false;
      upstream.on('error', (error) => {
        if (!established) {
          const described = describeUpstreamError(error, target.origin);
          logger.error({ err: described, code: described.code }, 'Proxy upgrade error');
          writeStatusResponse(client, described.status, `error dialing backend: ${described.message}`);
          upstream.destroy();
          return;
        }
        logger.debug({ err: error }, 'tunnel upstream socket error');
        teardown();
      });
      client.once('close', teardown);

      const connectEvent = target.tls ? 'secureConnect' : 'connect';
      upstream.once(connectEvent, () => {
        upstream.setTimeout(0);
        upstream.write(buildTunnelRequestHead(request, path, target, authorization, options.restConfig.impersonate, options.userAgent));
        if (head.length > 0) upstream.write(head);
        // Bytes the client sends before the 101 (rare) are held until the tunnel is open.
        client.pause();
      });

      readResponseHead(upstream, (error, status, responseHead, rest) => {
        if (error || status === undefined || responseHead === undefined || rest === undefined) {
          if (!established && !client.destroyed) {
            writeStatusResponse(client, 502, `invalid upgrade response from the API server at ${target.origin}: ${error?.message ?? 'no response'}`);
          }
          upstream.destroy();
          return;
        }
        if (status === 101) {
          established = true;
          client.write(responseHead);
          if (rest.length > 0) client.write(rest);
          // Opaque bytes both ways; end() on one side's EOF keeps half-close working (stdin closed, output flowing).
          upstream.pipe(client);
          client.pipe(upstream);
          client.resume();
          return;
        }
        if (status >= 400) {
          // The API server refused (401/403/404...): relay its answer as is, then close.
          established = true;
          client.write(responseHead);
          if (rest.length > 0) client.write(rest);
          upstream.pipe(client);
          upstream.once('end', () => client.end());
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(responseHead.toString('latin1'))?.[1] ?? NaN);
          if (Number.isFinite(length) && rest.length >= length) {
            client.end();
            upstream.destroy();
          } else if (Number.isFinite(length)) {
            let remaining = length - rest.length;
            upstream.on('data', (chunk: Buffer) => {
              remaining -= chunk.length;
              if (remaining <= 0) {
                client.end();
                upstream.destroy();
              }
            });
          }
          return;
        }
        logger.error({ status }, 'Proxy upgrade error: invalid upgrade response');
        writeStatusResponse(client, 502, `invalid upgrade response: status code ${status}`);
        upstream.destroy();
      });
    };

    const fail = (error: unknown): void => {
      const described = describeUpstreamError(error, target.origin);
      logger.error({ err: described, code: described.code }, 'Proxy upgrade error');
      writeStatusResponse(client, described.status, described.message);
    };

    if (!target.tls) {
      open(undefined);
      return;
    }
    try {
      const authorization = options.credentials.authorization();
      if (typeof authorization === 'object' && authorization !== null) authorization.then(open, fail);
      else open(authorization);
    } catch (error) {
      fail(error);
    }
  };

  return {
    handleUpgrade,
    closeAll() {
      for (const socket of live) socket.destroy();
      live.clear();
    },
    get size() {
      return live.size;
    },
  };
}

function splitOrigin(origin: string): [string, number] {
  const url = new URL(origin);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return [host, port];
}

/**
 * Reads bytes until the end of the response head, then stops reading so the caller decides
 * what happens to the rest (relay and pipe, or discard). Calls back exactly once.
 */
function readResponseHead(
  socket: Socket,
  callback: (error: Error | undefined, status?: number, head?: Buffer, rest?: Buffer) => void,
): void {
  let buffered: Buffer = Buffer.alloc(0);
  let done = false;
  const finish = (error: Error | undefined, status?: number, head?: Buffer, rest?: Buffer): void => {
    if (done) return;
    done = true;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    callback(error, status, head, rest);
  };
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end === -1) {
      if (buffered.length > MAX_RESPONSE_HEAD_BYTES) finish(new Error('response head too large'));
      return;
    }
    const head = buffered.subarray(0, end + 4);
    const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) {
      finish(new Error(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`));
      return;
    }
    finish(undefined, Number(match[1]), head, buffered.subarray(end + 4));
  };
  const onEnd = (): void => finish(new Error('the API server closed the connection before answering'));
  socket.on('data', onData);
  socket.once('end', onEnd);
}
