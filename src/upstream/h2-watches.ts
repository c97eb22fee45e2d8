// Watches and follows over HTTP/2: many long-lived streams on a few TLS connections, as client-go
// multiplexes them. Short requests stay on undici's HTTP/1.1 pool (measured faster for them: see
// the README's performance notes); only GET streams without a body come here.
//
// Why not undici's allowH2: with it, GETs ran at 4,567 requests/s against 11,804 over HTTP/1.1 and
// 1,000 watches took more memory, not less (npm run bench, 2026-11-28). node:http2 is nghttp2 in C.

import { connect as h2connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders as H2Headers } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import { HandlerController } from './handler-controller.js';
import type { ProxyRoute } from '../kubeconfig/proxy.js';
import { CONNECT_TIMEOUT_MS, TCP_KEEPALIVE_MS, dialUpstream, tlsConnectOptions } from './dial.js';
import type { UpstreamTlsOptions } from './dial.js';

/** Streams per connection when the server does not say (kube-apiserver allows 1,000 by default; Go's client assumes 100 before SETTINGS). */
const DEFAULT_MAX_STREAMS = 100;
/**
 * Flow control. Node opens HTTP/2's defaults, 64 KiB per stream and 64 KiB for the whole connection,
 * so the API server may have only 64 KiB in flight for ALL the watches on a session: at 20 ms round
 * trip that is about 3 MB/s for every watch together. Measured with 1,000 watches of pods across the
 * bench's emulated link (50 Mbit/s, 10 ms each way; `npm run bench -- --only wan-watch1k`): each change
 * reached the watchers with a p99 of 7.9 s (p50 4.4 s), against kubectl's 0.54 s; with the windows
 * below, 0.57 s. Go's transport, kubectl's, opens 4 MiB per stream and 1 GiB per connection. kubegate
 * takes 1 MiB per stream (a stream whose client reads slowly buffers at most that; an event of a large
 * object still fits) and Go's connection window, which adds no buffering of its own: it only keeps
 * streams from waiting on each other.
 */
const STREAM_WINDOW_BYTES = 1 << 20;
const CONNECTION_WINDOW_BYTES = 1 << 30;

/** HTTP/2 forbids these connection-specific headers (RFC 9113 8.2.2); Host becomes :authority. */
const NOT_IN_H2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);

interface PooledSession {
  readonly session: ClientHttp2Session;
  active: number;
}

/** Streams this session may still take: the server's limit once known, never more than 1,000. */
function capacity(pooled: PooledSession): number {
  return Math.min(pooled.session.remoteSettings.maxConcurrentStreams ?? DEFAULT_MAX_STREAMS, 1_000);
}

/** One in-flight stream, driven through undici's handler interface so forward.ts needs no second code path. */
class StreamController extends HandlerController {
  stream: ClientHttp2Stream | undefined;
  /** Set once the response has started and body data is being read. */
  reading = false;

  abort(reason: Error): void {
    if (this.aborted) return;
    // Marked aborted before the stream closes, so the close's own error is not reported instead of `reason`.
    this.fail(reason);
    if (this.stream && !this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }
  pause(): void {
    this.isPaused = true;
    if (this.reading) this.stream?.pause();
  }
  resume(): void {
    this.isPaused = false;
    // Before the response starts nobody listens for data yet: resuming then would let body bytes flow away.
    if (this.reading) this.stream?.resume();
  }
}

/** A stream the caller wants multiplexed can ride HTTP/2 when it is a plain GET (no body, no upgrade). */
export function isH2Eligible(options: Dispatcher.DispatchOptions): boolean {
  return options.method === 'GET' && (options.body === null || options.body === undefined) && !options.upgrade;
}

function toH2Headers(headers: Dispatcher.DispatchOptions['headers'], method: string, path: string, authority: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { ':method': method, ':path': path, ':authority': authority, ':scheme': 'https' };
  if (headers && !Array.isArray(headers) && typeof (headers as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
      const lower = name.toLowerCase();
      if (value === undefined || NOT_IN_H2.has(lower)) continue;
      if (lower === 'te' && String(value).toLowerCase() !== 'trailers') continue;
      out[lower] = value;
    }
  }
  return out;
}

function withoutPseudoHeaders(headers: H2Headers): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':') && value !== undefined) out[name] = value as string | string[];
  return out;
}

/**
 * A small pool of HTTP/2 sessions to one API server. When the server does not speak HTTP/2 (ALPN
 * chose HTTP/1.1), `dispatch` hands the request to its `fallback` instead.
 */
export class H2WatchPool {
  readonly #origin: URL;
  readonly #tls: UpstreamTlsOptions;
  readonly #route: ProxyRoute | undefined;
  readonly #sessions: PooledSession[] = [];
  #connecting: Promise<PooledSession | undefined> | undefined;

  constructor(origin: string, tls: UpstreamTlsOptions, route?: ProxyRoute) {
    this.#origin = new URL(origin);
    this.#tls = tls;
    this.#route = route;
  }

