// A dispatch wrapper: when the API server rejects kubegate's credential (401), drop it and retry once with a fresh one.
//
// client-go's exec and token-file round-trippers refresh on a 401; the request is replayed only when
// that is safe (GET or HEAD with no body) and the fresh credential differs, or an exec plugin is
// re-running. The wrapped handler sees one request: the first attempt's 401 never reaches it.

import type { Dispatcher } from 'undici';
import type { Credentials } from '../auth/credentials.js';

/** Response headers as undici hands them to a handler. */
type UpstreamHeaders = Record<string, string | string[] | undefined>;

export type Dispatch = (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => void;

export interface RefreshOn401 {
  readonly credentials: Credentials;
  /** The Authorization kubegate put on the request; undefined when none (or the client's own). */
  readonly used: string | undefined;
  /** Whether the request may be sent twice. */
  readonly retryable: boolean;
  /** Told when the API server rejected kubegate's credential (metrics). */
  readonly onRejected: () => void;
}

/** The controller the wrapped handler holds: it steers whichever attempt is current. */
class AttemptController implements Dispatcher.DispatchController {
  current: Dispatcher.DispatchController | undefined;
  #reason: Error | null = null;
  #aborted = false;

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.current?.paused ?? false;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  abort(reason: Error): void {
    this.#aborted = true;
    this.#reason = reason;
    this.current?.abort(reason);
  }
  pause(): void {
    this.current?.pause();
  }
  resume(): void {
    this.current?.resume();
  }
}

/**
 * One request as the wrapped handler sees it, over one or two attempts. Each attempt gets a handler
 * of its own, so callbacks still arriving from an abandoned attempt (its abort) are recognised and dropped.
 */
class RefreshOn401Request {
  readonly #controller = new AttemptController();
  #attempt = 0;
  #started = false;

  constructor(
    private readonly dispatch: Dispatch,
    private readonly options: Dispatcher.DispatchOptions,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly refresh: RefreshOn401,
  ) {}

  start(options: Dispatcher.DispatchOptions = this.options): void {
    this.dispatch(options, new Attempt(this, ++this.#attempt));
  }

  /** The current attempt's number: callbacks of any other attempt are stale. */
  get current(): number {
    return this.#attempt;
  }

  requestStarted(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#controller.current = controller;
    if (this.#controller.aborted) {
      controller.abort(this.#controller.reason ?? new Error('aborted'));
      return;
    }
    if (this.#started) return;
    this.#started = true;
    this.handler.onRequestStart?.(this.#controller, context);
  }

  responseStarted(attempt: number, controller: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders, statusMessage?: string): void {
    if (statusCode === 401 && this.refresh.used !== undefined) {
      this.refresh.credentials.invalidate();
      this.refresh.onRejected();
      // The second attempt is the last: a 401 to it goes to the client.
      if (this.refresh.retryable && attempt === 1 && this.#retry(controller)) return;
    }
    this.handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage);
  }

  data(chunk: Buffer): void {
    this.handler.onResponseData?.(this.#controller, chunk);
  }

  end(trailers: UpstreamHeaders): void {
    this.handler.onResponseEnd?.(this.#controller, trailers);
  }

  error(error: Error): void {
    this.handler.onResponseError?.(this.#controller, error);
  }

  /** Starts the second attempt if a fresh credential is (or will be) at hand; false to let the 401 through. */
  #retry(controller: Dispatcher.DispatchController): boolean {
    let fresh: string | undefined | Promise<string | undefined>;
    try {
      fresh = this.refresh.credentials.authorization();
    } catch {
      return false;
    }
    if (fresh === this.refresh.used || fresh === undefined) return false;
    // From here the first attempt's callbacks are stale; its abort reaches no one.
    const waiting = ++this.#attempt;
    controller.abort(new Error('retrying with a refreshed credential'));
    if (typeof fresh === 'string') {
      this.#again(fresh);
      return true;
    }
    // An exec plugin is re-running: retry with whatever it returns (the same token too; a second
    // 401 then reaches the client). A plugin that fails answers the client with its error.
    fresh.then(
      (authorization) => {
        if (waiting === this.#attempt) this.#again(authorization);
      },
      (error: unknown) => {
        if (waiting === this.#attempt) this.handler.onResponseError?.(this.#controller, error instanceof Error ? error : new Error(String(error)));
      },
    );
    return true;
  }

  #again(authorization: string | undefined): void {
    if (this.#controller.aborted) return;
    const headers = { ...(this.options.headers as Record<string, string | string[]>) };
    if (authorization === undefined) delete headers.authorization;
    else headers.authorization = authorization;
    this.start({ ...this.options, headers });
  }
}

/** One attempt's handler (a class, not closures: this is on every request's path). */
class Attempt implements Dispatcher.DispatchHandler {
  constructor(
    private readonly request: RefreshOn401Request,
    private readonly number: number,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    if (this.number !== this.request.current) controller.abort(new Error('superseded by a retry'));
    else this.request.requestStarted(controller, context);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders, statusMessage?: string): void {
    if (this.number === this.request.current) this.request.responseStarted(this.number, controller, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.number === this.request.current) this.request.data(chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: UpstreamHeaders): void {
    if (this.number === this.request.current) this.request.end(trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.number === this.request.current) this.request.error(error);
  }
}

/**
 * Dispatches through `dispatch`, retrying once after a 401 as described above. A request that
 * carries no credential of kubegate's (a client certificate does the authenticating, or the
 * client sent its own Authorization) has nothing to refresh: it goes out with the caller's handler.
 * A 401 to kubegate's client certificate is not replayed (client-go does not either); the relay
 * reports it to the credentials when it sees the status (forward.ts, #certificateRejected).
 */
export function dispatchRefreshingOn401(dispatch: Dispatch, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, refresh: RefreshOn401): void {
  if (refresh.used === undefined) {
    dispatch(options, handler);
    return;
  }
  new RefreshOn401Request(dispatch, options, handler, refresh).start();
}
