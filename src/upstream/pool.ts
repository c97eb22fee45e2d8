// The undici Agent that carries requests to the API server, with TLS settings spelled out from the kubeconfig.

import type { Dispatcher } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { CONNECT_TIMEOUT_MS, TCP_KEEPALIVE_MS, currentTlsOptions, pinServerName, proxiedConnector, tlsConnectOptions } from './dial.js';
import { H2WatchPool, isH2Eligible } from './h2-watches.js';
import { replayRefusedAnswer } from './replay-refused-answer.js';
import { retryStaleConnection } from './retry-stale-connection.js';
import { Agent, DispatcherBase, buildConnector } from './undici-parts.js';

/**
 * Carries requests to the API server. Body and header timeouts are off: watches and `logs -f` stay
 * open for as long as the client wants, as with client-go, which sets no response timeout.
 *
 * When the CA or client certificate changes on disk (or an exec plugin hands out a new one), the
 * next request gets a fresh connection pool built with the new material; the old pool finishes its
 * in-flight requests and closes, so no request after a rotation rides a connection made with the
 * old certificate. Unchanged material is the same Buffer object, so the check is a comparison.
 */
interface Pools {
  readonly key: readonly (Buffer | undefined)[];
  readonly agent: Agent;
  /** The agent with its retry interceptor: what requests are dispatched to (the agent itself is kept to close it). */
  readonly http1: Dispatcher;
  readonly watches: H2WatchPool | undefined;
}

/**
 * How long an idle connection to the API server is kept for the next request. kube-apiserver closes
 * idle connections after 90 s (IdleTimeout, HTTP/1.1 and HTTP/2 alike) and client-go keeps them as
 * long (http.DefaultTransport's IdleConnTimeout), so kubectl proxy reuses a connection after a
 * minute's pause; a shorter timeout makes the next request after such a pause pay a new TCP and TLS
 * handshake, a round trip or two across a slow link. Two seconds short of the server's (undici's own
 * margin for a server's Keep-Alive hint): kubegate closes first, so no request is written on a
 * connection the server is closing. A server that sends a shorter Keep-Alive hint is obeyed.
 */
const IDLE_CONNECTION_MS = 88_000;

export class UpstreamAgent extends DispatcherBase {
  readonly #config: RestConfig;
  readonly #credentials: Credentials;
  #current: Pools | undefined;
  /** Pools replaced by a rotation that still carry in-flight requests (watches, logs -f). */
  readonly #retired = new Set<Agent | H2WatchPool>();
  /** The server answered ALPN without h2: watches use HTTP/1.1 like everything else. */
  #h2Unsupported = false;

  constructor(config: RestConfig, credentials: Credentials) {
    super();
    this.#config = config;
    this.#credentials = credentials;
  }

  #pools(): Pools {
    const tls = currentTlsOptions(this.#config, this.#credentials);
    const key = [tls.ca, tls.cert, tls.key];
    const current = this.#current;
    if (current && current.key.every((value, i) => value === key[i])) return current;
    const connect = pinServerName(buildConnector({
      timeout: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelay: TCP_KEEPALIVE_MS,
      ...tlsConnectOptions(tls),
    }), tls.servername);
    const agent = new Agent({
      // Through the cluster's proxy-url or HTTPS_PROXY when one applies (decided at load: kubeconfig/proxy.ts).
      connect: proxiedConnector(this.#config.proxy, tls, connect),
      bodyTimeout: 0,
      headersTimeout: 0,
      keepAliveTimeout: IDLE_CONNECTION_MS,
      keepAliveMaxTimeout: 600_000,
    });
    const watches = this.#config.serverUrl.protocol === 'https:' ? new H2WatchPool(this.#config.serverUrl.origin, tls, this.#config.proxy) : undefined;
    // A stale keep-alive connection, or an interim 100 undici refuses, costs a replay, not a 503/502
    // (Go's Transport retries the first and skips the second).
    const http1 = agent.compose(retryStaleConnection(), replayRefusedAnswer(this.#config.serverUrl.origin, () => tls, this.#config.proxy));
    this.#current = { key, agent, http1, watches };
    if (current) {
      for (const old of [current.agent, current.watches]) {
        if (!old) continue;
        this.#retired.add(old);
        void old.close().finally(() => this.#retired.delete(old));
      }
    }
    return this.#current;
  }

  #all(): (Agent | H2WatchPool)[] {
    return [...(this.#current ? [this.#current.agent, ...(this.#current.watches ? [this.#current.watches] : [])] : []), ...this.#retired];
  }

  /** Ordinary requests (and readiness checks): the HTTP/1.1 keep-alive pool. */
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#pools().http1.dispatch(options, handler);
  }

  /**
   * Watches and follows, as the caller decided: HTTP/2 streams (few sockets for thousands of them)
   * when the server speaks h2, else the HTTP/1.1 pool.
   */
  dispatchStream(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const { http1, watches } = this.#pools();
    if (watches && !this.#h2Unsupported && isH2Eligible(options)) {
      watches.dispatch(options, handler, () => {
        this.#h2Unsupported = true;
        http1.dispatch(options, handler);
      });
      return true;
    }
    return http1.dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const closed = Promise.all(this.#all().map((agent) => agent.close())).then(() => {});
    if (callback) {
      void closed.then(callback);
      return;
    }
    return closed;
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : (first ?? null);
    const callback = typeof first === 'function' ? first : second;
    const destroyed = Promise.all(this.#all().map((pool) => (pool instanceof H2WatchPool ? pool.destroy() : pool.destroy(error)))).then(() => {});
    if (callback) {
      void destroyed.then(callback);
      return;
    }
    return destroyed;
  }
}

export function createUpstreamAgent(config: RestConfig, credentials: Credentials): UpstreamAgent {
  return new UpstreamAgent(config, credentials);
}
