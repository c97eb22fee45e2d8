// undici's DispatchController over a request kubegate drives itself (an HTTP/2 stream, a node:http request),
// so forward.ts's relay needs no second code path.

import type { Dispatcher } from 'undici';

/** The state every such controller keeps; subclasses say what pausing and aborting do to their stream. */
export abstract class HandlerController implements Dispatcher.DispatchController {
  #aborted = false;
  #reason: Error | null = null;
  protected isPaused = false;

  constructor(protected readonly handler: Dispatcher.DispatchHandler) {}

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.isPaused;
  }
  get reason(): Error | null {
    return this.#reason;
  }

  abstract abort(reason: Error): void;
  abstract pause(): void;
  abstract resume(): void;

  /** Reported once, unless already aborted: as undici does, an abort reaches the handler as the request's error. */
  fail(error: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = error;
    this.handler.onResponseError?.(this, error);
  }
}
