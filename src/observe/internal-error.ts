// kubegate's answer to a bug that leaves a promise rejected with no handler, or a request handler that
// throws: one log line, keep serving.

import type { Logger } from '../log.js';

/**
 * Node's default for an unhandled rejection is to exit. A proxy in a pod would then drop every client's
 * watches and exec sessions, and go into CrashLoopBackOff, for what touched one request: Go's net/http
 * (kubectl proxy) recovers a handler's panic the same way, logging it and serving on. Synchronous
 * uncaught exceptions keep Node's default (exit): they can leave state half-changed.
 */
export function reportUnhandledRejection(logger: Logger, onReport?: () => void): (reason: unknown) => void {
  return (reason) => {
    const stack = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    logger.error({ stack }, 'internal error in kubegate (please report it): a promise was rejected and nothing handled it; still serving');
    onReport?.();
  };
}

/** Work kubegate queued for itself (no request waits for it) threw: a bug; logged, and serving goes on. */
export function reportBackgroundError(logger: Logger, what: string, error: unknown): void {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  logger.error({ stack }, `internal error in kubegate (please report it): ${what} threw; still serving`);
}

/**
 * A request handler threw (a bug): Go's net/http logs `http: panic serving ADDR: ...` with the stack
 * and closes that connection, and so does kubegate (the caller drops the connection). Only that
 * request's state was touched; the process serves on.
 */
export function reportHandlerPanic(logger: Logger, error: unknown, remoteAddress: string | undefined): void {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  logger.error({ stack, remoteAddress }, 'internal error in kubegate (please report it): a request handler threw; its connection was closed, still serving');
}