  #open(): Promise<PooledSession | undefined> {
    return new Promise((resolve, reject) => {
      const target = {
        host: this.#origin.hostname.replace(/^\[|\]$/g, ''),
        port: Number(this.#origin.port || 443),
        // Offering both lets a server without HTTP/2 say so instead of failing the handshake.
        secure: { ...tlsConnectOptions(this.#tls), ALPNProtocols: ['h2', 'http/1.1'] },
        trust: this.#tls,
        allowHalfOpen: false,
      };
      // Directly or through the proxy, as the HTTP/1.1 pool and the tunnels dial.
      dialUpstream(this.#route, target, (error, socket) => {
        if (error !== undefined || socket === undefined) reject(error ?? new Error('no socket'));
        else this.#startSession(socket as TLSSocket, resolve, reject);
      });
    });
  }

  /** Once TLS is up: an HTTP/2 session when ALPN chose h2, else undefined (the caller falls back to HTTP/1.1). */
  #startSession(socket: TLSSocket, resolve: (pooled: PooledSession | undefined) => void, reject: (error: Error) => void): void {
    socket.once('error', reject);
    // A dial that never completes must fail the watches waiting on it, not hold them for ever.
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.setTimeout(0);
      if (socket.alpnProtocol !== 'h2') {
        socket.destroy();
        resolve(undefined);
        return;
      }
      socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
      const session = h2connect(this.#origin, { createConnection: () => socket, settings: { initialWindowSize: STREAM_WINDOW_BYTES } });
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      const pooled: PooledSession = { session, active: 0 };
      session.once('error', reject);
      const forget = (): void => {
        const index = this.#sessions.indexOf(pooled);
        if (index >= 0) this.#sessions.splice(index, 1);
      };
      session.on('error', forget);
      session.on('goaway', forget);
      session.on('close', forget);
      // Idle sessions do not keep kubegate alive at shutdown.
      session.unref();
      // Offered only once the server's SETTINGS say how many streams it takes.
      session.once('remoteSettings', () => {
        session.off('error', reject);
        this.#sessions.push(pooled);
        resolve(pooled);
      });
    });
  }

  /**
   * A session with room for one more stream, with that room already taken: a burst of watches must
   * not all pick the same session before any of them has counted itself (a server that allows 250
   * streams would leave the rest queued for ever).
   */
  async #reserve(): Promise<PooledSession | undefined> {
    for (;;) {
      const free = this.#sessions.find((pooled) => !pooled.session.closed && !pooled.session.destroyed && pooled.active < capacity(pooled));
      if (free) {
        free.active++;
        return free;
      }
      // One connection attempt at a time: a burst of watches waits for it instead of dialling hundreds.
      this.#connecting ??= this.#open().finally(() => {
        this.#connecting = undefined;
      });
      if ((await this.#connecting) === undefined) return undefined;
    }
  }

  /**
   * Starts the request on an HTTP/2 stream, reporting through `handler` as undici would. Calls
   * `fallback` instead when the server turns out not to speak HTTP/2.
   */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, fallback: () => void): void {
    const controller = new StreamController(handler);
    handler.onRequestStart?.(controller, {});
    if (controller.aborted) return;
    this.#reserve().then(
      (pooled) => {
        if (pooled === undefined) {
          fallback();
          return;
        }
        const release = (): void => {
          pooled.active--;
          if (pooled.active === 0) pooled.session.unref();
        };
        if (controller.aborted) {
          release();
          return;
        }
        let stream: ClientHttp2Stream;
        try {
          stream = pooled.session.request(toH2Headers(options.headers, options.method, options.path, this.#origin.host), { endStream: true });
        } catch (error) {
          release();
          controller.fail(error as Error);
          return;
        }
        pooled.session.ref();
        controller.stream = stream;
        stream.on('response', (headers) => {
          if (controller.aborted) return;
          handler.onResponseStart?.(controller, Number(headers[':status'] ?? 502), withoutPseudoHeaders(headers), '');
          // Only now start reading: node:http2 emits 'response' on a later tick than the DATA frames
          // that arrived with the HEADERS, so an early 'data' listener sees body before headers (the
          // soak test crashed on exactly that). Until here the body waits in the stream's buffer.
          stream.on('data', (chunk: Buffer) => {
            if (!controller.aborted) handler.onResponseData?.(controller, chunk);
          });
          stream.on('end', () => {
            if (!controller.aborted) handler.onResponseEnd?.(controller, {});
          });
          controller.reading = true;
          if (controller.paused) stream.pause();
        });
        stream.on('error', (error: Error) => controller.fail(error));
        stream.on('close', () => {
          release();
          // A stream reset by the server (or a session gone) without an error event still ends the request.
          if (!controller.aborted && stream.rstCode !== constants.NGHTTP2_NO_ERROR && !stream.readableEnded) {
            controller.fail(Object.assign(new Error(`the API server reset the stream (HTTP/2 code ${stream.rstCode})`), { code: 'ERR_HTTP2_STREAM_ERROR' }));
          }
        });
      },
      (error: unknown) => controller.fail(error as Error),
    );
  }

  /** Lets open streams finish, then closes (a rotation retires a pool this way). */
  close(): Promise<void> {
    return Promise.all(
      this.#sessions.map((pooled) => new Promise<void>((resolve) => (pooled.session.closed ? resolve() : pooled.session.close(() => resolve())))),
    ).then(() => {});
  }

  destroy(): void {
    for (const pooled of [...this.#sessions]) pooled.session.destroy();
  }
}
